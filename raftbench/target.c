/* Before the run: the endpoints, whether anything answers, and where the
 * leader is (raftd: GET /v1/status through lib/client; etcd: POST
 * /v3/maintenance/status). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "bench.h"
#include "raft/client.h"
#include "raft/error.h"
#include "sbuf.h"

/* How often the leader is asked for again while an election goes on. */
#define LEADER_POLL_MS 100

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Splits cfg->endpoints at commas (blanks around each trimmed) and makes a
 * client of them, which checks and normalizes them. Returns an exit
 * status. */
static int make_client(const struct bench_config *cfg, struct raft_client **c)
{
	struct raft_client_config config;
	const char **list = NULL;
	char errmsg[512];
	unsigned n;
	int status = BENCH_EXIT_OK;
	int rv;

	rv = raft_client_split_endpoints(cfg->endpoints, &list, &n, errmsg,
					 sizeof(errmsg));
	if (rv != 0) {
		bench_error(cfg->output, cfg->endpoints_from,
			    rv == RAFT_EINVAL ? "usage" : "RAFT_ENOMEM", "%s",
			    errmsg);
		return rv == RAFT_EINVAL ? BENCH_EXIT_USAGE
					 : BENCH_EXIT_FAILURE;
	}
	raft_client_config_defaults(&config);
	config.endpoints = list;
	config.n_endpoints = n;
	config.timeout_ms = cfg->timeout_ms;
	if (config.connect_timeout_ms > cfg->timeout_ms) {
		config.connect_timeout_ms = cfg->timeout_ms;
	}
	rv = raft_client_new(&config, c, errmsg, sizeof(errmsg));
	if (rv == RAFT_EINVAL) {
		bench_error(cfg->output, cfg->endpoints_from, "usage", "%s",
			    errmsg);
		status = BENCH_EXIT_USAGE;
	} else if (rv != 0) {
		bench_error(cfg->output, "client", raft_err_name(rv), "%s",
			    errmsg);
		status = BENCH_EXIT_FAILURE;
	}
	raft_free(list);
	return status;
}

/* raftd: surveys the cluster until a leader is known (or only checks that
 * something answers, for --spread). */
static int find_raftd_leader(const struct bench_config *cfg,
			     struct raft_client *c, struct bench_results *res)
{
	uint64_t deadline = now_ms() + cfg->timeout_ms;
	unsigned asked = 0;
	for (;;) {
		struct raft_client_cluster cl = {0, NULL};
		raft_term best_term = 0;
		const char *leader = NULL;
		unsigned i;
		int rv = raft_client_status_all(c, &cl);
		if (rv != 0) {
			bench_error(cfg->output, "endpoints", raft_err_name(rv),
				    "%s", raft_client_errmsg(c));
			return BENCH_EXIT_FAILURE;
		}
		asked = cl.n_nodes;
		for (i = 0; i < cl.n_nodes; i++) {
			const struct raft_client_node *nd = &cl.nodes[i];
			if (nd->err == 0 && nd->status.state != NULL &&
			    strcmp(nd->status.state, "leader") == 0 &&
			    nd->status.term >= best_term) {
				best_term = nd->status.term;
				leader = nd->url;
			}
		}
		if (leader != NULL) {
			res->leader = strdup(leader);
		}
		raft_client_cluster_close(&cl);
		if (leader != NULL) {
			if (res->leader == NULL) {
				bench_error(cfg->output, "leader",
					    "RAFT_ENOMEM", "out of memory");
				return BENCH_EXIT_FAILURE;
			}
			return BENCH_EXIT_OK;
		}
		if (cfg->routing == ROUTING_SPREAD) {
			/* Something answered: enough to spread over. */
			return BENCH_EXIT_OK;
		}
		if (now_ms() >= deadline) {
			bench_error(cfg->output, "leader", "RAFT_ENOTLEADER",
				    "no leader known after %u ms (asked %u "
				    "node%s)",
				    cfg->timeout_ms, asked,
				    asked == 1 ? "" : "s");
			return BENCH_EXIT_FAILURE;
		}
		sleep_ms(LEADER_POLL_MS);
	}
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sbuf *b = userdata;
	if (b->len + size * nmemb > (1u << 20) ||
	    sbuf_append(b, ptr, size * nmemb) != 0) {
		return 0; /* a status is small: refuse a flood */
	}
	return size * nmemb;
}

/* A JSON string or number field as text ("" if absent); etcd's gateway
 * writes 64-bit integers as strings. */
static void json_text(const cJSON *obj, const char *name, char *out, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	out[0] = '\0';
	if (cJSON_IsString(v)) {
		snprintf(out, len, "%s", v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		snprintf(out, len, "%.0f", v->valuedouble);
	}
}

/* etcd: asks every endpoint for its status once; the leader is the one
 * whose member id is the leader id it reports. */
static int find_etcd_leader(const struct bench_config *cfg,
			    struct bench_results *res)
{
	CURL *easy = curl_easy_init();
	struct curl_slist *headers = NULL;
	struct sbuf url, body;
	char first_error[512] = "";
	int first_ok = -1;
	int leader = -1;
	unsigned i;

	sbuf_init(&url);
	sbuf_init(&body);
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (easy == NULL || headers == NULL) {
		bench_error(cfg->output, "client", "RAFT_EIO",
			    "libcurl failed to initialize");
		goto fail;
	}
	for (i = 0; i < res->n_bases && leader < 0; i++) {
		char errbuf[CURL_ERROR_SIZE] = "";
		char member[64], lead[64];
		cJSON *root, *header;
		long code = 0;
		CURLcode cc;
		sbuf_reset(&url);
		sbuf_reset(&body);
		if (sbuf_puts(&url, res->bases[i]) != 0 ||
		    sbuf_puts(&url, "/v3/maintenance/status") != 0) {
			bench_error(cfg->output, "endpoints", "RAFT_ENOMEM",
				    "out of memory");
			goto fail;
		}
		curl_easy_reset(easy);
		curl_easy_setopt(easy, CURLOPT_URL, url.data);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "{}");
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
				 (long)cfg->timeout_ms);
		curl_easy_setopt(
		    easy, CURLOPT_CONNECTTIMEOUT_MS,
		    (long)(cfg->timeout_ms < 1000 ? cfg->timeout_ms : 1000));
		curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
		curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
		cc = curl_easy_perform(easy);
		if (cc == CURLE_OK) {
			curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
		}
		if (cc != CURLE_OK || code != 200) {
			if (first_error[0] == '\0') {
				snprintf(first_error, sizeof(first_error),
					 "%s: %s", res->bases[i],
					 cc != CURLE_OK
					     ? (errbuf[0] != '\0'
						    ? errbuf
						    : curl_easy_strerror(cc))
					     : "not an etcd status answer");
			}
			continue;
		}
		if (first_ok < 0) {
			first_ok = (int)i;
		}
		root = body.data != NULL
			   ? cJSON_ParseWithLength(body.data, body.len)
			   : NULL;
		header = cJSON_GetObjectItemCaseSensitive(root, "header");
		json_text(header, "member_id", member, sizeof(member));
		json_text(root, "leader", lead, sizeof(lead));
		if (member[0] != '\0' && strcmp(member, lead) == 0) {
			leader = (int)i;
		}
		cJSON_Delete(root);
	}
	if (first_ok < 0) {
		bench_error(cfg->output, "endpoints", "RAFT_EIO",
			    "no endpoint answered: %s", first_error);
		goto fail;
	}
	if (cfg->routing == ROUTING_LEADER) {
		/* When the leader is not among the endpoints, any member
		 * forwards to it. */
		res->leader =
		    strdup(res->bases[leader >= 0 ? leader : first_ok]);
		if (res->leader == NULL) {
			bench_error(cfg->output, "leader", "RAFT_ENOMEM",
				    "out of memory");
			goto fail;
		}
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(easy);
	sbuf_close(&url);
	sbuf_close(&body);
	return BENCH_EXIT_OK;
fail:
	curl_slist_free_all(headers);
	curl_easy_cleanup(easy);
	sbuf_close(&url);
	sbuf_close(&body);
	return BENCH_EXIT_FAILURE;
}

int target_prepare(const struct bench_config *cfg, struct bench_results *res)
{
	struct raft_client *c = NULL;
	unsigned i;
	int status = make_client(cfg, &c);
	if (status != BENCH_EXIT_OK) {
		return status;
	}
	res->n_bases = raft_client_n_endpoints(c);
	res->bases = calloc(res->n_bases, sizeof(*res->bases));
	if (res->bases == NULL) {
		res->n_bases = 0;
		bench_error(cfg->output, "endpoints", "RAFT_ENOMEM",
			    "out of memory");
		status = BENCH_EXIT_FAILURE;
		goto out;
	}
	for (i = 0; i < res->n_bases; i++) {
		res->bases[i] = strdup(raft_client_endpoint(c, i));
		if (res->bases[i] == NULL) {
			bench_error(cfg->output, "endpoints", "RAFT_ENOMEM",
				    "out of memory");
			status = BENCH_EXIT_FAILURE;
			goto out;
		}
	}
	if (cfg->target == TARGET_RAFTD) {
		status = find_raftd_leader(cfg, c, res);
	} else {
		status = find_etcd_leader(cfg, res);
	}
out:
	raft_client_free(c);
	return status;
}

void bench_results_close(struct bench_results *res)
{
	unsigned i;
	for (i = 0; i < res->n_bases; i++) {
		free(res->bases[i]);
	}
	free(res->bases);
	free(res->leader);
	res->bases = NULL;
	res->n_bases = 0;
	res->leader = NULL;
}
