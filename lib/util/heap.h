/* libraft's allocator and its fault injection for tests. */
#ifndef RAFT_UTIL_HEAP_H
#define RAFT_UTIL_HEAP_H

#include <stddef.h>

#include "raft/common.h"

/* Makes allocations fail: after `delay` more successful allocations, the
 * next `repeat` ones return NULL (repeat < 0: all of them). delay < 0 turns
 * fault injection off. Not thread-safe: for single-threaded tests. */
void heap_fault_config(int delay, int repeat);

/* Number of allocations currently live (for leak checks in tests). */
long heap_live_count(void);

#endif /* RAFT_UTIL_HEAP_H */
