/* The unit test runner: selects cases, isolates each in a child process and
 * checks that it leaks no libraft allocation. */
#define _XOPEN_SOURCE 700

#include "test.h"

#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "raft/error.h"
#include "util/heap.h"

#define DEFAULT_TIMEOUT_S 60

noreturn void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("%s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	/* In a child this ends the case only; without fork the program, which
	 * is what a debugger session wants. */
	exit(EXIT_FAILURE);
}

const char *test_err_name(int rv)
{
	static char other[32];
	if (rv > 0) {
		snprintf(other, sizeof(other), "%d", rv);
		return other;
	}
	return raft_err_name(rv);
}

void test_assert_mem(const char *file, int line, const char *a_expr,
		     const char *b_expr, const void *a, const void *b,
		     size_t len)
{
	const unsigned char *pa = a, *pb = b;
	size_t i;
	for (i = 0; i < len; i++) {
		if (pa[i] != pb[i]) {
			test_fail(file, line,
				  "%s == %s: byte %zu of %zu: 0x%02x != 0x%02x",
				  a_expr, b_expr, i, len, pa[i], pb[i]);
		}
	}
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void test_dir_remove(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void test_log_quiet(void *arg, int level, const char *line)
{
	(void)arg;
	(void)level;
	(void)line;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Setup, case, teardown and the leak check; returns the exit status. */
static int run_in_process(const struct test_suite *s, const struct test_case *c)
{
	long live_before = heap_live_count();
	long live_after;
	void *fixture = calloc(1, s->fixture_size);
	if (fixture == NULL) {
		printf("out of memory for the fixture\n");
		return EXIT_FAILURE;
	}
	s->setup(fixture);
	c->run(fixture);
	/* A case that injected faults must not make teardown fail. */
	heap_fault_config(-1, 0);
	s->teardown(fixture);
	free(fixture);
	live_after = heap_live_count();
	if (live_after != live_before) {
		printf("%s/%s: leaked %ld libraft allocations\n", s->name,
		       c->name, live_after - live_before);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* Runs one case in a child; fills why on failure. */
static bool run_forked(const struct test_suite *s, const struct test_case *c,
		       unsigned timeout_s, char *why, size_t why_len)
{
	pid_t pid;
	int status;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, why_len, "fork failed");
		return false;
	}
	if (pid == 0) {
		int rv;
		alarm(timeout_s);
		rv = run_in_process(s, c);
		fflush(stdout);
		exit(rv);
	}
	while (waitpid(pid, &status, 0) < 0) {
		/* Retry on EINTR. */
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		return true;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
		snprintf(why, why_len, "timed out after %u s", timeout_s);
	} else if (WIFSIGNALED(status)) {
		snprintf(why, why_len, "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else {
		snprintf(why, why_len, "exit status %d", WEXITSTATUS(status));
	}
	return false;
}

static bool selected(const char *filter, const struct test_suite *s,
		     const struct test_case *c)
{
	size_t n;
	if (filter == NULL || strcmp(filter, c->name) == 0 ||
	    strcmp(filter, s->name) == 0) {
		return true;
	}
	n = strlen(s->name);
	return strncmp(filter, s->name, n) == 0 && filter[n] == '/' &&
	       strcmp(filter + n + 1, c->name) == 0;
}

static unsigned timeout_from_env(void)
{
	const char *v = getenv("TEST_TIMEOUT");
	char *end;
	unsigned long t;
	if (v == NULL || *v == '\0') {
		return DEFAULT_TIMEOUT_S;
	}
	t = strtoul(v, &end, 10);
	if (*end != '\0' || t == 0 || t > 86400) {
		fprintf(stderr,
			"TEST_TIMEOUT=%s: not a number of seconds in "
			"[1, 86400], using %d\n",
			v, DEFAULT_TIMEOUT_S);
		return DEFAULT_TIMEOUT_S;
	}
	return (unsigned)t;
}

int test_main(int argc, char **argv, const struct test_suite *suites)
{
	const struct test_suite *s;
	const struct test_case *c;
	const char *filter = NULL;
	const char *no_fork = getenv("TEST_NO_FORK");
	bool list = false;
	bool fork_each = no_fork == NULL || strcmp(no_fork, "1") != 0;
	unsigned timeout_s = timeout_from_env();
	unsigned passed = 0, failed = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-l") == 0 ||
		    strcmp(argv[i], "--list") == 0) {
			list = true;
		} else if (argv[i][0] == '-' || filter != NULL) {
			fprintf(stderr,
				"usage: %s [-l] [suite/case|case|suite]\n",
				argv[0]);
			return 2;
		} else {
			filter = argv[i];
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (s = suites; s->name != NULL; s++) {
		for (c = s->cases; c->name != NULL; c++) {
			char why[128] = "";
			double start;
			bool ok;
			if (!selected(filter, s, c)) {
				continue;
			}
			if (list) {
				printf("%s/%s\n", s->name, c->name);
				continue;
			}
			start = now_ms();
			if (fork_each) {
				ok = run_forked(s, c, timeout_s, why,
						sizeof(why));
			} else {
				ok = run_in_process(s, c) == EXIT_SUCCESS;
			}
			if (ok) {
				passed++;
				printf("ok   %s/%s (%.1f ms)\n", s->name,
				       c->name, now_ms() - start);
			} else {
				failed++;
				printf("FAIL %s/%s%s%s\n", s->name, c->name,
				       why[0] != '\0' ? ": " : "", why);
			}
		}
	}
	if (list) {
		return EXIT_SUCCESS;
	}
	if (passed + failed == 0) {
		fprintf(stderr, "%s: no test matches \"%s\"\n", argv[0],
			filter != NULL ? filter : "");
		return EXIT_FAILURE;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
