/* Unit tests of leader election (lib/core/election.c): Raft section 5.2,
 * the election restriction of 5.4.1, pre-vote, leader stickiness and
 * check-quorum. */
#include "cluster.h"
#include "test.h"

#define ET 10 /* election ticks of cluster_config() */

struct election_fixture {
	struct cluster c;
	struct batch b;
};

SETUP(election)
{
	cluster_init(&f->c);
}

TEARDOWN(election)
{
	batch_free(&f->b);
	cluster_close(&f->c);
}

/* Handles one ready batch of node id into f->b (freeing the previous). */
static void take(struct election_fixture *f, raft_id id)
{
	batch_free(&f->b);
	cluster_handle_ready(&f->c, id, &f->b);
}

static struct raft_message vote_request(raft_id from, raft_id to,
					raft_term term, raft_index last_index,
					raft_term last_term)
{
	struct raft_message m = {0};
	m.type = RAFT_MSG_VOTE;
	m.from = from;
	m.to = to;
	m.term = term;
	m.vote.last_log_index = last_index;
	m.vote.last_log_term = last_term;
	return m;
}

static struct raft_core_config config_without_pre_vote(void)
{
	struct raft_core_config cfg;
	cluster_config(&cfg, 1);
	cfg.pre_vote = false;
	return cfg;
}

/* The answer to a vote request in f->b, among the persisted messages or
 * the others; fails the case if there is none. */
static const struct raft_message *vote_answer(struct election_fixture *f,
					      bool persisted)
{
	const struct raft_message *m =
	    batch_find(&f->b, persisted, RAFT_MSG_VOTE_RESP, 0);
	if (m == NULL) {
		test_fail(__FILE__, __LINE__, "no vote answer in %s",
			  persisted ? "persisted_messages" : "messages");
	}
	return m;
}

/* Whether f->b holds a vote answer among these messages. */
static bool has_vote_answer(struct election_fixture *f, bool persisted)
{
	return batch_find(&f->b, persisted, RAFT_MSG_VOTE_RESP, 0) != NULL;
}

TEST(election, single_node_elects_itself)
{
	struct raft_core_status st;
	cluster_bootstrap(&f->c, 1, 0, NULL);
	cluster_campaign(&f->c, 1);
	/* Its own vote counts once durable: a restart must never find it
	 * leading a term it does not remember. */
	ASSERT_ROLE(&f->c, 1, RAFT_CANDIDATE);
	take(f, 1); /* written and reported durable */
	ASSERT_TRUE(f->b.hard_state_changed);
	ASSERT_EQ_U64(f->b.hard_state.term, 2);
	ASSERT_EQ_U64(f->b.hard_state.vote, 1);
	ASSERT_EQ_U64(f->b.n_entries, 0);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	take(f, 1);
	ASSERT_TRUE(f->b.soft_state_changed);
	ASSERT_EQ_U64(f->b.role, RAFT_LEADER);
	ASSERT_EQ_U64(f->b.leader_id, 1);
	/* Its no-op is written; nobody else is asked anything. */
	ASSERT_EQ_U64(f->b.n_entries, 1);
	ASSERT_EQ_U64(f->b.entries[0].index, 2);
	ASSERT_EQ_U64(f->b.entries[0].term, 2);
	ASSERT_EQ_U64(f->b.entries[0].type, RAFT_ENTRY_NOOP);
	ASSERT_EQ_U64(f->b.n_messages + f->b.n_persisted_messages, 0);
	/* The no-op commits once durable, bringing the bootstrap entry. */
	cluster_flush(&f->c, 1);
	st = cluster_status(&f->c, 1);
	ASSERT_EQ_U64(st.commit_index, 2);
	ASSERT_EQ_U64(cluster_node(&f->c, 1)->n_applied, 2);
	ASSERT_EQ_U64(cluster_node(&f->c, 1)->applied[0].type, RAFT_ENTRY_CONF);
}

/* Section 5.2, with the pre-vote round of thesis 9.6 in front. */
TEST(election, three_nodes_elect_the_first_to_time_out)
{
	const struct raft_message *m;
	unsigned i;
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_node(&f->c, 1)->manual_persist = true;
	cluster_campaign(&f->c, 1);
	ASSERT_ROLE(&f->c, 1, RAFT_PRE_CANDIDATE);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).term, 1);

	/* Pre-vote requests for term 2 leave at once. */
	take(f, 1);
	ASSERT_FALSE(f->b.hard_state_changed);
	ASSERT_EQ_U64(batch_count(&f->b, false, RAFT_MSG_VOTE), 2);
	ASSERT_EQ_U64(f->b.n_persisted_messages, 0);
	m = BATCH_GET(&f->b, false, RAFT_MSG_VOTE, 2);
	ASSERT_NOT_NULL(m);
	ASSERT_EQ_U64(m->term, 2);
	ASSERT_TRUE(m->vote.pre_vote);
	ASSERT_EQ_U64(m->vote.last_log_index, 1);
	ASSERT_EQ_U64(m->vote.last_log_term, 1);
	ASSERT_EQ_U64(cluster_deliver(&f->c), 2);
	cluster_flush(&f->c, 2);
	cluster_flush(&f->c, 3);
	ASSERT_EQ_U64(cluster_deliver(&f->c), 2);

	/* The real election: term 2, the self-vote persisted before the
	 * requests may leave. */
	ASSERT_ROLE(&f->c, 1, RAFT_CANDIDATE);
	take(f, 1);
	ASSERT_TRUE(f->b.hard_state_changed);
	ASSERT_EQ_U64(f->b.hard_state.term, 2);
	ASSERT_EQ_U64(f->b.hard_state.vote, 1);
	ASSERT_EQ_U64(batch_count(&f->b, true, RAFT_MSG_VOTE), 2);
	ASSERT_EQ_U64(f->b.n_messages, 0);
	ASSERT_EQ_U64(cluster_count(&f->c, 0, 0, 0), 0);
	cluster_persist(&f->c, 1);
	ASSERT_EQ_U64(cluster_count(&f->c, 1, 0, RAFT_MSG_VOTE), 2);
	cluster_deliver(&f->c);
	for (i = 2; i <= 3; i++) {
		ASSERT_EQ_U64(cluster_status(&f->c, i).term, 2);
		ASSERT_EQ_U64(cluster_status(&f->c, i).vote, 1);
	}
	cluster_flush(&f->c, 2);
	cluster_flush(&f->c, 3);
	cluster_deliver(&f->c);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);

	/* Everyone learns the leader and commits its no-op. */
	cluster_node(&f->c, 1)->manual_persist = false;
	cluster_stabilize(&f->c);
	for (i = 1; i <= 3; i++) {
		struct raft_core_status st = cluster_status(&f->c, i);
		ASSERT_EQ_U64(st.term, 2);
		ASSERT_EQ_U64(st.leader_id, 1);
		ASSERT_EQ_U64(st.commit_index, 2);
	}
	ASSERT_ROLE(&f->c, 2, RAFT_FOLLOWER);
	ASSERT_ROLE(&f->c, 3, RAFT_FOLLOWER);
}

TEST(election, real_vote_request_leaves_only_once_persisted)
{
	struct raft_core_config cfg = config_without_pre_vote();
	cluster_bootstrap(&f->c, 3, 0, &cfg);
	cluster_campaign(&f->c, 2);
	ASSERT_ROLE(&f->c, 2, RAFT_CANDIDATE);
	take(f, 2);
	ASSERT_EQ_U64(batch_count(&f->b, true, RAFT_MSG_VOTE), 2);
	ASSERT_EQ_U64(batch_count(&f->b, false, 0), 0);
	ASSERT_FALSE(BATCH_GET(&f->b, true, RAFT_MSG_VOTE, 1)->vote.pre_vote);
}

TEST(election, pre_vote_request_leaves_at_once)
{
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_campaign(&f->c, 2);
	take(f, 2);
	ASSERT_EQ_U64(batch_count(&f->b, false, RAFT_MSG_VOTE), 2);
	ASSERT_EQ_U64(batch_count(&f->b, true, 0), 0);
	ASSERT_TRUE(BATCH_GET(&f->b, false, RAFT_MSG_VOTE, 1)->vote.pre_vote);
}

TEST(election, vote_grant_leaves_once_persisted_and_refusal_at_once)
{
	struct raft_message m = vote_request(1, 3, 2, 1, 1);
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_step(&f->c, &m);
	take(f, 3);
	ASSERT_TRUE(f->b.hard_state_changed);
	ASSERT_EQ_U64(f->b.hard_state.vote, 1);
	ASSERT_FALSE(has_vote_answer(f, false));
	ASSERT_TRUE(vote_answer(f, true)->vote_resp.granted);
	ASSERT_FALSE(vote_answer(f, true)->vote_resp.pre_vote);
	/* Another candidate of the same term is refused at once. */
	m = vote_request(2, 3, 2, 1, 1);
	cluster_step(&f->c, &m);
	take(f, 3);
	ASSERT_FALSE(has_vote_answer(f, true));
	ASSERT_FALSE(vote_answer(f, false)->vote_resp.granted);
}

TEST(election, pre_vote_changes_no_term_or_vote_of_the_voter)
{
	struct raft_message m = vote_request(1, 3, 2, 1, 1);
	struct raft_core_status st;
	m.vote.pre_vote = true;
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_step(&f->c, &m);
	st = cluster_status(&f->c, 3);
	ASSERT_EQ_U64(st.term, 1);
	ASSERT_EQ_U64(st.vote, 0);
	take(f, 3);
	ASSERT_FALSE(f->b.hard_state_changed);
	/* Granted in the term asked about, without waiting for a write. */
	ASSERT_TRUE(vote_answer(f, false)->vote_resp.granted);
	ASSERT_TRUE(vote_answer(f, false)->vote_resp.pre_vote);
	ASSERT_EQ_U64(vote_answer(f, false)->term, 2);
	/* A pre-vote binds nothing: another one for the same term too. */
	m.from = 2;
	cluster_step(&f->c, &m);
	take(f, 3);
	ASSERT_TRUE(vote_answer(f, false)->vote_resp.granted);
}

TEST(election, pre_vote_keeps_a_partitioned_node_in_its_term)
{
	unsigned round;
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	cluster_isolate(&f->c, 3, true);
	for (round = 0; round < 10; round++) {
		cluster_tick(&f->c, 3, 2 * ET);
		cluster_deliver(&f->c);
	}
	ASSERT_ROLE(&f->c, 3, RAFT_PRE_CANDIDATE);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).term, 2);
	/* Back in the partition it cannot disrupt the leader. */
	cluster_isolate(&f->c, 3, false);
	cluster_tick(&f->c, 3, 2 * ET);
	cluster_stabilize(&f->c);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).term, 2);
}

TEST(election, without_pre_vote_a_partitioned_node_bumps_its_term)
{
	struct raft_core_config cfg = config_without_pre_vote();
	cluster_bootstrap(&f->c, 3, 0, &cfg);
	cluster_elect(&f->c, 1);
	cluster_isolate(&f->c, 3, true);
	cluster_tick(&f->c, 3, 10 * ET);
	ASSERT_ROLE(&f->c, 3, RAFT_CANDIDATE);
	ASSERT_GT_U64(cluster_status(&f->c, 3).term, 4);
}

/* Section 5.4.1: the voter's log is (index 3, term 2). */
static void setup_voter_with_log(struct election_fixture *f)
{
	static const raft_term terms[] = {1, 2};
	struct raft_core_config cfg;
	cluster_config(&cfg, 1);
	cluster_add_with_log(&f->c, 3, &cfg, 2, 0, terms, 2);
}

TEST(election, voter_refuses_a_candidate_whose_last_term_is_older)
{
	struct raft_message m = vote_request(2, 1, 3, 10, 1);
	setup_voter_with_log(f);
	cluster_step(&f->c, &m);
	take(f, 1);
	ASSERT_FALSE(vote_answer(f, false)->vote_resp.granted);
	ASSERT_EQ_U64(vote_answer(f, false)->term, 3);
	/* The term moved (a higher term always does), the vote did not. */
	ASSERT_EQ_U64(cluster_status(&f->c, 1).term, 3);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).vote, 0);
}

TEST(election, voter_refuses_a_shorter_log_of_the_same_last_term)
{
	struct raft_message m = vote_request(2, 1, 3, 2, 2);
	setup_voter_with_log(f);
	cluster_step(&f->c, &m);
	take(f, 1);
	ASSERT_FALSE(vote_answer(f, false)->vote_resp.granted);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).vote, 0);
}

TEST(election, voter_grants_an_equally_up_to_date_log)
{
	struct raft_message m = vote_request(2, 1, 3, 3, 2);
	setup_voter_with_log(f);
	cluster_step(&f->c, &m);
	take(f, 1);
	ASSERT_TRUE(vote_answer(f, true)->vote_resp.granted);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).vote, 2);
}

TEST(election, voter_grants_a_newer_last_term_even_if_shorter)
{
	struct raft_message m = vote_request(2, 1, 4, 2, 3);
	setup_voter_with_log(f);
	cluster_step(&f->c, &m);
	take(f, 1);
	ASSERT_TRUE(vote_answer(f, true)->vote_resp.granted);
}

TEST(election, voter_refuses_a_stale_pre_vote_too)
{
	struct raft_message m = vote_request(2, 1, 3, 10, 1);
	m.vote.pre_vote = true;
	setup_voter_with_log(f);
	cluster_step(&f->c, &m);
	take(f, 1);
	ASSERT_FALSE(vote_answer(f, false)->vote_resp.granted);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).term, 2);
}

TEST(election, node_with_a_stale_log_cannot_win)
{
	static const raft_term stale[] = {1};
	static const raft_term fresh[] = {1, 2};
	struct raft_core_config cfg = config_without_pre_vote();
	unsigned round;
	cluster_add_with_log(&f->c, 3, &cfg, 2, 0, stale, 1);
	cluster_add_with_log(&f->c, 3, &cfg, 2, 0, fresh, 2);
	cluster_add_with_log(&f->c, 3, &cfg, 2, 0, fresh, 2);
	for (round = 0; round < 5; round++) {
		cluster_campaign(&f->c, 1);
		cluster_stabilize(&f->c);
		ASSERT_ROLE(&f->c, 1, RAFT_FOLLOWER);
		ASSERT_EQ_U64(cluster_status(&f->c, 2).vote, 0);
		ASSERT_EQ_U64(cluster_status(&f->c, 3).vote, 0);
	}
}

/* Section 5.2: at most one vote per term, repeated for a retry. */
TEST(election, one_vote_per_term)
{
	struct raft_message m = vote_request(1, 3, 2, 1, 1);
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_step(&f->c, &m);
	take(f, 3);
	ASSERT_TRUE(vote_answer(f, true)->vote_resp.granted);
	m = vote_request(2, 3, 2, 5, 1);
	cluster_step(&f->c, &m);
	take(f, 3);
	ASSERT_FALSE(vote_answer(f, false)->vote_resp.granted);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).vote, 1);
	/* The same candidate asking again gets the same answer. */
	m = vote_request(1, 3, 2, 1, 1);
	cluster_step(&f->c, &m);
	take(f, 3);
	ASSERT_TRUE(vote_answer(f, true)->vote_resp.granted);
	/* A new term frees the vote. */
	m = vote_request(2, 3, 3, 1, 1);
	cluster_step(&f->c, &m);
	take(f, 3);
	ASSERT_TRUE(vote_answer(f, true)->vote_resp.granted);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).vote, 2);
}

TEST(election, restarted_voter_keeps_its_vote_of_the_term)
{
	struct raft_message m = vote_request(3, 1, 2, 1, 1);
	struct raft_core_config cfg;
	cluster_config(&cfg, 1);
	/* Node 1 voted for node 2 in term 2, then restarted. */
	cluster_add_with_log(&f->c, 3, &cfg, 2, 2, NULL, 0);
	cluster_step(&f->c, &m);
	take(f, 1);
	ASSERT_FALSE(vote_answer(f, false)->vote_resp.granted);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).vote, 2);
	m.from = 2;
	cluster_step(&f->c, &m);
	take(f, 1);
	ASSERT_TRUE(vote_answer(f, true)->vote_resp.granted);
}

TEST(election, two_candidates_of_one_term_elect_at_most_one)
{
	struct raft_core_config cfg = config_without_pre_vote();
	cluster_bootstrap(&f->c, 3, 0, &cfg);
	cluster_campaign(&f->c, 1);
	cluster_campaign(&f->c, 2);
	cluster_flush(&f->c, 1);
	cluster_flush(&f->c, 2);
	/* Node 3 hears node 2 first. */
	cluster_deliver_if(&f->c, 2, 3, RAFT_MSG_VOTE);
	cluster_stabilize(&f->c);
	ASSERT_ROLE(&f->c, 2, RAFT_LEADER);
	ASSERT_ROLE(&f->c, 1, RAFT_FOLLOWER);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).term, 2);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).leader_id, 2);
}

TEST(election, candidate_becomes_follower_on_an_append_of_its_term)
{
	struct raft_core_config cfg = config_without_pre_vote();
	struct raft_message m = {0};
	struct raft_core_status st;
	cluster_bootstrap(&f->c, 3, 0, &cfg);
	cluster_campaign(&f->c, 1);
	ASSERT_ROLE(&f->c, 1, RAFT_CANDIDATE);
	m.type = RAFT_MSG_APPEND;
	m.from = 2;
	m.to = 1;
	m.term = 2;
	m.append.prev_index = 1;
	m.append.prev_term = 1;
	cluster_step(&f->c, &m);
	st = cluster_status(&f->c, 1);
	ASSERT_EQ_U64(st.role, RAFT_FOLLOWER);
	ASSERT_EQ_U64(st.term, 2);
	ASSERT_EQ_U64(st.leader_id, 2);
	/* Its vote of this term stays cast. */
	ASSERT_EQ_U64(st.vote, 1);
	take(f, 1);
	ASSERT_NOT_NULL(batch_find(&f->b, true, RAFT_MSG_APPEND_RESP, 2));
}

TEST(election, pre_candidate_becomes_follower_on_a_heartbeat)
{
	struct raft_message m = {0};
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_campaign(&f->c, 1);
	ASSERT_ROLE(&f->c, 1, RAFT_PRE_CANDIDATE);
	m.type = RAFT_MSG_HEARTBEAT;
	m.from = 2;
	m.to = 1;
	m.term = 1;
	cluster_step(&f->c, &m);
	ASSERT_ROLE(&f->c, 1, RAFT_FOLLOWER);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).leader_id, 2);
}

TEST(election, pre_candidate_rejected_by_a_quorum_becomes_follower)
{
	static const raft_term stale[] = {1};
	static const raft_term fresh[] = {1, 2};
	cluster_add_with_log(&f->c, 3, NULL, 2, 0, stale, 1);
	cluster_add_with_log(&f->c, 3, NULL, 2, 0, fresh, 2);
	cluster_add_with_log(&f->c, 3, NULL, 2, 0, fresh, 2);
	cluster_campaign(&f->c, 1);
	cluster_flush(&f->c, 1);
	cluster_deliver(&f->c);
	cluster_flush(&f->c, 2);
	cluster_flush(&f->c, 3);
	cluster_deliver(&f->c);
	ASSERT_ROLE(&f->c, 1, RAFT_FOLLOWER);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).term, 2);
}

/* Thesis 4.2.3: a follower in touch with its leader ignores candidates. */
TEST(election, follower_that_heard_the_leader_ignores_vote_requests)
{
	struct raft_message m = vote_request(2, 3, 3, 2, 2);
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	cluster_tick(&f->c, 3, ET - 1);
	cluster_step(&f->c, &m);
	ASSERT_FALSE(raft_core_has_ready(cluster_core(&f->c, 3)));
	ASSERT_EQ_U64(cluster_status(&f->c, 3).term, 2);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).vote, 1);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).leader_id, 1);
	/* A pre-vote too. */
	m.vote.pre_vote = true;
	cluster_step(&f->c, &m);
	ASSERT_FALSE(raft_core_has_ready(cluster_core(&f->c, 3)));
}

TEST(election, leader_with_a_live_quorum_ignores_vote_requests)
{
	struct raft_message m = vote_request(2, 1, 3, 2, 2);
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	cluster_step(&f->c, &m);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).term, 2);
}

TEST(election, transfer_vote_request_is_not_ignored)
{
	struct raft_message m = vote_request(2, 3, 3, 2, 2);
	m.vote.transfer = true;
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	cluster_step(&f->c, &m);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).term, 3);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).vote, 2);
	take(f, 3);
	ASSERT_TRUE(vote_answer(f, true)->vote_resp.granted);
}

TEST(election, without_check_quorum_a_follower_votes_despite_a_leader)
{
	struct raft_core_config cfg;
	struct raft_message m = vote_request(2, 3, 3, 2, 2);
	cluster_config(&cfg, 1);
	cfg.check_quorum = false;
	cluster_bootstrap(&f->c, 3, 0, &cfg);
	cluster_elect(&f->c, 1);
	cluster_step(&f->c, &m);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).vote, 2);
}

TEST(election, leadership_transfer_elects_the_target)
{
	unsigned i;
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	ASSERT_OK(raft_core_transfer_leader(cluster_core(&f->c, 1), 3));
	cluster_stabilize(&f->c);
	ASSERT_ROLE(&f->c, 3, RAFT_LEADER);
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ_U64(cluster_status(&f->c, i).term, 3);
		ASSERT_EQ_U64(cluster_status(&f->c, i).leader_id, 3);
	}
	ASSERT_EQ_U64(cluster_status(&f->c, 1).transfer_to, 0);
}

/* Thesis 6.2: a leader that hears no majority for an election timeout
 * steps down. The followers answered its no-op during the first timeout,
 * so it passes the first check and fails the second. */
TEST(election, check_quorum_steps_down_after_an_election_timeout_alone)
{
	struct raft_core_status st;
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	cluster_isolate(&f->c, 2, true);
	cluster_isolate(&f->c, 3, true);
	cluster_tick(&f->c, 1, ET);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	cluster_tick(&f->c, 1, ET - 1);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	cluster_tick(&f->c, 1, 1);
	st = cluster_status(&f->c, 1);
	ASSERT_EQ_U64(st.role, RAFT_FOLLOWER);
	ASSERT_EQ_U64(st.term, 2);
	ASSERT_EQ_U64(st.leader_id, 0);
}

/* Checks run once per election timeout; a leader isolated as soon as it
 * wins (no follower ever acknowledges it) is gone within two. */
TEST(election, check_quorum_steps_down_a_new_leader_that_hears_nobody)
{
	struct raft_core_config cfg = config_without_pre_vote();
	cluster_bootstrap(&f->c, 3, 0, &cfg);
	cluster_campaign(&f->c, 1);
	cluster_flush(&f->c, 1);
	cluster_deliver(&f->c);
	cluster_flush(&f->c, 2);
	cluster_deliver(&f->c);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	cluster_isolate(&f->c, 2, true);
	cluster_isolate(&f->c, 3, true);
	/* One election timeout, as for any leader: a vote is not a sign of
	 * life once the leader leads. */
	cluster_tick(&f->c, 1, ET - 1);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	cluster_tick(&f->c, 1, 1);
	ASSERT_ROLE(&f->c, 1, RAFT_FOLLOWER);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).term, 2);
}

TEST(election, check_quorum_keeps_a_leader_that_hears_a_majority)
{
	unsigned i;
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	cluster_isolate(&f->c, 3, true);
	for (i = 0; i < 5 * ET; i++) {
		cluster_tick(&f->c, 1, 1);
		cluster_stabilize(&f->c);
	}
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
}

TEST(election, without_check_quorum_a_leader_stays_alone)
{
	struct raft_core_config cfg;
	cluster_config(&cfg, 1);
	cfg.check_quorum = false;
	cluster_bootstrap(&f->c, 3, 0, &cfg);
	cluster_elect(&f->c, 1);
	cluster_isolate(&f->c, 2, true);
	cluster_isolate(&f->c, 3, true);
	cluster_tick(&f->c, 1, 5 * ET);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
}

/* A fresh follower of a 3-voter cluster with this seed. */
static struct raft_core *new_follower(uint64_t seed)
{
	struct raft_configuration conf;
	struct raft_core_config cfg;
	struct raft_core_state st = {0};
	struct raft_entry entry;
	struct raft_core *core;
	unsigned i;
	raft_configuration_init(&conf);
	for (i = 1; i <= 3; i++) {
		ASSERT_OK(raft_configuration_add(&conf, i, "", RAFT_VOTER));
	}
	ASSERT_OK(raft_core_bootstrap_entry(&conf, &entry));
	raft_configuration_close(&conf);
	cluster_config(&cfg, 1);
	cfg.random_seed = seed;
	st.term = 1;
	st.entries = &entry;
	st.n_entries = 1;
	ASSERT_OK(raft_core_new(&cfg, &st, &core, NULL, 0));
	raft_free(entry.data.base);
	return core;
}

/* Ticks until the core sends vote requests; returns the ticks taken. */
static unsigned ticks_to_campaign(struct raft_core *core)
{
	unsigned ticks = 0;
	for (;;) {
		struct batch b;
		size_t n_votes = 0;
		raft_core_tick(core);
		ticks++;
		if (ticks > 10 * ET) {
			test_fail(__FILE__, __LINE__, "no campaign");
		}
		if (raft_core_has_ready(core)) {
			batch_take(core, &b);
			n_votes = batch_count(&b, false, RAFT_MSG_VOTE);
			batch_free(&b);
		}
		if (n_votes > 0) {
			return ticks;
		}
	}
}

TEST(election, election_timeout_is_random_in_et_to_twice_et)
{
	bool seen[2 * ET] = {false};
	unsigned distinct = 0, i;
	uint64_t seed;
	for (seed = 1; seed <= 100; seed++) {
		struct raft_core *core = new_follower(seed);
		unsigned round;
		/* The first timeout, then the ones after failed campaigns. */
		for (round = 0; round < 3; round++) {
			unsigned t = ticks_to_campaign(core);
			ASSERT_GE_U64(t, ET);
			ASSERT_LT_U64(t, 2 * ET);
			seen[t] = true;
		}
		raft_core_free(core);
	}
	for (i = 0; i < 2 * ET; i++) {
		distinct += seen[i];
	}
	ASSERT_EQ_U64(distinct, ET);
}

TEST(election, same_seed_same_timeouts)
{
	struct raft_core *a = new_follower(42), *b = new_follower(42);
	unsigned round;
	for (round = 0; round < 5; round++) {
		ASSERT_EQ_U64(ticks_to_campaign(a), ticks_to_campaign(b));
	}
	raft_core_free(a);
	raft_core_free(b);
}

TEST(election, learner_never_campaigns)
{
	cluster_bootstrap(&f->c, 2, 1, NULL);
	cluster_tick(&f->c, 3, 10 * ET);
	ASSERT_ROLE(&f->c, 3, RAFT_FOLLOWER);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).term, 1);
	ASSERT_EQ_U64(cluster_count(&f->c, 3, 0, 0), 0);
	ASSERT_TRUE(cluster_status(&f->c, 3).learner);
}

TEST(election, learner_vote_does_not_count)
{
	struct raft_core_config cfg = config_without_pre_vote();
	struct raft_message m = {0};
	cluster_bootstrap(&f->c, 3, 1, &cfg);
	cluster_campaign(&f->c, 1);
	/* Only voters are asked. */
	take(f, 1);
	ASSERT_EQ_U64(batch_count(&f->b, true, RAFT_MSG_VOTE), 2);
	ASSERT_NULL(batch_find(&f->b, true, RAFT_MSG_VOTE, 4));
	m.type = RAFT_MSG_VOTE_RESP;
	m.from = 4;
	m.to = 1;
	m.term = 2;
	m.vote_resp.granted = true;
	cluster_step(&f->c, &m);
	ASSERT_ROLE(&f->c, 1, RAFT_CANDIDATE);
}

TEST(election, stale_vote_request_is_refused_with_the_newer_term)
{
	struct raft_message m = vote_request(2, 1, 1, 1, 1);
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	cluster_step(&f->c, &m);
	take(f, 1);
	ASSERT_FALSE(vote_answer(f, false)->vote_resp.granted);
	ASSERT_EQ_U64(vote_answer(f, false)->term, 2);
}

TEST(election, candidate_learning_a_newer_term_becomes_follower)
{
	struct raft_core_config cfg = config_without_pre_vote();
	struct raft_message m = {0};
	cluster_bootstrap(&f->c, 3, 0, &cfg);
	cluster_campaign(&f->c, 1);
	m.type = RAFT_MSG_VOTE_RESP;
	m.from = 2;
	m.to = 1;
	m.term = 5;
	cluster_step(&f->c, &m);
	ASSERT_ROLE(&f->c, 1, RAFT_FOLLOWER);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).term, 5);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).vote, 0);
}

static const struct test_case election_cases[] = {
    TEST_CASE(election, single_node_elects_itself),
    TEST_CASE(election, three_nodes_elect_the_first_to_time_out),
    TEST_CASE(election, real_vote_request_leaves_only_once_persisted),
    TEST_CASE(election, pre_vote_request_leaves_at_once),
    TEST_CASE(election, vote_grant_leaves_once_persisted_and_refusal_at_once),
    TEST_CASE(election, pre_vote_changes_no_term_or_vote_of_the_voter),
    TEST_CASE(election, pre_vote_keeps_a_partitioned_node_in_its_term),
    TEST_CASE(election, without_pre_vote_a_partitioned_node_bumps_its_term),
    TEST_CASE(election, voter_refuses_a_candidate_whose_last_term_is_older),
    TEST_CASE(election, voter_refuses_a_shorter_log_of_the_same_last_term),
    TEST_CASE(election, voter_grants_an_equally_up_to_date_log),
    TEST_CASE(election, voter_grants_a_newer_last_term_even_if_shorter),
    TEST_CASE(election, voter_refuses_a_stale_pre_vote_too),
    TEST_CASE(election, node_with_a_stale_log_cannot_win),
    TEST_CASE(election, one_vote_per_term),
    TEST_CASE(election, restarted_voter_keeps_its_vote_of_the_term),
    TEST_CASE(election, two_candidates_of_one_term_elect_at_most_one),
    TEST_CASE(election, candidate_becomes_follower_on_an_append_of_its_term),
    TEST_CASE(election, pre_candidate_becomes_follower_on_a_heartbeat),
    TEST_CASE(election, pre_candidate_rejected_by_a_quorum_becomes_follower),
    TEST_CASE(election, follower_that_heard_the_leader_ignores_vote_requests),
    TEST_CASE(election, leader_with_a_live_quorum_ignores_vote_requests),
    TEST_CASE(election, transfer_vote_request_is_not_ignored),
    TEST_CASE(election, without_check_quorum_a_follower_votes_despite_a_leader),
    TEST_CASE(election, leadership_transfer_elects_the_target),
    TEST_CASE(election,
	      check_quorum_steps_down_after_an_election_timeout_alone),
    TEST_CASE(election, check_quorum_steps_down_a_new_leader_that_hears_nobody),
    TEST_CASE(election, check_quorum_keeps_a_leader_that_hears_a_majority),
    TEST_CASE(election, without_check_quorum_a_leader_stays_alone),
    TEST_CASE(election, election_timeout_is_random_in_et_to_twice_et),
    TEST_CASE(election, same_seed_same_timeouts),
    TEST_CASE(election, learner_never_campaigns),
    TEST_CASE(election, learner_vote_does_not_count),
    TEST_CASE(election, stale_vote_request_is_refused_with_the_newer_term),
    TEST_CASE(election, candidate_learning_a_newer_term_becomes_follower),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(election))
