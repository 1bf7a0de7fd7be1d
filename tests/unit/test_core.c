/* Unit tests of the core's entry points (lib/core/core.c): argument and
 * message validation, proposals, leadership transfer, inspection, and
 * recovery from failed allocations. */
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "test.h"
#include "util/heap.h"

#define ET 10 /* election ticks of cluster_config() */

/* ------------------------------------------------------------------------
 * Creation
 * ------------------------------------------------------------------------ */

struct new_fixture {
	struct raft_core_config cfg;
	struct raft_core_state st;
	struct raft_entry entries[4]; /* CONF of voters 1..3, then NORMAL */
	struct raft_core *core;
	char errmsg[256];
};

SETUP(new)
{
	struct raft_configuration conf;
	unsigned i;
	cluster_config(&f->cfg, 1);
	raft_configuration_init(&conf);
	for (i = 1; i <= 3; i++) {
		ASSERT_OK(raft_configuration_add(&conf, i, "", RAFT_VOTER));
	}
	ASSERT_OK(raft_core_bootstrap_entry(&conf, &f->entries[0]));
	raft_configuration_close(&conf);
	for (i = 1; i < 4; i++) {
		f->entries[i].index = i + 1;
		f->entries[i].term = 2;
		f->entries[i].type = RAFT_ENTRY_NORMAL;
		f->entries[i].data.base = "data";
		f->entries[i].data.len = 4;
	}
	f->st.term = 3;
	f->st.vote = 2;
	f->st.entries = f->entries;
	f->st.n_entries = 4;
	strcpy(f->errmsg, "unset");
}

TEARDOWN(new)
{
	raft_core_free(f->core);
	raft_free(f->entries[0].data.base);
}

/* raft_core_new() must refuse with RAFT_EINVAL and a message naming why,
 * and hand out no core. */
static void assert_new_refused(struct new_fixture *f, const char *why)
{
	ASSERT_RV(raft_core_new(&f->cfg, &f->st, &f->core, f->errmsg,
				sizeof(f->errmsg)),
		  RAFT_EINVAL);
	ASSERT_STR_CONTAINS(f->errmsg, why);
	ASSERT_NULL(f->core);
}

TEST(new, restores_the_recovered_state)
{
	struct raft_core_status st;
	f->st.applied = 2;
	ASSERT_OK(raft_core_new(&f->cfg, &f->st, &f->core, f->errmsg,
				sizeof(f->errmsg)));
	raft_core_status(f->core, &st);
	ASSERT_EQ_U64(st.id, 1);
	ASSERT_EQ_U64(st.role, RAFT_FOLLOWER);
	ASSERT_FALSE(st.learner);
	ASSERT_EQ_U64(st.term, 3);
	ASSERT_EQ_U64(st.vote, 2);
	ASSERT_EQ_U64(st.leader_id, 0);
	ASSERT_EQ_U64(st.commit_index, 2);
	ASSERT_EQ_U64(st.applied_index, 2);
	ASSERT_EQ_U64(st.persisted_index, 4);
	ASSERT_EQ_U64(st.last_index, 4);
	ASSERT_EQ_U64(st.last_term, 2);
	ASSERT_EQ_U64(
	    raft_configuration_n_voters(raft_core_configuration(f->core)), 3);
	ASSERT_EQ_U64(raft_core_term_at(f->core, 1), 1);
	ASSERT_EQ_U64(raft_core_term_at(f->core, 4), 2);
	/* Nothing to hand out: all of it is durable and applied. */
	ASSERT_FALSE(raft_core_has_ready(f->core));
}

TEST(new, copies_the_entries)
{
	const struct raft_entry *e;
	char data[] = "data";
	f->entries[3].data.base = data;
	ASSERT_OK(raft_core_new(&f->cfg, &f->st, &f->core, NULL, 0));
	data[0] = 'X';
	ASSERT_OK(raft_core_entry(f->core, 4, &e));
	ASSERT_EQ_U64(e->index, 4);
	ASSERT_EQ_MEM(e->data.base, "data", 4);
}

TEST(new, starts_empty_without_a_configuration)
{
	struct raft_core_state empty = {0};
	struct raft_core_status st;
	unsigned i;
	ASSERT_OK(raft_core_new(&f->cfg, &empty, &f->core, NULL, 0));
	raft_core_status(f->core, &st);
	ASSERT_EQ_U64(st.term, 0);
	ASSERT_EQ_U64(st.last_index, 0);
	ASSERT_TRUE(st.learner);
	/* Not a voter of any configuration: it never campaigns. */
	for (i = 0; i < 10 * ET; i++) {
		raft_core_tick(f->core);
	}
	ASSERT_FALSE(raft_core_has_ready(f->core));
}

TEST(new, configuration_in_force_is_the_last_conf_entry)
{
	struct raft_configuration conf;
	raft_configuration_init(&conf);
	ASSERT_OK(raft_configuration_add(&conf, 1, "a", RAFT_VOTER));
	ASSERT_OK(raft_configuration_add(&conf, 9, "b", RAFT_LEARNER));
	raft_free(f->entries[0].data.base);
	f->entries[0].data.base = NULL;
	ASSERT_OK(raft_configuration_encode(&conf, &f->entries[2].data));
	f->entries[2].type = RAFT_ENTRY_CONF;
	raft_configuration_close(&conf);
	f->entries[0].type = RAFT_ENTRY_NOOP;
	f->entries[0].data.len = 0;
	ASSERT_OK(raft_core_new(&f->cfg, &f->st, &f->core, NULL, 0));
	ASSERT_EQ_U64(raft_core_configuration(f->core)->n, 2);
	ASSERT_NOT_NULL(
	    raft_configuration_get(raft_core_configuration(f->core), 9));
	raft_free(f->entries[2].data.base);
}

TEST(new, refuses_node_id_zero)
{
	f->cfg.id = 0;
	assert_new_refused(f, "id");
}

TEST(new, refuses_too_few_election_ticks)
{
	f->cfg.election_ticks = 1;
	assert_new_refused(f, "election_ticks");
}

TEST(new, refuses_heartbeat_ticks_outside_one_to_election_ticks)
{
	f->cfg.heartbeat_ticks = 0;
	assert_new_refused(f, "heartbeat_ticks");
	f->cfg.heartbeat_ticks = f->cfg.election_ticks;
	assert_new_refused(f, "heartbeat_ticks");
}

TEST(new, refuses_zero_limits)
{
	f->cfg.max_inflight_msgs = 0;
	assert_new_refused(f, "max_inflight_msgs");
	cluster_config(&f->cfg, 1);
	f->cfg.max_append_entries = 0;
	assert_new_refused(f, "max_append_entries");
	cluster_config(&f->cfg, 1);
	f->cfg.max_append_bytes = 0;
	assert_new_refused(f, "max_append_bytes");
}

TEST(new, refuses_a_log_with_a_gap)
{
	f->entries[2].index = 4;
	assert_new_refused(f, "index 4, expected 3");
}

TEST(new, refuses_a_log_not_starting_at_one)
{
	f->st.entries = &f->entries[1];
	f->st.n_entries = 3;
	assert_new_refused(f, "log starts at entry 2 without a snapshot");
}

TEST(new, refuses_a_gap_in_the_log)
{
	f->entries[2].index = 7;
	assert_new_refused(f, "log entry 2 has index 7, expected 3");
}

TEST(new, refuses_terms_going_back)
{
	f->entries[3].term = 1;
	assert_new_refused(f, "log entry 4 has term 1");
}

TEST(new, refuses_an_entry_term_above_the_current_term)
{
	f->entries[3].term = 4;
	assert_new_refused(f, "current term 3");
}

TEST(new, refuses_an_entry_of_term_zero)
{
	f->entries[0].term = 0;
	assert_new_refused(f, "log entry 1 has term 0");
}

TEST(new, refuses_an_unknown_entry_type)
{
	f->entries[2].type = 9;
	assert_new_refused(f, "log entry 3 is malformed");
}

TEST(new, refuses_an_entry_without_its_data)
{
	f->entries[2].data.base = NULL;
	assert_new_refused(f, "log entry 3 is malformed");
}

TEST(new, refuses_a_vote_in_term_zero)
{
	f->st.term = 0;
	f->st.n_entries = 0;
	assert_new_refused(f, "vote for 2 in term 0");
}

TEST(new, refuses_an_applied_index_beyond_the_log)
{
	f->st.applied = 5;
	assert_new_refused(f, "applied index 5");
}

TEST(new, refuses_a_conf_entry_that_does_not_decode)
{
	uint8_t bad[] = {1, 1, 0, 0, 0, 1};
	f->entries[1].type = RAFT_ENTRY_CONF;
	f->entries[1].data.base = bad;
	f->entries[1].data.len = sizeof(bad);
	assert_new_refused(f, "log entry 2: configuration truncated");
}

TEST(new, refuses_without_an_errmsg_buffer)
{
	f->cfg.id = 0;
	ASSERT_RV(raft_core_new(&f->cfg, &f->st, &f->core, NULL, 0),
		  RAFT_EINVAL);
	ASSERT_NULL(f->core);
}

TEST(new, fails_cleanly_without_memory)
{
	int k, rv = RAFT_ENOMEM;
	for (k = 0; rv != 0; k++) {
		ASSERT_LT_U64(k, 100);
		heap_fault_config(k, 1);
		rv = raft_core_new(&f->cfg, &f->st, &f->core, f->errmsg,
				   sizeof(f->errmsg));
		heap_fault_config(-1, 0);
		if (rv != 0) {
			ASSERT_RV(rv, RAFT_ENOMEM);
			ASSERT_NULL(f->core);
			ASSERT_STR_CONTAINS(f->errmsg, "out of memory");
		}
	}
	ASSERT_GT_U64(k, 5);
	ASSERT_EQ_U64(raft_core_configuration(f->core)->n, 3);
}

TEST(new, bootstrap_entry_needs_a_voter)
{
	struct raft_configuration conf;
	struct raft_entry e;
	raft_configuration_init(&conf);
	ASSERT_RV(raft_core_bootstrap_entry(&conf, &e), RAFT_EINVAL);
	ASSERT_OK(raft_configuration_add(&conf, 1, "", RAFT_LEARNER));
	ASSERT_RV(raft_core_bootstrap_entry(&conf, &e), RAFT_EINVAL);
	raft_configuration_close(&conf);
}

TEST(new, bootstrap_entry_is_a_conf_entry_at_index_one_term_one)
{
	struct raft_configuration decoded;
	raft_configuration_init(&decoded);
	ASSERT_EQ_U64(f->entries[0].index, 1);
	ASSERT_EQ_U64(f->entries[0].term, 1);
	ASSERT_EQ_U64(f->entries[0].type, RAFT_ENTRY_CONF);
	ASSERT_OK(
	    raft_configuration_decode(&f->entries[0].data, &decoded, NULL, 0));
	ASSERT_EQ_U64(raft_configuration_n_voters(&decoded), 3);
	raft_configuration_close(&decoded);
}

TEST(new, config_defaults_are_documented_values)
{
	struct raft_core_config cfg;
	raft_core_config_defaults(&cfg, 7);
	ASSERT_EQ_U64(cfg.id, 7);
	ASSERT_EQ_U64(cfg.election_ticks, 10);
	ASSERT_EQ_U64(cfg.heartbeat_ticks, 1);
	ASSERT_TRUE(cfg.pre_vote);
	ASSERT_TRUE(cfg.check_quorum);
	ASSERT_EQ_U64(cfg.max_inflight_msgs, 256);
	ASSERT_EQ_U64(cfg.max_inflight_bytes, 0);
	ASSERT_EQ_U64(cfg.max_append_entries, 1024);
	ASSERT_EQ_U64(cfg.max_append_bytes, 1024 * 1024);
}

TEST(new, free_of_null_is_a_no_op)
{
	raft_core_free(NULL);
}

TEST(new, names_of_types_and_roles)
{
	ASSERT_EQ_STR(raft_message_type_name(RAFT_MSG_APPEND), "append");
	ASSERT_EQ_STR(raft_message_type_name(RAFT_MSG_TIMEOUT_NOW),
		      "timeout_now");
	ASSERT_EQ_STR(raft_message_type_name(RAFT_MSG_SNAPSHOT), "snapshot");
	ASSERT_EQ_STR(raft_message_type_name(RAFT_MSG_SNAPSHOT_CHUNK),
		      "snapshot_chunk");
	ASSERT_EQ_STR(raft_message_type_name(RAFT_MSG_SNAPSHOT_ACK),
		      "snapshot_ack");
	ASSERT_EQ_STR(raft_message_type_name(0), "unknown");
	ASSERT_EQ_STR(raft_message_type_name(RAFT_MSG_TYPE_MAX + 1), "unknown");
	ASSERT_EQ_STR(raft_role_name(RAFT_PRE_CANDIDATE), "pre_candidate");
	ASSERT_EQ_STR(raft_role_name(RAFT_LEADER), "leader");
	ASSERT_EQ_STR(raft_role_name(0), "unknown");
}

static const struct test_case new_cases[] = {
    TEST_CASE(new, restores_the_recovered_state),
    TEST_CASE(new, copies_the_entries),
    TEST_CASE(new, starts_empty_without_a_configuration),
    TEST_CASE(new, configuration_in_force_is_the_last_conf_entry),
    TEST_CASE(new, refuses_node_id_zero),
    TEST_CASE(new, refuses_too_few_election_ticks),
    TEST_CASE(new, refuses_heartbeat_ticks_outside_one_to_election_ticks),
    TEST_CASE(new, refuses_zero_limits),
    TEST_CASE(new, refuses_a_log_with_a_gap),
    TEST_CASE(new, refuses_a_log_not_starting_at_one),
    TEST_CASE(new, refuses_a_gap_in_the_log),
    TEST_CASE(new, refuses_terms_going_back),
    TEST_CASE(new, refuses_an_entry_term_above_the_current_term),
    TEST_CASE(new, refuses_an_entry_of_term_zero),
    TEST_CASE(new, refuses_an_unknown_entry_type),
    TEST_CASE(new, refuses_an_entry_without_its_data),
    TEST_CASE(new, refuses_a_vote_in_term_zero),
    TEST_CASE(new, refuses_an_applied_index_beyond_the_log),
    TEST_CASE(new, refuses_a_conf_entry_that_does_not_decode),
    TEST_CASE(new, refuses_without_an_errmsg_buffer),
    TEST_CASE(new, fails_cleanly_without_memory),
    TEST_CASE(new, bootstrap_entry_needs_a_voter),
    TEST_CASE(new, bootstrap_entry_is_a_conf_entry_at_index_one_term_one),
    TEST_CASE(new, config_defaults_are_documented_values),
    TEST_CASE(new, free_of_null_is_a_no_op),
    TEST_CASE(new, names_of_types_and_roles),
    TEST_CASES_END,
};

/* ------------------------------------------------------------------------
 * Calls on a running cluster
 * ------------------------------------------------------------------------ */

struct api_fixture {
	struct cluster c;
	struct batch b;
};

/* Three voters and a learner (node 4); node 1 leads. */
SETUP(api)
{
	cluster_bootstrap(&f->c, 3, 1, NULL);
	cluster_elect(&f->c, 1);
}

TEARDOWN(api)
{
	batch_free(&f->b);
	cluster_close(&f->c);
}

/* Steps m into node `to` expecting rv, and checks that nothing changed:
 * same status, nothing to hand out. */
static void assert_step_refused(struct api_fixture *f,
				const struct raft_message *m, raft_id to,
				int rv)
{
	struct raft_core *core = cluster_core(&f->c, to);
	struct raft_core_status before, after;
	raft_core_status(core, &before);
	ASSERT_RV(raft_core_step(core, m), rv);
	raft_core_status(core, &after);
	ASSERT_EQ_MEM(&after, &before, sizeof(before));
	ASSERT_FALSE(raft_core_has_ready(core));
}

/* An append of term 3 from node 2 to node 3 with entries 3 and 4. */
static struct raft_message good_append(struct raft_entry *entries)
{
	struct raft_message m = {0};
	entries[0] = (struct raft_entry){3, 3, RAFT_ENTRY_NORMAL, {"a", 1}};
	entries[1] = (struct raft_entry){3, 4, RAFT_ENTRY_NORMAL, {"b", 1}};
	m.type = RAFT_MSG_APPEND;
	m.from = 2;
	m.to = 3;
	m.term = 3;
	m.append.prev_index = 2;
	m.append.prev_term = 2;
	m.append.entries = entries;
	m.append.n_entries = 2;
	return m;
}

TEST(api, step_accepts_a_good_append)
{
	struct raft_entry entries[2];
	struct raft_message m = good_append(entries);
	ASSERT_OK(raft_core_step(cluster_core(&f->c, 3), &m));
	ASSERT_EQ_U64(cluster_status(&f->c, 3).last_index, 4);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).term, 3);
}

TEST(api, step_refuses_a_message_for_another_node)
{
	struct raft_entry entries[2];
	struct raft_message m = good_append(entries);
	m.to = 2;
	assert_step_refused(f, &m, 3, RAFT_EINVAL);
	m.to = 0;
	assert_step_refused(f, &m, 3, RAFT_EINVAL);
}

TEST(api, step_refuses_a_message_from_itself_or_nobody)
{
	struct raft_entry entries[2];
	struct raft_message m = good_append(entries);
	m.from = 3;
	assert_step_refused(f, &m, 3, RAFT_EINVAL);
	m.from = 0;
	assert_step_refused(f, &m, 3, RAFT_EINVAL);
}

TEST(api, step_refuses_an_unknown_type)
{
	struct raft_message m = {0};
	m.from = 2;
	m.to = 3;
	m.term = 9;
	m.type = 0;
	assert_step_refused(f, &m, 3, RAFT_EINVAL);
	m.type = RAFT_MSG_TYPE_MAX + 1;
	assert_step_refused(f, &m, 3, RAFT_EINVAL);
	m.type = 255;
	assert_step_refused(f, &m, 3, RAFT_EINVAL);
}

/* The snapshot's bytes travel between the runtimes only: the core refuses
 * them like an unknown type, before looking at their (higher) term, from
 * the leader and from a follower alike. */
TEST(api, step_refuses_a_snapshot_chunk)
{
	static char data[] = "RAFTSNAP";
	struct raft_message m = {0};
	m.type = RAFT_MSG_SNAPSHOT_CHUNK;
	m.from = 1;
	m.to = 3;
	m.term = 9;
	m.chunk.index = 2;
	m.chunk.term = 2;
	m.chunk.size = 64;
	m.chunk.data.base = data;
	m.chunk.data.len = 8;
	assert_step_refused(f, &m, 3, RAFT_EINVAL);
	m.from = 2;
	m.to = 1;
	assert_step_refused(f, &m, 1, RAFT_EINVAL);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).term, 2);
}

TEST(api, step_refuses_a_snapshot_ack)
{
	uint8_t status;
	for (status = RAFT_SNAPSHOT_ACK_NEXT;
	     status <= RAFT_SNAPSHOT_ACK_REJECTED; status++) {
		struct raft_message m = {0};
		m.type = RAFT_MSG_SNAPSHOT_ACK;
		m.from = 3;
		m.to = 1;
		m.term = 9;
		m.ack.index = 2;
		m.ack.term = 2;
		m.ack.offset = 64;
		m.ack.status = status;
		assert_step_refused(f, &m, 1, RAFT_EINVAL);
		m.from = 1;
		m.to = 2;
		assert_step_refused(f, &m, 2, RAFT_EINVAL);
	}
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).term, 2);
}

/* A malformed append is refused before its (higher) term is adopted. */
TEST(api, step_refuses_a_prev_term_above_the_message_term)
{
	struct raft_entry entries[2];
	struct raft_message m = good_append(entries);
	m.append.prev_term = 4;
	assert_step_refused(f, &m, 3, RAFT_EPROTO);
}

TEST(api, step_refuses_entries_missing)
{
	struct raft_entry entries[2];
	struct raft_message m = good_append(entries);
	m.append.entries = NULL;
	assert_step_refused(f, &m, 3, RAFT_EPROTO);
}

TEST(api, step_refuses_entries_not_contiguous)
{
	struct raft_entry entries[2];
	struct raft_message m = good_append(entries);
	entries[1].index = 5;
	assert_step_refused(f, &m, 3, RAFT_EPROTO);
	entries[1].index = 4;
	entries[0].index = 2;
	assert_step_refused(f, &m, 3, RAFT_EPROTO);
}

TEST(api, step_refuses_entry_terms_out_of_order)
{
	struct raft_entry entries[2];
	struct raft_message m = good_append(entries);
	/* Below prev_term. */
	entries[0].term = 1;
	entries[1].term = 1;
	assert_step_refused(f, &m, 3, RAFT_EPROTO);
	/* Going back. */
	m = good_append(entries);
	entries[1].term = 2;
	assert_step_refused(f, &m, 3, RAFT_EPROTO);
	/* Above the message's term. */
	m = good_append(entries);
	entries[1].term = 4;
	assert_step_refused(f, &m, 3, RAFT_EPROTO);
	/* Zero. */
	m = good_append(entries);
	m.append.prev_index = 0;
	m.append.prev_term = 0;
	entries[0].index = 1;
	entries[1].index = 2;
	entries[0].term = 0;
	assert_step_refused(f, &m, 3, RAFT_EPROTO);
}

TEST(api, step_refuses_a_malformed_entry)
{
	struct raft_entry entries[2];
	struct raft_message m = good_append(entries);
	entries[1].type = 0;
	assert_step_refused(f, &m, 3, RAFT_EPROTO);
	m = good_append(entries);
	entries[1].data.base = NULL;
	assert_step_refused(f, &m, 3, RAFT_EPROTO);
}

TEST(api, step_refuses_a_conf_entry_that_does_not_decode)
{
	struct raft_entry entries[2];
	struct raft_message m = good_append(entries);
	uint8_t bad[] = {7, 0, 0, 0, 0};
	const struct raft_entry *e;
	entries[1].type = RAFT_ENTRY_CONF;
	entries[1].data.base = bad;
	entries[1].data.len = sizeof(bad);
	ASSERT_RV(raft_core_step(cluster_core(&f->c, 3), &m), RAFT_EPROTO);
	/* Dropped as if lost: the log is untouched. */
	ASSERT_EQ_U64(cluster_status(&f->c, 3).last_index, 2);
	ASSERT_RV(raft_core_entry(cluster_core(&f->c, 3), 3, &e),
		  RAFT_ENOTFOUND);
	ASSERT_EQ_U64(raft_core_configuration(cluster_core(&f->c, 3))->n, 4);
}

TEST(api, propose_on_a_follower_is_refused)
{
	struct raft_buf data = {"x", 1};
	raft_term term;
	raft_index index;
	ASSERT_RV(
	    raft_core_propose(cluster_core(&f->c, 2), &data, 1, &term, &index),
	    RAFT_ENOTLEADER);
	ASSERT_RV(
	    raft_core_propose(cluster_core(&f->c, 4), &data, 1, &term, &index),
	    RAFT_ENOTLEADER);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).last_index, 2);
}

TEST(api, propose_of_nothing_is_refused)
{
	struct raft_buf data = {"x", 1};
	raft_term term;
	raft_index index;
	ASSERT_RV(
	    raft_core_propose(cluster_core(&f->c, 1), &data, 0, &term, &index),
	    RAFT_EINVAL);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).last_index, 2);
}

TEST(api, propose_appends_copies_at_consecutive_indexes)
{
	char a[] = "first", b[] = "";
	struct raft_buf data[2] = {{a, 5}, {b, 0}};
	const struct raft_entry *e;
	raft_term term;
	raft_index index;
	ASSERT_OK(
	    raft_core_propose(cluster_core(&f->c, 1), data, 2, &term, &index));
	ASSERT_EQ_U64(term, 2);
	ASSERT_EQ_U64(index, 3);
	a[0] = 'X';
	ASSERT_OK(raft_core_entry(cluster_core(&f->c, 1), 3, &e));
	ASSERT_EQ_U64(e->type, RAFT_ENTRY_NORMAL);
	ASSERT_EQ_U64(e->term, 2);
	ASSERT_EQ_MEM(e->data.base, "first", 5);
	ASSERT_OK(raft_core_entry(cluster_core(&f->c, 1), 4, &e));
	ASSERT_EQ_U64(e->data.len, 0);
	cluster_stabilize(&f->c);
	ASSERT_APPLIED(&f->c, 3, 3, "first");
	ASSERT_APPLIED(&f->c, 4, 4, "");
}

TEST(api, transfer_on_a_follower_is_refused)
{
	ASSERT_RV(raft_core_transfer_leader(cluster_core(&f->c, 2), 3),
		  RAFT_ENOTLEADER);
}

TEST(api, transfer_to_self_unknown_or_learner_is_refused)
{
	struct raft_core *core = cluster_core(&f->c, 1);
	ASSERT_RV(raft_core_transfer_leader(core, 1), RAFT_EINVAL);
	ASSERT_RV(raft_core_transfer_leader(core, 9), RAFT_EINVAL);
	ASSERT_RV(raft_core_transfer_leader(core, 4), RAFT_EINVAL);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).transfer_to, 0);
}

TEST(api, second_transfer_is_busy_and_proposals_wait)
{
	struct raft_buf data = {"x", 1};
	raft_term term;
	raft_index index;
	struct raft_core *core = cluster_core(&f->c, 1);
	cluster_isolate(&f->c, 2, true);
	ASSERT_OK(raft_core_transfer_leader(core, 2));
	ASSERT_EQ_U64(cluster_status(&f->c, 1).transfer_to, 2);
	ASSERT_RV(raft_core_transfer_leader(core, 3), RAFT_EBUSY);
	ASSERT_RV(raft_core_propose(core, &data, 1, &term, &index), RAFT_EBUSY);
}

TEST(api, transfer_that_does_not_finish_gives_up_after_election_ticks)
{
	struct raft_core *core = cluster_core(&f->c, 1);
	cluster_isolate(&f->c, 2, true);
	ASSERT_OK(raft_core_transfer_leader(core, 2));
	cluster_tick(&f->c, 1, ET - 1);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).transfer_to, 2);
	cluster_tick(&f->c, 1, 1);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).transfer_to, 0);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	cluster_propose(&f->c, 1, "again");
}

TEST(api, transfer_to_anyone_picks_the_most_up_to_date_voter)
{
	cluster_isolate(&f->c, 2, true);
	cluster_propose(&f->c, 1, "x");
	cluster_stabilize(&f->c);
	cluster_isolate(&f->c, 2, false);
	ASSERT_OK(raft_core_transfer_leader(cluster_core(&f->c, 1), 0));
	ASSERT_EQ_U64(cluster_status(&f->c, 1).transfer_to, 3);
	cluster_stabilize(&f->c);
	ASSERT_ROLE(&f->c, 3, RAFT_LEADER);
}

TEST(api, transfer_waits_for_the_target_to_catch_up)
{
	raft_index index;
	unsigned i;
	cluster_isolate(&f->c, 3, true);
	index = cluster_propose(&f->c, 1, "x");
	cluster_stabilize(&f->c);
	cluster_isolate(&f->c, 3, false);
	ASSERT_OK(raft_core_transfer_leader(cluster_core(&f->c, 1), 3));
	/* No TimeoutNow before node 3 holds the whole log. */
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(cluster_count(&f->c, 1, 3, RAFT_MSG_TIMEOUT_NOW), 0);
	for (i = 0; i < ET - 1 && cluster_status(&f->c, 3).role != RAFT_LEADER;
	     i++) {
		cluster_tick(&f->c, 1, 1);
		cluster_stabilize(&f->c);
	}
	ASSERT_ROLE(&f->c, 3, RAFT_LEADER);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 3), index), 2);
}

TEST(api, transfer_without_another_voter_is_not_found)
{
	struct cluster single;
	cluster_bootstrap(&single, 1, 0, NULL);
	cluster_elect(&single, 1);
	ASSERT_RV(raft_core_transfer_leader(cluster_core(&single, 1), 0),
		  RAFT_ENOTFOUND);
	cluster_close(&single);
}

TEST(api, peer_status_needs_a_leader_and_a_member)
{
	struct raft_peer_status st;
	ASSERT_RV(raft_core_peer_status(cluster_core(&f->c, 2), 1, &st),
		  RAFT_ENOTLEADER);
	ASSERT_RV(raft_core_peer_status(cluster_core(&f->c, 1), 9, &st),
		  RAFT_ENOTFOUND);
	ASSERT_OK(raft_core_peer_status(cluster_core(&f->c, 1), 4, &st));
	ASSERT_EQ_U64(st.role, RAFT_LEARNER);
	ASSERT_EQ_U64(st.match_index, 2);
	ASSERT_OK(raft_core_peer_status(cluster_core(&f->c, 1), 1, &st));
	ASSERT_EQ_U64(st.match_index, 2);
	ASSERT_EQ_U64(st.next_index, 3);
}

TEST(api, entry_outside_the_log_is_not_found)
{
	const struct raft_entry *e;
	ASSERT_RV(raft_core_entry(cluster_core(&f->c, 1), 0, &e),
		  RAFT_ENOTFOUND);
	ASSERT_RV(raft_core_entry(cluster_core(&f->c, 1), 3, &e),
		  RAFT_ENOTFOUND);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 1), 0), 0);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 1), 3), 0);
}

TEST(api, persisted_of_an_entry_not_in_the_log_is_a_no_op)
{
	struct raft_core *core = cluster_core(&f->c, 1);
	raft_index index = cluster_propose(&f->c, 1, "x");
	cluster_node(&f->c, 1)->manual_persist = true;
	cluster_flush(&f->c, 1);
	raft_core_persisted(core, index, 9);
	raft_core_persisted(core, index + 1, 2);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).persisted_index, index - 1);
	raft_core_persisted(core, index, 2);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).persisted_index, index);
	/* Going back is ignored too. */
	raft_core_persisted(core, index - 1, 2);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).persisted_index, index);
}

TEST(api, nothing_is_ready_after_a_batch_without_news)
{
	ASSERT_FALSE(raft_core_has_ready(cluster_core(&f->c, 1)));
	ASSERT_FALSE(raft_core_has_ready(cluster_core(&f->c, 2)));
	ASSERT_FALSE(raft_core_has_ready(cluster_core(&f->c, 4)));
}

TEST(api, learner_gets_the_log)
{
	raft_index index = cluster_propose(&f->c, 1, "x");
	cluster_stabilize(&f->c);
	ASSERT_APPLIED(&f->c, 4, index, "x");
	ASSERT_TRUE(cluster_status(&f->c, 4).learner);
}

static const struct test_case api_cases[] = {
    TEST_CASE(api, step_accepts_a_good_append),
    TEST_CASE(api, step_refuses_a_message_for_another_node),
    TEST_CASE(api, step_refuses_a_message_from_itself_or_nobody),
    TEST_CASE(api, step_refuses_an_unknown_type),
    TEST_CASE(api, step_refuses_a_snapshot_chunk),
    TEST_CASE(api, step_refuses_a_snapshot_ack),
    TEST_CASE(api, step_refuses_a_prev_term_above_the_message_term),
    TEST_CASE(api, step_refuses_entries_missing),
    TEST_CASE(api, step_refuses_entries_not_contiguous),
    TEST_CASE(api, step_refuses_entry_terms_out_of_order),
    TEST_CASE(api, step_refuses_a_malformed_entry),
    TEST_CASE(api, step_refuses_a_conf_entry_that_does_not_decode),
    TEST_CASE(api, propose_on_a_follower_is_refused),
    TEST_CASE(api, propose_of_nothing_is_refused),
    TEST_CASE(api, propose_appends_copies_at_consecutive_indexes),
    TEST_CASE(api, transfer_on_a_follower_is_refused),
    TEST_CASE(api, transfer_to_self_unknown_or_learner_is_refused),
    TEST_CASE(api, second_transfer_is_busy_and_proposals_wait),
    TEST_CASE(api, transfer_that_does_not_finish_gives_up_after_election_ticks),
    TEST_CASE(api, transfer_to_anyone_picks_the_most_up_to_date_voter),
    TEST_CASE(api, transfer_waits_for_the_target_to_catch_up),
    TEST_CASE(api, transfer_without_another_voter_is_not_found),
    TEST_CASE(api, peer_status_needs_a_leader_and_a_member),
    TEST_CASE(api, entry_outside_the_log_is_not_found),
    TEST_CASE(api, persisted_of_an_entry_not_in_the_log_is_a_no_op),
    TEST_CASE(api, nothing_is_ready_after_a_batch_without_news),
    TEST_CASE(api, learner_gets_the_log),
    TEST_CASES_END,
};

/* ------------------------------------------------------------------------
 * Failed allocations
 * ------------------------------------------------------------------------ */

/* Allocation k (0: the next one) of the call fails; K covers every
 * allocation the calls below make, with room to spare. */
#define FAULT_K 24

struct fault_fixture {
	struct cluster c;
};

SETUP(fault)
{
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
}

TEARDOWN(fault)
{
	cluster_close(&f->c);
}

/* Runs the cluster with no fault until a proposal made now is applied
 * everywhere: the core works after whatever failed. */
static void assert_cluster_works(struct cluster *c)
{
	raft_index index = cluster_propose(c, 1, "after");
	unsigned id, round;
	/* Lost appends are found by a stalled window (ET / 2 ticks). */
	for (round = 0; round < ET; round++) {
		cluster_tick(c, 1, 1);
		cluster_stabilize(c);
	}
	for (id = 1; id <= c->n; id++) {
		ASSERT_APPLIED(c, id, index, "after");
	}
}

TEST(fault, propose_fails_cleanly_or_succeeds)
{
	struct raft_core *core = cluster_core(&f->c, 1);
	unsigned round;
	int k;
	/* Rounds of proposals cross the log's initial capacity, so that its
	 * growth fails too. */
	for (round = 0; round < 4; round++) {
		for (k = 0; k < FAULT_K; k++) {
			struct raft_buf data[8];
			struct raft_core_status before, after;
			long live = heap_live_count();
			raft_term term;
			raft_index index;
			unsigned i;
			int rv;
			for (i = 0; i < 8; i++) {
				data[i].base = "payload";
				data[i].len = 7;
			}
			raft_core_status(core, &before);
			heap_fault_config(k, 1);
			rv = raft_core_propose(core, data, 8, &term, &index);
			heap_fault_config(-1, 0);
			raft_core_status(core, &after);
			if (rv == 0) {
				ASSERT_EQ_U64(after.last_index,
					      before.last_index + 8);
				continue;
			}
			ASSERT_RV(rv, RAFT_ENOMEM);
			ASSERT_EQ_U64(after.last_index, before.last_index);
			ASSERT_EQ_INT(heap_live_count(), live);
		}
		cluster_stabilize(&f->c);
	}
	ASSERT_GT_U64(cluster_status(&f->c, 1).last_index, 64);
	assert_cluster_works(&f->c);
}

/* An append of term 2 from node 1 to node 3 after the no-op: a NORMAL
 * entry, a CONF entry adding learner 4, another NORMAL entry. */
static struct raft_message conf_append(struct raft_entry *entries,
				       struct raft_buf *conf_buf)
{
	struct raft_configuration conf;
	struct raft_message m = {0};
	unsigned i;
	raft_configuration_init(&conf);
	for (i = 1; i <= 4; i++) {
		ASSERT_OK(raft_configuration_add(
		    &conf, i, "", i <= 3 ? RAFT_VOTER : RAFT_LEARNER));
	}
	ASSERT_OK(raft_configuration_encode(&conf, conf_buf));
	raft_configuration_close(&conf);
	entries[0] = (struct raft_entry){2, 3, RAFT_ENTRY_NORMAL, {"a", 1}};
	entries[1] = (struct raft_entry){2, 4, RAFT_ENTRY_CONF, *conf_buf};
	entries[2] = (struct raft_entry){2, 5, RAFT_ENTRY_NORMAL, {"b", 1}};
	m.type = RAFT_MSG_APPEND;
	m.from = 1;
	m.to = 3;
	m.term = 2;
	m.append.prev_index = 2;
	m.append.prev_term = 2;
	m.append.entries = entries;
	m.append.n_entries = 3;
	return m;
}

/* An append of term 3 from node 2 to node 3 replacing entries 3.. with one
 * entry: the CONF entry goes, the bootstrap configuration is back. */
static struct raft_message truncating_append(struct raft_entry *entry)
{
	struct raft_message m = {0};
	*entry = (struct raft_entry){3, 3, RAFT_ENTRY_NORMAL, {"c", 1}};
	m.type = RAFT_MSG_APPEND;
	m.from = 2;
	m.to = 3;
	m.term = 3;
	m.append.prev_index = 2;
	m.append.prev_term = 2;
	m.append.entries = entry;
	m.append.n_entries = 1;
	return m;
}

/* Steps m into node 3 with allocation k failing; the step either fails
 * with RAFT_ENOMEM leaving the log and configuration as they were, or
 * succeeds. Returns whether it succeeded. */
static bool step_with_fault(struct cluster *c, const struct raft_message *m,
			    int k)
{
	struct raft_core *core = cluster_core(c, 3);
	struct raft_core_status before, after;
	unsigned n_members = raft_core_configuration(core)->n;
	int rv;
	raft_core_status(core, &before);
	heap_fault_config(k, 1);
	rv = raft_core_step(core, m);
	heap_fault_config(-1, 0);
	raft_core_status(core, &after);
	if (rv == 0) {
		return true;
	}
	ASSERT_RV(rv, RAFT_ENOMEM);
	/* Dropped as if lost: the log is unchanged. */
	ASSERT_EQ_U64(after.last_index, before.last_index);
	ASSERT_EQ_U64(after.last_term, before.last_term);
	ASSERT_EQ_U64(after.persisted_index, before.persisted_index);
	ASSERT_EQ_U64(raft_core_configuration(core)->n, n_members);
	return false;
}

TEST(fault, step_append_fails_cleanly_or_succeeds)
{
	struct raft_entry entries[3], entry;
	struct raft_buf conf_buf;
	struct raft_message append = conf_append(entries, &conf_buf);
	struct raft_message truncating = truncating_append(&entry);
	unsigned n_failed = 0;
	int k;
	/* A fresh cluster for each k: the first append is stored, then
	 * replaced by the second. */
	for (k = 0; k < FAULT_K; k++) {
		struct cluster c;
		cluster_bootstrap(&c, 3, 0, NULL);
		cluster_elect(&c, 1);
		if (!step_with_fault(&c, &append, k)) {
			n_failed++;
			cluster_step(&c, &append);
		}
		ASSERT_EQ_U64(cluster_status(&c, 3).last_index, 5);
		ASSERT_EQ_U64(raft_core_configuration(cluster_core(&c, 3))->n,
			      4);
		cluster_flush(&c, 3);
		if (!step_with_fault(&c, &truncating, k)) {
			n_failed++;
			cluster_step(&c, &truncating);
		}
		ASSERT_EQ_U64(cluster_status(&c, 3).last_index, 3);
		ASSERT_EQ_U64(raft_core_term_at(cluster_core(&c, 3), 3), 3);
		ASSERT_EQ_U64(raft_core_configuration(cluster_core(&c, 3))->n,
			      3);
		cluster_flush(&c, 3);
		cluster_close(&c);
	}
	raft_free(conf_buf.base);
	ASSERT_GT_U64(n_failed, 4);
}

TEST(fault, read_index_fails_cleanly_or_succeeds)
{
	struct raft_core *core = cluster_core(&f->c, 1);
	bool ok[FAULT_K];
	struct cluster_node *n = cluster_node(&f->c, 1);
	size_t i, n_ok = 0;
	int k;
	for (k = 0; k < FAULT_K; k++) {
		long live = heap_live_count();
		int rv;
		heap_fault_config(k, 1);
		rv = raft_core_read_index(core, (uint64_t)k + 1);
		heap_fault_config(-1, 0);
		ok[k] = rv == 0;
		n_ok += ok[k];
		if (rv != 0) {
			ASSERT_RV(rv, RAFT_ENOMEM);
			/* At most the answers' array was set up for later. */
			ASSERT_LE_U64(heap_live_count(), live + 1);
		}
		if (k % 5 == 4) {
			cluster_stabilize(&f->c);
		}
	}
	/* Heartbeats lost to a failed allocation are made up by later
	 * rounds. */
	cluster_tick(&f->c, 1, 1);
	cluster_stabilize(&f->c);
	ASSERT_LT_U64(n_ok, FAULT_K);
	ASSERT_EQ_U64(n->n_reads, n_ok);
	for (i = 0; i < n->n_reads; i++) {
		ASSERT_TRUE(ok[n->reads[i].ctx - 1]);
		ASSERT_EQ_INT(n->reads[i].status, 0);
	}
	assert_cluster_works(&f->c);
}

/* Any one allocation of a cluster round may fail, on any node: messages
 * are lost, calls fail, but nothing breaks for good. */
TEST(fault, cluster_recovers_from_any_failed_allocation)
{
	int k;
	f->c.tolerate_enomem = true;
	for (k = 0; k < 60; k++) {
		char data[16];
		snprintf(data, sizeof(data), "k%d", k);
		cluster_propose(&f->c, 1, data);
		ASSERT_OK(raft_core_read_index(cluster_core(&f->c, 1),
					       (uint64_t)k + 1));
		heap_fault_config(k, 1);
		cluster_tick(&f->c, 1, 1);
		cluster_stabilize(&f->c);
		heap_fault_config(-1, 0);
		ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	}
	assert_cluster_works(&f->c);
	ASSERT_EQ_U64(cluster_node(&f->c, 1)->n_reads, 60);
}

static const struct test_case fault_cases[] = {
    TEST_CASE(fault, propose_fails_cleanly_or_succeeds),
    TEST_CASE(fault, step_append_fails_cleanly_or_succeeds),
    TEST_CASE(fault, read_index_fails_cleanly_or_succeeds),
    TEST_CASE(fault, cluster_recovers_from_any_failed_allocation),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(new), TEST_SUITE(api), TEST_SUITE(fault))
