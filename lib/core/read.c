/* ReadIndex (thesis section 6.4): a read is served at the commit index the
 * leader had when the read came in, once a quorum acknowledged a heartbeat
 * round that left after it, which proves no newer leader existed then.
 * Reads that arrive while one round waits to be sent share that round. */
#include "core/read.h"

#include "core/replication.h"
#include "util/assert.h"
#include "util/heap.h"

static int push_done(struct raft_core *core, uint64_t ctx, raft_index index,
		     int status)
{
	if (core->n_done_reads == core->cap_done_reads) {
		size_t cap =
		    core->cap_done_reads ? core->cap_done_reads * 2 : 16;
		struct raft_read *r =
		    raft_realloc(core->done_reads, cap * sizeof(*r));
		if (r == NULL) {
			return RAFT_ENOMEM;
		}
		core->done_reads = r;
		core->cap_done_reads = cap;
	}
	core->done_reads[core->n_done_reads++] =
	    (struct raft_read){.ctx = ctx, .index = index, .status = status};
	return 0;
}

/* Room for one more answer, so that releasing a read cannot fail. */
static int reserve_done(struct raft_core *core)
{
	size_t want = core->n_done_reads + core->n_reads + core->n_freads + 1;
	if (want > core->cap_done_reads) {
		size_t cap = want * 2;
		struct raft_read *d =
		    raft_realloc(core->done_reads, cap * sizeof(*d));
		if (d == NULL) {
			return RAFT_ENOMEM;
		}
		core->done_reads = d;
		core->cap_done_reads = cap;
	}
	return 0;
}

int read_request(struct raft_core *core, uint64_t ctx, raft_id from)
{
	struct pending_read *r;
	/* Room for the answer too, so that releasing it cannot fail. */
	if (from == 0 && reserve_done(core) != 0) {
		return RAFT_ENOMEM;
	}
	if (core->n_reads == core->cap_reads) {
		size_t cap = core->cap_reads ? core->cap_reads * 2 : 16;
		r = raft_realloc(core->reads, cap * sizeof(*r));
		if (r == NULL) {
			return RAFT_ENOMEM;
		}
		core->reads = r;
		core->cap_reads = cap;
	}
	if (!core->round_unsent) {
		replication_heartbeat_round(core);
	}
	r = &core->reads[core->n_reads++];
	r->ctx = ctx;
	r->index = core->committed_in_term ? core->commit : 0;
	r->seq = core->seq;
	r->from = from;
	read_check(core);
	return 0;
}

/* Answers a follower's read. */
static void answer(struct raft_core *core, raft_id to, uint64_t ctx,
		   raft_index index, bool ok)
{
	struct raft_message m = {0};
	m.type = RAFT_MSG_READ_INDEX_RESP;
	m.to = to;
	m.term = core->term;
	m.read_index_resp.ctx = ctx;
	m.read_index_resp.index = index;
	m.read_index_resp.ok = ok;
	core_send(core, &m, false);
}

/* The end of a read: a local one comes out in the next batch, a
 * follower's goes back to it. */
static void release(struct raft_core *core, const struct pending_read *r,
		    int status)
{
	if (status == 0 && r->index > core->read_floor) {
		core->read_floor = r->index;
	}
	if (r->from != 0) {
		answer(core, r->from, r->ctx, r->index, status == 0);
	} else {
		/* Cannot fail: read_request() reserved the room. */
		int rv =
		    push_done(core, r->ctx, status == 0 ? r->index : 0, status);
		RAFT_ASSERT(rv == 0);
	}
}

/* The highest heartbeat round acknowledged by a quorum of voters (the
 * leader acknowledges every round it sends). */
static uint64_t quorum_seq(const struct raft_core *core)
{
	uint64_t best = 0;
	unsigned i, j, quorum = core_quorum(core);
	for (i = 0; i < core->conf.n; i++) {
		const struct progress *pi = &core->prs[i];
		uint64_t candidate;
		unsigned count = 0;
		if (pi->role != RAFT_VOTER) {
			continue;
		}
		candidate = pi->id == core->cfg.id ? core->seq : pi->acked_seq;
		if (candidate <= best) {
			continue;
		}
		for (j = 0; j < core->conf.n; j++) {
			const struct progress *pj = &core->prs[j];
			uint64_t s =
			    pj->id == core->cfg.id ? core->seq : pj->acked_seq;
			count += pj->role == RAFT_VOTER && s >= candidate;
		}
		if (count >= quorum) {
			best = candidate;
		}
	}
	return best;
}

void read_check(struct raft_core *core)
{
	size_t done = 0, i;
	uint64_t acked;
	if (core->n_reads == 0 || core->role != RAFT_LEADER) {
		return;
	}
	acked = quorum_seq(core);
	/* Reads are queued in arrival order, so rounds and indexes only grow
	 * along the queue: release its confirmed head. */
	while (done < core->n_reads && core->reads[done].index != 0 &&
	       core->reads[done].seq <= acked) {
		release(core, &core->reads[done], 0);
		done++;
	}
	for (i = done; i < core->n_reads; i++) {
		core->reads[i - done] = core->reads[i];
	}
	core->n_reads -= done;
}

void read_on_commit_in_term(struct raft_core *core)
{
	size_t i;
	for (i = 0; i < core->n_reads; i++) {
		if (core->reads[i].index == 0) {
			core->reads[i].index = core->commit;
		}
	}
	read_check(core);
}

void read_fail_all(struct raft_core *core)
{
	size_t i;
	for (i = 0; i < core->n_reads; i++) {
		release(core, &core->reads[i], RAFT_ELEADERCHANGED);
	}
	core->n_reads = 0;
}

/* ------------------------------------------------------------------------
 * Lease reads
 * ------------------------------------------------------------------------ */

int read_lease(const struct raft_core *core, raft_index *index,
	       raft_index *term_start)
{
	unsigned et = core->cfg.election_ticks;
	unsigned drift = core->cfg.clock_drift_ticks;
	uint64_t seq, sent;
	if (core->role != RAFT_LEADER) {
		return RAFT_ENOTLEADER;
	}
	if (!core->cfg.check_quorum || drift + 1 >= et ||
	    !core->committed_in_term || core->lease_forbidden ||
	    core->transfer_to != 0) {
		return RAFT_EBUSY;
	}
	seq = quorum_seq(core);
	if (seq == 0 || seq + ROUND_TICKS <= core->seq) {
		return RAFT_EBUSY;
	}
	/* Followers that acknowledged round seq heard this leader after it
	 * started, and refuse votes for an election timeout of their clock
	 * from then (leader stickiness). */
	sent = core->round_ticks[seq % ROUND_TICKS];
	if (core->ticks >= sent + (et - drift - 1)) {
		return RAFT_EBUSY;
	}
	*index = core->commit;
	*term_start = core->term_start > core->read_floor ? core->term_start
							  : core->read_floor;
	return 0;
}

/* ------------------------------------------------------------------------
 * Follower reads
 * ------------------------------------------------------------------------ */

int read_follower_request(struct raft_core *core, uint64_t ctx)
{
	struct raft_message m = {0};
	struct follower_read *f;
	if (core->leader_id == 0 || core->role != RAFT_FOLLOWER) {
		return RAFT_ENOTLEADER;
	}
	if (reserve_done(core) != 0) {
		return RAFT_ENOMEM;
	}
	if (core->n_freads == core->cap_freads) {
		size_t cap = core->cap_freads ? core->cap_freads * 2 : 16;
		f = raft_realloc(core->freads, cap * sizeof(*f));
		if (f == NULL) {
			return RAFT_ENOMEM;
		}
		core->freads = f;
		core->cap_freads = cap;
	}
	f = &core->freads[core->n_freads++];
	f->ctx = ctx;
	f->tick = core->ticks;
	m.type = RAFT_MSG_READ_INDEX;
	m.to = core->leader_id;
	m.term = core->term;
	m.read_index.ctx = ctx;
	core_send(core, &m, false);
	return 0;
}

void read_recv_request(struct raft_core *core, const struct raft_message *m)
{
	if (core->role != RAFT_LEADER ||
	    read_request(core, m->read_index.ctx, m->from) != 0) {
		answer(core, m->from, m->read_index.ctx, 0, false);
	}
}

/* Ends the follower read at i with this answer. */
static void fread_done(struct raft_core *core, size_t i, raft_index index,
		       int status)
{
	int rv = push_done(core, core->freads[i].ctx, index, status);
	RAFT_ASSERT(rv == 0); /* reserved */
	core->freads[i] = core->freads[--core->n_freads];
}

void read_recv_response(struct raft_core *core, const struct raft_message *m)
{
	const struct raft_msg_read_index_resp *r = &m->read_index_resp;
	size_t i;
	for (i = 0; i < core->n_freads; i++) {
		if (core->freads[i].ctx == r->ctx) {
			fread_done(core, i, r->ok ? r->index : 0,
				   r->ok ? 0 : RAFT_ELEADERCHANGED);
			return;
		}
	}
}

void read_tick(struct raft_core *core)
{
	size_t i = 0;
	while (i < core->n_freads) {
		if (core->ticks - core->freads[i].tick >=
		    core->cfg.election_ticks) {
			fread_done(core, i, 0, RAFT_ETIMEDOUT);
		} else {
			i++;
		}
	}
}
