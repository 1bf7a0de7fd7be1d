/* Named scenarios: Raft paper situations driven by hand, outcomes asserted.
 *
 * Each scenario shapes a run with partitions, crashes and a message
 * filter, then asserts what must have happened; the invariant checker runs
 * underneath all along. The seed only varies what a scenario does not pin
 * down (the cores' election timeouts, message delays, disk latency), so
 * every outcome must hold for every seed. */
#include "scenario.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "cluster.h"
#include "entry.h"

/* How long a scenario waits for something that must happen, in ticks.
 * Elections of a chosen node may need a few rounds: stickiness makes
 * voters wait an election timeout after they last heard a leader, and a
 * rejected pre-vote first teaches the candidate the voters' term. */
#define ELECT_TICKS  300
#define SETTLE_TICKS 100

/* Scenario state; also the message filter's argument. */
struct scen {
	struct cluster *c;
	struct scenario_result *res;
	/* Only this node's vote requests get through (0: anyone's). It is
	 * how a scenario picks who wins an election. */
	raft_id campaigner;
	/* Appends from this node are lost: its new entries stay its own. */
	raft_id mute_appends_from;
	/* Appends to cap_to that would give it an entry above cap_index
	 * are lost. */
	raft_id cap_to;
	raft_index cap_index;
	/* Append round trips counted between a leader and a follower. */
	raft_id count_leader, count_follower;
	unsigned n_appends, n_rejects;
	/* The next n_snapshot_drops snapshot streams to this node are lost. */
	raft_id drop_snapshots_to;
	unsigned n_snapshot_drops;
};

static bool scen_filter(struct cluster *c, const struct raft_message *m,
			void *arg)
{
	struct scen *s = arg;

	if (s->campaigner != 0 && m->type == RAFT_MSG_VOTE &&
	    m->from != s->campaigner) {
		return true;
	}
	if (m->type == RAFT_MSG_SNAPSHOT && m->to == s->drop_snapshots_to &&
	    s->n_snapshot_drops > 0) {
		s->n_snapshot_drops--;
		return true;
	}
	if (m->type == RAFT_MSG_APPEND && m->from == s->mute_appends_from) {
		return true;
	}
	/* Only appends it could accept: one it must refuse (its prev_index
	 * is past the receiver's log) gets through, so the leader learns
	 * where the receiver's log ends. */
	if (m->type == RAFT_MSG_APPEND && s->cap_to != 0 &&
	    m->to == s->cap_to && m->append.n_entries > 0 &&
	    m->append.entries[m->append.n_entries - 1].index > s->cap_index &&
	    m->append.prev_index <= c->nodes[m->to].last_index) {
		return true;
	}
	if (s->count_leader != 0 && m->type == RAFT_MSG_APPEND &&
	    m->from == s->count_leader && m->to == s->count_follower) {
		s->n_appends++;
	}
	if (s->count_leader != 0 && m->type == RAFT_MSG_APPEND_RESP &&
	    m->from == s->count_follower && m->to == s->count_leader &&
	    !m->append_resp.success) {
		s->n_rejects++;
	}
	return false;
}

static void scen_fail(struct scen *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void scen_fail(struct scen *s, const char *fmt, ...)
{
	char buf[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cluster_fail(s->c, "scenario: %s", buf);
}

static void scen_info(struct scen *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void scen_info(struct scen *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->res->info, sizeof s->res->info, fmt, ap);
	va_end(ap);
	cluster_trace(s->c, 0, "scenario: %s", s->res->info);
}

/* ---- waiting ------------------------------------------------------------ */

static bool is_leader(struct cluster *c, void *arg)
{
	raft_id id = *(raft_id *)arg;
	return cluster_is_up(c, id) && c->nodes[id].role == RAFT_LEADER;
}

static bool any_leader(struct cluster *c, void *arg)
{
	(void)arg;
	return cluster_leader(c) != 0;
}

/* Makes id win an election: only its vote requests get through. */
static void elect(struct scen *s, raft_id id)
{
	if (s->c->failed) {
		return;
	}
	cluster_trace(s->c, 0, "scenario: elect n%" PRIu64, id);
	s->campaigner = id;
	if (!cluster_run_until(s->c, is_leader, &id, ELECT_TICKS)) {
		scen_fail(s, "n%" PRIu64 " was not elected within %u ticks", id,
			  ELECT_TICKS);
	}
	s->campaigner = 0;
}

static raft_id await_leader(struct scen *s)
{
	if (!s->c->failed &&
	    !cluster_run_until(s->c, any_leader, NULL, ELECT_TICKS)) {
		scen_fail(s, "no leader within %u ticks", ELECT_TICKS);
	}
	return cluster_leader(s->c);
}

/* Waits for a condition on a set of nodes (a bit mask of ids). */
struct await {
	unsigned mask;
	raft_index index;
	enum { AWAIT_COMMIT, AWAIT_APPLIED, AWAIT_DURABLE } what;
};

static bool await_pred(struct cluster *c, void *arg)
{
	const struct await *w = arg;
	for (unsigned i = 1; i <= c->n; i++) {
		const struct node *n = &c->nodes[i];
		if (!(w->mask & (1u << i))) {
			continue;
		}
		if (n->core == NULL) {
			return false;
		}
		raft_index have = w->what == AWAIT_COMMIT ? n->commit
				  : w->what == AWAIT_APPLIED
				      ? n->applied
				      : node_disk_last(n);
		if (have < w->index) {
			return false;
		}
	}
	return true;
}

static const char *await_name(int what)
{
	return what == AWAIT_COMMIT    ? "committed"
	       : what == AWAIT_APPLIED ? "applied"
				       : "durable";
}

static void await_nodes(struct scen *s, unsigned mask, raft_index index,
			int what, unsigned ticks)
{
	struct await w = {.mask = mask, .index = index, .what = what};
	if (!s->c->failed && !cluster_run_until(s->c, await_pred, &w, ticks)) {
		scen_fail(s,
			  "index %" PRIu64 " not %s on nodes %#x within %u "
			  "ticks",
			  index, await_name(what), mask, ticks);
	}
}

static unsigned all_nodes(const struct cluster *c)
{
	return ((1u << (c->n + 1)) - 1) & ~1u;
}

static unsigned bit(raft_id id)
{
	return 1u << id;
}

/* Proposes one entry; it must be accepted. Returns its index. */
static raft_index propose_ok(struct scen *s, raft_id id, const char *data)
{
	raft_index index = 0;
	if (s->c->failed) {
		return 0;
	}
	int rv = cluster_propose(s->c, id, data, &index, NULL);
	if (rv != 0) {
		scen_fail(s, "propose %s on n%" PRIu64 ": %s", data, id,
			  raft_err_name(rv));
	}
	return index;
}

/* Proposes count entries named prefix-1, prefix-2, ...; returns the last
 * index. */
static raft_index propose_many(struct scen *s, raft_id id, const char *prefix,
			       unsigned count)
{
	raft_index last = 0;
	for (unsigned i = 1; i <= count && !s->c->failed; i++) {
		char data[32];
		snprintf(data, sizeof data, "%s-%u", prefix, i);
		last = propose_ok(s, id, data);
	}
	return last;
}

/* The common opening: awaits a leader, has it commit an entry "before" and
 * waits until every node applied it. Returns the leader, or 0 if none was
 * elected (the scenario failed); a failure while settling is left to the
 * caller's next check of c->failed. */
static raft_id settled_leader(struct scen *s)
{
	struct cluster *c = s->c;
	raft_id l = await_leader(s);
	if (c->failed) {
		return 0;
	}
	raft_index last = propose_ok(s, l, "before");
	await_nodes(s, all_nodes(c), last, AWAIT_APPLIED, SETTLE_TICKS);
	return l;
}

/* Leader's view of a peer's match index (0 if not leader). */
static raft_index match_of(struct cluster *c, raft_id leader, raft_id peer)
{
	struct raft_peer_status ps;
	if (!cluster_is_up(c, leader) ||
	    raft_core_peer_status(c->nodes[leader].core, peer, &ps) != 0) {
		return 0;
	}
	return ps.match_index;
}

struct match_wait {
	raft_id leader, peer;
	raft_index index;
};

static bool match_pred(struct cluster *c, void *arg)
{
	const struct match_wait *m = arg;
	return match_of(c, m->leader, m->peer) >= m->index;
}

static void await_match(struct scen *s, raft_id leader, raft_id peer,
			raft_index index, unsigned ticks)
{
	struct match_wait m = {leader, peer, index};
	if (!s->c->failed && !cluster_run_until(s->c, match_pred, &m, ticks)) {
		scen_fail(s,
			  "leader n%" PRIu64 " did not see n%" PRIu64
			  " match index %" PRIu64 " within %u ticks (it sees "
			  "%" PRIu64 ")",
			  leader, peer, index, ticks,
			  match_of(s->c, leader, peer));
	}
}

/* Only the nodes in mask talk to each other; the others are alone. */
static void only_links(struct cluster *c, unsigned mask)
{
	net_connect_all(&c->net);
	for (unsigned a = 1; a <= c->n; a++) {
		for (unsigned b = 1; b <= c->n; b++) {
			if (a != b && !((mask & bit(a)) && (mask & bit(b)))) {
				net_set_cut(&c->net, a, b, true);
			}
		}
	}
	cluster_trace(c, 0, "network: only nodes %#x talk", mask);
}

/* Two groups that cannot talk to each other. */
static void split(struct cluster *c, unsigned left)
{
	net_connect_all(&c->net);
	for (unsigned a = 1; a <= c->n; a++) {
		for (unsigned b = 1; b <= c->n; b++) {
			if (((left & bit(a)) != 0) != ((left & bit(b)) != 0)) {
				net_set_cut(&c->net, a, b, true);
			}
		}
	}
	cluster_trace(c, 0, "network: split %#x | rest", left);
}

/* ---- the scenarios ------------------------------------------------------ */

/* Raft paper, Figure 8: a leader must not commit an entry of an older term
 * by counting replicas. With 5 nodes and one entry per AppendEntries:
 *  (a) S1 leads term 2 and replicates entry A at index i to S2 only;
 *  (b) S1 crashes; S5 wins term 3 (S3, S4, S5) and writes its own entry
 *      at i, which reaches nobody; S5 crashes;
 *  (c) S1 restarts, wins term 4 (S1, S2, S3) and copies A to S3, but not
 *      its term-4 no-op: A is now on a majority. Committing A here is the
 *      bug: it is not safe;
 *  (d) S1 crashes; S5 wins term 5 (S3, S4, S5), its log being more up to
 *      date than theirs, and overwrites index i everywhere it can. */
static void sc_figure8(struct scen *s)
{
	struct cluster *c = s->c;

	elect(s, 1);
	raft_index noop = c->nodes[1].last_index;
	await_nodes(s, all_nodes(c), noop, AWAIT_COMMIT, SETTLE_TICKS);

	/* (a) */
	split(c, bit(1) | bit(2));
	raft_index i = propose_ok(s, 1, "fig8-A");
	raft_term term_a = c->nodes[1].term;
	await_match(s, 1, 2, i, SETTLE_TICKS);
	/* The leader writes its own log in parallel with replication: A
	 * must be on n1's disk too before n1 crashes. */
	await_nodes(s, bit(1), i, AWAIT_DURABLE, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	if (c->nodes[1].commit >= i) {
		scen_fail(s, "n1 committed index %" PRIu64 " with 2 of 5", i);
		return;
	}

	/* (b) */
	cluster_crash(c, 1);
	only_links(c, bit(3) | bit(4) | bit(5));
	s->mute_appends_from = 5;
	elect(s, 5);
	await_nodes(s, bit(5), i, AWAIT_DURABLE, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	raft_term term_b = c->nodes[5].log[i].term;
	if (term_b <= term_a) {
		scen_fail(s,
			  "n5's entry at %" PRIu64 " has term %" PRIu64
			  ", not above %" PRIu64,
			  i, term_b, term_a);
		return;
	}
	cluster_crash(c, 5);
	s->mute_appends_from = 0;

	/* (c) */
	cluster_restart(c, 1);
	only_links(c, bit(1) | bit(2) | bit(3));
	s->cap_to = 3;
	s->cap_index = i;
	elect(s, 1);
	raft_term term_c = c->nodes[1].term;
	await_match(s, 1, 3, i, SETTLE_TICKS);
	/* Give a buggy leader time to count its replicas. */
	cluster_run_ticks(c, 5);
	if (c->failed) {
		return;
	}
	bool committed_old = c->nodes[1].commit >= i;
	cluster_trace(c, 0,
		      "scenario: n1 (term %" PRIu64 ") has A (%" PRIu64
		      ",%" PRIu64 ") on n1 n2 n3, commit index %" PRIu64,
		      term_c, i, term_a, c->nodes[1].commit);

	/* (d) */
	cluster_crash(c, 1);
	s->cap_to = 0;
	cluster_restart(c, 5);
	only_links(c, bit(3) | bit(4) | bit(5));
	elect(s, 5);
	raft_index noop5 = c->nodes[5].last_index;
	await_nodes(s, bit(3) | bit(4) | bit(5), noop5, AWAIT_COMMIT,
		    SETTLE_TICKS);

	/* Everyone back; the cluster converges on S5's history. */
	cluster_restart(c, 1);
	cluster_connect_all(c);
	raft_id l = await_leader(s);
	raft_index end = propose_ok(s, l, "fig8-end");
	await_nodes(s, all_nodes(c), end, AWAIT_APPLIED, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	if (committed_old) {
		scen_fail(s,
			  "leader n1 of term %" PRIu64
			  " committed index %" PRIu64 " of term %" PRIu64
			  " by counting replicas",
			  term_c, i, term_a);
		return;
	}
	if (c->chk.term[i] != term_b) {
		scen_fail(s,
			  "index %" PRIu64 " was committed with term %" PRIu64
			  ", expected S5's term %" PRIu64,
			  i, c->chk.term[i], term_b);
		return;
	}
	scen_info(s,
		  "A=(%" PRIu64 ",%" PRIu64 ") on a majority in term %" PRIu64
		  " was not committed; (%" PRIu64 ",%" PRIu64 ") won",
		  i, term_a, term_c, i, term_b);
}

/* A leader cut off with uncommitted entries; the majority moves on. On its
 * return the old leader steps down and its suffix is overwritten.
 * Check-quorum is off so that it is still leader when it comes back. */
static void sc_stale_leader_rejoins(struct scen *s)
{
	struct cluster *c = s->c;
	raft_id old = await_leader(s);
	if (c->failed) {
		return;
	}
	raft_index last = propose_many(s, old, "before", 3);
	await_nodes(s, all_nodes(c), last, AWAIT_APPLIED, SETTLE_TICKS);

	cluster_isolate(c, old);
	raft_term old_term = c->nodes[old].term;
	raft_index stale_first = c->nodes[old].last_index + 1;
	raft_index stale_last = propose_many(s, old, "stale", 3);
	cluster_run_ticks(c, 2);

	/* The others elect a new leader among themselves. */
	raft_id nl = 0;
	for (unsigned k = 0; k < ELECT_TICKS && !c->failed && nl == 0; k++) {
		cluster_run_ticks(c, 1);
		for (unsigned i = 1; i <= c->n; i++) {
			if (i != old && c->nodes[i].role == RAFT_LEADER) {
				nl = i;
			}
		}
	}
	if (c->failed) {
		return;
	}
	if (nl == 0) {
		scen_fail(s, "the majority elected no leader");
		return;
	}
	raft_index committed = propose_many(s, nl, "after", 3);
	await_nodes(s, all_nodes(c) & ~bit(old), committed, AWAIT_APPLIED,
		    SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	if (c->nodes[old].role != RAFT_LEADER ||
	    c->nodes[old].term != old_term) {
		scen_fail(s,
			  "n%" PRIu64 " should still think it leads term "
			  "%" PRIu64 " (check-quorum is off); it is %s in "
			  "term %" PRIu64,
			  old, old_term, node_role_name(c->nodes[old].role),
			  c->nodes[old].term);
		return;
	}

	cluster_connect_all(c);
	await_nodes(s, bit(old), committed, AWAIT_APPLIED, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	const struct node *o = &c->nodes[old];
	if (o->role == RAFT_LEADER || o->term < c->nodes[nl].term) {
		scen_fail(s, "n%" PRIu64 " rejoined but is %s in term %" PRIu64,
			  old, node_role_name(o->role), o->term);
		return;
	}
	for (raft_index i = stale_first; i <= stale_last; i++) {
		if (i <= o->last_index && o->log[i].term == old_term) {
			scen_fail(s,
				  "n%" PRIu64 " still holds its uncommitted "
				  "entry (%" PRIu64 ",%" PRIu64 ")",
				  old, i, old_term);
			return;
		}
		if (i <= c->chk.len && c->chk.term[i] == old_term) {
			scen_fail(s,
				  "stale entry (%" PRIu64 ",%" PRIu64
				  ") was committed",
				  i, old_term);
			return;
		}
	}
	scen_info(s,
		  "n%" PRIu64 " rejoined, stepped down and lost its "
		  "uncommitted [%" PRIu64 "..%" PRIu64 "] of term %" PRIu64,
		  old, stale_first, stale_last, old_term);
}

/* A follower with a long divergent tail in several old terms is
 * overwritten after a few round trips: the leader backs off by term with
 * the follower's hint, not one entry at a time. */
#define DIVERGENT_ROUNDS    4
#define DIVERGENT_PER_ROUND 50

static void sc_divergent_tail(struct scen *s)
{
	struct cluster *c = s->c;

	elect(s, 1);
	raft_index base = propose_many(s, 1, "base", 2);
	await_nodes(s, all_nodes(c), base, AWAIT_COMMIT, SETTLE_TICKS);

	/* n1 leads DIVERGENT_ROUNDS terms in a row, each time writing
	 * entries that never leave it; between them it restarts. */
	s->mute_appends_from = 1;
	for (unsigned r = 0; r < DIVERGENT_ROUNDS && !c->failed; r++) {
		char prefix[16];
		if (r > 0) {
			cluster_restart(c, 1);
			elect(s, 1);
		}
		snprintf(prefix, sizeof prefix, "tail%u", r);
		raft_index last =
		    propose_many(s, 1, prefix, DIVERGENT_PER_ROUND);
		await_nodes(s, bit(1), last, AWAIT_DURABLE, SETTLE_TICKS);
		cluster_crash(c, 1);
	}
	s->mute_appends_from = 0;
	if (c->failed) {
		return;
	}
	raft_index tail_last = c->nodes[1].disk_n;

	/* n2 leads a new term and commits a long log with n3, then hands
	 * leadership to n3: n3's first probe of n1 then starts far past the
	 * point where n1 diverges, 250 entries of a newer term away. */
	elect(s, 2);
	raft_index fresh = propose_many(s, 2, "fresh", 250);
	await_nodes(s, bit(2) | bit(3), fresh, AWAIT_COMMIT, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	int rv = cluster_transfer(c, 2, 3);
	raft_id three = 3;
	if (rv != 0 || !cluster_run_until(c, is_leader, &three, 20)) {
		if (!c->failed) {
			scen_fail(s, "transfer from n2 to n3 failed: %s",
				  raft_err_name(rv));
		}
		return;
	}

	/* n1 returns; count the appends until it matches. */
	s->count_leader = 3;
	s->count_follower = 1;
	s->n_appends = s->n_rejects = 0;
	cluster_restart(c, 1);
	await_match(s, 3, 1, c->nodes[3].last_index, SETTLE_TICKS);
	await_nodes(s, bit(1), fresh, AWAIT_APPLIED, SETTLE_TICKS);
	s->count_leader = 0;
	if (c->failed) {
		return;
	}
	/* One rejection per divergent term at most, plus slack for an
	 * append that crossed the restart. */
	unsigned bound = DIVERGENT_ROUNDS + 2;
	if (s->n_rejects == 0 || s->n_rejects > bound) {
		scen_fail(s,
			  "overwriting a divergent tail of %" PRIu64
			  " entries in %u terms took %u rejected appends "
			  "(expected 1..%u): no fast back-off by term?",
			  tail_last - base, DIVERGENT_ROUNDS, s->n_rejects,
			  bound);
		return;
	}
	scen_info(s,
		  "divergent tail of %" PRIu64 " entries in %u terms "
		  "overwritten after %u rejected appends (%u appends)",
		  tail_last - base, DIVERGENT_ROUNDS, s->n_rejects,
		  s->n_appends);
}

/* A node partitioned alone for ten election timeouts rejoins: pre-vote
 * kept its term, so the leader is not disrupted. */
static void sc_prevote_rejoin(struct scen *s)
{
	struct cluster *c = s->c;
	raft_id l = settled_leader(s);
	if (l == 0) {
		return;
	}
	raft_id f = l % c->n + 1;
	raft_term term = c->nodes[l].term;
	raft_term f_term = c->nodes[f].term;

	cluster_isolate(c, f);
	cluster_run_ticks(c, 10 * 10);
	if (c->failed) {
		return;
	}
	if (c->nodes[f].term != f_term) {
		scen_fail(s,
			  "isolated n%" PRIu64 " moved from term %" PRIu64
			  " to %" PRIu64 " despite pre-vote",
			  f, f_term, c->nodes[f].term);
		return;
	}
	cluster_connect_all(c);
	cluster_run_ticks(c, 3 * 10);
	raft_index after = propose_ok(s, l, "after");
	await_nodes(s, all_nodes(c), after, AWAIT_APPLIED, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	if (cluster_leader(c) != l || c->nodes[l].term != term ||
	    c->nodes[f].leader_id != l) {
		scen_fail(
		    s,
		    "leader n%" PRIu64 " of term %" PRIu64
		    " was disrupted: leader now n%" PRIu64 " in term %" PRIu64
		    ", n%" PRIu64 " follows n%" PRIu64,
		    l, term, cluster_leader(c),
		    c->nodes[cluster_leader(c)].term, f, c->nodes[f].leader_id);
		return;
	}
	scen_info(s,
		  "n%" PRIu64 " was alone 100 ticks, stayed in term %" PRIu64
		  "; n%" PRIu64 " still leads term %" PRIu64,
		  f, f_term, l, term);
}

/* Stops the run as soon as leadership changes. */
struct stable {
	raft_id leader;
	raft_term term;
};

static bool leadership_changed(struct cluster *c, void *arg)
{
	const struct stable *st = arg;
	return cluster_leader(c) != st->leader ||
	       c->nodes[st->leader].term != st->term;
}

/* Runs ticks with a proposal every 5 (none if prefix is NULL), and fails
 * if leadership changes. Returns the last index proposed. */
static raft_index steady(struct scen *s, raft_id l, unsigned ticks,
			 const char *prefix)
{
	struct cluster *c = s->c;
	struct stable st = {l, c->nodes[l].term};
	raft_index last = 0;

	for (unsigned k = 0; k < ticks / 5 && !c->failed; k++) {
		char data[32];
		if (prefix != NULL) {
			snprintf(data, sizeof data, "%s-%u", prefix, k);
			last = propose_ok(s, l, data);
		}
		if (cluster_run_until(c, leadership_changed, &st, 5)) {
			scen_fail(s,
				  "leader n%" PRIu64 " of term %" PRIu64
				  " lost its office: leader now n%" PRIu64
				  " in term %" PRIu64,
				  l, st.term, cluster_leader(c),
				  cluster_max_term(c));
		}
	}
	return last;
}

/* One follower cannot hear the leader (the leader hears it, the others
 * hear everyone). Its pre-votes are refused by sticky followers; the
 * leader stays and commits go on. The first 100 ticks are idle, so the
 * cut-off follower's log is as up to date as anyone's and only leader
 * stickiness (not the log comparison) can refuse it. */
static void sc_asymmetric_follower(struct scen *s)
{
	struct cluster *c = s->c;
	raft_id l = settled_leader(s);
	if (l == 0) {
		return;
	}
	raft_id f = l % c->n + 1;

	net_set_cut(&c->net, (unsigned)l, (unsigned)f, true);
	cluster_trace(c, 0, "network: n%" PRIu64 " cannot hear n%" PRIu64, f,
		      l);
	steady(s, l, 100, NULL);
	raft_index last = steady(s, l, 200, "asym");
	await_nodes(s, all_nodes(c) & ~bit(f), last, AWAIT_APPLIED,
		    SETTLE_TICKS);
	cluster_connect_all(c);
	await_nodes(s, all_nodes(c), last, AWAIT_APPLIED, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	scen_info(s,
		  "n%" PRIu64 " could not hear leader n%" PRIu64
		  " for 300 ticks; leader and term unchanged, %" PRIu64
		  " committed",
		  f, l, last);
}

/* A bridge: two halves that only talk through one node. The leader's half
 * plus the bridge is a majority, and the other half's pre-votes fail. */
static void sc_bridge(struct scen *s)
{
	struct cluster *c = s->c;
	raft_id l = settled_leader(s);
	if (l == 0) {
		return;
	}

	/* Bridge b = the next id; l's side: l and the one after b. */
	raft_id b = l % c->n + 1;
	raft_id mate = b % c->n + 1;
	unsigned left = bit(l) | bit(mate);
	net_connect_all(&c->net);
	for (unsigned x = 1; x <= c->n; x++) {
		for (unsigned y = 1; y <= c->n; y++) {
			if (x == b || y == b) {
				continue;
			}
			if (((left & bit(x)) != 0) != ((left & bit(y)) != 0)) {
				net_set_cut(&c->net, x, y, true);
			}
		}
	}
	cluster_trace(c, 0,
		      "network: bridge n%" PRIu64 " between %#x and the "
		      "rest",
		      b, left);
	steady(s, l, 100, NULL);
	raft_index last = steady(s, l, 200, "bridge");
	await_nodes(s, left | bit(b), last, AWAIT_APPLIED, SETTLE_TICKS);
	cluster_connect_all(c);
	await_nodes(s, all_nodes(c), last, AWAIT_APPLIED, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	scen_info(s,
		  "leader n%" PRIu64 " kept its term across a bridge "
		  "through n%" PRIu64,
		  l, b);
}

/* A leader cut off from every follower steps down within two election
 * timeouts (check-quorum). */
static bool not_leader(struct cluster *c, void *arg)
{
	raft_id id = *(raft_id *)arg;
	return c->nodes[id].role != RAFT_LEADER;
}

static void sc_check_quorum(struct scen *s)
{
	struct cluster *c = s->c;
	raft_id l = settled_leader(s);
	if (l == 0) {
		return;
	}
	uint64_t start = c->now;
	cluster_isolate(c, l);
	/* Checked once per election timeout: the first check may come just
	 * after the cut, so stepping down takes up to two. */
	unsigned bound = 2 * 10 + 1;
	if (!cluster_run_until(c, not_leader, &l, bound)) {
		if (!c->failed) {
			scen_fail(s,
				  "isolated leader n%" PRIu64 " still leads "
				  "after %u ticks",
				  l, bound);
		}
		return;
	}
	unsigned took = (unsigned)((c->now - start) / SIM_STEPS_PER_TICK);
	raft_id nl = await_leader(s);
	if (c->failed) {
		return;
	}
	if (nl == l) {
		scen_fail(s, "n%" PRIu64 " leads again while isolated", l);
		return;
	}
	scen_info(s,
		  "isolated leader n%" PRIu64 " stepped down after %u "
		  "ticks; n%" PRIu64 " leads",
		  l, took, nl);
}

/* Leadership transfer: proposals are refused while it runs, the target
 * wins the next term at once, and transfer to 0 picks someone. */
static void sc_leader_transfer(struct scen *s)
{
	struct cluster *c = s->c;
	raft_id l = settled_leader(s);
	if (l == 0) {
		return;
	}
	raft_id t = l % c->n + 1;
	raft_term term = c->nodes[l].term;

	int rv = cluster_transfer(c, l, l);
	if (rv != RAFT_EINVAL) {
		scen_fail(s, "transfer to itself: %s, expected RAFT_EINVAL",
			  raft_err_name(rv));
		return;
	}
	rv = cluster_transfer(c, l, t);
	if (rv != 0) {
		scen_fail(s, "transfer to n%" PRIu64 ": %s", t,
			  raft_err_name(rv));
		return;
	}
	if (c->nodes[l].role == RAFT_LEADER) {
		rv = cluster_propose(c, l, "during", NULL, NULL);
		if (rv != RAFT_EBUSY) {
			scen_fail(s,
				  "propose during a transfer: %s, "
				  "expected RAFT_EBUSY",
				  raft_err_name(rv));
			return;
		}
	}
	if (!cluster_run_until(c, is_leader, &t, 10)) {
		if (!c->failed) {
			scen_fail(s,
				  "n%" PRIu64 " did not take over within "
				  "an election timeout",
				  t);
		}
		return;
	}
	if (c->nodes[t].term != term + 1) {
		scen_fail(s,
			  "n%" PRIu64 " took over in term %" PRIu64
			  ", expected %" PRIu64,
			  t, c->nodes[t].term, term + 1);
		return;
	}
	raft_index last = propose_ok(s, t, "after");
	await_nodes(s, all_nodes(c), last, AWAIT_APPLIED, SETTLE_TICKS);

	rv = cluster_transfer(c, t, 0);
	if (rv != 0) {
		scen_fail(s, "transfer to any: %s", raft_err_name(rv));
		return;
	}
	struct stable st = {t, c->nodes[t].term};
	if (!cluster_run_until(c, leadership_changed, &st, 10)) {
		if (!c->failed) {
			scen_fail(
			    s, "transfer to any: n%" PRIu64 " still leads", t);
		}
		return;
	}
	raft_id nl = await_leader(s);
	if (c->failed) {
		return;
	}
	last = propose_ok(s, nl, "final");
	await_nodes(s, all_nodes(c), last, AWAIT_APPLIED, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	scen_info(
	    s, "n%" PRIu64 " -> n%" PRIu64 " (term %" PRIu64 ") -> n%" PRIu64,
	    l, t, term + 1, nl);
}

static bool read_done(struct cluster *c, void *arg)
{
	uint64_t ctx = *(uint64_t *)arg;
	return c->chk.reads[ctx].done;
}

/* ReadIndex across a leader change: a read asked of a leader that is cut
 * off fails with RAFT_ELEADERCHANGED; the new leader's reads see every
 * committed write. */
static void sc_read_index_leader_change(struct scen *s)
{
	struct cluster *c = s->c;
	uint64_t ctx = 0;
	raft_id l = settled_leader(s);
	if (l == 0) {
		return;
	}

	int rv = cluster_read_index(c, l, &ctx);
	if (rv != 0 || !cluster_run_until(c, read_done, &ctx, 5) ||
	    c->chk.reads[ctx].status != 0) {
		if (!c->failed) {
			scen_fail(s, "read on a healthy leader failed");
		}
		return;
	}

	cluster_isolate(c, l);
	rv = cluster_read_index(c, l, &ctx);
	if (rv != 0) {
		scen_fail(s, "read on the cut-off leader: %s",
			  raft_err_name(rv));
		return;
	}
	if (!cluster_run_until(c, read_done, &ctx, 3 * 10)) {
		if (!c->failed) {
			scen_fail(s,
				  "the cut-off leader never answered "
				  "read ctx %" PRIu64,
				  ctx);
		}
		return;
	}
	if (c->chk.reads[ctx].status != RAFT_ELEADERCHANGED) {
		scen_fail(s,
			  "read on the cut-off leader: status %s, "
			  "expected RAFT_ELEADERCHANGED",
			  raft_err_name(c->chk.reads[ctx].status));
		return;
	}

	raft_id nl = 0;
	for (unsigned k = 0; k < ELECT_TICKS && nl == 0 && !c->failed; k++) {
		cluster_run_ticks(c, 1);
		nl = cluster_leader(c);
		if (nl == l) {
			nl = 0;
		}
	}
	if (nl == 0) {
		if (!c->failed) {
			scen_fail(s, "no new leader");
		}
		return;
	}
	/* Ask at once: the new leader may not have committed in its term
	 * yet, and the read must wait for that. */
	rv = cluster_read_index(c, nl, &ctx);
	if (rv != 0) {
		scen_fail(s, "read on the new leader: %s", raft_err_name(rv));
		return;
	}
	raft_index floor = c->chk.reads[ctx].floor;
	if (!cluster_run_until(c, read_done, &ctx, 10) ||
	    c->chk.reads[ctx].status != 0) {
		if (!c->failed) {
			scen_fail(s, "read on the new leader did not succeed");
		}
		return;
	}
	cluster_connect_all(c);
	raft_index last = propose_ok(s, nl, "after");
	await_nodes(s, all_nodes(c), last, AWAIT_APPLIED, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	scen_info(s,
		  "read on cut-off n%" PRIu64 " failed as it should; "
		  "new leader n%" PRIu64 " read index %" PRIu64 " >= %" PRIu64,
		  l, nl, c->chk.reads[ctx].index, floor);
}

/* InstallSnapshot (Raft section 7): a follower cut off while the leader
 * commits and compacts its whole log catches up from a snapshot. Variants:
 * the first stream is lost and the leader sends another once the runtime
 * reports the failure; or leadership moves to the other follower while the
 * first stream is on its way (it arrives from a deposed leader, whose
 * runtime reports to a core that no longer leads), and the new leader,
 * compacted too, sends its own. The plain run then restarts the follower
 * (a snapshot and the log right after it) and the other node (a snapshot
 * with a trailing margin of log before it). */
enum snap_variant { SNAP_PLAIN, SNAP_LOST, SNAP_LEADER_CHANGE };

#define SNAP_GAP 40 /* entries committed while the follower is away */

struct snap_wait {
	raft_id to;
	uint64_t sent;
};

static bool snapshot_sent(struct cluster *c, void *arg)
{
	const struct snap_wait *w = arg;
	return c->snap_sent_to[w->to] > w->sent;
}

static bool no_stream_left(struct cluster *c, void *arg)
{
	(void)arg;
	return c->n_transfers == 0;
}

/* Node id's state machine saves a snapshot at its applied index. */
static raft_index snapshot_ok(struct scen *s, raft_id id, raft_index trailing)
{
	raft_index index = s->c->nodes[id].applied;
	if (s->c->failed) {
		return 0;
	}
	int rv = cluster_take_snapshot(s->c, id, index, trailing);
	if (rv != 0) {
		scen_fail(s, "snapshot at %" PRIu64 " on n%" PRIu64 ": %s",
			  index, id, raft_err_name(rv));
	}
	return index;
}

static void snapshot_catch_up(struct scen *s, enum snap_variant v)
{
	struct cluster *c = s->c;
	raft_id l = settled_leader(s);
	if (l == 0) {
		return;
	}
	raft_id f = l % c->n + 1;
	raft_id other = f % c->n + 1;

	cluster_isolate(c, f);
	raft_index last = propose_many(s, l, "gap", SNAP_GAP);
	await_nodes(s, all_nodes(c) & ~bit(f), last, AWAIT_APPLIED,
		    SETTLE_TICKS);
	/* Nothing of what n%f misses is left in the leader's log. */
	raft_index snap = snapshot_ok(s, l, 0);
	snapshot_ok(s, other, v == SNAP_LEADER_CHANGE ? 0 : 5);
	if (c->failed) {
		return;
	}
	struct snap_wait w = {f, c->snap_sent_to[f]};
	uint64_t sent_before = w.sent;
	if (v == SNAP_LOST) {
		s->drop_snapshots_to = f;
		s->n_snapshot_drops = 1;
	}
	if (v == SNAP_LEADER_CHANGE) {
		/* A slow stream, so that the leader changes meanwhile. */
		c->snap_delay_min = c->snap_delay_max = 8 * SIM_STEPS_PER_TICK;
	}
	cluster_connect_all(c);
	raft_id nl = l;
	if (v == SNAP_LEADER_CHANGE) {
		if (!cluster_run_until(c, snapshot_sent, &w, SETTLE_TICKS)) {
			scen_fail(s,
				  "n%" PRIu64 " sent no snapshot to n%" PRIu64,
				  l, f);
			return;
		}
		int rv = cluster_transfer(c, l, other);
		if (rv != 0 || !cluster_run_until(c, is_leader, &other, 5)) {
			if (!c->failed) {
				scen_fail(s,
					  "transfer to n%" PRIu64
					  " during the snapshot stream "
					  "failed: %s",
					  other, raft_err_name(rv));
			}
			return;
		}
		nl = other;
		c->snap_delay_min = SIM_STEPS_PER_TICK;
		c->snap_delay_max = 3 * SIM_STEPS_PER_TICK;
	}
	last = propose_ok(s, nl, "after");
	await_nodes(s, all_nodes(c), last, AWAIT_APPLIED, SETTLE_TICKS);
	/* The deposed leader's stream may still be on its way. */
	if (!c->failed &&
	    !cluster_run_until(c, no_stream_left, NULL, SETTLE_TICKS)) {
		scen_fail(s, "snapshot streams still running after %u ticks",
			  SETTLE_TICKS);
	}
	if (c->failed) {
		return;
	}
	const struct node *fn = &c->nodes[f];
	uint64_t sent = c->snap_sent_to[f] - sent_before;
	uint64_t want = v == SNAP_PLAIN ? 1 : 2;
	if (sent < want || fn->n_installs == 0 ||
	    cluster_snapshot_index(c, f) < snap) {
		scen_fail(s,
			  "n%" PRIu64 " caught up with %" PRIu64
			  " snapshot streams (expected at least %" PRIu64
			  ") and %u installs, its snapshot at %" PRIu64
			  " (leader's at %" PRIu64 ")",
			  f, sent, want, fn->n_installs,
			  cluster_snapshot_index(c, f), snap);
		return;
	}
	if (v == SNAP_LOST && s->n_snapshot_drops != 0) {
		scen_fail(s, "no snapshot stream to n%" PRIu64 " was lost", f);
		return;
	}
	if (v == SNAP_LEADER_CHANGE && c->n_snap_after_leader_change == 0) {
		scen_fail(s, "the first stream arrived before the leader "
			     "changed");
		return;
	}
	if (v != SNAP_PLAIN) {
		scen_info(s,
			  "n%" PRIu64 " caught up to %" PRIu64 " with %" PRIu64
			  " snapshot streams (%s)",
			  f, last, sent,
			  v == SNAP_LOST ? "the first lost"
					 : "leader changed during the first");
		return;
	}

	/* Restarts from the snapshots: n%f's log starts right after its
	 * snapshot, the other's keeps a margin before it. */
	cluster_crash(c, f);
	cluster_crash(c, other);
	cluster_restart(c, f);
	cluster_restart(c, other);
	if (c->failed) {
		return;
	}
	if (c->nodes[f].n_snapshot_restarts != 1 ||
	    c->nodes[f].n_margin_restarts != 0 ||
	    c->nodes[other].n_margin_restarts != 1) {
		scen_fail(s,
			  "restarts: n%" PRIu64 " %u from a snapshot, %u with "
			  "a margin; n%" PRIu64 " %u with a margin",
			  f, c->nodes[f].n_snapshot_restarts,
			  c->nodes[f].n_margin_restarts, other,
			  c->nodes[other].n_margin_restarts);
		return;
	}
	raft_id l2 = await_leader(s);
	raft_index end = propose_ok(s, l2, "end");
	await_nodes(s, all_nodes(c), end, AWAIT_APPLIED, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	scen_info(s,
		  "n%" PRIu64 " caught up to %" PRIu64 " from a snapshot at "
		  "%" PRIu64 "; restarts from snapshots applied up to %" PRIu64,
		  f, last, snap, end);
}

static void sc_snapshot_catch_up(struct scen *s)
{
	snapshot_catch_up(s, SNAP_PLAIN);
}

static void sc_snapshot_catch_up_lost(struct scen *s)
{
	snapshot_catch_up(s, SNAP_LOST);
}

static void sc_snapshot_catch_up_leader_change(struct scen *s)
{
	snapshot_catch_up(s, SNAP_LEADER_CHANGE);
}

/* ---- membership ---------------------------------------------------------- */

/* Adds a new node as a learner on leader l; it must be accepted and is
 * awaited committed on the leader. Returns its id. */
static raft_id add_learner_ok(struct scen *s, raft_id l)
{
	raft_id id = 0;
	raft_index index = 0;
	if (s->c->failed) {
		return 0;
	}
	int rv = cluster_add_member(s->c, l, RAFT_LEARNER, &id, &index, NULL);
	if (rv != 0) {
		scen_fail(s, "add_member on n%" PRIu64 ": %s", l,
			  raft_err_name(rv));
		return 0;
	}
	await_nodes(s, bit(l), index, AWAIT_COMMIT, SETTLE_TICKS);
	return id;
}

/* Promotes learner id on leader l, retrying each tick while it is behind
 * or not heard from yet; awaits the change committed on the leader. */
static void promote_ok(struct scen *s, raft_id l, raft_id id)
{
	struct cluster *c = s->c;
	raft_index index = 0;
	int rv = RAFT_EUNAVAILABLE;
	for (unsigned k = 0; k < SETTLE_TICKS && !c->failed; k++) {
		rv = cluster_promote(c, l, id, &index, NULL);
		if (rv != RAFT_ELAGGING && rv != RAFT_EUNAVAILABLE) {
			break;
		}
		cluster_run_ticks(c, 1);
	}
	if (c->failed) {
		return;
	}
	if (rv != 0) {
		scen_fail(s, "promote n%" PRIu64 " on n%" PRIu64 ": %s", id, l,
			  raft_err_name(rv));
		return;
	}
	await_nodes(s, bit(l), index, AWAIT_COMMIT, SETTLE_TICKS);
}

/* Removes member id on leader l; it must be accepted. Returns the index of
 * the change (not awaited). */
static raft_index remove_ok(struct scen *s, raft_id l, raft_id id)
{
	raft_index index = 0;
	if (s->c->failed) {
		return 0;
	}
	int rv = cluster_remove_member(s->c, l, id, &index, NULL);
	if (rv != 0) {
		scen_fail(s, "remove_member n%" PRIu64 " on n%" PRIu64 ": %s",
			  id, l, raft_err_name(rv));
	}
	return index;
}

/* The members of the latest committed configuration, as a mask of ids. */
static unsigned members(const struct cluster *c)
{
	const struct raft_configuration *conf = check_committed_conf(&c->chk);
	unsigned mask = 0;
	for (unsigned i = 0; i < conf->n; i++) {
		mask |= bit(conf->servers[i].id);
	}
	return mask;
}

/* Leader `from` stepped down and another node leads. */
static bool handed_over(struct cluster *c, void *arg)
{
	raft_id from = *(raft_id *)arg;
	raft_id l = cluster_leader(c);
	return c->nodes[from].role != RAFT_LEADER && l != 0 && l != from;
}

/* Waits for leader `from`, removed by the change at index, to hand over;
 * returns the new leader. */
static raft_id await_handover(struct scen *s, raft_id from, raft_index index,
			      unsigned *took)
{
	struct cluster *c = s->c;
	uint64_t start = c->now;
	if (!c->failed &&
	    !cluster_run_until(c, handed_over, &from, SETTLE_TICKS)) {
		scen_fail(s,
			  "leader n%" PRIu64 " did not hand over within %u "
			  "ticks of its removal at %" PRIu64 " (commit index "
			  "%" PRIu64 ")",
			  from, SETTLE_TICKS, index, c->nodes[from].commit);
	}
	*took = (unsigned)((c->now - start) / SIM_STEPS_PER_TICK);
	return c->failed ? 0 : cluster_leader(c);
}

/* A voter other than those in mask (0: none). */
static raft_id other_voter(struct cluster *c, raft_id leader, unsigned mask)
{
	const struct raft_configuration *conf = cluster_node_conf(c, leader);
	for (unsigned i = 0; i < conf->n; i++) {
		raft_id id = conf->servers[i].id;
		if (conf->servers[i].role == RAFT_VOTER && !(mask & bit(id))) {
			return id;
		}
	}
	return 0;
}

/* Grow 3 -> 5 voters through learners, one change at a time, then shrink
 * back to 3 removing the leader first, and on to 1; the last voter cannot
 * be removed. Along the way: the new voters count in the quorum, the
 * removed leader hands over, removed nodes get nothing new. */
static void sc_membership_grow_shrink(struct scen *s)
{
	struct cluster *c = s->c;
	raft_id l = settled_leader(s);
	if (l == 0) {
		return;
	}

	/* Grow: two learners; a second change waits for the first. */
	raft_id a = 0, b = 0;
	raft_index index = 0;
	int rv = cluster_add_member(c, l, RAFT_LEARNER, &a, &index, NULL);
	if (rv != 0) {
		scen_fail(s, "add_member on n%" PRIu64 ": %s", l,
			  raft_err_name(rv));
		return;
	}
	rv = cluster_add_member(c, l, RAFT_LEARNER, &b, NULL, NULL);
	if (rv != RAFT_EBUSY) {
		scen_fail(s,
			  "a second add_member before the first committed: "
			  "%s, expected RAFT_EBUSY",
			  raft_err_name(rv));
		return;
	}
	await_nodes(s, bit(l), index, AWAIT_COMMIT, SETTLE_TICKS);
	b = add_learner_ok(s, l);
	raft_index last = propose_many(s, l, "grow", 10);
	/* The learners catch up from an empty log. */
	await_nodes(s, all_nodes(c), last, AWAIT_APPLIED, SETTLE_TICKS);
	promote_ok(s, l, a);
	promote_ok(s, l, b);
	if (c->failed) {
		return;
	}
	unsigned voters = raft_configuration_n_voters(cluster_node_conf(c, l));
	if (voters != 5) {
		scen_fail(s, "n%" PRIu64 " has %u voters after two promotions",
			  l, voters);
		return;
	}
	/* The new voters count: with the two other old voters cut off, the
	 * leader and the new ones are a majority of five. */
	raft_id f1 = other_voter(c, l, bit(l) | bit(a) | bit(b));
	raft_id f2 = other_voter(c, l, bit(l) | bit(a) | bit(b) | bit(f1));
	cluster_isolate(c, f1);
	cluster_isolate(c, f2);
	last = propose_ok(s, l, "five");
	await_nodes(s, bit(l) | bit(a) | bit(b), last, AWAIT_COMMIT,
		    SETTLE_TICKS);
	cluster_connect_all(c);
	await_nodes(s, all_nodes(c), last, AWAIT_APPLIED, SETTLE_TICKS);
	if (c->failed) {
		return;
	}

	/* Shrink: the leader removes itself and hands over. */
	raft_term term = c->nodes[l].term;
	raft_index removal = remove_ok(s, l, l);
	unsigned took = 0;
	raft_id nl = await_handover(s, l, removal, &took);
	if (c->failed) {
		return;
	}
	if (c->chk.len < removal) {
		scen_fail(s,
			  "n%" PRIu64 " handed over before its removal at "
			  "%" PRIu64 " was committed",
			  l, removal);
		return;
	}
	/* Then the other old voters: back to three voters (once the new
	 * leader committed an entry of its term: changes wait for that). */
	await_nodes(s, bit(nl), c->nodes[nl].last_index, AWAIT_COMMIT,
		    SETTLE_TICKS);
	raft_id gone = nl == f1 ? f2 : f1;
	index = remove_ok(s, nl, gone);
	await_nodes(s, bit(nl), index, AWAIT_COMMIT, SETTLE_TICKS);
	last = propose_ok(s, nl, "three");
	await_nodes(s, members(c), last, AWAIT_APPLIED, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	voters = raft_configuration_n_voters(check_committed_conf(&c->chk));
	if (voters != 3 || (members(c) & (bit(l) | bit(gone))) != 0) {
		scen_fail(s, "the committed configuration has %u voters",
			  voters);
		return;
	}
	if (c->nodes[l].last_index >= last ||
	    c->nodes[gone].last_index >= last) {
		scen_fail(
		    s, "removed n%" PRIu64 " or n%" PRIu64 " got new entries",
		    l, gone);
		return;
	}

	/* On to one voter; the last one cannot go. */
	raft_id v;
	while (!c->failed && (v = other_voter(c, nl, bit(nl))) != 0) {
		index = remove_ok(s, nl, v);
		await_nodes(s, bit(nl), index, AWAIT_COMMIT, SETTLE_TICKS);
	}
	rv = cluster_remove_member(c, nl, nl, NULL, NULL);
	if (!c->failed && rv != RAFT_EINVAL) {
		scen_fail(s,
			  "removing the last voter: %s, expected RAFT_EINVAL",
			  raft_err_name(rv));
		return;
	}
	last = propose_ok(s, nl, "alone");
	await_nodes(s, bit(nl), last, AWAIT_APPLIED, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	scen_info(s,
		  "grew to 5 voters (n%" PRIu64 " n%" PRIu64 " promoted); "
		  "leader n%" PRIu64 " of term %" PRIu64 " removed itself, "
		  "n%" PRIu64 " led %u ticks later; shrank to 3, then 1",
		  a, b, l, term, nl, took);
}

/* The leader of five removes itself while a follower is partitioned: the
 * other three commit the change, the leader hands over to one of them at
 * once (TimeoutNow: the next term), and the follower rejoins, learns the
 * new configuration and disrupts nobody, nor does the removed leader,
 * which runs on. */
static void sc_membership_remove_leader_partitioned(struct scen *s)
{
	struct cluster *c = s->c;
	raft_id l = settled_leader(s);
	if (l == 0) {
		return;
	}
	raft_id f = l % c->n + 1;
	raft_term term = c->nodes[l].term;
	cluster_isolate(c, f);

	raft_index removal = remove_ok(s, l, l);
	unsigned took = 0;
	raft_id nl = await_handover(s, l, removal, &took);
	if (c->failed) {
		return;
	}
	if (nl == f || c->nodes[nl].term != term + 1 || took > 10) {
		scen_fail(s,
			  "after n%" PRIu64 " of term %" PRIu64 " removed "
			  "itself, n%" PRIu64 " leads term %" PRIu64 " %u "
			  "ticks later (expected a handover to a connected "
			  "voter in the next term within an election timeout)",
			  l, term, nl, c->nodes[nl].term, took);
		return;
	}
	unsigned rest = all_nodes(c) & ~bit(l) & ~bit(f);
	raft_index last = propose_ok(s, nl, "after");
	await_nodes(s, rest, last, AWAIT_APPLIED, SETTLE_TICKS);

	/* The follower rejoins; the removed leader is still on the network. */
	cluster_connect_all(c);
	await_nodes(s, bit(f), last, AWAIT_APPLIED, SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	if (conf_has(cluster_node_conf(c, f), l, 0)) {
		scen_fail(s, "n%" PRIu64 " rejoined but still counts n%" PRIu64,
			  f, l);
		return;
	}
	last = steady(s, nl, 100, "steady");
	await_nodes(s, all_nodes(c) & ~bit(l), last, AWAIT_APPLIED,
		    SETTLE_TICKS);
	if (c->failed) {
		return;
	}
	if (c->nodes[l].role == RAFT_LEADER || c->nodes[l].last_index >= last) {
		scen_fail(s, "removed n%" PRIu64 " leads or got new entries",
			  l);
		return;
	}
	scen_info(s,
		  "n%" PRIu64 " removed itself with n%" PRIu64 " cut off; "
		  "n%" PRIu64 " led term %" PRIu64 " %u ticks later and kept "
		  "it after n%" PRIu64 " rejoined",
		  l, f, nl, term + 1, took, f);
}

/* ---- the table ---------------------------------------------------------- */

struct scenario_def {
	const char *name;
	const char *summary;
	unsigned n_nodes;
	void (*configure)(struct cluster_options *o);
	void (*run)(struct scen *s);
};

static void one_entry_per_append(struct cluster_options *o)
{
	o->max_append_entries = 1;
}

static void no_check_quorum(struct cluster_options *o)
{
	o->check_quorum = false;
}

static const struct scenario_def scenarios[] = {
    {"figure8",
     "Raft Figure 8: an old-term entry on a majority is not committed", 5,
     one_entry_per_append, sc_figure8},
    {"stale_leader_rejoins",
     "a cut-off leader returns, steps down, loses its uncommitted suffix", 5,
     no_check_quorum, sc_stale_leader_rejoins},
    {"divergent_tail",
     "a 200-entry divergent tail in 4 terms is overwritten in few trips", 3,
     NULL, sc_divergent_tail},
    {"prevote_rejoin",
     "a node alone for 10 election timeouts rejoins without disruption", 5,
     NULL, sc_prevote_rejoin},
    {"asymmetric_follower",
     "a follower that cannot hear the leader does not depose it", 3, NULL,
     sc_asymmetric_follower},
    {"bridge", "two halves talking through one node keep one leader", 5, NULL,
     sc_bridge},
    {"check_quorum",
     "a leader cut off from all followers steps down in 2 timeouts", 5, NULL,
     sc_check_quorum},
    {"leader_transfer",
     "transfer to a node, then to anyone; proposals refused meanwhile", 3, NULL,
     sc_leader_transfer},
    {"read_index_leader_change",
     "reads fail on a deposed leader and see all commits on the new one", 5,
     NULL, sc_read_index_leader_change},
    {"snapshot_catch_up",
     "a follower behind a compacted log catches up from a snapshot", 3, NULL,
     sc_snapshot_catch_up},
    {"snapshot_catch_up_lost",
     "the first snapshot stream is lost; the leader sends another", 3, NULL,
     sc_snapshot_catch_up_lost},
    {"snapshot_catch_up_leader_change",
     "the leader changes while its snapshot streams; the new one sends", 3,
     NULL, sc_snapshot_catch_up_leader_change},
    {"membership_grow_shrink",
     "3 -> 5 voters through learners, back to 3 removing the leader, to 1", 3,
     NULL, sc_membership_grow_shrink},
    {"membership_remove_leader_partitioned",
     "the leader removes itself while a follower is cut off; it hands over", 5,
     NULL, sc_membership_remove_leader_partitioned},
};

#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])

unsigned scenario_count(void)
{
	return (unsigned)N_SCENARIOS;
}

const char *scenario_name(unsigned i)
{
	return i < N_SCENARIOS ? scenarios[i].name : NULL;
}

const char *scenario_summary(unsigned i)
{
	return i < N_SCENARIOS ? scenarios[i].summary : NULL;
}

bool scenario_run(const char *name, const struct scenario_options *o,
		  struct scenario_result *r)
{
	const struct scenario_def *def = NULL;
	struct cluster_options co;
	struct cluster c;
	struct scen s;

	for (size_t i = 0; i < N_SCENARIOS; i++) {
		if (strcmp(scenarios[i].name, name) == 0) {
			def = &scenarios[i];
		}
	}
	if (def == NULL) {
		return false;
	}
	memset(r, 0, sizeof *r);
	cluster_options_defaults(&co, o->seed, def->n_nodes);
	co.trace = o->trace;
	co.no_commit_rule = o->no_commit_rule;
	if (def->configure != NULL) {
		def->configure(&co);
	}
	cluster_init(&c, &co);
	memset(&s, 0, sizeof s);
	s.c = &c;
	s.res = r;
	cluster_set_filter(&c, scen_filter, &s);
	cluster_trace(&c, 0, "scenario %s seed=%" PRIu64, name, o->seed);
	if (!c.failed) {
		def->run(&s);
	}
	r->ok = !c.failed;
	r->failed_at = c.failed_at;
	snprintf(r->why, sizeof r->why, "%s", c.why);
	cluster_close(&c);
	return true;
}
