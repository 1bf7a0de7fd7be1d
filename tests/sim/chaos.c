/* Randomized runs: chaos (faults and workload), then heal and liveness.
 *
 * Everything below is drawn from the cluster's one PRNG, in a fixed order,
 * so a seed replays exactly. The seed first chooses a plan (cluster size,
 * core knobs, how bad the network and disks are, how often nodes crash or
 * get partitioned), then each tick draws the events of that tick. */
#include "chaos.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"

/* The fault and workload mix of one seed. Rates are in parts per million
 * per tick (events) or per step (workload). */
struct plan {
	unsigned n_nodes;
	unsigned ticks;
	struct cluster_options copts;
	struct net_faults faults;
	unsigned disk_max;
	unsigned partition_ppm;
	unsigned partition_min, partition_max; /* ticks */
	unsigned crash_ppm;
	unsigned down_min, down_max; /* ticks */
	unsigned max_down;	     /* nodes down at once */
	unsigned slow_ppm;
	/* A leader elected at most CHURN_TICKS ago crashes: short reigns
	 * leave new leaders with old-term entries on only some followers. */
	unsigned churn_ppm;
	unsigned propose_ppm; /* per step */
	unsigned max_batch;
	unsigned read_ppm;     /* per step */
	unsigned transfer_ppm; /* per tick */
	/* Snapshots: how often a node's state machine saves one (per
	 * tick), the largest trailing margin it keeps, and how often a
	 * snapshot stream breaks or takes long. */
	unsigned snapshot_ppm;
	unsigned max_trailing;
	unsigned snap_fail_ppm;
	unsigned snap_long_ppm;
};

/* Picks one of the values with equal odds. */
static unsigned pick(struct rng *r, const unsigned *values, size_t n)
{
	return values[rng_below(r, n)];
}

#define PICK(r, ...)                               \
	pick((r), (const unsigned[]){__VA_ARGS__}, \
	     sizeof((const unsigned[]){__VA_ARGS__}) / sizeof(unsigned))

static void make_plan(struct rng *r, const struct chaos_options *o,
		      struct plan *p)
{
	memset(p, 0, sizeof *p);
	unsigned n = rng_below(r, 2) ? 5 : 3;
	p->n_nodes = o->n_nodes != 0 ? o->n_nodes : n;
	p->ticks = o->ticks != 0 ? o->ticks : CHAOS_DEFAULT_TICKS;

	struct cluster_options *co = &p->copts;
	cluster_options_defaults(co, o->seed, p->n_nodes);
	co->trace = o->trace;
	co->no_commit_rule = o->no_commit_rule;
	/* Small windows and batches make pipelining, probing and partial
	 * replication (a follower that has some but not all of a new
	 * leader's entries) common. */
	if (rng_ppm(r, 350000)) {
		co->max_inflight_msgs = (unsigned)rng_range(r, 1, 4);
	}
	if (rng_ppm(r, 450000)) {
		co->max_append_entries = (unsigned)rng_range(r, 1, 3);
	}
	if (rng_ppm(r, 150000)) {
		co->max_append_bytes = (size_t)rng_range(r, 1, 40);
	}
	if (rng_ppm(r, 150000)) {
		co->max_inflight_bytes = (size_t)rng_range(r, 16, 256);
	}
	if (rng_ppm(r, 100000)) {
		co->pre_vote = false;
	}
	if (rng_ppm(r, 100000)) {
		co->check_quorum = false;
	}

	net_faults_none(&p->faults, SIM_STEPS_PER_TICK);
	p->faults.drop_ppm = PICK(r, 0, 0, 10000, 50000, 100000, 200000);
	p->faults.dup_ppm = PICK(r, 0, 0, 10000, 50000);
	p->faults.delay_max = PICK(r, SIM_STEPS_PER_TICK / 2,
				   SIM_STEPS_PER_TICK, 2 * SIM_STEPS_PER_TICK);
	p->faults.long_delay_ppm = PICK(r, 0, 10000, 50000);
	p->faults.long_delay_max =
	    (unsigned)rng_range(r, 3, 6) * SIM_STEPS_PER_TICK;
	p->faults.fifo = rng_below(r, 2) == 0;
	p->disk_max = (unsigned)rng_range(r, 1, 8);

	p->partition_ppm = PICK(r, 0, 10000, 20000, 40000);
	p->partition_min = 5;
	p->partition_max = PICK(r, 30, 60, 100);
	p->crash_ppm = PICK(r, 0, 5000, 15000, 30000);
	p->down_min = 1;
	p->down_max = PICK(r, 10, 40, 80);
	p->max_down = p->n_nodes == 5 ? (unsigned)rng_range(r, 1, 3)
				      : (unsigned)rng_range(r, 1, 2);
	p->slow_ppm = PICK(r, 0, 0, 5000, 20000);
	p->churn_ppm = PICK(r, 0, 0, 100000, 300000);
	p->propose_ppm = PICK(r, 20000, 50000, 100000);
	p->max_batch = PICK(r, 1, 3, 8);
	p->read_ppm = PICK(r, 0, 10000, 30000);
	p->transfer_ppm = PICK(r, 0, 5000, 20000);
	p->snapshot_ppm = PICK(r, 0, 20000, 60000, 150000);
	p->max_trailing = PICK(r, 0, 2, 10, 50);
	p->snap_fail_ppm = PICK(r, 0, 0, 100000, 300000);
	p->snap_long_ppm = PICK(r, 0, 100000, 300000);
}

/* ---- partitions --------------------------------------------------------- */

static void shuffle(struct rng *r, unsigned *ids, unsigned n)
{
	for (unsigned i = n - 1; i > 0; i--) {
		unsigned j = (unsigned)rng_below(r, i + 1);
		unsigned t = ids[i];
		ids[i] = ids[j];
		ids[j] = t;
	}
}

static void start_partition(struct cluster *c)
{
	unsigned n = c->n;
	unsigned ids[SIM_MAX_NODES];
	raft_id leader = cluster_leader(c);

	for (unsigned i = 0; i < n; i++) {
		ids[i] = i + 1;
	}
	shuffle(&c->rng, ids, n);
	net_connect_all(&c->net);
	switch (rng_below(&c->rng, 5)) {
	case 0: {
		/* One node alone; the leader half of the time. */
		unsigned victim = ids[0];
		if (leader != 0 && rng_below(&c->rng, 2) == 0) {
			victim = (unsigned)leader;
		}
		cluster_isolate(c, victim);
		break;
	}
	case 1: {
		/* Two sides, cut both ways. */
		unsigned k = (unsigned)rng_range(&c->rng, 1, n - 1);
		char desc[64] = "";
		size_t len = 0;
		for (unsigned i = 0; i < k; i++) {
			len += (size_t)snprintf(desc + len, sizeof desc - len,
						" n%u", ids[i]);
			for (unsigned j = k; j < n; j++) {
				net_set_cut_both(&c->net, ids[i], ids[j], true);
			}
		}
		cluster_trace(c, 0, "PARTITION symmetric {%s } | rest", desc);
		break;
	}
	case 2: {
		/* One-way cuts: `to` stops hearing `from`. */
		unsigned k = (unsigned)rng_range(&c->rng, 1, n);
		for (unsigned i = 0; i < k; i++) {
			unsigned from = (unsigned)rng_range(&c->rng, 1, n);
			unsigned to = (unsigned)rng_range(&c->rng, 1, n);
			if (from == to) {
				continue;
			}
			net_set_cut(&c->net, from, to, true);
			cluster_trace(c, 0,
				      "PARTITION asymmetric n%u cannot hear "
				      "n%u",
				      to, from);
		}
		break;
	}
	case 3: {
		/* A follower that cannot hear the leader (but is heard). */
		unsigned f = ids[0];
		if (leader == 0 || f == leader) {
			f = ids[1];
		}
		if (leader != 0) {
			net_set_cut(&c->net, (unsigned)leader, f, true);
			cluster_trace(c, 0,
				      "PARTITION asymmetric n%u cannot hear "
				      "leader n%" PRIu64,
				      f, leader);
		}
		break;
	}
	default: {
		/* Bridge: two halves that only talk through ids[0]. */
		unsigned half = 1 + (n - 1) / 2;
		for (unsigned i = 1; i < half; i++) {
			for (unsigned j = half; j < n; j++) {
				net_set_cut_both(&c->net, ids[i], ids[j], true);
			}
		}
		cluster_trace(c, 0,
			      "PARTITION bridge through n%u (halves of %u "
			      "and %u)",
			      ids[0], half - 1, n - half);
		break;
	}
	}
}

/* ---- one tick of events, one step of workload --------------------------- */

/* Most uncommitted entries a leader is given before it commits some. */
#define CHAOS_MAX_BACKLOG 64

struct chaos {
	struct cluster *c;
	struct plan *p;
	uint64_t partition_end; /* step; 0: no partition */
	raft_id leader;		/* the leader seen last tick, and since when */
	raft_term leader_term;
	uint64_t leader_since;
};

/* How young a leader the churn fault crashes, in ticks. */
#define CHURN_TICKS 3

static unsigned n_down(const struct cluster *c)
{
	unsigned k = 0;
	for (unsigned i = 1; i <= c->n; i++) {
		k += !cluster_is_up(c, i);
	}
	return k;
}

/* A random node's state machine saves a snapshot: at its applied index or
 * between its last snapshot and it, with a random trailing margin (none a
 * third of the time, so that followers really need the snapshot). Now and
 * then the index is one the core must refuse. */
static void take_snapshot(struct chaos *ch)
{
	struct cluster *c = ch->c;
	struct rng *r = &c->rng;
	raft_id id = rng_range(r, 1, c->n);
	const struct node *n = &c->nodes[id];
	raft_index snap = cluster_snapshot_index(c, id);
	raft_index index, trailing = 0;

	if (!cluster_is_up(c, id)) {
		return;
	}
	if (rng_below(r, 16) == 0) {
		index = snap > 0 && rng_below(r, 2) == 0
			    ? rng_range(r, 1, snap)
			    : n->applied + rng_range(r, 1, 3);
	} else if (n->applied > snap) {
		index = rng_below(r, 2) == 0
			    ? n->applied
			    : rng_range(r, snap + 1, n->applied);
		if (rng_below(r, 3) != 0) {
			trailing = rng_range(r, 0, ch->p->max_trailing);
		}
	} else {
		return;
	}
	cluster_take_snapshot(c, id, index, trailing);
}

static void tick_events(struct chaos *ch)
{
	struct cluster *c = ch->c;
	struct plan *p = ch->p;
	struct rng *r = &c->rng;

	if (ch->partition_end != 0 && c->now >= ch->partition_end) {
		ch->partition_end = 0;
		cluster_connect_all(c);
	}
	if (ch->partition_end == 0 && p->partition_ppm > 0 &&
	    rng_ppm(r, p->partition_ppm)) {
		start_partition(c);
		ch->partition_end =
		    c->now + rng_range(r, p->partition_min, p->partition_max) *
				 SIM_STEPS_PER_TICK;
	}
	raft_id l = cluster_leader(c);
	if (l != ch->leader ||
	    (l != 0 && c->nodes[l].term != ch->leader_term)) {
		ch->leader = l;
		ch->leader_term = l != 0 ? c->nodes[l].term : 0;
		ch->leader_since = c->now;
	}
	if (l != 0 && p->churn_ppm > 0 &&
	    c->now - ch->leader_since <= CHURN_TICKS * SIM_STEPS_PER_TICK &&
	    n_down(c) < p->max_down && rng_ppm(r, p->churn_ppm)) {
		/* Back soon: a crashed young leader whose own entries reached
		 * nobody is what a Figure 8 history needs next. */
		cluster_crash(c, l);
		c->nodes[l].restart_at =
		    c->now + rng_range(r, 1, 5 * SIM_STEPS_PER_TICK);
	}
	if (p->crash_ppm > 0 && rng_ppm(r, p->crash_ppm) &&
	    n_down(c) < p->max_down) {
		raft_id victim = cluster_leader(c);
		if (victim == 0 || rng_below(r, 2) == 0) {
			victim = rng_range(r, 1, c->n);
		}
		if (cluster_is_up(c, victim)) {
			cluster_crash(c, victim);
			/* Restarts land on any step, not only on ticks. */
			c->nodes[victim].restart_at =
			    c->now +
			    rng_range(r, p->down_min, p->down_max) *
				SIM_STEPS_PER_TICK +
			    rng_below(r, SIM_STEPS_PER_TICK);
		}
	}
	if (p->slow_ppm > 0 && rng_ppm(r, p->slow_ppm)) {
		raft_id id = rng_range(r, 1, c->n);
		cluster_set_slow(c, id, !c->nodes[id].slow);
	}
	if (p->snapshot_ppm > 0 && rng_ppm(r, p->snapshot_ppm)) {
		take_snapshot(ch);
	}
	if (p->transfer_ppm > 0 && rng_ppm(r, p->transfer_ppm)) {
		raft_id leader = cluster_leader(c);
		raft_id to = rng_below(r, 2) ? 0 : rng_range(r, 1, c->n);
		if (leader != 0) {
			int rv = cluster_transfer(c, leader, to);
			if (rv != 0 && rv != RAFT_ENOTLEADER &&
			    rv != RAFT_EBUSY && rv != RAFT_EINVAL &&
			    rv != RAFT_ENOTFOUND) {
				cluster_fail(c,
					     "transfer_leader on n%" PRIu64
					     " to n%" PRIu64 ": unexpected %s",
					     leader, to, raft_err_name(rv));
			}
		}
	}
}

/* A live node that believes it is leader, chosen at random (two may
 * believe it in different terms), or 0. */
static raft_id random_leader(struct cluster *c)
{
	raft_id ids[SIM_MAX_NODES];
	unsigned k = 0;
	for (unsigned i = 1; i <= c->n; i++) {
		if (cluster_is_up(c, i) && c->nodes[i].role == RAFT_LEADER) {
			ids[k++] = i;
		}
	}
	return k > 0 ? ids[rng_below(&c->rng, k)] : 0;
}

static void step_workload(struct chaos *ch)
{
	struct cluster *c = ch->c;
	struct plan *p = ch->p;
	struct rng *r = &c->rng;

	if (rng_ppm(r, p->propose_ppm)) {
		raft_id id = random_leader(c);
		/* Now and then ask a node that may not be leader, so the
		 * refusal path runs too. */
		if (id == 0 || rng_below(r, 10) == 0) {
			id = rng_range(r, 1, c->n);
		}
		unsigned count = (unsigned)rng_range(r, 1, p->max_batch);
		const struct node *n = &c->nodes[id];
		/* Clients wait for their writes: a leader with a long queue
		 * of uncommitted entries gets no more (open-loop load would
		 * only measure the window size, not find bugs). */
		if (n->role == RAFT_LEADER &&
		    n->last_index - n->commit >= CHAOS_MAX_BACKLOG) {
			count = 0;
		}
		for (unsigned i = 0; i < count && !c->failed; i++) {
			char data[48];
			snprintf(data, sizeof data, "s%" PRIu64 "-%" PRIu64,
				 c->seed, ++c->n_proposed);
			int rv = cluster_propose(c, id, data, NULL, NULL);
			if (rv == RAFT_ENOTLEADER || rv == RAFT_EBUSY) {
				break;
			}
			if (rv != 0) {
				cluster_fail(
				    c, "propose on n%" PRIu64 ": unexpected %s",
				    id, raft_err_name(rv));
			}
		}
	}
	if (p->read_ppm > 0 && rng_ppm(r, p->read_ppm)) {
		raft_id id = random_leader(c);
		if (id != 0) {
			int rv = cluster_read_index(c, id, NULL);
			if (rv != 0 && rv != RAFT_ENOTLEADER) {
				cluster_fail(c,
					     "read_index on n%" PRIu64
					     ": unexpected %s",
					     id, raft_err_name(rv));
			}
		}
	}
}

/* ---- heal and liveness -------------------------------------------------- */

static void heal(struct cluster *c)
{
	cluster_trace(c, 0,
		      "HEAL: all links up, no loss, no slow node, "
		      "every node up");
	cluster_set_filter(c, NULL, NULL);
	net_connect_all(&c->net);
	net_faults_none(&c->net.faults, SIM_STEPS_PER_TICK);
	c->snap_fail_ppm = 0;
	c->snap_long_ppm = 0;
	for (unsigned i = 1; i <= c->n; i++) {
		if (c->nodes[i].slow) {
			cluster_set_slow(c, i, false);
		}
	}
	for (unsigned i = 1; i <= c->n && !c->failed; i++) {
		if (!cluster_is_up(c, i)) {
			cluster_restart(c, i);
		}
	}
}

/* Exactly one leader at the highest term, and one post-heal proposal
 * applied on every node. */
static bool live(const struct cluster *c)
{
	uint64_t mask = ~UINT64_C(0);
	raft_term top = cluster_max_term(c);
	unsigned leaders = 0;

	for (unsigned i = 1; i <= c->n; i++) {
		const struct node *n = &c->nodes[i];
		if (n->core == NULL) {
			return false;
		}
		mask &= n->heal_mask;
		leaders += n->role == RAFT_LEADER && n->term == top;
	}
	return mask != 0 && leaders == 1;
}

static void describe_nodes(const struct cluster *c, char *buf, size_t len)
{
	size_t used = 0;
	for (unsigned i = 1; i <= c->n && used < len; i++) {
		const struct node *n = &c->nodes[i];
		used += (size_t)snprintf(
		    buf + used, len - used,
		    "%s n%u %s term=%" PRIu64 " commit=%" PRIu64
		    " last=%" PRIu64 " healed=%#" PRIx64,
		    i > 1 ? ";" : "", i, node_role_name(n->role), n->term,
		    n->commit, n->last_index, n->heal_mask);
	}
}

/* Exactly one leader among the nodes of the highest term. */
static bool one_leader(const struct cluster *c)
{
	raft_term top = cluster_max_term(c);
	unsigned leaders = 0;
	for (unsigned i = 1; i <= c->n; i++) {
		const struct node *n = &c->nodes[i];
		leaders +=
		    n->core != NULL && n->role == RAFT_LEADER && n->term == top;
	}
	return leaders == 1;
}

/* A value that changes whenever any node's role, term, log, commit or
 * applied index changes, or a leader's view of a peer (next and match
 * index) does: the stall detector's view of progress. A leader probing
 * back through a long divergent log is slow, not stuck. */
static uint64_t progress_mark(const struct cluster *c)
{
	/* A snapshot streaming or reported is progress too. */
	uint64_t mark = rng_mix(c->chk.len ^ c->n_snap_events);
	for (unsigned i = 1; i <= c->n; i++) {
		const struct node *n = &c->nodes[i];
		mark = rng_mix(mark ^ n->term);
		mark = rng_mix(mark ^ n->role);
		mark = rng_mix(mark ^ n->last_index);
		mark = rng_mix(mark ^ n->commit);
		mark = rng_mix(mark ^ n->applied);
		mark = rng_mix(mark ^ node_disk_last(n));
		if (n->core == NULL || n->role != RAFT_LEADER) {
			continue;
		}
		for (unsigned j = 1; j <= c->n; j++) {
			struct raft_peer_status ps;
			if (raft_core_peer_status(n->core, j, &ps) == 0) {
				mark = rng_mix(mark ^ ps.next_index);
				mark = rng_mix(mark ^ ps.match_index);
			}
		}
	}
	return mark;
}

/* Runs the healed phase (see chaos.h). Returns the ticks it took, or fails
 * the run. */
static unsigned liveness(struct cluster *c, unsigned *election_ticks)
{
	uint64_t start = c->now;
	unsigned elect_ticks = c->nodes[1].config.pre_vote
				   ? CHAOS_ELECTION_TICKS
				   : CHAOS_ELECTION_TICKS_NO_PREVOTE;
	uint64_t elect_by = start + elect_ticks * SIM_STEPS_PER_TICK;
	uint64_t backstop = elect_by + CHAOS_CATCHUP_TICKS * SIM_STEPS_PER_TICK;
	uint64_t mark = progress_mark(c), moved_at = c->now;
	bool elected = false;
	unsigned k = 0;
	raft_id proposed_on = 0;
	raft_term proposed_term = 0;
	char state[600];

	while (!c->failed) {
		if (c->now % SIM_STEPS_PER_TICK == 0) {
			raft_id l = cluster_leader(c);
			/* A leader keeps its own entries: propose again only
			 * when leadership moved (the entry may be lost). */
			if (l != 0 && k < 64 &&
			    (l != proposed_on ||
			     c->nodes[l].term != proposed_term)) {
				char data[16];
				snprintf(data, sizeof data, "heal-%u", k);
				int rv =
				    cluster_propose(c, l, data, NULL, NULL);
				if (rv == 0) {
					k++;
					proposed_on = l;
					proposed_term = c->nodes[l].term;
				} else if (rv != RAFT_EBUSY &&
					   rv != RAFT_ENOTLEADER) {
					cluster_fail(c,
						     "propose on n%" PRIu64
						     ": unexpected %s",
						     l, raft_err_name(rv));
				}
			}
		}
		cluster_step(c);
		if (c->failed) {
			break;
		}
		if (live(c)) {
			return (unsigned)((c->now - start + SIM_STEPS_PER_TICK -
					   1) /
					  SIM_STEPS_PER_TICK);
		}
		if (!elected && one_leader(c)) {
			elected = true;
			*election_ticks =
			    (unsigned)((c->now - start) / SIM_STEPS_PER_TICK);
		}
		uint64_t now_mark = progress_mark(c);
		if (now_mark != mark) {
			mark = now_mark;
			moved_at = c->now;
		}
		const char *why = NULL;
		unsigned ticks = 0;
		if (!elected && c->now >= elect_by) {
			why = "no single leader of the highest term";
			ticks = elect_ticks;
		} else if (c->now - moved_at >=
			   CHAOS_STALL_TICKS * SIM_STEPS_PER_TICK) {
			why = "nothing moved (replication or election stuck)";
			ticks = CHAOS_STALL_TICKS;
		} else if (c->now >= backstop) {
			why =
			    "the post-heal proposal is not applied everywhere";
			ticks = elect_ticks + CHAOS_CATCHUP_TICKS;
		}
		if (why != NULL) {
			describe_nodes(c, state, sizeof state);
			cluster_fail(c,
				     "liveness: %s for %u ticks after healing "
				     "(%u proposed):%s",
				     why, ticks, k, state);
		}
	}
	return 0;
}

void chaos_run(const struct chaos_options *o, struct chaos_result *res)
{
	struct rng r;
	struct plan p;
	struct cluster c;
	struct chaos ch;

	/* The plan is drawn first; the cluster continues the same stream.
	 * One seed, one sequence. */
	rng_seed(&r, o->seed);
	make_plan(&r, o, &p);
	memset(res, 0, sizeof *res);
	res->n_nodes = p.n_nodes;
	res->pre_vote = p.copts.pre_vote;

	p.copts.rng = &r;
	p.copts.disk_max = p.disk_max;
	cluster_init(&c, &p.copts);
	c.net.faults = p.faults;
	c.snap_fail_ppm = p.snap_fail_ppm;
	c.snap_long_ppm = p.snap_long_ppm;
	cluster_trace(
	    &c, 0,
	    "plan ticks=%u drop=%u dup=%u delay<=%u long=%u/%u "
	    "fifo=%d disk<=%u partition=%u crash=%u max_down=%u "
	    "slow=%u churn=%u propose=%u batch=%u read=%u transfer=%u "
	    "snapshot=%u trailing<=%u snap_fail=%u snap_long=%u",
	    p.ticks, p.faults.drop_ppm, p.faults.dup_ppm, p.faults.delay_max,
	    p.faults.long_delay_ppm, p.faults.long_delay_max, p.faults.fifo,
	    p.disk_max, p.partition_ppm, p.crash_ppm, p.max_down, p.slow_ppm,
	    p.churn_ppm, p.propose_ppm, p.max_batch, p.read_ppm, p.transfer_ppm,
	    p.snapshot_ppm, p.max_trailing, p.snap_fail_ppm, p.snap_long_ppm);

	ch.c = &c;
	ch.p = &p;
	ch.partition_end = 0;
	ch.leader = 0;
	ch.leader_term = 0;
	ch.leader_since = 0;
	uint64_t end = (uint64_t)p.ticks * SIM_STEPS_PER_TICK;
	while (!c.failed && c.now < end) {
		if (c.now % SIM_STEPS_PER_TICK == 0) {
			tick_events(&ch);
		}
		if (!c.failed) {
			step_workload(&ch);
		}
		cluster_step(&c);
	}
	if (!c.failed) {
		heal(&c);
		res->recovery_ticks = liveness(&c, &res->election_ticks);
	}

	res->ok = !c.failed;
	res->failed_at = c.failed_at;
	snprintf(res->why, sizeof res->why, "%s", c.why);
	res->committed = c.chk.len;
	res->max_term = c.chk.max_term;
	res->reads_ok = c.chk.n_reads_ok;
	res->snap_sent = c.n_snap_sent;
	res->snap_lost = c.n_snap_lost;
	res->snap_deposed = c.n_snap_after_leader_change;
	for (unsigned i = 1; i <= c.n; i++) {
		const struct node *n = &c.nodes[i];
		res->snapshots_taken += n->n_snapshots_taken;
		res->installs += n->n_installs;
		res->snapshot_restarts += n->n_snapshot_restarts;
		res->margin_restarts += n->n_margin_restarts;
	}
	cluster_trace(&c, 0,
		      "end %s committed=%" PRIu64 " max_term=%" PRIu64
		      " reads_ok=%" PRIu64 " sent=%" PRIu64 " lost=%" PRIu64
		      " snapshots=%" PRIu64 " installs=%" PRIu64,
		      res->ok ? "ok" : "FAILED", c.chk.len, c.chk.max_term,
		      c.chk.n_reads_ok, c.net.n_sent, c.net.n_lost,
		      res->snapshots_taken, res->installs);
	cluster_close(&c);
}
