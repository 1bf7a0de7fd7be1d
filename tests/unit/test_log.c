/* Unit tests of the in-memory log (lib/core/log.c). */
#include <string.h>

#include "core/log.h"
#include "test.h"
#include "util/heap.h"

struct log_fixture {
	struct log log;
};

SETUP(log)
{
	log_init(&f->log);
}

TEARDOWN(log)
{
	log_close(&f->log);
}

/* Appends one entry holding the string (empty for NULL). */
static void append(struct log *log, raft_term term, const char *data)
{
	struct raft_buf buf;
	size_t len = data != NULL ? strlen(data) : 0;
	ASSERT_OK(log_reserve(log, 1));
	ASSERT_OK(log_data_new(data, len, &buf));
	log_append_ref(log, term, RAFT_ENTRY_NORMAL, buf);
}

/* Appends entries with these terms, at the next indexes. */
static void append_terms(struct log *log, const raft_term *terms, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		append(log, terms[i], "x");
	}
}

static void assert_entry(const struct log *log, raft_index index,
			 raft_term term, const char *data)
{
	const struct raft_entry *e = log_get(log, index);
	ASSERT_NOT_NULL(e);
	ASSERT_EQ_U64(e->index, index);
	ASSERT_EQ_U64(e->term, term);
	ASSERT_EQ_U64(e->data.len, strlen(data));
	ASSERT_EQ_MEM(e->data.base, data, strlen(data));
}

TEST(log, starts_empty_at_index_zero_term_zero)
{
	ASSERT_EQ_U64(log_last_index(&f->log), 0);
	ASSERT_EQ_U64(log_last_term(&f->log), 0);
	ASSERT_EQ_U64(log_term_at(&f->log, 0), 0);
	ASSERT_EQ_U64(log_term_at(&f->log, 1), 0);
	ASSERT_NULL(log_get(&f->log, 0));
	ASSERT_NULL(log_get(&f->log, 1));
	ASSERT_EQ_U64(f->log.unstable_from, 1);
}

TEST(log, append_assigns_consecutive_indexes)
{
	append(&f->log, 1, "a");
	append(&f->log, 1, "b");
	append(&f->log, 3, "c");
	ASSERT_EQ_U64(log_last_index(&f->log), 3);
	ASSERT_EQ_U64(log_last_term(&f->log), 3);
	assert_entry(&f->log, 1, 1, "a");
	assert_entry(&f->log, 2, 1, "b");
	assert_entry(&f->log, 3, 3, "c");
	ASSERT_EQ_U64(log_get(&f->log, 3)->type, RAFT_ENTRY_NORMAL);
}

TEST(log, term_at_is_zero_outside_the_log)
{
	static const raft_term terms[] = {1, 2, 2};
	append_terms(&f->log, terms, 3);
	ASSERT_EQ_U64(log_term_at(&f->log, 0), 0);
	ASSERT_EQ_U64(log_term_at(&f->log, 1), 1);
	ASSERT_EQ_U64(log_term_at(&f->log, 3), 2);
	ASSERT_EQ_U64(log_term_at(&f->log, 4), 0);
	ASSERT_EQ_U64(log_term_at(&f->log, UINT64_MAX), 0);
}

TEST(log, get_is_null_outside_the_log)
{
	append(&f->log, 1, "a");
	ASSERT_NULL(log_get(&f->log, 0));
	ASSERT_NOT_NULL(log_get(&f->log, 1));
	ASSERT_NULL(log_get(&f->log, 2));
	ASSERT_NULL(log_get(&f->log, UINT64_MAX));
}

TEST(log, reserve_grows_so_that_appends_never_fail)
{
	size_t i;
	ASSERT_OK(log_reserve(&f->log, 0));
	ASSERT_OK(log_reserve(&f->log, 200));
	ASSERT_GE_U64(f->log.cap, 200);
	for (i = 0; i < 200; i++) {
		struct raft_buf empty = {NULL, 0};
		log_append_ref(&f->log, 1, RAFT_ENTRY_NOOP, empty);
	}
	ASSERT_EQ_U64(log_last_index(&f->log), 200);
	/* Room for one more beyond a full array. */
	ASSERT_OK(log_reserve(&f->log, f->log.cap - f->log.n + 1));
	ASSERT_GT_U64(f->log.cap, f->log.n);
}

TEST(log, reserve_fails_with_enomem_and_keeps_the_entries)
{
	append(&f->log, 1, "a");
	heap_fault_config(0, 1);
	ASSERT_RV(log_reserve(&f->log, 1000), RAFT_ENOMEM);
	heap_fault_config(-1, 0);
	ASSERT_EQ_U64(log_last_index(&f->log), 1);
	assert_entry(&f->log, 1, 1, "a");
	ASSERT_OK(log_reserve(&f->log, 1000));
}

TEST(log, data_new_copies_the_bytes)
{
	char src[] = "payload";
	struct raft_buf buf;
	ASSERT_OK(log_data_new(src, sizeof(src), &buf));
	src[0] = 'X';
	ASSERT_EQ_U64(buf.len, sizeof(src));
	ASSERT_EQ_MEM(buf.base, "payload", sizeof(src));
	log_data_unref(buf);
}

TEST(log, empty_payload_takes_no_memory)
{
	long live = heap_live_count();
	struct raft_buf buf = {(void *)1, 99};
	ASSERT_OK(log_data_new("ignored", 0, &buf));
	ASSERT_NULL(buf.base);
	ASSERT_EQ_U64(buf.len, 0);
	ASSERT_EQ_INT(heap_live_count(), live);
	/* References to an empty payload are no-ops. */
	log_data_ref(buf);
	log_data_unref(buf);
	log_data_unref(buf);
}

TEST(log, data_new_fails_with_enomem)
{
	long live = heap_live_count();
	struct raft_buf buf;
	heap_fault_config(0, 1);
	ASSERT_RV(log_data_new("abc", 3, &buf), RAFT_ENOMEM);
	heap_fault_config(-1, 0);
	ASSERT_EQ_INT(heap_live_count(), live);
}

TEST(log, last_reference_frees_the_payload)
{
	long live = heap_live_count();
	struct raft_buf buf;
	ASSERT_OK(log_data_new("abc", 3, &buf));
	ASSERT_EQ_INT(heap_live_count(), live + 1);
	log_data_ref(buf);
	log_data_ref(buf);
	log_data_unref(buf);
	log_data_unref(buf);
	ASSERT_EQ_INT(heap_live_count(), live + 1);
	ASSERT_EQ_MEM(buf.base, "abc", 3);
	log_data_unref(buf);
	ASSERT_EQ_INT(heap_live_count(), live);
}

TEST(log, truncate_removes_the_suffix_and_frees_its_payloads)
{
	long live;
	append(&f->log, 1, "a");
	append(&f->log, 1, "b");
	append(&f->log, 2, "c");
	append(&f->log, 2, "d");
	live = heap_live_count();
	log_truncate(&f->log, 3);
	ASSERT_EQ_U64(log_last_index(&f->log), 2);
	ASSERT_EQ_U64(log_last_term(&f->log), 1);
	ASSERT_NULL(log_get(&f->log, 3));
	ASSERT_EQ_U64(log_term_at(&f->log, 3), 0);
	ASSERT_EQ_INT(heap_live_count(), live - 2);
	assert_entry(&f->log, 2, 1, "b");
}

TEST(log, truncate_beyond_the_last_index_changes_nothing)
{
	append(&f->log, 1, "a");
	f->log.unstable_from = 2;
	log_truncate(&f->log, 5);
	ASSERT_EQ_U64(log_last_index(&f->log), 1);
	ASSERT_EQ_U64(f->log.unstable_from, 2);
}

TEST(log, truncate_everything_then_append_reuses_the_indexes)
{
	append(&f->log, 1, "a");
	append(&f->log, 1, "b");
	log_truncate(&f->log, 1);
	ASSERT_EQ_U64(log_last_index(&f->log), 0);
	ASSERT_EQ_U64(log_last_term(&f->log), 0);
	append(&f->log, 2, "c");
	assert_entry(&f->log, 1, 2, "c");
}

TEST(log, truncate_below_unstable_moves_it_back)
{
	static const raft_term terms[] = {1, 1, 1, 1, 1};
	append_terms(&f->log, terms, 5);
	/* Everything was handed out to be persisted. */
	f->log.unstable_from = 6;
	log_truncate(&f->log, 3);
	ASSERT_EQ_U64(f->log.unstable_from, 3);
	append(&f->log, 2, "new");
	ASSERT_EQ_U64(f->log.unstable_from, 3);
	assert_entry(&f->log, 3, 2, "new");
}

TEST(log, truncate_above_unstable_keeps_it)
{
	static const raft_term terms[] = {1, 1, 1, 1, 1};
	append_terms(&f->log, terms, 5);
	f->log.unstable_from = 2;
	log_truncate(&f->log, 4);
	ASSERT_EQ_U64(f->log.unstable_from, 2);
}

TEST(log, payload_survives_truncation_while_referenced)
{
	struct raft_buf held;
	long live;
	append(&f->log, 1, "kept");
	append(&f->log, 1, "in flight");
	/* A message being sent holds a reference, as the core's do. */
	held = log_get(&f->log, 2)->data;
	log_data_ref(held);
	live = heap_live_count();
	log_truncate(&f->log, 2);
	ASSERT_EQ_INT(heap_live_count(), live);
	ASSERT_EQ_U64(held.len, 9);
	ASSERT_EQ_MEM(held.base, "in flight", 9);
	/* A new entry at the same index does not disturb it. */
	append(&f->log, 2, "replaced");
	assert_entry(&f->log, 2, 2, "replaced");
	ASSERT_EQ_MEM(held.base, "in flight", 9);
	log_data_unref(held);
	ASSERT_EQ_INT(heap_live_count(), live);
}

TEST(log, payload_survives_close_while_referenced)
{
	struct raft_buf held;
	append(&f->log, 1, "abc");
	held = log_get(&f->log, 1)->data;
	log_data_ref(held);
	log_close(&f->log);
	log_init(&f->log);
	ASSERT_EQ_MEM(held.base, "abc", 3);
	log_data_unref(held);
}

TEST(log, close_frees_every_payload)
{
	long live = heap_live_count();
	static const raft_term terms[] = {1, 1, 2, 3, 3};
	struct raft_buf empty = {NULL, 0};
	append_terms(&f->log, terms, 5);
	ASSERT_OK(log_reserve(&f->log, 1));
	log_append_ref(&f->log, 3, RAFT_ENTRY_NOOP, empty);
	log_close(&f->log);
	ASSERT_EQ_INT(heap_live_count(), live);
	log_init(&f->log);
}

/* Terms 1 1 2 2 2 4 4 at indexes 1..7. */
static void fill_for_conflicts(struct log *log)
{
	static const raft_term terms[] = {1, 1, 2, 2, 2, 4, 4};
	append_terms(log, terms, 7);
}

TEST(log, find_conflict_by_term_keeps_an_index_whose_term_is_low_enough)
{
	fill_for_conflicts(&f->log);
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 7, 4), 7);
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 7, 9), 7);
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 4, 2), 4);
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 2, 1), 2);
}

TEST(log, find_conflict_by_term_skips_a_whole_higher_term)
{
	fill_for_conflicts(&f->log);
	/* No entry of term 3: the last of term 2 is the answer. */
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 7, 3), 5);
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 7, 2), 5);
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 5, 1), 2);
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 7, 1), 2);
}

TEST(log, find_conflict_by_term_stops_at_the_offset)
{
	fill_for_conflicts(&f->log);
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 7, 0), 0);
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 0, 0), 0);
}

TEST(log, find_conflict_by_term_clamps_to_the_last_index)
{
	fill_for_conflicts(&f->log);
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 100, 4), 7);
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 100, 3), 5);
}

TEST(log, find_conflict_by_term_on_an_empty_log_is_zero)
{
	ASSERT_EQ_U64(log_find_conflict_by_term(&f->log, 5, 3), 0);
}

static const struct test_case log_cases[] = {
    TEST_CASE(log, starts_empty_at_index_zero_term_zero),
    TEST_CASE(log, append_assigns_consecutive_indexes),
    TEST_CASE(log, term_at_is_zero_outside_the_log),
    TEST_CASE(log, get_is_null_outside_the_log),
    TEST_CASE(log, reserve_grows_so_that_appends_never_fail),
    TEST_CASE(log, reserve_fails_with_enomem_and_keeps_the_entries),
    TEST_CASE(log, data_new_copies_the_bytes),
    TEST_CASE(log, empty_payload_takes_no_memory),
    TEST_CASE(log, data_new_fails_with_enomem),
    TEST_CASE(log, last_reference_frees_the_payload),
    TEST_CASE(log, truncate_removes_the_suffix_and_frees_its_payloads),
    TEST_CASE(log, truncate_beyond_the_last_index_changes_nothing),
    TEST_CASE(log, truncate_everything_then_append_reuses_the_indexes),
    TEST_CASE(log, truncate_below_unstable_moves_it_back),
    TEST_CASE(log, truncate_above_unstable_keeps_it),
    TEST_CASE(log, payload_survives_truncation_while_referenced),
    TEST_CASE(log, payload_survives_close_while_referenced),
    TEST_CASE(log, close_frees_every_payload),
    TEST_CASE(log,
	      find_conflict_by_term_keeps_an_index_whose_term_is_low_enough),
    TEST_CASE(log, find_conflict_by_term_skips_a_whole_higher_term),
    TEST_CASE(log, find_conflict_by_term_stops_at_the_offset),
    TEST_CASE(log, find_conflict_by_term_clamps_to_the_last_index),
    TEST_CASE(log, find_conflict_by_term_on_an_empty_log_is_zero),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(log))
