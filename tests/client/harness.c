/* The client tests' harness: runs cases, catches failed asserts, checks
 * that every case frees what libraft allocated for it. */
#include "harness.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "raft/error.h"
#include "util/heap.h"

static jmp_buf failed;

void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("  %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	longjmp(failed, 1);
}

const char *harness_rv_name(int rv)
{
	static char other[32];
	if (rv > 0) {
		snprintf(other, sizeof(other), "%d", rv);
		return other;
	}
	return raft_err_name(rv);
}

/* Runs one case; returns whether it passed. */
static bool run_case(const struct harness_case *c)
{
	long live_before = heap_live_count();
	long live_after;
	if (setjmp(failed) != 0) {
		heap_fault_config(-1, 0);
		printf("FAIL %s\n", c->name);
		return false;
	}
	c->run();
	heap_fault_config(-1, 0);
	live_after = heap_live_count();
	if (live_after != live_before) {
		printf("  leak: %ld allocations live before, %ld after\n"
		       "FAIL %s\n",
		       live_before, live_after, c->name);
		return false;
	}
	printf("ok   %s\n", c->name);
	return true;
}

int harness_main(int argc, char **argv, const struct harness_case *cases)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0;
	int n_failed = 0;
	const struct harness_case *c;

	for (c = cases; c->name != NULL; c++) {
		if (filter != NULL && strstr(c->name, filter) == NULL) {
			continue;
		}
		if (run_case(c)) {
			passed++;
		} else {
			n_failed++;
		}
	}
	printf("%d passed, %d failed\n", passed, n_failed);
	return n_failed > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
