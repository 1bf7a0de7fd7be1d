/* raftd's HTTP API: routing, the key-value endpoints and the error answers
 * (administration is in http_admin.c).
 *
 * A request that needs Raft (a write, a linearizable read, a snapshot)
 * becomes a struct pending, alive until the node's callback comes; its
 * timer may answer the client first (503 timeout), and the callback then
 * only frees it (the call is raft_node_apply, _read_index or _snapshot):
 *
 *   handler --call--> pending --callback--> answer, free
 *                        |
 *                        +--timer--> answer 503 (req = NULL)
 *
 * The server (httpd.c) keeps a waiting request valid until we answer it,
 * even if the client hung up meanwhile (it notices at once and closes the
 * socket; the answer is then dropped); only httpd_free() (after
 * raft_node_free() has run every callback) drops it unanswered.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "http_internal.h"
#include "options.h"
#include "raft/log.h"

#define KEYS_DEFAULT_LIMIT 1000
#define KEYS_MAX_LIMIT	   10000

const char *const http_error_names[] = {
#define HTTP_ERROR_NAME_(id, name) name,
    HTTP_ERRORS(HTTP_ERROR_NAME_)
#undef HTTP_ERROR_NAME_
};

const double http_latency_bounds[HTTP_LATENCY_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

enum consistency {
	CONSISTENCY_LINEARIZABLE,
	CONSISTENCY_LEASE,
	CONSISTENCY_STALE,
};

enum pending_kind {
	PENDING_WRITE,
	PENDING_GET,
	PENDING_KEYS,
	PENDING_SNAPSHOT,
};

struct pending {
	struct http_server *srv;
	struct httpd_request *req; /* NULL once answered */
	struct event *timer;
	enum pending_kind kind;
	char *key; /* GET: the key; KEYS: the prefix */
	size_t key_len;
	unsigned limit; /* KEYS */
	struct timespec start;
	struct pending *prev, *next;
};

/* ------------------------------------------------------------------------
 * Answers
 * ------------------------------------------------------------------------ */

/* Every answer leaves through here, so that /metrics counts it. */
void http_send(struct http_server *s, struct httpd_request *req, int status,
	       const char *content_type, struct evbuffer *body)
{
	if (status >= 100 && status < 600) {
		s->replies[status]++;
	}
	raft_log(RAFT_LOG_DEBUG, "http: %s %s: %d", http_method_name(req),
		 httpd_request_target(req), status);
	httpd_reply(req, status, NULL, content_type, body);
}

void http_json_string(struct evbuffer *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	evbuffer_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[6];
		if (c >= 0x20 && c != '"' && c != '\\') {
			continue;
		}
		evbuffer_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			u[0] = '\\';
			u[1] = 'u';
			u[2] = '0';
			u[3] = '0';
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			evbuffer_add(b, u, 6);
			continue;
		}
		evbuffer_add(b, esc, strlen(esc));
	}
	evbuffer_add(b, s + run, len - run);
	evbuffer_add(b, "\"", 1);
}

void http_reply_json(struct http_server *s, struct httpd_request *req,
		     int status, struct evbuffer *body)
{
	http_send(s, req, status, "application/json", body);
}

/* Splits a member address "PEER_ADDR http://CLIENT_ADDR" (raftd's form, see
 * options_parse_cluster()) into its peer part and its client URL; either
 * may come out empty for an address raftd did not write. */
void http_split_member_address(const char *address, char *peer, size_t peer_len,
			       char *client, size_t client_len)
{
	const char *space = strchr(address, ' ');
	size_t n = space != NULL ? (size_t)(space - address) : strlen(address);
	if (n >= peer_len) {
		n = peer_len - 1;
	}
	memcpy(peer, address, n);
	peer[n] = '\0';
	client[0] = '\0';
	if (space != NULL) {
		while (*space == ' ') {
			space++;
		}
		if (strncmp(space, "http://", 7) == 0 ||
		    strncmp(space, "https://", 8) == 0) {
			snprintf(client, client_len, "%s", space);
		}
	}
}

bool http_leader(struct http_server *s, raft_id *id, char *url, size_t url_len)
{
	struct raft_node_status st;
	*id = 0;
	url[0] = '\0';
	if (s->node == NULL) {
		return false;
	}
	raft_node_status(s->node, &st);
	*id = st.core.leader_id;
	for (unsigned i = 0; *id != 0 && i < st.n_peers; i++) {
		if (st.peers[i].id == *id) {
			char peer[OPTIONS_ADDR_MAX];
			http_split_member_address(st.peers[i].address, peer,
						  sizeof(peer), url, url_len);
			break;
		}
	}
	return *id != 0;
}

/* Whether a disk or apply error stopped the node for good. */
static bool node_stopped(struct http_server *s)
{
	struct raft_node_status st;
	if (s->node == NULL) {
		return false;
	}
	raft_node_status(s->node, &st);
	return st.fatal != NULL;
}

void http_reply_error(struct http_server *s, struct httpd_request *req,
		      int status, enum http_error code, const char *fmt, ...)
{
	struct evbuffer *b = evbuffer_new();
	char message[512];
	char url[OPTIONS_ADDR_MAX + 16];
	raft_id leader;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	s->errors[code]++;
	if (b == NULL) {
		/* Without a buffer there is no body to send: the status line
		 * still tells the client what happened. */
		http_send(s, req, status, NULL, NULL);
		return;
	}
	evbuffer_add_printf(b, "{\"error\":{\"code\":\"%s\",\"message\":",
			    http_error_names[code]);
	http_json_string(b, message, strlen(message));
	/* A stopped node hears from no leader any more: the one it knew
	 * last (perhaps itself) is no place to send a client. */
	if (!node_stopped(s) && http_leader(s, &leader, url, sizeof(url))) {
		evbuffer_add_printf(b, ",\"leader_id\":%llu",
				    (unsigned long long)leader);
		if (url[0] != '\0') {
			evbuffer_add_printf(b, ",\"leader_url\":");
			http_json_string(b, url, strlen(url));
		}
	}
	evbuffer_add_printf(b, "}}\n");
	http_reply_json(s, req, status, b);
	evbuffer_free(b);
}

const char *http_method_name(struct httpd_request *req)
{
	return httpd_request_method_name(req);
}

void http_reply_bad_method(struct http_server *s, struct httpd_request *req,
			   const char *allow)
{
	httpd_add_header(req, "Allow", allow);
	http_reply_error(s, req, 405, HTTP_ERR_METHOD_NOT_ALLOWED,
			 "%s is not allowed here (allowed: %s)",
			 http_method_name(req), allow);
}

/* Answers a request that only the leader may serve, on a node that is not
 * the leader: a redirect to the leader's client URL with the same path and
 * query, or 503 when the leader is unknown. */
static void reply_not_leader(struct http_server *s, struct httpd_request *req)
{
	struct raft_node_status st;
	char url[OPTIONS_ADDR_MAX + 16];
	raft_id leader;
	raft_node_status(s->node, &st);
	/* Never send a client back here: a node that names itself leader
	 * without being one is between terms. */
	if (http_leader(s, &leader, url, sizeof(url)) && url[0] != '\0' &&
	    leader != st.core.id) {
		const char *target = httpd_request_target(req);
		size_t len = strlen(url);
		char *location;
		/* A request target in absolute form carries its own host;
		 * keep only its path and query. */
		if (target[0] != '/') {
			const char *p = strstr(target, "://");
			p = p != NULL ? strchr(p + 3, '/') : NULL;
			target = p != NULL ? p : "/";
		}
		while (len > 0 && url[len - 1] == '/') {
			url[--len] = '\0';
		}
		location = malloc(len + strlen(target) + 1);
		if (location == NULL) {
			http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
					 "out of memory");
			return;
		}
		strcpy(location, url);
		strcat(location, target);
		httpd_add_header(req, "Location", location);
		free(location);
		http_reply_error(s, req, 307, HTTP_ERR_NOT_LEADER,
				 "node %llu is the leader",
				 (unsigned long long)leader);
		return;
	}
	http_reply_error(s, req, 503, HTTP_ERR_NO_LEADER,
			 "no leader is known right now; retry shortly");
}

bool http_check_leader(struct http_server *s, struct httpd_request *req)
{
	struct raft_node_status st;
	if (s->node == NULL) {
		http_reply_error(s, req, 503, HTTP_ERR_SHUTTING_DOWN,
				 "the server is shutting down");
		return false;
	}
	raft_node_status(s->node, &st);
	if (st.fatal != NULL) {
		http_reply_error(s, req, 503, HTTP_ERR_NODE_STOPPED,
				 "the node stopped: %s", st.fatal);
		return false;
	}
	if (st.core.role != RAFT_LEADER) {
		reply_not_leader(s, req);
		return false;
	}
	return true;
}

void http_reply_node_error(struct http_server *s, struct httpd_request *req,
			   int rv)
{
	struct raft_node_status st;
	switch (rv) {
	case RAFT_ENOTLEADER:
		reply_not_leader(s, req);
		break;
	case RAFT_EBUSY:
		http_reply_error(s, req, 503, HTTP_ERR_BUSY,
				 "a leadership transfer is under way; retry "
				 "shortly");
		break;
	case RAFT_ESHUTDOWN:
		raft_node_status(s->node, &st);
		http_reply_error(s, req, 503, HTTP_ERR_NODE_STOPPED,
				 "the node stopped: %s",
				 st.fatal != NULL ? st.fatal : "shutting down");
		break;
	default:
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL, "%s",
				 raft_strerror(rv));
		break;
	}
}

/* ------------------------------------------------------------------------
 * Request parsing
 * ------------------------------------------------------------------------ */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* Percent-decodes len bytes of s into out (at least len bytes); '+' becomes
 * a space when plus_is_space (query strings). Returns the decoded length,
 * or -1 on a bad escape. */
static long pct_decode(const char *s, size_t len, bool plus_is_space, char *out)
{
	size_t i, n = 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= len) {
				return -1;
			}
			hi = hex_value(s[i + 1]);
			lo = hex_value(s[i + 2]);
			if (hi < 0 || lo < 0) {
				return -1;
			}
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			out[n++] = ' ';
		} else {
			out[n++] = s[i];
		}
	}
	return (long)n;
}

struct param {
	const char *name;
	char *value; /* decoded, NUL-terminated too; NULL if absent */
	size_t value_len;
};

static void params_free(struct param *params, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(params[i].value);
		params[i].value = NULL;
	}
}

/* Parses a query string against the parameters an endpoint takes. Returns
 * false (with why set) on an unknown or repeated parameter or a bad
 * escape. */
static bool parse_query(const char *query, struct param *params, size_t n,
			char *why, size_t why_len)
{
	const char *p = query;
	if (query == NULL) {
		return true;
	}
	while (*p != '\0') {
		const char *end = strchr(p, '&');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t name_len = eq != NULL ? (size_t)(eq - p) : len;
		struct param *param = NULL;
		for (size_t i = 0; len > 0 && i < n; i++) {
			if (strlen(params[i].name) == name_len &&
			    memcmp(params[i].name, p, name_len) == 0) {
				param = &params[i];
				break;
			}
		}
		if (len > 0 && param == NULL) {
			snprintf(why, why_len, "unknown parameter \"%.*s\"",
				 (int)(name_len > 64 ? 64 : name_len), p);
			goto err;
		}
		if (param != NULL) {
			const char *v = eq != NULL ? eq + 1 : p + len;
			size_t vlen = (size_t)(p + len - v);
			long dlen;
			if (param->value != NULL) {
				snprintf(why, why_len,
					 "parameter \"%s\" given twice",
					 param->name);
				goto err;
			}
			param->value = malloc(vlen + 1);
			if (param->value == NULL) {
				snprintf(why, why_len, "out of memory");
				goto err;
			}
			dlen = pct_decode(v, vlen, true, param->value);
			if (dlen < 0) {
				snprintf(why, why_len,
					 "parameter \"%s\": bad %%-escape",
					 param->name);
				goto err;
			}
			param->value[dlen] = '\0';
			param->value_len = (size_t)dlen;
		}
		if (end == NULL) {
			break;
		}
		p = end + 1;
	}
	return true;

err:
	params_free(params, n);
	return false;
}

static bool parse_consistency(struct http_server *s, struct httpd_request *req,
			      const struct param *param, enum consistency *c)
{
	*c = CONSISTENCY_LINEARIZABLE;
	if (param->value == NULL || strcmp(param->value, "linearizable") == 0) {
		return true;
	}
	if (strcmp(param->value, "lease") == 0) {
		*c = CONSISTENCY_LEASE;
		return true;
	}
	if (strcmp(param->value, "stale") == 0) {
		*c = CONSISTENCY_STALE;
		return true;
	}
	http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
			 "consistency must be linearizable, lease or stale");
	return false;
}

/* ------------------------------------------------------------------------
 * Waiting requests
 * ------------------------------------------------------------------------ */

static void pending_free(struct pending *p)
{
	struct http_server *s = p->srv;
	if (p->prev != NULL) {
		p->prev->next = p->next;
	} else {
		s->pending = p->next;
	}
	if (p->next != NULL) {
		p->next->prev = p->prev;
	}
	if (p->timer != NULL) {
		event_free(p->timer);
	}
	free(p->key);
	free(p);
}

static void pending_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	struct http_server *s = p->srv;
	(void)fd;
	(void)what;
	if (p->req == NULL) {
		return;
	}
	if (p->kind == PENDING_WRITE) {
		http_reply_error(s, p->req, 503, HTTP_ERR_TIMEOUT,
				 "the write was not applied within %u ms; it "
				 "may still be",
				 s->request_timeout_ms);
	} else if (p->kind == PENDING_SNAPSHOT) {
		http_reply_error(s, p->req, 503, HTTP_ERR_TIMEOUT,
				 "the snapshot was not done within %u ms; it "
				 "goes on",
				 s->request_timeout_ms);
	} else {
		http_reply_error(s, p->req, 503, HTTP_ERR_TIMEOUT,
				 "the read was not confirmed within %u ms",
				 s->request_timeout_ms);
	}
	/* The node's callback is still to come: it frees p. */
	p->req = NULL;
}

static struct pending *pending_new(struct http_server *s,
				   struct httpd_request *req,
				   enum pending_kind kind)
{
	struct pending *p = calloc(1, sizeof(*p));
	struct timeval tv;
	if (p == NULL) {
		return NULL;
	}
	p->timer = evtimer_new(s->base, pending_timeout, p);
	if (p->timer == NULL) {
		free(p);
		return NULL;
	}
	p->srv = s;
	p->req = req;
	p->kind = kind;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	tv.tv_sec = s->request_timeout_ms / 1000;
	tv.tv_usec = (s->request_timeout_ms % 1000) * 1000;
	if (evtimer_add(p->timer, &tv) != 0) {
		event_free(p->timer);
		free(p);
		return NULL;
	}
	p->next = s->pending;
	if (s->pending != NULL) {
		s->pending->prev = p;
	}
	s->pending = p;
	return p;
}

static void record_latency(struct http_server *s, const struct timespec *start)
{
	struct timespec now;
	double seconds;
	unsigned i;
	clock_gettime(CLOCK_MONOTONIC, &now);
	seconds = (double)(now.tv_sec - start->tv_sec) +
		  (double)(now.tv_nsec - start->tv_nsec) / 1e9;
	for (i = 0; i < HTTP_LATENCY_BUCKETS; i++) {
		if (seconds <= http_latency_bounds[i]) {
			break;
		}
	}
	s->latency_counts[i]++;
	s->latency_sum += seconds;
}

/* The node's word on a request it could not finish. */
static void reply_failed(struct http_server *s, struct httpd_request *req,
			 enum pending_kind kind, int status)
{
	struct raft_node_status st;
	const char *what = kind == PENDING_WRITE ? "write" : "read";
	if (status == RAFT_ELEADERCHANGED) {
		http_reply_error(
		    s, req, 503, HTTP_ERR_LEADER_CHANGED,
		    kind == PENDING_WRITE
			? "leadership changed before the write committed; it "
			  "was not applied"
			: "leadership changed before the read was confirmed");
		return;
	}
	if (status == RAFT_ETIMEDOUT) {
		http_reply_error(s, req, 503, HTTP_ERR_TIMEOUT,
				 "the leader did not confirm the read in time; "
				 "retry");
		return;
	}
	if (s->node == NULL) {
		http_reply_error(s, req, 503, HTTP_ERR_SHUTTING_DOWN,
				 "the server is shutting down; the %s %s", what,
				 kind == PENDING_WRITE
				     ? "may or may not have been applied"
				     : "was not served");
		return;
	}
	raft_node_status(s->node, &st);
	http_reply_error(
	    s, req, 503, HTTP_ERR_NODE_STOPPED,
	    "the node stopped (%s); the %s %s",
	    st.fatal != NULL ? st.fatal : raft_strerror(status), what,
	    kind == PENDING_WRITE ? "may or may not have been applied"
				  : "was not served");
}

static void write_done(void *arg, int status, raft_term term, raft_index index,
		       int result)
{
	struct pending *p = arg;
	struct http_server *s = p->srv;
	struct evbuffer *b;
	if (p->req == NULL) {
		goto out;
	}
	if (status != 0) {
		reply_failed(s, p->req, p->kind, status);
		goto out;
	}
	record_latency(s, &p->start);
	switch (result) {
	case KV_OK:
		b = evbuffer_new();
		if (b == NULL) {
			http_reply_error(s, p->req, 500, HTTP_ERR_INTERNAL,
					 "out of memory after applying entry "
					 "%llu",
					 (unsigned long long)index);
			break;
		}
		evbuffer_add_printf(b, "{\"index\":%llu,\"term\":%llu}\n",
				    (unsigned long long)index,
				    (unsigned long long)term);
		http_reply_json(s, p->req, 200, b);
		evbuffer_free(b);
		break;
	case KV_NOT_FOUND:
		http_reply_error(s, p->req, 404, HTTP_ERR_NOT_FOUND,
				 "the key does not exist (nothing written)");
		break;
	case KV_COMPARE_FAILED:
		http_reply_error(s, p->req, 409, HTTP_ERR_COMPARE_FAILED,
				 "the current value differs from prev "
				 "(nothing written)");
		break;
	case KV_ALREADY_EXISTS:
		http_reply_error(s, p->req, 409, HTTP_ERR_ALREADY_EXISTS,
				 "the key already exists (nothing written)");
		break;
	default:
		http_reply_error(s, p->req, 500, HTTP_ERR_INTERNAL,
				 "entry %llu: unknown result %d",
				 (unsigned long long)index, result);
		break;
	}
out:
	pending_free(p);
}

/* ------------------------------------------------------------------------
 * Reads
 * ------------------------------------------------------------------------ */

static void serve_get(struct http_server *s, struct httpd_request *req,
		      const char *key, size_t key_len)
{
	char errmsg[256];
	char index_str[24];
	char *value;
	size_t value_len;
	raft_index applied;
	struct evbuffer *b;
	int rv;
	rv = kv_get(s->kv, key, key_len, &value, &value_len, &applied, errmsg,
		    sizeof(errmsg));
	if (rv != 0 && rv != RAFT_ENOTFOUND) {
		raft_log(RAFT_LOG_ERROR, "%s", errmsg);
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL, "%s", errmsg);
		return;
	}
	snprintf(index_str, sizeof(index_str), "%llu",
		 (unsigned long long)applied);
	httpd_add_header(req, "X-Raft-Index", index_str);
	if (rv == RAFT_ENOTFOUND) {
		http_reply_error(s, req, 404, HTTP_ERR_NOT_FOUND,
				 "the key does not exist");
		return;
	}
	b = evbuffer_new();
	if (b == NULL || evbuffer_add(b, value, value_len) != 0) {
		kv_free(value);
		if (b != NULL) {
			evbuffer_free(b);
		}
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory");
		return;
	}
	kv_free(value);
	http_send(s, req, 200, "application/octet-stream", b);
	evbuffer_free(b);
}

struct keys_out {
	struct evbuffer *b;
	unsigned n;
};

static int add_key(void *arg, const char *key, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	struct keys_out *out = arg;
	if (out->n++ > 0) {
		evbuffer_add(out->b, ",", 1);
	}
	if (raft_utf8_valid(key, len)) {
		http_json_string(out->b, key, len);
		return 0;
	}
	/* API.md: keys that are not valid UTF-8 are percent-encoded. */
	evbuffer_add(out->b, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || c == '/') {
			evbuffer_add(out->b, key + i, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			evbuffer_add(out->b, e, 3);
		}
	}
	evbuffer_add(out->b, "\"", 1);
	return 0;
}

static void serve_keys(struct http_server *s, struct httpd_request *req,
		       const char *prefix, size_t prefix_len, unsigned limit)
{
	struct keys_out out = {evbuffer_new(), 0};
	char errmsg[256];
	char index_str[24];
	raft_index applied;
	bool more;
	int rv;
	if (out.b == NULL) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory");
		return;
	}
	evbuffer_add_printf(out.b, "{\"keys\":[");
	rv = kv_list(s->kv, prefix, prefix_len, limit, add_key, &out, &more,
		     &applied, errmsg, sizeof(errmsg));
	if (rv != 0) {
		evbuffer_free(out.b);
		raft_log(RAFT_LOG_ERROR, "%s", errmsg);
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL, "%s", errmsg);
		return;
	}
	evbuffer_add_printf(out.b, "],\"more\":%s}\n", more ? "true" : "false");
	snprintf(index_str, sizeof(index_str), "%llu",
		 (unsigned long long)applied);
	httpd_add_header(req, "X-Raft-Index", index_str);
	http_reply_json(s, req, 200, out.b);
	evbuffer_free(out.b);
}

static void serve_pending_read(struct http_server *s, struct pending *p)
{
	if (p->kind == PENDING_GET) {
		serve_get(s, p->req, p->key, p->key_len);
	} else {
		serve_keys(s, p->req, p->key, p->key_len, p->limit);
	}
}

static void read_done(void *arg, int status, raft_index index)
{
	struct pending *p = arg;
	struct http_server *s = p->srv;
	(void)index;
	if (p->req == NULL) {
		goto out;
	}
	if (status != 0) {
		reply_failed(s, p->req, p->kind, status);
		goto out;
	}
	/* The node calls back once the state machine applied index, so
	 * LevelDB now holds every write that completed before the read
	 * began. */
	serve_pending_read(s, p);
out:
	pending_free(p);
}

/* Serves a read at the asked consistency; takes key (malloc'd). */
static void start_read(struct http_server *s, struct httpd_request *req,
		       enum pending_kind kind, enum consistency c, char *key,
		       size_t key_len, unsigned limit)
{
	struct pending *p;
	int rv;
	if (c == CONSISTENCY_STALE) {
		if (kind == PENDING_GET) {
			serve_get(s, req, key, key_len);
		} else {
			serve_keys(s, req, key, key_len, limit);
		}
		free(key);
		return;
	}
	if (s->node == NULL) {
		free(key);
		http_reply_error(s, req, 503, HTTP_ERR_SHUTTING_DOWN,
				 "the server is shutting down");
		return;
	}
	/* A lease read on a leader that holds its lease and applied all it
	 * must: the store is read at once (wait-free). */
	if (c == CONSISTENCY_LEASE && raft_node_read_now(s->node) == 0) {
		if (kind == PENDING_GET) {
			serve_get(s, req, key, key_len);
		} else {
			serve_keys(s, req, key, key_len, limit);
		}
		free(key);
		return;
	}
	p = pending_new(s, req, kind);
	if (p == NULL) {
		free(key);
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory");
		return;
	}
	p->key = key;
	p->key_len = key_len;
	p->limit = limit;
	/* Served on this member, leader or follower: a follower asks the
	 * leader for the read index (follower read) and answers once it
	 * applied it. A lease read uses the lease on a leader that holds
	 * one, else it is a ReadIndex read. */
	rv = c == CONSISTENCY_LEASE
		 ? raft_node_read_lease(s->node, read_done, p)
		 : raft_node_read_index(s->node, read_done, p);
	if (rv != 0) {
		p->req = NULL;
		pending_free(p);
		http_reply_node_error(s, req, rv);
	}
}

/* ------------------------------------------------------------------------
 * Snapshots
 * ------------------------------------------------------------------------ */

static void snapshot_done(void *arg, int status, raft_index index)
{
	struct pending *p = arg;
	struct http_server *s = p->srv;
	struct raft_node_status st;
	struct evbuffer *b;
	if (p->req == NULL) {
		goto out;
	}
	if (status == RAFT_ESHUTDOWN && s->node == NULL) {
		http_reply_error(s, p->req, 503, HTTP_ERR_SHUTTING_DOWN,
				 "the server is shutting down; the snapshot "
				 "was not finished");
		goto out;
	}
	if (status == RAFT_ESHUTDOWN) {
		raft_node_status(s->node, &st);
		http_reply_error(s, p->req, 503, HTTP_ERR_NODE_STOPPED,
				 "the node stopped (%s); the snapshot was not "
				 "finished",
				 st.fatal != NULL ? st.fatal : "shutting down");
		goto out;
	}
	if (status != 0) {
		/* The node logged the details (the file, the errno). */
		http_reply_error(s, p->req, 500, HTTP_ERR_INTERNAL,
				 "the snapshot failed: %s (this member's log "
				 "says why)",
				 raft_strerror(status));
		goto out;
	}
	b = evbuffer_new();
	if (b == NULL) {
		http_reply_error(s, p->req, 500, HTTP_ERR_INTERNAL,
				 "out of memory after the snapshot at index "
				 "%llu",
				 (unsigned long long)index);
		goto out;
	}
	evbuffer_add_printf(b, "{\"index\":%llu}\n", (unsigned long long)index);
	http_reply_json(s, p->req, 200, b);
	evbuffer_free(b);
out:
	pending_free(p);
}

/* POST /v1/snapshot: a snapshot of this member, whatever its role (each
 * member snapshots its own state machine; nothing is forwarded). */
static void handle_snapshot(struct http_server *s, struct httpd_request *req)
{
	struct pending *p;
	int rv;
	if (s->node == NULL) {
		http_reply_error(s, req, 503, HTTP_ERR_SHUTTING_DOWN,
				 "the server is shutting down");
		return;
	}
	p = pending_new(s, req, PENDING_SNAPSHOT);
	if (p == NULL) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory");
		return;
	}
	rv = raft_node_snapshot(s->node, snapshot_done, p);
	if (rv == 0) {
		return;
	}
	p->req = NULL;
	pending_free(p);
	if (rv == RAFT_ENOTSUP) {
		http_reply_error(s, req, 501, HTTP_ERR_NOT_IMPLEMENTED,
				 "this member's state machine takes no "
				 "snapshots");
		return;
	}
	http_reply_node_error(s, req, rv);
}

/* ------------------------------------------------------------------------
 * Endpoints
 * ------------------------------------------------------------------------ */

static void handle_kv(struct http_server *s, struct httpd_request *req,
		      const char *raw_key, const char *query)
{
	enum httpd_method method = httpd_request_method(req);
	struct param params[3] = {{"prev", NULL, 0},
				  {"if_absent", NULL, 0},
				  {"consistency", NULL, 0}};
	size_t raw_len = strlen(raw_key);
	struct kv_command cmd;
	struct raft_buf data;
	struct pending *p;
	char why[128];
	char *key;
	long key_len;
	int rv;

	if (method != HTTPD_GET && method != HTTPD_HEAD &&
	    method != HTTPD_PUT && method != HTTPD_DELETE) {
		http_reply_bad_method(s, req, "GET, HEAD, PUT, DELETE");
		return;
	}
	key = malloc(raw_len + 1);
	if (key == NULL) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory");
		return;
	}
	key_len = pct_decode(raw_key, raw_len, false, key);
	if (key_len < 0) {
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
				 "the key has a bad %%-escape");
		goto out;
	}
	if (key_len == 0 || key_len > KV_KEY_MAX) {
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
				 "a key has 1 to %d bytes, not %ld", KV_KEY_MAX,
				 key_len);
		goto out;
	}
	/* Each method takes its own parameters only. */
	if (!parse_query(query,
			 method == HTTPD_PUT	  ? params
			 : method == HTTPD_DELETE ? params + 3
						  : params + 2,
			 method == HTTPD_PUT	  ? 2
			 : method == HTTPD_DELETE ? 0
						  : 1,
			 why, sizeof(why))) {
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST, "%s", why);
		goto out;
	}

	if (method == HTTPD_GET || method == HTTPD_HEAD) {
		enum consistency c;
		if (!parse_consistency(s, req, &params[2], &c)) {
			goto out;
		}
		if (s->node == NULL) {
			http_reply_error(s, req, 503, HTTP_ERR_SHUTTING_DOWN,
					 "the server is shutting down");
			goto out;
		}
		start_read(s, req, PENDING_GET, c, key, (size_t)key_len, 0);
		key = NULL;
		goto out;
	}

	memset(&cmd, 0, sizeof(cmd));
	cmd.key = key;
	cmd.key_len = (size_t)key_len;
	if (method == HTTPD_DELETE) {
		cmd.op = KV_DELETE;
	} else {
		/* A body over the server's limit was not read: only its
		 * length is known, which is all this needs. */
		cmd.value_len = httpd_request_body_length(req);
		if (cmd.value_len > s->max_value_bytes) {
			http_reply_error(s, req, 413, HTTP_ERR_TOO_LARGE,
					 "the value has %zu bytes; the limit "
					 "is %zu (nothing written)",
					 cmd.value_len, s->max_value_bytes);
			goto out;
		}
		cmd.value = httpd_request_body(req);
		cmd.op = KV_PUT;
		if (params[1].value != NULL) {
			if (strcmp(params[1].value, "true") == 0) {
				cmd.op = KV_CREATE;
			} else if (strcmp(params[1].value, "false") != 0) {
				http_reply_error(s, req, 400,
						 HTTP_ERR_BAD_REQUEST,
						 "if_absent must be true or "
						 "false");
				goto out;
			}
		}
		if (params[0].value != NULL) {
			if (cmd.op == KV_CREATE) {
				http_reply_error(s, req, 400,
						 HTTP_ERR_BAD_REQUEST,
						 "prev and if_absent=true "
						 "exclude each other");
				goto out;
			}
			cmd.op = KV_CAS;
			cmd.prev = params[0].value;
			cmd.prev_len = params[0].value_len;
		}
	}
	if (!http_check_leader(s, req)) {
		goto out;
	}
	rv = kv_command_encode(&cmd, &data);
	if (rv != 0) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL, "%s",
				 raft_strerror(rv));
		goto out;
	}
	p = pending_new(s, req, PENDING_WRITE);
	if (p == NULL) {
		free(data.base);
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory");
		goto out;
	}
	rv = raft_node_apply(s->node, &data, write_done, p);
	free(data.base);
	if (rv != 0) {
		p->req = NULL;
		pending_free(p);
		http_reply_node_error(s, req, rv);
	}
out:
	params_free(params, 3);
	free(key);
}

static void handle_keys(struct http_server *s, struct httpd_request *req,
			const char *query)
{
	enum httpd_method method = httpd_request_method(req);
	struct param params[3] = {
	    {"prefix", NULL, 0}, {"limit", NULL, 0}, {"consistency", NULL, 0}};
	unsigned long long limit = KEYS_DEFAULT_LIMIT;
	enum consistency c;
	char why[128];
	char *prefix;
	size_t prefix_len = 0;
	if (method != HTTPD_GET && method != HTTPD_HEAD) {
		http_reply_bad_method(s, req, "GET, HEAD");
		return;
	}
	if (!parse_query(query, params, 3, why, sizeof(why))) {
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST, "%s", why);
		return;
	}
	if (params[1].value != NULL) {
		char *end;
		errno = 0;
		limit = strtoull(params[1].value, &end, 10);
		if (params[1].value[0] < '0' || params[1].value[0] > '9' ||
		    *end != '\0' || errno == ERANGE || limit < 1 ||
		    limit > KEYS_MAX_LIMIT) {
			http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
					 "limit must be a number from 1 to %d",
					 KEYS_MAX_LIMIT);
			goto out;
		}
	}
	if (!parse_consistency(s, req, &params[2], &c)) {
		goto out;
	}
	if (params[0].value != NULL && params[0].value_len > KV_KEY_MAX) {
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
				 "the prefix is longer than %d bytes",
				 KV_KEY_MAX);
		goto out;
	}
	if (s->node == NULL) {
		http_reply_error(s, req, 503, HTTP_ERR_SHUTTING_DOWN,
				 "the server is shutting down");
		goto out;
	}
	prefix = params[0].value;
	if (prefix != NULL) {
		prefix_len = params[0].value_len;
		params[0].value = NULL; /* start_read() takes it */
	} else {
		prefix = calloc(1, 1);
		if (prefix == NULL) {
			http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
					 "out of memory");
			goto out;
		}
	}
	start_read(s, req, PENDING_KEYS, c, prefix, prefix_len,
		   (unsigned)limit);
out:
	params_free(params, 3);
}

/* For the endpoints that take no parameters: false, answered 400, if the
 * query has any. */
static bool no_params(struct http_server *s, struct httpd_request *req,
		      const char *query)
{
	char why[128];
	if (parse_query(query, NULL, 0, why, sizeof(why))) {
		return true;
	}
	http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST, "%s", why);
	return false;
}

/* Routes a request by its (still %-encoded) path. */
static void handle_request(struct httpd_request *req, void *arg)
{
	struct http_server *s = arg;
	enum httpd_method method = httpd_request_method(req);
	const char *path = httpd_request_path(req);
	const char *query = httpd_request_query(req);

	if (path[0] != '/') {
		http_reply_error(s, req, 404, HTTP_ERR_NOT_FOUND,
				 "no such endpoint");
		return;
	}
	if (strncmp(path, "/v1/kv/", 7) == 0) {
		handle_kv(s, req, path + 7, query);
		return;
	}
	if (strcmp(path, "/v1/keys") == 0) {
		handle_keys(s, req, query);
		return;
	}

	/* The rest take no parameters. */
	if (strcmp(path, "/v1/status") == 0 ||
	    strcmp(path, "/v1/health") == 0 || strcmp(path, "/metrics") == 0 ||
	    strcmp(path, "/v1/members") == 0) {
		bool members = strcmp(path, "/v1/members") == 0;
		if (method != HTTPD_GET && method != HTTPD_HEAD &&
		    !(members && method == HTTPD_POST)) {
			http_reply_bad_method(
			    s, req, members ? "GET, HEAD, POST" : "GET, HEAD");
			return;
		}
		if (!no_params(s, req, query)) {
			return;
		}
		if (members && method == HTTPD_POST) {
			http_admin_add(s, req);
		} else if (members) {
			http_status_members(s, req);
		} else if (strcmp(path, "/v1/status") == 0) {
			http_status_serve(s, req);
		} else if (strcmp(path, "/v1/health") == 0) {
			http_status_health(s, req);
		} else {
			http_status_metrics(s, req);
		}
		return;
	}
	if (strncmp(path, "/v1/members/", 12) == 0) {
		const char *rest = path + 12;
		size_t digits = strspn(rest, "0123456789");
		bool promote =
		    digits > 0 && strcmp(rest + digits, "/promote") == 0;
		unsigned long long id;
		if (digits > 0 && (rest[digits] == '\0' || promote)) {
			if (method != (promote ? HTTPD_POST : HTTPD_DELETE)) {
				http_reply_bad_method(
				    s, req, promote ? "POST" : "DELETE");
				return;
			}
			if (!no_params(s, req, query)) {
				return;
			}
			errno = 0;
			id = strtoull(rest, NULL, 10);
			if (errno == ERANGE || id == 0) {
				http_reply_error(
				    s, req, 400, HTTP_ERR_BAD_REQUEST,
				    "a member id is a number from "
				    "1 to 2^64-1, not %.*s",
				    (int)(digits > 32 ? 32 : digits), rest);
				return;
			}
			if (promote) {
				http_admin_promote(s, req, (raft_id)id);
			} else {
				http_admin_remove(s, req, (raft_id)id);
			}
			return;
		}
	}
	if (strcmp(path, "/v1/snapshot") == 0) {
		if (method != HTTPD_POST) {
			http_reply_bad_method(s, req, "POST");
			return;
		}
		if (!no_params(s, req, query)) {
			return;
		}
		handle_snapshot(s, req);
		return;
	}
	if (strcmp(path, "/v1/leader/transfer") == 0 ||
	    strcmp(path, "/v1/reset-peers") == 0) {
		if (method != HTTPD_POST) {
			http_reply_bad_method(s, req, "POST");
			return;
		}
		if (!no_params(s, req, query)) {
			return;
		}
		if (strcmp(path, "/v1/reset-peers") == 0) {
			http_admin_reset_peers(s, req);
		} else {
			http_admin_transfer(s, req);
		}
		return;
	}
	/* Fault injection, for tests: without --enable-failpoints the path
	 * is as unknown as any other. */
	if (s->enable_failpoints && strcmp(path, "/v1/debug/faults") == 0) {
		if (method != HTTPD_GET && method != HTTPD_HEAD &&
		    method != HTTPD_PUT) {
			http_reply_bad_method(s, req, "GET, HEAD, PUT");
			return;
		}
		if (!no_params(s, req, query)) {
			return;
		}
		http_debug_faults(s, req);
		return;
	}
	http_reply_error(s, req, 404, HTTP_ERR_NOT_FOUND, "no such endpoint");
}

/* ------------------------------------------------------------------------
 * The server
 * ------------------------------------------------------------------------ */

int http_listen(const char *addr, evutil_socket_t *fd, char *errmsg,
		size_t errmsg_len)
{
	struct addrinfo hints, *res;
	char host[OPTIONS_ADDR_MAX];
	char port_str[8];
	unsigned port;
	int one = 1;
	int rv, s;
	rv = options_split_address(addr, host, sizeof(host), &port, errmsg,
				   errmsg_len);
	if (rv != 0) {
		return rv;
	}
	snprintf(port_str, sizeof(port_str), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rv = getaddrinfo(host, port_str, &hints, &res);
	if (rv != 0) {
		snprintf(errmsg, errmsg_len, "listen %s: %s", addr,
			 gai_strerror(rv));
		return RAFT_EIO;
	}
	s = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		   0);
	if (s < 0) {
		goto err_errno;
	}
	/* A restarted raftd must not wait for old connections' TIME_WAIT. */
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(s, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(s, 128) != 0) {
		goto err_errno;
	}
	freeaddrinfo(res);
	*fd = s;
	return 0;

err_errno:
	snprintf(errmsg, errmsg_len, "listen %s: %s", addr, strerror(errno));
	if (s >= 0) {
		close(s);
	}
	freeaddrinfo(res);
	return RAFT_EIO;
}

static void sample_leader(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *s = arg;
	struct raft_node_status st;
	(void)fd;
	(void)what;
	if (s->node == NULL) {
		return;
	}
	/* node.h has no leader-change callback: sampling every tick sees
	 * every change that lasts at least a tick. */
	raft_node_status(s->node, &st);
	if (st.core.leader_id != 0 && st.core.leader_id != s->last_leader) {
		s->leader_changes++;
		s->last_leader = st.core.leader_id;
	}
}

/* A request the server refuses before it reaches handle_request(): the
 * same JSON error shape as every other answer. */
static void handle_refused(struct httpd_request *req, int status,
			   const char *reason, void *arg)
{
	struct http_server *s = arg;
	enum http_error code = HTTP_ERR_BAD_REQUEST;
	if (status == 413 || status == 431) {
		code = HTTP_ERR_TOO_LARGE;
	} else if (status == 501) {
		code = HTTP_ERR_NOT_IMPLEMENTED;
	} else if (status >= 500) {
		code = HTTP_ERR_INTERNAL;
	}
	http_reply_error(s, req, status, code, "%s", reason);
}

int http_server_new(struct event_base *base, const struct http_config *config,
		    struct http_server **out, char *errmsg, size_t errmsg_len)
{
	struct http_server *s;
	struct httpd_config hc;
	struct timeval tv;
	evutil_socket_t fd;
	int rv;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(errmsg, errmsg_len, "out of memory");
		return RAFT_ENOMEM;
	}
	s->base = base;
	s->max_value_bytes = config->max_value_bytes;
	s->request_timeout_ms = config->request_timeout_ms;
	s->tick_ms = config->tick_ms;
	s->election_ticks = config->election_ticks;
	s->enable_failpoints = config->enable_failpoints;
	s->sample_ev = event_new(base, -1, EV_PERSIST, sample_leader, s);
	if (s->sample_ev == NULL) {
		snprintf(errmsg, errmsg_len, "out of memory");
		rv = RAFT_ENOMEM;
		goto err;
	}
	rv = http_listen(config->listen, &fd, errmsg, errmsg_len);
	if (rv != 0) {
		goto err;
	}
	memset(&hc, 0, sizeof(hc));
	hc.max_header_bytes = 64 * 1024;
	/* Bodies up to twice the value limit are read and get the JSON 413
	 * from the handler; a larger one is not read at all (the handler
	 * sees its Content-Length only), so that a huge upload never sits
	 * in memory. */
	hc.max_body_bytes = config->max_value_bytes * 2 + 65536;
	hc.idle_timeout_ms = 120 * 1000;
	hc.on_request = handle_request;
	hc.on_error = handle_refused;
	hc.arg = s;
	rv = httpd_new(base, fd, &hc, &s->httpd, errmsg, errmsg_len);
	if (rv != 0) {
		goto err;
	}
	tv.tv_sec = config->tick_ms / 1000;
	tv.tv_usec = (config->tick_ms % 1000) * 1000;
	if (event_add(s->sample_ev, &tv) != 0) {
		snprintf(errmsg, errmsg_len, "cannot start the leader sampler");
		rv = RAFT_ENOMEM;
		goto err;
	}
	*out = s;
	return 0;

err:
	http_server_free(s);
	return rv;
}

void http_server_attach(struct http_server *s, struct raft_node *node,
			struct kv *kv)
{
	s->node = node;
	s->kv = kv;
}

void http_server_detach(struct http_server *s)
{
	if (s->httpd != NULL) {
		httpd_stop_listening(s->httpd);
	}
	s->node = NULL;
	http_admin_detach(s);
}

void http_server_free(struct http_server *s)
{
	if (s == NULL) {
		return;
	}
	/* Only requests whose node callback never came are left (the node
	 * was never attached, or freed without them): forget them before
	 * httpd_free() frees their requests. */
	while (s->pending != NULL) {
		s->pending->req = NULL;
		pending_free(s->pending);
	}
	http_admin_free(s);
	if (s->sample_ev != NULL) {
		event_free(s->sample_ev);
	}
	httpd_free(s->httpd);
	free(s);
}
