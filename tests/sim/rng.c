/* The simulator's one source of randomness: a seeded xoshiro256** PRNG. */
#include "rng.h"

uint64_t rng_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

void rng_seed(struct rng *r, uint64_t seed)
{
	/* splitmix64 expansion, as the xoshiro authors recommend: it never
	 * yields the all-zero state xoshiro cannot leave. */
	uint64_t x = seed;
	for (int i = 0; i < 4; i++) {
		x += UINT64_C(0x9e3779b97f4a7c15);
		r->s[i] = rng_mix(x);
	}
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	/* Rejection sampling: a plain modulo would favour small values, and
	 * a biased fault mix is a different fault mix. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do {
		x = rng_next(r);
	} while (x >= limit);
	return x % n;
}

uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

bool rng_ppm(struct rng *r, unsigned per_million)
{
	return rng_below(r, 1000000) < per_million;
}
