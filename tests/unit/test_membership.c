/* Unit tests of membership changes (lib/core/membership.c): one server at a
 * time, learners and their promotion, the removed leader stepping down,
 * refused requests, and reset_peers. */
#include <string.h>

#include "cluster.h"
#include "test.h"

#define ET 10 /* election ticks of cluster_config() */

struct membership_fixture {
	struct cluster c;
	raft_term term;
	raft_index index;
};

SETUP(membership)
{
	cluster_init(&f->c);
}

TEARDOWN(membership)
{
	cluster_close(&f->c);
}

/* Three voters with node 1 leading and its no-op committed, and node 4
 * started empty (a new machine that joins). */
static void three_and_a_new_one(struct membership_fixture *f)
{
	struct raft_core_state empty = {0};
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_add(&f->c, NULL, &empty);
	cluster_elect(&f->c, 1);
	cluster_stabilize(&f->c);
}

static const struct raft_configuration *conf_of(struct membership_fixture *f,
						raft_id id)
{
	return raft_core_configuration(cluster_core(&f->c, id));
}

static uint8_t role_in(struct membership_fixture *f, raft_id at, raft_id id)
{
	const struct raft_server *s =
	    raft_configuration_get(conf_of(f, at), id);
	return s != NULL ? s->role : 0;
}

TEST(membership, a_learner_joins_catches_up_and_never_campaigns)
{
	struct raft_core *l;
	three_and_a_new_one(f);
	l = cluster_core(&f->c, 1);
	cluster_propose(&f->c, 1, "a");
	cluster_stabilize(&f->c);
	ASSERT_OK(raft_core_add_member(l, 4, "addr4", RAFT_LEARNER, &f->term,
				       &f->index));
	/* In force on the leader as soon as appended. */
	ASSERT_EQ_U64(role_in(f, 1, 4), RAFT_LEARNER);
	ASSERT_EQ_U64(conf_of(f, 1)->n, 4);
	cluster_stabilize(&f->c);
	ASSERT_GE_U64(cluster_status(&f->c, 1).commit_index, f->index);
	ASSERT_EQ_U64(cluster_status(&f->c, 4).last_index, f->index);
	ASSERT_APPLIED(&f->c, 4, 3, "a");
	ASSERT_TRUE(cluster_status(&f->c, 4).learner);
	/* Cut off from the leader, a learner waits: it never campaigns. */
	cluster_isolate(&f->c, 1, true);
	cluster_tick(&f->c, 4, 5 * ET);
	ASSERT_ROLE(&f->c, 4, RAFT_FOLLOWER);
	ASSERT_EQ_U64(cluster_status(&f->c, 4).term, f->term);
}

TEST(membership, one_change_at_a_time)
{
	struct raft_core *l;
	three_and_a_new_one(f);
	l = cluster_core(&f->c, 1);
	ASSERT_OK(raft_core_add_member(l, 4, "addr4", RAFT_LEARNER, &f->term,
				       &f->index));
	ASSERT_RV(raft_core_remove_member(l, 3, &f->term, &f->index),
		  RAFT_EBUSY);
	cluster_stabilize(&f->c);
	ASSERT_OK(raft_core_remove_member(l, 3, &f->term, &f->index));
}

TEST(membership, a_new_leader_changes_nothing_before_committing_in_its_term)
{
	struct raft_core *l;
	unsigned k;
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_campaign(&f->c, 1);
	/* Elect node 1 but lose its AppendEntries: the no-op stays
	 * uncommitted. */
	cluster_rounds_dropping_appends(&f->c, 3, 1, 10);
	cluster_flush(&f->c, 1);
	cluster_drop_if(&f->c, 1, 0, RAFT_MSG_APPEND);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	l = cluster_core(&f->c, 1);
	/* Its no-op is not committed yet. */
	ASSERT_RV(
	    raft_core_add_member(l, 4, "a", RAFT_LEARNER, &f->term, &f->index),
	    RAFT_EBUSY);
	for (k = 0; k < ET; k++) {
		cluster_tick(&f->c, 1, 1);
		cluster_stabilize(&f->c);
	}
	ASSERT_OK(
	    raft_core_add_member(l, 4, "a", RAFT_LEARNER, &f->term, &f->index));
}

TEST(membership, bad_requests_change_nothing)
{
	struct raft_core *l;
	raft_index last;
	three_and_a_new_one(f);
	l = cluster_core(&f->c, 1);
	last = cluster_status(&f->c, 1).last_index;
	ASSERT_RV(
	    raft_core_add_member(l, 2, "x", RAFT_LEARNER, &f->term, &f->index),
	    RAFT_EEXIST);
	ASSERT_RV(
	    raft_core_add_member(l, 0, "x", RAFT_LEARNER, &f->term, &f->index),
	    RAFT_EINVAL);
	ASSERT_RV(raft_core_add_member(l, 9, "x", 7, &f->term, &f->index),
		  RAFT_EINVAL);
	ASSERT_RV(raft_core_remove_member(l, 9, &f->term, &f->index),
		  RAFT_ENOTFOUND);
	ASSERT_RV(raft_core_promote(l, 9, &f->term, &f->index), RAFT_ENOTFOUND);
	ASSERT_RV(raft_core_promote(l, 2, &f->term, &f->index), RAFT_EINVAL);
	ASSERT_RV(raft_core_add_member(cluster_core(&f->c, 2), 9, "x",
				       RAFT_LEARNER, &f->term, &f->index),
		  RAFT_ENOTLEADER);
	ASSERT_RV(raft_core_transfer_leader(l, 4), RAFT_EINVAL);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).last_index, last);
	ASSERT_EQ_U64(conf_of(f, 1)->n, 3);
}

TEST(membership, the_last_voter_cannot_be_removed)
{
	struct raft_core *l;
	cluster_bootstrap(&f->c, 1, 0, NULL);
	cluster_elect(&f->c, 1);
	l = cluster_core(&f->c, 1);
	ASSERT_RV(raft_core_remove_member(l, 1, &f->term, &f->index),
		  RAFT_EINVAL);
}

TEST(membership, a_lagging_or_silent_learner_is_not_promoted)
{
	struct raft_core *l;
	unsigned i;
	three_and_a_new_one(f);
	l = cluster_core(&f->c, 1);
	cluster_isolate(&f->c, 4, true);
	ASSERT_OK(raft_core_add_member(l, 4, "addr4", RAFT_LEARNER, &f->term,
				       &f->index));
	cluster_stabilize(&f->c);
	ASSERT_RV(raft_core_promote(l, 4, &f->term, &f->index),
		  RAFT_EUNAVAILABLE);
	/* Heard from, but far behind: more than one append's worth. */
	for (i = 0; i < 1100; i++) {
		cluster_propose(&f->c, 1, "x");
	}
	cluster_flush(&f->c, 1);
	cluster_isolate(&f->c, 4, false);
	{
		/* One heartbeat answer from the learner, no catch-up yet. */
		struct raft_message hb = {0};
		hb.type = RAFT_MSG_HEARTBEAT_RESP;
		hb.from = 4;
		hb.to = 1;
		hb.term = cluster_status(&f->c, 1).term;
		cluster_step(&f->c, &hb);
	}
	ASSERT_RV(raft_core_promote(l, 4, &f->term, &f->index), RAFT_ELAGGING);
	ASSERT_EQ_U64(role_in(f, 1, 4), RAFT_LEARNER);
	cluster_stabilize(&f->c);
	cluster_tick(&f->c, 1, 1);
	cluster_stabilize(&f->c);
	ASSERT_OK(raft_core_promote(l, 4, &f->term, &f->index));
	ASSERT_EQ_U64(role_in(f, 1, 4), RAFT_VOTER);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(role_in(f, 4, 4), RAFT_VOTER);
	ASSERT_FALSE(cluster_status(&f->c, 4).learner);
}

TEST(membership, a_removed_follower_no_longer_counts)
{
	struct raft_core *l;
	raft_index i;
	three_and_a_new_one(f);
	l = cluster_core(&f->c, 1);
	ASSERT_OK(raft_core_remove_member(l, 3, &f->term, &f->index));
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(conf_of(f, 2)->n, 2);
	/* Two voters now: both are needed, node 3 is not. */
	cluster_isolate(&f->c, 3, true);
	i = cluster_propose(&f->c, 1, "after");
	cluster_stabilize(&f->c);
	ASSERT_GE_U64(cluster_status(&f->c, 1).commit_index, i);
	cluster_isolate(&f->c, 2, true);
	i = cluster_propose(&f->c, 1, "alone");
	cluster_stabilize(&f->c);
	ASSERT_LT_U64(cluster_status(&f->c, 1).commit_index, i);
}

TEST(membership, a_removed_leader_steps_down_once_the_change_commits)
{
	struct raft_core *l;
	three_and_a_new_one(f);
	l = cluster_core(&f->c, 1);
	ASSERT_OK(raft_core_remove_member(l, 1, &f->term, &f->index));
	/* Still leading while the change is not committed. */
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	cluster_stabilize(&f->c);
	ASSERT_ROLE(&f->c, 1, RAFT_FOLLOWER);
	/* It handed over at once: one of the others leads, without a
	 * timeout. */
	ASSERT_TRUE(cluster_status(&f->c, 2).role == RAFT_LEADER ||
		    cluster_status(&f->c, 3).role == RAFT_LEADER);
	ASSERT_EQ_U64(role_in(f, 2, 1), 0);
	/* The old leader, no longer a voter, never campaigns. */
	cluster_tick(&f->c, 1, 5 * ET);
	ASSERT_ROLE(&f->c, 1, RAFT_FOLLOWER);
}

TEST(membership, transfer_to_a_silent_voter_is_refused)
{
	struct raft_core *l;
	three_and_a_new_one(f);
	l = cluster_core(&f->c, 1);
	cluster_isolate(&f->c, 3, true);
	cluster_tick(&f->c, 1, ET + 1);
	cluster_stabilize(&f->c);
	ASSERT_RV(raft_core_transfer_leader(l, 3), RAFT_EUNAVAILABLE);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).transfer_to, 0);
	/* 0 picks the live one. */
	ASSERT_OK(raft_core_transfer_leader(l, 0));
	ASSERT_EQ_U64(cluster_status(&f->c, 1).transfer_to, 2);
}

TEST(membership, reset_peers_revives_a_lost_majority)
{
	struct raft_configuration alone;
	raft_index i;
	three_and_a_new_one(f);
	cluster_propose(&f->c, 1, "before");
	cluster_stabilize(&f->c);
	/* Nodes 1 and 2 are gone for good. */
	cluster_isolate(&f->c, 1, true);
	cluster_isolate(&f->c, 2, true);
	cluster_tick(&f->c, 3, 5 * ET);
	ASSERT_TRUE(cluster_status(&f->c, 3).role != RAFT_LEADER);
	raft_configuration_init(&alone);
	ASSERT_OK(raft_configuration_add(&alone, 1, "a", RAFT_VOTER));
	ASSERT_RV(raft_core_reset_peers(cluster_core(&f->c, 3), &alone),
		  RAFT_EINVAL); /* without itself */
	raft_configuration_close(&alone);
	ASSERT_OK(raft_configuration_add(&alone, 3, "c", RAFT_VOTER));
	ASSERT_OK(raft_core_reset_peers(cluster_core(&f->c, 3), &alone));
	raft_configuration_close(&alone);
	cluster_tick(&f->c, 3, 1);
	cluster_stabilize(&f->c);
	ASSERT_ROLE(&f->c, 3, RAFT_LEADER);
	i = cluster_propose(&f->c, 3, "after");
	cluster_stabilize(&f->c);
	ASSERT_GE_U64(cluster_status(&f->c, 3).commit_index, i);
	ASSERT_APPLIED(&f->c, 3, i, "after");
	ASSERT_EQ_U64(conf_of(f, 3)->n, 1);
	/* And it grows again. */
	ASSERT_OK(raft_core_add_member(cluster_core(&f->c, 3), 4, "d",
				       RAFT_LEARNER, &f->term, &f->index));
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 4).last_index, f->index);
}

static const struct test_case membership_cases[] = {
    TEST_CASE(membership, a_learner_joins_catches_up_and_never_campaigns),
    TEST_CASE(membership, one_change_at_a_time),
    TEST_CASE(membership,
	      a_new_leader_changes_nothing_before_committing_in_its_term),
    TEST_CASE(membership, bad_requests_change_nothing),
    TEST_CASE(membership, the_last_voter_cannot_be_removed),
    TEST_CASE(membership, a_lagging_or_silent_learner_is_not_promoted),
    TEST_CASE(membership, a_removed_follower_no_longer_counts),
    TEST_CASE(membership, a_removed_leader_steps_down_once_the_change_commits),
    TEST_CASE(membership, transfer_to_a_silent_voter_is_refused),
    TEST_CASE(membership, reset_peers_revives_a_lost_majority),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(membership))
