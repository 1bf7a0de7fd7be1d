/* Unit tests of a leader's per-follower progress (lib/core/progress.c). */
#include "core/progress.h"
#include "test.h"
#include "util/heap.h"

/* A window of 4 messages; byte limits are passed per call. */
#define WINDOW 4

struct progress_fixture {
	struct progress pr;
};

SETUP(progress)
{
	ASSERT_OK(progress_init(&f->pr, 2, RAFT_VOTER, WINDOW));
}

TEARDOWN(progress)
{
	progress_close(&f->pr);
}

/* Puts the follower in REPLICATE with this match index. */
static void replicate_from(struct progress *pr, raft_index match)
{
	progress_maybe_update(pr, match);
	progress_become_replicate(pr);
}

TEST(progress, init_probes_from_index_one)
{
	ASSERT_EQ_U64(f->pr.id, 2);
	ASSERT_EQ_U64(f->pr.role, RAFT_VOTER);
	ASSERT_EQ_U64(f->pr.state, RAFT_PROGRESS_PROBE);
	ASSERT_EQ_U64(f->pr.match, 0);
	ASSERT_EQ_U64(f->pr.next, 1);
	/* Not heard from yet: a new leader must hear it (check-quorum). */
	ASSERT_FALSE(f->pr.recent_active);
	ASSERT_FALSE(progress_is_paused(&f->pr, 0));
}

TEST(progress, init_fails_with_enomem)
{
	struct progress pr;
	heap_fault_config(0, 1);
	ASSERT_RV(progress_init(&pr, 3, RAFT_LEARNER, WINDOW), RAFT_ENOMEM);
	heap_fault_config(-1, 0);
}

TEST(progress, reset_probes_from_after_the_last_index)
{
	replicate_from(&f->pr, 5);
	progress_sent(&f->pr, 7, 10, 2);
	f->pr.recent_active = true;
	f->pr.acked_seq = 9;
	progress_reset(&f->pr, 10);
	ASSERT_EQ_U64(f->pr.state, RAFT_PROGRESS_PROBE);
	ASSERT_EQ_U64(f->pr.match, 0);
	ASSERT_EQ_U64(f->pr.next, 11);
	ASSERT_EQ_U64(f->pr.acked_seq, 0);
	ASSERT_EQ_U64(f->pr.inflights.count, 0);
	ASSERT_EQ_U64(f->pr.inflights.bytes, 0);
	/* Not heard from yet: a new leader must hear it (check-quorum). */
	ASSERT_FALSE(f->pr.recent_active);
	ASSERT_FALSE(progress_is_paused(&f->pr, 0));
}

TEST(progress, probe_pauses_after_one_send_until_an_answer)
{
	progress_reset(&f->pr, 4);
	progress_sent(&f->pr, 5, 100, 1);
	ASSERT_TRUE(progress_is_paused(&f->pr, 0));
	/* A probe does not move next nor fill the window. */
	ASSERT_EQ_U64(f->pr.next, 5);
	ASSERT_EQ_U64(f->pr.inflights.count, 0);
	ASSERT_TRUE(progress_maybe_update(&f->pr, 5));
	ASSERT_FALSE(progress_is_paused(&f->pr, 0));
}

TEST(progress, empty_probe_also_pauses)
{
	progress_sent(&f->pr, 0, 0, 0);
	ASSERT_TRUE(progress_is_paused(&f->pr, 0));
}

TEST(progress, probe_is_not_paused_by_bytes)
{
	/* The byte limit applies to the window, which a probe does not use. */
	ASSERT_FALSE(progress_is_paused(&f->pr, 1));
}

TEST(progress, become_replicate_streams_from_after_match)
{
	progress_reset(&f->pr, 9);
	progress_sent(&f->pr, 10, 1, 1);
	ASSERT_TRUE(progress_maybe_update(&f->pr, 10));
	progress_become_replicate(&f->pr);
	ASSERT_EQ_U64(f->pr.state, RAFT_PROGRESS_REPLICATE);
	ASSERT_EQ_U64(f->pr.next, 11);
	ASSERT_FALSE(progress_is_paused(&f->pr, 0));
}

TEST(progress, replicate_send_moves_next_and_fills_the_window)
{
	replicate_from(&f->pr, 3);
	progress_sent(&f->pr, 6, 30, 3);
	ASSERT_EQ_U64(f->pr.next, 7);
	ASSERT_EQ_U64(f->pr.inflights.count, 1);
	ASSERT_EQ_U64(f->pr.inflights.bytes, 30);
	progress_sent(&f->pr, 8, 20, 2);
	ASSERT_EQ_U64(f->pr.next, 9);
	ASSERT_EQ_U64(f->pr.inflights.count, 2);
	ASSERT_EQ_U64(f->pr.inflights.bytes, 50);
}

TEST(progress, replicate_empty_send_takes_no_window_slot)
{
	replicate_from(&f->pr, 3);
	progress_sent(&f->pr, 3, 0, 0);
	ASSERT_EQ_U64(f->pr.next, 4);
	ASSERT_EQ_U64(f->pr.inflights.count, 0);
	ASSERT_FALSE(progress_is_paused(&f->pr, 0));
}

TEST(progress, replicate_paused_when_window_is_full_by_count)
{
	raft_index i;
	replicate_from(&f->pr, 1);
	for (i = 2; i < 2 + WINDOW; i++) {
		ASSERT_FALSE(progress_is_paused(&f->pr, 0));
		progress_sent(&f->pr, i, 1, 1);
	}
	ASSERT_TRUE(progress_is_paused(&f->pr, 0));
	/* One acknowledgement frees one slot. */
	ASSERT_TRUE(progress_maybe_update(&f->pr, 2));
	progress_free_to(&f->pr, 2);
	ASSERT_FALSE(progress_is_paused(&f->pr, 0));
	ASSERT_EQ_U64(f->pr.inflights.count, WINDOW - 1);
}

TEST(progress, replicate_paused_when_window_is_full_by_bytes)
{
	replicate_from(&f->pr, 1);
	progress_sent(&f->pr, 2, 60, 1);
	ASSERT_FALSE(progress_is_paused(&f->pr, 100));
	progress_sent(&f->pr, 3, 40, 1);
	/* At the limit counts as full. */
	ASSERT_TRUE(progress_is_paused(&f->pr, 100));
	/* No byte limit: only the count matters. */
	ASSERT_FALSE(progress_is_paused(&f->pr, 0));
	progress_free_to(&f->pr, 2);
	ASSERT_EQ_U64(f->pr.inflights.bytes, 40);
	ASSERT_FALSE(progress_is_paused(&f->pr, 100));
}

TEST(progress, free_to_frees_only_the_acknowledged_prefix)
{
	replicate_from(&f->pr, 2);
	progress_sent(&f->pr, 3, 10, 1);
	progress_sent(&f->pr, 5, 20, 2);
	progress_sent(&f->pr, 8, 30, 3);
	/* Index 4 is inside the second message: it stays in flight. */
	progress_free_to(&f->pr, 4);
	ASSERT_EQ_U64(f->pr.inflights.count, 2);
	ASSERT_EQ_U64(f->pr.inflights.bytes, 50);
	progress_free_to(&f->pr, 5);
	ASSERT_EQ_U64(f->pr.inflights.count, 1);
	ASSERT_EQ_U64(f->pr.inflights.bytes, 30);
	/* An old acknowledgement frees nothing more. */
	progress_free_to(&f->pr, 3);
	ASSERT_EQ_U64(f->pr.inflights.count, 1);
	progress_free_to(&f->pr, 100);
	ASSERT_EQ_U64(f->pr.inflights.count, 0);
	ASSERT_EQ_U64(f->pr.inflights.bytes, 0);
}

TEST(progress, window_ring_wraps_around)
{
	raft_index last = 1, acked = 1;
	unsigned round;
	replicate_from(&f->pr, 1);
	for (round = 0; round < 5 * WINDOW; round++) {
		/* Keep three messages out, acknowledge the oldest. */
		while (f->pr.inflights.count < 3) {
			last++;
			progress_sent(&f->pr, last, last, 1);
		}
		acked++;
		ASSERT_TRUE(progress_maybe_update(&f->pr, acked));
		progress_free_to(&f->pr, acked);
		ASSERT_EQ_U64(f->pr.inflights.count, last - acked);
		ASSERT_EQ_U64(f->pr.inflights.bytes,
			      (acked + 1 + last) * (last - acked) / 2);
	}
	progress_free_to(&f->pr, last);
	ASSERT_EQ_U64(f->pr.inflights.count, 0);
	ASSERT_EQ_U64(f->pr.inflights.bytes, 0);
}

TEST(progress, maybe_update_moves_match_forward_only)
{
	ASSERT_TRUE(progress_maybe_update(&f->pr, 5));
	ASSERT_EQ_U64(f->pr.match, 5);
	ASSERT_EQ_U64(f->pr.next, 6);
	/* Equal or lower: a duplicate or reordered answer. */
	ASSERT_FALSE(progress_maybe_update(&f->pr, 5));
	ASSERT_FALSE(progress_maybe_update(&f->pr, 3));
	ASSERT_EQ_U64(f->pr.match, 5);
	ASSERT_EQ_U64(f->pr.next, 6);
}

TEST(progress, maybe_update_never_moves_next_back)
{
	replicate_from(&f->pr, 2);
	progress_sent(&f->pr, 9, 0, 7);
	ASSERT_EQ_U64(f->pr.next, 10);
	ASSERT_TRUE(progress_maybe_update(&f->pr, 4));
	ASSERT_EQ_U64(f->pr.match, 4);
	ASSERT_EQ_U64(f->pr.next, 10);
}

TEST(progress, maybe_decr_in_replicate_ignores_a_stale_rejection)
{
	replicate_from(&f->pr, 5);
	progress_sent(&f->pr, 9, 4, 4);
	/* Rejections of indexes at or below match were sent before the
	 * follower matched. */
	ASSERT_FALSE(progress_maybe_decr(&f->pr, 5, 0));
	ASSERT_FALSE(progress_maybe_decr(&f->pr, 3, 0));
	ASSERT_EQ_U64(f->pr.state, RAFT_PROGRESS_REPLICATE);
	ASSERT_EQ_U64(f->pr.next, 10);
	ASSERT_EQ_U64(f->pr.match, 5);
	ASSERT_EQ_U64(f->pr.inflights.count, 1);
}

TEST(progress, maybe_decr_in_replicate_falls_back_to_after_match)
{
	replicate_from(&f->pr, 5);
	progress_sent(&f->pr, 9, 4, 4);
	ASSERT_TRUE(progress_maybe_decr(&f->pr, 7, 2));
	ASSERT_EQ_U64(f->pr.next, 6);
	ASSERT_EQ_U64(f->pr.match, 5);
}

TEST(progress, maybe_decr_in_probe_ignores_a_rejection_of_another_index)
{
	progress_reset(&f->pr, 9);
	progress_sent(&f->pr, 10, 1, 1);
	/* The probe out has prev index 9; an answer about 7 is stale. */
	ASSERT_FALSE(progress_maybe_decr(&f->pr, 7, 3));
	ASSERT_FALSE(progress_maybe_decr(&f->pr, 12, 3));
	ASSERT_EQ_U64(f->pr.next, 10);
	ASSERT_TRUE(progress_is_paused(&f->pr, 0));
}

TEST(progress, maybe_decr_in_probe_jumps_to_the_hint)
{
	progress_reset(&f->pr, 9);
	progress_sent(&f->pr, 10, 1, 1);
	ASSERT_TRUE(progress_maybe_decr(&f->pr, 9, 3));
	ASSERT_EQ_U64(f->pr.next, 4);
	/* The answer came: the next probe may go. */
	ASSERT_FALSE(progress_is_paused(&f->pr, 0));
}

TEST(progress, maybe_decr_in_probe_never_moves_next_up)
{
	progress_reset(&f->pr, 9);
	progress_sent(&f->pr, 10, 1, 1);
	ASSERT_TRUE(progress_maybe_decr(&f->pr, 9, 20));
	ASSERT_EQ_U64(f->pr.next, 9);
}

TEST(progress, maybe_decr_in_probe_never_goes_below_match)
{
	/* Match 5 is known, a probe with prev index 9 is out; the hint 2 of
	 * its rejection cannot be right about what is below match. */
	replicate_from(&f->pr, 5);
	progress_become_probe(&f->pr);
	f->pr.next = 10;
	progress_sent(&f->pr, 10, 1, 1);
	ASSERT_TRUE(progress_maybe_decr(&f->pr, 9, 2));
	ASSERT_EQ_U64(f->pr.next, 6);
}

TEST(progress, maybe_decr_in_probe_at_index_one_probes_from_the_start)
{
	progress_reset(&f->pr, 1);
	ASSERT_TRUE(progress_maybe_decr(&f->pr, 1, 0));
	ASSERT_EQ_U64(f->pr.next, 1);
}

TEST(progress, become_probe_restarts_after_match_and_clears_the_window)
{
	replicate_from(&f->pr, 5);
	progress_sent(&f->pr, 7, 10, 2);
	progress_sent(&f->pr, 9, 10, 2);
	progress_become_probe(&f->pr);
	ASSERT_EQ_U64(f->pr.state, RAFT_PROGRESS_PROBE);
	ASSERT_EQ_U64(f->pr.next, 6);
	ASSERT_EQ_U64(f->pr.inflights.count, 0);
	ASSERT_EQ_U64(f->pr.inflights.bytes, 0);
	ASSERT_FALSE(progress_is_paused(&f->pr, 1));
}

TEST(progress, become_replicate_clears_the_window)
{
	replicate_from(&f->pr, 5);
	progress_sent(&f->pr, 7, 10, 2);
	progress_become_replicate(&f->pr);
	ASSERT_EQ_U64(f->pr.next, 6);
	ASSERT_EQ_U64(f->pr.inflights.count, 0);
	ASSERT_EQ_U64(f->pr.inflights.bytes, 0);
}

static const struct test_case progress_cases[] = {
    TEST_CASE(progress, init_probes_from_index_one),
    TEST_CASE(progress, init_fails_with_enomem),
    TEST_CASE(progress, reset_probes_from_after_the_last_index),
    TEST_CASE(progress, probe_pauses_after_one_send_until_an_answer),
    TEST_CASE(progress, empty_probe_also_pauses),
    TEST_CASE(progress, probe_is_not_paused_by_bytes),
    TEST_CASE(progress, become_replicate_streams_from_after_match),
    TEST_CASE(progress, replicate_send_moves_next_and_fills_the_window),
    TEST_CASE(progress, replicate_empty_send_takes_no_window_slot),
    TEST_CASE(progress, replicate_paused_when_window_is_full_by_count),
    TEST_CASE(progress, replicate_paused_when_window_is_full_by_bytes),
    TEST_CASE(progress, free_to_frees_only_the_acknowledged_prefix),
    TEST_CASE(progress, window_ring_wraps_around),
    TEST_CASE(progress, maybe_update_moves_match_forward_only),
    TEST_CASE(progress, maybe_update_never_moves_next_back),
    TEST_CASE(progress, maybe_decr_in_replicate_ignores_a_stale_rejection),
    TEST_CASE(progress, maybe_decr_in_replicate_falls_back_to_after_match),
    TEST_CASE(progress,
	      maybe_decr_in_probe_ignores_a_rejection_of_another_index),
    TEST_CASE(progress, maybe_decr_in_probe_jumps_to_the_hint),
    TEST_CASE(progress, maybe_decr_in_probe_never_moves_next_up),
    TEST_CASE(progress, maybe_decr_in_probe_never_goes_below_match),
    TEST_CASE(progress, maybe_decr_in_probe_at_index_one_probes_from_the_start),
    TEST_CASE(progress,
	      become_probe_restarts_after_match_and_clears_the_window),
    TEST_CASE(progress, become_replicate_clears_the_window),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(progress))
