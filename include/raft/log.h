/* libraft's diagnostics: levels and where the lines go. */
#ifndef RAFT_LOG_H
#define RAFT_LOG_H

#include "raft/common.h"

enum raft_log_level {
	RAFT_LOG_DEBUG = 0,
	RAFT_LOG_INFO = 1,
	RAFT_LOG_WARN = 2,
	RAFT_LOG_ERROR = 3,
};

/* Receives each line (no trailing newline) at or above the level. */
typedef void (*raft_log_fn)(void *arg, int level, const char *line);

/* Sends lines to fn (NULL: to stderr as "LEVEL line"), dropping those
 * below level. Set once at start-up, before any node exists. */
RAFT_API void raft_log_configure(int level, raft_log_fn fn, void *arg);

/* "debug", "info", "warn", "error". */
RAFT_API const char *raft_log_level_name(int level);

/* Parses a level name; returns -1 if unknown. */
RAFT_API int raft_log_level_parse(const char *name);

/* Logs a formatted line (for programs built on libraft too). */
RAFT_API void raft_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* RAFT_LOG_H */
