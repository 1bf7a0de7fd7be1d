/* raftctl's command-line parsing. */
#include "args.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void args_init(struct args *a, int argc, char **argv, int first)
{
	a->argc = argc;
	a->argv = argv;
	a->next = first;
	a->no_more_options = false;
	a->name = NULL;
	a->value = NULL;
}

static const struct arg_option *find_long(const struct arg_option *opts,
					  const char *name, size_t len)
{
	for (; opts != NULL && opts->long_name != NULL; opts++) {
		if (strlen(opts->long_name) == len &&
		    strncmp(opts->long_name, name, len) == 0) {
			return opts;
		}
	}
	return NULL;
}

static const struct arg_option *find_short(const struct arg_option *opts,
					   char name)
{
	for (; opts != NULL && opts->long_name != NULL; opts++) {
		if (opts->short_name != 0 && opts->short_name == name) {
			return opts;
		}
	}
	return NULL;
}

int args_next(struct args *a, const struct arg_option *opts,
	      const struct arg_option *more, char *errmsg, size_t errmsg_len)
{
	const struct arg_option *o;
	const char *arg;
	const char *inline_value = NULL;

	if (a->next >= a->argc) {
		return ARGS_DONE;
	}
	arg = a->argv[a->next++];
	if (a->no_more_options || arg[0] != '-' || arg[1] == '\0') {
		a->name = NULL;
		a->value = arg;
		return ARGS_POSITIONAL;
	}
	if (strcmp(arg, "--") == 0) {
		a->no_more_options = true;
		return args_next(a, opts, more, errmsg, errmsg_len);
	}
	if (arg[1] == '-') {
		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		o = find_long(opts, name, len);
		if (o == NULL) {
			o = find_long(more, name, len);
		}
		snprintf(a->name_buf, sizeof(a->name_buf), "--%.*s", (int)len,
			 name);
		if (eq != NULL) {
			inline_value = eq + 1;
		}
	} else {
		o = find_short(opts, arg[1]);
		if (o == NULL) {
			o = find_short(more, arg[1]);
		}
		snprintf(a->name_buf, sizeof(a->name_buf), "-%c", arg[1]);
		if (arg[2] != '\0') {
			if (o != NULL && !o->takes_value) {
				/* No bundling of flags: say what is wrong. */
				snprintf(errmsg, errmsg_len,
					 "%s: unknown option", arg);
				return ARGS_ERROR;
			}
			inline_value = arg + 2;
		}
	}
	a->name = a->name_buf;
	if (o == NULL) {
		snprintf(errmsg, errmsg_len, "%s: unknown option", a->name_buf);
		return ARGS_ERROR;
	}
	if (!o->takes_value) {
		if (inline_value != NULL) {
			snprintf(errmsg, errmsg_len, "%s: takes no value",
				 a->name_buf);
			return ARGS_ERROR;
		}
		a->value = NULL;
		return o->id;
	}
	if (inline_value == NULL) {
		if (a->next >= a->argc) {
			snprintf(errmsg, errmsg_len, "%s: missing value",
				 a->name_buf);
			return ARGS_ERROR;
		}
		inline_value = a->argv[a->next++];
	}
	a->value = inline_value;
	return o->id;
}

int args_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		   char *errmsg, size_t errmsg_len)
{
	unsigned long long v;
	char *end;
	/* strtoull takes blanks, signs and "-1" (as a huge number): only
	 * plain digits are numbers here. */
	if (!isdigit((unsigned char)s[0])) {
		snprintf(errmsg, errmsg_len, "\"%s\" is not a number", s);
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		snprintf(errmsg, errmsg_len, "\"%s\" is not a number", s);
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		snprintf(errmsg, errmsg_len, "%s is out of range (%llu..%llu)",
			 s, (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}
