/* HTTP exchanges with raftd on libcurl: one request with one node
 * (exchange_*), many nodes at once (http_get_many), and a call to the
 * cluster that finds the leader and fails over (http_call). */
#ifndef RAFT_CLIENT_HTTP_H
#define RAFT_CLIENT_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "client/buf.h"

struct raft_client;

/* Largest answer body kept in memory (values are limited by the server,
 * 1 MiB by default; this only guards against a runaway peer). */
#define HTTP_MAX_ANSWER_BYTES (256u << 20)

/* At most this many redirects (307 or leader_url) in one call. */
#define HTTP_MAX_REDIRECTS 5

struct http_request {
	const char *method; /* "GET", "PUT", "POST" or "DELETE" */
	const char *target; /* path and query: "/v1/kv/a%2Fb?prev=x" */
	const void *body;   /* NULL: no body */
	size_t body_len;
	const char *content_type; /* of the body */
	/* Safe to send again to another node after it may have arrived
	 * (reads): then a broken or timed-out exchange fails over too. */
	bool idempotent;
	/* Start with the leader last learned (requests the leader serves);
	 * else with the endpoint that answered last. Either way redirects
	 * and the leader hints of error answers are followed. */
	bool prefer_leader;
	/* Send to this base URL only: no failover, no redirect. */
	const char *url;
};

/* One HTTP exchange with one node: a libcurl easy handle and what came
 * back. */
struct exchange {
	CURL *easy;
	struct curl_slist *headers;
	CURLcode rc;
	long status; /* the HTTP status, once rc is CURLE_OK */
	struct buf body;
	char *location; /* the Location header, or NULL */
	bool have_raft_index;
	uint64_t raft_index; /* the X-Raft-Index header */
	bool too_big;	     /* the body passed HTTP_MAX_ANSWER_BYTES */
	bool oom;	     /* keeping the body ran out of memory */
	long timeout_ms;     /* what is left of the call's budget */
	unsigned budget_ms; /* the call's whole budget (the client's timeout) */
	char errbuf[CURL_ERROR_SIZE];
	void *data; /* for the caller */
};

/* Creates the easy handle. Errors: RAFT_ENOMEM. */
int exchange_init(struct exchange *ex);

/* Frees the handle and what came back. */
void exchange_close(struct exchange *ex);

/* Sets ex up to send req to base (a base URL) within timeout_ms, forgetting
 * the previous answer but not the connection. Errors: RAFT_ENOMEM. */
int exchange_prepare(struct exchange *ex, const struct raft_client *c,
		     const char *base, const struct http_request *req,
		     long timeout_ms);

/* Interprets ex->rc after the transfer: 0 if an HTTP answer came (any
 * status), else RAFT_ETIMEDOUT, RAFT_ETOOBIG, RAFT_ENOMEM or RAFT_EIO with
 * why set ("Connection refused", "no answer within 5000 ms"), and
 * *delivered telling whether the request may have reached the node. */
int exchange_result(struct exchange *ex, bool *delivered, char *why,
		    size_t why_len);

/* Sends req to the cluster (see struct http_request), within the client's
 * timeout. Returns 0 when a node answered 2xx (c->ex holds the answer, and
 * c->last_url names the node); else an error code with the client's
 * message set: the mapped HTTP error with the server's message, or the
 * failure to reach any node. */
int http_call(struct raft_client *c, const struct http_request *req);

/* One node of http_get_many(). */
struct http_many {
	const char *url; /* base URL, borrowed */
	int err;	 /* 0: status and body hold the answer */
	char why[256];	 /* when err != 0 */
	long status;
	struct buf body; /* owned; buf_close() it */
};

/* GETs target from every node at once, each within the client's timeout.
 * Fills err, why, status and body of each. Errors: RAFT_ENOMEM. */
int http_get_many(struct raft_client *c, const char *target,
		  struct http_many *nodes, unsigned n);

#endif /* RAFT_CLIENT_HTTP_H */
