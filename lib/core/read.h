/* ReadIndex: linearizable read points confirmed by a heartbeat round. */
#ifndef RAFT_CORE_READ_H
#define RAFT_CORE_READ_H

#include "core/core.h"

/* Queues a read (leader only): a local one (from 0) or a follower's.
 * Errors: RAFT_ENOMEM. */
int read_request(struct raft_core *core, uint64_t ctx, raft_id from);

/* raft_core_read_lease(). */
int read_lease(const struct raft_core *core, raft_index *index,
	       raft_index *term_start);

/* A follower sends its read to the leader. Errors: RAFT_ENOTLEADER (no
 * leader known), RAFT_ENOMEM. */
int read_follower_request(struct raft_core *core, uint64_t ctx);

/* The leader got a follower's read; the follower got the answer. */
void read_recv_request(struct raft_core *core, const struct raft_message *m);
void read_recv_response(struct raft_core *core, const struct raft_message *m);

/* Follower reads unanswered for an election timeout fail. */
void read_tick(struct raft_core *core);

/* Releases the reads whose round a quorum acknowledged. */
void read_check(struct raft_core *core);

/* The leader committed its first entry: reads waiting for it learn their
 * index. */
void read_on_commit_in_term(struct raft_core *core);

/* Leadership is lost: every pending read fails. */
void read_fail_all(struct raft_core *core);

#endif /* RAFT_CORE_READ_H */
