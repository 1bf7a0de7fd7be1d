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

int read_request(struct raft_core *core, uint64_t ctx)
{
	struct pending_read *r;
	/* Room for the answer too, so that releasing it cannot fail. */
	if (core->n_done_reads + core->n_reads >= core->cap_done_reads) {
		size_t cap = (core->n_done_reads + core->n_reads + 1) * 2;
		struct raft_read *d =
		    raft_realloc(core->done_reads, cap * sizeof(*d));
		if (d == NULL) {
			return RAFT_ENOMEM;
		}
		core->done_reads = d;
		core->cap_done_reads = cap;
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
	read_check(core);
	return 0;
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
		const struct pending_read *r = &core->reads[done];
		/* Cannot fail: read_request() reserved the room. */
		int rv = push_done(core, r->ctx, r->index, 0);
		RAFT_ASSERT(rv == 0);
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
		int rv =
		    push_done(core, core->reads[i].ctx, 0, RAFT_ELEADERCHANGED);
		RAFT_ASSERT(rv == 0);
	}
	core->n_reads = 0;
}
