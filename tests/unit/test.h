/* A tiny unit test harness: named cases with fixtures, asserts that print
 * both values, and a main that runs each case in its own process.
 *
 * A program declares, per suite, a fixture struct and its setup/teardown:
 *
 *   struct log_fixture { struct log log; };
 *   SETUP(log) { log_init(&f->log); }
 *   TEARDOWN(log) { log_close(&f->log); }
 *   TEST(log, starts_empty) { ASSERT_EQ_U64(log_last_index(&f->log), 0); }
 *
 *   static const struct test_case log_cases[] = {
 *           TEST_CASE(log, starts_empty),
 *           TEST_CASES_END,
 *   };
 *   TEST_MAIN(TEST_SUITE(log))
 *
 * Usage: test_foo [-l] [name]. With a name (suite/case, case, or suite) only
 * the matching cases run; -l lists them. Each case runs in a child process
 * with a timeout (TEST_TIMEOUT seconds, default 60) so that a crash or a
 * hang fails that case only; TEST_NO_FORK=1 runs them in-process instead,
 * for a debugger. A case fails if an assert fails, if it crashes, or if
 * heap_live_count() after teardown differs from before setup (a leak). The
 * program prints one line per case, then "N passed, N failed", and exits
 * non-zero if any case failed. */
#ifndef RAFT_TESTS_UNIT_TEST_H
#define RAFT_TESTS_UNIT_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*run)(void *fixture);
};

struct test_suite {
	const char *name;
	size_t fixture_size;
	void (*setup)(void *fixture);
	void (*teardown)(void *fixture);
	const struct test_case *cases; /* ends with TEST_CASES_END */
};

/* Runs the suites (the array ends with an entry whose name is NULL);
 * returns the exit status. */
int test_main(int argc, char **argv, const struct test_suite *suites);

/* Reports a failed assertion at file:line and ends the case. */
noreturn void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fixtures and cases. The fixture of suite S is struct S_fixture, zeroed
 * before setup; every function gets it as `f`. */
#define TEST_UNUSED_ __attribute__((unused))

#define SETUP(suite)                                                        \
	static void suite##_setup_(struct suite##_fixture *f TEST_UNUSED_); \
	static void suite##_setup(void *data)                               \
	{                                                                   \
		suite##_setup_(data);                                       \
	}                                                                   \
	static void suite##_setup_(struct suite##_fixture *f TEST_UNUSED_)

#define TEARDOWN(suite)                                                        \
	static void suite##_teardown_(struct suite##_fixture *f TEST_UNUSED_); \
	static void suite##_teardown(void *data)                               \
	{                                                                      \
		suite##_teardown_(data);                                       \
	}                                                                      \
	static void suite##_teardown_(struct suite##_fixture *f TEST_UNUSED_)

#define TEST(suite, name)                                                    \
	static void suite##__##name(struct suite##_fixture *f TEST_UNUSED_); \
	static void suite##__##name##_run(void *data)                        \
	{                                                                    \
		suite##__##name(data);                                       \
	}                                                                    \
	static void suite##__##name(struct suite##_fixture *f TEST_UNUSED_)

#define TEST_CASE(suite, name)               \
	{                                    \
#name, suite##__##name##_run \
	}
#define TEST_CASES_END     \
	{                  \
		NULL, NULL \
	}

#define TEST_SUITE(suite)                                              \
	{                                                              \
#suite, sizeof(struct suite##_fixture), suite##_setup, \
		    suite##_teardown, suite##_cases                    \
	}

#define TEST_MAIN(...)                                         \
	int main(int argc, char **argv)                        \
	{                                                      \
		static const struct test_suite suites_[] = {   \
		    __VA_ARGS__, {NULL, 0, NULL, NULL, NULL}}; \
		return test_main(argc, argv, suites_);         \
	}

/* ------------------------------------------------------------------------
 * Assertions: on failure they print "file:line: a == b: 3 != 4".
 * ------------------------------------------------------------------------ */

#define ASSERT_TRUE(cond)                                                     \
	do {                                                                  \
		if (!(cond)) {                                                \
			test_fail(__FILE__, __LINE__, "%s: is false", #cond); \
		}                                                             \
	} while (0)

#define ASSERT_FALSE(cond)                                                   \
	do {                                                                 \
		if (cond) {                                                  \
			test_fail(__FILE__, __LINE__, "%s: is true", #cond); \
		}                                                            \
	} while (0)

/* Unsigned 64-bit comparisons (indexes, terms, ids, counts). */
#define ASSERT_CMP_U64_(a, op, b)                                             \
	do {                                                                  \
		uint64_t test_a_ = (a), test_b_ = (b);                        \
		if (!(test_a_ op test_b_)) {                                  \
			test_fail(__FILE__, __LINE__,                         \
				  "%s %s %s: %" PRIu64 " is not %s %" PRIu64, \
				  #a, #op, #b, test_a_, #op, test_b_);        \
		}                                                             \
	} while (0)

#define ASSERT_EQ_U64(a, b)                                                    \
	do {                                                                   \
		uint64_t test_a_ = (a), test_b_ = (b);                         \
		if (test_a_ != test_b_) {                                      \
			test_fail(__FILE__, __LINE__,                          \
				  "%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, \
				  test_a_, test_b_);                           \
		}                                                              \
	} while (0)
#define ASSERT_NE_U64(a, b) ASSERT_CMP_U64_(a, !=, b)
#define ASSERT_LT_U64(a, b) ASSERT_CMP_U64_(a, <, b)
#define ASSERT_LE_U64(a, b) ASSERT_CMP_U64_(a, <=, b)
#define ASSERT_GT_U64(a, b) ASSERT_CMP_U64_(a, >, b)
#define ASSERT_GE_U64(a, b) ASSERT_CMP_U64_(a, >=, b)

#define ASSERT_EQ_INT(a, b)                                                  \
	do {                                                                 \
		long long test_a_ = (a), test_b_ = (b);                      \
		if (test_a_ != test_b_) {                                    \
			test_fail(__FILE__, __LINE__,                        \
				  "%s == %s: %lld != %lld", #a, #b, test_a_, \
				  test_b_);                                  \
		}                                                            \
	} while (0)

/* Return codes, printed by name: "rv == RAFT_EINVAL: 0 != RAFT_EINVAL". */
const char *test_err_name(int rv);
#define ASSERT_RV(a, b)                                                     \
	do {                                                                \
		int test_a_ = (a), test_b_ = (b);                           \
		if (test_a_ != test_b_) {                                   \
			test_fail(__FILE__, __LINE__, "%s == %s: %s != %s", \
				  #a, #b, test_err_name(test_a_),           \
				  test_err_name(test_b_));                  \
		}                                                           \
	} while (0)
#define ASSERT_OK(a) ASSERT_RV(a, 0)

#define ASSERT_EQ_STR(a, b)                                             \
	do {                                                            \
		const char *test_a_ = (a), *test_b_ = (b);              \
		if (strcmp(test_a_, test_b_) != 0) {                    \
			test_fail(__FILE__, __LINE__,                   \
				  "%s == %s: \"%s\" != \"%s\"", #a, #b, \
				  test_a_, test_b_);                    \
		}                                                       \
	} while (0)

#define ASSERT_STR_CONTAINS(s, part)                                         \
	do {                                                                 \
		const char *test_a_ = (s), *test_b_ = (part);                \
		if (strstr(test_a_, test_b_) == NULL) {                      \
			test_fail(__FILE__, __LINE__,                        \
				  "%s contains %s: \"%s\" lacks \"%s\"", #s, \
				  #part, test_a_, test_b_);                  \
		}                                                            \
	} while (0)

#define ASSERT_NULL(p)                                                      \
	do {                                                                \
		const void *test_a_ = (p);                                  \
		if (test_a_ != NULL) {                                      \
			test_fail(__FILE__, __LINE__, "%s == NULL: %p", #p, \
				  test_a_);                                 \
		}                                                           \
	} while (0)

#define ASSERT_NOT_NULL(p)                                                   \
	do {                                                                 \
		if ((p) == NULL) {                                           \
			test_fail(__FILE__, __LINE__, "%s != NULL: is NULL", \
				  #p);                                       \
		}                                                            \
	} while (0)

/* Removes the directory tree at path (a fixture's temporary directory),
 * best effort: a leftover file must not fail the case. */
void test_dir_remove(const char *path);

/* A raft_log_configure() sink that drops every line. */
void test_log_quiet(void *arg, int level, const char *line);

/* Byte ranges: prints the first offset that differs and both bytes. */
void test_assert_mem(const char *file, int line, const char *a_expr,
		     const char *b_expr, const void *a, const void *b,
		     size_t len);
#define ASSERT_EQ_MEM(a, b, len) \
	test_assert_mem(__FILE__, __LINE__, #a, #b, (a), (b), (len))

#endif /* RAFT_TESTS_UNIT_TEST_H */
