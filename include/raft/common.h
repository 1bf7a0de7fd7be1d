/* Scalars, buffers and the export marker shared by every libraft header. */
#ifndef RAFT_COMMON_H
#define RAFT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && __GNUC__ >= 4
#define RAFT_API	 __attribute__((visibility("default")))
#define RAFT_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define RAFT_API
#define RAFT_WARN_UNUSED
#endif

/* Raft's scalars: all 64-bit unsigned. Id 0 and index/term 0 mean "none". */
typedef uint64_t raft_term;
typedef uint64_t raft_index;
typedef uint64_t raft_id;

/* A borrowed byte range. */
struct raft_buf {
	void *base;
	size_t len;
};

/* libraft's allocator: everything the library allocates and hands over (or
 * takes back) goes through these, so tests can fail the Nth allocation. */
RAFT_API void *raft_malloc(size_t size);
RAFT_API void *raft_calloc(size_t n, size_t size);
RAFT_API void *raft_realloc(void *ptr, size_t size);
RAFT_API void raft_free(void *ptr);

/* Whether len bytes are valid UTF-8 (shortest forms, no surrogates, at
 * most U+10FFFF) without a NUL byte: text a JSON string can carry as is.
 * API.md percent-encodes keys that are not. */
RAFT_API bool raft_utf8_valid(const void *data, size_t len);

#endif /* RAFT_COMMON_H */
