/* A small test harness for the client tests: named cases, asserts that
 * print both values, a leak check of libraft's allocations per case.
 *
 *   static void url_parses_host_port(void) { ASSERT_STR(..., ...); }
 *   static const struct harness_case cases[] = {
 *           HARNESS_CASE(url_parses_host_port), {NULL, NULL}};
 *   int main(int argc, char **argv) { return harness_main(argc, argv, cases); }
 *
 * Usage: test_client [NAME-SUBSTRING]. Prints one line per case, then
 * "N passed, N failed"; exits 1 if any failed. */
#ifndef RAFT_TESTS_CLIENT_HARNESS_H
#define RAFT_TESTS_CLIENT_HARNESS_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct harness_case {
	const char *name;
	void (*run)(void);
};

#define HARNESS_CASE(fn) \
	{                \
#fn, fn  \
	}

int harness_main(int argc, char **argv, const struct harness_case *cases);

/* Ends the current case as failed, with a message. */
void harness_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* The name of a return code ("RAFT_EINVAL", "0"). */
const char *harness_rv_name(int rv);

#define ASSERT_TRUE(cond)                                                \
	do {                                                             \
		if (!(cond)) {                                           \
			harness_fail(__FILE__, __LINE__, "%s: is false", \
				     #cond);                             \
		}                                                        \
	} while (0)

#define ASSERT_RV(a, b)                                                        \
	do {                                                                   \
		int h_a_ = (a), h_b_ = (b);                                    \
		if (h_a_ != h_b_) {                                            \
			harness_fail(__FILE__, __LINE__, "%s == %s: %s != %s", \
				     #a, #b, harness_rv_name(h_a_),            \
				     harness_rv_name(h_b_));                   \
		}                                                              \
	} while (0)

#define ASSERT_OK(a) ASSERT_RV(a, 0)

#define ASSERT_U64(a, b)                                                      \
	do {                                                                  \
		uint64_t h_a_ = (a), h_b_ = (b);                              \
		if (h_a_ != h_b_) {                                           \
			harness_fail(__FILE__, __LINE__,                      \
				     "%s == %s: %" PRIu64 " != %" PRIu64, #a, \
				     #b, h_a_, h_b_);                         \
		}                                                             \
	} while (0)

#define ASSERT_STR(a, b)                                                    \
	do {                                                                \
		const char *h_a_ = (a), *h_b_ = (b);                        \
		if (h_a_ == NULL || strcmp(h_a_, h_b_) != 0) {              \
			harness_fail(__FILE__, __LINE__,                    \
				     "%s == %s: \"%s\" != \"%s\"", #a, #b,  \
				     h_a_ != NULL ? h_a_ : "(null)", h_b_); \
		}                                                           \
	} while (0)

#endif /* RAFT_TESTS_CLIENT_HARNESS_H */
