/* Little-endian integer encoding for wire and disk formats. */
#ifndef RAFT_UTIL_ENDIAN_H
#define RAFT_UTIL_ENDIAN_H

#include <stdint.h>

/* Writes the low `bytes` bytes of v at p, least significant first;
 * returns the position after them. */
static inline uint8_t *put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	unsigned i;
	for (i = 0; i < bytes; i++) {
		*p++ = (uint8_t)(v >> (8 * i));
	}
	return p;
}

/* Reads `bytes` bytes at p, least significant first. */
static inline uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	unsigned i;
	for (i = 0; i < bytes; i++) {
		v |= (uint64_t)p[i] << (8 * i);
	}
	return v;
}

/* Big-endian u64, for keys whose byte order must be their numeric order. */
static inline void put_be64(uint8_t *p, uint64_t v)
{
	int i;
	for (i = 7; i >= 0; i--) {
		*p++ = (uint8_t)(v >> (8 * i));
	}
}

static inline uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;
	for (i = 0; i < 8; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

#endif /* RAFT_UTIL_ENDIAN_H */
