/* The PRNG and the key choosers of raftbench. */
#include "keys.h"

#include <math.h>

uint64_t keys_mix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	unsigned i;
	/* splitmix64 never yields four zero words, which xoshiro needs. */
	for (i = 0; i < 4; i++) {
		seed += UINT64_C(0x9e3779b97f4a7c15);
		r->s[i] = keys_mix(seed);
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

double rng_double(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	/* Reject the top sliver of the 64-bit range that would favour the
	 * small results. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do {
		x = rng_next(r);
	} while (x >= limit);
	return x % n;
}

/* log1p(x) / x, accurate near 0. */
static double helper1(double x)
{
	if (fabs(x) > 1e-8) {
		return log1p(x) / x;
	}
	return 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

/* expm1(x) / x, accurate near 0. */
static double helper2(double x)
{
	if (fabs(x) > 1e-8) {
		return expm1(x) / x;
	}
	return 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

/* The hat function h(x) = 1 / x^theta, which bounds the probabilities. */
static double h(const struct zipf *z, double x)
{
	return exp(-z->theta * log(x));
}

/* H(x), an antiderivative of h: (x^(1 - theta) - 1) / (1 - theta), and
 * log(x) when theta = 1, written so that both cases are one formula. */
static double h_integral(const struct zipf *z, double x)
{
	double log_x = log(x);
	return helper2((1.0 - z->theta) * log_x) * log_x;
}

/* The inverse of H. */
static double h_integral_inverse(const struct zipf *z, double x)
{
	double t = x * (1.0 - z->theta);
	/* Rounding can push t just below -1, where the inverse is not
	 * defined; -1 is the limit it approaches. */
	if (t < -1.0) {
		t = -1.0;
	}
	return exp(helper1(t) * x);
}

void zipf_init(struct zipf *z, uint64_t n, double theta)
{
	z->n = n;
	z->theta = theta;
	z->h_integral_x1 = h_integral(z, 1.5) - 1.0;
	z->h_integral_n = h_integral(z, (double)n + 0.5);
	z->s = 2.0 - h_integral_inverse(z, h_integral(z, 2.5) - h(z, 2.0));
}

uint64_t zipf_next(const struct zipf *z, struct rng *r)
{
	for (;;) {
		/* u is uniform in (H(1.5) - 1, H(n + 0.5)]: the area under
		 * the hat, where the area of rank k is [H(k - 0.5), H(k +
		 * 0.5)] and rank 1 gets a widened share of exactly 1. */
		double u = z->h_integral_n +
			   rng_double(r) * (z->h_integral_x1 - z->h_integral_n);
		double x = h_integral_inverse(z, u);
		double kd = floor(x + 0.5);
		uint64_t k;
		if (kd < 1.0) {
			k = 1;
		} else if (kd > (double)z->n) {
			k = z->n;
		} else {
			k = (uint64_t)kd;
		}
		/* Accept at once inside the squeeze, else when u falls under
		 * the true probability of k (the part of its area below
		 * h(k)). */
		if ((double)k - x <= z->s ||
		    u >= h_integral(z, (double)k + 0.5) - h(z, (double)k)) {
			return k;
		}
	}
}
