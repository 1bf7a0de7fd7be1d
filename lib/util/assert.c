/* Always-on assertions. */
#include "util/assert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void raft_assert_fail(const char *file, int line, const char *expr,
		      const char *fmt, ...)
{
	fprintf(stderr, "%s:%d: assertion failed: %s", file, line, expr);
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		fputs(": ", stderr);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}
