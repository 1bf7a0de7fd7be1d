/* Peer connections over TCP on a libevent loop: one outgoing connection
 * per peer carries our messages to it; incoming connections carry theirs. */
#ifndef RAFT_TRANSPORT_TCP_H
#define RAFT_TRANSPORT_TCP_H

#include "raft/core.h"

struct event_base;
struct tcp_transport;

/* Receives each decoded message addressed to us; the message (and its
 * entries) is valid for the call only. */
typedef void (*tcp_recv_cb)(void *arg, const struct raft_message *m);

/* Listens on listen ("HOST:PORT"). Errors: RAFT_EINVAL (bad address),
 * RAFT_EIO (cannot bind: errmsg says why), RAFT_ENOMEM. */
int tcp_transport_new(struct event_base *base, const char *listen,
		      uint64_t cluster_id, raft_id self, size_t max_frame,
		      tcp_recv_cb cb, void *arg, struct tcp_transport **out,
		      char *errmsg, size_t errmsg_len);

void tcp_transport_free(struct tcp_transport *t);

/* Sets the cluster id frames must carry and this node's id (before the
 * loop runs: until then no frame is read). */
void tcp_transport_set_identity(struct tcp_transport *t, uint64_t cluster_id,
				raft_id self);

/* The bound address ("HOST:PORT"). */
const char *tcp_transport_address(const struct tcp_transport *t);

/* Sets (or changes) where peer id listens. Errors: RAFT_EINVAL (bad
 * address), RAFT_ENOMEM. */
int tcp_transport_set_peer(struct tcp_transport *t, raft_id id,
			   const char *address);

/* Queues a message to its destination, connecting if needed. A message
 * to a peer without an address, down, or too far behind is dropped, as the
 * network could have done. */
void tcp_transport_send(struct tcp_transport *t, const struct raft_message *m);

/* Same for an already encoded frame. */
void tcp_transport_send_frame(struct tcp_transport *t, raft_id to,
			      const void *frame, size_t len);

/* Parses "HOST:PORT" into a socket address. Errors: RAFT_EINVAL. */
struct sockaddr_storage;
int tcp_parse_address(const char *address, struct sockaddr_storage *ss,
		      int *ss_len);

#endif /* RAFT_TRANSPORT_TCP_H */
