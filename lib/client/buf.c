/* A growable byte buffer for URLs and request and answer bodies. */
#include "client/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "raft/error.h"

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_close(struct buf *b)
{
	raft_free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL) {
		b->data[0] = '\0';
	}
}

/* Makes room for n more bytes and the terminating NUL. */
static int reserve(struct buf *b, size_t n)
{
	size_t need;
	size_t cap;
	char *data;
	if (n > SIZE_MAX - b->len - 1) {
		return RAFT_ENOMEM;
	}
	need = b->len + n + 1;
	if (need <= b->cap) {
		return 0;
	}
	cap = b->cap == 0 ? 64 : b->cap;
	while (cap < need) {
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	}
	data = raft_realloc(b->data, cap);
	if (data == NULL) {
		return RAFT_ENOMEM;
	}
	b->data = data;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int rv = reserve(b, n);
	if (rv != 0) {
		return rv;
	}
	if (n > 0) {
		memcpy(b->data + b->len, p, n);
	}
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	int rv;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return RAFT_ENOMEM;
	}
	rv = reserve(b, (size_t)n);
	if (rv != 0) {
		return rv;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int buf_take(struct buf *b, char **out, size_t *len)
{
	int rv = reserve(b, 0);
	if (rv != 0) {
		return rv;
	}
	b->data[b->len] = '\0';
	*out = b->data;
	if (len != NULL) {
		*len = b->len;
	}
	buf_init(b);
	return 0;
}
