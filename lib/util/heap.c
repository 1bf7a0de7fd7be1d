/* libraft's allocator: malloc with optional fault injection for tests. */
#include "util/heap.h"

#include <stdlib.h>

/* Fault injection state. Only tests turn it on, from one thread. */
static int fault_delay = -1;
static int fault_repeat;
static long live;

static int should_fail(void)
{
	if (fault_delay < 0) {
		return 0;
	}
	if (fault_delay > 0) {
		fault_delay--;
		return 0;
	}
	if (fault_repeat == 0) {
		fault_delay = -1;
		return 0;
	}
	if (fault_repeat > 0) {
		fault_repeat--;
	}
	return 1;
}

void heap_fault_config(int delay, int repeat)
{
	fault_delay = delay;
	fault_repeat = repeat;
}

long heap_live_count(void)
{
	return live;
}

void *raft_malloc(size_t size)
{
	void *p;
	if (should_fail()) {
		return NULL;
	}
	p = malloc(size == 0 ? 1 : size);
	if (p != NULL) {
		__atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
	}
	return p;
}

void *raft_calloc(size_t n, size_t size)
{
	void *p;
	if (should_fail()) {
		return NULL;
	}
	p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
	if (p != NULL) {
		__atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
	}
	return p;
}

void *raft_realloc(void *ptr, size_t size)
{
	void *p;
	if (ptr == NULL) {
		return raft_malloc(size);
	}
	if (should_fail()) {
		return NULL;
	}
	p = realloc(ptr, size == 0 ? 1 : size);
	return p;
}

void raft_free(void *ptr)
{
	if (ptr != NULL) {
		__atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
		free(ptr);
	}
}
