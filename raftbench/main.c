/* raftbench: drives a raftd (or etcd) cluster with concurrent requests
 * and reports throughput and latency percentiles (see raftbench(1)). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "bench.h"

int main(int argc, char **argv)
{
	struct bench_config cfg;
	struct bench_results *res;
	int status = options_parse(argc, argv, &cfg);

	if (status >= 0) {
		return status;
	}
	/* Once, before any handle: not thread-safe in older libcurls. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		bench_error(cfg.output, "client", "RAFT_EIO",
			    "libcurl failed to initialize");
		return BENCH_EXIT_FAILURE;
	}
	res = calloc(1, sizeof(*res));
	if (res == NULL) {
		bench_error(cfg.output, "run", "RAFT_ENOMEM", "out of memory");
		status = BENCH_EXIT_FAILURE;
		goto out;
	}
	status = target_prepare(&cfg, res);
	if (status != BENCH_EXIT_OK) {
		goto out;
	}
	status = load_run(&cfg, res);
	if (status != BENCH_EXIT_OK) {
		goto out;
	}
	if (res->requests > 0 && res->errors == res->requests) {
		/* Nothing worked: one line, as for an unreachable cluster. */
		const struct bench_error_kind *k = &res->kinds[0];
		bench_error(cfg.output, "run", "RAFT_EIO",
			    "all %llu requests failed (%s: %s)",
			    (unsigned long long)res->requests,
			    res->n_kinds > 0 ? k->kind : "other",
			    res->n_kinds > 0 ? k->message : "various");
		status = BENCH_EXIT_FAILURE;
		goto out;
	}
	if (res->requests == 0 && !res->interrupted) {
		bench_error(cfg.output, "run", "RAFT_EIO",
			    "no request completed");
		status = BENCH_EXIT_FAILURE;
		goto out;
	}
	status = report_summary(&cfg, res);
out:
	if (res != NULL) {
		bench_results_close(res);
		free(res);
	}
	curl_global_cleanup();
	return status;
}
