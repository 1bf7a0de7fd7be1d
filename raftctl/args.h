/* raftctl's command-line parsing: options anywhere among the arguments,
 * "--name value", "--name=value", "-o value", "-ovalue", "--" ending the
 * options, and numbers parsed with strtoull, an end pointer and a range. */
#ifndef RAFT_RAFTCTL_ARGS_H
#define RAFT_RAFTCTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arg_option {
	const char *long_name; /* without "--"; NULL ends a table */
	char short_name;       /* 0: none */
	bool takes_value;
	int id; /* > 0, returned by args_next() */
};

/* What args_next() found when it is not an option. */
enum {
	ARGS_DONE = 0,	      /* no argument left */
	ARGS_POSITIONAL = -1, /* a positional argument, in value */
	ARGS_ERROR = -2,      /* errmsg says why (a usage error) */
};

struct args {
	int argc;
	char **argv;
	int next;	      /* the argument to read next */
	bool no_more_options; /* after "--" */
	const char *name;     /* the option as written ("--timeout", "-o") */
	const char *value;    /* its value, or the positional argument */
	char name_buf[64];
};

void args_init(struct args *a, int argc, char **argv, int first);

/* Reads the next argument, looking options up in the tables (each ends
 * with a NULL long_name; the second may be NULL). Returns an option's id,
 * ARGS_POSITIONAL, ARGS_DONE or ARGS_ERROR with errmsg set, e.g.
 * "--bogus: unknown option", "--timeout: missing value". A lone "-" is a
 * positional argument. */
int args_next(struct args *a, const struct arg_option *opts,
	      const struct arg_option *more, char *errmsg, size_t errmsg_len);

/* Parses a decimal number in min..max (digits only: no sign, no blanks).
 * Errors: -1 with errmsg saying why, e.g. "\"abc\" is not a number", "0 is
 * out of range 1..4294967295" (the caller names the option). */
int args_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		   char *errmsg, size_t errmsg_len);

#endif /* RAFT_RAFTCTL_ARGS_H */
