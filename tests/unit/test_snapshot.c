/* Unit tests of snapshots in the core: raft_core_snapshot_taken() and log
 * compaction with a trailing margin, the leader's InstallSnapshot metadata
 * (RAFT_MSG_SNAPSHOT) and raft_core_report_snapshot(), a follower
 * installing a snapshot, raft_core_new() from a snapshot, and the
 * metadata of a snapshot to take (raft_core_snapshot_meta_at()). */
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "test.h"
#include "util/heap.h"

#define ET 10 /* election ticks of cluster_config() */

/* Allocation k (0: the next one) of a call fails; K covers every
 * allocation the calls below make, with room to spare. */
#define FAULT_K 40

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

/* Voters 1..3 (and learners after them) with addresses "<prefix><id>". */
static void make_conf(struct raft_configuration *conf, const char *prefix,
		      unsigned n_voters, unsigned n_learners)
{
	unsigned i;
	raft_configuration_init(conf);
	for (i = 1; i <= n_voters + n_learners; i++) {
		char address[32];
		snprintf(address, sizeof(address), "%s%u", prefix, i);
		ASSERT_OK(raft_configuration_add(conf, i, address,
						 i <= n_voters ? RAFT_VOTER
							       : RAFT_LEARNER));
	}
}

/* The address of member id in conf ("" if absent). */
static const char *address_of(const struct raft_configuration *conf, raft_id id)
{
	const struct raft_server *s = raft_configuration_get(conf, id);
	return s != NULL ? s->address : "";
}

/* A RAFT_MSG_SNAPSHOT; conf is borrowed (not copied). */
static struct raft_message snapshot_msg(raft_id from, raft_id to,
					raft_term term, raft_index index,
					raft_term snap_term,
					const struct raft_configuration *conf)
{
	struct raft_message m = {0};
	m.type = RAFT_MSG_SNAPSHOT;
	m.from = from;
	m.to = to;
	m.term = term;
	m.snapshot.meta.index = index;
	m.snapshot.meta.term = snap_term;
	m.snapshot.meta.conf = *conf;
	return m;
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

/* A log built by hand for raft_core_new(): entries[i] has index first + i.
 * NORMAL entries carry "e<index>"; CONF entries an encoded configuration
 * (raft_malloc'd, freed by tlog_close). */
#define LOG_MAX 32

struct test_log {
	struct raft_entry entries[LOG_MAX];
	char data[LOG_MAX][16];
	bool conf[LOG_MAX];
	size_t n;
};

static void tlog_add(struct test_log *l, raft_index index, raft_term term)
{
	struct raft_entry *e = &l->entries[l->n];
	ASSERT_LT_U64(l->n, LOG_MAX);
	snprintf(l->data[l->n], sizeof(l->data[l->n]), "e%llu",
		 (unsigned long long)index);
	e->index = index;
	e->term = term;
	e->type = RAFT_ENTRY_NORMAL;
	e->data.base = l->data[l->n];
	e->data.len = strlen(l->data[l->n]);
	l->conf[l->n] = false;
	l->n++;
}

static void tlog_add_conf(struct test_log *l, raft_index index, raft_term term,
			  const struct raft_configuration *conf)
{
	struct raft_entry *e = &l->entries[l->n];
	ASSERT_LT_U64(l->n, LOG_MAX);
	ASSERT_OK(raft_configuration_encode(conf, &e->data));
	e->index = index;
	e->term = term;
	e->type = RAFT_ENTRY_CONF;
	l->conf[l->n] = true;
	l->n++;
}

/* Entries first..last, all of one term. */
static void tlog_add_range(struct test_log *l, raft_index first,
			   raft_index last, raft_term term)
{
	raft_index i;
	for (i = first; i <= last; i++) {
		tlog_add(l, i, term);
	}
}

static void tlog_close(struct test_log *l)
{
	size_t i;
	for (i = 0; i < l->n; i++) {
		if (l->conf[i]) {
			raft_free(l->entries[i].data.base);
		}
	}
	l->n = 0;
}

/* ------------------------------------------------------------------------
 * Taking a snapshot: raft_core_snapshot_taken() and compaction
 * ------------------------------------------------------------------------ */

struct taken_fixture {
	struct cluster c;
};

/* Three voters, node 1 leads, entries up to 12 committed and applied
 * everywhere (bootstrap, no-op of term 2, then ten proposals). */
SETUP(taken)
{
	unsigned i;
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	for (i = 0; i < 10; i++) {
		char data[16];
		snprintf(data, sizeof(data), "p%u", i);
		cluster_propose(&f->c, 1, data);
	}
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).applied_index, 12);
}

TEARDOWN(taken)
{
	cluster_close(&f->c);
}

/* Calls snapshot_taken expecting rv, and checks that nothing changed. */
static void assert_taken_refused(struct taken_fixture *f, raft_id id,
				 raft_index index, raft_index trailing, int rv)
{
	struct raft_core *core = cluster_core(&f->c, id);
	struct raft_core_status before, after;
	raft_core_status(core, &before);
	ASSERT_RV(raft_core_snapshot_taken(core, index, trailing), rv);
	raft_core_status(core, &after);
	ASSERT_EQ_MEM(&after, &before, sizeof(before));
	ASSERT_FALSE(raft_core_has_ready(core));
}

TEST(taken, snapshot_taken_refuses_an_index_above_applied)
{
	assert_taken_refused(f, 1, 13, 0, RAFT_EINVAL);
	assert_taken_refused(f, 2, 13, 0, RAFT_EINVAL);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).snapshot_index, 0);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).first_index, 1);
}

TEST(taken, snapshot_taken_refuses_an_index_not_above_the_last_snapshot)
{
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 1), 8, 0));
	assert_taken_refused(f, 1, 8, 0, RAFT_EINVAL);
	assert_taken_refused(f, 1, 5, 0, RAFT_EINVAL);
	assert_taken_refused(f, 1, 0, 0, RAFT_EINVAL);
	/* Above it is fine. */
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 1), 9, 0));
	ASSERT_EQ_U64(cluster_status(&f->c, 1).snapshot_index, 9);
}

TEST(taken, snapshot_taken_refuses_index_zero_without_a_snapshot)
{
	assert_taken_refused(f, 2, 0, 0, RAFT_EINVAL);
}

TEST(taken, compaction_keeps_the_trailing_margin_and_the_offset_term)
{
	struct raft_core *core = cluster_core(&f->c, 1);
	struct raft_core_status st;
	const struct raft_entry *e;
	ASSERT_OK(raft_core_snapshot_taken(core, 10, 3));
	st = cluster_status(&f->c, 1);
	ASSERT_EQ_U64(st.snapshot_index, 10);
	/* Entries up to 10 - 3 are gone; the log starts right after. */
	ASSERT_EQ_U64(st.first_index, 8);
	ASSERT_EQ_U64(st.last_index, 12);
	ASSERT_EQ_U64(st.commit_index, 12);
	ASSERT_EQ_U64(st.applied_index, 12);
	ASSERT_RV(raft_core_entry(core, 7, &e), RAFT_ENOTFOUND);
	ASSERT_OK(raft_core_entry(core, 8, &e));
	ASSERT_EQ_U64(e->index, 8);
	/* The term of the entry at the offset is remembered (appends from
	 * there need it as prev_term), the ones before it are not. */
	ASSERT_EQ_U64(raft_core_term_at(core, 7), 2);
	ASSERT_EQ_U64(raft_core_term_at(core, 6), 0);
	ASSERT_EQ_U64(raft_core_term_at(core, 10), 2);
	/* Nothing to hand out: compaction is the caller's own doing. */
	ASSERT_FALSE(raft_core_has_ready(core));
}

TEST(taken, compaction_with_no_margin_drops_everything_up_to_the_index)
{
	struct raft_core *core = cluster_core(&f->c, 2);
	ASSERT_OK(raft_core_snapshot_taken(core, 12, 0));
	ASSERT_EQ_U64(cluster_status(&f->c, 2).first_index, 13);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).last_index, 12);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).last_term, 2);
	ASSERT_EQ_U64(raft_core_term_at(core, 12), 2);
	ASSERT_EQ_U64(raft_core_term_at(core, 11), 0);
}

TEST(taken, margin_longer_than_the_log_compacts_nothing)
{
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 1), 10, 50));
	ASSERT_EQ_U64(cluster_status(&f->c, 1).snapshot_index, 10);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).first_index, 1);
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 1), 11, 10));
	ASSERT_EQ_U64(cluster_status(&f->c, 1).first_index, 2);
}

TEST(taken, compaction_never_moves_the_log_start_back)
{
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 1), 8, 0));
	ASSERT_EQ_U64(cluster_status(&f->c, 1).first_index, 9);
	/* 12 - 10 = 2 is already gone. */
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 1), 12, 10));
	ASSERT_EQ_U64(cluster_status(&f->c, 1).first_index, 9);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).snapshot_index, 12);
}

TEST(taken, cluster_goes_on_after_everyone_compacted)
{
	raft_index last;
	unsigned i;
	for (i = 1; i <= 3; i++) {
		ASSERT_OK(
		    raft_core_snapshot_taken(cluster_core(&f->c, i), 12, 0));
	}
	last = cluster_propose(&f->c, 1, "after");
	cluster_stabilize(&f->c);
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ_U64(cluster_status(&f->c, i).commit_index, last);
		ASSERT_APPLIED(&f->c, i, last, "after");
	}
	/* A new leader elected over compacted logs. */
	ASSERT_OK(raft_core_transfer_leader(cluster_core(&f->c, 1), 2));
	cluster_stabilize(&f->c);
	ASSERT_ROLE(&f->c, 2, RAFT_LEADER);
	last = cluster_propose(&f->c, 2, "later");
	cluster_stabilize(&f->c);
	ASSERT_APPLIED(&f->c, 3, last, "later");
}

TEST(taken, snapshot_taken_fails_cleanly_without_memory)
{
	struct raft_core *core = cluster_core(&f->c, 1);
	int k, rv = RAFT_ENOMEM;
	for (k = 0; rv != 0; k++) {
		struct raft_core_status before, after;
		ASSERT_LT_U64(k, FAULT_K);
		raft_core_status(core, &before);
		heap_fault_config(k, 1);
		rv = raft_core_snapshot_taken(core, 10, 2);
		heap_fault_config(-1, 0);
		if (rv != 0) {
			ASSERT_RV(rv, RAFT_ENOMEM);
			raft_core_status(core, &after);
			ASSERT_EQ_MEM(&after, &before, sizeof(before));
		}
	}
	/* The configuration is copied: at least one allocation failed. */
	ASSERT_GT_U64(k, 1);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).snapshot_index, 10);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).first_index, 9);
}

static const struct test_case taken_cases[] = {
    TEST_CASE(taken, snapshot_taken_refuses_an_index_above_applied),
    TEST_CASE(taken,
	      snapshot_taken_refuses_an_index_not_above_the_last_snapshot),
    TEST_CASE(taken, snapshot_taken_refuses_index_zero_without_a_snapshot),
    TEST_CASE(taken, compaction_keeps_the_trailing_margin_and_the_offset_term),
    TEST_CASE(taken,
	      compaction_with_no_margin_drops_everything_up_to_the_index),
    TEST_CASE(taken, margin_longer_than_the_log_compacts_nothing),
    TEST_CASE(taken, compaction_never_moves_the_log_start_back),
    TEST_CASE(taken, cluster_goes_on_after_everyone_compacted),
    TEST_CASE(taken, snapshot_taken_fails_cleanly_without_memory),
    TEST_CASES_END,
};

/* ------------------------------------------------------------------------
 * The metadata of a snapshot to take: raft_core_snapshot_meta_at()
 * ------------------------------------------------------------------------ */

struct meta_at_fixture {
	struct raft_core_config cfg;
	struct raft_configuration conf_a, conf_b;
	struct raft_snapshot_meta snap;
	struct test_log log;
	struct raft_core_state st;
	struct raft_core *core;
	struct raft_snapshot_meta meta;
};

/* A log of CONF A at 1, NORMAL 2..4 (term 1), CONF B at 5, NORMAL 6..12
 * (term 2), all applied; A and B are voters 1..3 at "a<id>" and "b<id>". */
SETUP(meta_at)
{
	cluster_config(&f->cfg, 1);
	make_conf(&f->conf_a, "a", 3, 0);
	make_conf(&f->conf_b, "b", 3, 0);
	tlog_add_conf(&f->log, 1, 1, &f->conf_a);
	tlog_add_range(&f->log, 2, 4, 1);
	tlog_add_conf(&f->log, 5, 2, &f->conf_b);
	tlog_add_range(&f->log, 6, 12, 2);
	f->st.term = 2;
	f->st.applied = 12;
	raft_configuration_init(&f->meta.conf);
}

TEARDOWN(meta_at)
{
	raft_configuration_close(&f->meta.conf);
	raft_core_free(f->core);
	tlog_close(&f->log);
	raft_configuration_close(&f->conf_a);
	raft_configuration_close(&f->conf_b);
}

static void meta_at_new(struct meta_at_fixture *f)
{
	char errmsg[256];
	f->st.entries = f->log.entries;
	f->st.n_entries = f->log.n;
	if (raft_core_new(&f->cfg, &f->st, &f->core, errmsg, sizeof(errmsg)) !=
	    0) {
		test_fail(__FILE__, __LINE__, "raft_core_new: %s", errmsg);
	}
}

/* Asserts that the metadata at index is (index, term) and the
 * configuration whose addresses start with prefix; the core is left as it
 * was. */
static void assert_meta_at(struct meta_at_fixture *f, raft_index index,
			   raft_term term, const char *prefix)
{
	struct raft_core_status before, after;
	char address[16];
	unsigned id;
	raft_configuration_close(&f->meta.conf);
	raft_configuration_init(&f->meta.conf);
	raft_core_status(f->core, &before);
	if (raft_core_snapshot_meta_at(f->core, index, &f->meta) != 0) {
		test_fail(__FILE__, __LINE__, "meta at %llu: not found",
			  (unsigned long long)index);
	}
	ASSERT_EQ_U64(f->meta.index, index);
	ASSERT_EQ_U64(f->meta.term, term);
	if (f->meta.conf.n != 3) {
		test_fail(__FILE__, __LINE__,
			  "meta at %llu: %u members, expected 3",
			  (unsigned long long)index, f->meta.conf.n);
	}
	for (id = 1; id <= 3; id++) {
		snprintf(address, sizeof(address), "%s%u", prefix, id);
		ASSERT_EQ_STR(address_of(&f->meta.conf, id), address);
		ASSERT_EQ_U64(raft_configuration_get(&f->meta.conf, id)->role,
			      RAFT_VOTER);
	}
	raft_core_status(f->core, &after);
	ASSERT_EQ_MEM(&after, &before, sizeof(before));
	ASSERT_FALSE(raft_core_has_ready(f->core));
}

/* Asserts RAFT_ENOTFOUND at index, with meta left empty. */
static void assert_meta_not_found(struct meta_at_fixture *f, raft_index index)
{
	raft_configuration_close(&f->meta.conf);
	memset(&f->meta, 0, sizeof(f->meta));
	raft_configuration_init(&f->meta.conf);
	ASSERT_RV(raft_core_snapshot_meta_at(f->core, index, &f->meta),
		  RAFT_ENOTFOUND);
	ASSERT_EQ_U64(f->meta.index, 0);
	ASSERT_EQ_U64(f->meta.term, 0);
	ASSERT_EQ_U64(f->meta.conf.n, 0);
}

TEST(meta_at, gives_the_term_and_configuration_at_each_index)
{
	raft_index i;
	meta_at_new(f);
	/* B is in force now; A was up to 4. */
	ASSERT_EQ_STR(address_of(raft_core_configuration(f->core), 2), "b2");
	for (i = 1; i <= 4; i++) {
		assert_meta_at(f, i, 1, "a");
	}
	for (i = 5; i <= 12; i++) {
		assert_meta_at(f, i, 2, "b");
	}
	ASSERT_EQ_STR(address_of(raft_core_configuration(f->core), 2), "b2");
}

TEST(meta_at, index_beyond_the_last_or_zero_is_not_found)
{
	meta_at_new(f);
	assert_meta_not_found(f, 13);
	assert_meta_not_found(f, 1000);
	assert_meta_not_found(f, 0);
}

TEST(meta_at, compacted_index_is_not_found)
{
	raft_index i;
	meta_at_new(f);
	ASSERT_OK(raft_core_snapshot_taken(f->core, 8, 0));
	/* 8 is the snapshot's own index: its term is known, its entry is
	 * gone. */
	for (i = 1; i <= 8; i++) {
		assert_meta_not_found(f, i);
	}
	/* CONF B was compacted: its configuration comes from the snapshot. */
	assert_meta_at(f, 9, 2, "b");
	assert_meta_at(f, 12, 2, "b");
	assert_meta_not_found(f, 13);
}

TEST(meta_at, after_a_restart_from_a_snapshot)
{
	tlog_close(&f->log);
	f->snap.index = 10;
	f->snap.term = 2;
	f->snap.conf = f->conf_a;
	tlog_add(&f->log, 11, 3);
	tlog_add_conf(&f->log, 12, 3, &f->conf_b);
	tlog_add(&f->log, 13, 3);
	f->st.term = 3;
	f->st.applied = 10;
	f->st.snapshot = &f->snap;
	meta_at_new(f);
	assert_meta_not_found(f, 9);
	assert_meta_not_found(f, 10);
	assert_meta_at(f, 11, 3, "a");
	assert_meta_at(f, 12, 3, "b");
	assert_meta_at(f, 13, 3, "b");
	assert_meta_not_found(f, 14);
}

/* A snapshot at 10 keeping 4 entries of margin: the log holds 7..12 and
 * no CONF entry (B, at 5, was compacted). The configuration in force at
 * 7..12 is B, which the snapshot recorded. */
TEST(meta_at, index_in_the_margin_before_the_snapshot_has_its_configuration)
{
	raft_index i;
	meta_at_new(f);
	ASSERT_OK(raft_core_snapshot_taken(f->core, 10, 4));
	ASSERT_EQ_U64(raft_core_term_at(f->core, 6), 2);
	assert_meta_not_found(f, 6);
	for (i = 7; i <= 12; i++) {
		assert_meta_at(f, i, 2, "b");
	}
}

/* CONF A at 1, NORMAL 2..7, CONF B at 8, NORMAL 9..12; a snapshot at 10
 * keeping 4 entries: the log holds 7..12. At 7, A was in force, but its
 * entry is gone and the snapshot recorded B: the configuration there was
 * compacted away. */
TEST(meta_at, index_whose_configuration_was_compacted_is_not_found)
{
	tlog_close(&f->log);
	tlog_add_conf(&f->log, 1, 1, &f->conf_a);
	tlog_add_range(&f->log, 2, 7, 1);
	tlog_add_conf(&f->log, 8, 2, &f->conf_b);
	tlog_add_range(&f->log, 9, 12, 2);
	meta_at_new(f);
	ASSERT_OK(raft_core_snapshot_taken(f->core, 10, 4));
	ASSERT_EQ_U64(raft_core_term_at(f->core, 7), 1);
	assert_meta_not_found(f, 7);
	assert_meta_at(f, 8, 2, "b");
	assert_meta_at(f, 12, 2, "b");
}

TEST(meta_at, fails_cleanly_without_memory)
{
	int k, rv = RAFT_ENOMEM;
	meta_at_new(f);
	for (k = 0; rv != 0; k++) {
		long live = heap_live_count();
		ASSERT_LT_U64(k, FAULT_K);
		heap_fault_config(k, 1);
		rv = raft_core_snapshot_meta_at(f->core, 7, &f->meta);
		heap_fault_config(-1, 0);
		if (rv != 0) {
			ASSERT_RV(rv, RAFT_ENOMEM);
			ASSERT_EQ_U64(f->meta.conf.n, 0);
			ASSERT_EQ_INT(heap_live_count(), live);
		}
	}
	/* The configuration is copied: at least one allocation failed. */
	ASSERT_GT_U64(k, 1);
	ASSERT_EQ_U64(f->meta.index, 7);
	ASSERT_EQ_U64(f->meta.term, 2);
	ASSERT_EQ_STR(address_of(&f->meta.conf, 3), "b3");
}

static const struct test_case meta_at_cases[] = {
    TEST_CASE(meta_at, gives_the_term_and_configuration_at_each_index),
    TEST_CASE(meta_at, index_beyond_the_last_or_zero_is_not_found),
    TEST_CASE(meta_at, compacted_index_is_not_found),
    TEST_CASE(meta_at, after_a_restart_from_a_snapshot),
    TEST_CASE(meta_at,
	      index_in_the_margin_before_the_snapshot_has_its_configuration),
    TEST_CASE(meta_at, index_whose_configuration_was_compacted_is_not_found),
    TEST_CASE(meta_at, fails_cleanly_without_memory),
    TEST_CASES_END,
};

/* ------------------------------------------------------------------------
 * The leader's side: RAFT_MSG_SNAPSHOT and raft_core_report_snapshot()
 * ------------------------------------------------------------------------ */

struct send_fixture {
	struct cluster c;
	struct batch b;
	struct raft_configuration conf_a, conf_b;
	struct test_log logs[3];
};

SETUP(send)
{
	cluster_init(&f->c);
	make_conf(&f->conf_a, "a", 3, 0);
	/* The same members, node 3 at a new address. */
	make_conf(&f->conf_b, "a", 2, 0);
	ASSERT_OK(raft_configuration_add(&f->conf_b, 3, "moved", RAFT_VOTER));
}

TEARDOWN(send)
{
	unsigned i;
	batch_free(&f->b);
	cluster_close(&f->c);
	for (i = 0; i < 3; i++) {
		tlog_close(&f->logs[i]);
	}
	raft_configuration_close(&f->conf_a);
	raft_configuration_close(&f->conf_b);
}

static void send_take(struct send_fixture *f, raft_id id)
{
	batch_free(&f->b);
	cluster_handle_ready(&f->c, id, &f->b);
}

static struct raft_peer_status send_peer(struct send_fixture *f, raft_id id)
{
	struct raft_peer_status st;
	ASSERT_OK(raft_core_peer_status(cluster_core(&f->c, 1), id, &st));
	return st;
}

/* How many appends to `to` the last batch taken holds. */
static size_t appends_in_batch(const struct batch *b, raft_id to)
{
	size_t i, n = 0;
	for (i = 0; i < b->n_messages; i++) {
		n += b->messages[i].type == RAFT_MSG_APPEND &&
		     b->messages[i].to == to;
	}
	return n;
}

/* Runs the leader (node 1) and its followers round by round until a
 * RAFT_MSG_SNAPSHOT from node 1 to `to` waits on the network; it is left
 * there. */
static const struct raft_message *await_snapshot_msg(struct cluster *c,
						     raft_id to)
{
	unsigned round, i;
	for (round = 0; round < 5 * ET; round++) {
		if (cluster_count(c, 1, to, RAFT_MSG_SNAPSHOT) > 0) {
			return cluster_find(c, 1, to, RAFT_MSG_SNAPSHOT);
		}
		cluster_tick(c, 1, 1);
		if (cluster_count(c, 1, to, RAFT_MSG_SNAPSHOT) > 0) {
			return cluster_find(c, 1, to, RAFT_MSG_SNAPSHOT);
		}
		cluster_deliver(c);
		for (i = 2; i <= c->n; i++) {
			cluster_flush(c, i);
		}
		cluster_deliver(c);
		cluster_flush(c, 1);
	}
	test_fail(__FILE__, __LINE__, "no snapshot to node %llu",
		  (unsigned long long)to);
}

/* Node 3 misses entries 3..7 while 1 and 2 commit them; node 1 compacts
 * its log up to 7 (no margin) and node 3 comes back. */
static void lag_and_compact(struct send_fixture *f)
{
	unsigned i;
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	cluster_isolate(&f->c, 3, true);
	for (i = 0; i < 5; i++) {
		cluster_propose(&f->c, 1, "x");
	}
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).applied_index, 7);
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 1), 7, 0));
	cluster_isolate(&f->c, 3, false);
}

TEST(send, follower_whose_next_is_compacted_gets_the_snapshot_meta)
{
	const struct raft_message *m;
	lag_and_compact(f);
	m = await_snapshot_msg(&f->c, 3);
	ASSERT_EQ_U64(m->term, 2);
	ASSERT_EQ_U64(m->snapshot.meta.index, 7);
	ASSERT_EQ_U64(m->snapshot.meta.term, 2);
	ASSERT_EQ_U64(m->snapshot.meta.conf.n, 3);
	ASSERT_EQ_U64(raft_configuration_n_voters(&m->snapshot.meta.conf), 3);
	ASSERT_EQ_STR(address_of(&m->snapshot.meta.conf, 3), "10.0.0.3:9000");
	ASSERT_EQ_U64(send_peer(f, 3).state, RAFT_PROGRESS_SNAPSHOT);
	ASSERT_EQ_U64(send_peer(f, 3).pending_snapshot, 7);
	/* It was sent once, not per batch. */
	ASSERT_EQ_U64(cluster_count(&f->c, 1, 3, RAFT_MSG_SNAPSHOT), 1);
}

TEST(send, no_appends_go_to_a_follower_receiving_a_snapshot)
{
	lag_and_compact(f);
	await_snapshot_msg(&f->c, 3);
	cluster_drop_if(&f->c, 0, 0, 0);
	cluster_propose(&f->c, 1, "y");
	send_take(f, 1);
	ASSERT_EQ_U64(appends_in_batch(&f->b, 2), 1);
	ASSERT_EQ_U64(appends_in_batch(&f->b, 3), 0);
	ASSERT_NULL(batch_find(&f->b, false, RAFT_MSG_SNAPSHOT, 3));
	/* Heartbeats still go (they keep its election timer quiet). */
	cluster_tick(&f->c, 1, 1);
	ASSERT_EQ_U64(cluster_count(&f->c, 1, 3, RAFT_MSG_HEARTBEAT), 1);
	ASSERT_EQ_U64(cluster_count(&f->c, 1, 3, RAFT_MSG_APPEND), 0);
	ASSERT_EQ_U64(send_peer(f, 3).state, RAFT_PROGRESS_SNAPSHOT);
}

TEST(send, report_ok_probes_right_after_the_snapshot_index)
{
	const struct raft_message *m;
	lag_and_compact(f);
	await_snapshot_msg(&f->c, 3);
	cluster_drop_if(&f->c, 0, 0, 0);
	raft_core_report_snapshot(cluster_core(&f->c, 1), 3, true);
	ASSERT_EQ_U64(send_peer(f, 3).state, RAFT_PROGRESS_PROBE);
	ASSERT_EQ_U64(send_peer(f, 3).next_index, 8);
	ASSERT_EQ_U64(send_peer(f, 3).pending_snapshot, 0);
	send_take(f, 1);
	m = BATCH_GET(&f->b, false, RAFT_MSG_APPEND, 3);
	ASSERT_EQ_U64(m->append.prev_index, 7);
	ASSERT_EQ_U64(m->append.prev_term, 2);
	ASSERT_NULL(batch_find(&f->b, false, RAFT_MSG_SNAPSHOT, 3));
}

TEST(send, report_ok_of_a_snapshot_that_never_arrived_sends_it_again)
{
	lag_and_compact(f);
	await_snapshot_msg(&f->c, 3);
	cluster_drop_if(&f->c, 1, 3, RAFT_MSG_SNAPSHOT);
	raft_core_report_snapshot(cluster_core(&f->c, 1), 3, true);
	/* Node 3 rejects the probe after 7: it ends at 2. */
	cluster_flush(&f->c, 1);
	cluster_deliver_if(&f->c, 1, 3, RAFT_MSG_APPEND);
	cluster_flush(&f->c, 3);
	cluster_deliver_if(&f->c, 3, 1, RAFT_MSG_APPEND_RESP);
	cluster_flush(&f->c, 1);
	ASSERT_EQ_U64(cluster_count(&f->c, 1, 3, RAFT_MSG_SNAPSHOT), 1);
	ASSERT_EQ_U64(send_peer(f, 3).state, RAFT_PROGRESS_SNAPSHOT);
}

TEST(send, report_failure_probes_from_match_and_sends_a_new_snapshot)
{
	lag_and_compact(f);
	await_snapshot_msg(&f->c, 3);
	cluster_drop_if(&f->c, 0, 0, 0);
	raft_core_report_snapshot(cluster_core(&f->c, 1), 3, false);
	ASSERT_EQ_U64(send_peer(f, 3).state, RAFT_PROGRESS_PROBE);
	ASSERT_EQ_U64(send_peer(f, 3).next_index,
		      send_peer(f, 3).match_index + 1);
	ASSERT_EQ_U64(send_peer(f, 3).pending_snapshot, 0);
	/* Still compacted: another snapshot, no append. */
	send_take(f, 1);
	ASSERT_NOT_NULL(batch_find(&f->b, false, RAFT_MSG_SNAPSHOT, 3));
	ASSERT_EQ_U64(appends_in_batch(&f->b, 3), 0);
	ASSERT_EQ_U64(send_peer(f, 3).state, RAFT_PROGRESS_SNAPSHOT);
}

TEST(send, report_failure_sends_the_newest_snapshot)
{
	lag_and_compact(f);
	await_snapshot_msg(&f->c, 3);
	cluster_drop_if(&f->c, 0, 0, 0);
	cluster_propose(&f->c, 1, "z");
	cluster_stabilize(&f->c);
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 1), 8, 0));
	raft_core_report_snapshot(cluster_core(&f->c, 1), 3, false);
	send_take(f, 1);
	ASSERT_EQ_U64(
	    BATCH_GET(&f->b, false, RAFT_MSG_SNAPSHOT, 3)->snapshot.meta.index,
	    8);
}

TEST(send, report_is_ignored_unless_the_peer_is_receiving_a_snapshot)
{
	struct raft_peer_status before, after;
	struct raft_core_status st_before, st_after;
	lag_and_compact(f);
	cluster_stabilize(&f->c);
	before = send_peer(f, 2);
	ASSERT_EQ_U64(before.state, RAFT_PROGRESS_REPLICATE);
	raft_core_report_snapshot(cluster_core(&f->c, 1), 2, false);
	raft_core_report_snapshot(cluster_core(&f->c, 1), 2, true);
	after = send_peer(f, 2);
	ASSERT_EQ_MEM(&after, &before, sizeof(before));
	/* Unknown member, the leader itself, a follower's core. */
	raft_core_report_snapshot(cluster_core(&f->c, 1), 9, true);
	raft_core_report_snapshot(cluster_core(&f->c, 1), 1, false);
	st_before = cluster_status(&f->c, 2);
	raft_core_report_snapshot(cluster_core(&f->c, 2), 3, false);
	st_after = cluster_status(&f->c, 2);
	ASSERT_EQ_MEM(&st_after, &st_before, sizeof(st_before));
	ASSERT_FALSE(raft_core_has_ready(cluster_core(&f->c, 2)));
}

TEST(send, follower_ack_of_the_snapshot_moves_it_to_replicate)
{
	lag_and_compact(f);
	await_snapshot_msg(&f->c, 3);
	ASSERT_EQ_U64(cluster_deliver_if(&f->c, 1, 3, RAFT_MSG_SNAPSHOT), 1);
	cluster_flush(&f->c, 3);
	ASSERT_EQ_U64(cluster_deliver_if(&f->c, 3, 1, RAFT_MSG_APPEND_RESP), 1);
	ASSERT_EQ_U64(send_peer(f, 3).state, RAFT_PROGRESS_REPLICATE);
	ASSERT_EQ_U64(send_peer(f, 3).match_index, 7);
	ASSERT_EQ_U64(send_peer(f, 3).pending_snapshot, 0);
	/* A report that comes after changes nothing. */
	raft_core_report_snapshot(cluster_core(&f->c, 1), 3, true);
	ASSERT_EQ_U64(send_peer(f, 3).state, RAFT_PROGRESS_REPLICATE);
	cluster_propose(&f->c, 1, "after");
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).commit_index, 8);
	ASSERT_APPLIED(&f->c, 3, 8, "after");
	ASSERT_EQ_U64(cluster_node(&f->c, 3)->loaded_snapshot_index, 7);
	ASSERT_EQ_U64(cluster_node(&f->c, 3)->n_snapshots_loaded, 1);
}

TEST(send, lagging_follower_within_the_margin_catches_up_from_the_log)
{
	unsigned i;
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	cluster_isolate(&f->c, 3, true);
	for (i = 0; i < 5; i++) {
		cluster_propose(&f->c, 1, "x");
	}
	cluster_stabilize(&f->c);
	/* Node 3 matches up to 2; a margin of 5 keeps 3..7. */
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 1), 7, 5));
	cluster_isolate(&f->c, 3, false);
	for (i = 0; i < 3 * ET; i++) {
		ASSERT_EQ_U64(cluster_count(&f->c, 1, 3, RAFT_MSG_SNAPSHOT), 0);
		cluster_tick(&f->c, 1, 1);
		cluster_stabilize(&f->c);
	}
	ASSERT_EQ_U64(cluster_status(&f->c, 3).commit_index, 7);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).snapshot_index, 0);
	ASSERT_EQ_U64(cluster_node(&f->c, 3)->n_snapshots_loaded, 0);
}

/* Nodes 1 and 2: CONF A at 1, 2..4 NORMAL, CONF B at 5 (all term 1);
 * node 3: CONF A only. Node 1 leads term 2 (its no-op at 6) without node 3,
 * then snapshots at 4, before the CONF entry at 5. */
static void conf_after_snapshot(struct send_fixture *f)
{
	struct raft_core_state st = {0};
	unsigned i;
	for (i = 0; i < 2; i++) {
		tlog_add_conf(&f->logs[i], 1, 1, &f->conf_a);
		tlog_add_range(&f->logs[i], 2, 4, 1);
		tlog_add_conf(&f->logs[i], 5, 1, &f->conf_b);
	}
	tlog_add_conf(&f->logs[2], 1, 1, &f->conf_a);
	st.term = 1;
	for (i = 0; i < 3; i++) {
		st.entries = f->logs[i].entries;
		st.n_entries = f->logs[i].n;
		cluster_add(&f->c, NULL, &st);
	}
	cluster_isolate(&f->c, 3, true);
	cluster_elect(&f->c, 1);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).applied_index, 6);
	ASSERT_EQ_STR(
	    address_of(raft_core_configuration(cluster_core(&f->c, 1)), 3),
	    "moved");
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 1), 4, 0));
	cluster_isolate(&f->c, 3, false);
}

TEST(send, snapshot_meta_has_the_configuration_in_force_at_its_index)
{
	const struct raft_message *m;
	conf_after_snapshot(f);
	m = await_snapshot_msg(&f->c, 3);
	ASSERT_EQ_U64(m->snapshot.meta.index, 4);
	ASSERT_EQ_U64(m->snapshot.meta.term, 1);
	/* Configuration A, not B which a later entry put in force. */
	ASSERT_EQ_STR(address_of(&m->snapshot.meta.conf, 3), "a3");
}

TEST(send, follower_takes_the_snapshot_configuration_then_the_newer_entry)
{
	const struct raft_configuration *conf;
	conf_after_snapshot(f);
	await_snapshot_msg(&f->c, 3);
	ASSERT_EQ_U64(cluster_deliver_if(&f->c, 1, 3, RAFT_MSG_SNAPSHOT), 1);
	conf = raft_core_configuration(cluster_core(&f->c, 3));
	ASSERT_EQ_STR(address_of(conf, 3), "a3");
	raft_core_report_snapshot(cluster_core(&f->c, 1), 3, true);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).commit_index, 6);
	conf = raft_core_configuration(cluster_core(&f->c, 3));
	ASSERT_EQ_STR(address_of(conf, 3), "moved");
}

/* Node 1 restarts from a snapshot at 5 with a margin (entries 3..7): the
 * term of entry 2, just before its log, is unknown. Node 2 holds 1..7,
 * node 3 only 1..2. */
static void unknown_offset_term(struct send_fixture *f)
{
	struct raft_snapshot_meta snap = {5, 1, f->conf_a};
	struct raft_core_state st = {0};
	tlog_add_range(&f->logs[0], 3, 7, 1);
	tlog_add_conf(&f->logs[1], 1, 1, &f->conf_a);
	tlog_add_range(&f->logs[1], 2, 7, 1);
	tlog_add_conf(&f->logs[2], 1, 1, &f->conf_a);
	tlog_add(&f->logs[2], 2, 1);
	st.term = 2;
	st.entries = f->logs[0].entries;
	st.n_entries = f->logs[0].n;
	st.applied = 5;
	st.snapshot = &snap;
	cluster_add(&f->c, NULL, &st);
	st.snapshot = NULL;
	st.applied = 0;
	st.entries = f->logs[1].entries;
	st.n_entries = f->logs[1].n;
	cluster_add(&f->c, NULL, &st);
	st.entries = f->logs[2].entries;
	st.n_entries = f->logs[2].n;
	cluster_add(&f->c, NULL, &st);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 1), 2), 0);
}

TEST(send, restarted_leader_with_an_unknown_offset_term_sends_a_snapshot)
{
	unsigned round, snapshots = 0, i;
	unknown_offset_term(f);
	cluster_campaign(&f->c, 1);
	for (round = 0; round < 100; round++) {
		bool busy = false;
		size_t j;
		for (i = 1; i <= 3; i++) {
			if (raft_core_has_ready(cluster_core(&f->c, i))) {
				cluster_flush(&f->c, i);
				busy = true;
			}
		}
		for (j = 0; j < f->c.net.n; j++) {
			const struct raft_message *m = &f->c.net.msgs[j];
			if (m->from != 1 || m->to != 3) {
				continue;
			}
			/* An append after entry 2 would need its term, which
			 * node 1 does not know. */
			if (m->type == RAFT_MSG_APPEND) {
				ASSERT_GT_U64(m->append.prev_index, 2);
			}
			if (m->type == RAFT_MSG_SNAPSHOT) {
				ASSERT_EQ_U64(m->snapshot.meta.index, 5);
				snapshots++;
			}
		}
		if (f->c.net.n > 0) {
			cluster_deliver(&f->c);
			busy = true;
		}
		if (!busy) {
			break;
		}
	}
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	ASSERT_EQ_U64(snapshots, 1);
	/* Node 3 installed it and took the rest from the log. */
	ASSERT_EQ_U64(cluster_status(&f->c, 3).snapshot_index, 5);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).commit_index, 8);
	ASSERT_EQ_U64(cluster_node(&f->c, 3)->applied_index, 8);
	ASSERT_APPLIED(&f->c, 3, 7, "e7");
}

static const struct test_case send_cases[] = {
    TEST_CASE(send, follower_whose_next_is_compacted_gets_the_snapshot_meta),
    TEST_CASE(send, no_appends_go_to_a_follower_receiving_a_snapshot),
    TEST_CASE(send, report_ok_probes_right_after_the_snapshot_index),
    TEST_CASE(send, report_ok_of_a_snapshot_that_never_arrived_sends_it_again),
    TEST_CASE(send, report_failure_probes_from_match_and_sends_a_new_snapshot),
    TEST_CASE(send, report_failure_sends_the_newest_snapshot),
    TEST_CASE(send, report_is_ignored_unless_the_peer_is_receiving_a_snapshot),
    TEST_CASE(send, follower_ack_of_the_snapshot_moves_it_to_replicate),
    TEST_CASE(send, lagging_follower_within_the_margin_catches_up_from_the_log),
    TEST_CASE(send, snapshot_meta_has_the_configuration_in_force_at_its_index),
    TEST_CASE(send,
	      follower_takes_the_snapshot_configuration_then_the_newer_entry),
    TEST_CASE(send,
	      restarted_leader_with_an_unknown_offset_term_sends_a_snapshot),
    TEST_CASES_END,
};

/* ------------------------------------------------------------------------
 * The follower's side: installing a snapshot
 * ------------------------------------------------------------------------ */

struct install_fixture {
	struct cluster c;
	struct batch b;
	struct raft_configuration conf;
};

/* Three voters, node 1 leads term 2, everyone holds and applied 1..2. */
SETUP(install)
{
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	make_conf(&f->conf, "s", 3, 0);
}

TEARDOWN(install)
{
	batch_free(&f->b);
	cluster_close(&f->c);
	raft_configuration_close(&f->conf);
}

static void install_take(struct install_fixture *f, raft_id id)
{
	batch_free(&f->b);
	cluster_handle_ready(&f->c, id, &f->b);
}

/* Steps m into node `to` expecting rv, and checks that nothing changed:
 * same status, nothing to hand out. */
static void assert_step_refused(struct install_fixture *f,
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

TEST(install, follower_installs_a_snapshot_beyond_its_log)
{
	struct raft_message m = snapshot_msg(1, 2, 2, 10, 2, &f->conf);
	const struct raft_message *ack;
	struct raft_core_status st;
	ASSERT_OK(raft_core_step(cluster_core(&f->c, 2), &m));
	st = cluster_status(&f->c, 2);
	ASSERT_EQ_U64(st.snapshot_index, 10);
	ASSERT_EQ_U64(st.first_index, 11);
	ASSERT_EQ_U64(st.last_index, 10);
	ASSERT_EQ_U64(st.last_term, 2);
	ASSERT_EQ_U64(st.commit_index, 10);
	ASSERT_EQ_U64(st.applied_index, 10);
	ASSERT_EQ_U64(st.persisted_index, 10);
	ASSERT_EQ_U64(st.leader_id, 1);
	ASSERT_EQ_U64(st.term, 2);
	/* The log is reset: only the snapshot's own term is known. */
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), 10), 2);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), 9), 0);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), 2), 0);

	install_take(f, 2);
	ASSERT_TRUE(f->b.has_snapshot);
	ASSERT_EQ_U64(f->b.snapshot.index, 10);
	ASSERT_EQ_U64(f->b.snapshot.term, 2);
	ASSERT_EQ_U64(f->b.snapshot.conf.n, 3);
	ASSERT_EQ_STR(address_of(&f->b.snapshot.conf, 2), "s2");
	ASSERT_EQ_U64(f->b.n_entries, 0);
	ASSERT_EQ_U64(f->b.n_committed, 0);
	/* The ack leaves once the snapshot is recorded durably. */
	ASSERT_EQ_U64(batch_count(&f->b, false, RAFT_MSG_APPEND_RESP), 0);
	ack = BATCH_GET(&f->b, true, RAFT_MSG_APPEND_RESP, 1);
	ASSERT_TRUE(ack->append_resp.success);
	ASSERT_EQ_U64(ack->append_resp.index, 10);
	ASSERT_EQ_U64(ack->append_resp.last_index, 10);
	ASSERT_EQ_U64(cluster_node(&f->c, 2)->applied_index, 10);
	/* Handed out once. */
	ASSERT_FALSE(raft_core_has_ready(cluster_core(&f->c, 2)));
}

TEST(install, follower_installs_over_a_conflicting_log)
{
	struct raft_entry e[4];
	struct raft_message a = append_msg(3, 2, 3, 2, 2, 2);
	struct raft_message m = snapshot_msg(1, 2, 4, 5, 4, &f->conf);
	unsigned i;
	/* Node 2 takes 3..6 of term 3 from node 3; none is committed. */
	for (i = 0; i < 4; i++) {
		e[i] =
		    (struct raft_entry){3, 3 + i, RAFT_ENTRY_NORMAL, {"c", 1}};
	}
	a.append.entries = e;
	a.append.n_entries = 4;
	cluster_step(&f->c, &a);
	cluster_flush(&f->c, 2);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).last_index, 6);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).commit_index, 2);
	/* The snapshot at 5 has term 4: index 5 does not match. */
	ASSERT_OK(raft_core_step(cluster_core(&f->c, 2), &m));
	ASSERT_EQ_U64(cluster_status(&f->c, 2).snapshot_index, 5);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).last_index, 5);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).last_term, 4);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), 6), 0);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), 3), 0);
	install_take(f, 2);
	ASSERT_TRUE(f->b.has_snapshot);
	ASSERT_EQ_U64(cluster_node(&f->c, 2)->applied_index, 5);
}

TEST(install, snapshot_covered_by_commit_is_only_acknowledged)
{
	struct raft_message m = snapshot_msg(1, 2, 2, 3, 2, &f->conf);
	struct raft_core_status before, after;
	const struct raft_message *ack;
	cluster_propose(&f->c, 1, "a");
	cluster_propose(&f->c, 1, "b");
	cluster_stabilize(&f->c);
	before = cluster_status(&f->c, 2);
	ASSERT_EQ_U64(before.commit_index, 4);
	ASSERT_OK(raft_core_step(cluster_core(&f->c, 2), &m));
	after = cluster_status(&f->c, 2);
	ASSERT_EQ_MEM(&after, &before, sizeof(before));
	install_take(f, 2);
	ASSERT_FALSE(f->b.has_snapshot);
	ack = BATCH_GET(&f->b, true, RAFT_MSG_APPEND_RESP, 1);
	ASSERT_TRUE(ack->append_resp.success);
	ASSERT_EQ_U64(ack->append_resp.index, 4);
	ASSERT_FALSE(raft_core_has_ready(cluster_core(&f->c, 2)));
}

TEST(install, snapshot_covered_by_the_log_commits_up_to_it_and_acks)
{
	struct raft_message m = snapshot_msg(1, 2, 2, 5, 2, &f->conf);
	const struct raft_message *ack;
	unsigned i;
	for (i = 0; i < 4; i++) {
		cluster_propose(&f->c, 1, "x");
	}
	cluster_flush(&f->c, 1);
	cluster_deliver_if(&f->c, 1, 2, RAFT_MSG_APPEND);
	cluster_flush(&f->c, 2);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).last_index, 6);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).commit_index, 2);
	ASSERT_OK(raft_core_step(cluster_core(&f->c, 2), &m));
	ASSERT_EQ_U64(cluster_status(&f->c, 2).commit_index, 5);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).last_index, 6);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).snapshot_index, 0);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).first_index, 1);
	install_take(f, 2);
	ASSERT_FALSE(f->b.has_snapshot);
	ack = BATCH_GET(&f->b, true, RAFT_MSG_APPEND_RESP, 1);
	ASSERT_TRUE(ack->append_resp.success);
	ASSERT_EQ_U64(ack->append_resp.index, 5);
	/* Entries 3..5 are applied from the log as usual. */
	ASSERT_EQ_U64(f->b.n_committed, 3);
	ASSERT_EQ_U64(cluster_node(&f->c, 2)->applied_index, 5);
}

TEST(install, leader_refuses_a_snapshot_message_of_its_own_term)
{
	struct raft_message m = snapshot_msg(2, 1, 2, 10, 2, &f->conf);
	assert_step_refused(f, &m, 1, RAFT_EPROTO);
	ASSERT_ROLE(&f->c, 1, RAFT_LEADER);
	ASSERT_EQ_U64(cluster_status(&f->c, 1).snapshot_index, 0);
}

TEST(install, snapshot_message_of_an_older_term_is_answered_with_a_rejection)
{
	struct raft_message m = snapshot_msg(3, 2, 1, 10, 1, &f->conf);
	const struct raft_message *r;
	struct raft_core_status before = cluster_status(&f->c, 2), after;
	ASSERT_OK(raft_core_step(cluster_core(&f->c, 2), &m));
	after = cluster_status(&f->c, 2);
	ASSERT_EQ_MEM(&after, &before, sizeof(before));
	install_take(f, 2);
	ASSERT_FALSE(f->b.has_snapshot);
	r = BATCH_GET(&f->b, false, RAFT_MSG_APPEND_RESP, 3);
	ASSERT_FALSE(r->append_resp.success);
	ASSERT_EQ_U64(r->term, 2);
}

TEST(install, snapshot_message_validation_refuses_bad_metadata)
{
	struct raft_configuration learners, bad;
	struct raft_server servers[3];
	struct raft_message m;
	unsigned i;
	/* Every refusal comes before the message's higher term (5) is
	 * adopted. */
	m = snapshot_msg(3, 2, 5, 0, 4, &f->conf);
	assert_step_refused(f, &m, 2, RAFT_EPROTO);
	m = snapshot_msg(3, 2, 5, 10, 0, &f->conf);
	assert_step_refused(f, &m, 2, RAFT_EPROTO);
	m = snapshot_msg(3, 2, 5, 10, 6, &f->conf);
	assert_step_refused(f, &m, 2, RAFT_EPROTO);
	/* No voter at all. */
	make_conf(&learners, "l", 0, 3);
	m = snapshot_msg(3, 2, 5, 10, 4, &learners);
	assert_step_refused(f, &m, 2, RAFT_EPROTO);
	raft_configuration_close(&learners);
	m = snapshot_msg(3, 2, 5, 10, 4, &f->conf);
	m.snapshot.meta.conf.n = 0;
	assert_step_refused(f, &m, 2, RAFT_EPROTO);
	/* Members with id 0, a bad role, no address. */
	for (i = 0; i < 3; i++) {
		servers[i] = f->conf.servers[i];
	}
	bad.servers = servers;
	bad.n = 3;
	m = snapshot_msg(3, 2, 5, 10, 4, &bad);
	servers[2].id = 0;
	assert_step_refused(f, &m, 2, RAFT_EPROTO);
	servers[2] = f->conf.servers[2];
	servers[2].role = 9;
	assert_step_refused(f, &m, 2, RAFT_EPROTO);
	servers[2] = f->conf.servers[2];
	servers[2].address = NULL;
	assert_step_refused(f, &m, 2, RAFT_EPROTO);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).term, 2);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).snapshot_index, 0);
}

TEST(install, configuration_in_force_after_install_is_the_snapshots)
{
	struct raft_configuration conf;
	struct raft_message m;
	const struct raft_configuration *now;
	/* Voters 1 and 3, node 2 a learner, new addresses. */
	raft_configuration_init(&conf);
	ASSERT_OK(raft_configuration_add(&conf, 1, "n1", RAFT_VOTER));
	ASSERT_OK(raft_configuration_add(&conf, 2, "n2", RAFT_LEARNER));
	ASSERT_OK(raft_configuration_add(&conf, 3, "n3", RAFT_VOTER));
	m = snapshot_msg(1, 2, 2, 10, 2, &conf);
	ASSERT_FALSE(cluster_status(&f->c, 2).learner);
	ASSERT_OK(raft_core_step(cluster_core(&f->c, 2), &m));
	now = raft_core_configuration(cluster_core(&f->c, 2));
	ASSERT_EQ_U64(now->n, 3);
	ASSERT_EQ_STR(address_of(now, 1), "n1");
	ASSERT_EQ_U64(raft_configuration_get(now, 2)->role, RAFT_LEARNER);
	ASSERT_TRUE(cluster_status(&f->c, 2).learner);
	raft_configuration_close(&conf);
	/* The core kept its own copy. */
	ASSERT_EQ_STR(address_of(now, 3), "n3");
	install_take(f, 2);
	ASSERT_EQ_STR(address_of(&f->b.snapshot.conf, 2), "n2");
}

TEST(install, entries_after_the_snapshot_follow_it_in_the_same_batch)
{
	struct raft_message m = snapshot_msg(1, 2, 2, 10, 2, &f->conf);
	struct raft_entry e[2] = {{2, 11, RAFT_ENTRY_NORMAL, {"k", 1}},
				  {2, 12, RAFT_ENTRY_NORMAL, {"l", 1}}};
	struct raft_message a = append_msg(1, 2, 2, 10, 2, 12);
	a.append.entries = e;
	a.append.n_entries = 2;
	ASSERT_OK(raft_core_step(cluster_core(&f->c, 2), &m));
	ASSERT_OK(raft_core_step(cluster_core(&f->c, 2), &a));
	cluster_node(&f->c, 2)->manual_persist = true;
	install_take(f, 2);
	ASSERT_TRUE(f->b.has_snapshot);
	ASSERT_EQ_U64(f->b.n_entries, 2);
	ASSERT_EQ_U64(f->b.entries[0].index, 11);
	/* Committed, but applied only once durable. */
	ASSERT_EQ_U64(cluster_status(&f->c, 2).commit_index, 12);
	ASSERT_EQ_U64(f->b.n_committed, 0);
	ASSERT_EQ_U64(batch_count(&f->b, true, RAFT_MSG_APPEND_RESP), 2);
	cluster_persist(&f->c, 2);
	install_take(f, 2);
	ASSERT_FALSE(f->b.has_snapshot);
	ASSERT_EQ_U64(f->b.n_committed, 2);
	ASSERT_EQ_U64(f->b.committed[0].index, 11);
	ASSERT_APPLIED(&f->c, 2, 12, "l");
}

TEST(install, second_snapshot_replaces_the_first)
{
	struct raft_message m = snapshot_msg(1, 2, 2, 10, 2, &f->conf);
	ASSERT_OK(raft_core_step(cluster_core(&f->c, 2), &m));
	install_take(f, 2);
	m.snapshot.meta.index = 20;
	ASSERT_OK(raft_core_step(cluster_core(&f->c, 2), &m));
	install_take(f, 2);
	ASSERT_TRUE(f->b.has_snapshot);
	ASSERT_EQ_U64(f->b.snapshot.index, 20);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).snapshot_index, 20);
	ASSERT_EQ_U64(cluster_node(&f->c, 2)->n_snapshots_loaded, 2);
}

TEST(install, install_fails_cleanly_without_memory)
{
	struct raft_message m = snapshot_msg(1, 2, 2, 10, 2, &f->conf);
	struct raft_core *core = cluster_core(&f->c, 2);
	int k, rv = RAFT_ENOMEM;
	for (k = 0; rv != 0; k++) {
		struct raft_core_status before, after;
		long live = heap_live_count();
		ASSERT_LT_U64(k, FAULT_K);
		raft_core_status(core, &before);
		heap_fault_config(k, 1);
		rv = raft_core_step(core, &m);
		heap_fault_config(-1, 0);
		if (rv != 0) {
			ASSERT_RV(rv, RAFT_ENOMEM);
			raft_core_status(core, &after);
			ASSERT_EQ_MEM(&after, &before, sizeof(before));
			ASSERT_FALSE(raft_core_has_ready(core));
			ASSERT_EQ_INT(heap_live_count(), live);
			ASSERT_EQ_U64(raft_core_configuration(core)->n, 3);
			ASSERT_EQ_STR(
			    address_of(raft_core_configuration(core), 2),
			    "10.0.0.2:9000");
		}
	}
	ASSERT_GT_U64(k, 2);
	ASSERT_EQ_U64(cluster_status(&f->c, 2).snapshot_index, 10);
	install_take(f, 2);
	ASSERT_TRUE(f->b.has_snapshot);
	ASSERT_EQ_STR(address_of(raft_core_configuration(core), 2), "s2");
}

TEST(install, installed_node_catches_up_and_can_lead)
{
	struct raft_message m;
	raft_index last;
	unsigned i;
	/* Node 1 and 2 commit 3..12 while node 3 is away, then all
	 * compact; node 3 comes back through a snapshot. */
	cluster_isolate(&f->c, 3, true);
	for (i = 0; i < 10; i++) {
		cluster_propose(&f->c, 1, "x");
	}
	cluster_stabilize(&f->c);
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 1), 12, 0));
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 2), 12, 0));
	cluster_isolate(&f->c, 3, false);
	m = snapshot_msg(1, 3, 2, 12, 2, &f->conf);
	cluster_step(&f->c, &m);
	cluster_stabilize(&f->c);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).commit_index, 12);
	ASSERT_EQ_U64(cluster_status(&f->c, 3).first_index, 13);
	/* Node 3 wins an election with its snapshot-only log. */
	ASSERT_OK(raft_core_transfer_leader(cluster_core(&f->c, 1), 3));
	cluster_stabilize(&f->c);
	ASSERT_ROLE(&f->c, 3, RAFT_LEADER);
	last = cluster_propose(&f->c, 3, "from3");
	for (i = 0; i < 3 * ET; i++) {
		cluster_tick(&f->c, 3, 1);
		cluster_stabilize(&f->c);
	}
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ_U64(cluster_status(&f->c, i).commit_index, last);
		ASSERT_APPLIED(&f->c, i, last, "from3");
	}
}

static const struct test_case install_cases[] = {
    TEST_CASE(install, follower_installs_a_snapshot_beyond_its_log),
    TEST_CASE(install, follower_installs_over_a_conflicting_log),
    TEST_CASE(install, snapshot_covered_by_commit_is_only_acknowledged),
    TEST_CASE(install, snapshot_covered_by_the_log_commits_up_to_it_and_acks),
    TEST_CASE(install, leader_refuses_a_snapshot_message_of_its_own_term),
    TEST_CASE(install,
	      snapshot_message_of_an_older_term_is_answered_with_a_rejection),
    TEST_CASE(install, snapshot_message_validation_refuses_bad_metadata),
    TEST_CASE(install, configuration_in_force_after_install_is_the_snapshots),
    TEST_CASE(install, entries_after_the_snapshot_follow_it_in_the_same_batch),
    TEST_CASE(install, second_snapshot_replaces_the_first),
    TEST_CASE(install, install_fails_cleanly_without_memory),
    TEST_CASE(install, installed_node_catches_up_and_can_lead),
    TEST_CASES_END,
};

/* ------------------------------------------------------------------------
 * Restart: raft_core_new() from a snapshot
 * ------------------------------------------------------------------------ */

struct restart_fixture {
	struct raft_core_config cfg;
	struct raft_configuration conf_a, conf_b;
	struct raft_snapshot_meta snap;
	struct test_log log;
	struct raft_core_state st;
	struct raft_core *core;
	char errmsg[256];
};

/* A snapshot at 10 of term 3 with voters 1..3 ("a1".."a3"); hard state
 * term 4. */
SETUP(restart)
{
	cluster_config(&f->cfg, 1);
	make_conf(&f->conf_a, "a", 3, 0);
	make_conf(&f->conf_b, "b", 3, 0);
	f->snap.index = 10;
	f->snap.term = 3;
	f->snap.conf = f->conf_a;
	f->st.term = 4;
	f->st.snapshot = &f->snap;
	strcpy(f->errmsg, "unset");
}

TEARDOWN(restart)
{
	raft_core_free(f->core);
	tlog_close(&f->log);
	raft_configuration_close(&f->conf_a);
	raft_configuration_close(&f->conf_b);
}

static struct raft_core_status restart_new(struct restart_fixture *f)
{
	struct raft_core_status st;
	f->st.entries = f->log.entries;
	f->st.n_entries = f->log.n;
	if (raft_core_new(&f->cfg, &f->st, &f->core, f->errmsg,
			  sizeof(f->errmsg)) != 0) {
		test_fail(__FILE__, __LINE__, "raft_core_new: %s", f->errmsg);
	}
	raft_core_status(f->core, &st);
	/* Everything recovered is durable and applied up to the snapshot:
	 * nothing to hand out. */
	ASSERT_FALSE(raft_core_has_ready(f->core));
	return st;
}

static void assert_restart_refused(struct restart_fixture *f, const char *why)
{
	f->st.entries = f->log.entries;
	f->st.n_entries = f->log.n;
	ASSERT_RV(raft_core_new(&f->cfg, &f->st, &f->core, f->errmsg,
				sizeof(f->errmsg)),
		  RAFT_EINVAL);
	ASSERT_STR_CONTAINS(f->errmsg, why);
	ASSERT_NULL(f->core);
}

TEST(restart, from_a_snapshot_without_entries)
{
	struct raft_core_status st = restart_new(f);
	ASSERT_EQ_U64(st.snapshot_index, 10);
	ASSERT_EQ_U64(st.first_index, 11);
	ASSERT_EQ_U64(st.last_index, 10);
	ASSERT_EQ_U64(st.last_term, 3);
	ASSERT_EQ_U64(st.commit_index, 10);
	ASSERT_EQ_U64(st.applied_index, 10);
	ASSERT_EQ_U64(st.persisted_index, 10);
	ASSERT_EQ_U64(st.term, 4);
	ASSERT_EQ_U64(raft_core_term_at(f->core, 10), 3);
	ASSERT_EQ_U64(raft_core_term_at(f->core, 9), 0);
	ASSERT_EQ_STR(address_of(raft_core_configuration(f->core), 2), "a2");
	ASSERT_FALSE(st.learner);
}

TEST(restart, from_a_snapshot_with_entries_right_after_it)
{
	struct raft_core_status st;
	tlog_add_range(&f->log, 11, 13, 4);
	st = restart_new(f);
	ASSERT_EQ_U64(st.first_index, 11);
	ASSERT_EQ_U64(st.last_index, 13);
	ASSERT_EQ_U64(st.last_term, 4);
	ASSERT_EQ_U64(st.commit_index, 10);
	ASSERT_EQ_U64(st.applied_index, 10);
	ASSERT_EQ_U64(st.persisted_index, 13);
	ASSERT_EQ_U64(raft_core_term_at(f->core, 10), 3);
	ASSERT_EQ_U64(raft_core_term_at(f->core, 11), 4);
}

TEST(restart, from_a_snapshot_with_a_trailing_margin_before_it)
{
	struct raft_core_status st;
	const struct raft_entry *e;
	tlog_add_range(&f->log, 7, 10, 3);
	tlog_add_range(&f->log, 11, 13, 4);
	st = restart_new(f);
	ASSERT_EQ_U64(st.snapshot_index, 10);
	ASSERT_EQ_U64(st.first_index, 7);
	ASSERT_EQ_U64(st.last_index, 13);
	ASSERT_EQ_U64(st.commit_index, 10);
	ASSERT_EQ_U64(st.applied_index, 10);
	ASSERT_OK(raft_core_entry(f->core, 7, &e));
	ASSERT_EQ_MEM(e->data.base, "e7", 2);
	/* The term of entry 6 was never recovered. */
	ASSERT_EQ_U64(raft_core_term_at(f->core, 6), 0);
	ASSERT_EQ_U64(raft_core_term_at(f->core, 10), 3);
	ASSERT_EQ_STR(address_of(raft_core_configuration(f->core), 2), "a2");
}

TEST(restart, from_a_snapshot_covering_every_entry_recovered)
{
	struct raft_core_status st;
	tlog_add_range(&f->log, 5, 8, 3);
	st = restart_new(f);
	ASSERT_EQ_U64(st.first_index, 11);
	ASSERT_EQ_U64(st.last_index, 10);
	ASSERT_EQ_U64(st.last_term, 3);
	ASSERT_EQ_U64(st.commit_index, 10);
	ASSERT_EQ_U64(raft_core_term_at(f->core, 8), 0);
	ASSERT_EQ_U64(raft_core_term_at(f->core, 10), 3);
}

TEST(restart, applied_index_above_the_snapshot_is_kept)
{
	struct raft_core_status st;
	tlog_add_range(&f->log, 11, 13, 4);
	f->st.applied = 12;
	st = restart_new(f);
	ASSERT_EQ_U64(st.commit_index, 12);
	ASSERT_EQ_U64(st.applied_index, 12);
}

TEST(restart, applied_index_below_the_snapshot_is_raised_to_it)
{
	struct raft_core_status st;
	f->st.applied = 4;
	st = restart_new(f);
	ASSERT_EQ_U64(st.applied_index, 10);
}

TEST(restart, conf_entry_after_the_snapshot_is_in_force)
{
	tlog_add(&f->log, 11, 4);
	tlog_add_conf(&f->log, 12, 4, &f->conf_b);
	restart_new(f);
	ASSERT_EQ_STR(address_of(raft_core_configuration(f->core), 2), "b2");
}

TEST(restart, refuses_a_log_that_starts_after_the_snapshot)
{
	tlog_add_range(&f->log, 12, 13, 4);
	assert_restart_refused(f, "log starts at entry 12, after the snapshot "
				  "at 10");
}

TEST(restart, refuses_a_term_mismatch_at_the_snapshot_index)
{
	tlog_add_range(&f->log, 8, 11, 2);
	assert_restart_refused(f, "log entry 10 has term 2, the snapshot says "
				  "3");
}

TEST(restart, refuses_a_snapshot_without_voters)
{
	struct raft_configuration learners;
	make_conf(&learners, "l", 0, 3);
	f->snap.conf = learners;
	assert_restart_refused(f, "no voter");
	raft_configuration_close(&learners);
}

TEST(restart, refuses_a_snapshot_term_above_the_hard_state)
{
	f->snap.term = 5;
	assert_restart_refused(f, "snapshot at 10 (term 5)");
}

TEST(restart, refuses_a_snapshot_at_index_zero)
{
	f->snap.index = 0;
	assert_restart_refused(f, "snapshot at 0");
}

TEST(restart, refuses_a_log_not_starting_at_one_without_a_snapshot)
{
	f->st.snapshot = NULL;
	tlog_add_range(&f->log, 3, 4, 4);
	assert_restart_refused(f, "log starts at entry 3 without a snapshot");
}

TEST(restart, refuses_an_applied_index_beyond_log_and_snapshot)
{
	tlog_add_range(&f->log, 11, 12, 4);
	f->st.applied = 13;
	assert_restart_refused(f, "applied index 13 beyond last index 12");
}

TEST(restart, fails_cleanly_without_memory)
{
	int k, rv = RAFT_ENOMEM;
	tlog_add_range(&f->log, 8, 10, 3);
	tlog_add_conf(&f->log, 11, 4, &f->conf_b);
	f->st.entries = f->log.entries;
	f->st.n_entries = f->log.n;
	for (k = 0; rv != 0; k++) {
		ASSERT_LT_U64(k, FAULT_K);
		heap_fault_config(k, 1);
		rv = raft_core_new(&f->cfg, &f->st, &f->core, f->errmsg,
				   sizeof(f->errmsg));
		heap_fault_config(-1, 0);
		if (rv != 0) {
			ASSERT_RV(rv, RAFT_ENOMEM);
			ASSERT_NULL(f->core);
		}
	}
	ASSERT_GT_U64(k, 5);
	ASSERT_EQ_STR(address_of(raft_core_configuration(f->core), 2), "b2");
}

static const struct test_case restart_cases[] = {
    TEST_CASE(restart, from_a_snapshot_without_entries),
    TEST_CASE(restart, from_a_snapshot_with_entries_right_after_it),
    TEST_CASE(restart, from_a_snapshot_with_a_trailing_margin_before_it),
    TEST_CASE(restart, from_a_snapshot_covering_every_entry_recovered),
    TEST_CASE(restart, applied_index_above_the_snapshot_is_kept),
    TEST_CASE(restart, applied_index_below_the_snapshot_is_raised_to_it),
    TEST_CASE(restart, conf_entry_after_the_snapshot_is_in_force),
    TEST_CASE(restart, refuses_a_log_that_starts_after_the_snapshot),
    TEST_CASE(restart, refuses_a_term_mismatch_at_the_snapshot_index),
    TEST_CASE(restart, refuses_a_snapshot_without_voters),
    TEST_CASE(restart, refuses_a_snapshot_term_above_the_hard_state),
    TEST_CASE(restart, refuses_a_snapshot_at_index_zero),
    TEST_CASE(restart, refuses_a_log_not_starting_at_one_without_a_snapshot),
    TEST_CASE(restart, refuses_an_applied_index_beyond_log_and_snapshot),
    TEST_CASE(restart, fails_cleanly_without_memory),
    TEST_CASES_END,
};

/* ------------------------------------------------------------------------
 * Regressions: the configuration after installs and truncations
 * ------------------------------------------------------------------------ */

struct conf_revert_fixture {
	struct cluster c;
	struct raft_configuration conf_a, conf_b;
	struct raft_buf conf_b_data;
};

/* Three voters, node 1 leads term 2. Configuration A is the bootstrap's
 * members at addresses "a<id>", B the same at "b<id>". */
SETUP(conf_revert)
{
	cluster_bootstrap(&f->c, 3, 0, NULL);
	cluster_elect(&f->c, 1);
	make_conf(&f->conf_a, "a", 3, 0);
	make_conf(&f->conf_b, "b", 3, 0);
	ASSERT_OK(raft_configuration_encode(&f->conf_b, &f->conf_b_data));
}

TEARDOWN(conf_revert)
{
	cluster_close(&f->c);
	raft_configuration_close(&f->conf_a);
	raft_configuration_close(&f->conf_b);
	raft_free(f->conf_b_data.base);
}

/* Node 2 stores an uncommitted CONF entry (B) at after + 1 from node 1
 * (term 2), then node 3, leader of term 3, overwrites it with a NORMAL
 * entry. */
static void conf_entry_truncated(struct conf_revert_fixture *f,
				 raft_index after)
{
	struct raft_entry e = {2, after + 1, RAFT_ENTRY_CONF, f->conf_b_data};
	struct raft_message m = append_msg(1, 2, 2, after, 2, after);
	m.append.entries = &e;
	m.append.n_entries = 1;
	cluster_step(&f->c, &m);
	cluster_flush(&f->c, 2);
	ASSERT_EQ_STR(
	    address_of(raft_core_configuration(cluster_core(&f->c, 2)), 1),
	    "b1");
	e = (struct raft_entry){3, after + 1, RAFT_ENTRY_NORMAL, {"x", 1}};
	m = append_msg(3, 2, 3, after, 2, after);
	m.append.entries = &e;
	m.append.n_entries = 1;
	cluster_step(&f->c, &m);
	cluster_flush(&f->c, 2);
	ASSERT_EQ_U64(raft_core_term_at(cluster_core(&f->c, 2), after + 1), 3);
}

/* Raft: when a CONF entry is truncated, the configuration in force goes
 * back to the latest one that remains, here the installed snapshot's.
 * The core looks for the previous CONF entry in the log only and, finding
 * none after the snapshot, puts an empty configuration in force: node 2
 * becomes a learner of nobody and never campaigns again. */
TEST(conf_revert,
     truncated_conf_entry_after_an_installed_snapshot_reverts_to_it)
{
	struct raft_message m = snapshot_msg(1, 2, 2, 10, 2, &f->conf_a);
	const struct raft_configuration *conf;
	cluster_step(&f->c, &m);
	cluster_flush(&f->c, 2);
	conf_entry_truncated(f, 10);
	conf = raft_core_configuration(cluster_core(&f->c, 2));
	ASSERT_EQ_U64(conf->n, 3);
	ASSERT_EQ_STR(address_of(conf, 1), "a1");
	ASSERT_FALSE(cluster_status(&f->c, 2).learner);
}

/* The same after the node compacted its own log: the configuration in
 * force came from the compacted bootstrap entry. */
TEST(conf_revert,
     truncated_conf_entry_after_compaction_reverts_to_the_snapshots)
{
	const struct raft_configuration *conf;
	ASSERT_OK(raft_core_snapshot_taken(cluster_core(&f->c, 2), 2, 0));
	conf_entry_truncated(f, 2);
	conf = raft_core_configuration(cluster_core(&f->c, 2));
	ASSERT_EQ_U64(conf->n, 3);
	ASSERT_EQ_STR(address_of(conf, 1), "10.0.0.1:9000");
	ASSERT_FALSE(cluster_status(&f->c, 2).learner);
}

/* raft_message_type_name() names every other type; RAFT_MSG_SNAPSHOT
 * comes out as "unknown" in logs and test failures. */
TEST(conf_revert, snapshot_message_type_has_a_name)
{
	ASSERT_EQ_STR(raft_message_type_name(RAFT_MSG_SNAPSHOT), "snapshot");
}

static const struct test_case conf_revert_cases[] = {
    TEST_CASE(conf_revert,
	      truncated_conf_entry_after_an_installed_snapshot_reverts_to_it),
    TEST_CASE(conf_revert,
	      truncated_conf_entry_after_compaction_reverts_to_the_snapshots),
    TEST_CASE(conf_revert, snapshot_message_type_has_a_name),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(taken), TEST_SUITE(meta_at), TEST_SUITE(send),
	  TEST_SUITE(install), TEST_SUITE(restart), TEST_SUITE(conf_revert))
