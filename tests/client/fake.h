/* A scripted HTTP server on 127.0.0.1 for the client tests: a thread that
 * answers each request with what the test's function says, and records
 * what it received. One connection per request (it answers "Connection:
 * close"). */
#ifndef RAFT_TESTS_CLIENT_FAKE_H
#define RAFT_TESTS_CLIENT_FAKE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct fake;

/* Writes the whole answer (status line, headers, body) into out and
 * returns its length; n is the number of requests before this one.
 * Returning -1 leaves the request unanswered (the connection stays open
 * until the next request or until the fake stops). */
typedef long (*fake_fn)(struct fake *f, const char *method, const char *target,
			const char *body, size_t body_len, int n, char *out,
			size_t out_len);

struct fake {
	int fd;
	unsigned port;
	char url[64]; /* "http://127.0.0.1:PORT" */
	pthread_t thread;
	pthread_mutex_t lock;
	volatile bool stop;
	fake_fn fn;
	void *data; /* for fn */
	/* What came in (under lock). */
	int n_requests;
	char method[16];
	char target[1024];
	char content_type[128];
	char body[8192];
	size_t body_len;
	int held_fd; /* a connection left unanswered, or -1 */
};

/* Starts a fake on a free port. Fails the test on error. */
void fake_start(struct fake *f, fake_fn fn, void *data);

/* Stops the thread and closes everything. */
void fake_stop(struct fake *f);

/* The number of requests received so far. */
int fake_requests(struct fake *f);

/* Formats an answer: "HTTP/1.1 STATUS REASON", the extra header lines
 * (each ending in \r\n, may be ""), Content-Length and body. Returns its
 * length. */
long fake_answer(char *out, size_t out_len, int status,
		 const char *extra_headers, const char *body, size_t body_len);

/* Convenience: a JSON body. */
long fake_json(char *out, size_t out_len, int status, const char *extra_headers,
	       const char *json);

/* A port on 127.0.0.1 where nothing listens (bound then closed). */
unsigned fake_dead_port(void);

#endif /* RAFT_TESTS_CLIENT_FAKE_H */
