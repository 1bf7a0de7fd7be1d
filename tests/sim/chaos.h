/* Randomized runs: chaos (faults and workload), then heal and liveness. */
#ifndef RAFT_SIM_CHAOS_H
#define RAFT_SIM_CHAOS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Liveness after everything heals, in two parts:
 *  - within the election bound there is exactly one leader of the highest
 *    term. Elections time out after [10, 20) ticks. Measured over seeds
 *    1-120000, the slowest election after healing took 46 ticks with
 *    pre-vote (seed 50214: two nodes with stale logs time out together,
 *    split the vote, and their vote requests keep resetting the timer of
 *    the one node whose log can win) and 87 ticks without pre-vote (seed
 *    69519: a node that was cut off returns with a higher term and a stale
 *    log and disrupts elections until it loses the timeout race). The
 *    bounds are twice that: 10 election timeouts with pre-vote, 20
 *    without;
 *  - then a proposal made after healing must be applied on every node, and
 *    until it is, the cluster may not stall: if for CHAOS_STALL_TICKS no
 *    node's role, term, log, commit or applied index moves, nor a leader's
 *    next or match index of a peer, replication is stuck. A node that was
 *    down long may need many round trips to catch up with a one-entry
 *    window, so this part is bounded by progress, not by a fixed time
 *    (CHAOS_CATCHUP_TICKS is only a backstop; the slowest full recovery
 *    seen in seeds 1-120000 took 425 ticks). */
#define CHAOS_ELECTION_TICKS		100
#define CHAOS_ELECTION_TICKS_NO_PREVOTE 200
#define CHAOS_STALL_TICKS		30
#define CHAOS_CATCHUP_TICKS		5000

/* Chaos phase length when not given. */
#define CHAOS_DEFAULT_TICKS 300

/* Membership chaos: the kinds of change a leader is asked for. A
 * replacement removes a voter, then adds a new learner and promotes it
 * (those two count as an add and a promotion too); a removal of the
 * leader itself counts as a removal too. */
enum chaos_change {
	CHAOS_ADD,
	CHAOS_PROMOTE,
	CHAOS_REMOVE,
	CHAOS_REMOVE_LEADER,
	CHAOS_REPLACE,
	CHAOS_N_CHANGES
};

/* Room for the refusal counts, by -code (RAFT_E* are small negatives). */
#define CHAOS_N_CODES 32

struct chaos_membership {
	/* Asked, accepted by the core (a CONF entry appended), and whose
	 * entry is in the committed history at the end of the run; for a
	 * replacement: asked and accepted count its removal, committed its
	 * new voter's promotion. */
	uint64_t asked[CHAOS_N_CHANGES];
	uint64_t accepted[CHAOS_N_CHANGES];
	uint64_t committed[CHAOS_N_CHANGES];
	uint64_t transfers_asked, transfers_started;
	uint64_t refused[CHAOS_N_CODES]; /* every change or transfer */
	uint64_t nodes_added;		 /* nodes created by an accepted add */
	uint64_t exiled; /* removed nodes whose links were cut */
};

struct chaos_options {
	uint64_t seed;
	unsigned n_nodes;    /* 0: the seed chooses 3 or 5 */
	unsigned ticks;	     /* chaos phase; 0: CHAOS_DEFAULT_TICKS */
	FILE *trace;	     /* NULL: no transcript */
	bool no_commit_rule; /* see cluster_options */
	bool no_membership;  /* no membership changes at all */
};

struct chaos_result {
	bool ok;
	unsigned n_nodes;
	uint64_t failed_at; /* step of the failure */
	char why[1100];
	/* Statistics of a passing run. */
	unsigned recovery_ticks; /* from heal to the liveness condition */
	unsigned election_ticks; /* from heal to one leader of the top term */
	bool pre_vote;
	uint64_t committed; /* length of the committed history */
	uint64_t max_term;
	uint64_t reads_ok;
	uint64_t lease_reads, wait_free_reads, follower_reads;
	/* Snapshots taken, streams started and lost, installs, restarts
	 * from a snapshot (and of those, with a log kept before it). */
	uint64_t snapshots_taken, snap_sent, snap_lost, installs;
	uint64_t snap_deposed; /* streams that ended after a leader change */
	uint64_t snapshot_restarts, margin_restarts;
	struct chaos_membership membership;
};

/* Runs one seed. */
void chaos_run(const struct chaos_options *o, struct chaos_result *r);

#endif /* RAFT_SIM_CHAOS_H */
