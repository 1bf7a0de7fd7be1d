/* Unit tests of log replication (lib/core/replication.c): Raft section
 * 5.3, commitment (5.4.2, Figure 8), batching, pipelining and parallel
 * append. */
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "test.h"

#define ET 10 /* election ticks of cluster_config() */

struct repl_fixture {
	struct cluster c;
	struct raft_core_config cfg; /* template for the nodes */
	struct batch b;
};

SETUP(repl)
{
	cluster_init(&f->c);
	cluster_config(&f->cfg, 1);
}

TEARDOWN(repl)
{
	batch_free(&f->b);
	cluster_close(&f->c);
}

/* Three voters with f->cfg; node 1 leads and everyone holds its no-op. */
static void elect_three(struct repl_fixture *f)
{
	cluster_bootstrap(&f->c, 3, 0, &f->cfg);
	cluster_elect(&f->c, 1);
}

static void take(struct repl_fixture *f, raft_id id)
{
	batch_free(&f->b);
	cluster_handle_ready(&f->c, id, &f->b);
}

static struct raft_peer_status peer(struct repl_fixture *f, raft_id id)
{
	struct raft_peer_status st;
	ASSERT_OK(raft_core_peer_status(cluster_core(&f->c, 1), id, &st));
	return st;
}

/* How many messages of f->b (not persisted) are appends to `to`, and how
 * many entries they carry in all. */
static size_t appends_to(const struct repl_fixture *f, raft_id to,
			 size_t *n_entries)
{
	size_t i, n = 0;
	if (n_entries != NULL) {
		*n_entries = 0;
	}
	for (i = 0; i < f->b.n_messages; i++) {
		const struct raft_message *m = &f->b.messages[i];
		if (m->type == RAFT_MSG_APPEND && m->to == to) {
			n++;
			if (n_entries != NULL) {
				*n_entries += m->append.n_entries;
			}
		}
	}
	return n;
}

/* Proposes n entries "p0", "p1", ..., one call each; returns the last index. */
static raft_index propose_n(struct repl_fixture *f, unsigned n)
{
	raft_index last = 0;
	unsigned i;
	for (i = 0; i < n; i++) {
		char data[16];
		snprintf(data, sizeof(data), "p%u", i);
		last = cluster_propose(&f->c, 1, data);
	}
	return last;
}

static struct raft_message append_msg(raft_id from, raft_id to, raft_term term,
				      raft_index prev_index,
				      raft_term prev_term, raft_index commit)
{
	struct raft_message m = {0};
	m.type = RAFT_MSG_APPEND;
	m.from = from;
	m.to = to;
	m.term = term;
	m.append.prev_index = prev_index;
	m.append.prev_term = prev_term;
	m.append.commit = commit;
	return m;
}

TEST(repl, new_leader_sends_its_noop_with_its_write)
{
	const struct raft_message *m;
	f->cfg.pre_vote = false;
	cluster_bootstrap(&f->c, 3, 0, &f->cfg);
	cluster_node(&f->c, 1)->manual_persist = true;
	cluster_campaign(&f->c, 1);
	ASSERT_ROLE(&f->c, 1, RAFT_CANDIDATE);
	take(f, 1);
	cluster_persist(&f->c, 1);
	cluster_deliver(&f->c);
	cluster_flush(&f->c, 2);
	cluster_deliver(&f->c);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	take(f, 1);
	ASSERT_EQ_U64(f->b.n_entries, 1);
	ASSERT_EQ_U64(f->b.entries[0].index, 2);
	ASSERT_EQ_U64(f->b.entries[0].term, 2);
	ASSERT_EQ_U64(f->b.entries[0].type, RAFT_ENTRY_NOOP);
	/* The appends leave with the write, not after it (parallel append). */
	ASSERT_EQ_U64(appends_to(f, 2, NULL), 1);
	ASSERT_EQ_U64(appends_to(f, 3, NULL), 1);
	ASSERT_EQ_U64(f->b.n_persisted_messages, 0);
	m = BATCH_GET(&f->b, false, RAFT_MSG_APPEND, 3);
	ASSERT_EQ_U64(m->term, 2);
	ASSERT_EQ_U64(m->append.prev_index, 1);
	ASSERT_EQ_U64(m->append.prev_term, 1);
	ASSERT_EQ_U64(m->append.commit, 0);
	ASSERT_EQ_U64(m->append.n_entries, 1);
	ASSERT_EQ_U64(m->append.entries[0].type, RAFT_ENTRY_NOOP);
}

TEST(repl, election_commits_the_noop_and_everything_before_it)
{
	unsigned i;
	elect_three(f);
	for (i = 1; i <= 3; i++) {
		struct cluster_node *n = cluster_node(&f->c, i);
		ASSERT_EQ_U64(cluster_status(&f->c, i).commit_index, 2);
		ASSERT_EQ_U64(n->n_applied, 2);
		ASSERT_EQ_U64(n->applied[0].type, RAFT_ENTRY_CONF);
		ASSERT_EQ_U64(n->applied[1].type, RAFT_ENTRY_NOOP);
	}
	ASSERT_EQ_U64(peer(f, 2).state, RAFT_PROGRESS_REPLICATE);
	ASSERT_EQ_U64(peer(f, 2).match_index, 2);
}

TEST(repl, proposals_before_a_ready_travel_in_one_append)
{
	size_t n_entries;
	elect_three(f);
	propose_n(f, 3);
	take(f, 1);
	ASSERT_EQ_U64(f->b.n_entries, 3);
	ASSERT_EQ_U64(appends_to(f, 2, &n_entries), 1);
	ASSERT_EQ_U64(n_entries, 3);
	ASSERT_EQ_U64(appends_to(f, 3, &n_entries), 1);
	ASSERT_EQ_U64(n_entries, 3);
}

TEST(repl, append_holds_at_most_max_append_entries)
{
	size_t n_entries, i;
	f->cfg.max_append_entries = 2;
	elect_three(f);
	propose_n(f, 5);
	take(f, 1);
	ASSERT_EQ_U64(appends_to(f, 2, &n_entries), 3);
	ASSERT_EQ_U64(n_entries, 5);
	for (i = 0; i < f->b.n_messages; i++) {
		ASSERT_LE_U64(f->b.messages[i].append.n_entries, 2);
	}
	/* They chain: each starts where the previous one ended. */
	ASSERT_EQ_U64(f->b.messages[0].append.prev_index, 2);
	ASSERT_EQ_U64(f->b.messages[1].append.prev_index, 4);
	ASSERT_EQ_U64(f->b.messages[2].append.prev_index, 6);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).commit_index, 7);
}

TEST(repl, append_holds_at_most_max_append_bytes_but_one_entry_always)
{
	struct raft_buf big = {"0123456789abcdef", 16};
	raft_term term;
	raft_index index;
	size_t i;
	f->cfg.max_append_bytes = 10;
	elect_three(f);
	/* Four 4-byte entries, then one above the limit. */
	cluster_propose(&f->c, 1, "aaaa");
	cluster_propose(&f->c, 1, "bbbb");
	cluster_propose(&f->c, 1, "cccc");
	cluster_propose(&f->c, 1, "dddd");
	ASSERT_OK(
	    raft_core_propose(cluster_core(&f->c, 1), &big, 1, &term, &index));
	take(f, 1);
	ASSERT_EQ_U64(appends_to(f, 2, NULL), 3);
	for (i = 0; i < f->b.n_messages; i++) {
		const struct raft_message *m = &f->b.messages[i];
		if (m->to != 2) {
			continue;
		}
		ASSERT_EQ_U64(m->append.n_entries,
			      m->append.prev_index == 6 ? 1 : 2);
	}
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).commit_index, index);
}

TEST(repl, inflight_window_limits_outstanding_appends)
{
	f->cfg.max_inflight_msgs = 2;
	f->cfg.max_append_entries = 1;
	elect_three(f);
	propose_n(f, 5);
	take(f, 1);
	ASSERT_EQ_U64(appends_to(f, 2, NULL), 2);
	ASSERT_EQ_U64(appends_to(f, 3, NULL), 2);
	/* More proposals do not open the window. */
	propose_n(f, 1);
	take(f, 1);
	ASSERT_EQ_U64(appends_to(f, 2, NULL), 0);
	/* Node 2's acknowledgements let two more go to it only. */
	cluster_deliver_if(&f->c, 1, 2, RAFT_MSG_APPEND);
	cluster_flush(&f->c, 2);
	cluster_deliver_if(&f->c, 2, 1, RAFT_MSG_APPEND_RESP);
	take(f, 1);
	ASSERT_EQ_U64(appends_to(f, 2, NULL), 2);
	ASSERT_EQ_U64(appends_to(f, 3, NULL), 0);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).commit_index, 8);
}

TEST(repl, inflight_bytes_limit_outstanding_appends)
{
	f->cfg.max_inflight_bytes = 10;
	f->cfg.max_append_entries = 1;
	elect_three(f);
	cluster_propose(&f->c, 1, "aaaa");
	cluster_propose(&f->c, 1, "bbbb");
	cluster_propose(&f->c, 1, "cccc");
	cluster_propose(&f->c, 1, "dddd");
	take(f, 1);
	/* 4 + 4 < 10 lets a third go; 12 bytes fill the window. */
	ASSERT_EQ_U64(appends_to(f, 2, NULL), 3);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).commit_index, 6);
}

TEST(repl, follower_in_probe_gets_one_append_at_a_time)
{
	elect_three(f);
	cluster_isolate(&f->c, 3, true);
	/* Node 3 misses entries and rejects a later append: probe. */
	cluster_propose(&f->c, 1, "a");
	cluster_stabilize(&f->c);
	cluster_isolate(&f->c, 3, false);
	cluster_propose(&f->c, 1, "b");
	cluster_flush(&f->c, 1);
	cluster_deliver(&f->c);
	cluster_flush(&f->c, 3);
	cluster_deliver_if(&f->c, 3, 1, 0);
	ASSERT_EQ_U64(peer(f, 3).state, RAFT_PROGRESS_PROBE);
	cluster_drop_if(&f->c, 0, 0, 0);
	propose_n(f, 3);
	take(f, 1);
	ASSERT_EQ_U64(appends_to(f, 3, NULL), 1);
	propose_n(f, 3);
	take(f, 1);
	ASSERT_EQ_U64(appends_to(f, 3, NULL), 0);
	ASSERT_EQ_U64(appends_to(f, 2, NULL), 1);
}

TEST(repl, rejection_moves_a_replicating_follower_to_probe)
{
	struct raft_message m = {0};
	raft_index last;
	elect_three(f);
	last = propose_n(f, 2);
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(peer(f, 2).state, RAFT_PROGRESS_REPLICATE);
	ASSERT_EQ_U64(peer(f, 2).next_index, last + 1);
	m.type = RAFT_MSG_APPEND_RESP;
	m.from = 2;
	m.to = 1;
	m.term = 2;
	m.append_resp.index = 3;
	m.append_resp.hint_index = 2;
	m.append_resp.hint_term = 2;
	m.append_resp.last_index = 2;
	cluster_step(&f->c, &m);
	ASSERT_EQ_U64(peer(f, 2).state, RAFT_PROGRESS_PROBE);
	ASSERT_EQ_U64(peer(f, 2).next_index, 3);
	/* The probe starts right after the match. */
	take(f, 1);
	ASSERT_EQ_U64(appends_to(f, 2, NULL), 1);
	ASSERT_EQ_U64(
	    BATCH_GET(&f->b, false, RAFT_MSG_APPEND, 2)->append.prev_index, 2);
}

TEST(repl, stale_rejection_leaves_a_replicating_follower_alone)
{
	struct raft_message m = {0};
	elect_three(f);
	propose_n(f, 2);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(peer(f, 2).match_index, 4);
	m.type = RAFT_MSG_APPEND_RESP;
	m.from = 2;
	m.to = 1;
	m.term = 2;
	m.append_resp.index = 3;
	cluster_step(&f->c, &m);
	ASSERT_EQ_U64(peer(f, 2).state, RAFT_PROGRESS_REPLICATE);
	ASSERT_EQ_U64(peer(f, 2).next_index, 5);
	ASSERT_EQ_U64(peer(f, 2).match_index, 4);
}

/* Leader (1) and node 3 hold entries 2..4 of term 3; node 2 holds 2..6 of
 * term 2 which no majority stores. */
static void setup_divergent(struct repl_fixture *f)
{
	static const raft_term leader[] = {3, 3, 3};
	static const raft_term divergent[] = {2, 2, 2, 2, 2};
	cluster_add_with_log(&f->c, 3, &f->cfg, 3, 0, leader, 3);
	cluster_add_with_log(&f->c, 3, &f->cfg, 2, 0, divergent, 5);
	cluster_add_with_log(&f->c, 3, &f->cfg, 3, 0, leader, 3);
}

/* Flushes every node with a batch, then delivers what is queued. */
static void settle_one_round(struct cluster *c)
{
	unsigned i;
	for (i = 1; i <= c->n; i++) {
		cluster_flush(c, i);
	}
	cluster_deliver(c);
}

/* Node id's match index as node 1 sees it, 0 while node 1 does not lead. */
static raft_index peer_match_or_zero(struct cluster *c, raft_id id)
{
	struct raft_peer_status st;
	if (raft_core_peer_status(cluster_core(c, 1), id, &st) != 0) {
		return 0;
	}
	return st.match_index;
}

/* Flushes and delivers until quiet, counting node from's rejections. */
static unsigned settle_counting_rejections(struct cluster *c, raft_id from)
{
	unsigned rejections = 0, round;
	for (round = 0; round < 100; round++) {
		unsigned i;
		size_t j;
		bool busy = false;
		for (i = 1; i <= c->n; i++) {
			if (raft_core_has_ready(cluster_core(c, i))) {
				cluster_flush(c, i);
				busy = true;
			}
		}
		for (j = 0; j < c->net.n; j++) {
			const struct raft_message *m = &c->net.msgs[j];
			rejections += m->from == from &&
				      m->type == RAFT_MSG_APPEND_RESP &&
				      !m->append_resp.success;
		}
		if (c->net.n > 0) {
			cluster_deliver(c);
			busy = true;
		}
		if (!busy) {
			break;
		}
	}
	return rejections;
}

TEST(repl, fast_back_off_skips_a_divergent_term_in_one_round_trip)
{
	setup_divergent(f);
	cluster_campaign(&f->c, 1);
	ASSERT_EQ_U64(settle_counting_rejections(&f->c, 2), 1);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).last_index, 5);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).commit_index, 5);
}

TEST(repl, fast_back_off_skips_a_follower_term_above_the_leaders)
{
	/* Leader and node 3: 2..3 of term 2, 4..5 of term 4. Node 2 took
	 * 4..7 from a leader of term 5 that nobody else heard. */
	static const raft_term leader[] = {2, 2, 4, 4};
	static const raft_term divergent[] = {2, 2, 5, 5, 5, 5};
	f->cfg.pre_vote = false;
	cluster_add_with_log(&f->c, 3, &f->cfg, 5, 0, leader, 4);
	cluster_add_with_log(&f->c, 3, &f->cfg, 5, 0, divergent, 6);
	cluster_add_with_log(&f->c, 3, &f->cfg, 5, 0, leader, 4);
	cluster_campaign(&f->c, 1);
	ASSERT_EQ_U64(settle_counting_rejections(&f->c, 2), 1);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).last_index, 6);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), 5), 4);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), 6), 6);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), 7), 0);
}

TEST(repl, follower_truncates_a_conflicting_suffix)
{
	raft_index i;
	setup_divergent(f);
	cluster_campaign(&f->c, 1);
	cluster_stabilize(&f->c);
	/* Node 2's term 2 entries are gone, index 6 included. */
	for (i = 2; i <= 4; i++) {
		ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), i), 3);
	}
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), 5), 4);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), 6), 0);
	ASSERT_APPLIED(&f->c, 2, 3, "e3/t3");
	ASSERT_APPLIED(&f->c, 2, 4, "e4/t3");
}

TEST(repl, truncation_rewrites_from_the_conflict_and_rewinds_persisted)
{
	static const raft_term terms[] = {1, 1, 1};
	struct raft_message m = append_msg(2, 1, 2, 2, 1, 0);
	struct raft_entry e = {2, 3, RAFT_ENTRY_NORMAL, {"new", 3}};
	cluster_add_with_log(&f->c, 3, &f->cfg, 1, 0, terms, 3);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).persisted_index, 4);
	m.append.entries = &e;
	m.append.n_entries = 1;
	cluster_node(&f->c, 1)->manual_persist = true;
	cluster_step(&f->c, &m);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).last_index, 3);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).persisted_index, 2);
	take(f, 1);
	/* The write replaces the log from index 3 on. */
	ASSERT_EQ_U64(f->b.n_entries, 1);
	ASSERT_EQ_U64(f->b.entries[0].index, 3);
	ASSERT_EQ_U64(f->b.entries[0].term, 2);
	ASSERT_EQ_MEM(f->b.entries[0].data.base, "new", 3);
	/* The old (4, 1) is no longer in the log: reporting it is a no-op. */
	raft_core_persisted(cluster_core(&f->c, 1), 4, 1);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).persisted_index, 2);
	raft_core_persisted(cluster_core(&f->c, 1), 3, 2);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).persisted_index, 3);
}

TEST(repl, append_of_entries_already_held_truncates_nothing)
{
	static const raft_term terms[] = {1, 1, 1};
	struct raft_message m = append_msg(2, 1, 2, 1, 1, 0);
	struct raft_entry e = {1, 2, RAFT_ENTRY_NORMAL, {"e2/t1", 5}};
	cluster_add_with_log(&f->c, 3, &f->cfg, 1, 0, terms, 3);
	m.append.entries = &e;
	m.append.n_entries = 1;
	cluster_step(&f->c, &m);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).last_index, 4);
	take(f, 1);
	ASSERT_EQ_U64(f->b.n_entries, 0);
	ASSERT_TRUE(BATCH_GET(&f->b, true, RAFT_MSG_APPEND_RESP, 2)
			->append_resp.success);
	ASSERT_EQ_U64(
	    BATCH_GET(&f->b, true, RAFT_MSG_APPEND_RESP, 2)->append_resp.index,
	    2);
}

TEST(repl, follower_rejects_an_append_after_its_log_with_a_hint)
{
	static const raft_term terms[] = {1, 2};
	struct raft_message m = append_msg(2, 1, 3, 9, 3, 0);
	const struct raft_message *r;
	cluster_add_with_log(&f->c, 3, &f->cfg, 2, 0, terms, 2);
	cluster_step(&f->c, &m);
	take(f, 1);
	/* A rejection promises nothing: it leaves at once. */
	r = batch_find(&f->b, false, RAFT_MSG_APPEND_RESP, 2);
	ASSERT_NOT_NULL(r);
	ASSERT_FALSE(r->append_resp.success);
	ASSERT_EQ_U64(r->append_resp.index, 9);
	ASSERT_EQ_U64(r->append_resp.hint_index, 3);
	ASSERT_EQ_U64(r->append_resp.hint_term, 2);
	ASSERT_EQ_U64(r->append_resp.last_index, 3);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).last_index, 3);
}

TEST(repl, follower_commits_no_further_than_the_append_reaches)
{
	struct raft_message m = append_msg(2, 1, 2, 1, 1, 50);
	struct raft_entry e = {2, 2, RAFT_ENTRY_NORMAL, {"x", 1}};
	cluster_bootstrap(&f->c, 3, 0, &f->cfg);
	m.append.entries = &e;
	m.append.n_entries = 1;
	cluster_step(&f->c, &m);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, 2);
}

TEST(repl, follower_acks_are_persisted_messages)
{
	elect_three(f);
	cluster_propose(&f->c, 1, "x");
	cluster_flush(&f->c, 1);
	cluster_deliver_if(&f->c, 1, 2, RAFT_MSG_APPEND);
	take(f, 2);
	ASSERT_EQ_U64(f->b.n_entries, 1);
	ASSERT_EQ_U64(batch_count(&f->b, false, 0), 0);
	ASSERT_EQ_U64(batch_count(&f->b, true, RAFT_MSG_APPEND_RESP), 1);
	ASSERT_TRUE(f->b.persisted_messages[0].append_resp.success);
	ASSERT_EQ_U64(f->b.persisted_messages[0].append_resp.index, 3);
}

/* Section 5.4.2 and Figure 8: an entry of an older term is not committed
 * by counting replicas, even when a majority stores it. Node 1 wrote entry
 * 2 as leader of term 2 and never replicated it; as leader of term 3 it
 * gets it onto node 2 (a majority with itself), one entry per message,
 * before its no-op. Only the no-op, of the current term, may commit it. */
TEST(repl, figure_8_commit_counts_only_entries_of_the_current_term)
{
	static const raft_term old[] = {2};
	unsigned round;
	f->cfg.max_append_entries = 1;
	cluster_add_with_log(&f->c, 3, &f->cfg, 2, 0, old, 1);
	cluster_add_with_log(&f->c, 3, &f->cfg, 2, 0, NULL, 0);
	cluster_add_with_log(&f->c, 3, &f->cfg, 2, 0, NULL, 0);
	cluster_campaign(&f->c, 1);
	cluster_isolate(&f->c, 3, true);
	/* Round by round until node 2 stores entry 2 (of term 2). */
	for (round = 0; peer_match_or_zero(&f->c, 2) < 2; round++) {
		ASSERT_LT_U64(round, 20);
		settle_one_round(&f->c);
	}
	ASSERT_EQ_U64(cluster_status(&f->c, 1).term, 3);
	ASSERT_EQ_U64(peer(f, 2).match_index, 2);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).persisted_index, 3);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, 0);
	/* Once the no-op of term 3 is stored too, both commit. */
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, 3);
	ASSERT_APPLIED(&f->c, 1, 2, "e2/t2");
}

TEST(repl, leader_entry_counts_only_once_persisted_locally)
{
	raft_index index;
	elect_three(f);
	cluster_node(&f->c, 1)->manual_persist = true;
	index = cluster_propose(&f->c, 1, "x");
	take(f, 1);
	/* Appends leave in the same batch as the leader's own write. */
	ASSERT_EQ_U64(f->b.n_entries, 1);
	ASSERT_EQ_U64(appends_to(f, 2, NULL), 1);
	ASSERT_EQ_U64(appends_to(f, 3, NULL), 1);
	cluster_deliver_if(&f->c, 1, 2, 0);
	cluster_drop_if(&f->c, 1, 3, 0);
	cluster_flush(&f->c, 2);
	cluster_deliver(&f->c);
	ASSERT_EQ_U64(peer(f, 2).match_index, index);
	/* Node 2 alone is no majority while the leader's write is out. */
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, index - 1);
	cluster_persist(&f->c, 1);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, index);
	cluster_flush(&f->c, 1);
	ASSERT_APPLIED(&f->c, 1, index, "x");
}

TEST(repl, leader_commits_on_followers_but_applies_only_once_persisted)
{
	raft_index index;
	elect_three(f);
	cluster_node(&f->c, 1)->manual_persist = true;
	index = cluster_propose(&f->c, 1, "x");
	cluster_flush(&f->c, 1);
	cluster_deliver(&f->c);
	cluster_flush(&f->c, 2);
	cluster_flush(&f->c, 3);
	cluster_deliver(&f->c);
	/* Two followers are a majority: committed. */
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, index);
	/* But not applied while the leader's own copy may be lost. */
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(cluster_node(&f->c, 1)->applied_index, index - 1);
	cluster_persist(&f->c, 1);
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(cluster_node(&f->c, 1)->applied_index, index);
}

TEST(repl, follower_applies_committed_entries_only_once_persisted)
{
	raft_index index;
	elect_three(f);
	cluster_node(&f->c, 2)->manual_persist = true;
	index = cluster_propose(&f->c, 1, "x");
	cluster_stabilize(&f->c);
	/* Nodes 1 and 3 committed; node 2 learned it but did not persist. */
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, index);
	cluster_tick(&f->c, 1, 1);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).commit_index, index);
	ASSERT_EQ_U64(cluster_node(&f->c, 2)->applied_index, index - 1);
	cluster_persist(&f->c, 2);
	cluster_flush(&f->c, 2);
	ASSERT_EQ_U64(cluster_node(&f->c, 2)->applied_index, index);
	ASSERT_APPLIED(&f->c, 2, index, "x");
}

TEST(repl, committed_entries_come_out_once_and_in_order)
{
	raft_index last = 0, i;
	unsigned round, id;
	elect_three(f);
	for (round = 0; round < 5; round++) {
		last = propose_n(f, round + 1);
		cluster_stabilize(&f->c);
		cluster_tick(&f->c, 1, 1);
		cluster_stabilize(&f->c);
	}
	for (id = 1; id <= 3; id++) {
		struct cluster_node *n = cluster_node(&f->c, id);
		/* The helper fails on a gap or a repeat; check all came. */
		ASSERT_EQ_U64(n->n_applied, last);
		for (i = 0; i < last; i++) {
			ASSERT_EQ_U64(n->applied[i].index, i + 1);
		}
	}
	/* Nothing comes out twice. */
	cluster_tick(&f->c, 1, 3);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_node(&f->c, 2)->n_applied, last);
}

TEST(repl, heartbeat_commit_never_exceeds_the_follower_match)
{
	raft_index index;
	const struct raft_message *m;
	elect_three(f);
	cluster_isolate(&f->c, 3, true);
	index = propose_n(f, 3);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, index);
	cluster_isolate(&f->c, 3, false);
	cluster_tick(&f->c, 1, 1);
	m = cluster_find(&f->c, 1, 2, RAFT_MSG_HEARTBEAT);
	ASSERT_NOT_NULL(m);
	ASSERT_EQ_U64(m->heartbeat.commit, index);
	/* Node 3 holds only up to the no-op. */
	m = cluster_find(&f->c, 1, 3, RAFT_MSG_HEARTBEAT);
	ASSERT_NOT_NULL(m);
	ASSERT_EQ_U64(m->heartbeat.commit, 2);
}

TEST(repl, follower_commits_from_a_heartbeat_within_its_log)
{
	struct raft_message m = {0};
	cluster_bootstrap(&f->c, 3, 0, &f->cfg);
	m.type = RAFT_MSG_HEARTBEAT;
	m.from = 2;
	m.to = 1;
	m.term = 2;
	m.heartbeat.commit = 9;
	cluster_step(&f->c, &m);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, 1);
	take(f, 1);
	ASSERT_NOT_NULL(batch_find(&f->b, false, RAFT_MSG_HEARTBEAT_RESP, 2));
}

TEST(repl, lagging_follower_catches_up_after_a_partition)
{
	raft_index last;
	unsigned i;
	f->cfg.max_append_entries = 4;
	elect_three(f);
	cluster_isolate(&f->c, 3, true);
	last = propose_n(f, 20);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).last_index, 2);
	cluster_isolate(&f->c, 3, false);
	for (i = 0; i < 3 * ET && cluster_node(&f->c, 3)->applied_index < last;
	     i++) {
		cluster_tick(&f->c, 1, 1);
		cluster_stabilize(&f->c);
	}
	ASSERT_EQ_U64(cluster_node(&f->c, 3)->applied_index, last);
	ASSERT_EQ_U64(peer(f, 3).match_index, last);
	ASSERT_EQ_U64(peer(f, 3).state, RAFT_PROGRESS_REPLICATE);
}

TEST(repl, stalled_follower_is_probed_again)
{
	raft_index last;
	elect_three(f);
	last = propose_n(f, 2);
	cluster_flush(&f->c, 1);
	/* The appends and any answer to them are lost. */
	cluster_drop_if(&f->c, 0, 0, 0);
	ASSERT_EQ_U64(peer(f, 3).next_index, last + 1);
	cluster_isolate(&f->c, 3, true);
	cluster_tick(&f->c, 1, ET);
	ASSERT_EQ_U64(peer(f, 3).state, RAFT_PROGRESS_PROBE);
	cluster_isolate(&f->c, 3, false);
	cluster_tick(&f->c, 1, 1);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(peer(f, 3).match_index, last);
}

TEST(repl, restarted_node_applies_from_its_applied_index)
{
	static const raft_term terms[] = {1, 1, 1};
	struct raft_core_config cfg;
	struct raft_configuration conf;
	struct raft_core_state st = {0};
	struct raft_entry entries[4];
	struct cluster_node *n;
	unsigned i;
	/* Nodes 1 and 2 hold entries 1..4 of term 1; node 1 applied 1..2
	 * before it restarted. */
	raft_configuration_init(&conf);
	for (i = 1; i <= 3; i++) {
		ASSERT_OK(raft_configuration_add(&conf, i, "", RAFT_VOTER));
	}
	ASSERT_OK(raft_core_bootstrap_entry(&conf, &entries[0]));
	raft_configuration_close(&conf);
	for (i = 1; i < 4; i++) {
		entries[i] = (struct raft_entry){
		    1, i + 1, RAFT_ENTRY_NORMAL, {"old", 3}};
	}
	st.term = 1;
	st.entries = entries;
	st.n_entries = 4;
	st.applied = 2;
	cluster_config(&cfg, 1);
	cluster_add(&f->c, &cfg, &st);
	raft_free(entries[0].data.base);
	cluster_add_with_log(&f->c, 3, &f->cfg, 1, 0, terms, 3);
	cluster_add_with_log(&f->c, 3, &f->cfg, 1, 0, NULL, 0);
	cluster_elect(&f->c, 1);
	n = cluster_node(&f->c, 1);
	/* 3, 4 and the no-op: nothing already applied comes out again. */
	ASSERT_EQ_U64(n->n_applied, 3);
	ASSERT_EQ_U64(n->applied[0].index, 3);
	ASSERT_EQ_U64(n->applied_index, 5);
	ASSERT_EQ_U64(cluster_node(&f->c, 3)->applied_index, 5);
}

TEST(repl, empty_node_catches_up_from_index_one)
{
	struct raft_core_config cfg;
	struct raft_core_state empty = {0};
	struct cluster_node *n;
	raft_index last;
	/* Node 4 is a learner of the configuration but starts with nothing,
	 * as a node that joins does. */
	cluster_bootstrap(&f->c, 3, 1, &f->cfg);
	n = cluster_node(&f->c, 4);
	raft_core_free(n->core);
	cluster_config(&cfg, 4);
	ASSERT_OK(raft_core_new(&cfg, &empty, &n->core, NULL, 0));
	n->written_index = 0;
	n->written_term = 0;
	ASSERT_TRUE(cluster_status(&f->c, 4).learner);
	ASSERT_EQ_U64(raft_core_configuration(n->core)->n, 0);
	cluster_elect(&f->c, 1);
	last = propose_n(f, 3);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 4).last_index, last);
	ASSERT_EQ_U64(n->applied_index, last);
	/* The configuration came with the log. */
	ASSERT_EQ_U64(raft_core_configuration(n->core)->n, 4);
	ASSERT_EQ_U64(peer(f, 4).match_index, last);
}

TEST(repl, a_leader_refuses_an_append_from_another_leader_of_its_term)
{
	struct raft_message m;
	elect_three(f);
	m = append_msg(2, 1, cluster_status(&f->c, 1).term, 2,
		       cluster_status(&f->c, 1).term, 2);
	ASSERT_RV(raft_core_step(cluster_core(&f->c, 1), &m), RAFT_EPROTO);
	m.type = RAFT_MSG_HEARTBEAT;
	m.heartbeat.commit = 2;
	m.heartbeat.seq = 1;
	ASSERT_RV(raft_core_step(cluster_core(&f->c, 1), &m), RAFT_EPROTO);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
}

TEST(repl, a_change_to_a_committed_entry_is_refused)
{
	struct raft_entry e = {
	    .term = 2, .index = 2, .type = RAFT_ENTRY_NORMAL};
	struct raft_message m;
	raft_term term;
	elect_three(f);
	/* Node 2 committed the leader's no-op at index 2 (term 2). */
	ASSERT_EQ_U64(cluster_status(&f->c, 2).commit_index, 2);
	term = cluster_status(&f->c, 2).term;
	m = append_msg(3, 2, term + 1, 1, 1, 2);
	e.term = term + 1;
	m.append.entries = &e;
	m.append.n_entries = 1;
	ASSERT_RV(raft_core_step(cluster_core(&f->c, 2), &m), RAFT_EPROTO);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), 2), term);
}

static const struct test_case repl_cases[] = {
    TEST_CASE(repl, a_leader_refuses_an_append_from_another_leader_of_its_term),
    TEST_CASE(repl, a_change_to_a_committed_entry_is_refused),
    TEST_CASE(repl, new_leader_sends_its_noop_with_its_write),
    TEST_CASE(repl, election_commits_the_noop_and_everything_before_it),
    TEST_CASE(repl, proposals_before_a_ready_travel_in_one_append),
    TEST_CASE(repl, append_holds_at_most_max_append_entries),
    TEST_CASE(repl, append_holds_at_most_max_append_bytes_but_one_entry_always),
    TEST_CASE(repl, inflight_window_limits_outstanding_appends),
    TEST_CASE(repl, inflight_bytes_limit_outstanding_appends),
    TEST_CASE(repl, follower_in_probe_gets_one_append_at_a_time),
    TEST_CASE(repl, rejection_moves_a_replicating_follower_to_probe),
    TEST_CASE(repl, stale_rejection_leaves_a_replicating_follower_alone),
    TEST_CASE(repl, fast_back_off_skips_a_divergent_term_in_one_round_trip),
    TEST_CASE(repl, fast_back_off_skips_a_follower_term_above_the_leaders),
    TEST_CASE(repl, follower_truncates_a_conflicting_suffix),
    TEST_CASE(repl,
	      truncation_rewrites_from_the_conflict_and_rewinds_persisted),
    TEST_CASE(repl, append_of_entries_already_held_truncates_nothing),
    TEST_CASE(repl, follower_rejects_an_append_after_its_log_with_a_hint),
    TEST_CASE(repl, follower_commits_no_further_than_the_append_reaches),
    TEST_CASE(repl, follower_acks_are_persisted_messages),
    TEST_CASE(repl, figure_8_commit_counts_only_entries_of_the_current_term),
    TEST_CASE(repl, leader_entry_counts_only_once_persisted_locally),
    TEST_CASE(repl,
	      leader_commits_on_followers_but_applies_only_once_persisted),
    TEST_CASE(repl, follower_applies_committed_entries_only_once_persisted),
    TEST_CASE(repl, committed_entries_come_out_once_and_in_order),
    TEST_CASE(repl, heartbeat_commit_never_exceeds_the_follower_match),
    TEST_CASE(repl, follower_commits_from_a_heartbeat_within_its_log),
    TEST_CASE(repl, lagging_follower_catches_up_after_a_partition),
    TEST_CASE(repl, stalled_follower_is_probed_again),
    TEST_CASE(repl, restarted_node_applies_from_its_applied_index),
    TEST_CASE(repl, empty_node_catches_up_from_index_one),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(repl))
