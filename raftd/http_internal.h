/* What http.c, http_status.c, http_admin.c and http_debug.c share: the
 * server and the error answers. */
#ifndef RAFT_RAFTD_HTTP_INTERNAL_H
#define RAFT_RAFTD_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "httpd.h"

struct evbuffer;
struct pending;
struct admin_change;
struct admin_transfer;
struct cJSON;

/* The error codes of API.md answers: stable snake_case, counted per code
 * in raftd_errors_total. */
#define HTTP_ERRORS(X)                              \
	X(BAD_REQUEST, "bad_request")               \
	X(NOT_FOUND, "not_found")                   \
	X(METHOD_NOT_ALLOWED, "method_not_allowed") \
	X(COMPARE_FAILED, "compare_failed")         \
	X(ALREADY_EXISTS, "already_exists")         \
	X(TOO_LARGE, "too_large")                   \
	X(NOT_LEADER, "not_leader")                 \
	X(NO_LEADER, "no_leader")                   \
	X(LEADER_CHANGED, "leader_changed")         \
	X(BUSY, "busy")                             \
	X(LAGGING, "lagging")                       \
	X(UNAVAILABLE, "unavailable")               \
	X(TRANSFER_FAILED, "transfer_failed")       \
	X(TIMEOUT, "timeout")                       \
	X(NOT_MEMBER, "not_member")                 \
	X(NODE_STOPPED, "node_stopped")             \
	X(SHUTTING_DOWN, "shutting_down")           \
	X(NOT_IMPLEMENTED, "not_implemented")       \
	X(INTERNAL, "internal")

enum http_error {
#define HTTP_ERROR_ENUM_(id, name) HTTP_ERR_##id,
	HTTP_ERRORS(HTTP_ERROR_ENUM_)
#undef HTTP_ERROR_ENUM_
	    HTTP_N_ERRORS
};

extern const char *const http_error_names[HTTP_N_ERRORS];

/* Upper bounds (seconds) of the apply latency histogram's buckets. */
#define HTTP_LATENCY_BUCKETS 13
extern const double http_latency_bounds[HTTP_LATENCY_BUCKETS];

struct http_server {
	struct event_base *base;
	struct httpd *httpd;	/* stops listening once detached */
	struct raft_node *node; /* NULL until attached, after detach */
	struct kv *kv;
	size_t max_value_bytes;
	unsigned request_timeout_ms;
	unsigned tick_ms;
	unsigned election_ticks;
	struct event *sample_ev;
	struct pending *pending; /* requests waiting for the node */
	/* http_admin.c: membership changes waiting to commit, leadership
	 * transfers waiting for the new leader. */
	struct admin_change *changes;
	struct admin_transfer *transfers;
	/* /v1/debug/faults is served only when failpoints are enabled;
	 * faults is what it last put in force (the node does not say). */
	bool enable_failpoints;
	struct raft_node_faults faults;
	/* For /metrics. */
	raft_id last_leader;
	uint64_t leader_changes;
	uint64_t replies[600]; /* per HTTP status */
	uint64_t errors[HTTP_N_ERRORS];
	uint64_t latency_counts[HTTP_LATENCY_BUCKETS + 1]; /* last: +Inf */
	double latency_sum;
};

/* Sends an answer (body borrowed, may be NULL; content_type may be NULL)
 * and counts its status. Every answer goes through here. */
void http_send(struct http_server *s, struct httpd_request *req, int status,
	       const char *content_type, struct evbuffer *body);

/* Answers with the API.md error shape {"error": {"code", "message",
 * "leader_id", "leader_url"}} (the leader fields when known) and counts
 * the code. The message is one sentence. */
void http_reply_error(struct http_server *s, struct httpd_request *req,
		      int status, enum http_error code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* 405 with an Allow header. */
void http_reply_bad_method(struct http_server *s, struct httpd_request *req,
			   const char *allow);

/* Sends body (borrowed) as application/json. */
void http_reply_json(struct http_server *s, struct httpd_request *req,
		     int status, struct evbuffer *body);

/* Appends len bytes of s as a JSON string (escaping quotes, backslashes
 * and control characters; other bytes pass as they are). */
void http_json_string(struct evbuffer *b, const char *s, size_t len);

/* The leader as this node knows it: false if unknown. url gets its client
 * URL, or "" if its address has none. */
bool http_leader(struct http_server *s, raft_id *id, char *url, size_t url_len);

/* See http.c. */
void http_split_member_address(const char *address, char *peer, size_t peer_len,
			       char *client, size_t client_len);

const char *http_method_name(struct httpd_request *req);

/* Whether this node may serve a leader-only request now; if not, the
 * request was answered (307 to the leader, 503 no_leader, 503
 * node_stopped or shutting_down), exactly as for writes. */
bool http_check_leader(struct http_server *s, struct httpd_request *req);

/* Answers an error that raft_node_apply(), raft_node_read_index() or
 * raft_node_snapshot() returned at once. */
void http_reply_node_error(struct http_server *s, struct httpd_request *req,
			   int rv);

/* Parses len bytes of body as one JSON value with nothing but blanks
 * after it. Returns NULL with why set to one sentence when it does not
 * parse. The caller frees the value with cJSON_Delete(). */
struct cJSON *http_json_parse(const char *body, size_t len, char *why,
			      size_t why_len);

/* Whether item is a JSON number holding a whole value in [min, max]
 * (then stored in *out). */
bool http_json_whole_number(const struct cJSON *item, double min, double max,
			    double *out);

/* The largest id a JSON number carries exactly (2^53). */
#define HTTP_JSON_ID_MAX 9007199254740992.0

/* http_status.c: the inspection endpoints. */
void http_status_add_members(struct evbuffer *b,
			     const struct raft_node_status *st);
void http_status_serve(struct http_server *s, struct httpd_request *req);
void http_status_members(struct http_server *s, struct httpd_request *req);
void http_status_health(struct http_server *s, struct httpd_request *req);
void http_status_metrics(struct http_server *s, struct httpd_request *req);

/* http_admin.c: membership and leadership (the method, the path's id and
 * the absence of parameters already checked; id 0 in transfer). */
void http_admin_add(struct http_server *s, struct httpd_request *req);
void http_admin_remove(struct http_server *s, struct httpd_request *req,
		       raft_id id);
void http_admin_promote(struct http_server *s, struct httpd_request *req,
			raft_id id);
void http_admin_transfer(struct http_server *s, struct httpd_request *req);
void http_admin_reset_peers(struct http_server *s, struct httpd_request *req);

/* Answers the transfers still waiting 503 shutting_down (the node is
 * going away). */
void http_admin_detach(struct http_server *s);

/* Forgets whatever still waits (their requests are about to be freed). */
void http_admin_free(struct http_server *s);

/* http_debug.c: GET, HEAD or PUT /v1/debug/faults (the method and the
 * absence of parameters already checked). */
void http_debug_faults(struct http_server *s, struct httpd_request *req);

#endif /* RAFT_RAFTD_HTTP_INTERNAL_H */
