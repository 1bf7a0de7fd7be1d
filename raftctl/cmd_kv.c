/* raftctl get, put, delete, keys: the key-value store. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "raft/error.h"
#include "raftctl.h"

/* Room for an escaped key in an error line. */
#define WHAT_MAX 256

static const struct arg_option consistency_option[] = {
    {"consistency", 0, true, OPT_CONSISTENCY},
    {NULL, 0, false, 0},
};

static const char *const key_names[] = {"KEY", "VALUE"};

/* "get KEY" with the key escaped for a terminal. */
static void what_key(char *what, size_t len, const char *cmd, const char *key)
{
	char escaped[WHAT_MAX - 16];
	output_escape(key, strlen(key), escaped, sizeof(escaped));
	snprintf(what, len, "%s %s", cmd, escaped);
}

/* Reads --consistency into *consistency. Returns an exit status. */
static int parse_consistency(struct ctl *ctl, int *consistency)
{
	const char *name = ctl->opt[OPT_CONSISTENCY];
	*consistency = RAFT_CLIENT_LINEARIZABLE;
	if (name == NULL) {
		return CTL_EXIT_OK;
	}
	if (raft_client_consistency_parse(name, consistency) != 0) {
		return output_usage(ctl, "--consistency",
				    "\"%s\" is not one of linearizable, lease, "
				    "stale",
				    name);
	}
	return CTL_EXIT_OK;
}

/* Prints where a write landed: "OK index=N term=T" or JSON. */
static int print_write(struct ctl *ctl, const struct raft_client_write *w)
{
	cJSON *obj;
	if (ctl->output == CTL_OUTPUT_TABLE) {
		printf("OK index=%" PRIu64 " term=%" PRIu64 "\n", w->index,
		       w->term);
		return CTL_EXIT_OK;
	}
	obj = cJSON_CreateObject();
	if (obj != NULL &&
	    (cJSON_AddNumberToObject(obj, "index", (double)w->index) == NULL ||
	     cJSON_AddNumberToObject(obj, "term", (double)w->term) == NULL)) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	return output_json(ctl, obj);
}

static int run_get(struct ctl *ctl)
{
	const char *key = ctl->pos[0];
	struct raft_buf value = {NULL, 0};
	raft_index index = 0;
	char what[WHAT_MAX];
	int consistency;
	int status;
	cJSON *obj;
	int rv;

	status = parse_consistency(ctl, &consistency);
	if (status != CTL_EXIT_OK) {
		return status;
	}
	rv = raft_client_get(ctl->client, key, strlen(key), consistency, &value,
			     &index);
	if (rv != 0) {
		what_key(what, sizeof(what), "get", key);
		return output_client_error(ctl, what, rv);
	}
	if (ctl->output == CTL_OUTPUT_TABLE) {
		/* The value exactly as stored: no newline added. */
		if (value.len > 0) {
			fwrite(value.base, 1, value.len, stdout);
		}
		raft_free(value.base);
		return CTL_EXIT_OK;
	}
	obj = cJSON_CreateObject();
	if (obj != NULL &&
	    (!output_json_bytes(obj, "key", key, strlen(key)) ||
	     !output_json_bytes(obj, "value", value.base, value.len) ||
	     cJSON_AddNumberToObject(obj, "index", (double)index) == NULL)) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	raft_free(value.base);
	return output_json(ctl, obj);
}

/* Reads all of stdin into *data (malloc'd). Returns an exit status. */
static int read_stdin(struct ctl *ctl, char **data, size_t *len)
{
	size_t cap = 4096;
	size_t n = 0;
	char *buf = malloc(cap);
	for (;;) {
		size_t got;
		if (buf == NULL) {
			output_error(ctl, "stdin", RAFT_ENOMEM,
				     "out of memory");
			return CTL_EXIT_FAILURE;
		}
		got = fread(buf + n, 1, cap - n, stdin);
		n += got;
		if (n < cap) {
			if (ferror(stdin)) {
				free(buf);
				output_error(ctl, "stdin", RAFT_EIO,
					     "read error");
				return CTL_EXIT_FAILURE;
			}
			if (feof(stdin)) {
				break;
			}
			continue;
		}
		{
			char *more = realloc(buf, cap * 2);
			if (more == NULL) {
				free(buf);
			}
			buf = more;
			cap *= 2;
		}
	}
	*data = buf;
	*len = n;
	return CTL_EXIT_OK;
}

static int run_put(struct ctl *ctl)
{
	const char *key = ctl->pos[0];
	const char *prev = ctl->opt[OPT_PREV];
	bool if_absent = ctl->opt[OPT_IF_ABSENT] != NULL;
	struct raft_client_write w = {0, 0};
	char *stdin_value = NULL;
	const char *value = ctl->pos[1];
	size_t value_len = strlen(value);
	char what[WHAT_MAX];
	int status;
	int rv;

	if (prev != NULL && if_absent) {
		return output_usage(ctl, "put",
				    "--prev and --if-absent exclude each "
				    "other");
	}
	if (strcmp(value, "-") == 0) {
		status = read_stdin(ctl, &stdin_value, &value_len);
		if (status != CTL_EXIT_OK) {
			return status;
		}
		value = stdin_value;
	}
	if (prev != NULL) {
		rv = raft_client_put_if_equal(ctl->client, key, strlen(key),
					      prev, strlen(prev), value,
					      value_len, &w);
	} else if (if_absent) {
		rv = raft_client_put_if_absent(ctl->client, key, strlen(key),
					       value, value_len, &w);
	} else {
		rv = raft_client_put(ctl->client, key, strlen(key), value,
				     value_len, &w);
	}
	free(stdin_value);
	if (rv != 0) {
		what_key(what, sizeof(what), "put", key);
		return output_client_error(ctl, what, rv);
	}
	return print_write(ctl, &w);
}

static int run_delete(struct ctl *ctl)
{
	const char *key = ctl->pos[0];
	struct raft_client_write w = {0, 0};
	char what[WHAT_MAX];
	int rv = raft_client_delete(ctl->client, key, strlen(key), &w);
	if (rv != 0) {
		what_key(what, sizeof(what), "delete", key);
		return output_client_error(ctl, what, rv);
	}
	return print_write(ctl, &w);
}

static int run_keys(struct ctl *ctl)
{
	const char *prefix = ctl->opt[OPT_PREFIX];
	struct raft_client_keys keys = {0, NULL, false};
	char errmsg[256];
	uint64_t limit = 0;
	int consistency;
	int status;
	unsigned i;
	cJSON *obj;
	cJSON *array;
	int rv;

	status = parse_consistency(ctl, &consistency);
	if (status != CTL_EXIT_OK) {
		return status;
	}
	if (ctl->opt[OPT_LIMIT] != NULL &&
	    args_parse_u64(ctl->opt[OPT_LIMIT], 1, UINT_MAX, &limit, errmsg,
			   sizeof(errmsg)) != 0) {
		return output_usage(ctl, "--limit", "%s", errmsg);
	}
	rv = raft_client_keys(ctl->client, prefix, prefix ? strlen(prefix) : 0,
			      (unsigned)limit, consistency, &keys);
	if (rv != 0) {
		return output_client_error(ctl, "keys", rv);
	}
	if (ctl->output == CTL_OUTPUT_TABLE) {
		for (i = 0; i < keys.n_keys; i++) {
			char line[4 * 4096 + 1];
			output_escape(keys.keys[i], strlen(keys.keys[i]), line,
				      sizeof(line));
			printf("%s\n", line);
		}
		if (keys.more) {
			/* A note, not a failure: stdout keeps only keys. */
			fprintf(stderr, "(more keys match; raise --limit to "
					"see them)\n");
		}
		raft_client_keys_close(&keys);
		return CTL_EXIT_OK;
	}
	obj = cJSON_CreateObject();
	array = cJSON_AddArrayToObject(obj, "keys");
	for (i = 0; array != NULL && i < keys.n_keys; i++) {
		cJSON *s = cJSON_CreateString(keys.keys[i]);
		if (s == NULL || !cJSON_AddItemToArray(array, s)) {
			cJSON_Delete(s);
			array = NULL;
		}
	}
	if (array == NULL ||
	    cJSON_AddBoolToObject(obj, "more", keys.more) == NULL) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	raft_client_keys_close(&keys);
	return output_json(ctl, obj);
}

const struct ctl_command cmd_get = {
    .name = "get",
    .synopsis = "KEY [--consistency linearizable|lease|stale]",
    .summary = "print the value of KEY",
    .help = "Prints the value exactly as stored (no newline is added); "
	    "with -o json,\n"
	    "{\"key\", \"value\", \"index\"} (\"value_base64\" for a value "
	    "that is not UTF-8 text).\n"
	    "\n"
	    "  --consistency C  linearizable (default: ReadIndex on the "
	    "leader), lease (the\n"
	    "                   leader's lease), stale (any node's copy, "
	    "maybe old)\n",
    .options = consistency_option,
    .min_pos = 1,
    .max_pos = 1,
    .pos_names = key_names,
    .run = run_get,
};

static const struct arg_option put_options[] = {
    {"prev", 0, true, OPT_PREV},
    {"if-absent", 0, false, OPT_IF_ABSENT},
    {NULL, 0, false, 0},
};

const struct ctl_command cmd_put = {
    .name = "put",
    .synopsis = "KEY VALUE|- [--prev OLD | --if-absent]",
    .summary = "set KEY to VALUE (- reads it from stdin)",
    .help = "Answers once the write is committed and applied: \"OK "
	    "index=N term=T\".\n"
	    "\n"
	    "  --prev OLD   compare-and-set: write only if the value is OLD "
	    "now\n"
	    "  --if-absent  write only if KEY does not exist yet\n",
    .options = put_options,
    .min_pos = 2,
    .max_pos = 2,
    .pos_names = key_names,
    .run = run_put,
};

const struct ctl_command cmd_delete = {
    .name = "delete",
    .synopsis = "KEY",
    .summary = "delete KEY",
    .help = "Fails when KEY does not exist.\n",
    .min_pos = 1,
    .max_pos = 1,
    .pos_names = key_names,
    .run = run_delete,
};

static const struct arg_option keys_options[] = {
    {"prefix", 0, true, OPT_PREFIX},
    {"limit", 0, true, OPT_LIMIT},
    {"consistency", 0, true, OPT_CONSISTENCY},
    {NULL, 0, false, 0},
};

const struct ctl_command cmd_keys = {
    .name = "keys",
    .synopsis = "[--prefix P] [--limit N]",
    .summary = "list keys in order",
    .help = "Prints one key per line (keys that are not UTF-8 come "
	    "percent-encoded).\n"
	    "\n"
	    "  --prefix P       only keys that start with P\n"
	    "  --limit N        at most N keys (default: the server's)\n"
	    "  --consistency C  as for get\n",
    .options = keys_options,
    .max_pos = 0,
    .run = run_keys,
};
