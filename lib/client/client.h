/* The client object shared by the modules of lib/client. */
#ifndef RAFT_CLIENT_CLIENT_H
#define RAFT_CLIENT_CLIENT_H

#include <stdbool.h>

#include "client/http.h"
#include "raft/client.h"

/* Longest message raft_client_errmsg() returns (longer ones are cut). */
#define CLIENT_ERRMSG_MAX 1024

struct raft_client {
	char **endpoints; /* normalized base URLs */
	unsigned n_endpoints;
	unsigned current; /* the endpoint that answered last: tried first */
	char *leader_url; /* the leader's base URL as last learned, or NULL */
	char *last_url;	  /* the node that answered the last call, or NULL */
	unsigned timeout_ms;
	unsigned connect_timeout_ms;
	bool keep_alive;
	struct exchange ex; /* the connection reused from call to call */
	char errmsg[CLIENT_ERRMSG_MAX];
};

/* Sets the client's message (printf-style). */
void client_errorf(struct raft_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* RAFT_CLIENT_CLIENT_H */
