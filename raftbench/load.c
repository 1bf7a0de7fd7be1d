/* The load generator: N connections on one libcurl multi handle, driven
 * closed-loop (each connection sends its next request when the answer
 * comes) or open-loop at a fixed rate (requests start at scheduled times,
 * and their latency counts from that time, so that a server that falls
 * behind cannot hide its queue: no coordinated omission).
 *
 * One thread runs everything: it starts requests on idle connections,
 * lets libcurl move the bytes, and records each answer. A connection is
 * one easy handle, reused for every request, so libcurl keeps its HTTP
 * connection alive between them. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/timerfd.h>
#endif

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "bench.h"
#include "keys.h"
#include "sbuf.h"

#define NS_PER_S  1000000000ull
#define NS_PER_MS 1000000ull

/* The longest wait in the loop, so that a signal is noticed soon. */
#define MAX_WAIT_NS (100 * NS_PER_MS)

/* How long a connection that could not connect waits before its next
 * request, so that a refusing node (a dead leader that followers still
 * redirect to until their election timeout) is not hammered in a tight
 * loop of instant failures. */
#define REST_NS (20 * NS_PER_MS)

/* A cas's knowledge of a key: the offset of its value in the value
 * buffer, or that the key is absent (then the cas creates it). */
#define KEY_ABSENT 0xffffu

enum phase { PHASE_PRELOAD, PHASE_WARMUP, PHASE_MEASURE };

enum outcome { OUT_OK, OUT_NOT_FOUND, OUT_CONFLICT, OUT_ERROR };

struct load;

struct conn {
	struct load *l;
	CURL *easy;
	const char *base; /* --spread: its endpoint; else NULL (the leader) */
	bool busy;
	int phase; /* enum phase */
	int op;	   /* enum bench_op */
	uint64_t key;
	unsigned value_off;
	bool create; /* a cas that creates an absent key */
	uint64_t intended_ns;
	uint64_t rest_until_ns; /* while in l->resting */
	struct sbuf url;
	struct sbuf body;
	struct sbuf answer;
	char errbuf[CURL_ERROR_SIZE];
};

struct load {
	const struct bench_config *cfg;
	struct bench_results *res;
	CURLM *multi;
	struct curl_slist *headers;
	struct conn *conns;
	unsigned *idle; /* a stack of idle connection indexes */
	unsigned n_idle;
	unsigned *resting; /* idle ones that wait REST_NS first */
	unsigned n_resting;
	unsigned n_busy;
	char *leader;		 /* where ROUTING_LEADER sends, owned */
	uint64_t *down_until_ns; /* per endpoint: refused a connection */
	struct rng rng;
	struct zipf zipf;
	unsigned mix_total;
	char *values;	 /* value_size + BENCH_VALUE_WINDOW random bytes */
	uint16_t *known; /* per key, for cas; NULL without cas */
	struct sbuf key_prefix; /* percent-encoded for raftd, raw for etcd */
	int key_width;
	int timer_fd;
	/* The schedule. */
	uint64_t t0_ns;	       /* start of the warmup (or of the run) */
	uint64_t measure_ns;   /* end of the warmup */
	uint64_t end_ns;       /* UINT64_MAX: no time limit */
	double ns_per_request; /* --rate */
	uint64_t scheduled;    /* --rate: requests started so far */
	uint64_t issued;       /* measured requests started */
	uint64_t preload_next;
	uint64_t last_done_ns;
	bool measured_any;
	bool stopping;
	/* Progress of the current second. */
	uint64_t phase_start_ns;
	uint64_t tick_start_ns;
	uint64_t next_tick_ns;
	uint64_t tick_ops;
	uint64_t tick_errors;
	uint64_t errors_total;
	struct hist tick_latency;
	bool failed; /* out of memory or a libcurl failure */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0) {
		return 0.0;
	}
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct conn *c = userdata;
	if (sbuf_append(&c->answer, ptr, size * nmemb) != 0) {
		return 0; /* out of memory: libcurl fails the transfer */
	}
	return size * nmemb;
}

static const char *value_of(const struct load *l, unsigned off)
{
	return l->values + off;
}

/* Appends the key's bytes: the prefix, then its number zero-padded. */
static int append_key(struct load *l, struct sbuf *b, uint64_t key)
{
	if (sbuf_append(b, l->key_prefix.data, l->key_prefix.len) != 0) {
		return -1;
	}
	return sbuf_uint(b, (unsigned long long)key, l->key_width);
}

/* raftd: PUT/GET/DELETE /v1/kv/KEY with the query of the operation. */
static int build_raftd(struct load *l, struct conn *c, const char *base)
{
	const struct bench_config *cfg = l->cfg;
	CURL *e = c->easy;
	int rv = 0;
	sbuf_reset(&c->url);
	rv |= sbuf_puts(&c->url, base);
	rv |= sbuf_puts(&c->url, "/v1/kv/");
	rv |= append_key(l, &c->url, c->key);
	switch (c->op) {
	case OP_GET:
		rv |= sbuf_puts(&c->url, "?consistency=");
		rv |= sbuf_puts(&c->url,
				bench_consistency_name(cfg->consistency));
		break;
	case OP_CAS:
		if (c->create) {
			rv |= sbuf_puts(&c->url, "?if_absent=true");
		} else {
			rv |= sbuf_puts(&c->url, "?prev=");
			rv |= sbuf_pct(&c->url, value_of(l, l->known[c->key]),
				       cfg->value_size);
		}
		break;
	default:
		break;
	}
	if (rv != 0) {
		return -1;
	}
	curl_easy_setopt(e, CURLOPT_URL, c->url.data);
	/* HTTPGET resets the method and any body of the last request. */
	curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
	switch (c->op) {
	case OP_PUT:
	case OP_CAS:
		/* The value goes straight from the value buffer. The method
		 * stays PUT through a 307, which keeps the body too. */
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)cfg->value_size);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS,
				 value_of(l, c->value_off));
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
		break;
	case OP_DELETE:
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	default:
		break;
	}
	return 0;
}

/* Appends "\"key\":\"BASE64\"" for the key of c. */
static int etcd_key_field(struct load *l, struct conn *c, const char *name)
{
	struct sbuf raw;
	int rv;
	sbuf_init(&raw);
	rv = append_key(l, &raw, c->key);
	rv |= sbuf_puts(&c->body, "\"");
	rv |= sbuf_puts(&c->body, name);
	rv |= sbuf_puts(&c->body, "\":\"");
	rv |= rv == 0 ? sbuf_base64(&c->body, raw.data, raw.len) : -1;
	rv |= sbuf_puts(&c->body, "\"");
	sbuf_close(&raw);
	return rv;
}

static int etcd_value_field(struct load *l, struct conn *c, const char *name,
			    unsigned off)
{
	int rv = sbuf_puts(&c->body, "\"");
	rv |= sbuf_puts(&c->body, name);
	rv |= sbuf_puts(&c->body, "\":\"");
	rv |= sbuf_base64(&c->body, value_of(l, off), l->cfg->value_size);
	rv |= sbuf_puts(&c->body, "\"");
	return rv;
}

/* etcd's v3 JSON gateway: everything is a POST of a JSON body with base64
 * keys and values. A cas is a transaction that compares the value (or,
 * to create, the create revision with 0), puts on success and reads the
 * key on failure, so that the answer tells a conflict from an absent
 * key. */
static int build_etcd(struct load *l, struct conn *c, const char *base)
{
	const char *path = "/v3/kv/put";
	int rv = 0;
	sbuf_reset(&c->body);
	rv |= sbuf_puts(&c->body, "{");
	switch (c->op) {
	case OP_PUT:
		rv |= etcd_key_field(l, c, "key");
		rv |= sbuf_puts(&c->body, ",");
		rv |= etcd_value_field(l, c, "value", c->value_off);
		break;
	case OP_GET:
		path = "/v3/kv/range";
		rv |= etcd_key_field(l, c, "key");
		if (l->cfg->consistency == CONS_STALE) {
			rv |= sbuf_puts(&c->body, ",\"serializable\":true");
		}
		break;
	case OP_DELETE:
		path = "/v3/kv/deleterange";
		rv |= etcd_key_field(l, c, "key");
		break;
	case OP_CAS:
		path = "/v3/kv/txn";
		rv |= sbuf_puts(&c->body, "\"compare\":[{");
		rv |= etcd_key_field(l, c, "key");
		if (c->create) {
			rv |= sbuf_puts(&c->body,
					",\"result\":\"EQUAL\",\"target\":"
					"\"CREATE\",\"create_revision\":\"0\"");
		} else {
			rv |= sbuf_puts(&c->body, ",\"result\":\"EQUAL\","
						  "\"target\":\"VALUE\",");
			rv |= etcd_value_field(l, c, "value", l->known[c->key]);
		}
		rv |= sbuf_puts(&c->body, "}],\"success\":[{\"request_put\":{");
		rv |= etcd_key_field(l, c, "key");
		rv |= sbuf_puts(&c->body, ",");
		rv |= etcd_value_field(l, c, "value", c->value_off);
		rv |= sbuf_puts(&c->body,
				"}}],\"failure\":[{\"request_range\":{");
		rv |= etcd_key_field(l, c, "key");
		rv |= sbuf_puts(&c->body, "}}]");
		break;
	default:
		break;
	}
	rv |= sbuf_puts(&c->body, "}");
	sbuf_reset(&c->url);
	rv |= sbuf_puts(&c->url, base);
	rv |= sbuf_puts(&c->url, path);
	if (rv != 0) {
		return -1;
	}
	curl_easy_setopt(c->easy, CURLOPT_URL, c->url.data);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)c->body.len);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body.data);
	return 0;
}

static int choose_op(struct load *l)
{
	uint64_t r = rng_below(&l->rng, l->mix_total);
	int op;
	for (op = 0; op < N_OPS; op++) {
		if (r < l->cfg->mix[op]) {
			return op;
		}
		r -= l->cfg->mix[op];
	}
	return OP_PUT;
}

static uint64_t choose_key(struct load *l)
{
	if (l->cfg->distribution == DIST_ZIPFIAN) {
		return zipf_next(&l->zipf, &l->rng) - 1;
	}
	return rng_below(&l->rng, l->cfg->keys);
}

/* Starts a request on idle connection c. */
static int start(struct load *l, struct conn *c, int phase, int op,
		 uint64_t key, uint64_t intended_ns)
{
	const char *base = c->base != NULL ? c->base : l->leader;
	CURLMcode mc;
	c->phase = phase;
	c->op = op;
	c->key = key;
	c->value_off = (unsigned)rng_below(&l->rng, BENCH_VALUE_WINDOW);
	c->create = op == OP_CAS && l->known[key] == KEY_ABSENT;
	c->intended_ns = intended_ns;
	c->errbuf[0] = '\0';
	sbuf_reset(&c->answer);
	if ((l->cfg->target == TARGET_RAFTD ? build_raftd(l, c, base)
					    : build_etcd(l, c, base)) != 0) {
		bench_error(l->cfg->output, "run", "RAFT_ENOMEM",
			    "out of memory");
		l->failed = true;
		return -1;
	}
	mc = curl_multi_add_handle(l->multi, c->easy);
	if (mc != CURLM_OK) {
		bench_error(l->cfg->output, "run", "RAFT_EIO", "libcurl: %s",
			    curl_multi_strerror(mc));
		l->failed = true;
		return -1;
	}
	c->busy = true;
	l->n_busy++;
	return 0;
}

/* ------------------------------------------------------------------------
 * Answers
 * ------------------------------------------------------------------------ */

/* Counts an error of kind (first message kept). */
static void count_error(struct load *l, const char *kind, const char *msg)
{
	struct bench_results *res = l->res;
	unsigned i;
	for (i = 0; i < res->n_kinds; i++) {
		if (strcmp(res->kinds[i].kind, kind) == 0) {
			res->kinds[i].count++;
			return;
		}
	}
	if (res->n_kinds == BENCH_MAX_ERROR_KINDS) {
		res->other_kinds++;
		return;
	}
	snprintf(res->kinds[i].kind, sizeof(res->kinds[i].kind), "%s", kind);
	snprintf(res->kinds[i].message, sizeof(res->kinds[i].message), "%s",
		 msg);
	res->kinds[i].count = 1;
	res->n_kinds++;
}

static const char *curl_kind(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return "connect";
	case CURLE_TOO_MANY_REDIRECTS:
		return "redirect_loop";
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return "connection";
	default:
		return "curl";
	}
}

/* The kind and message of an HTTP error answer: "http_503_no_leader" from
 * raftd's {"error":{"code","message"}}, "http_503_grpc14" from etcd's
 * {"code":14,"message"}, else "http_503" and the start of the body. */
static void http_error(const struct conn *c, long status, char *kind,
		       size_t kind_len, char *msg, size_t msg_len)
{
	cJSON *root = c->answer.data != NULL
			  ? cJSON_ParseWithLength(c->answer.data, c->answer.len)
			  : NULL;
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
	const cJSON *code = NULL, *message = NULL;
	size_t i;
	if (cJSON_IsObject(err)) {
		code = cJSON_GetObjectItemCaseSensitive(err, "code");
		message = cJSON_GetObjectItemCaseSensitive(err, "message");
	} else if (root != NULL) {
		code = cJSON_GetObjectItemCaseSensitive(root, "code");
		message = cJSON_GetObjectItemCaseSensitive(root, "message");
	}
	if (cJSON_IsString(code)) {
		snprintf(kind, kind_len, "http_%ld_%s", status,
			 code->valuestring);
	} else if (cJSON_IsNumber(code)) {
		snprintf(kind, kind_len, "http_%ld_grpc%d", status,
			 code->valueint);
	} else {
		snprintf(kind, kind_len, "http_%ld", status);
	}
	/* Kinds are names: keep them to [a-z0-9_]. */
	for (i = 0; kind[i] != '\0'; i++) {
		char ch = kind[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) {
			kind[i] = ch >= 'A' && ch <= 'Z'
				      ? (char)(ch - 'A' + 'a')
				      : '_';
		}
	}
	if (cJSON_IsString(message)) {
		snprintf(msg, msg_len, "%s", message->valuestring);
	} else {
		snprintf(msg, msg_len, "%.*s",
			 (int)(c->answer.len > 120 ? 120 : c->answer.len),
			 c->answer.data != NULL ? c->answer.data : "");
		for (i = 0; msg[i] != '\0'; i++) {
			if (msg[i] == '\n' || msg[i] == '\r') {
				msg[i] = ' ';
			}
		}
	}
	cJSON_Delete(root);
}

/* Whether a JSON field holds a non-empty array. */
static bool has_items(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0;
}

/* etcd's 200 answers: whether the operation found its key. */
static int etcd_outcome(const struct conn *c)
{
	cJSON *root;
	int out = OUT_OK;
	if (c->op == OP_PUT) {
		return OUT_OK;
	}
	root = c->answer.data != NULL
		   ? cJSON_ParseWithLength(c->answer.data, c->answer.len)
		   : NULL;
	if (root == NULL) {
		return OUT_ERROR;
	}
	switch (c->op) {
	case OP_GET:
		out = has_items(root, "kvs") ? OUT_OK : OUT_NOT_FOUND;
		break;
	case OP_DELETE: {
		/* "deleted" is left out when 0 (proto3 JSON). */
		const cJSON *d =
		    cJSON_GetObjectItemCaseSensitive(root, "deleted");
		bool deleted =
		    (cJSON_IsString(d) && strcmp(d->valuestring, "0") != 0) ||
		    (cJSON_IsNumber(d) && d->valuedouble > 0);
		out = deleted ? OUT_OK : OUT_NOT_FOUND;
		break;
	}
	case OP_CAS:
		if (cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(root, "succeeded"))) {
			out = OUT_OK;
		} else if (c->create) {
			out = OUT_CONFLICT;
		} else {
			/* responses[0].response_range.kvs: the key exists,
			 * with another value. */
			const cJSON *r = cJSON_GetArrayItem(
			    cJSON_GetObjectItemCaseSensitive(root, "responses"),
			    0);
			const cJSON *range = cJSON_GetObjectItemCaseSensitive(
			    r, "response_range");
			out = has_items(range, "kvs") ? OUT_CONFLICT
						      : OUT_NOT_FOUND;
		}
		break;
	default:
		break;
	}
	cJSON_Delete(root);
	return out;
}

/* The base URL (scheme://authority) of url, into out. */
static void base_of(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://");
	const char *end = p != NULL ? strchr(p + 3, '/') : NULL;
	size_t n = end != NULL ? (size_t)(end - url) : strlen(url);
	snprintf(out, len, "%.*s", (int)n, url);
}

/* After a redirect, where ROUTING_LEADER sends next: the node that
 * answered, the leader now. */
static void follow_leader(struct load *l, const char *base)
{
	char *copy;
	if (l->leader != NULL && strcmp(l->leader, base) == 0) {
		return;
	}
	copy = strdup(base);
	if (copy == NULL) {
		return; /* keep sending to the old one */
	}
	free(l->leader);
	l->leader = copy;
	l->res->leader_changes++;
}

/* The node at base refused a connection. If ROUTING_LEADER sends there,
 * the leader may be gone: send to the next endpoint that did not refuse
 * one in the last second instead; it answers with a redirect to the new
 * leader (or no_leader until one is elected). */
static void leader_unreachable(struct load *l, const char *base, uint64_t now)
{
	const struct bench_results *res = l->res;
	unsigned i, failed = res->n_bases;
	char *copy;
	for (i = 0; i < res->n_bases; i++) {
		if (strcmp(res->bases[i], base) == 0) {
			failed = i;
			l->down_until_ns[i] = now + NS_PER_S;
		}
	}
	if (l->leader == NULL || strcmp(l->leader, base) != 0 ||
	    res->n_bases < 2) {
		return;
	}
	for (i = 1; i <= res->n_bases; i++) {
		unsigned next = (failed + i) % res->n_bases;
		if (l->down_until_ns[next] <= now || i == res->n_bases) {
			copy = strdup(res->bases[next]);
			if (copy != NULL) {
				free(l->leader);
				l->leader = copy;
			}
			return;
		}
	}
}

/* Records the end of c's request. */
static void finish(struct load *l, struct conn *c, CURLcode cc)
{
	struct bench_results *res = l->res;
	uint64_t done_ns = now_ns();
	uint64_t latency = done_ns - c->intended_ns;
	char kind[BENCH_ERROR_KIND_LEN];
	char msg[BENCH_ERROR_MSG_LEN];
	long status = 0;
	long redirects = 0;
	int out;

	curl_multi_remove_handle(l->multi, c->easy);
	c->busy = false;
	l->n_busy--;
	if (cc == CURLE_COULDNT_CONNECT) {
		c->rest_until_ns = done_ns + REST_NS;
		l->resting[l->n_resting++] = (unsigned)(c - l->conns);
	} else {
		l->idle[l->n_idle++] = (unsigned)(c - l->conns);
	}

	kind[0] = '\0';
	if (cc != CURLE_OK) {
		out = OUT_ERROR;
		snprintf(kind, sizeof(kind), "%s", curl_kind(cc));
		/* libcurl's own words, then the detail of its error buffer
		 * (which keeps the first failure of the transfer: a reused
		 * connection that broke before a new one was refused). */
		if (c->errbuf[0] == '\0') {
			snprintf(msg, sizeof(msg), "%s",
				 curl_easy_strerror(cc));
		} else if (strstr(c->errbuf, curl_easy_strerror(cc)) != NULL) {
			snprintf(msg, sizeof(msg), "%.*s", (int)sizeof(msg) - 1,
				 c->errbuf);
		} else {
			snprintf(msg, sizeof(msg), "%s (%.*s)",
				 curl_easy_strerror(cc), (int)sizeof(msg) / 2,
				 c->errbuf);
		}
		if (cc == CURLE_COULDNT_CONNECT && c->base == NULL) {
			char *url = NULL;
			char base[512];
			curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL,
					  &url);
			if (url != NULL) {
				base_of(url, base, sizeof(base));
				leader_unreachable(l, base, done_ns);
			}
		}
	} else {
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c->easy, CURLINFO_REDIRECT_COUNT, &redirects);
		if (status == 200) {
			out = l->cfg->target == TARGET_ETCD ? etcd_outcome(c)
							    : OUT_OK;
			if (out == OUT_ERROR) {
				snprintf(kind, sizeof(kind), "bad_answer");
				snprintf(msg, sizeof(msg),
					 "a 200 answer that is not JSON");
			}
		} else if (status == 404 && c->op != OP_PUT &&
			   l->cfg->target == TARGET_RAFTD) {
			out = OUT_NOT_FOUND;
		} else if (status == 409 && c->op == OP_CAS &&
			   l->cfg->target == TARGET_RAFTD) {
			out = OUT_CONFLICT;
		} else {
			out = OUT_ERROR;
			http_error(c, status, kind, sizeof(kind), msg,
				   sizeof(msg));
		}
		if (redirects > 0 && c->phase != PHASE_PRELOAD) {
			res->redirects += (uint64_t)redirects;
		}
		if (redirects > 0 && c->base == NULL) {
			char *url = NULL;
			char base[512];
			curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL,
					  &url);
			if (url != NULL) {
				base_of(url, base, sizeof(base));
				follow_leader(l, base);
			}
		}
	}

	/* What a later cas of this key should expect. */
	if (l->known != NULL) {
		if (out == OUT_OK && (c->op == OP_PUT || c->op == OP_CAS)) {
			l->known[c->key] = (uint16_t)c->value_off;
		} else if ((out == OUT_OK && c->op == OP_DELETE) ||
			   out == OUT_NOT_FOUND) {
			l->known[c->key] = KEY_ABSENT;
		}
	}

	if (out == OUT_ERROR) {
		l->tick_errors++;
		l->errors_total++;
	} else {
		l->tick_ops++;
		hist_record(&l->tick_latency, latency);
	}
	if (c->phase == PHASE_PRELOAD) {
		if (out == OUT_ERROR) {
			res->preload_errors++;
			count_error(l, kind, msg);
		} else {
			res->preloaded++;
		}
		return;
	}
	if (c->phase != PHASE_MEASURE) {
		return;
	}
	l->last_done_ns = done_ns;
	l->measured_any = true;
	res->ops[c->op].requests++;
	switch (out) {
	case OUT_OK:
		res->ops[c->op].ok++;
		break;
	case OUT_NOT_FOUND:
		res->ops[c->op].not_found++;
		break;
	case OUT_CONFLICT:
		res->ops[c->op].conflicts++;
		break;
	default:
		res->ops[c->op].errors++;
		count_error(l, kind, msg);
		return;
	}
	hist_record(&res->ops[c->op].latency, latency);
}

/* ------------------------------------------------------------------------
 * The loop
 * ------------------------------------------------------------------------ */

/* Lets libcurl work, records the answers, then waits for sockets or the
 * deadline (at most MAX_WAIT_NS). */
static void step(struct load *l, uint64_t deadline_ns)
{
	CURLMsg *msg;
	int running = 0;
	int left;
	bool answered = false;
	CURLMcode mc = curl_multi_perform(l->multi, &running);
	if (mc != CURLM_OK) {
		bench_error(l->cfg->output, "run", "RAFT_EIO", "libcurl: %s",
			    curl_multi_strerror(mc));
		l->failed = true;
		return;
	}
	while ((msg = curl_multi_info_read(l->multi, &left)) != NULL) {
		struct conn *c = NULL;
		if (msg->msg != CURLMSG_DONE) {
			continue;
		}
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &c);
		finish(l, c, msg->data.result);
		answered = true;
	}
	if (answered) {
		return; /* start the next requests at once */
	}
	{
		uint64_t now = now_ns();
		uint64_t wait_ns;
		int timeout_ms;
		if (deadline_ns <= now) {
			return;
		}
		wait_ns = deadline_ns - now;
		if (wait_ns > MAX_WAIT_NS) {
			wait_ns = MAX_WAIT_NS;
		}
#ifdef __linux__
		if (l->timer_fd >= 0) {
			/* A timer to the nanosecond: curl_multi_poll only
			 * counts milliseconds, which would delay scheduled
			 * requests by up to one. */
			struct itimerspec its;
			struct curl_waitfd extra;
			uint64_t when = now + wait_ns;
			memset(&its, 0, sizeof(its));
			its.it_value.tv_sec = (time_t)(when / NS_PER_S);
			its.it_value.tv_nsec = (long)(when % NS_PER_S);
			if (timerfd_settime(l->timer_fd, TFD_TIMER_ABSTIME,
					    &its, NULL) == 0) {
				uint64_t expirations;
				extra.fd = l->timer_fd;
				extra.events = CURL_WAIT_POLLIN;
				extra.revents = 0;
				curl_multi_poll(
				    l->multi, &extra, 1,
				    (int)(MAX_WAIT_NS / NS_PER_MS) + 1, NULL);
				if (extra.revents != 0 &&
				    read(l->timer_fd, &expirations,
					 sizeof(expirations)) < 0) {
					/* Nothing to do: the timer is
					 * re-armed before the next wait. */
				}
				return;
			}
		}
#endif
		timeout_ms = (int)((wait_ns + NS_PER_MS - 1) / NS_PER_MS);
		curl_multi_poll(l->multi, NULL, 0, timeout_ms, NULL);
	}
}

/* Makes the connections whose rest is over idle again; returns the end of
 * the earliest rest still going on, or UINT64_MAX. */
static uint64_t wake_resting(struct load *l, uint64_t now)
{
	uint64_t earliest = UINT64_MAX;
	unsigned i = 0;
	while (i < l->n_resting) {
		struct conn *c = &l->conns[l->resting[i]];
		if (c->rest_until_ns <= now) {
			l->idle[l->n_idle++] = l->resting[i];
			l->resting[i] = l->resting[--l->n_resting];
			continue;
		}
		if (c->rest_until_ns < earliest) {
			earliest = c->rest_until_ns;
		}
		i++;
	}
	return earliest;
}

/* Prints the progress line of the second that just ended. */
static void tick(struct load *l, const char *phase, uint64_t now)
{
	double secs;
	if (now < l->next_tick_ns) {
		return;
	}
	secs = (double)(now - l->tick_start_ns) / 1e9;
	if (!l->cfg->quiet) {
		report_progress(phase, (double)(now - l->phase_start_ns) / 1e9,
				secs > 0 ? (double)l->tick_ops / secs : 0.0,
				l->tick_errors, l->errors_total,
				&l->tick_latency);
	}
	l->tick_ops = 0;
	l->tick_errors = 0;
	hist_init(&l->tick_latency);
	l->tick_start_ns = now;
	l->next_tick_ns += NS_PER_S;
	if (l->next_tick_ns <= now) {
		l->next_tick_ns = now + NS_PER_S;
	}
}

static void start_ticks(struct load *l, uint64_t now)
{
	l->phase_start_ns = now;
	l->tick_start_ns = now;
	l->next_tick_ns = now + NS_PER_S;
	l->tick_ops = 0;
	l->tick_errors = 0;
	hist_init(&l->tick_latency);
}

/* Writes every key once, using all connections, before the run. */
static int preload(struct load *l)
{
	const struct bench_config *cfg = l->cfg;
	struct bench_results *res = l->res;
	start_ticks(l, now_ns());
	while (!l->failed) {
		uint64_t now = now_ns();
		uint64_t deadline = wake_resting(l, now);
		if (stop_requested) {
			l->stopping = true;
		}
		while (!l->stopping && l->n_idle > 0 &&
		       l->preload_next < cfg->keys) {
			struct conn *c = &l->conns[l->idle[--l->n_idle]];
			if (start(l, c, PHASE_PRELOAD, OP_PUT,
				  l->preload_next++, now_ns()) != 0) {
				break;
			}
		}
		if (l->n_busy == 0 &&
		    (l->stopping || l->preload_next >= cfg->keys)) {
			break;
		}
		step(l,
		     deadline < l->next_tick_ns ? deadline : l->next_tick_ns);
		tick(l, "preload", now_ns());
	}
	if (l->failed) {
		return BENCH_EXIT_FAILURE;
	}
	if (res->preloaded == 0 && res->preload_errors > 0) {
		bench_error(cfg->output, "preload", "RAFT_EIO",
			    "all %llu puts failed (%s: %s)",
			    (unsigned long long)res->preload_errors,
			    res->kinds[0].kind, res->kinds[0].message);
		return BENCH_EXIT_FAILURE;
	}
	/* The preload's errors are reported apart from the run's. */
	res->n_kinds = 0;
	res->other_kinds = 0;
	l->errors_total = 0;
	return BENCH_EXIT_OK;
}

/* The start time of scheduled request i (--rate). */
static uint64_t scheduled_ns(const struct load *l, uint64_t i)
{
	return l->t0_ns + (uint64_t)((double)i * l->ns_per_request);
}

/* Counts the measured requests due before end that were never sent
 * (--rate, when the server or the connections could not keep up). */
static void count_unsent(struct load *l, uint64_t end)
{
	uint64_t due, first;
	double span;
	if (end <= l->t0_ns) {
		return;
	}
	span = (double)(end - l->t0_ns) / l->ns_per_request;
	due = (uint64_t)ceil(span);
	first = (uint64_t)ceil((double)(l->measure_ns - l->t0_ns) /
			       l->ns_per_request);
	if (first < l->scheduled) {
		first = l->scheduled;
	}
	if (l->cfg->requests > 0 &&
	    due - first > l->cfg->requests - l->issued) {
		due = first + (l->cfg->requests - l->issued);
	}
	if (due > first) {
		l->res->unsent += due - first;
	}
}

/* Starts what is due: every idle connection in the closed loop; the
 * requests whose time came, while connections are idle, at a fixed
 * rate. */
static void dispatch(struct load *l, uint64_t now)
{
	const struct bench_config *cfg = l->cfg;
	while (l->n_idle > 0 && !l->failed) {
		uint64_t intended = now;
		int phase;
		struct conn *c;
		if (cfg->rate > 0) {
			intended = scheduled_ns(l, l->scheduled);
			if (intended > now || intended >= l->end_ns) {
				return;
			}
		}
		phase =
		    intended >= l->measure_ns ? PHASE_MEASURE : PHASE_WARMUP;
		if (phase == PHASE_MEASURE && cfg->requests > 0 &&
		    l->issued >= cfg->requests) {
			return;
		}
		c = &l->conns[l->idle[--l->n_idle]];
		if (start(l, c, phase, choose_op(l), choose_key(l),
			  cfg->rate > 0 ? intended : now_ns()) != 0) {
			return;
		}
		l->scheduled++;
		if (phase == PHASE_MEASURE) {
			l->issued++;
		}
	}
}

/* The deadline of the next wait: the next tick, the end, and at a fixed
 * rate the next scheduled start (when a connection is free for it). */
static uint64_t next_deadline(const struct load *l, uint64_t rest_ns)
{
	uint64_t d = l->next_tick_ns;
	if (rest_ns < d) {
		d = rest_ns;
	}
	if (!l->stopping) {
		if (l->end_ns < d) {
			d = l->end_ns;
		}
		if (l->cfg->rate > 0 && l->n_idle > 0) {
			uint64_t s = scheduled_ns(l, l->scheduled);
			if (s < d) {
				d = s;
			}
		}
	}
	return d;
}

static int run(struct load *l)
{
	const struct bench_config *cfg = l->cfg;
	struct bench_results *res = l->res;
	double cpu0 = cpu_seconds();
	uint64_t now = now_ns();
	uint64_t stop_ns = 0;

	l->stopping = false;
	l->t0_ns = now;
	l->measure_ns = now + (uint64_t)(cfg->warmup_s * 1e9);
	l->end_ns = cfg->duration_s > 0
			? l->measure_ns + (uint64_t)(cfg->duration_s * 1e9)
			: UINT64_MAX;
	l->ns_per_request = cfg->rate > 0 ? 1e9 / cfg->rate : 0.0;
	start_ticks(l, now);
	while (!l->failed) {
		uint64_t rest_ns;
		now = now_ns();
		rest_ns = wake_resting(l, now);
		if (!l->stopping &&
		    (stop_requested || now >= l->end_ns ||
		     (cfg->requests > 0 && l->issued >= cfg->requests))) {
			l->stopping = true;
			res->interrupted = stop_requested != 0;
			stop_ns = now < l->end_ns ? now : l->end_ns;
			if (cfg->rate > 0) {
				count_unsent(l, stop_ns);
			}
		}
		if (!l->stopping) {
			dispatch(l, now);
		}
		if (l->stopping && l->n_busy == 0) {
			break;
		}
		step(l, next_deadline(l, rest_ns));
		/* The line is about the second that ends: its phase is the
		 * one it started in. */
		tick(l, l->tick_start_ns < l->measure_ns ? "warmup" : "run",
		     now_ns());
	}
	if (l->failed) {
		return BENCH_EXIT_FAILURE;
	}
	now = now_ns();
	if (l->measured_any) {
		res->elapsed_s =
		    (double)(l->last_done_ns - l->measure_ns) / 1e9;
	} else {
		res->elapsed_s = now > l->measure_ns
				     ? (double)(now - l->measure_ns) / 1e9
				     : 0.0;
	}
	if (now > l->t0_ns) {
		res->client_cpu =
		    (cpu_seconds() - cpu0) / ((double)(now - l->t0_ns) / 1e9);
	}
	(void)stop_ns;
	return BENCH_EXIT_OK;
}

/* ------------------------------------------------------------------------
 * Set-up
 * ------------------------------------------------------------------------ */

/* Raises the soft limit of open files to the hard one: every connection
 * is a socket. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		/* Harmless if refused: a lower limit shows up as connect
		 * errors, which are counted. */
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int setup(struct load *l)
{
	const struct bench_config *cfg = l->cfg;
	struct bench_results *res = l->res;
	size_t values_len = cfg->value_size + BENCH_VALUE_WINDOW;
	uint64_t k;
	unsigned i;
	long maxconns;

	rng_seed(&l->rng, cfg->seed);
	if (cfg->distribution == DIST_ZIPFIAN) {
		zipf_init(&l->zipf, cfg->keys, cfg->zipf_theta);
	}
	for (i = 0; i < N_OPS; i++) {
		l->mix_total += cfg->mix[i];
		hist_init(&res->ops[i].latency);
	}
	hist_init(&res->latency);
	hist_init(&l->tick_latency);
	/* Keys are the prefix and a number as wide as the largest. */
	l->key_width = 1;
	for (k = cfg->keys - 1; k >= 10; k /= 10) {
		l->key_width++;
	}
	sbuf_init(&l->key_prefix);
	if ((cfg->target == TARGET_RAFTD
		 ? sbuf_pct(&l->key_prefix, cfg->key_prefix,
			    strlen(cfg->key_prefix))
		 : sbuf_puts(&l->key_prefix, cfg->key_prefix)) != 0) {
		goto nomem;
	}
	/* Values: letters and digits, so that a cas's expected value is
	 * readable in a URL. */
	l->values = malloc(values_len + 1);
	if (l->values == NULL) {
		goto nomem;
	}
	for (i = 0; i < values_len; i++) {
		static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					    "abcdefghijklmnopqrstuvwxyz"
					    "0123456789";
		l->values[i] = alnum[rng_below(&l->rng, sizeof(alnum) - 1)];
	}
	l->values[values_len] = '\0';
	if (cfg->mix[OP_CAS] > 0) {
		l->known = malloc(cfg->keys * sizeof(*l->known));
		if (l->known == NULL) {
			goto nomem;
		}
		for (k = 0; k < cfg->keys; k++) {
			l->known[k] = KEY_ABSENT;
		}
	}
	if (res->leader != NULL) {
		l->leader = strdup(res->leader);
		if (l->leader == NULL) {
			goto nomem;
		}
	}

	l->multi = curl_multi_init();
	l->headers = curl_slist_append(
	    NULL, cfg->target == TARGET_ETCD
		      ? "Content-Type: application/json"
		      : "Content-Type: application/octet-stream");
	if (l->headers != NULL) {
		/* No "Expect: 100-continue" round trip for large values. */
		struct curl_slist *h = curl_slist_append(l->headers, "Expect:");
		if (h == NULL) {
			curl_slist_free_all(l->headers);
		}
		l->headers = h;
	}
	l->down_until_ns = calloc(res->n_bases, sizeof(*l->down_until_ns));
	l->conns = calloc(cfg->connections, sizeof(*l->conns));
	l->idle = calloc(cfg->connections, sizeof(*l->idle));
	l->resting = calloc(cfg->connections, sizeof(*l->resting));
	if (l->multi == NULL || l->headers == NULL || l->conns == NULL ||
	    l->idle == NULL || l->resting == NULL || l->down_until_ns == NULL) {
		goto nomem;
	}
	/* Room for every connection to every endpoint, so that libcurl
	 * never closes one to open another. */
	maxconns = (long)cfg->connections * (long)(res->n_bases + 1);
	curl_multi_setopt(l->multi, CURLMOPT_MAXCONNECTS, maxconns);
	for (i = 0; i < cfg->connections; i++) {
		struct conn *c = &l->conns[i];
		CURL *e = curl_easy_init();
		c->l = l;
		c->easy = e;
		sbuf_init(&c->url);
		sbuf_init(&c->body);
		sbuf_init(&c->answer);
		if (e == NULL) {
			goto nomem;
		}
		if (cfg->routing == ROUTING_SPREAD) {
			c->base = res->bases[i % res->n_bases];
		}
		curl_easy_setopt(e, CURLOPT_PRIVATE, c);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
		curl_easy_setopt(
		    e, CURLOPT_CONNECTTIMEOUT_MS,
		    (long)(cfg->timeout_ms < 1000 ? cfg->timeout_ms : 1000));
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, l->headers);
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
				 (long)CURL_HTTP_VERSION_1_1);
		curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
		if (cfg->target == TARGET_RAFTD) {
			/* Followers answer 307 to the leader. */
			curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
			curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L);
		}
		l->idle[l->n_idle++] = cfg->connections - 1 - i;
	}
	l->timer_fd = -1;
#ifdef __linux__
	l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
#endif
	raise_fd_limit();
	return 0;
nomem:
	bench_error(cfg->output, "run", "RAFT_ENOMEM",
		    "out of memory (or libcurl failed to initialize)");
	return -1;
}

static void teardown(struct load *l)
{
	unsigned i;
	if (l->conns != NULL) {
		for (i = 0; i < l->cfg->connections; i++) {
			struct conn *c = &l->conns[i];
			if (c->easy != NULL) {
				if (c->busy) {
					curl_multi_remove_handle(l->multi,
								 c->easy);
				}
				curl_easy_cleanup(c->easy);
			}
			sbuf_close(&c->url);
			sbuf_close(&c->body);
			sbuf_close(&c->answer);
		}
	}
	if (l->multi != NULL) {
		curl_multi_cleanup(l->multi);
	}
	curl_slist_free_all(l->headers);
	free(l->conns);
	free(l->idle);
	free(l->resting);
	free(l->values);
	free(l->known);
	free(l->leader);
	free(l->down_until_ns);
	sbuf_close(&l->key_prefix);
#ifdef __linux__
	if (l->timer_fd >= 0) {
		close(l->timer_fd);
	}
#endif
}

int load_run(const struct bench_config *cfg, struct bench_results *res)
{
	struct load *l = calloc(1, sizeof(*l));
	struct sigaction sa;
	int status = BENCH_EXIT_FAILURE;
	unsigned i;

	if (l == NULL) {
		bench_error(cfg->output, "run", "RAFT_ENOMEM", "out of memory");
		return BENCH_EXIT_FAILURE;
	}
	l->cfg = cfg;
	l->res = res;
	l->timer_fd = -1;
	if (setup(l) != 0) {
		goto out;
	}
	/* The first SIGINT or SIGTERM ends the run early, with a summary;
	 * a second one kills as usual. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cfg->preload) {
		status = preload(l);
		if (status != BENCH_EXIT_OK) {
			goto out;
		}
	}
	status = run(l);
	if (status != BENCH_EXIT_OK) {
		goto out;
	}
	for (i = 0; i < N_OPS; i++) {
		const struct bench_op_stats *o = &res->ops[i];
		hist_merge(&res->latency, &o->latency);
		res->requests += o->requests;
		res->ok += o->ok;
		res->not_found += o->not_found;
		res->conflicts += o->conflicts;
		res->errors += o->errors;
	}
out:
	teardown(l);
	free(l);
	return status;
}
