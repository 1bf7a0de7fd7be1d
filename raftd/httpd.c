/* raftd's HTTP/1.1 server (httpd.h): connections, parsing with
 * http_parser, answers written with one sendmsg().
 *
 * Each connection has one persistent EV_READ event, added at accept and
 * deleted only while its input buffer is full or after the client closed
 * its side; an EV_WRITE event is added only when an answer does not fit in
 * the socket at once, and deleted once it is written. A request on a
 * kept-alive connection thus costs one read(), one sendmsg() and no
 * epoll_ctl(); its buffers (input, target, body, headers) are the
 * connection's, reused from one request to the next.
 *
 * A connection serves one request at a time:
 *
 *   READING --complete request--> SERVING --answer written--> READING
 *                                  |    \                        ^
 *                  connection reset|     +--socket full--> FLUSHING
 *                                  v
 *                                 GONE --answer--> freed (answer dropped)
 *
 * An answer after which the connection closes goes to CLOSED, or, after
 * an error (the client may still be sending), to LINGER: our side is shut
 * down and what the client sends is read and dropped for a while, so that
 * the closing does not reset the connection before the client read the
 * answer.
 *
 * While a request is SERVING, the bytes of the next ones stay in the input
 * buffer unparsed (answers stay in order) and reading goes on, so that a
 * client that leaves is noticed at once. A reset connection is gone: the
 * socket is closed, and the connection stays only as the request's memory
 * (GONE) until the handler answers, which frees it. A client that closed
 * its side (end of file) may have only half-closed it, as `nc -N` does
 * after sending a request: reading stops, what was buffered is dropped,
 * and the answer, once it comes, is written before the connection closes
 * (it goes nowhere if the client closed for good).
 *
 * Timeouts need no timer per request: a sweep every idle_timeout/4 (at
 * most 1 s) counts ticks, each connection notes the tick of its last
 * progress, and the sweep closes those idle or stuck for too long.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <http_parser.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "httpd.h"
#include "raft/error.h"
#include "raft/log.h"

/* The input buffer: its first size, and the most it grows to (while a
 * request waits, the bytes of the next ones are kept up to this; then
 * reading pauses until the answer is written). */
#define IN_MIN 4096
#define IN_MAX 65536

/* Bytes of an Expect header's value kept (enough for "100-continue"). */
#define EXPECT_MAX 32

/* iovecs of one sendmsg(): the status line, the headers, then the body. */
#define N_IOV 16

/* After an error answer: how long and how much of what the client still
 * sends is read and dropped before closing. */
#define LINGER_MS    2000
#define LINGER_BYTES (1 << 20)

/* A growing byte buffer, kept from one request to the next. */
struct buf {
	char *data;
	size_t len, cap;
};

enum conn_state {
	CONN_READING,  /* reading a request, or waiting for one */
	CONN_SERVING,  /* a request waits for its answer */
	CONN_FLUSHING, /* its answer waits for room in the socket */
	CONN_LINGER,   /* answered, closing: dropping what still comes */
	CONN_GONE,     /* client hung up; the request waits for its answer */
	CONN_CLOSED,   /* socket closed; freed once no callback uses it */
};

struct httpd_request {
	struct httpd_conn *conn;
	enum httpd_method method;
	const char *method_name;
	bool head;
	unsigned short http_major, http_minor;
	bool keep_alive;
	/* The target, then its path and its query, each NUL-terminated. */
	struct buf url;
	bool url_done;
	size_t path_off;
	size_t query_off; /* 0: no query */
	struct buf body;
	bool body_skipped; /* larger than max_body_bytes: not read */
	size_t body_declared;
	struct buf headers; /* "Name: value\r\n" for the answer */
	bool broken;	    /* a header could not be added */
	/* Headers as they are parsed: only Expect matters. */
	bool in_value;
	bool value_is_expect;
	size_t field_len;
	char field[8];
	bool expect_seen;
	size_t expect_len;
	char expect[EXPECT_MAX];
};

struct httpd_conn {
	struct httpd *h;
	evutil_socket_t fd;
	enum conn_state state;
	struct event *read_ev;	 /* persistent */
	struct event *write_ev;	 /* persistent, added only while out waits */
	struct event *resume_ev; /* activated to parse what is buffered */
	bool read_paused;	 /* read_ev deleted */
	bool write_armed;	 /* write_ev added */
	bool grow;		 /* the last read filled the input buffer */
	bool parsing;		 /* in conn_parse() */
	bool close_after;	 /* close once the answer is written */
	bool linger;		 /* ... after lingering */
	bool peer_eof;		 /* the client closed its side */
	unsigned busy;		 /* callbacks using the connection */
	http_parser parser;
	char *in; /* bytes read, [in_start, in_end) not parsed yet */
	size_t in_start, in_end, in_cap;
	struct evbuffer *out; /* what a short write left; NULL until then */
	unsigned long long active_tick;
	size_t linger_bytes;
	int err_status; /* a callback's reason to refuse the request */
	char err_reason[160];
	struct httpd_request req;
	struct httpd_conn *prev, *next;
};

struct httpd {
	struct event_base *base;
	struct httpd_config config;
	struct evconnlistener *listener; /* NULL once stopped */
	bool listener_paused;		 /* after an accept error */
	struct event *sweep_ev;
	unsigned long long tick;
	unsigned idle_ticks, linger_ticks;
	struct httpd_conn *conns;
	size_t n_open;
	unsigned long long hang_ups;
	time_t date_time;
	char date[40];
};

static const http_parser_settings parser_settings;

/* ------------------------------------------------------------------------
 * Buffers
 * ------------------------------------------------------------------------ */

/* Makes room for extra more bytes. Errors: RAFT_ENOMEM. */
static int buf_reserve(struct buf *b, size_t extra)
{
	size_t cap = b->cap > 0 ? b->cap : 256;
	char *data;
	if (b->len + extra <= b->cap) {
		return 0;
	}
	while (cap < b->len + extra) {
		cap *= 2;
	}
	data = realloc(b->data, cap);
	if (data == NULL) {
		return RAFT_ENOMEM;
	}
	b->data = data;
	b->cap = cap;
	return 0;
}

static int buf_add(struct buf *b, const char *p, size_t n)
{
	if (buf_reserve(b, n) != 0) {
		return RAFT_ENOMEM;
	}
	if (n > 0) {
		memcpy(b->data + b->len, p, n);
	}
	b->len += n;
	return 0;
}

static void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

static void request_reset(struct httpd_request *r)
{
	r->method = HTTPD_GET;
	r->method_name = "?";
	r->head = false;
	r->http_major = 1;
	r->http_minor = 1;
	r->keep_alive = false;
	r->url.len = 0;
	r->url_done = false;
	r->path_off = r->query_off = 0;
	r->body.len = 0;
	/* A large body's memory is not worth keeping for the next request. */
	if (r->body.cap > IN_MAX) {
		buf_free(&r->body);
	}
	r->body_skipped = false;
	r->body_declared = 0;
	r->headers.len = 0;
	r->broken = false;
	r->in_value = false;
	r->value_is_expect = false;
	r->field_len = 0;
	r->expect_seen = false;
	r->expect_len = 0;
}

enum httpd_method httpd_request_method(const struct httpd_request *req)
{
	return req->method;
}

const char *httpd_request_method_name(const struct httpd_request *req)
{
	return req->method_name;
}

const char *httpd_request_target(const struct httpd_request *req)
{
	return req->url_done ? req->url.data : "";
}

const char *httpd_request_path(const struct httpd_request *req)
{
	return req->url_done ? req->url.data + req->path_off : "";
}

const char *httpd_request_query(const struct httpd_request *req)
{
	return req->url_done && req->query_off != 0
		   ? req->url.data + req->query_off
		   : NULL;
}

size_t httpd_request_body_length(const struct httpd_request *req)
{
	return req->body_skipped ? req->body_declared : req->body.len;
}

const char *httpd_request_body(const struct httpd_request *req)
{
	if (req->body_skipped) {
		return NULL;
	}
	return req->body.len > 0 ? req->body.data : "";
}

void httpd_add_header(struct httpd_request *req, const char *name,
		      const char *value)
{
	size_t name_len = strlen(name), value_len = strlen(value);
	struct buf *b = &req->headers;
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL) {
		raft_log(RAFT_LOG_ERROR,
			 "http: header %.64s: CR, LF or ':' in it: the "
			 "connection will close unanswered",
			 name);
		req->broken = true;
		return;
	}
	if (buf_reserve(b, name_len + value_len + 4) != 0) {
		raft_log(RAFT_LOG_ERROR,
			 "http: header %.64s: out of memory: the connection "
			 "will close unanswered",
			 name);
		req->broken = true;
		return;
	}
	memcpy(b->data + b->len, name, name_len);
	b->len += name_len;
	memcpy(b->data + b->len, ": ", 2);
	b->len += 2;
	memcpy(b->data + b->len, value, value_len);
	b->len += value_len;
	memcpy(b->data + b->len, "\r\n", 2);
	b->len += 2;
}

/* Splits the target (url.data[0, len)) into its path and query, stored
 * after it. A target in absolute form ("http://host/path") keeps the part
 * from the first '/' after the host; any other (a '*', an authority) is
 * its own path. Errors: RAFT_ENOMEM. */
static int request_split_target(struct httpd_request *r)
{
	size_t len = r->url.len;
	size_t path, path_end, query = 0, query_end = 0;
	const char *t;
	/* The target, its path and its query: at most twice its bytes plus
	 * three NULs; reserved first, as the copies come from the buffer. */
	if (buf_reserve(&r->url, len + 3) != 0) {
		return RAFT_ENOMEM;
	}
	t = r->url.data;
	r->url.data[len] = '\0';
	path = 0;
	if (len > 0 && t[0] != '/') {
		const char *scheme = strstr(t, "://");
		const char *slash =
		    scheme != NULL ? strchr(scheme + 3, '/') : NULL;
		path = slash != NULL	? (size_t)(slash - t)
		       : scheme != NULL ? len
					: 0;
	}
	path_end = path + strcspn(t + path, "?#");
	if (t[path_end] == '?') {
		query = path_end + 1;
		query_end = query + strcspn(t + query, "#");
	}
	r->url.len = len + 1;
	r->path_off = r->url.len;
	memcpy(r->url.data + r->url.len, t + path, path_end - path);
	r->url.len += path_end - path;
	r->url.data[r->url.len++] = '\0';
	if (query != 0) {
		r->query_off = r->url.len;
		memcpy(r->url.data + r->url.len, t + query, query_end - query);
		r->url.len += query_end - query;
		r->url.data[r->url.len++] = '\0';
	}
	r->url_done = true;
	return 0;
}

static bool method_from_parser(unsigned m, enum httpd_method *out)
{
	switch (m) {
	case HTTP_GET:
		*out = HTTPD_GET;
		return true;
	case HTTP_HEAD:
		*out = HTTPD_HEAD;
		return true;
	case HTTP_POST:
		*out = HTTPD_POST;
		return true;
	case HTTP_PUT:
		*out = HTTPD_PUT;
		return true;
	case HTTP_DELETE:
		*out = HTTPD_DELETE;
		return true;
	case HTTP_OPTIONS:
		*out = HTTPD_OPTIONS;
		return true;
	case HTTP_TRACE:
		*out = HTTPD_TRACE;
		return true;
	case HTTP_CONNECT:
		*out = HTTPD_CONNECT;
		return true;
	case HTTP_PATCH:
		*out = HTTPD_PATCH;
		return true;
	default:
		return false;
	}
}

/* The standard phrase of every status raftd answers with. */
static const char *reason_phrase(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 307:
		return "Temporary Redirect";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 417:
		return "Expectation Failed";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

/* ------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------ */

static void conn_parse(struct httpd_conn *c);
static void conn_answered(struct httpd_conn *c);

/* Closes the socket and drops what only the socket needed (the request's
 * memory stays). */
static void conn_close_socket(struct httpd_conn *c)
{
	if (c->fd < 0) {
		return;
	}
	event_free(c->read_ev);
	event_free(c->write_ev);
	event_free(c->resume_ev);
	c->read_ev = c->write_ev = c->resume_ev = NULL;
	if (c->out != NULL) {
		evbuffer_free(c->out);
		c->out = NULL;
	}
	free(c->in);
	c->in = NULL;
	c->in_start = c->in_end = c->in_cap = 0;
	evutil_closesocket(c->fd);
	c->fd = -1;
	c->h->n_open--;
}

static void conn_free(struct httpd_conn *c)
{
	struct httpd *h = c->h;
	conn_close_socket(c);
	if (c->prev != NULL) {
		c->prev->next = c->next;
	} else {
		h->conns = c->next;
	}
	if (c->next != NULL) {
		c->next->prev = c->prev;
	}
	buf_free(&c->req.url);
	buf_free(&c->req.body);
	buf_free(&c->req.headers);
	free(c);
}

/* Closes the connection; its memory goes once no callback uses it, or,
 * if a request waits, once it is answered. */
static void conn_close(struct httpd_conn *c)
{
	conn_close_socket(c);
	c->state = c->state == CONN_SERVING ? CONN_GONE : CONN_CLOSED;
}

/* Ends a callback's use of c: frees it if it was closed meanwhile. */
static void conn_release(struct httpd_conn *c)
{
	c->busy--;
	if (c->busy == 0 && c->state == CONN_CLOSED) {
		conn_free(c);
	}
}

/* The connection was reset while its request waits: the socket goes at
 * once, the request's memory stays until its answer. */
static void conn_hang_up(struct httpd_conn *c)
{
	raft_log(RAFT_LOG_DEBUG,
		 "http: %s %s: the connection was reset before the answer",
		 c->req.method_name, httpd_request_target(&c->req));
	c->h->hang_ups++;
	conn_close_socket(c);
	c->state = CONN_GONE;
}

static void conn_pause_reading(struct httpd_conn *c)
{
	if (!c->read_paused) {
		event_del(c->read_ev);
		c->read_paused = true;
	}
}

static void conn_resume_reading(struct httpd_conn *c)
{
	if (c->read_paused && !c->peer_eof) {
		if (event_add(c->read_ev, NULL) != 0) {
			raft_log(RAFT_LOG_ERROR,
				 "http: cannot watch a connection any more: "
				 "closing it");
			conn_close(c);
			return;
		}
		c->read_paused = false;
	}
}

/* Sends what the iovecs hold. Returns the bytes sent, 0 if the socket is
 * full, -1 (errno set) if the client is gone. */
static ssize_t send_iov(evutil_socket_t fd, struct iovec *iov, size_t n)
{
	struct msghdr msg;
	ssize_t rv;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = n;
	/* MSG_NOSIGNAL: a client that hung up gives EPIPE, not SIGPIPE. */
	rv = sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (rv < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		return 0;
	}
	return rv;
}

/* Writes out as far as the socket takes it. Returns -1 if the client is
 * gone. */
static int conn_flush(struct httpd_conn *c)
{
	struct iovec iov[N_IOV];
	struct evbuffer_iovec vec[N_IOV];
	while (evbuffer_get_length(c->out) > 0) {
		int n = evbuffer_peek(c->out, -1, NULL, vec, N_IOV);
		size_t total = 0;
		ssize_t sent;
		if (n > N_IOV) {
			n = N_IOV;
		}
		for (int i = 0; i < n; i++) {
			iov[i].iov_base = vec[i].iov_base;
			iov[i].iov_len = vec[i].iov_len;
			total += vec[i].iov_len;
		}
		sent = send_iov(c->fd, iov, (size_t)n);
		if (sent < 0) {
			return -1;
		}
		if (sent > 0) {
			c->active_tick = c->h->tick;
			evbuffer_drain(c->out, (size_t)sent);
		}
		if ((size_t)sent < total) {
			break;
		}
	}
	return 0;
}

/* Makes sure out exists and write_ev watches it. Returns false (after
 * closing c) when it cannot. */
static bool conn_want_write(struct httpd_conn *c)
{
	if (c->out == NULL) {
		c->out = evbuffer_new();
		if (c->out == NULL) {
			raft_log(RAFT_LOG_ERROR,
				 "http: out of memory for an answer: closing "
				 "the connection");
			conn_close(c);
			return false;
		}
	}
	if (!c->write_armed) {
		if (event_add(c->write_ev, NULL) != 0) {
			raft_log(RAFT_LOG_ERROR,
				 "http: cannot watch a connection for writing: "
				 "closing it");
			conn_close(c);
			return false;
		}
		c->write_armed = true;
	}
	return true;
}

/* Sends iov[0, n): n_head iovecs of status line and headers, then the
 * first chains of body (total bytes in all, the whole body counted),
 * queuing what the socket does not take (the body's chains are moved to
 * out, not copied). Returns true when all of it left at once; false when
 * some waits in out, or when the client is gone (c is then closed). */
static bool conn_send(struct httpd_conn *c, struct iovec *iov, size_t n,
		      size_t n_head, size_t total, struct evbuffer *body)
{
	size_t sent = 0;
	if (c->out == NULL || evbuffer_get_length(c->out) == 0) {
		ssize_t rv = send_iov(c->fd, iov, n);
		if (rv < 0) {
			raft_log(RAFT_LOG_DEBUG, "http: write: %s",
				 strerror(errno));
			conn_close(c);
			return false;
		}
		sent = (size_t)rv;
		if (sent == total) {
			return true;
		}
		c->active_tick = c->h->tick;
	}
	if (!conn_want_write(c)) {
		return false;
	}
	for (size_t i = 0; i < n_head; i++) {
		size_t len = iov[i].iov_len;
		if (sent >= len) {
			sent -= len;
			continue;
		}
		if (evbuffer_add(c->out, (char *)iov[i].iov_base + sent,
				 len - sent) != 0) {
			goto nomem;
		}
		sent = 0;
	}
	/* What is left of sent went out of the body. */
	if (body != NULL && (evbuffer_drain(body, sent) != 0 ||
			     evbuffer_add_buffer(c->out, body) != 0)) {
		goto nomem;
	}
	return false;

nomem:
	raft_log(RAFT_LOG_ERROR,
		 "http: out of memory for an answer: closing the connection");
	conn_close(c);
	return false;
}

static const char *http_date(struct httpd *h)
{
	time_t now = time(NULL);
	if (now != h->date_time) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(h->date, sizeof(h->date), "%a, %d %b %Y %H:%M:%S GMT",
			 &tm);
		h->date_time = now;
	}
	return h->date;
}

void httpd_reply(struct httpd_request *req, int status, const char *reason,
		 const char *content_type, struct evbuffer *body)
{
	struct httpd_conn *c = req->conn;
	struct httpd *h = c->h;
	struct iovec iov[N_IOV];
	struct evbuffer_iovec vec[N_IOV];
	char line[128], tail[128];
	size_t body_len = body != NULL ? evbuffer_get_length(body) : 0;
	size_t n = 0, n_head, total;
	int line_len, tail_len, minor;

	if (c->state == CONN_GONE) {
		/* The client is gone: so is the answer. */
		conn_free(c);
		return;
	}
	if (c->state != CONN_SERVING) {
		raft_log(RAFT_LOG_ERROR,
			 "http: answer %d to a request answered already: "
			 "dropped",
			 status);
		return;
	}
	c->busy++;
	c->state = CONN_FLUSHING;
	if (content_type != NULL) {
		httpd_add_header(req, "Content-Type", content_type);
	}
	if (req->broken) {
		/* Better no answer than one without a header it needs. */
		conn_close(c);
		goto out;
	}
	c->close_after = c->close_after || !req->keep_alive;
	/* An HTTP/1.0 client gets an HTTP/1.0 answer; any other 1.x an
	 * HTTP/1.1 one. */
	minor = req->http_major == 1 && req->http_minor == 0 ? 0 : 1;
	if (reason == NULL) {
		reason = reason_phrase(status);
	}
	line_len = snprintf(line, sizeof(line), "HTTP/1.%d %d %.80s\r\n", minor,
			    status, reason);
	/* HEAD: the length of the body that GET would give, without it. */
	tail_len = snprintf(tail, sizeof(tail),
			    "Date: %s\r\nContent-Length: %zu\r\n%s\r\n",
			    http_date(h), body_len,
			    c->close_after ? "Connection: close\r\n"
			    : minor == 0   ? "Connection: keep-alive\r\n"
					   : "");
	iov[n].iov_base = line;
	iov[n++].iov_len = (size_t)line_len;
	if (req->headers.len > 0) {
		iov[n].iov_base = req->headers.data;
		iov[n++].iov_len = req->headers.len;
	}
	iov[n].iov_base = tail;
	iov[n++].iov_len = (size_t)tail_len;
	n_head = n;
	total = (size_t)line_len + req->headers.len + (size_t)tail_len;
	if (req->head || body_len == 0) {
		body = NULL;
	} else {
		/* The body's chains as they are, as many as fit (the rest
		 * is queued). */
		int k = evbuffer_peek(body, -1, NULL, vec, (int)(N_IOV - n));
		if (k > (int)(N_IOV - n)) {
			k = (int)(N_IOV - n);
		}
		for (int i = 0; i < k; i++) {
			iov[n + (size_t)i].iov_base = vec[i].iov_base;
			iov[n + (size_t)i].iov_len = vec[i].iov_len;
		}
		n += (size_t)k;
		total += body_len;
	}
	if (conn_send(c, iov, n, n_head, total, body)) {
		conn_answered(c);
	}
out:
	conn_release(c);
}

/* The answer is written: the next request, or the end. */
static void conn_answered(struct httpd_conn *c)
{
	if (c->close_after) {
		if (c->linger && !c->peer_eof &&
		    shutdown(c->fd, SHUT_WR) == 0) {
			c->state = CONN_LINGER;
			c->active_tick = c->h->tick;
			c->linger_bytes = 0;
			c->in_start = c->in_end = 0;
			conn_resume_reading(c);
		} else {
			conn_close(c);
		}
		return;
	}
	request_reset(&c->req);
	c->state = CONN_READING;
	c->active_tick = c->h->tick;
	conn_resume_reading(c);
	/* Pipelined requests wait in the input buffer: parse them from the
	 * loop, not from within the handler that answered. */
	if (c->state == CONN_READING && c->in_start < c->in_end &&
	    !c->parsing) {
		event_active(c->resume_ev, EV_READ, 0);
	}
}

/* Tells a client that sent "Expect: 100-continue" to send its body. */
static void conn_continue(struct httpd_conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct iovec iov = {(void *)cont, sizeof(cont) - 1};
	/* What the socket does not take waits in out, and the answer
	 * after it; a client found gone closes c. */
	(void)conn_send(c, &iov, 1, 1, iov.iov_len, NULL);
}

/* Refuses the request being read: the error callback answers, then the
 * connection closes (after lingering: the client may still be sending). */
static void conn_fail(struct httpd_conn *c, int status, const char *reason)
{
	struct httpd *h = c->h;
	c->req.keep_alive = false;
	c->linger = true;
	c->state = CONN_SERVING;
	raft_log(RAFT_LOG_DEBUG, "http: refused (%d): %s", status, reason);
	h->config.on_error(&c->req, status, reason, h->config.arg);
	if (c->state == CONN_SERVING) {
		/* The callback did not answer: the status line says it. */
		httpd_reply(&c->req, status, NULL, NULL, NULL);
	}
}

/* Notes why a parser callback refuses the request (the parser then stops
 * with HPE_CB_*). */
static int conn_refuse(struct httpd_conn *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int conn_refuse(struct httpd_conn *c, int status, const char *fmt, ...)
{
	va_list ap;
	c->err_status = status;
	va_start(ap, fmt);
	vsnprintf(c->err_reason, sizeof(c->err_reason), fmt, ap);
	va_end(ap);
	return -1;
}

/* Whether s[0, len) is a method-like token followed by a space: then an
 * unknown method (501), else garbage (400). */
static size_t method_token(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && (s[i] == '\r' || s[i] == '\n')) {
		i++;
	}
	s += i;
	len -= i;
	for (i = 0; i < len && i <= 32; i++) {
		char ch = s[i];
		if (ch == ' ') {
			return i;
		}
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) {
			return 0;
		}
	}
	return 0;
}

static void conn_parse_error(struct httpd_conn *c, enum http_errno err,
			     const char *chunk, size_t chunk_len)
{
	char reason[200];
	size_t tok;
	switch (err) {
	case HPE_CB_url:
	case HPE_CB_headers_complete:
	case HPE_CB_body:
		conn_fail(c, c->err_status, c->err_reason);
		return;
	case HPE_HEADER_OVERFLOW:
		snprintf(reason, sizeof(reason),
			 "the request line and headers exceed %zu bytes",
			 c->h->config.max_header_bytes);
		conn_fail(c, 431, reason);
		return;
	case HPE_INVALID_METHOD:
		tok = method_token(chunk, chunk_len);
		if (tok > 0) {
			snprintf(reason, sizeof(reason),
				 "method %.*s is not implemented", (int)tok,
				 chunk + strspn(chunk, "\r\n"));
			conn_fail(c, 501, reason);
			return;
		}
		break;
	default:
		break;
	}
	snprintf(reason, sizeof(reason), "malformed request: %s",
		 http_errno_description(err));
	conn_fail(c, 400, reason);
}

/* Parses what the input buffer holds and serves each complete request,
 * one at a time. */
static void conn_parse(struct httpd_conn *c)
{
	c->parsing = true;
	while (c->state == CONN_READING && c->in_start < c->in_end) {
		const char *chunk = c->in + c->in_start;
		size_t len = c->in_end - c->in_start;
		size_t n = http_parser_execute(&c->parser, &parser_settings,
					       chunk, len);
		enum http_errno err = HTTP_PARSER_ERRNO(&c->parser);
		c->in_start += n;
		if (c->state == CONN_CLOSED) {
			/* A 100 Continue found the client gone. */
			break;
		}
		if (err == HPE_PAUSED) {
			/* A complete request: serve it. */
			http_parser_pause(&c->parser, 0);
			c->state = CONN_SERVING;
			c->h->config.on_request(&c->req, c->h->config.arg);
			continue;
		}
		if (err != HPE_OK) {
			conn_parse_error(c, err, chunk, len);
			break;
		}
		if (n == 0) {
			/* The parser takes all it is given unless it stops
			 * (an error, a pause): never loop on no progress. */
			conn_parse_error(c, HPE_UNKNOWN, chunk, len);
			break;
		}
	}
	if (c->in_start == c->in_end) {
		c->in_start = c->in_end = 0;
	}
	c->parsing = false;
}

/* ------------------------------------------------------------------------
 * Parser callbacks
 * ------------------------------------------------------------------------ */

static int on_message_begin(http_parser *p)
{
	struct httpd_conn *c = p->data;
	request_reset(&c->req);
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct httpd_conn *c = p->data;
	if (buf_add(&c->req.url, at, len) != 0) {
		return conn_refuse(c, 503, "out of memory");
	}
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct httpd_request *r = &((struct httpd_conn *)p->data)->req;
	if (r->in_value) {
		r->in_value = false;
		r->field_len = 0;
	}
	for (size_t i = 0; i < len && r->field_len + i < sizeof(r->field);
	     i++) {
		r->field[r->field_len + i] = at[i];
	}
	r->field_len += len;
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct httpd_request *r = &((struct httpd_conn *)p->data)->req;
	if (!r->in_value) {
		r->in_value = true;
		r->value_is_expect = r->field_len == 6 &&
				     strncasecmp(r->field, "expect", 6) == 0;
		if (r->value_is_expect) {
			r->expect_seen = true;
			r->expect_len = 0;
		}
	}
	for (size_t i = 0;
	     r->value_is_expect && i < len && r->expect_len < EXPECT_MAX - 1;
	     i++) {
		r->expect[r->expect_len++] = at[i];
	}
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct httpd_conn *c = p->data;
	struct httpd_request *r = &c->req;
	size_t max_body = c->h->config.max_body_bytes;
	bool chunked = (p->flags & F_CHUNKED) != 0;
	bool has_length = !chunked && p->content_length != ULLONG_MAX &&
			  p->content_length > 0;
	r->http_major = p->http_major;
	r->http_minor = p->http_minor;
	r->method_name = http_method_str((enum http_method)p->method);
	if (request_split_target(r) != 0) {
		return conn_refuse(c, 503, "out of memory");
	}
	if (!method_from_parser(p->method, &r->method)) {
		return conn_refuse(c, 501, "method %s is not implemented",
				   r->method_name);
	}
	r->head = r->method == HTTPD_HEAD;
	if (p->http_major != 1) {
		return conn_refuse(c, 400,
				   "HTTP version %u.%u is not supported",
				   p->http_major, p->http_minor);
	}
	/* After an upgrade or a CONNECT the bytes that follow are another
	 * protocol: answer, then close. */
	r->keep_alive = http_should_keep_alive(p) && !p->upgrade;
	/* Expectations exist since HTTP/1.1 (RFC 7231, 5.1.1). */
	if (r->expect_seen && p->http_minor >= 1) {
		while (r->expect_len > 0 &&
		       (r->expect[r->expect_len - 1] == ' ' ||
			r->expect[r->expect_len - 1] == '\t')) {
			r->expect_len--;
		}
		r->expect[r->expect_len] = '\0';
		if (strcasecmp(r->expect, "100-continue") != 0) {
			return conn_refuse(c, 417,
					   "Expect: \"%s\" is not supported",
					   r->expect);
		}
	}
	if (has_length && p->content_length > max_body) {
		/* Not read: the handler refuses it by its length, and the
		 * connection closes after the answer (a client that
		 * expected 100-continue sends nothing more). */
		r->body_skipped = true;
		r->body_declared = p->content_length > SIZE_MAX
				       ? SIZE_MAX
				       : (size_t)p->content_length;
		r->keep_alive = false;
		c->linger = true;
		return 1;
	}
	if (has_length && buf_reserve(&r->body, p->content_length) != 0) {
		return conn_refuse(c, 503, "out of memory");
	}
	if (r->expect_seen && p->http_minor >= 1 && (chunked || has_length)) {
		conn_continue(c);
		if (c->state == CONN_CLOSED) {
			return conn_refuse(c, 400, "the client is gone");
		}
	}
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct httpd_conn *c = p->data;
	struct httpd_request *r = &c->req;
	if (len > c->h->config.max_body_bytes - r->body.len) {
		/* Only a chunked body gets here: its length is known at its
		 * end only. */
		return conn_refuse(c, 413,
				   "the body has more than %zu bytes; the "
				   "limit is %zu",
				   c->h->config.max_body_bytes,
				   c->h->config.max_body_bytes);
	}
	if (buf_add(&r->body, at, len) != 0) {
		return conn_refuse(c, 503, "out of memory");
	}
	return 0;
}

static int on_message_complete(http_parser *p)
{
	/* One request at a time: the parser stops here, and the rest of
	 * the input waits until the answer is written. */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------ */

/* Makes room at the end of the input buffer: moves what waits to its
 * start, grows it (after a read that filled it, or when it is full) up to
 * IN_MAX. Returns false when it is full (a request waits and the next ones
 * fill it) or cannot be had at all. */
static bool conn_make_room(struct httpd_conn *c)
{
	bool full;
	if (c->in_start == c->in_end) {
		c->in_start = c->in_end = 0;
	}
	full = c->in_end == c->in_cap;
	if (c->in_start > 0 && (full || c->grow)) {
		memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
		c->in_end -= c->in_start;
		c->in_start = 0;
	}
	if (c->in == NULL || ((full || c->grow) && c->in_cap < IN_MAX)) {
		size_t cap = c->in == NULL ? IN_MIN : c->in_cap * 2;
		char *in = realloc(c->in, cap);
		if (in != NULL) {
			c->in = in;
			c->in_cap = cap;
		}
	}
	c->grow = false;
	return c->in != NULL && c->in_end < c->in_cap;
}

/* Reads and drops what a closing client still sends. */
static void conn_linger_read(struct httpd_conn *c)
{
	char scratch[4096];
	ssize_t n = read(c->fd, scratch, sizeof(scratch));
	if (n > 0) {
		c->linger_bytes += (size_t)n;
		if (c->linger_bytes > LINGER_BYTES) {
			conn_close(c);
		}
		return;
	}
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		return;
	}
	conn_close(c);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct httpd_conn *c = arg;
	size_t room;
	ssize_t n;
	(void)what;
	c->busy++;
	if (c->state == CONN_LINGER) {
		conn_linger_read(c);
		goto out;
	}
	if (!conn_make_room(c)) {
		if (c->state == CONN_READING) {
			/* Only when the buffer cannot be had at all. */
			raft_log(RAFT_LOG_ERROR,
				 "http: out of memory for a request: closing "
				 "the connection");
			conn_close(c);
		} else {
			/* Read again once the waiting request is answered;
			 * until then a hang-up goes unnoticed. */
			conn_pause_reading(c);
		}
		goto out;
	}
	room = c->in_cap - c->in_end;
	n = read(fd, c->in + c->in_end, room);
	if (n > 0) {
		c->in_end += (size_t)n;
		c->active_tick = c->h->tick;
		/* A full read: a larger buffer next time (a large body). */
		c->grow = (size_t)n == room && c->in_cap < IN_MAX;
		if (c->state == CONN_READING) {
			conn_parse(c);
		}
		goto out;
	}
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		goto out;
	}
	/* End of file or an error: the client closed or reset. */
	switch (c->state) {
	case CONN_SERVING:
	case CONN_FLUSHING:
		if (n < 0) {
			if (c->state == CONN_SERVING) {
				conn_hang_up(c);
			} else {
				conn_close(c);
			}
			break;
		}
		/* It may still read its answer (a half-closed socket):
		 * answer, then close. Reading must stop: the end of file
		 * stays readable. */
		if (c->state == CONN_SERVING) {
			raft_log(RAFT_LOG_DEBUG,
				 "http: %s %s: the client closed its side "
				 "before the answer",
				 c->req.method_name,
				 httpd_request_target(&c->req));
			c->h->hang_ups++;
		}
		c->peer_eof = true;
		c->close_after = true;
		conn_pause_reading(c);
		c->in_start = c->in_end = 0;
		break;
	default:
		/* Between requests or within one (never served). */
		conn_close(c);
		break;
	}
out:
	conn_release(c);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct httpd_conn *c = arg;
	(void)fd;
	(void)what;
	c->busy++;
	if (conn_flush(c) != 0) {
		raft_log(RAFT_LOG_DEBUG, "http: write: %s", strerror(errno));
		conn_close(c);
		goto out;
	}
	if (evbuffer_get_length(c->out) == 0) {
		event_del(c->write_ev);
		c->write_armed = false;
		if (c->state == CONN_FLUSHING) {
			conn_answered(c);
		}
	}
out:
	conn_release(c);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct httpd_conn *c = arg;
	(void)fd;
	(void)what;
	c->busy++;
	if (c->state == CONN_READING) {
		conn_parse(c);
	}
	conn_release(c);
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd,
		      struct sockaddr *addr, int addr_len, void *arg)
{
	struct httpd *h = arg;
	struct httpd_conn *c;
	int one = 1;
	(void)listener;
	(void)addr;
	(void)addr_len;
	/* Answers leave in one write each: nothing to gain from Nagle's
	 * delay, and a 40 ms stall to lose with a delayed ACK. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
		raft_log(RAFT_LOG_DEBUG, "http: TCP_NODELAY: %s",
			 strerror(errno));
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		goto nomem;
	}
	c->h = h;
	c->fd = fd;
	c->read_ev =
	    event_new(h->base, fd, EV_READ | EV_PERSIST, on_readable, c);
	c->write_ev =
	    event_new(h->base, fd, EV_WRITE | EV_PERSIST, on_writable, c);
	c->resume_ev = event_new(h->base, -1, 0, on_resume, c);
	if (c->read_ev == NULL || c->write_ev == NULL || c->resume_ev == NULL ||
	    event_add(c->read_ev, NULL) != 0) {
		if (c->read_ev != NULL) {
			event_free(c->read_ev);
		}
		if (c->write_ev != NULL) {
			event_free(c->write_ev);
		}
		if (c->resume_ev != NULL) {
			event_free(c->resume_ev);
		}
		free(c);
		goto nomem;
	}
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	c->req.conn = c;
	request_reset(&c->req);
	c->state = CONN_READING;
	c->active_tick = h->tick;
	c->next = h->conns;
	if (h->conns != NULL) {
		h->conns->prev = c;
	}
	h->conns = c;
	h->n_open++;
	return;

nomem:
	raft_log(RAFT_LOG_ERROR,
		 "http: out of memory for a new connection: closed");
	evutil_closesocket(fd);
}

static void on_accept_error(struct evconnlistener *listener, void *arg)
{
	struct httpd *h = arg;
	/* Out of file descriptors, most likely: the listening socket stays
	 * readable, so stop accepting until the next sweep rather than
	 * spin. */
	raft_log(RAFT_LOG_WARN, "http: accept: %s; pausing for a moment",
		 strerror(errno));
	evconnlistener_disable(listener);
	h->listener_paused = true;
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct httpd *h = arg;
	struct httpd_conn *c, *next;
	(void)fd;
	(void)what;
	h->tick++;
	if (h->listener_paused && h->listener != NULL) {
		evconnlistener_enable(h->listener);
		h->listener_paused = false;
	}
	for (c = h->conns; c != NULL; c = next) {
		unsigned long long idle = h->tick - c->active_tick;
		bool expired = false;
		next = c->next;
		/* A waiting request (SERVING, GONE) has the handler's own
		 * timeout. */
		if (c->state == CONN_READING || c->state == CONN_FLUSHING) {
			expired = idle >= h->idle_ticks;
		} else if (c->state == CONN_LINGER) {
			expired = idle >= h->linger_ticks;
		}
		if (!expired) {
			continue;
		}
		raft_log(RAFT_LOG_DEBUG,
			 "http: closing a connection idle for "
			 "%llu ticks",
			 idle);
		c->busy++;
		conn_close(c);
		conn_release(c);
	}
}

/* ------------------------------------------------------------------------
 * The server
 * ------------------------------------------------------------------------ */

int httpd_new(struct event_base *base, evutil_socket_t listen_fd,
	      const struct httpd_config *config, struct httpd **out,
	      char *errmsg, size_t errmsg_len)
{
	struct httpd *h = calloc(1, sizeof(*h));
	unsigned sweep_ms;
	struct timeval tv;
	if (h == NULL) {
		evutil_closesocket(listen_fd);
		goto nomem;
	}
	h->base = base;
	h->config = *config;
	/* The parser counts the request line and headers itself. */
	http_parser_set_max_header_size(
	    (uint32_t)(config->max_header_bytes > UINT32_MAX
			   ? UINT32_MAX
			   : config->max_header_bytes));
	sweep_ms = config->idle_timeout_ms / 4;
	sweep_ms = sweep_ms < 10 ? 10 : sweep_ms > 1000 ? 1000 : sweep_ms;
	h->idle_ticks = (config->idle_timeout_ms + sweep_ms - 1) / sweep_ms;
	h->linger_ticks = (LINGER_MS + sweep_ms - 1) / sweep_ms;
	if (h->linger_ticks > h->idle_ticks) {
		h->linger_ticks = h->idle_ticks;
	}
	h->listener = evconnlistener_new(
	    base, on_accept, h, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    0, listen_fd);
	if (h->listener == NULL) {
		evutil_closesocket(listen_fd);
		goto nomem;
	}
	evconnlistener_set_error_cb(h->listener, on_accept_error);
	h->sweep_ev = event_new(base, -1, EV_PERSIST, on_sweep, h);
	tv.tv_sec = sweep_ms / 1000;
	tv.tv_usec = (sweep_ms % 1000) * 1000;
	if (h->sweep_ev == NULL || event_add(h->sweep_ev, &tv) != 0) {
		goto nomem;
	}
	*out = h;
	return 0;

nomem:
	snprintf(errmsg, errmsg_len, "out of memory");
	httpd_free(h);
	return RAFT_ENOMEM;
}

void httpd_stop_listening(struct httpd *h)
{
	if (h->listener != NULL) {
		evconnlistener_free(h->listener);
		h->listener = NULL;
	}
}

void httpd_free(struct httpd *h)
{
	if (h == NULL) {
		return;
	}
	httpd_stop_listening(h);
	while (h->conns != NULL) {
		conn_free(h->conns);
	}
	if (h->sweep_ev != NULL) {
		event_free(h->sweep_ev);
	}
	free(h);
}

size_t httpd_connections(const struct httpd *h)
{
	return h->n_open;
}

unsigned long long httpd_hang_ups(const struct httpd *h)
{
	return h->hang_ups;
}
