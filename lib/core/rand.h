/* The core's private PRNG (splitmix64): seeded by the caller, no globals. */
#ifndef RAFT_CORE_RAND_H
#define RAFT_CORE_RAND_H

#include <stdint.h>

/* Next 64-bit value of the generator whose state is *state. */
static inline uint64_t rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A value in [0, n); n > 0. The modulo bias is negligible for small n. */
static inline uint64_t rand_below(uint64_t *state, uint64_t n)
{
	return rand_next(state) % n;
}

#endif /* RAFT_CORE_RAND_H */
