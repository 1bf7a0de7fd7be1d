/* Membership changes, one server at a time (Ongaro's thesis, 4.1 and the
 * fix of 4.1.3's bug: a leader changes the configuration only after it
 * committed an entry of its own term), learners and their promotion, the
 * removed leader stepping down, and reset_peers for a lost majority. */
#include "core/election.h"
#include "core/membership.h"
#include "core/replication.h"
#include "util/assert.h"
#include "util/heap.h"

bool membership_heard_recently(const struct raft_core *core,
			       const struct progress *pr)
{
	return pr->id == core->cfg.id ||
	       (pr->heard_tick > 0 &&
		core->ticks + 1 - pr->heard_tick <= core->cfg.election_ticks);
}

/* Whether a change may be made now (after the request was found
 * valid: a bad request says so rather than "busy"). */
static int check_ready(const struct raft_core *core)
{
	if (core->transfer_to != 0 || !core->committed_in_term ||
	    core->conf_index > core->commit) {
		return RAFT_EBUSY;
	}
	return 0;
}

/* Appends next as a CONF entry and puts it in force; nothing changes on
 * error. */
static int append_conf(struct raft_core *core,
		       const struct raft_configuration *next, raft_term *term,
		       raft_index *index)
{
	raft_index at = log_last_index(&core->log) + 1;
	struct conf_change cc;
	struct raft_buf buf, copy;
	int rv = raft_configuration_encode(next, &buf);
	if (rv != 0) {
		return rv;
	}
	rv = log_data_new(buf.base, buf.len, &copy);
	raft_free(buf.base);
	if (rv != 0) {
		return rv;
	}
	rv = core_conf_prepare_copy(core, next, at, &cc);
	if (rv != 0) {
		log_data_unref(copy);
		return rv;
	}
	rv = log_reserve(&core->log, 1);
	if (rv != 0) {
		core_conf_discard(&cc);
		log_data_unref(copy);
		return rv;
	}
	log_append_ref(&core->log, core->term, RAFT_ENTRY_CONF, copy);
	core_conf_install(core, &cc);
	if (term != NULL) {
		*term = core->term;
	}
	if (index != NULL) {
		*index = at;
	}
	return 0;
}

/* A copy of the configuration in force with member id changed: role 0
 * removes it. */
static int edit(const struct raft_core *core, raft_id id, uint8_t role,
		struct raft_configuration *next)
{
	unsigned i;
	raft_configuration_init(next);
	for (i = 0; i < core->conf.n; i++) {
		const struct raft_server *s = &core->conf.servers[i];
		int rv;
		if (s->id == id && role == 0) {
			continue;
		}
		rv = raft_configuration_add(next, s->id, s->address,
					    s->id == id ? role : s->role);
		if (rv != 0) {
			raft_configuration_close(next);
			return rv;
		}
	}
	return 0;
}

static int change(struct raft_core *core, raft_id id, uint8_t role,
		  raft_term *term, raft_index *index)
{
	struct raft_configuration next;
	int rv = edit(core, id, role, &next);
	if (rv != 0) {
		return rv;
	}
	rv = append_conf(core, &next, term, index);
	raft_configuration_close(&next);
	if (rv == 0) {
		/* Removing a voter can shrink the quorum. */
		replication_maybe_commit(core);
	}
	return rv;
}

int raft_core_add_member(struct raft_core *core, raft_id id,
			 const char *address, uint8_t role, raft_term *term,
			 raft_index *index)
{
	struct raft_configuration next;
	int rv;
	NOT_IN_READY(core);
	if (core->role != RAFT_LEADER) {
		return RAFT_ENOTLEADER;
	}
	if (raft_configuration_get(&core->conf, id) != NULL) {
		return RAFT_EEXIST;
	}
	if (id == 0 || address == NULL ||
	    (role != RAFT_VOTER && role != RAFT_LEARNER)) {
		return RAFT_EINVAL;
	}
	rv = check_ready(core);
	if (rv != 0) {
		return rv;
	}
	rv = edit(core, 0, 0, &next);
	if (rv != 0) {
		return rv;
	}
	rv = raft_configuration_add(&next, id, address, role);
	if (rv == 0) {
		rv = append_conf(core, &next, term, index);
	}
	raft_configuration_close(&next);
	return rv;
}

int raft_core_remove_member(struct raft_core *core, raft_id id, raft_term *term,
			    raft_index *index)
{
	const struct raft_server *s;
	int rv;
	NOT_IN_READY(core);
	if (core->role != RAFT_LEADER) {
		return RAFT_ENOTLEADER;
	}
	s = raft_configuration_get(&core->conf, id);
	if (s == NULL) {
		return RAFT_ENOTFOUND;
	}
	if (s->role == RAFT_VOTER &&
	    raft_configuration_n_voters(&core->conf) == 1) {
		return RAFT_EINVAL;
	}
	rv = check_ready(core);
	return rv != 0 ? rv : change(core, id, 0, term, index);
}

int raft_core_promote(struct raft_core *core, raft_id id, raft_term *term,
		      raft_index *index)
{
	struct progress *pr;
	int rv;
	NOT_IN_READY(core);
	if (core->role != RAFT_LEADER) {
		return RAFT_ENOTLEADER;
	}
	pr = core_progress(core, id);
	if (pr == NULL) {
		return RAFT_ENOTFOUND;
	}
	if (pr->role != RAFT_LEARNER) {
		return RAFT_EINVAL;
	}
	rv = check_ready(core);
	if (rv != 0) {
		return rv;
	}
	if (!membership_heard_recently(core, pr)) {
		return RAFT_EUNAVAILABLE;
	}
	if (pr->match + core->cfg.max_append_entries <
	    log_last_index(&core->log)) {
		return RAFT_ELAGGING;
	}
	return change(core, id, RAFT_VOTER, term, index);
}

void membership_check_removed(struct raft_core *core)
{
	struct progress *best = NULL;
	unsigned i;
	if (core->role != RAFT_LEADER || core_is_voter(core, core->cfg.id) ||
	    core->commit < core->conf_index) {
		return;
	}
	/* The change that removed this leader is committed: hand over to the
	 * most up-to-date voter at once rather than let the cluster wait for
	 * an election timeout. */
	for (i = 0; i < core->conf.n; i++) {
		struct progress *pr = &core->prs[i];
		if (pr->role == RAFT_VOTER && pr->id != core->cfg.id &&
		    (best == NULL || pr->match > best->match)) {
			best = pr;
		}
	}
	if (best != NULL && best->match == log_last_index(&core->log)) {
		struct raft_message tn = {0};
		tn.type = RAFT_MSG_TIMEOUT_NOW;
		tn.to = best->id;
		tn.term = core->term;
		core_send(core, &tn, false);
	}
	election_become_follower(core, core->term, 0);
}

int raft_core_reset_peers(struct raft_core *core,
			  const struct raft_configuration *conf)
{
	const struct raft_server *self;
	raft_term old_term = core->term;
	raft_id old_vote = core->vote;
	int rv;
	NOT_IN_READY(core);
	self = raft_configuration_get(conf, core->cfg.id);
	if (self == NULL || self->role != RAFT_VOTER) {
		return RAFT_EINVAL;
	}
	/* A new term that this node alone holds a vote in: the CONF entry
	 * appended in it cannot collide with an entry of a live leader. */
	if (core->role == RAFT_LEADER) {
		election_become_follower(core, core->term, 0);
	}
	core->term++;
	core->vote = core->cfg.id;
	rv = append_conf(core, conf, NULL, NULL);
	if (rv != 0) {
		core->term = old_term;
		core->vote = old_vote;
		return rv;
	}
	core->role = RAFT_FOLLOWER;
	core->leader_id = 0;
	core->transfer_to = 0;
	/* Campaign at the next tick. */
	core->election_elapsed = core->randomized_timeout;
	return 0;
}
