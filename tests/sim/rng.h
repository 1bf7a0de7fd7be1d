/* The simulator's one source of randomness: a seeded xoshiro256** PRNG. */
#ifndef RAFT_SIM_RNG_H
#define RAFT_SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

/* Every random choice of a run (faults, delays, workload, the cores' own
 * seeds) is drawn from one of these, so a seed replays a run exactly. */
struct rng {
	uint64_t s[4];
};

/* Seeds the state from one 64-bit number (expanded with splitmix64, so
 * neighbouring seeds give unrelated streams). */
void rng_seed(struct rng *r, uint64_t seed);

/* The next 64 random bits. */
uint64_t rng_next(struct rng *r);

/* Uniform in [0, n); n must be non-zero. */
uint64_t rng_below(struct rng *r, uint64_t n);

/* Uniform in [lo, hi], both included; lo <= hi. */
uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi);

/* True with probability per_million / 1e6. */
bool rng_ppm(struct rng *r, unsigned per_million);

/* Mixes a 64-bit value into a well-spread one (splitmix64's finalizer);
 * also the building block of the entry hash chains. */
uint64_t rng_mix(uint64_t x);

#endif /* RAFT_SIM_RNG_H */
