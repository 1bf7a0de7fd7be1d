/* A growable byte buffer for URLs and request and answer bodies. */
#ifndef RAFT_CLIENT_BUF_H
#define RAFT_CLIENT_BUF_H

#include <stddef.h>

/* data is NUL-terminated after len bytes once anything was appended (so a
 * text body can be read as a string); NULL while empty. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);

/* Frees the memory and empties b. */
void buf_close(struct buf *b);

/* Empties b, keeping its memory. */
void buf_reset(struct buf *b);

/* Appends n bytes. Errors: RAFT_ENOMEM (b is unchanged). */
int buf_append(struct buf *b, const void *p, size_t n);

/* Appends a NUL-terminated string. Errors: RAFT_ENOMEM. */
int buf_puts(struct buf *b, const char *s);

/* Appends formatted text. Errors: RAFT_ENOMEM. */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Hands the data (raft_malloc'd, NUL-terminated, never NULL) over to the
 * caller and empties b. Errors: RAFT_ENOMEM (only when b is empty and a
 * one-byte string cannot be allocated). */
int buf_take(struct buf *b, char **out, size_t *len);

#endif /* RAFT_CLIENT_BUF_H */
