/* Log replication: AppendEntries both ways, heartbeats, commit. */
#ifndef RAFT_CORE_REPLICATION_H
#define RAFT_CORE_REPLICATION_H

#include "core/core.h"

/* A new leader's progress table: everyone probes from last index + 1. */
void replication_reset_leader(struct raft_core *core);

/* One tick for a leader: heartbeats, the check-quorum step-down, the
 * transfer timeout. */
void replication_tick(struct raft_core *core);

/* Starts a new heartbeat round (seq + 1) to every other member. */
void replication_heartbeat_round(struct raft_core *core);

/* Sends what each follower's window allows (entries, or an empty
 * AppendEntries carrying a new commit index). Called when a ready batch is
 * built, so all proposals since the last batch travel together. */
void replication_flush(struct raft_core *core);

/* Whether replication_flush() would send anything. */
bool replication_needs_flush(const struct raft_core *core);

/* Commits the highest index stored on a quorum, if it is of the current
 * term (Raft section 5.4.2). Returns whether commit moved. */
bool replication_maybe_commit(struct raft_core *core);

/* Handlers, for messages of the current term. Errors (append and
 * heartbeat): RAFT_ENOMEM, RAFT_EPROTO (a CONF entry that does not decode,
 * a second leader in our term, a change to a committed entry); the message
 * is then dropped and state is unchanged. */
int replication_recv_append(struct raft_core *core,
			    const struct raft_message *m);
void replication_recv_append_resp(struct raft_core *core,
				  const struct raft_message *m);
int replication_recv_heartbeat(struct raft_core *core,
			       const struct raft_message *m);
int replication_recv_snapshot(struct raft_core *core,
			      const struct raft_message *m);
void replication_recv_heartbeat_resp(struct raft_core *core,
				     const struct raft_message *m);

#endif /* RAFT_CORE_REPLICATION_H */
