/* HTTP exchanges with raftd on libcurl, leader discovery and failover.
 *
 * A call to the cluster (http_call) goes, in order, to the fixed node the
 * request names, or to the leader last learned (requests the leader
 * serves), or to the endpoint that answered last; then:
 *
 *   no connection  -> the next endpoint that has not failed in this call;
 *                     when none is left, give up;
 *   broken/timeout -> a read goes on the same way; a write stops: it may
 *                     have been applied, only the caller can tell;
 *   307 Location   -> the leader named there (remembered for next time);
 *                     but a leader that failed in this call is dead news:
 *                     wait, then ask the endpoints again (their election
 *                     names a new one);
 *   error with a leader_url or leader_id (not_leader) -> the same;
 *   503 no_leader  -> wait (50 ms doubling to 1 s) and try the next
 *                     endpoint, while the timeout allows;
 *   anything else  -> the answer.
 *
 * The whole call shares one deadline: each exchange gets the time left.
 */
#include "client/http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client/client.h"
#include "client/decode.h"
#include "client/url.h"
#include "raft/error.h"

#define USER_AGENT "libraft-client"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

static char *dup_string(const char *s)
{
	size_t n = strlen(s);
	char *p = raft_malloc(n + 1);
	if (p != NULL) {
		memcpy(p, s, n + 1);
	}
	return p;
}

int exchange_init(struct exchange *ex)
{
	memset(ex, 0, sizeof(*ex));
	buf_init(&ex->body);
	ex->easy = curl_easy_init();
	if (ex->easy == NULL) {
		return RAFT_ENOMEM;
	}
	return 0;
}

void exchange_close(struct exchange *ex)
{
	if (ex->easy != NULL) {
		curl_easy_cleanup(ex->easy);
		ex->easy = NULL;
	}
	curl_slist_free_all(ex->headers);
	ex->headers = NULL;
	buf_close(&ex->body);
	raft_free(ex->location);
	ex->location = NULL;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct exchange *ex = arg;
	size_t n = size * nmemb;
	if (n > HTTP_MAX_ANSWER_BYTES - ex->body.len) {
		ex->too_big = true;
		return 0; /* makes libcurl fail the transfer */
	}
	if (buf_append(&ex->body, ptr, n) != 0) {
		ex->oom = true;
		return 0;
	}
	return n;
}

/* If the header line (without its CRLF) is "NAME: value", returns the
 * value with blanks trimmed and its length in *len, else NULL. */
static const char *header_value(const char *line, size_t *len, const char *name)
{
	size_t n = strlen(name);
	const char *v;
	size_t vlen;
	if (*len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':') {
		return NULL;
	}
	v = line + n + 1;
	vlen = *len - n - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) {
		vlen--;
	}
	*len = vlen;
	return v;
}

static size_t on_header(char *ptr, size_t size, size_t nitems, void *arg)
{
	struct exchange *ex = arg;
	size_t n = size * nitems;
	size_t len = n;
	const char *v;
	uint64_t index;

	while (len > 0 && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n')) {
		len--;
	}
	if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		/* A new header block (after a 100 Continue, say). */
		raft_free(ex->location);
		ex->location = NULL;
		ex->have_raft_index = false;
		return n;
	}
	if ((v = header_value(ptr, &len, "Location")) != NULL) {
		char *copy = raft_malloc(len + 1);
		if (copy == NULL) {
			ex->oom = true;
			return 0;
		}
		memcpy(copy, v, len);
		copy[len] = '\0';
		raft_free(ex->location);
		ex->location = copy;
	} else if ((v = header_value(ptr, &len, "X-Raft-Index")) != NULL) {
		/* A malformed index is ignored: the value is what counts. */
		if (decode_u64(v, len, &index) == 0) {
			ex->have_raft_index = true;
			ex->raft_index = index;
		}
	}
	return n;
}

static int from_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return 0;
	case CURLE_OUT_OF_MEMORY:
		return RAFT_ENOMEM;
	default:
		return RAFT_EIO;
	}
}

/* Sets an option and keeps the first failure in rv. */
#define SETOPT(opt, val)                                                   \
	do {                                                               \
		if (rv == 0) {                                             \
			rv = from_curl(curl_easy_setopt(e, (opt), (val))); \
		}                                                          \
	} while (0)

int exchange_prepare(struct exchange *ex, const struct raft_client *c,
		     const char *base, const struct http_request *req,
		     long timeout_ms)
{
	CURL *e = ex->easy;
	struct buf line;
	long connect_ms = (long)c->connect_timeout_ms;
	int rv = 0;

	curl_easy_reset(e);
	curl_slist_free_all(ex->headers);
	ex->headers = NULL;
	buf_reset(&ex->body);
	raft_free(ex->location);
	ex->location = NULL;
	ex->have_raft_index = false;
	ex->raft_index = 0;
	ex->too_big = false;
	ex->oom = false;
	ex->status = 0;
	ex->rc = CURLE_OK;
	ex->errbuf[0] = '\0';
	ex->timeout_ms = timeout_ms < 1 ? 1 : timeout_ms;
	ex->budget_ms = c->timeout_ms;
	if (connect_ms > ex->timeout_ms) {
		connect_ms = ex->timeout_ms;
	}

	buf_init(&line);
	rv = buf_puts(&line, base);
	if (rv == 0) {
		rv = buf_puts(&line, req->target);
	}
	SETOPT(CURLOPT_URL, line.data); /* libcurl copies strings */
	buf_reset(&line);
	/* Keys may be "." or "..": send the path as it is. */
	SETOPT(CURLOPT_PATH_AS_IS, 1L);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, ex->timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	SETOPT(CURLOPT_USERAGENT, USER_AGENT);
	SETOPT(CURLOPT_ERRORBUFFER, ex->errbuf);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, ex);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, ex);
	/* Redirects are followed by http_call(), which learns the leader
	 * from them; libcurl must not do it behind its back. */
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	if (c->keep_alive) {
		SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	} else {
		SETOPT(CURLOPT_FORBID_REUSE, 1L);
	}

	if (strcmp(req->method, "GET") == 0) {
		SETOPT(CURLOPT_HTTPGET, 1L);
	} else if (req->body != NULL || strcmp(req->method, "DELETE") != 0) {
		/* PUT and POST send their body from memory (possibly empty,
		 * with Content-Length: 0). */
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		SETOPT(CURLOPT_POSTFIELDS,
		       req->body != NULL ? (const char *)req->body : "");
		SETOPT(CURLOPT_CUSTOMREQUEST, req->method);
	} else {
		SETOPT(CURLOPT_CUSTOMREQUEST, req->method);
	}

	/* No "Expect: 100-continue" round trip before large bodies. */
	if (rv == 0) {
		ex->headers = curl_slist_append(NULL, "Expect:");
		if (ex->headers == NULL) {
			rv = RAFT_ENOMEM;
		}
	}
	if (rv == 0 && req->body != NULL) {
		struct curl_slist *l;
		rv = buf_printf(&line, "Content-Type: %s",
				req->content_type != NULL
				    ? req->content_type
				    : "application/octet-stream");
		if (rv == 0) {
			l = curl_slist_append(ex->headers, line.data);
			if (l == NULL) {
				rv = RAFT_ENOMEM;
			} else {
				ex->headers = l;
			}
		}
	}
	SETOPT(CURLOPT_HTTPHEADER, ex->headers);
	buf_close(&line);
	return rv;
}

#undef SETOPT

int exchange_result(struct exchange *ex, bool *delivered, char *why,
		    size_t why_len)
{
	long request_size = 0;
	long os_errno = 0;

	*delivered = false;
	if (ex->oom) {
		snprintf(why, why_len, "out of memory");
		return RAFT_ENOMEM;
	}
	if (ex->rc == CURLE_OK) {
		if (curl_easy_getinfo(ex->easy, CURLINFO_RESPONSE_CODE,
				      &ex->status) != CURLE_OK) {
			ex->status = 0;
		}
		*delivered = true;
		return 0;
	}
	/* Whether any byte of the request left: until then the node cannot
	 * have acted on it. */
	if (curl_easy_getinfo(ex->easy, CURLINFO_REQUEST_SIZE, &request_size) !=
	    CURLE_OK) {
		request_size = 1;
	}
	*delivered = request_size > 0;
	switch (ex->rc) {
	case CURLE_OUT_OF_MEMORY:
		snprintf(why, why_len, "out of memory");
		return RAFT_ENOMEM;
	case CURLE_WRITE_ERROR:
		if (ex->too_big) {
			snprintf(why, why_len,
				 "the answer is larger than %u bytes",
				 HTTP_MAX_ANSWER_BYTES);
			return RAFT_ETOOBIG;
		}
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (*delivered) {
			/* The exchange had what was left of the call's
			 * budget: the call is what ran out of time. */
			snprintf(why, why_len, "no answer within %u ms",
				 ex->budget_ms);
		} else {
			snprintf(why, why_len, "connection timed out");
		}
		return RAFT_ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		*delivered = false;
		if (curl_easy_getinfo(ex->easy, CURLINFO_OS_ERRNO, &os_errno) ==
			CURLE_OK &&
		    os_errno != 0) {
			snprintf(why, why_len, "%s", strerror((int)os_errno));
			return RAFT_EIO;
		}
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		*delivered = false;
		break;
	default:
		break;
	}
	snprintf(why, why_len, "%s",
		 ex->errbuf[0] != '\0' ? ex->errbuf
				       : curl_easy_strerror(ex->rc));
	return RAFT_EIO;
}

static int endpoint_index(const struct raft_client *c, const char *url)
{
	unsigned i;
	for (i = 0; i < c->n_endpoints; i++) {
		if (strcmp(c->endpoints[i], url) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* Moves *target to url (copied). Errors: RAFT_ENOMEM. */
static int retarget(char **target, const char *url)
{
	char *copy = dup_string(url);
	if (copy == NULL) {
		return RAFT_ENOMEM;
	}
	raft_free(*target);
	*target = copy;
	return 0;
}

/* Remembers url (copied) as the leader's; NULL forgets it. */
static int learn_leader(struct raft_client *c, const char *url)
{
	char *copy = NULL;
	if (url != NULL) {
		copy = dup_string(url);
		if (copy == NULL) {
			return RAFT_ENOMEM;
		}
	}
	raft_free(c->leader_url);
	c->leader_url = copy;
	return 0;
}

/* Asks node (base URL) for its member list and stores the client URL of
 * member id in *url (raft_malloc'd). Returns 0, or non-zero when it cannot
 * be found out (a hint only: the caller goes on without it). */
static int lookup_client_url(struct raft_client *c, const char *node,
			     raft_id id, long timeout_ms, char **url)
{
	struct http_request req = {
	    .method = "GET", .target = "/v1/status", .idempotent = true};
	struct raft_client_status st;
	char why[256];
	bool delivered;
	unsigned i;
	int rv;

	*url = NULL;
	rv = exchange_prepare(&c->ex, c, node, &req, timeout_ms);
	if (rv != 0) {
		return rv;
	}
	c->ex.rc = curl_easy_perform(c->ex.easy);
	rv = exchange_result(&c->ex, &delivered, why, sizeof(why));
	if (rv != 0 || c->ex.status != 200) {
		return rv != 0 ? rv : RAFT_EPROTO;
	}
	rv = decode_status(c->ex.body.data, c->ex.body.len, &st, why,
			   sizeof(why));
	if (rv != 0) {
		return rv;
	}
	rv = RAFT_ENOTFOUND;
	for (i = 0; i < st.n_members; i++) {
		if (st.members[i].id == id &&
		    st.members[i].client_url[0] != '\0') {
			rv = url_parse_base(st.members[i].client_url, url, why,
					    sizeof(why));
			break;
		}
	}
	raft_client_status_close(&st);
	return rv;
}

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 ||
	       status == 307 || status == 308;
}

/* Sets the client's message for an error answer. */
static void error_answer(struct raft_client *c, const char *target, int code,
			 const struct decode_error *e)
{
	long status = c->ex.status;
	if (code == CLIENT_ENOTSUP && status == 501) {
		client_errorf(c, "not supported by this server%s%s",
			      e->message[0] != '\0' ? ": " : "", e->message);
	} else if (e->message[0] != '\0') {
		client_errorf(c, "%s", e->message);
	} else if (e->code[0] != '\0') {
		client_errorf(c, "%s (HTTP %ld)", e->code, status);
	} else {
		client_errorf(c, "%s answered HTTP %ld", target, status);
	}
}

/* The state of one call to the cluster. */
struct call {
	struct raft_client *c;
	const struct http_request *req;
	int64_t deadline;
	char *target;	     /* the base URL asked now */
	int target_endpoint; /* its index in c->endpoints, or -1 */
	unsigned pos;	     /* the next endpoint of the rotation */
	bool *dead;	     /* endpoints that did not answer in this call */
	char *dead_leader;   /* a leader URL that did not answer, or NULL */
	struct buf failures; /* "URL: why; URL: why" */
	unsigned n_failures;
	unsigned redirects;
	unsigned backoff_ms;
};

static bool call_is_dead(const struct call *k, const char *url)
{
	int i = endpoint_index(k->c, url);
	return (i >= 0 && k->dead[i]) ||
	       (k->dead_leader != NULL && strcmp(k->dead_leader, url) == 0);
}

/* Moves to the next endpoint of the rotation that answered so far.
 * Errors: RAFT_ENOTFOUND (none left), RAFT_ENOMEM. */
static int call_next_endpoint(struct call *k)
{
	unsigned n = k->c->n_endpoints;
	unsigned i;
	for (i = 0; i < n; i++) {
		unsigned at = (k->pos + i) % n;
		if (k->dead[at]) {
			continue;
		}
		if (retarget(&k->target, k->c->endpoints[at]) != 0) {
			return RAFT_ENOMEM;
		}
		k->target_endpoint = (int)at;
		k->pos = (at + 1) % n;
		return 0;
	}
	return RAFT_ENOTFOUND;
}

/* Waits a little (50 ms doubling to 1 s) for an election to end. Errors:
 * RAFT_ETIMEDOUT when the deadline leaves no time for it. */
static int call_wait(struct call *k)
{
	if (k->deadline - now_ms() <= (int64_t)k->backoff_ms) {
		return RAFT_ETIMEDOUT;
	}
	sleep_ms(k->backoff_ms);
	k->backoff_ms = k->backoff_ms * 2 > 1000 ? 1000 : k->backoff_ms * 2;
	return 0;
}

/* Goes to the leader at base (taken over). A leader that did not answer in
 * this call is not asked again: the nodes that named it will know better
 * after their election, so wait and ask them again. Errors: RAFT_EPROTO
 * (too many redirects), RAFT_ENOTLEADER (no time left to wait for a
 * leader), RAFT_ENOMEM; the client's message is set. */
static int call_follow(struct call *k, char *base)
{
	struct raft_client *c = k->c;
	int rv;

	if (call_is_dead(k, base)) {
		raft_free(base);
		if (call_wait(k) != 0) {
			client_errorf(c, "no leader reachable within %u ms: %s",
				      c->timeout_ms, k->failures.data);
			return RAFT_ENOTLEADER;
		}
		rv = call_next_endpoint(k);
		if (rv == RAFT_ENOTFOUND) {
			client_errorf(c, "no endpoint answered: %s",
				      k->failures.data);
			return RAFT_EIO;
		}
		return rv == 0 ? 0 : RAFT_ENOMEM;
	}
	if (++k->redirects > HTTP_MAX_REDIRECTS) {
		client_errorf(c, "more than %d redirects (the last to %s)",
			      HTTP_MAX_REDIRECTS, base);
		raft_free(base);
		return RAFT_EPROTO;
	}
	if (learn_leader(c, base) != 0) {
		raft_free(base);
		return RAFT_ENOMEM;
	}
	raft_free(k->target);
	k->target = base;
	k->target_endpoint = endpoint_index(c, base);
	return 0;
}

/* Handles an exchange that got no HTTP answer (why says what happened).
 * Returns 0 to go on with another node, else the call's error. */
static int call_unanswered(struct call *k, int err, bool delivered,
			   const char *why)
{
	struct raft_client *c = k->c;
	const struct http_request *req = k->req;
	int rv;

	if (buf_printf(&k->failures, "%s%s: %s", k->n_failures > 0 ? "; " : "",
		       k->target, why) != 0) {
		return RAFT_ENOMEM;
	}
	k->n_failures++;
	if (k->target_endpoint >= 0) {
		k->dead[k->target_endpoint] = true;
	}
	if (c->leader_url != NULL && strcmp(c->leader_url, k->target) == 0) {
		raft_free(k->dead_leader);
		k->dead_leader = c->leader_url;
		c->leader_url = NULL;
	}
	if (req->url != NULL || (delivered && !req->idempotent)) {
		/* A write that may have arrived must not go twice. */
		client_errorf(c, "%s: %s%s", k->target, why,
			      req->url == NULL
				  ? " (the request may have been applied)"
				  : "");
		return err;
	}
	rv = call_next_endpoint(k);
	if (rv == RAFT_ENOTFOUND) {
		if (k->n_failures == 1) {
			client_errorf(c, "%s", k->failures.data);
		} else {
			client_errorf(c, "no endpoint answered: %s",
				      k->failures.data);
		}
		return err;
	}
	return rv;
}

/* Handles a redirect. Returns 0 to go on, else the call's error. */
static int call_redirected(struct call *k)
{
	struct raft_client *c = k->c;
	const char *location = c->ex.location;
	char why[256];
	char *base = NULL;
	int rv;

	if (k->req->url != NULL) {
		client_errorf(c, "%s redirected the request to %s", k->target,
			      location != NULL ? location : "nowhere");
		return RAFT_EPROTO;
	}
	if (location == NULL) {
		client_errorf(c, "%s answered %ld without a Location",
			      k->target, c->ex.status);
		return RAFT_EPROTO;
	}
	if (location[0] == '/') {
		/* Relative: the same node, another path. */
		rv = retarget(&base, k->target);
	} else {
		rv = url_parse_base(location, &base, why, sizeof(why));
	}
	if (rv == RAFT_EINVAL) {
		client_errorf(c, "%s redirected to \"%s\": %s", k->target,
			      location, why);
		return RAFT_EPROTO;
	}
	if (rv != 0) {
		return RAFT_ENOMEM;
	}
	return call_follow(k, base);
}

/* Handles an error answer about the leader (code RAFT_ENOTLEADER).
 * Returns 0 to go on, 1 to report the answer, else the call's error. */
static int call_not_leader(struct call *k, const struct decode_error *e,
			   int64_t remaining)
{
	struct raft_client *c = k->c;
	char why[256];
	char *base = NULL;

	if (k->req->url != NULL) {
		return 1;
	}
	if (e->leader_url[0] != '\0' &&
	    url_parse_base(e->leader_url, &base, why, sizeof(why)) == 0) {
		if (strcmp(base, k->target) != 0) {
			return call_follow(k, base);
		}
		raft_free(base);
		base = NULL;
	}
	if (e->leader_id != 0 && e->leader_url[0] == '\0' &&
	    lookup_client_url(c, k->target, e->leader_id, (long)remaining,
			      &base) == 0) {
		if (strcmp(base, k->target) != 0) {
			return call_follow(k, base);
		}
		raft_free(base);
	}
	/* No leader known: an election may be under way. no_leader promises
	 * that nothing was proposed, so the request may go again, elsewhere,
	 * a bit later. */
	if (strcmp(e->code, "no_leader") == 0 && call_wait(k) == 0) {
		(void)learn_leader(c, NULL);
		return call_next_endpoint(k) == RAFT_ENOMEM ? RAFT_ENOMEM : 0;
	}
	return 1;
}

int http_call(struct raft_client *c, const struct http_request *req)
{
	struct call k;
	struct decode_error e;
	char why[512];
	bool delivered;
	int rv;

	memset(&k, 0, sizeof(k));
	k.c = c;
	k.req = req;
	k.deadline = now_ms() + (int64_t)c->timeout_ms;
	k.target_endpoint = -1;
	k.pos = c->current;
	k.backoff_ms = 50;
	buf_init(&k.failures);
	raft_free(c->last_url);
	c->last_url = NULL;
	c->errmsg[0] = '\0';

	k.dead = raft_calloc(c->n_endpoints, sizeof(*k.dead));
	if (k.dead == NULL) {
		goto oom;
	}
	if (req->url != NULL) {
		rv = retarget(&k.target, req->url);
	} else if (req->prefer_leader && c->leader_url != NULL) {
		rv = retarget(&k.target, c->leader_url);
		k.target_endpoint = endpoint_index(c, k.target);
	} else {
		rv = call_next_endpoint(&k);
	}
	if (rv != 0) {
		goto oom;
	}

	for (;;) {
		int64_t remaining = k.deadline - now_ms();
		long status;
		int code;

		if (remaining <= 0) {
			rv = RAFT_ETIMEDOUT;
			client_errorf(
			    c, "no answer within %u ms%s%s", c->timeout_ms,
			    k.failures.len > 0 ? ": " : "",
			    k.failures.len > 0 ? k.failures.data : "");
			goto out;
		}
		rv =
		    exchange_prepare(&c->ex, c, k.target, req, (long)remaining);
		if (rv != 0) {
			goto oom;
		}
		c->ex.rc = curl_easy_perform(c->ex.easy);
		rv = exchange_result(&c->ex, &delivered, why, sizeof(why));
		if (rv == RAFT_ENOMEM) {
			goto oom;
		}
		if (rv != 0) {
			rv = call_unanswered(&k, rv, delivered, why);
			if (rv == RAFT_ENOMEM) {
				goto oom;
			}
			if (rv != 0) {
				goto out;
			}
			continue;
		}

		status = c->ex.status;
		if (status >= 200 && status < 300) {
			c->last_url = k.target;
			k.target = NULL;
			if (k.target_endpoint >= 0) {
				c->current = (unsigned)k.target_endpoint;
			}
			rv = 0;
			goto out;
		}
		if (is_redirect(status)) {
			rv = call_redirected(&k);
			if (rv == RAFT_ENOMEM) {
				goto oom;
			}
			if (rv != 0) {
				goto out;
			}
			continue;
		}
		decode_error(c->ex.body.data, c->ex.body.len, &e);
		code = decode_error_code(status, e.code);
		if (code == RAFT_ENOTLEADER) {
			rv = call_not_leader(&k, &e, remaining);
			if (rv == RAFT_ENOMEM) {
				goto oom;
			}
			if (rv == 0) {
				continue;
			}
			if (rv < 0) {
				goto out;
			}
		}
		error_answer(c, k.target, code, &e);
		rv = code;
		goto out;
	}

oom:
	rv = RAFT_ENOMEM;
	client_errorf(c, "out of memory");
out:
	raft_free(k.target);
	raft_free(k.dead_leader);
	raft_free(k.dead);
	buf_close(&k.failures);
	return rv;
}

int http_get_many(struct raft_client *c, const char *target,
		  struct http_many *nodes, unsigned n)
{
	struct http_request req = {
	    .method = "GET", .target = target, .idempotent = true};
	struct exchange *ex;
	bool *done;
	CURLM *multi;
	CURLMcode mc = CURLM_OK;
	CURLMsg *msg;
	int running = 0;
	int left;
	unsigned i;
	int rv = 0;

	if (n == 0) {
		return 0;
	}
	multi = curl_multi_init();
	if (multi == NULL) {
		return RAFT_ENOMEM;
	}
	ex = raft_calloc(n, sizeof(*ex));
	done = raft_calloc(n, sizeof(*done));
	if (ex == NULL || done == NULL) {
		rv = RAFT_ENOMEM;
		goto err_after_alloc;
	}
	for (i = 0; i < n; i++) {
		rv = exchange_init(&ex[i]);
		if (rv == 0) {
			rv = exchange_prepare(&ex[i], c, nodes[i].url, &req,
					      (long)c->timeout_ms);
		}
		if (rv == 0 &&
		    curl_multi_add_handle(multi, ex[i].easy) != CURLM_OK) {
			rv = RAFT_ENOMEM;
		}
		if (rv != 0) {
			i++; /* close this one too */
			goto err_after_handles;
		}
	}

	do {
		mc = curl_multi_perform(multi, &running);
		if (mc == CURLM_OK && running > 0) {
			mc = curl_multi_poll(multi, NULL, 0, 1000, NULL);
		}
	} while (mc == CURLM_OK && running > 0);

	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE) {
			continue;
		}
		for (i = 0; i < n; i++) {
			if (ex[i].easy == msg->easy_handle) {
				ex[i].rc = msg->data.result;
				done[i] = true;
			}
		}
	}

	for (i = 0; i < n; i++) {
		bool delivered;
		if (!done[i]) {
			/* The multi handle itself failed. */
			nodes[i].err = RAFT_EIO;
			snprintf(nodes[i].why, sizeof(nodes[i].why), "%s",
				 curl_multi_strerror(mc));
			continue;
		}
		nodes[i].err = exchange_result(&ex[i], &delivered, nodes[i].why,
					       sizeof(nodes[i].why));
		nodes[i].status = ex[i].status;
		nodes[i].body = ex[i].body;
		buf_init(&ex[i].body);
	}
	i = n;

err_after_handles:
	while (i > 0) {
		i--;
		if (ex[i].easy != NULL) {
			curl_multi_remove_handle(multi, ex[i].easy);
		}
		exchange_close(&ex[i]);
	}
err_after_alloc:
	raft_free(done);
	raft_free(ex);
	curl_multi_cleanup(multi);
	return rv;
}
