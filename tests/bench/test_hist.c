/* Tests of raftbench's latency histogram: its bucket layout, its 1% error
 * bound from 1 µs to 100 s, percentiles of known data, and merging. */
#include <math.h>
#include <stdlib.h>

#include "../../raftbench/hist.h"
#include "../unit/test.h"

/* |a - b| <= tolerance, for doubles, with both values in the message. */
#define ASSERT_NEAR(a, b, tolerance)                                        \
	do {                                                                \
		double test_a_ = (a), test_b_ = (b), test_t_ = (tolerance); \
		if (!(fabs(test_a_ - test_b_) <= test_t_)) {                \
			test_fail(__FILE__, __LINE__,                       \
				  "%s ~ %s: %.6g and %.6g differ by more "  \
				  "than %.6g",                              \
				  #a, #b, test_a_, test_b_, test_t_);       \
		}                                                           \
	} while (0)

#define US 1000u
#define MS 1000000u
#define S  1000000000ull

struct hist_fixture {
	struct hist *a;
	struct hist *b;
	struct hist *c;
};

SETUP(hist)
{
	f->a = malloc(sizeof(*f->a));
	f->b = malloc(sizeof(*f->b));
	f->c = malloc(sizeof(*f->c));
	ASSERT_NOT_NULL(f->a);
	ASSERT_NOT_NULL(f->b);
	ASSERT_NOT_NULL(f->c);
	hist_init(f->a);
	hist_init(f->b);
	hist_init(f->c);
}

TEARDOWN(hist)
{
	free(f->a);
	free(f->b);
	free(f->c);
}

/* Every bucket holds exactly [low, high], the buckets tile the range
 * without gaps, and none is wider than 1/128 of its lowest value. */
TEST(hist, buckets_tile_the_range_within_the_error_bound)
{
	unsigned i;
	for (i = 0; i < HIST_N_BUCKETS; i++) {
		uint64_t low = hist_bucket_low(i);
		uint64_t high = hist_bucket_high(i);
		ASSERT_LE_U64(low, high);
		ASSERT_EQ_U64(hist_bucket(low), i);
		ASSERT_EQ_U64(hist_bucket(high), i);
		if (i + 1 < HIST_N_BUCKETS) {
			ASSERT_EQ_U64(hist_bucket_low(i + 1), high + 1);
		}
		if (low >= 256) {
			ASSERT_LE_U64((high - low + 1) * 128, low);
		}
	}
	ASSERT_EQ_U64(hist_bucket(0), 0);
	ASSERT_EQ_U64(hist_bucket(HIST_MAX_NS), HIST_N_BUCKETS - 1);
	ASSERT_EQ_U64(hist_bucket_high(HIST_N_BUCKETS - 1), HIST_MAX_NS);
	ASSERT_EQ_U64(hist_bucket(UINT64_MAX), HIST_N_BUCKETS - 1);
}

/* One value anywhere from 1 µs to 100 s comes back as a percentile never
 * below it and at most 1% above it. */
TEST(hist, one_value_comes_back_within_one_percent_from_1us_to_100s)
{
	double v;
	for (v = 1000.0; v <= 100.0 * S; v *= 1.0007) {
		uint64_t value = (uint64_t)v;
		uint64_t p50;
		hist_init(f->a);
		hist_record(f->a, value);
		p50 = hist_percentile(f->a, 50.0);
		ASSERT_GE_U64(p50, value);
		ASSERT_LE_U64(p50 - value, value / 100);
		ASSERT_EQ_U64(hist_percentile(f->a, 100.0), value);
		ASSERT_EQ_U64(f->a->min_ns, value);
		ASSERT_EQ_U64(f->a->max_ns, value);
	}
}

/* A value's bucket is within 1% whatever else is recorded: the p-th
 * percentile of many values in the same bucket as x stays within 1%. */
TEST(hist, percentiles_of_a_spread_are_within_one_percent)
{
	uint64_t v;
	/* 1 µs, 2 µs, ..., 10 ms: every percentile has an exact answer. */
	for (v = 1; v <= 10000; v++) {
		hist_record(f->a, v * US);
	}
	ASSERT_EQ_U64(f->a->count, 10000);
	ASSERT_NEAR((double)hist_percentile(f->a, 50.0), 5000.0 * US,
		    5000.0 * US / 100);
	ASSERT_NEAR((double)hist_percentile(f->a, 90.0), 9000.0 * US,
		    9000.0 * US / 100);
	ASSERT_NEAR((double)hist_percentile(f->a, 99.0), 9900.0 * US,
		    9900.0 * US / 100);
	ASSERT_NEAR((double)hist_percentile(f->a, 99.9), 9990.0 * US,
		    9990.0 * US / 100);
	ASSERT_GE_U64(hist_percentile(f->a, 50.0), 5000 * US);
	ASSERT_EQ_U64(hist_percentile(f->a, 100.0), 10000 * US);
	ASSERT_EQ_U64(f->a->min_ns, 1 * US);
	ASSERT_EQ_U64(f->a->max_ns, 10000 * US);
	ASSERT_NEAR(hist_mean(f->a), 5000.5 * US, 1e-6);
}

/* The rank is ceil(p% of the count): of 1000 values with one outlier,
 * p99.9 is the 999th value and p100 the outlier. */
TEST(hist, percentile_rank_is_the_ceiling)
{
	unsigned i;
	for (i = 0; i < 999; i++) {
		hist_record(f->a, 1 * MS);
	}
	hist_record(f->a, 1 * S);
	ASSERT_LE_U64(hist_percentile(f->a, 99.9), 1 * MS + 1 * MS / 100);
	ASSERT_EQ_U64(hist_percentile(f->a, 99.91), 1 * S);
	ASSERT_EQ_U64(hist_percentile(f->a, 100.0), 1 * S);
	ASSERT_LE_U64(hist_percentile(f->a, 0.0001), 1 * MS + 1 * MS / 100);
	/* Two values: p50 is the lower one. */
	hist_record(f->b, 10 * US);
	hist_record(f->b, 20 * US);
	ASSERT_LE_U64(hist_percentile(f->b, 50.0), 10 * US + 10 * US / 100);
	ASSERT_EQ_U64(hist_percentile(f->b, 50.1), 20 * US);
}

TEST(hist, empty_reports_zero)
{
	ASSERT_EQ_U64(hist_percentile(f->a, 99.0), 0);
	ASSERT_NEAR(hist_mean(f->a), 0.0, 0.0);
	ASSERT_EQ_U64(f->a->count, 0);
	ASSERT_EQ_U64(f->a->max_ns, 0);
}

/* Values beyond the range count as its top, and are counted apart. */
TEST(hist, huge_values_are_clamped_and_counted)
{
	hist_record(f->a, UINT64_C(1) << 50);
	hist_record(f->a, 5 * MS);
	ASSERT_EQ_U64(f->a->clamped, 1);
	ASSERT_EQ_U64(f->a->max_ns, HIST_MAX_NS);
	ASSERT_EQ_U64(hist_percentile(f->a, 100.0), HIST_MAX_NS);
	ASSERT_EQ_U64(f->a->count, 2);
}

/* Merging two histograms gives exactly the histogram of all their
 * values, and merging an empty one changes nothing. */
TEST(hist, merge_equals_recording_everything_in_one)
{
	uint64_t x = 12345;
	unsigned i;
	for (i = 0; i < 20000; i++) {
		/* A spread of values from ~1 µs to ~10 s (an LCG). */
		uint64_t v;
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		v = (x >> 33) % (10 * S);
		v = (v >> (x % 24)) + 1000;
		hist_record(i % 3 == 0 ? f->a : f->b, v);
		hist_record(f->c, v);
	}
	hist_merge(f->a, f->b);
	ASSERT_EQ_U64(f->a->count, f->c->count);
	ASSERT_EQ_U64(f->a->min_ns, f->c->min_ns);
	ASSERT_EQ_U64(f->a->max_ns, f->c->max_ns);
	ASSERT_NEAR(f->a->sum_ns, f->c->sum_ns, f->c->sum_ns * 1e-12);
	ASSERT_EQ_MEM(f->a->counts, f->c->counts, sizeof(f->c->counts));
	ASSERT_EQ_U64(hist_percentile(f->a, 99.0), hist_percentile(f->c, 99.0));
	hist_init(f->b);
	hist_merge(f->a, f->b);
	ASSERT_EQ_U64(f->a->count, f->c->count);
	ASSERT_EQ_U64(f->a->min_ns, f->c->min_ns);
	/* Into an empty one: a copy. */
	hist_merge(f->b, f->c);
	ASSERT_EQ_U64(f->b->min_ns, f->c->min_ns);
	ASSERT_EQ_U64(hist_percentile(f->b, 50.0), hist_percentile(f->c, 50.0));
}

static const struct test_case hist_cases[] = {
    TEST_CASE(hist, buckets_tile_the_range_within_the_error_bound),
    TEST_CASE(hist, one_value_comes_back_within_one_percent_from_1us_to_100s),
    TEST_CASE(hist, percentiles_of_a_spread_are_within_one_percent),
    TEST_CASE(hist, percentile_rank_is_the_ceiling),
    TEST_CASE(hist, empty_reports_zero),
    TEST_CASE(hist, huge_values_are_clamped_and_counted),
    TEST_CASE(hist, merge_equals_recording_everything_in_one),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(hist))
