/* raftbench: the run's configuration, the load generator and the results
 * shared by its files. */
#ifndef RAFT_RAFTBENCH_BENCH_H
#define RAFT_RAFTBENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"

/* Exit statuses (raftbench(1) lists them). */
#define BENCH_EXIT_OK	   0
#define BENCH_EXIT_FAILURE 1
#define BENCH_EXIT_USAGE   2

#define BENCH_DEFAULT_ENDPOINTS	  "127.0.0.1:8001"
#define BENCH_DEFAULT_CONNECTIONS 16
#define BENCH_DEFAULT_DURATION_S  10.0
#define BENCH_DEFAULT_KEYS	  10000
#define BENCH_DEFAULT_VALUE_SIZE  100
#define BENCH_DEFAULT_TIMEOUT_MS  5000
#define BENCH_DEFAULT_ZIPF_THETA  0.99
#define BENCH_DEFAULT_KEY_PREFIX  "raftbench-"

#define BENCH_MAX_CONNECTIONS 10000
#define BENCH_MAX_KEYS	      100000000
#define BENCH_MAX_VALUE_SIZE  (64u << 20)
#define BENCH_MAX_SECONDS     86400.0
#define BENCH_MAX_RATE	      10000000.0
#define BENCH_MAX_TIMEOUT_MS  3600000
#define BENCH_MAX_PREFIX      1024
#define BENCH_MAX_SEED	      ((UINT64_C(1) << 53) - 1)

/* Values are windows of one random buffer, at an offset below this: a
 * cas knows a key's value by its offset alone. */
#define BENCH_VALUE_WINDOW 4096

enum bench_op { OP_PUT, OP_GET, OP_CAS, OP_DELETE, N_OPS };

enum bench_target { TARGET_RAFTD, TARGET_ETCD };

/* Where requests go: every connection to the leader, or the connections
 * spread round-robin over the endpoints. */
enum bench_routing { ROUTING_DEFAULT, ROUTING_LEADER, ROUTING_SPREAD };

enum bench_distribution { DIST_UNIFORM, DIST_ZIPFIAN };

enum bench_output { OUTPUT_TABLE, OUTPUT_JSON };

/* Same values as enum raft_client_consistency. */
enum bench_consistency { CONS_LINEARIZABLE, CONS_LEASE, CONS_STALE };

struct bench_config {
	const char *endpoints;	    /* comma-separated, as given */
	const char *endpoints_from; /* "--endpoints", "RAFTBENCH_ENDPOINTS"
				       or "default endpoint" */
	int target;		    /* enum bench_target */
	int routing;		    /* enum bench_routing, resolved */
	unsigned connections;
	double duration_s; /* 0: none (then requests > 0) */
	uint64_t requests; /* 0: none (then duration_s > 0) */
	double warmup_s;
	double rate;		/* requests per second; 0: closed loop */
	unsigned mix[N_OPS];	/* weights, their sum > 0 */
	int consistency;	/* enum bench_consistency, for gets */
	uint64_t keys;		/* >= 1 */
	int distribution;	/* enum bench_distribution */
	double zipf_theta;	/* > 0, for DIST_ZIPFIAN */
	size_t value_size;	/* bytes */
	const char *key_prefix; /* raw bytes of every key's start */
	unsigned timeout_ms;	/* per request */
	uint64_t seed;
	bool preload; /* write every key once before the run */
	bool quiet;   /* no progress lines */
	int output;   /* enum bench_output */
};

/* The name of an operation ("put"), a target, a consistency. */
const char *bench_op_name(int op);
const char *bench_target_name(int target);
const char *bench_consistency_name(int consistency);

/* ------------------------------------------------------------------------
 * Options (options.c)
 * ------------------------------------------------------------------------ */

/* Parses the command line (and RAFTBENCH_ENDPOINTS) into cfg. Returns -1
 * to go on, or an exit status: BENCH_EXIT_OK after --help or --version,
 * BENCH_EXIT_USAGE after printing the one-line error. */
int options_parse(int argc, char **argv, struct bench_config *cfg);

/* Prints the one-line error "raftbench: WHAT: WHY" on stderr, or its JSON
 * form {"error":{"what","code","message"}} when output is OUTPUT_JSON;
 * code is "usage" for usage errors. */
void bench_error(int output, const char *what, const char *code,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ------------------------------------------------------------------------
 * Results (filled by load.c, printed by report.c)
 * ------------------------------------------------------------------------ */

#define BENCH_MAX_ERROR_KINDS 32
#define BENCH_ERROR_KIND_LEN  64
#define BENCH_ERROR_MSG_LEN   200

/* Errors of one kind: "timeout", "connect", "connection",
 * "http_503_no_leader", ... with the first message seen. */
struct bench_error_kind {
	char kind[BENCH_ERROR_KIND_LEN];
	char message[BENCH_ERROR_MSG_LEN];
	uint64_t count;
};

struct bench_op_stats {
	uint64_t requests;  /* measured requests that ended, errors included */
	uint64_t ok;	    /* the operation took place (get: found) */
	uint64_t not_found; /* a get, cas or delete of an absent key */
	uint64_t conflicts; /* a cas whose expected value differed */
	uint64_t errors;
	struct hist
	    latency; /* of the answered ones: ok, not_found, conflicts */
};

struct bench_results {
	char **bases; /* the endpoints, normalized */
	unsigned n_bases;
	char *leader; /* the leader's base URL at the start, or NULL */
	struct bench_op_stats ops[N_OPS];
	struct hist latency; /* all operations (merged at the end) */
	uint64_t requests, ok, not_found, conflicts, errors;
	unsigned n_kinds;
	struct bench_error_kind kinds[BENCH_MAX_ERROR_KINDS];
	uint64_t other_kinds; /* errors beyond BENCH_MAX_ERROR_KINDS kinds */
	uint64_t redirects;   /* 307 answers followed */
	uint64_t leader_changes;
	uint64_t unsent; /* --rate: due before the end, never sent */
	uint64_t preloaded, preload_errors;
	double elapsed_s;  /* from the end of the warmup to the last answer */
	double client_cpu; /* raftbench's CPU time / elapsed */
	bool interrupted;  /* stopped by SIGINT or SIGTERM */
};

/* ------------------------------------------------------------------------
 * The run (load.c, target.c)
 * ------------------------------------------------------------------------ */

/* Normalizes the endpoints into res->bases and, for the leader routing,
 * finds the leader (res->leader), waiting up to the timeout while an
 * election goes on. Returns an exit status: BENCH_EXIT_OK, or after
 * printing the one-line error BENCH_EXIT_USAGE (a malformed endpoint) or
 * BENCH_EXIT_FAILURE (nothing answered, no leader). */
int target_prepare(const struct bench_config *cfg, struct bench_results *res);

/* Runs the load and fills res. Returns an exit status (after printing the
 * one-line error when it is not BENCH_EXIT_OK). */
int load_run(const struct bench_config *cfg, struct bench_results *res);

/* Frees what res holds. */
void bench_results_close(struct bench_results *res);

/* ------------------------------------------------------------------------
 * Output (report.c)
 * ------------------------------------------------------------------------ */

/* One progress line on stderr. phase is "preload", "warmup" or "run". */
void report_progress(const char *phase, double elapsed_s, double ops_per_s,
		     uint64_t errors, uint64_t errors_total,
		     const struct hist *last_second);

/* The summary on stdout, a table or the JSON object of raftbench(1).
 * Returns an exit status (BENCH_EXIT_FAILURE when stdout fails). */
int report_summary(const struct bench_config *cfg,
		   const struct bench_results *res);

#endif /* RAFT_RAFTBENCH_BENCH_H */
