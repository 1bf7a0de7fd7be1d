/* The latency histogram of raftbench (see hist.h for the layout). */
#include "hist.h"

#include <string.h>

/* Layout: buckets 0..255 hold the values 0..255 exactly. Above, the values
 * with their highest set bit at position 7 + m (m >= 1) are split into 128
 * buckets of width 2^m: value v goes to 256 + (m - 1) * 128 + (v >> m) -
 * 128, where v >> m is in [128, 256). */

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

/* The position of the highest set bit of v (v > 0). */
static unsigned high_bit(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

unsigned hist_bucket(uint64_t value_ns)
{
	unsigned m;
	if (value_ns > HIST_MAX_NS) {
		value_ns = HIST_MAX_NS;
	}
	if (value_ns < HIST_SUB_COUNT) {
		return (unsigned)value_ns;
	}
	m = high_bit(value_ns) - HIST_SUB_BITS;
	return HIST_SUB_COUNT + (m - 1) * HIST_SUB_HALF +
	       (unsigned)(value_ns >> m) - HIST_SUB_HALF;
}

uint64_t hist_bucket_low(unsigned bucket)
{
	unsigned k, m;
	if (bucket < HIST_SUB_COUNT) {
		return bucket;
	}
	k = bucket - HIST_SUB_COUNT;
	m = k / HIST_SUB_HALF + 1;
	return (uint64_t)(k % HIST_SUB_HALF + HIST_SUB_HALF) << m;
}

uint64_t hist_bucket_high(unsigned bucket)
{
	unsigned m;
	if (bucket < HIST_SUB_COUNT) {
		return bucket;
	}
	m = (bucket - HIST_SUB_COUNT) / HIST_SUB_HALF + 1;
	return hist_bucket_low(bucket) + ((uint64_t)1 << m) - 1;
}

void hist_record(struct hist *h, uint64_t value_ns)
{
	if (value_ns > HIST_MAX_NS) {
		value_ns = HIST_MAX_NS;
		h->clamped++;
	}
	h->counts[hist_bucket(value_ns)]++;
	h->count++;
	h->sum_ns += (double)value_ns;
	if (value_ns < h->min_ns) {
		h->min_ns = value_ns;
	}
	if (value_ns > h->max_ns) {
		h->max_ns = value_ns;
	}
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned i;
	if (src->count == 0) {
		return;
	}
	for (i = 0; i < HIST_N_BUCKETS; i++) {
		dst->counts[i] += src->counts[i];
	}
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	dst->clamped += src->clamped;
	if (src->min_ns < dst->min_ns) {
		dst->min_ns = src->min_ns;
	}
	if (src->max_ns > dst->max_ns) {
		dst->max_ns = src->max_ns;
	}
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t rank, seen = 0;
	double want;
	unsigned i;
	if (h->count == 0) {
		return 0;
	}
	if (p > 100.0) {
		p = 100.0;
	}
	/* The rank of the value wanted, 1-based: ceil(p% of count), at
	 * least 1. Computed in double, then nudged so that 99.9% of 1000
	 * values is rank 999 and not 1000 by a rounding error. */
	want = p / 100.0 * (double)h->count;
	rank = (uint64_t)want;
	if ((double)rank < want - 1e-9) {
		rank++;
	}
	if (rank < 1) {
		rank = 1;
	}
	if (rank > h->count) {
		rank = h->count;
	}
	for (i = 0; i < HIST_N_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t v = hist_bucket_high(i);
			if (v > h->max_ns) {
				v = h->max_ns;
			}
			if (v < h->min_ns) {
				v = h->min_ns;
			}
			return v;
		}
	}
	return h->max_ns;
}

double hist_mean(const struct hist *h)
{
	return h->count == 0 ? 0.0 : h->sum_ns / (double)h->count;
}
