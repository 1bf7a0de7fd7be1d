/* The core's entry points: creation, step dispatch and term rules,
 * proposals, the ready/advance cycle and inspection. */
#include "core/core.h"

#include <stdio.h>
#include <string.h>

#include "core/election.h"
#include "core/membership.h"
#include "core/read.h"
#include "core/replication.h"
#include "util/assert.h"
#include "util/heap.h"

void raft_core_config_defaults(struct raft_core_config *config, raft_id id)
{
	memset(config, 0, sizeof(*config));
	config->id = id;
	config->election_ticks = 10;
	config->heartbeat_ticks = 1;
	config->pre_vote = true;
	config->check_quorum = true;
	config->max_inflight_msgs = 256;
	config->max_inflight_bytes = 0;
	config->max_append_entries = 1024;
	config->max_append_bytes = 1024 * 1024;
	config->random_seed = id;
	config->clock_drift_ticks = 1;
}

const char *raft_message_type_name(uint8_t type)
{
	switch (type) {
	case RAFT_MSG_VOTE:
		return "vote";
	case RAFT_MSG_VOTE_RESP:
		return "vote_resp";
	case RAFT_MSG_APPEND:
		return "append";
	case RAFT_MSG_APPEND_RESP:
		return "append_resp";
	case RAFT_MSG_HEARTBEAT:
		return "heartbeat";
	case RAFT_MSG_HEARTBEAT_RESP:
		return "heartbeat_resp";
	case RAFT_MSG_TIMEOUT_NOW:
		return "timeout_now";
	case RAFT_MSG_SNAPSHOT:
		return "snapshot";
	case RAFT_MSG_READ_INDEX:
		return "read_index";
	case RAFT_MSG_READ_INDEX_RESP:
		return "read_index_resp";
	case RAFT_MSG_SNAPSHOT_CHUNK:
		return "snapshot_chunk";
	case RAFT_MSG_SNAPSHOT_ACK:
		return "snapshot_ack";
	default:
		return "unknown";
	}
}

const char *raft_role_name(uint8_t role)
{
	switch (role) {
	case RAFT_FOLLOWER:
		return "follower";
	case RAFT_PRE_CANDIDATE:
		return "pre_candidate";
	case RAFT_CANDIDATE:
		return "candidate";
	case RAFT_LEADER:
		return "leader";
	default:
		return "unknown";
	}
}

/* ------------------------------------------------------------------------
 * Shared helpers
 * ------------------------------------------------------------------------ */

struct progress *core_progress(struct raft_core *core, raft_id id)
{
	unsigned i;
	for (i = 0; i < core->conf.n; i++) {
		if (core->prs[i].id == id) {
			return &core->prs[i];
		}
	}
	return NULL;
}

bool core_is_voter(const struct raft_core *core, raft_id id)
{
	const struct raft_server *s = raft_configuration_get(&core->conf, id);
	return s != NULL && s->role == RAFT_VOTER;
}

unsigned core_quorum(const struct raft_core *core)
{
	return raft_configuration_n_voters(&core->conf) / 2 + 1;
}

static void message_release(struct raft_message *m)
{
	uint32_t i;
	if (m->type == RAFT_MSG_SNAPSHOT) {
		raft_configuration_close(&m->snapshot.meta.conf);
		return;
	}
	if (m->type != RAFT_MSG_APPEND) {
		return;
	}
	for (i = 0; i < m->append.n_entries; i++) {
		log_data_unref(m->append.entries[i].data);
	}
	raft_free(m->append.entries);
	m->append.entries = NULL;
	m->append.n_entries = 0;
}

static void outbox_clear(struct outbox *o)
{
	size_t i;
	for (i = 0; i < o->n; i++) {
		message_release(&o->msgs[i]);
	}
	o->n = 0;
}

void core_send(struct raft_core *core, struct raft_message *msg,
	       bool after_persist)
{
	struct outbox *o = after_persist ? &core->pmsgs : &core->msgs;
	msg->from = core->cfg.id;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		struct raft_message *msgs =
		    raft_realloc(o->msgs, cap * sizeof(*msgs));
		if (msgs == NULL) {
			/* Dropped: Raft recovers from a lost message. */
			message_release(msg);
			return;
		}
		o->msgs = msgs;
		o->cap = cap;
	}
	o->msgs[o->n++] = *msg;
}

void core_commit_to(struct raft_core *core, raft_index index)
{
	if (index <= core->commit) {
		return;
	}
	CORE_ASSERTF(core, index <= log_last_index(&core->log),
		     "commit index %llu beyond last index %llu",
		     (unsigned long long)index,
		     (unsigned long long)log_last_index(&core->log));
	core->commit = index;
}

/* ------------------------------------------------------------------------
 * Creation
 * ------------------------------------------------------------------------ */

int raft_core_bootstrap_entry(const struct raft_configuration *conf,
			      struct raft_entry *entry)
{
	int rv;
	if (raft_configuration_n_voters(conf) == 0) {
		return RAFT_EINVAL;
	}
	rv = raft_configuration_encode(conf, &entry->data);
	if (rv != 0) {
		return rv;
	}
	entry->term = 1;
	entry->index = 1;
	entry->type = RAFT_ENTRY_CONF;
	return 0;
}

static bool entry_type_valid(uint8_t type)
{
	return type == RAFT_ENTRY_NORMAL || type == RAFT_ENTRY_NOOP ||
	       type == RAFT_ENTRY_CONF;
}

static int check_config(const struct raft_core_config *c, char *errmsg,
			size_t len)
{
	if (c->id == 0) {
		snprintf(errmsg, len, "node id must not be 0");
	} else if (c->election_ticks < 2) {
		snprintf(errmsg, len, "election_ticks %u must be at least 2",
			 c->election_ticks);
	} else if (c->heartbeat_ticks == 0 ||
		   c->heartbeat_ticks >= c->election_ticks) {
		snprintf(errmsg, len,
			 "heartbeat_ticks %u must be in [1, election_ticks %u)",
			 c->heartbeat_ticks, c->election_ticks);
	} else if (c->max_inflight_msgs == 0) {
		snprintf(errmsg, len, "max_inflight_msgs must not be 0");
	} else if (c->max_append_entries == 0 || c->max_append_bytes == 0) {
		snprintf(
		    errmsg, len,
		    "max_append_entries and max_append_bytes must not be 0");
	} else {
		return 0;
	}
	return RAFT_EINVAL;
}

/* The first index the recovered log holds (entries may start right after
 * the snapshot, or earlier when a trailing margin was kept). */
static raft_index state_first_index(const struct raft_core_state *st)
{
	if (st->n_entries > 0) {
		return st->entries[0].index;
	}
	return st->snapshot != NULL ? st->snapshot->index + 1 : 1;
}

static int check_snapshot(const struct raft_core_state *st, char *errmsg,
			  size_t len)
{
	const struct raft_snapshot_meta *snap = st->snapshot;
	raft_index first = state_first_index(st);
	if (snap == NULL) {
		if (first != 1) {
			snprintf(errmsg, len,
				 "log starts at entry %llu without a snapshot",
				 (unsigned long long)first);
			return RAFT_EINVAL;
		}
		return 0;
	}
	if (snap->index == 0 || snap->term == 0 || snap->term > st->term ||
	    raft_configuration_n_voters(&snap->conf) == 0) {
		snprintf(errmsg, len,
			 "snapshot at %llu (term %llu) is malformed or has no "
			 "voter",
			 (unsigned long long)snap->index,
			 (unsigned long long)snap->term);
		return RAFT_EINVAL;
	}
	if (first > snap->index + 1) {
		snprintf(errmsg, len,
			 "log starts at entry %llu, after the snapshot at %llu",
			 (unsigned long long)first,
			 (unsigned long long)snap->index);
		return RAFT_EINVAL;
	}
	if (first <= snap->index && first + st->n_entries - 1 >= snap->index &&
	    st->entries[snap->index - first].term != snap->term) {
		snprintf(
		    errmsg, len,
		    "log entry %llu has term %llu, the snapshot says %llu",
		    (unsigned long long)snap->index,
		    (unsigned long long)st->entries[snap->index - first].term,
		    (unsigned long long)snap->term);
		return RAFT_EINVAL;
	}
	return 0;
}

static int check_state(const struct raft_core_state *st, char *errmsg,
		       size_t len)
{
	raft_index first, last;
	raft_term prev_term = 0;
	size_t i;
	int rv;
	if (st->n_entries > 0 && st->entries == NULL) {
		snprintf(errmsg, len, "%zu log entries but no entry array",
			 st->n_entries);
		return RAFT_EINVAL;
	}
	rv = check_snapshot(st, errmsg, len);
	if (rv != 0) {
		return rv;
	}
	first = state_first_index(st);
	for (i = 0; i < st->n_entries; i++) {
		const struct raft_entry *e = &st->entries[i];
		if (e->index != first + i) {
			snprintf(errmsg, len,
				 "log entry %zu has index %llu, expected %llu",
				 i, (unsigned long long)e->index,
				 (unsigned long long)(first + i));
			return RAFT_EINVAL;
		}
		if (e->term < prev_term || e->term > st->term || e->term == 0) {
			snprintf(errmsg, len,
				 "log entry %llu has term %llu (previous %llu, "
				 "current term %llu)",
				 (unsigned long long)e->index,
				 (unsigned long long)e->term,
				 (unsigned long long)prev_term,
				 (unsigned long long)st->term);
			return RAFT_EINVAL;
		}
		if (!entry_type_valid(e->type) ||
		    (e->data.len > 0 && e->data.base == NULL)) {
			snprintf(errmsg, len, "log entry %llu is malformed",
				 (unsigned long long)e->index);
			return RAFT_EINVAL;
		}
		prev_term = e->term;
	}
	if (st->vote != 0 && st->term == 0) {
		snprintf(errmsg, len, "vote for %llu in term 0",
			 (unsigned long long)st->vote);
		return RAFT_EINVAL;
	}
	last = first + st->n_entries - 1;
	if (st->snapshot != NULL && st->snapshot->index > last) {
		last = st->snapshot->index;
	}
	if (st->applied > last) {
		snprintf(
		    errmsg, len, "applied index %llu beyond last index %llu",
		    (unsigned long long)st->applied, (unsigned long long)last);
		return RAFT_EINVAL;
	}
	return 0;
}

int raft_core_new(const struct raft_core_config *config,
		  const struct raft_core_state *state, struct raft_core **out,
		  char *errmsg, size_t errmsg_len)
{
	const struct raft_snapshot_meta *snap = state->snapshot;
	struct raft_core *core;
	const struct raft_entry *conf_entry;
	struct conf_change cc;
	raft_index first, applied;
	char scratch[1];
	size_t i;
	int rv;

	if (errmsg == NULL) {
		errmsg = scratch;
		errmsg_len = sizeof(scratch);
	}
	rv = check_config(config, errmsg, errmsg_len);
	if (rv == 0) {
		rv = check_state(state, errmsg, errmsg_len);
	}
	if (rv != 0) {
		return rv;
	}
	core = raft_calloc(1, sizeof(*core));
	if (core == NULL) {
		goto err_nomem;
	}
	core->cfg = *config;
	core->rand_state = config->random_seed;
	log_init(&core->log);
	raft_configuration_init(&core->conf);
	raft_configuration_init(&core->snapshot.conf);
	first = state_first_index(state);
	/* The term just before the log is known only when that is the
	 * snapshot's index (or 0); otherwise a follower that needs it gets
	 * the snapshot instead (see replication.c). */
	log_reset(&core->log, first - 1,
		  snap != NULL && snap->index == first - 1 ? snap->term : 0);
	if (snap != NULL) {
		if (raft_configuration_copy(&snap->conf,
					    &core->snapshot.conf) != 0) {
			goto err_free;
		}
		core->has_snapshot = true;
		core->snapshot.index = snap->index;
		core->snapshot.term = snap->term;
	}
	if (log_reserve(&core->log, state->n_entries) != 0) {
		goto err_free;
	}
	for (i = 0; i < state->n_entries; i++) {
		const struct raft_entry *e = &state->entries[i];
		struct raft_buf data;
		if (log_data_new(e->data.base, e->data.len, &data) != 0) {
			goto err_free;
		}
		log_append_ref(&core->log, e->term, e->type, data);
	}
	/* The configuration in force: the last CONF entry after the
	 * snapshot, else the snapshot's. */
	conf_entry = core_last_conf_entry(core, log_last_index(&core->log) + 1);
	if (conf_entry != NULL && snap != NULL &&
	    conf_entry->index <= snap->index) {
		conf_entry = NULL;
	}
	if (conf_entry == NULL && snap != NULL) {
		rv =
		    core_conf_prepare_copy(core, &snap->conf, snap->index, &cc);
	} else {
		rv = core_conf_prepare(core,
				       conf_entry ? &conf_entry->data : NULL,
				       conf_entry ? conf_entry->index : 0, &cc,
				       errmsg, errmsg_len);
	}
	if (rv == RAFT_ENOMEM) {
		goto err_free;
	}
	if (rv != 0) {
		char detail[256];
		snprintf(detail, sizeof(detail), "%s", errmsg);
		snprintf(errmsg, errmsg_len, "log entry %llu: %s",
			 (unsigned long long)conf_entry->index, detail);
		rv = RAFT_EINVAL;
		goto err_free_rv;
	}
	core_conf_install(core, &cc);
	core->term = state->term;
	core->vote = state->vote;
	core->durable_term = state->term;
	core->durable_vote = state->vote;
	core->role = RAFT_FOLLOWER;
	/* A log that ends before the snapshot is all covered by it. */
	if (snap != NULL && log_last_index(&core->log) < snap->index) {
		log_reset(&core->log, snap->index, snap->term);
	}
	core->persisted = log_last_index(&core->log);
	core->log.unstable_from = core->persisted + 1;
	/* The state machine holds at least the snapshot. */
	applied = state->applied;
	if (snap != NULL && snap->index > applied) {
		applied = snap->index;
	}
	core->commit = applied;
	core->applying = applied;
	core->applied = applied;
	core->last_hs.term = core->term;
	core->last_hs.vote = core->vote;
	core->last_role = core->role;
	election_reset_timeout(core);
	*out = core;
	return 0;

err_free:
	snprintf(errmsg, errmsg_len, "%s", raft_strerror(RAFT_ENOMEM));
	rv = RAFT_ENOMEM;
err_free_rv:
	raft_core_free(core);
	return rv;
err_nomem:
	snprintf(errmsg, errmsg_len, "%s", raft_strerror(RAFT_ENOMEM));
	return RAFT_ENOMEM;
}

void raft_core_free(struct raft_core *core)
{
	unsigned i;
	if (core == NULL) {
		return;
	}
	outbox_clear(&core->msgs);
	outbox_clear(&core->pmsgs);
	raft_free(core->msgs.msgs);
	raft_free(core->pmsgs.msgs);
	for (i = 0; i < core->conf.n; i++) {
		progress_close(&core->prs[i]);
	}
	raft_free(core->prs);
	raft_configuration_close(&core->conf);
	raft_configuration_close(&core->snapshot.conf);
	log_close(&core->log);
	raft_free(core->reads);
	raft_free(core->freads);
	raft_free(core->done_reads);
	raft_free(core);
}

/* ------------------------------------------------------------------------
 * Inputs
 * ------------------------------------------------------------------------ */

void raft_core_tick(struct raft_core *core)
{
	NOT_IN_READY(core);
	core->ticks++;
	if (core->role == RAFT_LEADER) {
		replication_tick(core);
	} else {
		election_tick(core);
	}
	read_tick(core);
}

/* Checks what a message says about itself before anything is changed. */
static int check_message(const struct raft_core *core,
			 const struct raft_message *m)
{
	const struct raft_msg_append *a = &m->append;
	raft_term prev_term;
	uint32_t i;
	if (m->to != core->cfg.id || m->from == 0 || m->from == core->cfg.id ||
	    m->type == 0 || m->type > RAFT_MSG_CORE_MAX) {
		return RAFT_EINVAL;
	}
	if (m->type == RAFT_MSG_SNAPSHOT) {
		const struct raft_snapshot_meta *meta = &m->snapshot.meta;
		unsigned k;
		if (meta->index == 0 || meta->term == 0 ||
		    meta->term > m->term ||
		    raft_configuration_n_voters(&meta->conf) == 0) {
			return RAFT_EPROTO;
		}
		for (k = 0; k < meta->conf.n; k++) {
			const struct raft_server *sv = &meta->conf.servers[k];
			if (sv->id == 0 || sv->address == NULL ||
			    (sv->role != RAFT_VOTER &&
			     sv->role != RAFT_LEARNER)) {
				return RAFT_EPROTO;
			}
		}
		return 0;
	}
	if (m->type != RAFT_MSG_APPEND) {
		return 0;
	}
	if (a->prev_term > m->term ||
	    (a->n_entries > 0 && a->entries == NULL)) {
		return RAFT_EPROTO;
	}
	prev_term = a->prev_term;
	for (i = 0; i < a->n_entries; i++) {
		const struct raft_entry *e = &a->entries[i];
		if (e->index != a->prev_index + 1 + i || e->term < prev_term ||
		    e->term > m->term || e->term == 0 ||
		    !entry_type_valid(e->type) ||
		    (e->data.len > 0 && e->data.base == NULL)) {
			return RAFT_EPROTO;
		}
		prev_term = e->term;
	}
	return 0;
}

/* Answers a message of an older term, so that a stale leader or candidate
 * learns the new term and steps down. */
static void answer_stale(struct raft_core *core, const struct raft_message *m)
{
	struct raft_message resp = {0};
	resp.to = m->from;
	resp.term = core->term;
	switch (m->type) {
	case RAFT_MSG_APPEND:
	case RAFT_MSG_HEARTBEAT:
	case RAFT_MSG_SNAPSHOT:
		resp.type = RAFT_MSG_APPEND_RESP;
		resp.append_resp.success = false;
		resp.append_resp.last_index = log_last_index(&core->log);
		break;
	case RAFT_MSG_VOTE:
		resp.type = RAFT_MSG_VOTE_RESP;
		resp.vote_resp.pre_vote = m->vote.pre_vote;
		resp.vote_resp.granted = false;
		break;
	case RAFT_MSG_READ_INDEX:
		resp.type = RAFT_MSG_READ_INDEX_RESP;
		resp.read_index_resp.ctx = m->read_index.ctx;
		resp.read_index_resp.ok = false;
		break;
	default:
		return; /* stale answers carry nothing new */
	}
	core_send(core, &resp, false);
}

static int step_dispatch(struct raft_core *core, const struct raft_message *m);

int raft_core_step(struct raft_core *core, const struct raft_message *m)
{
	int rv;
	NOT_IN_READY(core);
	rv = check_message(core, m);
	if (rv != 0) {
		return rv;
	}
	if (m->term < core->term) {
		answer_stale(core, m);
		return 0;
	}
	if (m->term > core->term) {
		if (m->type == RAFT_MSG_VOTE) {
			/* Leader stickiness (thesis 4.2.3): while a live leader
			 * is heard, a vote request is ignored, so a node that
			 * cannot hear the leader does not depose it. A
			 * leadership transfer is the exception. */
			bool in_lease =
			    core->cfg.check_quorum && core->leader_id != 0 &&
			    core->election_elapsed < core->cfg.election_ticks;
			if (in_lease && !m->vote.transfer) {
				return 0;
			}
		}
		if ((m->type == RAFT_MSG_VOTE && m->vote.pre_vote) ||
		    (m->type == RAFT_MSG_VOTE_RESP && m->vote_resp.pre_vote &&
		     m->vote_resp.granted)) {
			/* Pre-votes travel in a future term without moving
			 * anybody's term. */
		} else if (m->type == RAFT_MSG_APPEND ||
			   m->type == RAFT_MSG_HEARTBEAT ||
			   m->type == RAFT_MSG_SNAPSHOT ||
			   m->type == RAFT_MSG_TIMEOUT_NOW) {
			election_become_follower(core, m->term, m->from);
		} else if (m->type == RAFT_MSG_VOTE) {
			/* Figure 2 restarts the election timer only on hearing
			 * a leader or granting a vote: a request we may refuse
			 * (our log is newer) must not keep delaying the very
			 * nodes that can win. Granting resets it below. */
			unsigned elapsed = core->election_elapsed;
			unsigned timeout = core->randomized_timeout;
			election_become_follower(core, m->term, 0);
			core->election_elapsed = elapsed;
			core->randomized_timeout = timeout;
		} else {
			election_become_follower(core, m->term, 0);
		}
	}
	rv = step_dispatch(core, m);
	membership_check_removed(core);
	return rv;
}

static int step_dispatch(struct raft_core *core, const struct raft_message *m)
{
	switch (m->type) {
	case RAFT_MSG_VOTE:
		election_recv_vote(core, m);
		break;
	case RAFT_MSG_VOTE_RESP:
		election_recv_vote_resp(core, m);
		break;
	case RAFT_MSG_APPEND:
		return replication_recv_append(core, m);
	case RAFT_MSG_APPEND_RESP:
		replication_recv_append_resp(core, m);
		break;
	case RAFT_MSG_HEARTBEAT:
		return replication_recv_heartbeat(core, m);
	case RAFT_MSG_HEARTBEAT_RESP:
		replication_recv_heartbeat_resp(core, m);
		break;
	case RAFT_MSG_TIMEOUT_NOW:
		election_start(core, true);
		break;
	case RAFT_MSG_SNAPSHOT:
		return replication_recv_snapshot(core, m);
	case RAFT_MSG_READ_INDEX:
		read_recv_request(core, m);
		break;
	case RAFT_MSG_READ_INDEX_RESP:
		read_recv_response(core, m);
		break;
	}
	return 0;
}

int raft_core_propose(struct raft_core *core, const struct raft_buf *data,
		      unsigned n, raft_term *term, raft_index *first_index)
{
	struct raft_buf *copies;
	unsigned i;
	int rv;
	NOT_IN_READY(core);
	if (core->role != RAFT_LEADER) {
		return RAFT_ENOTLEADER;
	}
	if (core->transfer_to != 0) {
		return RAFT_EBUSY;
	}
	if (n == 0) {
		return RAFT_EINVAL;
	}
	copies = raft_malloc(n * sizeof(*copies));
	if (copies == NULL) {
		return RAFT_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		rv = log_data_new(data[i].base, data[i].len, &copies[i]);
		if (rv != 0) {
			goto err;
		}
	}
	rv = log_reserve(&core->log, n);
	if (rv != 0) {
		goto err;
	}
	*term = core->term;
	*first_index = log_last_index(&core->log) + 1;
	for (i = 0; i < n; i++) {
		log_append_ref(&core->log, core->term, RAFT_ENTRY_NORMAL,
			       copies[i]);
	}
	raft_free(copies);
	return 0;

err:
	while (i-- > 0) {
		log_data_unref(copies[i]);
	}
	raft_free(copies);
	return rv;
}

int raft_core_read_index(struct raft_core *core, uint64_t ctx)
{
	NOT_IN_READY(core);
	if (core->role != RAFT_LEADER) {
		return read_follower_request(core, ctx);
	}
	return read_request(core, ctx, 0);
}

int raft_core_read_lease(const struct raft_core *core, raft_index *index,
			 raft_index *wait_free_from)
{
	return read_lease(core, index, wait_free_from);
}

int raft_core_transfer_leader(struct raft_core *core, raft_id to)
{
	struct progress *pr = NULL;
	unsigned i;
	NOT_IN_READY(core);
	if (core->role != RAFT_LEADER) {
		return RAFT_ENOTLEADER;
	}
	if (core->transfer_to != 0) {
		return RAFT_EBUSY;
	}
	if (to == 0) {
		/* The most up-to-date other live voter. */
		bool any = false;
		for (i = 0; i < core->conf.n; i++) {
			struct progress *p = &core->prs[i];
			if (p->id == core->cfg.id || p->role != RAFT_VOTER) {
				continue;
			}
			any = true;
			if (membership_heard_recently(core, p) &&
			    (pr == NULL || p->match > pr->match)) {
				pr = p;
			}
		}
		if (pr == NULL) {
			return any ? RAFT_EUNAVAILABLE : RAFT_ENOTFOUND;
		}
	} else {
		pr = core_progress(core, to);
		if (to == core->cfg.id || pr == NULL ||
		    pr->role != RAFT_VOTER) {
			return RAFT_EINVAL;
		}
		if (!membership_heard_recently(core, pr)) {
			return RAFT_EUNAVAILABLE;
		}
	}
	core->transfer_to = pr->id;
	core->transfer_elapsed = 0;
	/* The target may win an election the lease does not know about
	 * (TimeoutNow bypasses leader stickiness), even after the transfer
	 * timed out. */
	core->lease_forbidden = true;
	if (pr->match == log_last_index(&core->log)) {
		struct raft_message tn = {0};
		tn.type = RAFT_MSG_TIMEOUT_NOW;
		tn.to = pr->id;
		tn.term = core->term;
		core_send(core, &tn, false);
	}
	return 0;
}

int raft_core_snapshot_taken(struct raft_core *core, raft_index index,
			     raft_index trailing)
{
	struct raft_configuration conf;
	raft_index to;
	int rv;
	NOT_IN_READY(core);
	if (index > core->applied ||
	    (core->has_snapshot && index <= core->snapshot.index) ||
	    index <= core->log.offset) {
		return RAFT_EINVAL;
	}
	raft_configuration_init(&conf);
	rv = core_conf_at(core, index, &conf);
	if (rv != 0) {
		return rv == RAFT_ENOMEM ? RAFT_ENOMEM : RAFT_EINVAL;
	}
	raft_configuration_close(&core->snapshot.conf);
	core->snapshot.conf = conf;
	core->snapshot.index = index;
	core->snapshot.term = log_term_at(&core->log, index);
	core->has_snapshot = true;
	/* Keep a margin of the log: a follower a little behind catches up
	 * from it instead of needing the whole snapshot. */
	to = index > trailing ? index - trailing : 0;
	if (to > core->log.offset) {
		log_compact(&core->log, to);
	}
	return 0;
}

int raft_core_snapshot_meta_at(const struct raft_core *core, raft_index index,
			       struct raft_snapshot_meta *meta)
{
	raft_term term =
	    index > core->log.offset ? log_term_at(&core->log, index) : 0;
	int rv;
	if (term == 0) {
		return RAFT_ENOTFOUND;
	}
	rv = core_conf_at(core, index, &meta->conf);
	if (rv != 0) {
		return RAFT_ENOMEM;
	}
	if (meta->conf.n == 0) {
		return RAFT_ENOTFOUND; /* compacted away */
	}
	meta->index = index;
	meta->term = term;
	return 0;
}

void raft_core_report_snapshot(struct raft_core *core, raft_id id, bool ok)
{
	struct progress *pr;
	NOT_IN_READY(core);
	pr = core_progress(core, id);
	if (core->role != RAFT_LEADER || pr == NULL ||
	    pr->state != RAFT_PROGRESS_SNAPSHOT) {
		return;
	}
	if (!ok) {
		/* Probe from what is known to match; another snapshot goes
		 * out if that is compacted. */
		pr->pending_snapshot = 0;
	}
	progress_become_probe(pr);
}

void raft_core_persisted(struct raft_core *core, raft_index index,
			 raft_term term)
{
	NOT_IN_READY(core);
	if (index <= core->persisted || index > log_last_index(&core->log) ||
	    log_term_at(&core->log, index) != term) {
		return;
	}
	core->persisted = index;
	replication_maybe_commit(core);
	membership_check_removed(core);
}

void raft_core_hard_state_persisted(struct raft_core *core,
				    const struct raft_hard_state *hs)
{
	NOT_IN_READY(core);
	if (hs->term < core->durable_term) {
		return;
	}
	core->durable_term = hs->term;
	core->durable_vote = hs->vote;
	election_self_vote_durable(core);
}

void raft_core_applied(struct raft_core *core, raft_index index)
{
	NOT_IN_READY(core);
	CORE_ASSERTF(core, index <= core->applying,
		     "applied %llu beyond what was handed out (%llu)",
		     (unsigned long long)index,
		     (unsigned long long)core->applying);
	/* An apply that finished after a snapshot was installed is old. */
	if (index > core->applied) {
		core->applied = index;
	}
}

/* ------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------ */

/* Committed entries may be applied once durable locally too: a state
 * machine must never hold what the log could lose in a crash. */
static raft_index apply_limit(const struct raft_core *core)
{
	return core->commit < core->persisted ? core->commit : core->persisted;
}

bool raft_core_has_ready(const struct raft_core *core)
{
	return core->term != core->last_hs.term ||
	       core->vote != core->last_hs.vote ||
	       core->log.unstable_from <= log_last_index(&core->log) ||
	       core->msgs.n > 0 || core->pmsgs.n > 0 ||
	       core->n_done_reads > 0 || apply_limit(core) > core->applying ||
	       core->snapshot_unsent || core->role != core->last_role ||
	       core->leader_id != core->last_leader_id ||
	       replication_needs_flush(core);
}

void raft_core_ready(struct raft_core *core, struct raft_ready *rd)
{
	struct log *log = &core->log;
	raft_index last = log_last_index(log);
	raft_index limit;
	NOT_IN_READY(core);
	memset(rd, 0, sizeof(*rd));
	replication_flush(core);
	/* Reads that arrive from now on need a round that leaves later. */
	core->round_unsent = false;

	rd->hard_state.term = core->term;
	rd->hard_state.vote = core->vote;
	rd->hard_state_changed = core->term != core->last_hs.term ||
				 core->vote != core->last_hs.vote;
	core->last_hs = rd->hard_state;

	if (log->unstable_from <= last) {
		rd->entries = log_get(log, log->unstable_from);
		rd->n_entries = last - log->unstable_from + 1;
		log->unstable_from = last + 1;
	}
	rd->messages = core->msgs.msgs;
	rd->n_messages = core->msgs.n;
	rd->persisted_messages = core->pmsgs.msgs;
	rd->n_persisted_messages = core->pmsgs.n;

	limit = apply_limit(core);
	if (limit > core->applying) {
		rd->committed = log_get(log, core->applying + 1);
		rd->n_committed = limit - core->applying;
		core->applying = limit;
	}
	if (core->snapshot_unsent) {
		rd->snapshot = &core->snapshot;
		core->snapshot_unsent = false;
	}
	rd->reads = core->done_reads;
	rd->n_reads = core->n_done_reads;

	rd->soft_state_changed = core->role != core->last_role ||
				 core->leader_id != core->last_leader_id;
	rd->role = core->role;
	rd->leader_id = core->leader_id;
	core->last_role = core->role;
	core->last_leader_id = core->leader_id;
	core->in_ready = true;
}

void raft_core_advance(struct raft_core *core)
{
	RAFT_ASSERTF(core->in_ready, "node %llu: advance without ready",
		     (unsigned long long)core->cfg.id);
	outbox_clear(&core->msgs);
	outbox_clear(&core->pmsgs);
	core->n_done_reads = 0;
	core->in_ready = false;
}

/* ------------------------------------------------------------------------
 * Inspection
 * ------------------------------------------------------------------------ */

void raft_core_status(const struct raft_core *core, struct raft_core_status *st)
{
	memset(st, 0, sizeof(*st));
	st->id = core->cfg.id;
	st->role = core->role;
	st->learner = !core_is_voter(core, core->cfg.id);
	st->term = core->term;
	st->vote = core->vote;
	st->leader_id = core->leader_id;
	st->commit_index = core->commit;
	st->applied_index = core->applied;
	st->persisted_index = core->persisted;
	st->last_index = log_last_index(&core->log);
	st->last_term = log_last_term(&core->log);
	st->snapshot_index = core->has_snapshot ? core->snapshot.index : 0;
	st->first_index = core->log.offset + 1;
	st->transfer_to = core->transfer_to;
}

const struct raft_snapshot_meta *
raft_core_snapshot(const struct raft_core *core)
{
	return core->has_snapshot ? &core->snapshot : NULL;
}

const struct raft_configuration *
raft_core_configuration(const struct raft_core *core)
{
	return &core->conf;
}

int raft_core_peer_status(const struct raft_core *core, raft_id id,
			  struct raft_peer_status *st)
{
	unsigned i;
	if (core->role != RAFT_LEADER) {
		return RAFT_ENOTLEADER;
	}
	for (i = 0; i < core->conf.n; i++) {
		const struct progress *pr = &core->prs[i];
		if (pr->id != id) {
			continue;
		}
		st->id = id;
		st->role = pr->role;
		st->state = pr->state;
		st->match_index =
		    id == core->cfg.id ? core->persisted : pr->match;
		st->next_index = id == core->cfg.id
				     ? log_last_index(&core->log) + 1
				     : pr->next;
		st->recent_active = id == core->cfg.id || pr->recent_active;
		st->pending_snapshot = pr->pending_snapshot;
		return 0;
	}
	return RAFT_ENOTFOUND;
}

raft_term raft_core_term_at(const struct raft_core *core, raft_index index)
{
	return log_term_at(&core->log, index);
}

int raft_core_entry(const struct raft_core *core, raft_index index,
		    const struct raft_entry **entry)
{
	*entry = log_get(&core->log, index);
	return *entry != NULL ? 0 : RAFT_ENOTFOUND;
}
