/* A growable byte buffer for URLs and bodies, with the encodings raftbench
 * needs: percent-encoding (raftd's URLs) and base64 (etcd's JSON). The
 * buffer keeps its memory when reset, so that a connection reuses it for
 * every request. */
#ifndef RAFT_RAFTBENCH_SBUF_H
#define RAFT_RAFTBENCH_SBUF_H

#include <stddef.h>

/* data is NUL-terminated after len bytes once anything was reserved. */
struct sbuf {
	char *data;
	size_t len;
	size_t cap;
};

void sbuf_init(struct sbuf *b);
void sbuf_close(struct sbuf *b);

/* Empties b, keeping its memory. */
void sbuf_reset(struct sbuf *b);

/* Appends n bytes, a string, percent-encoded bytes (all but the
 * unreserved ones of RFC 3986 become %XX), base64 of bytes (RFC 4648, with
 * padding). Each returns 0, or -1 when out of memory (b unchanged). */
int sbuf_append(struct sbuf *b, const void *p, size_t n);
int sbuf_puts(struct sbuf *b, const char *s);
int sbuf_pct(struct sbuf *b, const void *p, size_t n);
int sbuf_base64(struct sbuf *b, const void *p, size_t n);

/* Appends v in decimal, zero-padded to width digits. Returns 0 or -1. */
int sbuf_uint(struct sbuf *b, unsigned long long v, int width);

#endif /* RAFT_RAFTBENCH_SBUF_H */
