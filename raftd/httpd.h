/* raftd's HTTP/1.1 server: connections, request parsing and answers on the
 * caller's libevent loop, one request at a time per connection. */
#ifndef RAFT_RAFTD_HTTPD_H
#define RAFT_RAFTD_HTTPD_H

#include <event2/util.h>
#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct evbuffer;
struct httpd;
struct httpd_request;

/* The methods a request reaches the handler with; any other gets 501. */
enum httpd_method {
	HTTPD_GET,
	HTTPD_HEAD,
	HTTPD_POST,
	HTTPD_PUT,
	HTTPD_DELETE,
	HTTPD_OPTIONS,
	HTTPD_TRACE,
	HTTPD_CONNECT,
	HTTPD_PATCH,
};

/* A complete request (its body read whole, or too large to read: see
 * httpd_request_body()). The handler answers it with httpd_reply(), at
 * once or later from any callback of the loop; the request stays valid
 * until then, even if the client leaves meanwhile (the answer is then
 * dropped, or written to a half-closed socket before closing it). */
typedef void (*httpd_request_cb)(struct httpd_request *req, void *arg);

/* A request that cannot be served: malformed (400), headers too large
 * (431), a chunked body too large (413), an unknown method (501), an
 * unknown expectation (417). reason is one sentence. The callback must
 * answer with httpd_reply() before it returns; the connection is closed
 * after the answer. What was parsed of the request (method, target) may be
 * missing: the accessors then give "?" and "". */
typedef void (*httpd_error_cb)(struct httpd_request *req, int status,
			       const char *reason, void *arg);

struct httpd_config {
	size_t max_header_bytes;  /* request line and headers */
	size_t max_body_bytes;	  /* a larger body is not read */
	unsigned idle_timeout_ms; /* an idle or stuck connection is closed */
	httpd_request_cb on_request;
	httpd_error_cb on_error;
	void *arg;
};

/* Creates a server on base that accepts connections on listen_fd (a
 * non-blocking listening socket, owned by the server from then on, also
 * on failure). Errors: RAFT_ENOMEM with errmsg. */
int httpd_new(struct event_base *base, evutil_socket_t listen_fd,
	      const struct httpd_config *config, struct httpd **out,
	      char *errmsg, size_t errmsg_len);

/* Closes the listening socket: no new connection is accepted; open ones
 * are served as before. */
void httpd_stop_listening(struct httpd *h);

/* Closes every connection and frees the server; requests still waiting for
 * their answer are freed too (the caller must not answer them any more).
 * NULL is a no-op. */
void httpd_free(struct httpd *h);

/* Open connections (not counting those reset while their request waits:
 * only the request is left of them). */
size_t httpd_connections(const struct httpd *h);

/* Requests whose client closed or reset its connection before the
 * answer, since the start. */
unsigned long long httpd_hang_ups(const struct httpd *h);

/* The request's method, and its name as sent ("?" if unknown). */
enum httpd_method httpd_request_method(const struct httpd_request *req);
const char *httpd_request_method_name(const struct httpd_request *req);

/* The request target as sent (NUL-terminated), its path (%-encoded as
 * sent; for a target in absolute form, the part from the first '/' after
 * the host) and its query (after '?', without any fragment; NULL if the
 * target has no '?'). */
const char *httpd_request_target(const struct httpd_request *req);
const char *httpd_request_path(const struct httpd_request *req);
const char *httpd_request_query(const struct httpd_request *req);

/* The body's length: what was read, or, for a body larger than
 * max_body_bytes, what Content-Length announced (the body was not read, and
 * the connection closes after the answer). */
size_t httpd_request_body_length(const struct httpd_request *req);

/* The body (httpd_request_body_length() bytes, not NUL-terminated), or
 * NULL when it was too large to read: compare the length with the
 * endpoint's own limit first. */
const char *httpd_request_body(const struct httpd_request *req);

/* Adds a header to the answer (name and value copied). If it cannot (out
 * of memory, or CR, LF or a ':' in the name), the error is logged and the
 * connection closes instead of answering: no answer goes without a header
 * it needed. */
void httpd_add_header(struct httpd_request *req, const char *name,
		      const char *value);

/* Answers req: the status line (reason NULL: a standard phrase), the
 * headers added, Content-Type when content_type is not NULL, Date and
 * Content-Length, then body (may be NULL; not sent for HEAD). body's bytes
 * are taken: the buffer is empty after the call. req must not be used
 * after the call. */
void httpd_reply(struct httpd_request *req, int status, const char *reason,
		 const char *content_type, struct evbuffer *body);

#endif /* RAFT_RAFTD_HTTPD_H */
