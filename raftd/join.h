/* raftd --join: learning the cluster's current members before joining. */
#ifndef RAFT_RAFTD_JOIN_H
#define RAFT_RAFTD_JOIN_H

#include "raft/core.h"

/* A joining member answers only the members it knows the peer address of
 * until the leader's configuration reaches it, and the leader may be a
 * member added after --initial-cluster was written. So the list is taken
 * as seeds: their HTTP APIs (the client URLs in the addresses of members)
 * are asked for the current member list (GET /v1/members, within
 * timeout_ms), whose members are added to members, or replace the entries
 * of the same id. Member self is left as it is. Never fails: when no seed
 * answers, members is left alone and a warning says so. */
void join_learn_members(struct raft_configuration *members, raft_id self,
			unsigned timeout_ms);

#endif /* RAFT_RAFTD_JOIN_H */
