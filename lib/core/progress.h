/* A leader's view of one member: how far its log matches, what is in
 * flight to it, and whether it was heard from lately. */
#ifndef RAFT_CORE_PROGRESS_H
#define RAFT_CORE_PROGRESS_H

#include <stdbool.h>

#include "raft/core.h"

/* The AppendEntries in flight to one follower, oldest first: a ring of the
 * last index and the entry bytes of each. */
struct inflight {
	raft_index last;
	size_t bytes;
};

struct inflights {
	struct inflight *buf;
	unsigned start;
	unsigned count;
	unsigned cap;
	size_t bytes;
};

/* Vote tally values. */
enum { VOTE_NONE = 0, VOTE_GRANTED = 1, VOTE_REJECTED = 2 };

struct progress {
	raft_id id;
	uint8_t role;	 /* enum raft_server_role */
	uint8_t state;	 /* enum raft_progress_state */
	uint8_t vote;	 /* VOTE_*: this election's answer from this member */
	bool probe_sent; /* PROBE: one AppendEntries is out, wait */
	bool recent_active;  /* heard from since the last quorum check */
	uint64_t heard_tick; /* core tick + 1 when last heard from; 0: never */
	raft_index match;    /* highest index known to match the leader's log */
	raft_index next;     /* next index to send */
	raft_index sent_commit; /* commit index last sent to it */
	uint64_t acked_seq;	/* highest heartbeat round it acknowledged */
	uint64_t progress_tick; /* tick of the last send or match progress */
	raft_index pending_snapshot; /* SNAPSHOT: the index being sent */
	struct inflights inflights;
};

/* Errors: RAFT_ENOMEM. */
int progress_init(struct progress *pr, raft_id id, uint8_t role,
		  unsigned max_inflight);
void progress_close(struct progress *pr);

/* Back to the state a new leader gives every follower: PROBE from
 * last_index + 1, nothing known to match. */
void progress_reset(struct progress *pr, raft_index last_index);

void progress_become_probe(struct progress *pr);
void progress_become_replicate(struct progress *pr);

/* A snapshot at index is being sent: appends wait until it is done. */
void progress_become_snapshot(struct progress *pr, raft_index index);

/* Whether nothing more may be sent now: a probe is out, or the in-flight
 * window is full (by count, or by bytes when max_bytes > 0). */
bool progress_is_paused(const struct progress *pr, size_t max_bytes);

/* The follower matched up to index. Returns whether match moved. */
bool progress_maybe_update(struct progress *pr, raft_index index);

/* The follower rejected prev_index `rejected`; `hint` is the highest index
 * that may match. Returns false if the rejection is stale (ignore it). */
bool progress_maybe_decr(struct progress *pr, raft_index rejected,
			 raft_index hint);

/* An AppendEntries with entries up to `last` (bytes of payload) left. */
void progress_sent(struct progress *pr, raft_index last, size_t bytes,
		   unsigned n_entries);

/* Forgets the in-flight messages up to index (they were acknowledged). */
void progress_free_to(struct progress *pr, raft_index index);

#endif /* RAFT_CORE_PROGRESS_H */
