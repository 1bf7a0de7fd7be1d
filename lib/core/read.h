/* ReadIndex: linearizable read points confirmed by a heartbeat round. */
#ifndef RAFT_CORE_READ_H
#define RAFT_CORE_READ_H

#include "core/core.h"

/* Queues a read (leader only). Errors: RAFT_ENOMEM. */
int read_request(struct raft_core *core, uint64_t ctx);

/* Releases the reads whose round a quorum acknowledged. */
void read_check(struct raft_core *core);

/* The leader committed its first entry: reads waiting for it learn their
 * index. */
void read_on_commit_in_term(struct raft_core *core);

/* Leadership is lost: every pending read fails. */
void read_fail_all(struct raft_core *core);

#endif /* RAFT_CORE_READ_H */
