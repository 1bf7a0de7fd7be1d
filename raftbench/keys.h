/* Where raftbench's randomness comes from: a seeded PRNG (xoshiro256**)
 * and the key choosers, uniform and zipfian. */
#ifndef RAFT_RAFTBENCH_KEYS_H
#define RAFT_RAFTBENCH_KEYS_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* Seeds r from one number (expanded with splitmix64): the same seed gives
 * the same sequence. */
void rng_seed(struct rng *r, uint64_t seed);

/* The next 64 random bits. */
uint64_t rng_next(struct rng *r);

/* A uniform double in [0, 1). */
double rng_double(struct rng *r);

/* A uniform integer in [0, n), n > 0 (without modulo bias). */
uint64_t rng_below(struct rng *r, uint64_t n);

/* splitmix64's mixing function: a fixed, well-spread hash of x. */
uint64_t keys_mix(uint64_t x);

/* Zipf's law over the ranks 1..n: rank k comes with probability
 * proportional to 1 / k^theta. Sampled exactly, in O(1) time and space, by
 * rejection-inversion (W. Hörmann and G. Derflinger, "Rejection-inversion
 * to generate variates from monotone discrete distributions", ACM TOMACS
 * 6(3), 1996), which works for any theta > 0, theta = 1 included. */
struct zipf {
	uint64_t n;
	double theta;
	double h_integral_x1; /* H(1.5) - 1 */
	double h_integral_n;  /* H(n + 0.5) */
	double s;	      /* the squeeze that saves most evaluations */
};

/* Prepares z for n >= 1 ranks and exponent theta > 0. */
void zipf_init(struct zipf *z, uint64_t n, double theta);

/* A rank in [1, n]. */
uint64_t zipf_next(const struct zipf *z, struct rng *r);

#endif /* RAFT_RAFTBENCH_KEYS_H */
