/* raftd's HTTP API (shared/API.md): key-value, status, health, metrics,
 * membership. */
#ifndef RAFT_RAFTD_HTTP_H
#define RAFT_RAFTD_HTTP_H

#include <event2/util.h>
#include <stdbool.h>

#include "kv.h"
#include "raft/node.h"

struct event_base;
struct http_server;

struct http_config {
	const char *listen;	     /* HOST:PORT of the client API */
	size_t max_value_bytes;	     /* larger bodies get 413 */
	unsigned request_timeout_ms; /* then a waiting request gets 503 */
	unsigned tick_ms;	     /* how often to sample the leader */
	unsigned election_ticks;     /* the election timeout, in ticks */
	bool enable_failpoints;	     /* serve /v1/debug/faults (tests only) */
};

/* Opens a listening TCP socket on addr ("HOST:PORT"), non-blocking and
 * close-on-exec, with SO_REUSEADDR. Errors: RAFT_EINVAL (bad address),
 * RAFT_EIO with errmsg "listen ADDR: strerror" (port taken, ...). */
int http_listen(const char *addr, evutil_socket_t *fd, char *errmsg,
		size_t errmsg_len);

/* Creates the server on base, listening on config->listen at once (so that
 * a taken port is found before anything else starts). Requests are
 * answered 503 until http_server_attach(). Errors: RAFT_EIO, RAFT_EINVAL,
 * RAFT_ENOMEM with errmsg. */
int http_server_new(struct event_base *base, const struct http_config *config,
		    struct http_server **out, char *errmsg, size_t errmsg_len);

/* Starts serving with node (borrowed until http_server_detach()) and kv
 * (borrowed until http_server_free()). */
void http_server_attach(struct http_server *s, struct raft_node *node,
			struct kv *kv);

/* Stops accepting connections and forgets the node: later requests on open
 * connections get 503 shutting_down. Call before raft_node_free(), whose
 * failing callbacks then answer the requests still waiting. */
void http_server_detach(struct http_server *s);

/* Closes every connection and frees the server; NULL is a no-op. */
void http_server_free(struct http_server *s);

#endif /* RAFT_RAFTD_HTTP_H */
