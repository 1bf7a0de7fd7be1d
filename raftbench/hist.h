/* A log-linear latency histogram in the manner of HdrHistogram: exact
 * below 256 ns, then 128 linear sub-buckets per power of two, so that every
 * recorded value up to HIST_MAX_NS is kept within 1/128 (0.79%) of its true
 * value, from 1 ns to about 18 minutes, in a fixed 34 KiB. */
#ifndef RAFT_RAFTBENCH_HIST_H
#define RAFT_RAFTBENCH_HIST_H

#include <stdint.h>

/* Sub-buckets per power of two: a bucket spans 1/HIST_SUB_HALF of its
 * lowest value, which bounds the relative error. */
#define HIST_SUB_BITS  7
#define HIST_SUB_HALF  (1u << HIST_SUB_BITS) /* 128 */
#define HIST_SUB_COUNT (2u * HIST_SUB_HALF)  /* 256 */
#define HIST_MAX_BITS  40		     /* values below 2^40 ns */
#define HIST_MAX_NS    ((UINT64_C(1) << HIST_MAX_BITS) - 1) /* ~1100 s */
#define HIST_N_BUCKETS \
	(HIST_SUB_COUNT + (HIST_MAX_BITS - HIST_SUB_BITS - 1) * HIST_SUB_HALF)

struct hist {
	uint64_t count;	  /* values recorded */
	uint64_t min_ns;  /* exact; UINT64_MAX while empty */
	uint64_t max_ns;  /* exact (clamped to HIST_MAX_NS); 0 while empty */
	double sum_ns;	  /* for the mean */
	uint64_t clamped; /* values above HIST_MAX_NS, recorded as it */
	uint64_t counts[HIST_N_BUCKETS];
};

/* Empties h. */
void hist_init(struct hist *h);

/* Records one value in nanoseconds; values above HIST_MAX_NS count as
 * HIST_MAX_NS (and in clamped). */
void hist_record(struct hist *h, uint64_t value_ns);

/* Adds every value of src to dst, as if each had been recorded there. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The bucket of a value, and the lowest and highest value of a bucket:
 * every value in [hist_bucket_low(i), hist_bucket_high(i)] falls in bucket
 * i, and high - low + 1 <= low / 128 once low >= 256. */
unsigned hist_bucket(uint64_t value_ns);
uint64_t hist_bucket_low(unsigned bucket);
uint64_t hist_bucket_high(unsigned bucket);

/* The value at percentile p (0 < p <= 100): the smallest recorded value v
 * such that at least p% of the values are <= v, reported as the highest
 * value of v's bucket (never below the true value, at most 0.79% above it)
 * and never above the exact maximum. 0 when h is empty. */
uint64_t hist_percentile(const struct hist *h, double p);

/* The mean in nanoseconds; 0 when h is empty. */
double hist_mean(const struct hist *h);

#endif /* RAFT_RAFTBENCH_HIST_H */
