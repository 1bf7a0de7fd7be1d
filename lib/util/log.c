/* libraft's diagnostics: formatted lines to a configurable sink. */
#include "raft/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int min_level = RAFT_LOG_INFO;
static raft_log_fn sink;
static void *sink_arg;

void raft_log_configure(int level, raft_log_fn fn, void *arg)
{
	min_level = level;
	sink = fn;
	sink_arg = arg;
}

const char *raft_log_level_name(int level)
{
	switch (level) {
	case RAFT_LOG_DEBUG:
		return "debug";
	case RAFT_LOG_INFO:
		return "info";
	case RAFT_LOG_WARN:
		return "warn";
	default:
		return "error";
	}
}

int raft_log_level_parse(const char *name)
{
	int level;
	for (level = RAFT_LOG_DEBUG; level <= RAFT_LOG_ERROR; level++) {
		if (strcmp(name, raft_log_level_name(level)) == 0) {
			return level;
		}
	}
	return -1;
}

void raft_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	if (level < min_level) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (sink != NULL) {
		sink(sink_arg, level, line);
	} else {
		fprintf(stderr, "%s %s\n", raft_log_level_name(level), line);
	}
}
