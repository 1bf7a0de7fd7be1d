/* Unit tests of linearizable reads (lib/core/read.c): ReadIndex, thesis
 * section 6.4. */
#include "cluster.h"
#include "test.h"

#define ET 10 /* election ticks of cluster_config() */

struct read_fixture {
	struct cluster c;
	struct raft_core_config cfg;
	struct batch b;
};

SETUP(read)
{
	cluster_init(&f->c);
	cluster_config(&f->cfg, 1);
}

TEARDOWN(read)
{
	batch_free(&f->b);
	cluster_close(&f->c);
}

static void take(struct read_fixture *f, raft_id id)
{
	batch_free(&f->b);
	cluster_handle_ready(&f->c, id, &f->b);
}

static void elect_three(struct read_fixture *f)
{
	cluster_bootstrap(&f->c, 3, 0, &f->cfg);
	cluster_elect(&f->c, 1);
}

/* The reads that came out of node id so far. */
static size_t n_reads(struct read_fixture *f, raft_id id)
{
	return cluster_node(&f->c, id)->n_reads;
}

static const struct raft_read *read_at(struct read_fixture *f, raft_id id,
				       size_t i)
{
	struct cluster_node *n = cluster_node(&f->c, id);
	ASSERT_LT_U64(i, n->n_reads);
	return &n->reads[i];
}

/* Delivers the leader's heartbeats to node `to` and its answers back. */
static void ack_heartbeats(struct read_fixture *f, raft_id to)
{
	cluster_deliver_if(&f->c, 1, to, RAFT_MSG_HEARTBEAT);
	cluster_flush(&f->c, to);
	cluster_deliver_if(&f->c, to, 1, RAFT_MSG_HEARTBEAT_RESP);
}

TEST(read, read_on_a_single_node_is_released_at_once)
{
	cluster_bootstrap(&f->c, 1, 0, &f->cfg);
	cluster_elect(&f->c, 1);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 7));
	take(f, 1);
	ASSERT_EQ_U64(f->b.n_reads, 1);
	ASSERT_EQ_U64(f->b.reads[0].ctx, 7);
	ASSERT_EQ_U64(f->b.reads[0].index, 2);
	ASSERT_EQ_INT(f->b.reads[0].status, 0);
}

TEST(read, single_node_read_waits_for_its_noop_to_be_durable)
{
	cluster_bootstrap(&f->c, 1, 0, &f->cfg);
	cluster_node(&f->c, 1)->manual_persist = true;
	cluster_campaign(&f->c, 1);
	take(f, 1);
	cluster_persist(&f->c, 1); /* its vote: now it leads */
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 7));
	take(f, 1);
	ASSERT_EQ_U64(f->b.n_reads, 0);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, 0);
	cluster_persist(&f->c, 1);
	take(f, 1);
	ASSERT_EQ_U64(f->b.n_reads, 1);
	ASSERT_EQ_U64(f->b.reads[0].index, 2);
}

TEST(read, read_is_released_once_a_quorum_acks_its_round)
{
	elect_three(f);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 1));
	take(f, 1);
	/* A heartbeat round leaves for the read; nothing is released yet. */
	ASSERT_EQ_U64(f->b.n_reads, 0);
	ASSERT_EQ_U64(batch_count(&f->b, false, RAFT_MSG_HEARTBEAT), 2);
	ack_heartbeats(f, 2);
	take(f, 1);
	ASSERT_EQ_U64(f->b.n_reads, 1);
	ASSERT_EQ_U64(f->b.reads[0].ctx, 1);
	ASSERT_EQ_U64(f->b.reads[0].index, 2);
	ASSERT_EQ_INT(f->b.reads[0].status, 0);
}

TEST(read, acks_of_a_round_sent_before_the_read_do_not_release_it)
{
	elect_three(f);
	/* A heartbeat round leaves, then the read comes in. */
	cluster_tick(&f->c, 1, 1);
	ASSERT_EQ_U64(cluster_count(&f->c, 1, 0, RAFT_MSG_HEARTBEAT), 2);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 1));
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(cluster_count(&f->c, 1, 0, RAFT_MSG_HEARTBEAT), 4);
	/* Node 2 answers the old round only. */
	ASSERT_EQ_U64(cluster_deliver_if(&f->c, 1, 2, RAFT_MSG_HEARTBEAT), 2);
	cluster_flush(&f->c, 2);
	ASSERT_EQ_U64(cluster_count(&f->c, 2, 1, RAFT_MSG_HEARTBEAT_RESP), 2);
	cluster_step(&f->c, cluster_find(&f->c, 2, 1, RAFT_MSG_HEARTBEAT_RESP));
	ASSERT_FALSE(raft_core_has_ready(cluster_core(&f->c, 1)));
	ASSERT_EQ_U64(n_reads(f, 1), 0);
	/* Its answer to the read's round does. */
	cluster_deliver_if(&f->c, 2, 1, RAFT_MSG_HEARTBEAT_RESP);
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(n_reads(f, 1), 1);
}

TEST(read, one_ack_is_not_enough_in_five_nodes)
{
	cluster_bootstrap(&f->c, 5, 0, &f->cfg);
	cluster_elect(&f->c, 1);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 1));
	cluster_flush(&f->c, 1);
	ack_heartbeats(f, 2);
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(n_reads(f, 1), 0);
	ack_heartbeats(f, 5);
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(n_reads(f, 1), 1);
}

TEST(read, reads_before_the_round_left_share_it)
{
	elect_three(f);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 1));
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 2));
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 3));
	take(f, 1);
	ASSERT_EQ_U64(batch_count(&f->b, false, RAFT_MSG_HEARTBEAT), 2);
	ack_heartbeats(f, 3);
	take(f, 1);
	ASSERT_EQ_U64(f->b.n_reads, 3);
	ASSERT_EQ_U64(f->b.reads[0].ctx, 1);
	ASSERT_EQ_U64(f->b.reads[1].ctx, 2);
	ASSERT_EQ_U64(f->b.reads[2].ctx, 3);
}

TEST(read, read_after_the_round_left_needs_a_new_round)
{
	struct raft_message ack = {0};
	uint64_t seq;
	elect_three(f);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 1));
	take(f, 1);
	seq = BATCH_GET(&f->b, false, RAFT_MSG_HEARTBEAT, 2)->heartbeat.seq;
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 2));
	take(f, 1);
	ASSERT_GT_U64(
	    BATCH_GET(&f->b, false, RAFT_MSG_HEARTBEAT, 2)->heartbeat.seq, seq);
	/* Answering the first round releases the first read only. */
	ack.type = RAFT_MSG_HEARTBEAT_RESP;
	ack.from = 2;
	ack.to = 1;
	ack.term = 2;
	ack.heartbeat_resp.seq = seq;
	ack.heartbeat_resp.last_index = 2;
	cluster_step(&f->c, &ack);
	take(f, 1);
	ASSERT_EQ_U64(f->b.n_reads, 1);
	ASSERT_EQ_U64(f->b.reads[0].ctx, 1);
	ack_heartbeats(f, 3);
	take(f, 1);
	ASSERT_EQ_U64(f->b.n_reads, 1);
	ASSERT_EQ_U64(f->b.reads[0].ctx, 2);
}

TEST(read, append_answers_confirm_a_round_too)
{
	elect_three(f);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 1));
	cluster_propose(&f->c, 1, "x");
	cluster_flush(&f->c, 1);
	cluster_drop_if(&f->c, 1, 0, RAFT_MSG_HEARTBEAT);
	cluster_deliver_if(&f->c, 1, 2, RAFT_MSG_APPEND);
	cluster_flush(&f->c, 2);
	cluster_deliver_if(&f->c, 2, 1, RAFT_MSG_APPEND_RESP);
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(n_reads(f, 1), 1);
	/* The read index is the commit index when the read came in. */
	ASSERT_EQ_U64(read_at(f, 1, 0)->index, 2);
}

TEST(read, read_index_is_the_commit_index_when_the_read_came_in)
{
	raft_index index;
	elect_three(f);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 1));
	cluster_flush(&f->c, 1);
	cluster_drop_if(&f->c, 1, 0, RAFT_MSG_HEARTBEAT);
	index = cluster_propose(&f->c, 1, "later");
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, index);
	ASSERT_EQ_U64(n_reads(f, 1), 1);
	ASSERT_EQ_U64(read_at(f, 1, 0)->index, index - 1);
}

TEST(read, reads_before_the_first_commit_of_the_term_wait)
{
	unsigned round;
	f->cfg.pre_vote = false;
	cluster_bootstrap(&f->c, 3, 0, &f->cfg);
	cluster_campaign(&f->c, 1);
	/* Elect node 1, keeping its no-op from the followers. */
	for (round = 0; cluster_status(&f->c, 1).role != RAFT_LEADER; round++) {
		ASSERT_LT_U64(round, 10);
		cluster_flush(&f->c, 1);
		cluster_flush(&f->c, 2);
		cluster_flush(&f->c, 3);
		cluster_deliver(&f->c);
	}
	cluster_flush(&f->c, 1);
	cluster_drop_if(&f->c, 1, 0, RAFT_MSG_APPEND);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, 0);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 9));
	cluster_flush(&f->c, 1);
	ack_heartbeats(f, 2);
	ack_heartbeats(f, 3);
	/* Leadership is confirmed, but the read index is not known. */
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(n_reads(f, 1), 0);
	cluster_drop_if(&f->c, 1, 0, RAFT_MSG_APPEND);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, 0);
	/* Once the no-op commits, the read comes out at its index. */
	cluster_tick(&f->c, 1, 1);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).commit_index, 2);
	ASSERT_EQ_U64(n_reads(f, 1), 1);
	ASSERT_EQ_U64(read_at(f, 1, 0)->ctx, 9);
	ASSERT_EQ_U64(read_at(f, 1, 0)->index, 2);
	ASSERT_EQ_INT(read_at(f, 1, 0)->status, 0);
}

TEST(read, stepping_down_fails_pending_reads)
{
	struct raft_message m = {0};
	elect_three(f);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 1));
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 2));
	cluster_flush(&f->c, 1);
	m.type = RAFT_MSG_HEARTBEAT;
	m.from = 2;
	m.to = 1;
	m.term = 3;
	cluster_step(&f->c, &m);
	ASSERT_ROLE(&f->c, 1, RAFT_FOLLOWER);
	take(f, 1);
	ASSERT_EQ_U64(f->b.n_reads, 2);
	ASSERT_EQ_U64(f->b.reads[0].ctx, 1);
	ASSERT_EQ_INT(f->b.reads[0].status, RAFT_ELEADERCHANGED);
	ASSERT_EQ_U64(f->b.reads[1].ctx, 2);
	ASSERT_EQ_INT(f->b.reads[1].status, RAFT_ELEADERCHANGED);
	/* Late acknowledgements change nothing. */
	ack_heartbeats(f, 3);
	ASSERT_FALSE(raft_core_has_ready(cluster_core(&f->c, 1)));
}

TEST(read, check_quorum_step_down_fails_pending_reads)
{
	elect_three(f);
	cluster_isolate(&f->c, 2, true);
	cluster_isolate(&f->c, 3, true);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 5));
	cluster_tick(&f->c, 1, 2 * ET);
	ASSERT_ROLE(&f->c, 1, RAFT_FOLLOWER);
	ASSERT_EQ_U64(n_reads(f, 1), 1);
	ASSERT_EQ_U64(read_at(f, 1, 0)->ctx, 5);
	ASSERT_EQ_INT(read_at(f, 1, 0)->status, RAFT_ELEADERCHANGED);
}

TEST(read, follower_read_goes_through_the_leader)
{
	raft_index i;
	elect_three(f);
	i = cluster_propose(&f->c, 1, "a");
	cluster_stabilize(&f->c);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 2), 5));
	ASSERT_EQ_U64(cluster_count(&f->c, 2, 1, RAFT_MSG_READ_INDEX), 0);
	cluster_flush(&f->c, 2);
	ASSERT_EQ_U64(cluster_count(&f->c, 2, 1, RAFT_MSG_READ_INDEX), 1);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(n_reads(f, 2), 1);
	ASSERT_EQ_U64(read_at(f, 2, 0)->ctx, 5);
	ASSERT_EQ_U64(read_at(f, 2, 0)->index, i);
	ASSERT_EQ_INT(read_at(f, 2, 0)->status, 0);
	ASSERT_EQ_U64(n_reads(f, 1), 0); /* nothing comes out on the leader */
}

TEST(read, follower_read_waits_for_the_leaders_round)
{
	elect_three(f);
	cluster_isolate(&f->c, 3, true);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 2), 5));
	cluster_flush(&f->c, 2);
	cluster_deliver_if(&f->c, 2, 1, RAFT_MSG_READ_INDEX);
	cluster_flush(&f->c, 1);
	/* The leader's round has not come back from a quorum yet. */
	cluster_deliver_if(&f->c, 1, 2, RAFT_MSG_READ_INDEX_RESP);
	cluster_flush(&f->c, 2);
	ASSERT_EQ_U64(n_reads(f, 2), 0);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(n_reads(f, 2), 1);
	ASSERT_EQ_INT(read_at(f, 2, 0)->status, 0);
}

TEST(read, follower_read_without_a_leader_is_refused)
{
	cluster_bootstrap(&f->c, 3, 0, &f->cfg);
	ASSERT_RV(raft_core_read_index(cluster_core(&f->c, 2), 1),
		  RAFT_ENOTLEADER);
	ASSERT_FALSE(raft_core_has_ready(cluster_core(&f->c, 2)));
}

TEST(read, follower_read_refused_by_a_non_leader_fails)
{
	struct raft_message m = {0};
	elect_three(f);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 2), 5));
	cluster_flush(&f->c, 2);
	cluster_drop_if(&f->c, 2, 1, RAFT_MSG_READ_INDEX);
	/* As if it had asked node 3, which does not lead. */
	m.type = RAFT_MSG_READ_INDEX;
	m.from = 2;
	m.to = 3;
	m.term = cluster_status(&f->c, 2).term;
	m.read_index.ctx = 5;
	cluster_step(&f->c, &m);
	cluster_flush(&f->c, 3);
	cluster_deliver_if(&f->c, 3, 2, RAFT_MSG_READ_INDEX_RESP);
	cluster_flush(&f->c, 2);
	ASSERT_EQ_U64(n_reads(f, 2), 1);
	ASSERT_EQ_INT(read_at(f, 2, 0)->status, RAFT_ELEADERCHANGED);
}

TEST(read, follower_read_without_an_answer_times_out)
{
	elect_three(f);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 2), 5));
	cluster_flush(&f->c, 2);
	cluster_drop_if(&f->c, 2, 1, RAFT_MSG_READ_INDEX);
	cluster_tick(&f->c, 2, ET - 1);
	ASSERT_EQ_U64(n_reads(f, 2), 0);
	cluster_tick(&f->c, 2, 1);
	ASSERT_EQ_U64(n_reads(f, 2), 1);
	ASSERT_EQ_INT(read_at(f, 2, 0)->status, RAFT_ETIMEDOUT);
}

/* ------------------------------------------------------------------------
 * Lease reads
 * ------------------------------------------------------------------------ */

TEST(read, lease_holds_after_a_quorum_acked_a_round)
{
	raft_index index, start, i;
	elect_three(f);
	i = cluster_propose(&f->c, 1, "a");
	cluster_stabilize(&f->c);
	ASSERT_OK(raft_core_read_lease(cluster_core(&f->c, 1), &index, &start));
	ASSERT_EQ_U64(index, i);
	ASSERT_EQ_U64(start, 2); /* the leader's no-op */
	ASSERT_RV(raft_core_read_lease(cluster_core(&f->c, 2), &index, &start),
		  RAFT_ENOTLEADER);
}

TEST(read, lease_runs_out_without_acks)
{
	raft_index index, start;
	unsigned k;
	elect_three(f);
	cluster_stabilize(&f->c);
	cluster_isolate(&f->c, 2, true);
	cluster_isolate(&f->c, 3, true);
	/* The last acked round left at the last tick: ET - drift - 1 ticks
	 * of lease from then. */
	for (k = 0; k + 1 < ET - 1 - 1; k++) {
		cluster_tick(&f->c, 1, 1);
		ASSERT_OK(raft_core_read_lease(cluster_core(&f->c, 1), &index,
					       &start));
	}
	cluster_tick(&f->c, 1, 1);
	ASSERT_RV(raft_core_read_lease(cluster_core(&f->c, 1), &index, &start),
		  RAFT_EBUSY);
	/* Acks renew it. */
	cluster_isolate(&f->c, 2, false);
	cluster_tick(&f->c, 1, 1);
	cluster_stabilize(&f->c);
	ASSERT_OK(raft_core_read_lease(cluster_core(&f->c, 1), &index, &start));
}

TEST(read, no_lease_before_committing_in_the_term)
{
	raft_index index, start;
	cluster_bootstrap(&f->c, 3, 0, &f->cfg);
	cluster_campaign(&f->c, 1);
	cluster_rounds_dropping_appends(&f->c, 3, 1, 10);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	ASSERT_RV(raft_core_read_lease(cluster_core(&f->c, 1), &index, &start),
		  RAFT_EBUSY);
}

TEST(read, no_lease_in_a_term_with_a_transfer)
{
	raft_index index, start;
	elect_three(f);
	cluster_stabilize(&f->c);
	ASSERT_OK(raft_core_read_lease(cluster_core(&f->c, 1), &index, &start));
	cluster_isolate(&f->c, 3, true);
	ASSERT_OK(raft_core_transfer_leader(cluster_core(&f->c, 1), 3));
	ASSERT_RV(raft_core_read_lease(cluster_core(&f->c, 1), &index, &start),
		  RAFT_EBUSY);
	/* The transfer times out; the lease stays off for the term. */
	cluster_tick(&f->c, 1, ET + 1);
	cluster_stabilize(&f->c);
	cluster_isolate(&f->c, 3, false);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).transfer_to, 0);
	ASSERT_RV(raft_core_read_lease(cluster_core(&f->c, 1), &index, &start),
		  RAFT_EBUSY);
}

TEST(read, no_lease_without_check_quorum)
{
	raft_index index, start;
	f->cfg.check_quorum = false;
	elect_three(f);
	cluster_stabilize(&f->c);
	ASSERT_RV(raft_core_read_lease(cluster_core(&f->c, 1), &index, &start),
		  RAFT_EBUSY);
}

TEST(read, candidate_read_is_refused)
{
	cluster_bootstrap(&f->c, 3, 0, &f->cfg);
	cluster_campaign(&f->c, 1);
	ASSERT_RV(raft_core_read_index(cluster_core(&f->c, 1), 1),
		  RAFT_ENOTLEADER);
}

TEST(read, learner_acks_do_not_count)
{
	cluster_bootstrap(&f->c, 3, 2, &f->cfg);
	cluster_elect(&f->c, 1);
	ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), 1));
	cluster_flush(&f->c, 1);
	ack_heartbeats(f, 4);
	ack_heartbeats(f, 5);
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(n_reads(f, 1), 0);
	ack_heartbeats(f, 2);
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(n_reads(f, 1), 1);
}

TEST(read, many_reads_come_out_in_order)
{
	uint64_t ctx;
	size_t i;
	elect_three(f);
	for (ctx = 1; ctx <= 40; ctx++) {
		ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1), ctx));
		if (ctx % 3 == 0) {
			cluster_flush(&f->c, 1);
		}
	}
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(n_reads(f, 1), 40);
	for (i = 0; i < 40; i++) {
		ASSERT_EQ_U64(read_at(f, 1, i)->ctx, i + 1);
		ASSERT_EQ_INT(read_at(f, 1, i)->status, 0);
	}
}

static const struct test_case read_cases[] = {
    TEST_CASE(read, read_on_a_single_node_is_released_at_once),
    TEST_CASE(read, single_node_read_waits_for_its_noop_to_be_durable),
    TEST_CASE(read, read_is_released_once_a_quorum_acks_its_round),
    TEST_CASE(read, acks_of_a_round_sent_before_the_read_do_not_release_it),
    TEST_CASE(read, one_ack_is_not_enough_in_five_nodes),
    TEST_CASE(read, reads_before_the_round_left_share_it),
    TEST_CASE(read, read_after_the_round_left_needs_a_new_round),
    TEST_CASE(read, append_answers_confirm_a_round_too),
    TEST_CASE(read, read_index_is_the_commit_index_when_the_read_came_in),
    TEST_CASE(read, reads_before_the_first_commit_of_the_term_wait),
    TEST_CASE(read, stepping_down_fails_pending_reads),
    TEST_CASE(read, check_quorum_step_down_fails_pending_reads),
    TEST_CASE(read, follower_read_goes_through_the_leader),
    TEST_CASE(read, follower_read_waits_for_the_leaders_round),
    TEST_CASE(read, follower_read_without_a_leader_is_refused),
    TEST_CASE(read, follower_read_refused_by_a_non_leader_fails),
    TEST_CASE(read, follower_read_without_an_answer_times_out),
    TEST_CASE(read, lease_holds_after_a_quorum_acked_a_round),
    TEST_CASE(read, lease_runs_out_without_acks),
    TEST_CASE(read, no_lease_before_committing_in_the_term),
    TEST_CASE(read, no_lease_in_a_term_with_a_transfer),
    TEST_CASE(read, no_lease_without_check_quorum),
    TEST_CASE(read, candidate_read_is_refused),
    TEST_CASE(read, learner_acks_do_not_count),
    TEST_CASE(read, many_reads_come_out_in_order),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(read))
