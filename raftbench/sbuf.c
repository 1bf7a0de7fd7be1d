/* raftbench's byte buffers and encodings. */
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_init(struct sbuf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void sbuf_close(struct sbuf *b)
{
	free(b->data);
	sbuf_init(b);
}

void sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->data != NULL) {
		b->data[0] = '\0';
	}
}

/* Makes room for n more bytes and the NUL. */
static int reserve(struct sbuf *b, size_t n)
{
	size_t cap;
	char *p;
	if (b->len + n + 1 <= b->cap) {
		return 0;
	}
	cap = b->cap == 0 ? 256 : b->cap;
	while (cap < b->len + n + 1) {
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (p == NULL) {
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int sbuf_append(struct sbuf *b, const void *p, size_t n)
{
	if (reserve(b, n) != 0) {
		return -1;
	}
	if (n > 0) {
		memcpy(b->data + b->len, p, n);
	}
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int sbuf_puts(struct sbuf *b, const char *s)
{
	return sbuf_append(b, s, strlen(s));
}

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

int sbuf_pct(struct sbuf *b, const void *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = p;
	char *out;
	size_t i;
	if (reserve(b, 3 * n) != 0) {
		return -1;
	}
	out = b->data + b->len;
	for (i = 0; i < n; i++) {
		if (unreserved(s[i])) {
			*out++ = (char)s[i];
		} else {
			*out++ = '%';
			*out++ = hex[s[i] >> 4];
			*out++ = hex[s[i] & 15];
		}
	}
	b->len = (size_t)(out - b->data);
	b->data[b->len] = '\0';
	return 0;
}

int sbuf_base64(struct sbuf *b, const void *p, size_t n)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz"
				       "0123456789+/";
	const unsigned char *s = p;
	char *out;
	size_t i;
	if (reserve(b, (n + 2) / 3 * 4) != 0) {
		return -1;
	}
	out = b->data + b->len;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v =
		    (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		*out++ = alphabet[v >> 18];
		*out++ = alphabet[(v >> 12) & 63];
		*out++ = alphabet[(v >> 6) & 63];
		*out++ = alphabet[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < n) {
			v |= (unsigned)s[i + 1] << 8;
		}
		*out++ = alphabet[v >> 18];
		*out++ = alphabet[(v >> 12) & 63];
		*out++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	b->len = (size_t)(out - b->data);
	b->data[b->len] = '\0';
	return 0;
}

int sbuf_uint(struct sbuf *b, unsigned long long v, int width)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%0*llu", width, v);
	return sbuf_append(b, digits, (size_t)n);
}
