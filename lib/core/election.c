/* Leader election (Raft section 5.2) with pre-vote and leader stickiness
 * (Ongaro's thesis, sections 9.6 and 6.2).
 *
 *                 timeout                 quorum of pre-votes
 *   FOLLOWER --------------> PRE_CANDIDATE -------------------> CANDIDATE
 *      ^  ^                        |  (or straight here without     |
 *      |  +------------------------+   pre-vote, or on TimeoutNow)  |
 *      |       higher term / leader heard / rejected                |
 *      +------------------- LEADER <-----------------------------------+
 *        higher term,              quorum of votes
 *        no live quorum
 */
#include "core/election.h"

#include "core/rand.h"
#include "core/read.h"
#include "core/replication.h"
#include "util/assert.h"

bool election_promotable(const struct raft_core *core)
{
	/* A voter of the previous configuration stays one while the change
	 * that removes it is not known to be committed (after a restart the
	 * commit index is not known): if it stopped leading before that
	 * change committed, it may be the only node able to finish it (the
	 * others can lack the change and be behind it). Its own vote does
	 * not count in a configuration without it. */
	return core_is_voter(core, core->cfg.id) ||
	       core_previous_role(core, core->cfg.id) == RAFT_VOTER;
}

void election_reset_timeout(struct raft_core *core)
{
	unsigned et = core->cfg.election_ticks;
	core->randomized_timeout =
	    et + (unsigned)rand_below(&core->rand_state, et);
}

void election_tick(struct raft_core *core)
{
	core->election_elapsed++;
	if (election_promotable(core) &&
	    core->election_elapsed >= core->randomized_timeout) {
		core->election_elapsed = 0;
		election_start(core, false);
	}
}

static void reset_votes(struct raft_core *core)
{
	unsigned i;
	for (i = 0; i < core->conf.n; i++) {
		core->prs[i].vote = VOTE_NONE;
	}
}

void election_become_follower(struct raft_core *core, raft_term term,
			      raft_id leader)
{
	CORE_ASSERTF(core, term >= core->term, "term moves back to %llu",
		     (unsigned long long)term);
	if (core->role == RAFT_LEADER) {
		read_fail_all(core);
	}
	if (term > core->term) {
		core->term = term;
		core->vote = 0;
	}
	core->role = RAFT_FOLLOWER;
	core->leader_id = leader;
	core->transfer_to = 0;
	core->election_elapsed = 0;
	election_reset_timeout(core);
	reset_votes(core);
}

static void become_leader(struct raft_core *core)
{
	struct raft_buf empty = {NULL, 0};
	CORE_ASSERTF(core, core->role == RAFT_CANDIDATE,
		     "becomes leader from role %s", raft_role_name(core->role));
	/* The no-op must go in before anything changes: a node that cannot
	 * append it stays a candidate and the election times out. */
	if (log_reserve(&core->log, 1) != 0) {
		return;
	}
	core->role = RAFT_LEADER;
	core->leader_id = core->cfg.id;
	core->election_elapsed = 0;
	core->heartbeat_elapsed = 0;
	core->transfer_to = 0;
	core->committed_in_term = false;
	core->lease_forbidden = false;
	replication_reset_leader(core);
	/* The appends of the no-op start a round of their own: their acks
	 * prove leadership (and give a lease) from now on. */
	core->seq++;
	core->round_ticks[core->seq % ROUND_TICKS] = core->ticks;
	/* A no-op of the new term lets the leader commit everything before
	 * it (section 5.4.2) and learn its commit index for reads (6.4). */
	log_append_ref(&core->log, core->term, RAFT_ENTRY_NOOP, empty);
	core->term_start = log_last_index(&core->log);
	/* A single voter commits on its own as soon as the no-op is durable. */
	replication_maybe_commit(core);
}

/* Counts the answers; returns VOTE_GRANTED or VOTE_REJECTED once a quorum
 * decided, else VOTE_NONE. */
static uint8_t tally(const struct raft_core *core)
{
	unsigned i, granted = 0, rejected = 0, quorum = core_quorum(core);
	for (i = 0; i < core->conf.n; i++) {
		if (core->prs[i].role != RAFT_VOTER) {
			continue;
		}
		granted += core->prs[i].vote == VOTE_GRANTED;
		rejected += core->prs[i].vote == VOTE_REJECTED;
	}
	if (granted >= quorum) {
		return VOTE_GRANTED;
	}
	if (rejected >= quorum) {
		return VOTE_REJECTED;
	}
	return VOTE_NONE;
}

/* Counts this node's own vote, unless it is absent from the configuration
 * in force (its removal is not committed): then it does not count. */
static void count_self(struct raft_core *core)
{
	struct progress *self = core_progress(core, core->cfg.id);
	if (self != NULL) {
		self->vote = VOTE_GRANTED;
	}
}

void election_self_vote_durable(struct raft_core *core)
{
	if (core->role != RAFT_CANDIDATE || core->durable_term != core->term ||
	    core->durable_vote != core->cfg.id) {
		return;
	}
	count_self(core);
	if (tally(core) == VOTE_GRANTED) {
		become_leader(core);
	}
}

static void campaign(struct raft_core *core, bool pre_vote, bool transfer)
{
	unsigned i;
	raft_term term;
	if (pre_vote) {
		/* A pre-candidate changes neither term nor vote: a node that
		 * cannot win does not disrupt the cluster (thesis 9.6). */
		core->role = RAFT_PRE_CANDIDATE;
		term = core->term + 1;
	} else {
		core->role = RAFT_CANDIDATE;
		core->term++;
		core->vote = core->cfg.id;
		term = core->term;
	}
	core->leader_id = 0;
	core->election_elapsed = 0;
	election_reset_timeout(core);
	reset_votes(core);
	/* A real self-vote counts once durable (see
	 * election_self_vote_durable()); a pre-vote binds nothing. */
	if (pre_vote || (core->durable_term == core->term &&
			 core->durable_vote == core->cfg.id)) {
		count_self(core);
	}
	if (tally(core) == VOTE_GRANTED) {
		if (pre_vote) {
			campaign(core, false, transfer);
		} else {
			become_leader(core);
		}
		return;
	}
	for (i = 0; i < core->conf.n; i++) {
		const struct raft_server *s = &core->conf.servers[i];
		struct raft_message m = {0};
		if (s->role != RAFT_VOTER || s->id == core->cfg.id) {
			continue;
		}
		m.type = RAFT_MSG_VOTE;
		m.to = s->id;
		m.term = term;
		m.vote.last_log_index = log_last_index(&core->log);
		m.vote.last_log_term = log_last_term(&core->log);
		m.vote.pre_vote = pre_vote;
		m.vote.transfer = transfer;
		/* A real request leaves only once the self-vote is durable: a
		 * candidate that crashed and forgot it could vote again. */
		core_send(core, &m, !pre_vote);
	}
}

void election_start(struct raft_core *core, bool transfer)
{
	if (!election_promotable(core) || core->role == RAFT_LEADER) {
		return;
	}
	campaign(core, core->cfg.pre_vote && !transfer, transfer);
}

void election_recv_vote(struct raft_core *core, const struct raft_message *m)
{
	const struct raft_msg_vote *v = &m->vote;
	struct raft_message resp = {0};
	raft_term last_term = log_last_term(&core->log);
	bool can_vote, up_to_date;

	/* Section 5.4.1: only a log at least as up to date gets the vote. */
	up_to_date = v->last_log_term > last_term ||
		     (v->last_log_term == last_term &&
		      v->last_log_index >= log_last_index(&core->log));
	can_vote = core->vote == m->from ||
		   (core->vote == 0 && core->leader_id == 0) ||
		   (v->pre_vote && m->term > core->term);
#ifdef RAFT_PLANT_BUG_DOUBLE_VOTE
	/* Planted bug for the simulator's self-test: vote twice in a term. */
	can_vote = true;
#endif
	resp.type = RAFT_MSG_VOTE_RESP;
	resp.to = m->from;
	resp.vote_resp.pre_vote = v->pre_vote;
	if (can_vote && up_to_date) {
		resp.vote_resp.granted = true;
		/* A granted pre-vote answers in the term it asked about. */
		resp.term = m->term;
		if (!v->pre_vote) {
			core->vote = m->from;
			core->election_elapsed = 0;
		}
		/* A vote counts only once it is durable. */
		core_send(core, &resp, !v->pre_vote);
		return;
	}
	resp.term = core->term;
	resp.vote_resp.granted = false;
	core_send(core, &resp, false);
}

void election_recv_vote_resp(struct raft_core *core,
			     const struct raft_message *m)
{
	struct progress *pr;
	bool pre = m->vote_resp.pre_vote;
	uint8_t outcome;
	if (pre) {
		if (core->role != RAFT_PRE_CANDIDATE) {
			return;
		}
		/* Grants come back in term + 1, rejections in our term. */
		if (m->term != core->term + (m->vote_resp.granted ? 1 : 0)) {
			return;
		}
	} else if (core->role != RAFT_CANDIDATE || m->term != core->term) {
		return;
	}
	pr = core_progress(core, m->from);
	if (pr == NULL || pr->role != RAFT_VOTER) {
		return;
	}
	pr->vote = m->vote_resp.granted ? VOTE_GRANTED : VOTE_REJECTED;
	outcome = tally(core);
	if (outcome == VOTE_GRANTED) {
		if (pre) {
			campaign(core, false, false);
		} else {
			become_leader(core);
		}
	} else if (outcome == VOTE_REJECTED) {
		election_become_follower(core, core->term, 0);
	}
}
