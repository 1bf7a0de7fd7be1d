/* Unit tests of raftd's HTTP server (raftd/httpd.c): a real server on a
 * loopback port and raw clients in the same process, the loop run by
 * hand between what the client sends and what it reads. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "raftd/httpd.h"
#include "test.h"

#define MAX_BODY   1024
#define IDLE_MS	   300
#define N_WAITING  8
#define DEADLINE_S 5

struct srv_fixture {
	struct event_base *base;
	struct httpd *h;
	int port;
	bool answer_later; /* keep requests in waiting instead */
	struct httpd_request *waiting[N_WAITING];
	unsigned n_waiting;
	unsigned n_requests;
	char method[16];
	char path[256];
	char query[256];
	bool has_query;
	char body[4096];
	size_t body_len;
	bool body_null;
	unsigned n_errors;
	int error_status;
	char error_reason[256];
	size_t answer_bytes; /* on_request answers with this many bytes */
};

/* A client on a plain socket, with what it received so far. */
struct client {
	int fd;
	char *data;
	size_t len, cap;
	bool closed;
};

/* The server answers each request at once with "PATH BODY_LENGTH" (or
 * answer_bytes of 'x'), unless answer_later. */
static void on_request(struct httpd_request *req, void *arg)
{
	struct srv_fixture *f = arg;
	const char *query = httpd_request_query(req);
	const char *body = httpd_request_body(req);
	struct evbuffer *b;
	f->n_requests++;
	snprintf(f->method, sizeof(f->method), "%s",
		 httpd_request_method_name(req));
	snprintf(f->path, sizeof(f->path), "%s", httpd_request_path(req));
	f->has_query = query != NULL;
	snprintf(f->query, sizeof(f->query), "%s", query != NULL ? query : "");
	f->body_len = httpd_request_body_length(req);
	f->body_null = body == NULL;
	if (body != NULL && f->body_len < sizeof(f->body)) {
		memcpy(f->body, body, f->body_len);
		f->body[f->body_len] = '\0';
	}
	if (f->answer_later) {
		ASSERT_LT_U64(f->n_waiting, N_WAITING);
		f->waiting[f->n_waiting++] = req;
		return;
	}
	b = evbuffer_new();
	ASSERT_NOT_NULL(b);
	if (f->answer_bytes > 0) {
		char *x = malloc(f->answer_bytes);
		ASSERT_NOT_NULL(x);
		memset(x, 'x', f->answer_bytes);
		evbuffer_add(b, x, f->answer_bytes);
		free(x);
	} else {
		evbuffer_add_printf(b, "%s %zu", f->path, f->body_len);
	}
	httpd_add_header(req, "X-Test", "yes");
	httpd_reply(req, 200, NULL, "text/plain", b);
	evbuffer_free(b);
}

static void on_error(struct httpd_request *req, int status, const char *reason,
		     void *arg)
{
	struct srv_fixture *f = arg;
	struct evbuffer *b = evbuffer_new();
	ASSERT_NOT_NULL(b);
	f->n_errors++;
	f->error_status = status;
	snprintf(f->error_reason, sizeof(f->error_reason), "%s", reason);
	evbuffer_add_printf(b, "%s\n", reason);
	httpd_reply(req, status, NULL, "text/plain", b);
	evbuffer_free(b);
}

SETUP(srv)
{
	struct httpd_config config;
	struct sockaddr_in addr;
	socklen_t addr_len = sizeof(addr);
	char errmsg[128];
	int fd;
	f->base = event_base_new();
	ASSERT_NOT_NULL(f->base);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(fd >= 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ_INT(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ASSERT_EQ_INT(listen(fd, 16), 0);
	ASSERT_EQ_INT(getsockname(fd, (struct sockaddr *)&addr, &addr_len), 0);
	f->port = ntohs(addr.sin_port);
	memset(&config, 0, sizeof(config));
	config.max_header_bytes = 65536;
	config.max_body_bytes = MAX_BODY;
	config.idle_timeout_ms = IDLE_MS;
	config.on_request = on_request;
	config.on_error = on_error;
	config.arg = f;
	ASSERT_OK(
	    httpd_new(f->base, fd, &config, &f->h, errmsg, sizeof(errmsg)));
}

TEARDOWN(srv)
{
	httpd_free(f->h);
	event_base_free(f->base);
}

/* ------------------------------------------------------------------------
 * The client side
 * ------------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void client_open(struct srv_fixture *f, struct client *c)
{
	struct sockaddr_in addr;
	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(c->fd >= 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)f->port);
	ASSERT_EQ_INT(connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)),
		      0);
}

static void client_close(struct client *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	free(c->data);
	c->data = NULL;
}

static void client_send(struct client *c, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
		ASSERT_TRUE(n > 0);
		data += n;
		len -= (size_t)n;
	}
}

static void client_send_str(struct client *c, const char *s)
{
	client_send(c, s, strlen(s));
}

/* Reads what is there without waiting. */
static void client_poll(struct client *c)
{
	for (;;) {
		ssize_t n;
		if (c->cap - c->len < 65536) {
			c->cap = c->cap * 2 + 65536;
			c->data = realloc(c->data, c->cap + 1);
			ASSERT_NOT_NULL(c->data);
		}
		n = recv(c->fd, c->data + c->len, c->cap - c->len,
			 MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			c->data[c->len] = '\0';
			continue;
		}
		if (n == 0) {
			c->closed = true;
		}
		ASSERT_TRUE(n == 0 || errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ECONNRESET);
		if (n < 0 && errno == ECONNRESET) {
			c->closed = true;
		}
		return;
	}
}

/* Counts the complete answers in what c received (a 100 Continue counts
 * as one); head: the answers carry no body. */
static unsigned count_answers(const struct client *c, bool head)
{
	size_t off = 0;
	unsigned n = 0;
	while (off < c->len) {
		const char *start = c->data + off;
		const char *end = strstr(start, "\r\n\r\n");
		const char *cl;
		size_t body = 0;
		if (end == NULL) {
			break;
		}
		cl = strstr(start, "Content-Length: ");
		if (cl != NULL && cl < end && !head) {
			body = strtoul(cl + 16, NULL, 10);
		}
		if ((size_t)(end + 4 - start) + body > c->len - off) {
			break;
		}
		off += (size_t)(end + 4 - start) + body;
		n++;
	}
	return n;
}

/* Runs the loop and reads until cond holds, or fails after DEADLINE_S. */
#define WAIT_FOR(f, c, cond)                                                   \
	do {                                                                   \
		double deadline_ = now_s() + DEADLINE_S;                       \
		for (;;) {                                                     \
			event_base_loop((f)->base, EVLOOP_NONBLOCK);           \
			if ((c) != NULL) {                                     \
				client_poll(c);                                \
			}                                                      \
			if (cond) {                                            \
				break;                                         \
			}                                                      \
			if (now_s() > deadline_) {                             \
				test_fail(__FILE__, __LINE__,                  \
					  "%s: still false after %d s", #cond, \
					  DEADLINE_S);                         \
			}                                                      \
			usleep(1000);                                          \
		}                                                              \
	} while (0)

/* Runs the loop for ms milliseconds. */
static void run_for(struct srv_fixture *f, struct client *c, unsigned ms)
{
	double end = now_s() + ms / 1000.0;
	while (now_s() < end) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		if (c != NULL) {
			client_poll(c);
		}
		usleep(1000);
	}
}

static void reply_text(struct httpd_request *req, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	ASSERT_NOT_NULL(b);
	evbuffer_add(b, text, strlen(text));
	httpd_reply(req, 200, NULL, "text/plain", b);
	evbuffer_free(b);
}

/* ------------------------------------------------------------------------
 * Cases
 * ------------------------------------------------------------------------ */

TEST(srv, answers_on_a_kept_alive_connection)
{
	struct client c;
	client_open(f, &c);
	client_send_str(&c, "GET /v1/a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
	WAIT_FOR(f, &c, count_answers(&c, false) == 1);
	ASSERT_STR_CONTAINS(c.data, "HTTP/1.1 200 OK\r\n");
	ASSERT_STR_CONTAINS(c.data, "X-Test: yes\r\n");
	ASSERT_STR_CONTAINS(c.data, "Content-Type: text/plain\r\n");
	ASSERT_STR_CONTAINS(c.data, "Date: ");
	ASSERT_STR_CONTAINS(c.data, "Content-Length: 7\r\n\r\n/v1/a 0");
	ASSERT_TRUE(strstr(c.data, "Connection:") == NULL);
	ASSERT_EQ_STR(f->method, "GET");
	ASSERT_EQ_STR(f->query, "x=1");
	client_send_str(&c,
			"PUT /v1/b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
	WAIT_FOR(f, &c, count_answers(&c, false) == 2);
	ASSERT_STR_CONTAINS(c.data, "/v1/b 3");
	ASSERT_EQ_STR(f->method, "PUT");
	ASSERT_EQ_STR(f->body, "abc");
	ASSERT_FALSE(f->has_query);
	ASSERT_FALSE(c.closed);
	ASSERT_EQ_U64(httpd_connections(f->h), 1);
	client_close(&c);
	WAIT_FOR(f, (struct client *)NULL, httpd_connections(f->h) == 0);
}

TEST(srv, pipelined_requests_are_served_one_at_a_time_in_order)
{
	struct client c;
	f->answer_later = true;
	client_open(f, &c);
	client_send_str(&c, "GET /1 HTTP/1.1\r\n\r\n"
			    "PUT /2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
			    "GET /3 HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, f->n_requests == 1);
	/* The next ones wait, unparsed, for the first answer. */
	run_for(f, &c, 50);
	ASSERT_EQ_U64(f->n_requests, 1);
	ASSERT_EQ_STR(f->path, "/1");
	reply_text(f->waiting[0], "one");
	WAIT_FOR(f, &c, f->n_requests == 2);
	ASSERT_EQ_STR(f->path, "/2");
	ASSERT_EQ_STR(f->body, "hi");
	run_for(f, &c, 20);
	ASSERT_EQ_U64(f->n_requests, 2);
	reply_text(f->waiting[1], "two");
	WAIT_FOR(f, &c, f->n_requests == 3);
	ASSERT_EQ_STR(f->path, "/3");
	reply_text(f->waiting[2], "three");
	WAIT_FOR(f, &c, count_answers(&c, false) == 3);
	ASSERT_TRUE(strstr(c.data, "one") < strstr(c.data, "two"));
	ASSERT_TRUE(strstr(c.data, "two") < strstr(c.data, "three"));
	client_close(&c);
}

TEST(srv, answers_of_pipelined_requests_answered_at_once_stay_in_order)
{
	struct client c;
	char req[4096] = "";
	client_open(f, &c);
	for (int i = 0; i < 20; i++) {
		char one[64];
		snprintf(one, sizeof(one), "GET /%d HTTP/1.1\r\n\r\n", i);
		strcat(req, one);
	}
	client_send_str(&c, req);
	WAIT_FOR(f, &c, count_answers(&c, false) == 20);
	for (int i = 0; i < 19; i++) {
		char a[16], b[16];
		snprintf(a, sizeof(a), "\r\n/%d 0", i);
		snprintf(b, sizeof(b), "\r\n/%d 0", i + 1);
		ASSERT_TRUE(strstr(c.data, a) < strstr(c.data, b));
	}
	client_close(&c);
}

TEST(srv, expect_100_continue_is_answered_before_the_body)
{
	struct client c;
	client_open(f, &c);
	client_send_str(&c, "PUT /k HTTP/1.1\r\nContent-Length: 5\r\n"
			    "Expect: 100-Continue\r\n\r\n");
	WAIT_FOR(f, &c, c.len >= 25);
	ASSERT_EQ_STR(c.data, "HTTP/1.1 100 Continue\r\n\r\n");
	ASSERT_EQ_U64(f->n_requests, 0);
	client_send_str(&c, "hello");
	WAIT_FOR(f, &c, count_answers(&c, false) == 2);
	ASSERT_EQ_STR(f->body, "hello");
	ASSERT_STR_CONTAINS(c.data, "HTTP/1.1 200 OK");
	client_close(&c);
}

TEST(srv, an_unknown_expectation_gets_417)
{
	struct client c;
	client_open(f, &c);
	client_send_str(&c, "PUT /k HTTP/1.1\r\nContent-Length: 1\r\n"
			    "Expect: magic\r\n\r\nx");
	WAIT_FOR(f, &c, c.closed);
	ASSERT_STR_CONTAINS(c.data, "HTTP/1.1 417 Expectation Failed\r\n");
	ASSERT_EQ_U64(f->n_requests, 0);
	client_close(&c);
}

TEST(srv, a_chunked_body_arrives_whole)
{
	static const char req[] =
	    "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nTrailer: t\r\n\r\n";
	struct client c;
	client_open(f, &c);
	/* In small pieces, through every state of the parser. */
	for (size_t i = 0; i < sizeof(req) - 1; i += 7) {
		size_t n = sizeof(req) - 1 - i < 7 ? sizeof(req) - 1 - i : 7;
		client_send(&c, req + i, n);
		run_for(f, &c, 1);
	}
	WAIT_FOR(f, &c, count_answers(&c, false) == 1);
	ASSERT_EQ_STR(f->body, "abcdefg");
	ASSERT_STR_CONTAINS(c.data, "/c 7");
	ASSERT_FALSE(c.closed);
	client_close(&c);
}

TEST(srv, a_body_over_the_limit_is_not_read_and_the_connection_closes)
{
	struct client c;
	client_open(f, &c);
	client_send_str(&c, "PUT /big HTTP/1.1\r\nContent-Length: 100000\r\n"
			    "Expect: 100-continue\r\n\r\n");
	WAIT_FOR(f, &c, c.closed);
	/* The handler saw the announced length and no body; no 100
	 * Continue asked for the body. */
	ASSERT_EQ_U64(f->n_requests, 1);
	ASSERT_EQ_U64(f->body_len, 100000);
	ASSERT_TRUE(f->body_null);
	ASSERT_TRUE(strstr(c.data, "100 Continue") == NULL);
	ASSERT_STR_CONTAINS(c.data, "HTTP/1.1 200 OK\r\n");
	ASSERT_STR_CONTAINS(c.data, "Connection: close\r\n");
	client_close(&c);
}

TEST(srv, an_answer_reaches_a_client_still_sending_its_large_body)
{
	char chunk[65536];
	struct client c;
	memset(chunk, 'z', sizeof(chunk));
	client_open(f, &c);
	client_send_str(&c, "PUT /big HTTP/1.1\r\nContent-Length: 1000000\r\n"
			    "\r\n");
	/* The answer comes at once; the body keeps coming and is dropped
	 * (lingering) rather than reset the connection under the answer. */
	for (int i = 0; i < 8; i++) {
		client_send(&c, chunk, sizeof(chunk));
		run_for(f, &c, 2);
	}
	WAIT_FOR(f, &c, count_answers(&c, false) == 1);
	ASSERT_STR_CONTAINS(c.data, "HTTP/1.1 200 OK\r\n");
	ASSERT_EQ_U64(f->body_len, 1000000);
	client_close(&c);
}

TEST(srv, a_chunked_body_over_the_limit_gets_413)
{
	char req[4096];
	struct client c;
	int n = snprintf(req, sizeof(req),
			 "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "%x\r\n",
			 MAX_BODY + 1);
	memset(req + n, 'y', MAX_BODY + 1);
	memcpy(req + n + MAX_BODY + 1, "\r\n0\r\n\r\n", 7);
	client_open(f, &c);
	client_send(&c, req, (size_t)n + MAX_BODY + 1 + 7);
	WAIT_FOR(f, &c, c.closed);
	ASSERT_EQ_U64(f->n_requests, 0);
	ASSERT_EQ_INT(f->error_status, 413);
	ASSERT_STR_CONTAINS(c.data, "HTTP/1.1 413 Payload Too Large\r\n");
	ASSERT_STR_CONTAINS(c.data, "Connection: close\r\n");
	client_close(&c);
}

TEST(srv, headers_over_64_kib_get_431)
{
	static const char start[] = "GET /h HTTP/1.1\r\nX-Big: ";
	size_t len = 70000;
	char *req = malloc(sizeof(start) + len + 4);
	struct client c;
	ASSERT_NOT_NULL(req);
	memcpy(req, start, sizeof(start) - 1);
	memset(req + sizeof(start) - 1, 'a', len);
	memcpy(req + sizeof(start) - 1 + len, "\r\n\r\n", 5);
	client_open(f, &c);
	client_send_str(&c, req);
	free(req);
	WAIT_FOR(f, &c, c.closed);
	ASSERT_EQ_U64(f->n_requests, 0);
	ASSERT_EQ_INT(f->error_status, 431);
	ASSERT_EQ_STR(f->error_reason,
		      "the request line and headers exceed 65536 bytes");
	ASSERT_STR_CONTAINS(c.data,
			    "HTTP/1.1 431 Request Header Fields Too Large\r\n");
	client_close(&c);
}

TEST(srv, a_malformed_request_line_gets_400_and_the_connection_closes)
{
	struct client c;
	client_open(f, &c);
	client_send_str(&c,
			"GET /a HTTP/1.1 extra\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, c.closed);
	ASSERT_EQ_U64(f->n_requests, 0);
	ASSERT_EQ_INT(f->error_status, 400);
	ASSERT_EQ_STR(f->error_reason,
		      "malformed request: invalid HTTP version");
	ASSERT_STR_CONTAINS(c.data, "HTTP/1.1 400 Bad Request\r\n");
	ASSERT_STR_CONTAINS(c.data, "Connection: close\r\n");
	ASSERT_EQ_U64(count_answers(&c, false), 1);
	client_close(&c);
}

TEST(srv, an_unknown_method_gets_501)
{
	struct client c;
	client_open(f, &c);
	client_send_str(&c, "BREW /pot HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, c.closed);
	ASSERT_EQ_INT(f->error_status, 501);
	ASSERT_EQ_STR(f->error_reason, "method BREW is not implemented");
	client_close(&c);
	client_open(f, &c);
	client_send_str(&c, "PROPFIND /x HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, c.closed);
	ASSERT_EQ_STR(f->error_reason, "method PROPFIND is not implemented");
	client_close(&c);
	client_open(f, &c);
	client_send_str(&c, "\x01\x02 / HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, c.closed);
	ASSERT_EQ_INT(f->error_status, 400);
	ASSERT_EQ_U64(f->n_requests, 0);
	client_close(&c);
}

TEST(srv, http_1_0_without_keep_alive_closes_after_the_answer)
{
	struct client c;
	client_open(f, &c);
	client_send_str(&c, "GET /old HTTP/1.0\r\n\r\n");
	WAIT_FOR(f, &c, c.closed);
	ASSERT_STR_CONTAINS(c.data, "HTTP/1.0 200 OK\r\n");
	ASSERT_STR_CONTAINS(c.data, "Connection: close\r\n");
	ASSERT_STR_CONTAINS(c.data, "\r\n\r\n/old 0");
	client_close(&c);
	/* With keep-alive it stays open, and says so. */
	client_open(f, &c);
	client_send_str(&c,
			"GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	WAIT_FOR(f, &c, count_answers(&c, false) == 1);
	ASSERT_STR_CONTAINS(c.data, "Connection: keep-alive\r\n");
	run_for(f, &c, 20);
	ASSERT_FALSE(c.closed);
	client_close(&c);
	/* HTTP/1.1 with Connection: close closes. */
	client_open(f, &c);
	client_send_str(&c, "GET /new HTTP/1.1\r\nConnection: close\r\n\r\n");
	WAIT_FOR(f, &c, c.closed);
	ASSERT_STR_CONTAINS(c.data, "HTTP/1.1 200 OK\r\n");
	ASSERT_STR_CONTAINS(c.data, "Connection: close\r\n");
	client_close(&c);
}

TEST(srv, head_gets_the_headers_and_no_body)
{
	struct client c;
	client_open(f, &c);
	client_send_str(&c, "HEAD /hd HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, f->n_requests == 2 && strstr(c.data, "/g 0") != NULL);
	/* The length GET would give, and the next answer right after the
	 * blank line. */
	ASSERT_STR_CONTAINS(c.data, "Content-Length: 5\r\n\r\nHTTP/1.1 200 OK");
	client_close(&c);
}

TEST(srv, the_target_splits_into_path_and_query)
{
	struct client c;
	client_open(f, &c);
	client_send_str(
	    &c, "GET http://host:1/p/a%2Fb?x=1&y#frag HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, f->n_requests == 1);
	ASSERT_EQ_STR(f->path, "/p/a%2Fb");
	ASSERT_EQ_STR(f->query, "x=1&y");
	client_send_str(&c, "GET /q?#f HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, f->n_requests == 2);
	ASSERT_EQ_STR(f->path, "/q");
	ASSERT_TRUE(f->has_query);
	ASSERT_EQ_STR(f->query, "");
	client_send_str(&c, "OPTIONS * HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, f->n_requests == 3);
	ASSERT_EQ_STR(f->path, "*");
	ASSERT_FALSE(f->has_query);
	client_close(&c);
}

TEST(srv, a_reset_while_a_request_waits_drops_the_late_answer)
{
	struct linger lg = {1, 0};
	struct client c;
	f->answer_later = true;
	client_open(f, &c);
	client_send_str(&c, "PUT /w HTTP/1.1\r\nContent-Length: 1\r\n\r\nv");
	WAIT_FOR(f, &c, f->n_requests == 1);
	/* A reset, not a FIN: the client is gone for sure. */
	ASSERT_EQ_INT(setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)),
		      0);
	client_close(&c);
	WAIT_FOR(f, (struct client *)NULL, httpd_connections(f->h) == 0);
	ASSERT_EQ_U64(httpd_hang_ups(f->h), 1);
	/* The request stays valid until answered; the answer goes
	 * nowhere. */
	ASSERT_EQ_STR(httpd_request_path(f->waiting[0]), "/w");
	reply_text(f->waiting[0], "late");
	run_for(f, NULL, 20);
	ASSERT_EQ_U64(httpd_connections(f->h), 0);
}

TEST(srv, a_client_that_closes_while_a_request_waits_is_noticed)
{
	struct client c;
	f->answer_later = true;
	client_open(f, &c);
	client_send_str(&c, "GET /w HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, f->n_requests == 1);
	client_close(&c);
	WAIT_FOR(f, (struct client *)NULL, httpd_hang_ups(f->h) == 1);
	/* Answered into a closed socket, then closed. */
	reply_text(f->waiting[0], "late");
	WAIT_FOR(f, (struct client *)NULL, httpd_connections(f->h) == 0);
}

TEST(srv, a_half_closed_client_still_gets_its_answer)
{
	struct client c;
	f->answer_later = true;
	client_open(f, &c);
	client_send_str(&c,
			"GET /w HTTP/1.1\r\n\r\nGET /never HTTP/1.1\r\n\r\n");
	ASSERT_EQ_INT(shutdown(c.fd, SHUT_WR), 0);
	WAIT_FOR(f, &c, httpd_hang_ups(f->h) == 1);
	reply_text(f->waiting[0], "still");
	WAIT_FOR(f, &c, c.closed);
	ASSERT_STR_CONTAINS(c.data, "Connection: close\r\n");
	ASSERT_STR_CONTAINS(c.data, "\r\n\r\nstill");
	ASSERT_EQ_U64(f->n_requests, 1);
	ASSERT_EQ_U64(count_answers(&c, false), 1);
	client_close(&c);
}

TEST(srv, freeing_the_server_frees_requests_still_waiting)
{
	struct client c, d;
	struct linger lg = {1, 0};
	f->answer_later = true;
	client_open(f, &c);
	client_open(f, &d);
	client_send_str(&c, "GET /a HTTP/1.1\r\n\r\n");
	client_send_str(&d, "GET /b HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, f->n_requests == 2);
	ASSERT_EQ_INT(setsockopt(d.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)),
		      0);
	client_close(&d);
	WAIT_FOR(f, &c, httpd_connections(f->h) == 1);
	/* Teardown frees the server: one connection open, one reset, both
	 * with a request never answered (the sanitizers check). */
	client_close(&c);
}

TEST(srv, an_idle_connection_is_closed)
{
	struct client c;
	double start = now_s();
	client_open(f, &c);
	client_send_str(&c, "GET /1 HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, count_answers(&c, false) == 1);
	WAIT_FOR(f, &c, c.closed);
	ASSERT_TRUE(now_s() - start >= IDLE_MS / 1000.0 * 0.9);
	ASSERT_EQ_U64(httpd_connections(f->h), 0);
	client_close(&c);
	/* A request that never ends is cut off too. */
	client_open(f, &c);
	client_send_str(&c, "GET /1 HTTP/1.1\r\nX-Slow: ");
	WAIT_FOR(f, &c, c.closed);
	ASSERT_EQ_U64(f->n_requests, 1);
	client_close(&c);
}

TEST(srv, a_large_answer_waits_for_the_socket)
{
	struct client c;
	size_t total;
	f->answer_bytes = 8 << 20;
	client_open(f, &c);
	client_send_str(&c, "GET /big HTTP/1.1\r\n\r\n");
	/* The client does not read yet: the answer fills the socket. */
	for (int i = 0; i < 20; i++) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	ASSERT_EQ_U64(f->n_requests, 1);
	WAIT_FOR(f, &c, count_answers(&c, false) == 1);
	total = c.len;
	ASSERT_STR_CONTAINS(c.data, "Content-Length: 8388608\r\n");
	ASSERT_EQ_U64((uint64_t)(c.data + total - strstr(c.data, "\r\n\r\n")),
		      4 + (8 << 20));
	/* The connection goes on. */
	f->answer_bytes = 0;
	client_send_str(&c, "GET /next HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, count_answers(&c, false) == 2);
	ASSERT_STR_CONTAINS(c.data + total, "/next 0");
	client_close(&c);
}

TEST(srv, stopping_listening_refuses_new_connections_only)
{
	struct client c, d;
	struct sockaddr_in addr;
	client_open(f, &c);
	client_send_str(&c, "GET /1 HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, count_answers(&c, false) == 1);
	httpd_stop_listening(f->h);
	client_send_str(&c, "GET /2 HTTP/1.1\r\n\r\n");
	WAIT_FOR(f, &c, count_answers(&c, false) == 2);
	memset(&d, 0, sizeof(d));
	d.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(d.fd >= 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)f->port);
	ASSERT_TRUE(connect(d.fd, (struct sockaddr *)&addr, sizeof(addr)) != 0);
	client_close(&d);
	client_close(&c);
}

static const struct test_case srv_cases[] = {
    TEST_CASE(srv, answers_on_a_kept_alive_connection),
    TEST_CASE(srv, pipelined_requests_are_served_one_at_a_time_in_order),
    TEST_CASE(srv,
	      answers_of_pipelined_requests_answered_at_once_stay_in_order),
    TEST_CASE(srv, expect_100_continue_is_answered_before_the_body),
    TEST_CASE(srv, an_unknown_expectation_gets_417),
    TEST_CASE(srv, a_chunked_body_arrives_whole),
    TEST_CASE(srv, a_body_over_the_limit_is_not_read_and_the_connection_closes),
    TEST_CASE(srv, an_answer_reaches_a_client_still_sending_its_large_body),
    TEST_CASE(srv, a_chunked_body_over_the_limit_gets_413),
    TEST_CASE(srv, headers_over_64_kib_get_431),
    TEST_CASE(srv, a_malformed_request_line_gets_400_and_the_connection_closes),
    TEST_CASE(srv, an_unknown_method_gets_501),
    TEST_CASE(srv, http_1_0_without_keep_alive_closes_after_the_answer),
    TEST_CASE(srv, head_gets_the_headers_and_no_body),
    TEST_CASE(srv, the_target_splits_into_path_and_query),
    TEST_CASE(srv, a_reset_while_a_request_waits_drops_the_late_answer),
    TEST_CASE(srv, a_client_that_closes_while_a_request_waits_is_noticed),
    TEST_CASE(srv, a_half_closed_client_still_gets_its_answer),
    TEST_CASE(srv, freeing_the_server_frees_requests_still_waiting),
    TEST_CASE(srv, an_idle_connection_is_closed),
    TEST_CASE(srv, a_large_answer_waits_for_the_socket),
    TEST_CASE(srv, stopping_listening_refuses_new_connections_only),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(srv))
