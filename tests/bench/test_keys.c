/* Tests of raftbench's randomness: the seeded PRNG and the key choosers,
 * in particular that the zipfian sampler follows Zipf's law. */
#include <math.h>
#include <stdlib.h>

#include "../../raftbench/keys.h"
#include "../unit/test.h"

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

struct keys_fixture {
	struct rng rng;
	uint64_t *counts;
};

SETUP(keys)
{
	rng_seed(&f->rng, 42);
	f->counts = NULL;
}

TEARDOWN(keys)
{
	free(f->counts);
}

TEST(keys, same_seed_same_sequence)
{
	struct rng a, b, c;
	unsigned i;
	bool differs = false;
	rng_seed(&a, 7);
	rng_seed(&b, 7);
	rng_seed(&c, 8);
	for (i = 0; i < 1000; i++) {
		uint64_t x = rng_next(&a);
		ASSERT_EQ_U64(x, rng_next(&b));
		differs |= x != rng_next(&c);
	}
	ASSERT_TRUE(differs);
}

TEST(keys, doubles_are_in_zero_one)
{
	unsigned i;
	double sum = 0;
	for (i = 0; i < 100000; i++) {
		double d = rng_double(&f->rng);
		ASSERT_TRUE(d >= 0.0 && d < 1.0);
		sum += d;
	}
	ASSERT_NEAR(sum / 100000, 0.5, 0.01);
}

/* Pearson's chi-square of observed counts against expected ones. */
static double chi_square(const uint64_t *counts, const double *expected,
			 unsigned n)
{
	double chi = 0;
	unsigned i;
	for (i = 0; i < n; i++) {
		double d = (double)counts[i] - expected[i];
		chi += d * d / expected[i];
	}
	return chi;
}

/* rng_below is uniform over [0, n): chi-square with 9 degrees of freedom
 * well under its 0.1% critical value (27.9), for a fixed seed. */
TEST(keys, below_is_uniform)
{
	uint64_t counts[10] = {0};
	double expected[10];
	unsigned i;
	for (i = 0; i < 1000000; i++) {
		uint64_t k = rng_below(&f->rng, 10);
		ASSERT_LT_U64(k, 10);
		counts[k]++;
	}
	for (i = 0; i < 10; i++) {
		expected[i] = 100000.0;
	}
	ASSERT_TRUE(chi_square(counts, expected, 10) < 27.9);
	ASSERT_EQ_U64(rng_below(&f->rng, 1), 0);
}

/* Draws samples from Zipf(n, theta) and checks every rank against its
 * probability k^-theta / H(n, theta) with a chi-square test (n - 1
 * degrees of freedom; the bound is the 0.1% critical value), and the
 * most frequent rank to within 2%. */
static void check_zipf(struct keys_fixture *f, uint64_t n, double theta,
		       unsigned samples, double critical)
{
	struct zipf z;
	double *expected = malloc(n * sizeof(*expected));
	double h = 0;
	uint64_t k;
	unsigned i;
	ASSERT_NOT_NULL(expected);
	free(f->counts);
	f->counts = calloc(n, sizeof(*f->counts));
	ASSERT_NOT_NULL(f->counts);
	zipf_init(&z, n, theta);
	for (i = 0; i < samples; i++) {
		uint64_t r = zipf_next(&z, &f->rng);
		ASSERT_GE_U64(r, 1);
		ASSERT_LE_U64(r, n);
		f->counts[r - 1]++;
	}
	for (k = 1; k <= n; k++) {
		h += pow((double)k, -theta);
	}
	for (k = 1; k <= n; k++) {
		expected[k - 1] = samples * pow((double)k, -theta) / h;
	}
	ASSERT_NEAR((double)f->counts[0], expected[0], expected[0] * 0.02);
	ASSERT_TRUE(chi_square(f->counts, expected, (unsigned)n) < critical);
	free(expected);
}

TEST(keys, zipfian_0_99_follows_zipfs_law)
{
	/* 99 degrees of freedom: 148.2 at 0.1%. */
	check_zipf(f, 100, 0.99, 1000000, 148.2);
}

TEST(keys, zipfian_exponent_1_is_handled)
{
	check_zipf(f, 100, 1.0, 1000000, 148.2);
}

TEST(keys, zipfian_small_and_large_exponents)
{
	/* 49 degrees of freedom: 85.4 at 0.1%. */
	check_zipf(f, 50, 0.5, 500000, 85.4);
	check_zipf(f, 50, 2.0, 500000, 85.4);
}

/* Hot keys get hotter as theta grows, and the most popular key of 10^6
 * gets its exact share. */
TEST(keys, zipfian_over_a_million_keys)
{
	struct zipf z;
	uint64_t n = 1000000;
	uint64_t first = 0, top_tenth = 0;
	double h = 0;
	uint64_t k;
	unsigned i;
	zipf_init(&z, n, 0.99);
	for (i = 0; i < 1000000; i++) {
		uint64_t r = zipf_next(&z, &f->rng);
		ASSERT_GE_U64(r, 1);
		ASSERT_LE_U64(r, n);
		first += r == 1;
		top_tenth += r <= n / 10;
	}
	for (k = 1; k <= n; k++) {
		h += pow((double)k, -0.99);
	}
	ASSERT_NEAR((double)first, 1000000 / h, 1000000 / h * 0.03);
	/* Most of the mass is in the first tenth of the keys. */
	ASSERT_GT_U64(top_tenth, 800000);
}

TEST(keys, zipfian_of_one_key_is_that_key)
{
	struct zipf z;
	unsigned i;
	zipf_init(&z, 1, 0.99);
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ_U64(zipf_next(&z, &f->rng), 1);
	}
}

static const struct test_case keys_cases[] = {
    TEST_CASE(keys, same_seed_same_sequence),
    TEST_CASE(keys, doubles_are_in_zero_one),
    TEST_CASE(keys, below_is_uniform),
    TEST_CASE(keys, zipfian_0_99_follows_zipfs_law),
    TEST_CASE(keys, zipfian_exponent_1_is_handled),
    TEST_CASE(keys, zipfian_small_and_large_exponents),
    TEST_CASE(keys, zipfian_over_a_million_keys),
    TEST_CASE(keys, zipfian_of_one_key_is_that_key),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(keys))
