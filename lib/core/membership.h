/* Membership changes: see include/raft/core.h. */
#ifndef RAFT_CORE_MEMBERSHIP_H
#define RAFT_CORE_MEMBERSHIP_H

#include "core/core.h"

/* Whether the member answered within the last election timeout. */
bool membership_heard_recently(const struct raft_core *core,
			       const struct progress *pr);

/* After the commit index moved: a leader that the committed
 * configuration no longer counts as a voter hands over and steps down. */
void membership_check_removed(struct raft_core *core);

#endif /* RAFT_CORE_MEMBERSHIP_H */
