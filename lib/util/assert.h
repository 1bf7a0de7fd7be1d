/* Always-on assertions: a broken invariant aborts with a message. */
#ifndef RAFT_UTIL_ASSERT_H
#define RAFT_UTIL_ASSERT_H

#include <stdnoreturn.h>

/* Prints "file:line: assertion failed: expr" (and the formatted detail, if
 * any) on stderr and aborts. */
noreturn void raft_assert_fail(const char *file, int line, const char *expr,
			       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* On in every build: the condition must not have side effects. */
#define RAFT_ASSERT(cond) \
	((cond) ? (void)0 : raft_assert_fail(__FILE__, __LINE__, #cond, NULL))

/* Same, with a printf-style detail naming the values involved. */
#define RAFT_ASSERTF(cond, ...) \
	((cond) ? (void)0       \
		: raft_assert_fail(__FILE__, __LINE__, #cond, __VA_ARGS__))

/* Costly checks (log scans), compiled only with --enable-debug. */
#ifdef RAFT_DEBUG
#define RAFT_DEBUG_ASSERT(cond) RAFT_ASSERT(cond)
#else
#define RAFT_DEBUG_ASSERT(cond) ((void)0)
#endif

#endif /* RAFT_UTIL_ASSERT_H */
