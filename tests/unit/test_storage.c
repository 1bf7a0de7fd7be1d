/* Unit tests of the LevelDB log store (lib/storage), on real LevelDB in a
 * fresh temporary directory. */
#define _XOPEN_SOURCE 700
#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "raft/storage.h"
#include "test.h"

struct storage_fixture {
	char dir[64];
	char log[96];
	struct raft_storage *s;
	struct raft_storage_state state;
	char err[512];
};

SETUP(storage)
{
	strcpy(f->dir, "/tmp/raft-test-storage-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
}

TEARDOWN(storage)
{
	raft_storage_state_release(&f->state);
	raft_storage_close(f->s);
	test_dir_remove(f->dir);
}

static const struct raft_storage_meta owner = {.id = 3, .cluster_id = 99};

static struct raft_entry entry(raft_index index, raft_term term,
			       const char *data)
{
	struct raft_entry e = {
	    .term = term, .index = index, .type = RAFT_ENTRY_NORMAL};
	e.data.base = (void *)data;
	e.data.len = strlen(data);
	return e;
}

static void reopen(struct storage_fixture *f)
{
	raft_storage_close(f->s);
	f->s = NULL;
	ASSERT_OK(raft_storage_open(f->log, &f->s, f->err, sizeof(f->err)));
	raft_storage_state_release(&f->state);
	ASSERT_OK(raft_storage_load(f->s, &f->state));
}

TEST(storage, create_then_open_keeps_the_owner)
{
	ASSERT_OK(
	    raft_storage_create(f->log, &owner, &f->s, f->err, sizeof(f->err)));
	reopen(f);
	ASSERT_EQ_U64(raft_storage_meta(f->s)->id, 3);
	ASSERT_EQ_U64(raft_storage_meta(f->s)->cluster_id, 99);
	ASSERT_EQ_U64(f->state.n_entries, 0);
	ASSERT_EQ_U64(f->state.term, 0);
}

TEST(storage, open_without_a_log_is_not_found)
{
	ASSERT_RV(raft_storage_open(f->log, &f->s, f->err, sizeof(f->err)),
		  RAFT_ENOTFOUND);
	ASSERT_STR_CONTAINS(f->err, f->log);
	ASSERT_STR_CONTAINS(f->err, "no log there");
}

TEST(storage, create_over_a_log_is_refused)
{
	struct raft_storage *other;
	ASSERT_OK(
	    raft_storage_create(f->log, &owner, &f->s, f->err, sizeof(f->err)));
	ASSERT_RV(
	    raft_storage_create(f->log, &owner, &other, f->err, sizeof(f->err)),
	    RAFT_EEXIST);
	ASSERT_STR_CONTAINS(f->err, "already there");
}

TEST(storage, a_second_opener_is_refused_while_locked)
{
	struct raft_storage *other;
	ASSERT_OK(
	    raft_storage_create(f->log, &owner, &f->s, f->err, sizeof(f->err)));
	ASSERT_RV(raft_storage_open(f->log, &other, f->err, sizeof(f->err)),
		  RAFT_EIO);
	ASSERT_STR_CONTAINS(f->err, "lock");
}

TEST(storage, entries_and_hard_state_survive_reopen)
{
	struct raft_hard_state hs = {.term = 5, .vote = 2};
	struct raft_entry es[3] = {entry(1, 1, "a"), entry(2, 4, "bb"),
				   entry(3, 5, "")};
	ASSERT_OK(
	    raft_storage_create(f->log, &owner, &f->s, f->err, sizeof(f->err)));
	ASSERT_OK(raft_storage_write(f->s, &hs, es, 3));
	reopen(f);
	ASSERT_EQ_U64(f->state.term, 5);
	ASSERT_EQ_U64(f->state.vote, 2);
	ASSERT_EQ_U64(f->state.n_entries, 3);
	ASSERT_EQ_U64(f->state.entries[1].term, 4);
	ASSERT_EQ_U64(f->state.entries[1].data.len, 2);
	ASSERT_EQ_MEM(f->state.entries[1].data.base, "bb", 2);
	ASSERT_EQ_U64(f->state.entries[2].data.len, 0);
	ASSERT_EQ_U64(raft_storage_last_index(f->s), 3);
}

TEST(storage, a_write_replaces_the_suffix)
{
	struct raft_entry es[5] = {entry(1, 1, "a"), entry(2, 1, "b"),
				   entry(3, 1, "c"), entry(4, 1, "d"),
				   entry(5, 1, "e")};
	struct raft_entry repl[1] = {entry(3, 2, "x")};
	ASSERT_OK(
	    raft_storage_create(f->log, &owner, &f->s, f->err, sizeof(f->err)));
	ASSERT_OK(raft_storage_write(f->s, NULL, es, 5));
	ASSERT_OK(raft_storage_write(f->s, NULL, repl, 1));
	reopen(f);
	ASSERT_EQ_U64(f->state.n_entries, 3);
	ASSERT_EQ_U64(f->state.entries[2].term, 2);
	ASSERT_EQ_MEM(f->state.entries[2].data.base, "x", 1);
}

TEST(storage, a_gap_is_refused_and_nothing_written)
{
	struct raft_hard_state hs = {.term = 7, .vote = 1};
	struct raft_entry gap[1] = {entry(2, 1, "a")};
	ASSERT_OK(
	    raft_storage_create(f->log, &owner, &f->s, f->err, sizeof(f->err)));
	ASSERT_RV(raft_storage_write(f->s, &hs, gap, 1), RAFT_EINVAL);
	ASSERT_STR_CONTAINS(raft_storage_errmsg(f->s), "gap");
	reopen(f);
	ASSERT_EQ_U64(f->state.term, 0);
	ASSERT_EQ_U64(f->state.n_entries, 0);
}

TEST(storage, a_leveldb_that_is_not_a_raft_log_is_corrupt)
{
	leveldb_options_t *o = leveldb_options_create();
	char *lerr = NULL;
	leveldb_t *db;
	leveldb_options_set_create_if_missing(o, 1);
	db = leveldb_open(o, f->log, &lerr);
	ASSERT_NULL(lerr);
	leveldb_close(db);
	leveldb_options_destroy(o);
	ASSERT_RV(raft_storage_open(f->log, &f->s, f->err, sizeof(f->err)),
		  RAFT_ECORRUPT);
	ASSERT_STR_CONTAINS(f->err, "no meta record");
}

TEST(storage, a_damaged_store_is_refused_as_corrupt)
{
	struct raft_storage *tmp;
	char path[160];
	FILE *fp;
	ASSERT_OK(
	    raft_storage_create(f->log, &owner, &tmp, f->err, sizeof(f->err)));
	raft_storage_close(tmp);
	/* CURRENT names the manifest; point it at one that is not there. */
	snprintf(path, sizeof(path), "%s/CURRENT", f->log);
	fp = fopen(path, "w");
	ASSERT_NOT_NULL(fp);
	fputs("MANIFEST-999999\n", fp);
	fclose(fp);
	ASSERT_RV(raft_storage_open(f->log, &f->s, f->err, sizeof(f->err)),
		  RAFT_ECORRUPT);
	ASSERT_STR_CONTAINS(f->err, f->log);
}

static void make_meta(struct raft_snapshot_meta *meta, raft_index index,
		      raft_term term)
{
	meta->index = index;
	meta->term = term;
	raft_configuration_init(&meta->conf);
	ASSERT_OK(raft_configuration_add(&meta->conf, 1, "127.0.0.1:7001",
					 RAFT_VOTER));
}

TEST(storage, a_snapshot_compacts_the_log_up_to_the_margin)
{
	struct raft_entry es[5] = {entry(1, 1, "a"), entry(2, 1, "b"),
				   entry(3, 2, "c"), entry(4, 2, "d"),
				   entry(5, 2, "e")};
	struct raft_entry more[1] = {entry(6, 3, "f")};
	struct raft_snapshot_meta meta;
	ASSERT_OK(
	    raft_storage_create(f->log, &owner, &f->s, f->err, sizeof(f->err)));
	ASSERT_OK(raft_storage_write(f->s, NULL, es, 5));
	make_meta(&meta, 4, 2);
	ASSERT_OK(raft_storage_snapshot(f->s, &meta, 2));
	raft_configuration_close(&meta.conf);
	ASSERT_EQ_U64(raft_storage_first_index(f->s), 3);
	ASSERT_OK(raft_storage_write(f->s, NULL, more, 1));
	reopen(f);
	ASSERT_TRUE(f->state.has_snapshot);
	ASSERT_EQ_U64(f->state.snapshot.index, 4);
	ASSERT_EQ_U64(f->state.snapshot.term, 2);
	ASSERT_EQ_U64(f->state.snapshot.conf.n, 1);
	ASSERT_EQ_U64(f->state.n_entries, 4);
	ASSERT_EQ_U64(f->state.entries[0].index, 3);
	ASSERT_EQ_U64(f->state.entries[3].index, 6);
	ASSERT_EQ_U64(raft_storage_first_index(f->s), 3);
	ASSERT_EQ_U64(raft_storage_last_index(f->s), 6);
}

TEST(storage, an_installed_snapshot_replaces_the_whole_log)
{
	struct raft_entry es[3] = {entry(1, 1, "a"), entry(2, 1, "b"),
				   entry(3, 1, "c")};
	struct raft_entry after[1] = {entry(51, 5, "z")};
	struct raft_entry stale[1] = {entry(3, 1, "c")};
	struct raft_snapshot_meta meta;
	ASSERT_OK(
	    raft_storage_create(f->log, &owner, &f->s, f->err, sizeof(f->err)));
	ASSERT_OK(raft_storage_write(f->s, NULL, es, 3));
	make_meta(&meta, 50, 4);
	ASSERT_OK(raft_storage_snapshot(f->s, &meta, RAFT_STORAGE_DROP_ALL));
	raft_configuration_close(&meta.conf);
	/* Nothing may be written below the snapshot any more. */
	ASSERT_RV(raft_storage_write(f->s, NULL, stale, 1), RAFT_EINVAL);
	ASSERT_OK(raft_storage_write(f->s, NULL, after, 1));
	reopen(f);
	ASSERT_EQ_U64(f->state.snapshot.index, 50);
	ASSERT_EQ_U64(f->state.n_entries, 1);
	ASSERT_EQ_U64(f->state.entries[0].index, 51);
}

TEST(storage, a_snapshot_with_an_empty_log_reopens_after_it)
{
	struct raft_snapshot_meta meta;
	struct raft_entry next[1] = {entry(8, 3, "n")};
	ASSERT_OK(
	    raft_storage_create(f->log, &owner, &f->s, f->err, sizeof(f->err)));
	make_meta(&meta, 7, 3);
	ASSERT_OK(raft_storage_snapshot(f->s, &meta, RAFT_STORAGE_DROP_ALL));
	raft_configuration_close(&meta.conf);
	reopen(f);
	ASSERT_EQ_U64(f->state.n_entries, 0);
	ASSERT_EQ_U64(raft_storage_first_index(f->s), 8);
	ASSERT_EQ_U64(raft_storage_last_index(f->s), 7);
	ASSERT_OK(raft_storage_write(f->s, NULL, next, 1));
}

static const struct test_case storage_cases[] = {
    TEST_CASE(storage, a_snapshot_compacts_the_log_up_to_the_margin),
    TEST_CASE(storage, an_installed_snapshot_replaces_the_whole_log),
    TEST_CASE(storage, a_snapshot_with_an_empty_log_reopens_after_it),
    TEST_CASE(storage, create_then_open_keeps_the_owner),
    TEST_CASE(storage, open_without_a_log_is_not_found),
    TEST_CASE(storage, create_over_a_log_is_refused),
    TEST_CASE(storage, a_second_opener_is_refused_while_locked),
    TEST_CASE(storage, entries_and_hard_state_survive_reopen),
    TEST_CASE(storage, a_write_replaces_the_suffix),
    TEST_CASE(storage, a_gap_is_refused_and_nothing_written),
    TEST_CASE(storage, a_leveldb_that_is_not_a_raft_log_is_corrupt),
    TEST_CASE(storage, a_damaged_store_is_refused_as_corrupt),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(storage))
