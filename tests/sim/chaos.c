/* Randomized runs: chaos (faults and workload), then heal and liveness.
 *
 * Everything below is drawn from the cluster's one PRNG, in a fixed order,
 * so a seed replays exactly. The seed first chooses a plan (cluster size,
 * core knobs, how bad the network and disks are, how often nodes crash or
 * get partitioned), then each tick draws the events of that tick. */
#include "chaos.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "entry.h"

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
	/* Membership changes and leadership transfers asked of the leader
	 * (per tick), and whether removed nodes are cut off for good or
	 * stay on the network. Drawn from the membership stream. */
	unsigned membership_ppm;
	bool exile_removed;
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

/* Membership decisions come from a stream of their own, seeded from the
 * seed: a seed whose plan asks for no change runs exactly as it did before
 * the simulator made any. */
#define MEMBERSHIP_STREAM UINT64_C(0x6d656d6265727368)

static void make_membership_plan(struct rng *mr, struct plan *p)
{
	p->membership_ppm = PICK(mr, 0, 10000, 30000, 60000);
	p->exile_removed = rng_below(mr, 2) == 0;
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

/* A change the core accepted: its kind and CONF entry. */
struct change_rec {
	unsigned kind;
	raft_index index;
	raft_term term;
};

struct chaos {
	struct cluster *c;
	struct plan *p;
	uint64_t partition_end; /* step; 0: no partition */
	raft_id leader;		/* the leader seen last tick, and since when */
	raft_term leader_term;
	uint64_t leader_since;
	/* Membership: the decisions' stream, the counts, the changes the
	 * core accepted, and a replacement under way (stage 1: its new
	 * learner is to be added, 2: learner replace_id to be promoted). */
	struct rng mrng;
	struct chaos_membership *ms;
	struct change_rec *changes;
	size_t n_changes, changes_cap;
	unsigned replace_stage;
	raft_id replace_id;
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

/* ---- membership changes and transfers ----------------------------------- */

/* What the simulator knows of a leader before it asks for a change. */
struct leader_view {
	raft_id id;
	struct raft_core_status st;
	const struct raft_configuration *conf; /* in force */
	bool pending; /* its last CONF entry is not committed */
	bool fresh;   /* no entry of its term is committed yet */
};

static void view_leader(struct cluster *c, raft_id l, struct leader_view *v)
{
	const struct node *n = &c->nodes[l];
	v->id = l;
	raft_core_status(n->core, &v->st);
	v->conf = raft_core_configuration(n->core);
	v->pending = n->log[n->last_index].conf_at > v->st.commit_index;
	v->fresh = n->log[v->st.commit_index].term != v->st.term;
}

static unsigned n_voters_but(const struct raft_configuration *conf,
			     raft_id except)
{
	unsigned k = 0;
	for (unsigned i = 0; i < conf->n; i++) {
		k += conf->servers[i].role == RAFT_VOTER &&
		     conf->servers[i].id != except;
	}
	return k;
}

/* A random member of conf with this role (0: any), or 0. */
static raft_id random_member(struct rng *r,
			     const struct raft_configuration *conf,
			     uint8_t role)
{
	raft_id ids[SIM_MAX_NODES];
	unsigned k = 0;
	for (unsigned i = 0; i < conf->n && k < SIM_MAX_NODES; i++) {
		if (role == 0 || conf->servers[i].role == role) {
			ids[k++] = conf->servers[i].id;
		}
	}
	return k > 0 ? ids[rng_below(r, k)] : 0;
}

static void count_refusal(struct chaos *ch, int rv)
{
	if (rv < 0 && -rv < CHAOS_N_CODES) {
		ch->ms->refused[-rv]++;
	}
}

static void remember(struct chaos *ch, unsigned kind, raft_index index,
		     raft_term term)
{
	if (ch->n_changes == ch->changes_cap) {
		ch->changes_cap = ch->changes_cap ? 2 * ch->changes_cap : 16;
		ch->changes = sim_realloc(ch->changes, ch->changes_cap *
							   sizeof *ch->changes);
	}
	ch->changes[ch->n_changes++] =
	    (struct change_rec){.kind = kind, .index = index, .term = term};
}

/* Checks the answer of a change asked of leader v->id against what the
 * core must answer: want for a request that is not valid (a member that is
 * not there, ...); for a valid one RAFT_EBUSY exactly while a change is
 * uncommitted, a transfer is under way or no entry of the leader's term is
 * committed, else 0 (a promotion may also find the learner behind or
 * silent). Counts it; returns whether the change was accepted. */
static bool change_outcome(struct chaos *ch, const struct leader_view *v,
			   unsigned kind, const char *what, int want, int rv)
{
	struct cluster *c = ch->c;
	bool busy = v->pending || v->fresh || v->st.transfer_to != 0;
	bool promotion = kind == CHAOS_PROMOTE;
	const char *why = NULL;

	ch->ms->asked[kind]++;
	count_refusal(ch, rv);
	if (want != 0) {
		if (rv != want) {
			why = raft_err_name(want);
		}
	} else if (v->pending && rv != RAFT_EBUSY) {
		cluster_fail(c,
			     "one change at a time: %s on leader n%" PRIu64
			     ": %s while its configuration change is not "
			     "committed (commit index %" PRIu64 "), expected "
			     "RAFT_EBUSY",
			     what, v->id, raft_err_name(rv),
			     v->st.commit_index);
	} else if (v->fresh && rv != RAFT_EBUSY) {
		cluster_fail(c,
			     "%s on leader n%" PRIu64 " of term %" PRIu64
			     ": %s before it committed an entry of its term, "
			     "expected RAFT_EBUSY (thesis 4.1.3)",
			     what, v->id, v->st.term, raft_err_name(rv));
	} else if (busy && rv != RAFT_EBUSY) {
		why = "RAFT_EBUSY (a leadership transfer is under way)";
	} else if (!busy && rv == RAFT_EBUSY) {
		why = "no RAFT_EBUSY (nothing is pending)";
	} else if (!busy && rv != 0 &&
		   !(promotion &&
		     (rv == RAFT_ELAGGING || rv == RAFT_EUNAVAILABLE))) {
		why = promotion ? "0, RAFT_ELAGGING or RAFT_EUNAVAILABLE" : "0";
	}
	if (why != NULL) {
		cluster_fail(c,
			     "%s on leader n%" PRIu64 ": %s, expected %s "
			     "(pending=%d fresh=%d transfer_to=n%" PRIu64
			     " commit=%" PRIu64 " term=%" PRIu64 ")",
			     what, v->id, raft_err_name(rv), why, v->pending,
			     v->fresh, v->st.transfer_to, v->st.commit_index,
			     v->st.term);
	}
	if (rv != 0 || c->failed) {
		return false;
	}
	ch->ms->accepted[kind]++;
	return true;
}

/* Asks leader l to add a new node as a learner. */
static raft_id add_learner(struct chaos *ch, raft_id l)
{
	struct cluster *c = ch->c;
	struct leader_view v;
	raft_index index;
	raft_term term;
	raft_id added = 0;

	if (c->n >= SIM_MAX_NODES) {
		return 0;
	}
	view_leader(c, l, &v);
	int rv = cluster_add_member(c, l, RAFT_LEARNER, &added, &index, &term);
	if (!change_outcome(ch, &v, CHAOS_ADD, "add_member", 0, rv)) {
		return 0;
	}
	remember(ch, CHAOS_ADD, index, term);
	ch->ms->nodes_added++;
	return added;
}

/* Views leader l before a promotion or a removal of id and returns the
 * answer such a request that is not valid must get: RAFT_ENOTFOUND if id
 * is not a member, RAFT_EINVAL to promote one that is not a learner or to
 * remove the last voter, else 0. */
static int view_member_change(struct cluster *c, raft_id l, raft_id id,
			      bool promotion, struct leader_view *v)
{
	view_leader(c, l, v);
	if (!conf_has(v->conf, id, 0)) {
		return RAFT_ENOTFOUND;
	}
	if (promotion && !conf_has(v->conf, id, RAFT_LEARNER)) {
		return RAFT_EINVAL;
	}
	if (!promotion && conf_has(v->conf, id, RAFT_VOTER) &&
	    raft_configuration_n_voters(v->conf) == 1) {
		return RAFT_EINVAL;
	}
	return 0;
}

/* Asks leader l to promote id; returns whether it accepted. */
static bool promote(struct chaos *ch, raft_id l, raft_id id, bool replacement)
{
	struct cluster *c = ch->c;
	struct leader_view v;
	struct raft_peer_status ps;
	raft_index index;
	raft_term term;
	char what[48];
	int want = view_member_change(c, l, id, true, &v);
	bool lagging = want == 0 &&
		       raft_core_peer_status(c->nodes[l].core, id, &ps) == 0 &&
		       ps.match_index + c->node_config.max_append_entries <
			   v.st.last_index;
	snprintf(what, sizeof what, "promote n%" PRIu64, id);
	int rv = cluster_promote(c, l, id, &index, &term);
	if (!c->failed && want == 0 &&
	    ((rv == 0 && lagging) || (rv == RAFT_ELAGGING && !lagging))) {
		cluster_fail(c,
			     "%s on leader n%" PRIu64 ": %s, but its match "
			     "index %" PRIu64 " is %s %u entries of the "
			     "leader's last index %" PRIu64,
			     what, l, raft_err_name(rv), ps.match_index,
			     lagging ? "not within" : "within",
			     c->node_config.max_append_entries,
			     v.st.last_index);
		return false;
	}
	if (!change_outcome(ch, &v, CHAOS_PROMOTE, what, want, rv)) {
		return false;
	}
	remember(ch, CHAOS_PROMOTE, index, term);
	if (replacement) {
		remember(ch, CHAOS_REPLACE, index, term);
	}
	return true;
}

/* Asks leader l to remove id (kind: a removal or a replacement's). */
static bool remove_member(struct chaos *ch, raft_id l, raft_id id,
			  unsigned kind)
{
	struct cluster *c = ch->c;
	struct leader_view v;
	raft_index index;
	raft_term term;
	char what[48];
	int want = view_member_change(c, l, id, false, &v);

	snprintf(what, sizeof what, "remove_member n%" PRIu64 "%s", id,
		 id == l ? " (itself)" : "");
	int rv = cluster_remove_member(c, l, id, &index, &term);
	if (kind == CHAOS_REPLACE) {
		/* A replacement's removal: its end (the promotion) is what
		 * counts as committed. */
		return change_outcome(ch, &v, CHAOS_REPLACE, what, want, rv);
	}
	bool ok = change_outcome(ch, &v, CHAOS_REMOVE, what, want, rv);
	if (ok) {
		remember(ch, CHAOS_REMOVE, index, term);
	}
	if (id == l) {
		ch->ms->asked[CHAOS_REMOVE_LEADER]++;
		if (ok) {
			ch->ms->accepted[CHAOS_REMOVE_LEADER]++;
			remember(ch, CHAOS_REMOVE_LEADER, index, term);
		}
	}
	return ok;
}

/* Asks leader l to hand leadership to `to` (0: anyone) and checks the
 * answer against its configuration. */
static void transfer(struct chaos *ch, raft_id l, raft_id to)
{
	struct cluster *c = ch->c;
	struct leader_view v;
	int want[2] = {0, RAFT_EUNAVAILABLE};

	view_leader(c, l, &v);
	if (v.st.transfer_to != 0) {
		want[0] = want[1] = RAFT_EBUSY;
	} else if (to == 0 && n_voters_but(v.conf, l) == 0) {
		want[0] = want[1] = RAFT_ENOTFOUND;
	} else if (to != 0 && (to == l || !conf_has(v.conf, to, RAFT_VOTER))) {
		want[0] = want[1] = RAFT_EINVAL;
	}
	int rv = cluster_transfer(c, l, to);
	ch->ms->transfers_asked++;
	count_refusal(ch, rv);
	if (rv == 0) {
		ch->ms->transfers_started++;
	}
	if (!c->failed && rv != want[0] && rv != want[1]) {
		cluster_fail(c,
			     "transfer_leader on n%" PRIu64 " to n%" PRIu64
			     ": %s, expected %s",
			     l, to, raft_err_name(rv), raft_err_name(want[0]));
	}
}

/* The next step of a replacement under way. */
static void replace_step(struct chaos *ch)
{
	struct cluster *c = ch->c;
	raft_id l = cluster_leader(c);

	if (l == 0) {
		return;
	}
	if (ch->replace_stage == 1) {
		if (c->n >= SIM_MAX_NODES) {
			ch->replace_stage = 0; /* no id left */
			return;
		}
		ch->replace_id = add_learner(ch, l);
		if (ch->replace_id != 0) {
			ch->replace_stage = 2;
		}
		return;
	}
	const struct raft_configuration *conf = cluster_node_conf(c, l);
	if (!conf_has(conf, ch->replace_id, RAFT_LEARNER)) {
		/* Promoted already, or its addition was lost with a leader
		 * change: give up. */
		ch->replace_stage = 0;
		return;
	}
	if (promote(ch, l, ch->replace_id, true)) {
		ch->replace_stage = 0;
	}
}

/* One membership event asked of the leader: add a learner, promote one,
 * remove a member (the leader too), start a replacement, or transfer
 * leadership. A removal may leave one voter (and tries to remove it too),
 * but rarely, so that the cluster does not shrink to one voter for good. */
static void membership_event(struct chaos *ch)
{
	struct cluster *c = ch->c;
	struct rng *r = &ch->mrng;
	raft_id l = cluster_leader(c);

	if (l == 0) {
		return;
	}
	const struct raft_configuration *conf = cluster_node_conf(c, l);
	unsigned voters = raft_configuration_n_voters(conf);
	unsigned k = (unsigned)rng_below(r, 10);
	if (k < 3) {
		add_learner(ch, l);
	} else if (k < 6) {
		raft_id id = random_member(r, conf, RAFT_LEARNER);
		if (id == 0 && rng_below(r, 4) == 0) {
			/* Now and then one that is not a learner. */
			id = rng_range(r, 1, c->n);
		}
		if (id != 0) {
			promote(ch, l, id, false);
		}
	} else if (k < 8) {
		raft_id id =
		    rng_below(r, 4) == 0 ? l : random_member(r, conf, 0);
		bool keep = rng_below(r, 4) == 0;
		if (id != 0 && voters <= 2 && conf_has(conf, id, RAFT_VOTER) &&
		    !keep) {
			id = random_member(r, conf, RAFT_LEARNER);
		}
		if (id != 0) {
			remove_member(ch, l, id, CHAOS_REMOVE);
		}
	} else if (k < 9) {
		raft_id id = random_member(r, conf, RAFT_VOTER);
		if (ch->replace_stage == 0 && voters >= 2 && id != 0 &&
		    remove_member(ch, l, id, CHAOS_REPLACE)) {
			ch->replace_stage = 1;
		}
	} else {
		raft_id to = 0;
		unsigned how = (unsigned)rng_below(r, 8);
		if (how == 0) {
			to = rng_range(r, 1, c->n);
		} else if (how < 5) {
			to = random_member(r, conf, RAFT_VOTER);
		}
		transfer(ch, l, to);
	}
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
			transfer(ch, leader, to);
		}
	}
	if (p->exile_removed) {
		for (unsigned i = 1; i <= c->n; i++) {
			if (!c->net.exiled[i] && cluster_is_removed(c, i)) {
				cluster_exile(c, i);
				ch->ms->exiled++;
			}
		}
	}
	if (ch->replace_stage != 0 && rng_below(&ch->mrng, 4) == 0) {
		replace_step(ch);
	}
	if (p->membership_ppm > 0 && rng_ppm(&ch->mrng, p->membership_ppm)) {
		membership_event(ch);
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
		/* A ReadIndex read on a leader, a lease (and maybe wait-free)
		 * read on a leader, or a follower read on any node. */
		unsigned kind = (unsigned)rng_below(r, 3);
		raft_id id =
		    kind == 2 ? rng_range(r, 1, c->n) : random_leader(c);
		if (id != 0 && kind == 1) {
			int rv = cluster_read_lease(c, id);
			if (rv != 0 && rv != RAFT_ENOTLEADER &&
			    rv != RAFT_EBUSY) {
				cluster_fail(c,
					     "read_lease on n%" PRIu64
					     ": unexpected %s",
					     id, raft_err_name(rv));
			}
		} else if (id != 0) {
			int rv = cluster_read_index(c, id, NULL);
			if (rv == 0 && kind == 2 &&
			    c->nodes[id].role != RAFT_LEADER) {
				c->chk.n_follower_reads++;
			}
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

/* Liveness concerns the members of the latest committed configuration
 * (voters and learners): removed nodes may run on, in any term, but take no
 * part. A leader is always one of them: a learner it promoted, or a voter
 * it is removing, is still a member of the committed configuration. */
static bool is_member(const struct cluster *c, unsigned id)
{
	return conf_has(check_committed_conf(&c->chk), id, 0);
}

/* Highest term among the live members. */
static raft_term members_max_term(const struct cluster *c)
{
	raft_term t = 0;
	for (unsigned i = 1; i <= c->n; i++) {
		const struct node *n = &c->nodes[i];
		if (n->core != NULL && is_member(c, i) && n->term > t) {
			t = n->term;
		}
	}
	return t;
}

/* Exactly one leader among the members of the highest term. */
static bool one_leader(const struct cluster *c)
{
	raft_term top = members_max_term(c);
	unsigned leaders = 0;
	for (unsigned i = 1; i <= c->n; i++) {
		const struct node *n = &c->nodes[i];
		leaders += n->core != NULL && is_member(c, i) &&
			   n->role == RAFT_LEADER && n->term == top;
	}
	return leaders == 1;
}

/* Exactly one leader at the highest term, and one post-heal proposal
 * applied on every member. */
static bool live(const struct cluster *c)
{
	uint64_t mask = ~UINT64_C(0);

	for (unsigned i = 1; i <= c->n; i++) {
		const struct node *n = &c->nodes[i];
		if (!is_member(c, i)) {
			continue;
		}
		if (n->core == NULL) {
			return false;
		}
		mask &= n->heal_mask;
	}
	return mask != 0 && one_leader(c);
}

/* Liveness may be asked only of a cluster where a majority of the voters
 * of the latest committed configuration are up and connected, which the
 * heal ensures (exiled nodes are removed ones). */
static void check_heal(struct cluster *c)
{
	const struct raft_configuration *conf = check_committed_conf(&c->chk);
	unsigned voters = raft_configuration_n_voters(conf), ready = 0;

	for (unsigned i = 0; i < conf->n; i++) {
		raft_id id = conf->servers[i].id;
		ready += conf->servers[i].role == RAFT_VOTER &&
			 cluster_is_up(c, id) && !c->net.exiled[id];
	}
	if (2 * ready <= voters) {
		cluster_fail(c,
			     "sim: after healing only %u of the %u voters of "
			     "the committed configuration are up and "
			     "connected",
			     ready, voters);
	}
}

static void describe_nodes(const struct cluster *c, char *buf, size_t len)
{
	const struct raft_configuration *conf = check_committed_conf(&c->chk);
	size_t used = 0;
	for (unsigned i = 1; i <= c->n && used < len; i++) {
		const struct node *n = &c->nodes[i];
		const char *member = conf_has(conf, i, RAFT_VOTER) ? ""
				     : conf_has(conf, i, RAFT_LEARNER)
					 ? "/learner"
					 : "/out";
		used += (size_t)snprintf(
		    buf + used, len - used,
		    "%s n%u%s %s term=%" PRIu64 " commit=%" PRIu64
		    " last=%" PRIu64 " healed=%#" PRIx64,
		    i > 1 ? ";" : "", i, member, node_role_name(n->role),
		    n->term, n->commit, n->last_index, n->heal_mask);
	}
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
		if (cluster_is_removed(c, i)) {
			/* A removed node campaigning on in vain (without
			 * pre-vote) is not progress. */
			continue;
		}
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
	char state[900];

	check_heal(c);
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
	memset(&ch, 0, sizeof ch);
	rng_seed(&ch.mrng, o->seed ^ MEMBERSHIP_STREAM);
	make_membership_plan(&ch.mrng, &p);
	if (o->no_membership) {
		p.membership_ppm = 0;
	}
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
	    "snapshot=%u trailing<=%u snap_fail=%u snap_long=%u "
	    "membership=%u exile_removed=%d",
	    p.ticks, p.faults.drop_ppm, p.faults.dup_ppm, p.faults.delay_max,
	    p.faults.long_delay_ppm, p.faults.long_delay_max, p.faults.fifo,
	    p.disk_max, p.partition_ppm, p.crash_ppm, p.max_down, p.slow_ppm,
	    p.churn_ppm, p.propose_ppm, p.max_batch, p.read_ppm, p.transfer_ppm,
	    p.snapshot_ppm, p.max_trailing, p.snap_fail_ppm, p.snap_long_ppm,
	    p.membership_ppm, p.exile_removed);

	ch.c = &c;
	ch.p = &p;
	ch.ms = &res->membership;
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
	res->lease_reads = c.chk.n_lease_reads;
	res->wait_free_reads = c.chk.n_wait_free_reads;
	res->follower_reads = c.chk.n_follower_reads;
	res->snap_sent = c.n_snap_sent;
	res->snap_lost = c.n_snap_lost;
	res->snap_deposed = c.n_snap_after_leader_change;
	/* The changes whose entry made it into the committed history. */
	for (size_t i = 0; i < ch.n_changes; i++) {
		const struct change_rec *cr = &ch.changes[i];
		if (cr->index <= c.chk.len &&
		    c.chk.term[cr->index] == cr->term) {
			res->membership.committed[cr->kind]++;
		}
	}
	free(ch.changes);
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
