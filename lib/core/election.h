/* Leader election: timeouts, pre-vote, votes, role changes. */
#ifndef RAFT_CORE_ELECTION_H
#define RAFT_CORE_ELECTION_H

#include "core/core.h"

/* Whether this node may campaign: it is a voter of the configuration. */
bool election_promotable(const struct raft_core *core);

/* Picks a new random election timeout in [ET, 2ET). */
void election_reset_timeout(struct raft_core *core);

/* One tick for a follower or candidate: campaign when the timeout expires. */
void election_tick(struct raft_core *core);

/* Starts an election: a pre-vote round first when configured (unless
 * `transfer`, which also bypasses the voters' leader stickiness). */
void election_start(struct raft_core *core, bool transfer);

/* Becomes a follower in `term` (clearing the vote if the term moves)
 * following `leader` (0: unknown). A leader that steps down fails its
 * pending reads and stops any transfer. */
void election_become_follower(struct raft_core *core, raft_term term,
			      raft_id leader);

/* Handlers of vote requests and answers in the current term (or, for
 * pre-votes, the next). */
void election_recv_vote(struct raft_core *core, const struct raft_message *m);
void election_recv_vote_resp(struct raft_core *core,
			     const struct raft_message *m);

/* The runtime reported the hard state durable: a candidate now counts its
 * own vote (and a single voter wins). */
void election_self_vote_durable(struct raft_core *core);

#endif /* RAFT_CORE_ELECTION_H */
