/* raftbench's output: the progress lines and the summary, as a table or
 * as the JSON object documented in raftbench(1). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bench.h"
#include "config.h"

/* The percentiles reported, with their JSON names. */
static const struct {
	double p;
	const char *name;
} percentiles[] = {
    {50.0, "p50"},
    {90.0, "p90"},
    {99.0, "p99"},
    {99.9, "p99_9"},
};

#define N_PERCENTILES (sizeof(percentiles) / sizeof(percentiles[0]))

void report_progress(const char *phase, double elapsed_s, double ops_per_s,
		     uint64_t errors, uint64_t errors_total,
		     const struct hist *last_second)
{
	char p99[32];
	if (last_second->count > 0) {
		snprintf(p99, sizeof(p99), "%.3f ms",
			 (double)hist_percentile(last_second, 99.0) / 1e6);
	} else {
		snprintf(p99, sizeof(p99), "-");
	}
	fprintf(stderr,
		"%5.0fs  %-7s  %9.0f ops/s  errors %llu (total %llu)  p99 "
		"%s\n",
		elapsed_s, phase, ops_per_s, (unsigned long long)errors,
		(unsigned long long)errors_total, p99);
}

static double throughput(const struct bench_results *res, uint64_t n)
{
	return res->elapsed_s > 0 ? (double)n / res->elapsed_s : 0.0;
}

/* Rounds to one decimal, for stable JSON numbers. */
static double round1(double v)
{
	return round(v * 10.0) / 10.0;
}

static bool single_op(const struct bench_config *cfg, int *op)
{
	int i, n = 0;
	*op = OP_PUT;
	for (i = 0; i < N_OPS; i++) {
		if (cfg->mix[i] > 0) {
			*op = i;
			n++;
		}
	}
	return n == 1;
}

/* "put", "get (lease)", or "mix put=50,get=50". */
static void describe_load(const struct bench_config *cfg, char *out, size_t len)
{
	int op, i;
	size_t n;
	if (single_op(cfg, &op)) {
		if (op == OP_GET) {
			snprintf(out, len, "get (%s)",
				 bench_consistency_name(cfg->consistency));
		} else {
			snprintf(out, len, "%s", bench_op_name(op));
		}
		return;
	}
	n = (size_t)snprintf(out, len, "mix");
	for (i = 0; i < N_OPS && n < len; i++) {
		if (cfg->mix[i] > 0) {
			n += (size_t)snprintf(out + n, len - n, "%s%s=%u",
					      n == 3 ? " " : ",",
					      bench_op_name(i), cfg->mix[i]);
		}
	}
	if (cfg->mix[OP_GET] > 0 && n < len) {
		snprintf(out + n, len - n, " (gets %s)",
			 bench_consistency_name(cfg->consistency));
	}
}

static void print_latency_row(const char *name, const struct hist *h)
{
	size_t i;
	printf("%-12s %9llu", name, (unsigned long long)h->count);
	for (i = 0; i < N_PERCENTILES; i++) {
		printf(" %9.3f",
		       (double)hist_percentile(h, percentiles[i].p) / 1e6);
	}
	printf(" %9.3f %9.3f\n", (double)h->max_ns / 1e6, hist_mean(h) / 1e6);
}

static void print_table(const struct bench_config *cfg,
			const struct bench_results *res)
{
	char what[128];
	unsigned i;
	int op;

	describe_load(cfg, what, sizeof(what));
	printf("raftbench %s: %s on %s, %u connection%s ", PACKAGE_VERSION,
	       what, bench_target_name(cfg->target), cfg->connections,
	       cfg->connections == 1 ? "" : "s");
	if (cfg->routing == ROUTING_LEADER) {
		printf("to the leader %s\n", res->leader);
	} else {
		printf("spread over %u endpoint%s\n", res->n_bases,
		       res->n_bases == 1 ? "" : "s");
	}
	if (cfg->rate > 0) {
		printf("fixed rate %g/s", cfg->rate);
	} else {
		printf("closed loop");
	}
	printf(", %llu keys %s", (unsigned long long)cfg->keys,
	       cfg->distribution == DIST_ZIPFIAN ? "zipfian" : "uniform");
	if (cfg->distribution == DIST_ZIPFIAN) {
		printf(" (theta %g)", cfg->zipf_theta);
	}
	printf(", %zu-byte values; measured %.2f s", cfg->value_size,
	       res->elapsed_s);
	if (cfg->warmup_s > 0) {
		printf(" after a %g s warmup", cfg->warmup_s);
	}
	printf("; seed %llu%s\n\n", (unsigned long long)cfg->seed,
	       res->interrupted ? " (interrupted)" : "");

	if (cfg->preload) {
		printf("preload     %llu keys written, %llu errors\n",
		       (unsigned long long)res->preloaded,
		       (unsigned long long)res->preload_errors);
	}
	printf("requests    %llu, %.1f ops/s\n",
	       (unsigned long long)res->requests,
	       throughput(res, res->ok + res->not_found + res->conflicts));
	printf("answers     %llu ok, %llu not found, %llu cas conflicts\n",
	       (unsigned long long)res->ok, (unsigned long long)res->not_found,
	       (unsigned long long)res->conflicts);
	printf("errors      %llu\n", (unsigned long long)res->errors);
	for (i = 0; i < res->n_kinds; i++) {
		printf("  %-24s %8llu  %s\n", res->kinds[i].kind,
		       (unsigned long long)res->kinds[i].count,
		       res->kinds[i].message);
	}
	if (res->other_kinds > 0) {
		printf("  %-24s %8llu\n", "other",
		       (unsigned long long)res->other_kinds);
	}
	if (res->redirects > 0 || res->leader_changes > 0) {
		printf("redirects   %llu (leader changes seen: %llu)\n",
		       (unsigned long long)res->redirects,
		       (unsigned long long)res->leader_changes);
	}
	if (res->unsent > 0) {
		printf("unsent      %llu requests were due but never sent: "
		       "the cluster (or --connections) could not keep up "
		       "with --rate\n",
		       (unsigned long long)res->unsent);
	}
	printf("client CPU  %.0f%% of one core\n", res->client_cpu * 100.0);

	printf("\n%-12s %9s %9s %9s %9s %9s %9s %9s\n", "latency (ms)", "count",
	       "p50", "p90", "p99", "p99.9", "max", "mean");
	if (single_op(cfg, &op)) {
		print_latency_row(bench_op_name(op), &res->latency);
		return;
	}
	for (op = 0; op < N_OPS; op++) {
		if (cfg->mix[op] > 0) {
			print_latency_row(bench_op_name(op),
					  &res->ops[op].latency);
		}
	}
	print_latency_row("all", &res->latency);
}

/* {"min", "mean", "p50", "p90", "p99", "p99_9", "max"} in microseconds. */
static cJSON *latency_json(const struct hist *h)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;
	if (o == NULL) {
		return NULL;
	}
	cJSON_AddNumberToObject(
	    o, "min", h->count > 0 ? round1((double)h->min_ns / 1e3) : 0.0);
	cJSON_AddNumberToObject(o, "mean", round1(hist_mean(h) / 1e3));
	for (i = 0; i < N_PERCENTILES; i++) {
		cJSON_AddNumberToObject(
		    o, percentiles[i].name,
		    round1((double)hist_percentile(h, percentiles[i].p) / 1e3));
	}
	cJSON_AddNumberToObject(o, "max", round1((double)h->max_ns / 1e3));
	return o;
}

static cJSON *summary_json(const struct bench_config *cfg,
			   const struct bench_results *res)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *a, *o, *errors, *kinds, *ops;
	unsigned i;
	int op;

	if (root == NULL) {
		return NULL;
	}
	cJSON_AddStringToObject(root, "version", PACKAGE_VERSION);
	cJSON_AddStringToObject(root, "target", bench_target_name(cfg->target));
	cJSON_AddStringToObject(root, "routing",
				cfg->routing == ROUTING_SPREAD ? "spread"
							       : "leader");
	a = cJSON_AddArrayToObject(root, "endpoints");
	for (i = 0; a != NULL && i < res->n_bases; i++) {
		cJSON_AddItemToArray(a, cJSON_CreateString(res->bases[i]));
	}
	if (res->leader != NULL) {
		cJSON_AddStringToObject(root, "leader", res->leader);
	} else {
		cJSON_AddNullToObject(root, "leader");
	}
	cJSON_AddNumberToObject(root, "connections", cfg->connections);
	cJSON_AddNumberToObject(root, "rate", cfg->rate);
	cJSON_AddNumberToObject(root, "warmup_s", cfg->warmup_s);
	cJSON_AddNumberToObject(root, "keys", (double)cfg->keys);
	cJSON_AddStringToObject(root, "distribution",
				cfg->distribution == DIST_ZIPFIAN ? "zipfian"
								  : "uniform");
	if (cfg->distribution == DIST_ZIPFIAN) {
		cJSON_AddNumberToObject(root, "zipf_theta", cfg->zipf_theta);
	} else {
		cJSON_AddNullToObject(root, "zipf_theta");
	}
	cJSON_AddNumberToObject(root, "value_size", (double)cfg->value_size);
	cJSON_AddStringToObject(root, "consistency",
				bench_consistency_name(cfg->consistency));
	o = cJSON_AddObjectToObject(root, "mix");
	for (op = 0; o != NULL && op < N_OPS; op++) {
		cJSON_AddNumberToObject(o, bench_op_name(op), cfg->mix[op]);
	}
	cJSON_AddNumberToObject(root, "seed", (double)cfg->seed);
	cJSON_AddNumberToObject(root, "duration_s",
				round(res->elapsed_s * 1000.0) / 1000.0);
	cJSON_AddNumberToObject(root, "requests", (double)res->requests);
	cJSON_AddNumberToObject(root, "ok", (double)res->ok);
	cJSON_AddNumberToObject(root, "not_found", (double)res->not_found);
	cJSON_AddNumberToObject(root, "conflicts", (double)res->conflicts);
	cJSON_AddNumberToObject(
	    root, "throughput",
	    round1(throughput(res, res->ok + res->not_found + res->conflicts)));
	errors = cJSON_AddObjectToObject(root, "errors");
	if (errors != NULL) {
		cJSON_AddNumberToObject(errors, "total", (double)res->errors);
		kinds = cJSON_AddObjectToObject(errors, "by_kind");
		for (i = 0; kinds != NULL && i < res->n_kinds; i++) {
			cJSON_AddNumberToObject(kinds, res->kinds[i].kind,
						(double)res->kinds[i].count);
		}
		if (kinds != NULL && res->other_kinds > 0) {
			cJSON_AddNumberToObject(kinds, "other",
						(double)res->other_kinds);
		}
	}
	cJSON_AddItemToObject(root, "latency_us", latency_json(&res->latency));
	ops = cJSON_AddObjectToObject(root, "ops");
	for (op = 0; ops != NULL && op < N_OPS; op++) {
		const struct bench_op_stats *s = &res->ops[op];
		if (cfg->mix[op] == 0) {
			continue;
		}
		o = cJSON_AddObjectToObject(ops, bench_op_name(op));
		if (o == NULL) {
			break;
		}
		cJSON_AddNumberToObject(o, "requests", (double)s->requests);
		cJSON_AddNumberToObject(o, "ok", (double)s->ok);
		cJSON_AddNumberToObject(o, "not_found", (double)s->not_found);
		cJSON_AddNumberToObject(o, "conflicts", (double)s->conflicts);
		cJSON_AddNumberToObject(o, "errors", (double)s->errors);
		cJSON_AddNumberToObject(
		    o, "throughput",
		    round1(
			throughput(res, s->ok + s->not_found + s->conflicts)));
		cJSON_AddItemToObject(o, "latency_us",
				      latency_json(&s->latency));
	}
	cJSON_AddNumberToObject(root, "redirects", (double)res->redirects);
	cJSON_AddNumberToObject(root, "leader_changes",
				(double)res->leader_changes);
	cJSON_AddNumberToObject(root, "unsent", (double)res->unsent);
	cJSON_AddNumberToObject(root, "preloaded", (double)res->preloaded);
	cJSON_AddNumberToObject(root, "preload_errors",
				(double)res->preload_errors);
	cJSON_AddNumberToObject(root, "client_cpu",
				round(res->client_cpu * 100.0) / 100.0);
	cJSON_AddBoolToObject(root, "interrupted", res->interrupted);
	return root;
}

int report_summary(const struct bench_config *cfg,
		   const struct bench_results *res)
{
	if (cfg->output == OUTPUT_JSON) {
		cJSON *root = summary_json(cfg, res);
		char *text = root != NULL ? cJSON_Print(root) : NULL;
		cJSON_Delete(root);
		if (text == NULL) {
			bench_error(cfg->output, "output", "RAFT_ENOMEM",
				    "out of memory");
			return BENCH_EXIT_FAILURE;
		}
		printf("%s\n", text);
		cJSON_free(text);
	} else {
		print_table(cfg, res);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		bench_error(cfg->output, "stdout", "RAFT_EIO", "%s",
			    strerror(errno));
		return BENCH_EXIT_FAILURE;
	}
	return BENCH_EXIT_OK;
}
