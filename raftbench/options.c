/* raftbench's command line: options, their values and their checks. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bench.h"
#include "config.h"

enum option_id {
	OPT_ENDPOINTS = 1,
	OPT_TARGET,
	OPT_TARGET_LEADER,
	OPT_SPREAD,
	OPT_CONNECTIONS,
	OPT_DURATION,
	OPT_REQUESTS,
	OPT_RATE,
	OPT_WARMUP,
	OPT_OP,
	OPT_MIX,
	OPT_CONSISTENCY,
	OPT_KEYS,
	OPT_DISTRIBUTION,
	OPT_VALUE_SIZE,
	OPT_KEY_PREFIX,
	OPT_PRELOAD,
	OPT_TIMEOUT,
	OPT_SEED,
	OPT_QUIET,
	OPT_OUTPUT,
	OPT_HELP,
	OPT_VERSION,
	OPT_MAX
};

struct option_def {
	const char *long_name; /* without "--" */
	char short_name;       /* 0: none */
	bool takes_value;
	int id;
};

static const struct option_def option_defs[] = {
    {"endpoints", 0, true, OPT_ENDPOINTS},
    {"target", 0, true, OPT_TARGET},
    {"target-leader", 0, false, OPT_TARGET_LEADER},
    {"spread", 0, false, OPT_SPREAD},
    {"connections", 'c', true, OPT_CONNECTIONS},
    {"duration", 'd', true, OPT_DURATION},
    {"requests", 'n', true, OPT_REQUESTS},
    {"rate", 0, true, OPT_RATE},
    {"warmup", 0, true, OPT_WARMUP},
    {"op", 0, true, OPT_OP},
    {"mix", 0, true, OPT_MIX},
    {"consistency", 0, true, OPT_CONSISTENCY},
    {"keys", 0, true, OPT_KEYS},
    {"distribution", 0, true, OPT_DISTRIBUTION},
    {"value-size", 0, true, OPT_VALUE_SIZE},
    {"key-prefix", 0, true, OPT_KEY_PREFIX},
    {"preload", 0, false, OPT_PRELOAD},
    {"timeout", 0, true, OPT_TIMEOUT},
    {"seed", 0, true, OPT_SEED},
    {"quiet", 'q', false, OPT_QUIET},
    {"output", 'o', true, OPT_OUTPUT},
    {"help", 'h', false, OPT_HELP},
    {"version", 0, false, OPT_VERSION},
    {NULL, 0, false, 0},
};

static const char *const op_names[N_OPS] = {"put", "get", "cas", "delete"};

const char *bench_op_name(int op)
{
	return op >= 0 && op < N_OPS ? op_names[op] : "?";
}

const char *bench_target_name(int target)
{
	return target == TARGET_ETCD ? "etcd" : "raftd";
}

const char *bench_consistency_name(int consistency)
{
	switch (consistency) {
	case CONS_LEASE:
		return "lease";
	case CONS_STALE:
		return "stale";
	default:
		return "linearizable";
	}
}

void bench_error(int output, const char *what, const char *code,
		 const char *fmt, ...)
{
	char why[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (output == OUTPUT_JSON) {
		cJSON *root = cJSON_CreateObject();
		cJSON *err = cJSON_AddObjectToObject(root, "error");
		char *text = NULL;
		if (err != NULL && cJSON_AddStringToObject(err, "what", what) &&
		    cJSON_AddStringToObject(err, "code", code) &&
		    cJSON_AddStringToObject(err, "message", why)) {
			text = cJSON_PrintUnformatted(root);
		}
		cJSON_Delete(root);
		if (text != NULL) {
			fprintf(stderr, "%s\n", text);
			cJSON_free(text);
			return;
		}
		/* Out of memory: the plain line still says what failed. */
	}
	fprintf(stderr, "raftbench: %s: %s\n", what, why);
}

static void print_usage(void)
{
	printf(
	    "Usage: raftbench [OPTION]...\n"
	    "\n"
	    "Drives a raftd (or etcd) cluster with many concurrent requests "
	    "and reports\n"
	    "throughput and latency percentiles.\n"
	    "\n"
	    "Where:\n"
	    "  --endpoints E1,E2,...   client URLs: HOST:PORT or "
	    "http(s)://HOST:PORT\n"
	    "                          (default: $RAFTBENCH_ENDPOINTS, else "
	    "%s)\n"
	    "  --target raftd|etcd     the API to speak (default raftd; etcd: "
	    "its v3 JSON\n"
	    "                          gateway)\n"
	    "  --target-leader         send every request to the leader "
	    "(default)\n"
	    "  --spread                spread the connections over the "
	    "endpoints, following\n"
	    "                          raftd's redirects (default for stale "
	    "gets only)\n"
	    "\n"
	    "How much:\n"
	    "  -c, --connections N     concurrent connections (default %u)\n"
	    "  -d, --duration SECONDS  measure for SECONDS (default %g unless "
	    "--requests)\n"
	    "  -n, --requests N        measure exactly N requests\n"
	    "  --rate R                fixed rate: R requests per second, "
	    "latency counted\n"
	    "                          from each request's scheduled start "
	    "(default: closed\n"
	    "                          loop, as fast as answers come)\n"
	    "  --warmup SECONDS        run first without measuring (default "
	    "0)\n"
	    "  --timeout MS            give up on a request after MS ms "
	    "(default %u)\n"
	    "\n"
	    "What:\n"
	    "  --op OP                 put (default), get, cas or delete\n"
	    "  --mix OP=W,...          a mix by weights, e.g. put=50,get=50\n"
	    "  --consistency C         gets: linearizable (default), lease or "
	    "stale\n"
	    "  --keys N                distinct keys (default %u)\n"
	    "  --distribution D        uniform (default) or zipfian[:THETA] "
	    "(THETA %g)\n"
	    "  --value-size BYTES      bytes per value (default %u)\n"
	    "  --key-prefix P          start of every key (default %s)\n"
	    "  --preload               write every key once before the run\n"
	    "  --seed N                seed of the key and value choices "
	    "(default: random)\n"
	    "\n"
	    "Output:\n"
	    "  -q, --quiet             no progress line every second on "
	    "stderr\n"
	    "  -o, --output FORMAT     table (default) or json\n"
	    "  -h, --help              this help\n"
	    "  --version               print the version\n"
	    "\n"
	    "Exit status: 0 done, 1 failure (nothing reachable, no leader, "
	    "every request\n"
	    "failed), 2 usage error. See raftbench(1).\n",
	    BENCH_DEFAULT_ENDPOINTS, BENCH_DEFAULT_CONNECTIONS,
	    BENCH_DEFAULT_DURATION_S, BENCH_DEFAULT_TIMEOUT_MS,
	    BENCH_DEFAULT_KEYS, BENCH_DEFAULT_ZIPF_THETA,
	    BENCH_DEFAULT_VALUE_SIZE, BENCH_DEFAULT_KEY_PREFIX);
}

static int usage(const struct bench_config *cfg, const char *what,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int usage(const struct bench_config *cfg, const char *what,
		 const char *fmt, ...)
{
	char why[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	bench_error(cfg->output, what, "usage", "%s", why);
	return BENCH_EXIT_USAGE;
}

/* Parses a decimal number of digits only (no sign, no blanks) in
 * [min, max]. Returns 0, or -1 with why set. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		     char *why, size_t why_len)
{
	unsigned long long v;
	char *end;
	/* strtoull takes blanks, signs and "-1" (as a huge number): only
	 * plain digits are numbers here. */
	if (!isdigit((unsigned char)s[0])) {
		snprintf(why, why_len, "\"%s\" is not a number", s);
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		snprintf(why, why_len, "\"%s\" is not a number", s);
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		snprintf(why, why_len, "%s is out of range (%llu..%llu)", s,
			 (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

/* Parses DIGITS[.DIGITS] (no sign, exponent, blanks, inf or nan) in
 * [min, max]; when min_open, min itself is out. Returns 0, or -1 with why
 * set. */
static int parse_decimal(const char *s, double min, bool min_open, double max,
			 double *out, char *why, size_t why_len)
{
	const char *p = s;
	char *end;
	double v;
	while (isdigit((unsigned char)*p)) {
		p++;
	}
	if (p == s || (*p == '.' && !isdigit((unsigned char)p[1]))) {
		snprintf(why, why_len, "\"%s\" is not a number", s);
		return -1;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
		}
	}
	if (*p != '\0') {
		snprintf(why, why_len, "\"%s\" is not a number", s);
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || v < min ||
	    (min_open && v == min) || v > max) {
		if (min_open) {
			snprintf(why, why_len,
				 "%s is out of range (above %g, at most %g)", s,
				 min, max);
		} else {
			snprintf(why, why_len, "%s is out of range (%g..%g)", s,
				 min, max);
		}
		return -1;
	}
	*out = v;
	return 0;
}

/* Finds name (len bytes) in a list of names; returns its index or -1. */
static int find_name(const char *const *names, int n, const char *name,
		     size_t len)
{
	int i;
	for (i = 0; i < n; i++) {
		if (strlen(names[i]) == len &&
		    strncmp(names[i], name, len) == 0) {
			return i;
		}
	}
	return -1;
}

/* Parses "OP=W,OP=W,..." into weights. Returns 0 or -1 with why set. */
static int parse_mix(const char *s, unsigned *mix, char *why, size_t why_len)
{
	const char *p = s;
	bool seen[N_OPS] = {false};
	unsigned total = 0;
	memset(mix, 0, N_OPS * sizeof(*mix));
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		char weight[32];
		char sub[256];
		uint64_t w;
		int op;
		if (eq == NULL) {
			snprintf(why, why_len,
				 "\"%.*s\" is not OP=WEIGHT (e.g. "
				 "put=50,get=50)",
				 (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		op = find_name(op_names, N_OPS, p, (size_t)(eq - p));
		if (op < 0) {
			snprintf(why, why_len,
				 "\"%.*s\" is not one of put, get, cas, delete",
				 (int)(eq - p > 64 ? 64 : eq - p), p);
			return -1;
		}
		if (seen[op]) {
			snprintf(why, why_len, "%s is given twice",
				 op_names[op]);
			return -1;
		}
		seen[op] = true;
		snprintf(weight, sizeof(weight), "%.*s",
			 (int)(p + len - eq - 1), eq + 1);
		if (parse_u64(weight, 0, 1000000, &w, sub, sizeof(sub)) != 0) {
			snprintf(why, why_len, "weight of %s: %s", op_names[op],
				 sub);
			return -1;
		}
		mix[op] = (unsigned)w;
		total += (unsigned)w;
		if (comma == NULL) {
			break;
		}
		p = comma + 1;
	}
	if (total == 0) {
		snprintf(why, why_len, "every weight is 0");
		return -1;
	}
	return 0;
}

/* Parses "uniform", "zipfian" or "zipfian:THETA". */
static int parse_distribution(const char *s, struct bench_config *cfg,
			      char *why, size_t why_len)
{
	char sub[256];
	if (strcmp(s, "uniform") == 0) {
		cfg->distribution = DIST_UNIFORM;
		return 0;
	}
	if (strcmp(s, "zipfian") == 0) {
		cfg->distribution = DIST_ZIPFIAN;
		cfg->zipf_theta = BENCH_DEFAULT_ZIPF_THETA;
		return 0;
	}
	if (strncmp(s, "zipfian:", 8) == 0) {
		if (parse_decimal(s + 8, 0.0, true, 100.0, &cfg->zipf_theta,
				  sub, sizeof(sub)) != 0) {
			snprintf(why, why_len, "zipfian exponent: %s", sub);
			return -1;
		}
		cfg->distribution = DIST_ZIPFIAN;
		return 0;
	}
	snprintf(why, why_len,
		 "\"%s\" is not one of uniform, zipfian, zipfian:THETA", s);
	return -1;
}

static const struct option_def *find_long(const char *name, size_t len)
{
	const struct option_def *o;
	for (o = option_defs; o->long_name != NULL; o++) {
		if (strlen(o->long_name) == len &&
		    strncmp(o->long_name, name, len) == 0) {
			return o;
		}
	}
	return NULL;
}

static const struct option_def *find_short(char name)
{
	const struct option_def *o;
	for (o = option_defs; o->long_name != NULL; o++) {
		if (o->short_name != 0 && o->short_name == name) {
			return o;
		}
	}
	return NULL;
}

/* A random seed when none is given: the time and the process id. */
static uint64_t default_seed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t seed = (uint64_t)ts.tv_sec * 1000000007u ^
			(uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
	/* Within what JSON numbers hold exactly, so that the seed printed
	 * replays the run. */
	return seed & BENCH_MAX_SEED;
}

/* Applies one option with its value (NULL for a flag); name is the option
 * as written. Returns -1 to go on or an exit status. */
static int apply(struct bench_config *cfg, int id, const char *name,
		 const char *value, const char **given)
{
	char why[512];
	uint64_t v;
	int i;
	given[id] = value != NULL ? value : "";
	switch (id) {
	case OPT_ENDPOINTS:
		cfg->endpoints = value;
		cfg->endpoints_from = "--endpoints";
		return -1;
	case OPT_TARGET:
		if (strcmp(value, "raftd") == 0) {
			cfg->target = TARGET_RAFTD;
		} else if (strcmp(value, "etcd") == 0) {
			cfg->target = TARGET_ETCD;
		} else {
			return usage(cfg, name,
				     "\"%s\" is not one of raftd, etcd", value);
		}
		return -1;
	case OPT_TARGET_LEADER:
		cfg->routing = ROUTING_LEADER;
		return -1;
	case OPT_SPREAD:
		cfg->routing = ROUTING_SPREAD;
		return -1;
	case OPT_CONNECTIONS:
		if (parse_u64(value, 1, BENCH_MAX_CONNECTIONS, &v, why,
			      sizeof(why)) != 0) {
			return usage(cfg, name, "%s", why);
		}
		cfg->connections = (unsigned)v;
		return -1;
	case OPT_DURATION:
		if (parse_decimal(value, 0.0, true, BENCH_MAX_SECONDS,
				  &cfg->duration_s, why, sizeof(why)) != 0) {
			return usage(cfg, name, "%s", why);
		}
		return -1;
	case OPT_REQUESTS:
		if (parse_u64(value, 1, UINT64_C(1000000000000), &cfg->requests,
			      why, sizeof(why)) != 0) {
			return usage(cfg, name, "%s", why);
		}
		return -1;
	case OPT_RATE:
		if (parse_decimal(value, 0.0, true, BENCH_MAX_RATE, &cfg->rate,
				  why, sizeof(why)) != 0) {
			return usage(cfg, name, "%s", why);
		}
		return -1;
	case OPT_WARMUP:
		if (parse_decimal(value, 0.0, false, BENCH_MAX_SECONDS,
				  &cfg->warmup_s, why, sizeof(why)) != 0) {
			return usage(cfg, name, "%s", why);
		}
		return -1;
	case OPT_OP:
		i = find_name(op_names, N_OPS, value, strlen(value));
		if (i < 0) {
			return usage(cfg, name,
				     "\"%s\" is not one of put, get, cas, "
				     "delete",
				     value);
		}
		memset(cfg->mix, 0, sizeof(cfg->mix));
		cfg->mix[i] = 1;
		return -1;
	case OPT_MIX:
		if (parse_mix(value, cfg->mix, why, sizeof(why)) != 0) {
			return usage(cfg, name, "%s", why);
		}
		return -1;
	case OPT_CONSISTENCY:
		if (strcmp(value, "linearizable") == 0) {
			cfg->consistency = CONS_LINEARIZABLE;
		} else if (strcmp(value, "lease") == 0) {
			cfg->consistency = CONS_LEASE;
		} else if (strcmp(value, "stale") == 0) {
			cfg->consistency = CONS_STALE;
		} else {
			return usage(cfg, name,
				     "\"%s\" is not one of linearizable, "
				     "lease, stale",
				     value);
		}
		return -1;
	case OPT_KEYS:
		if (parse_u64(value, 1, BENCH_MAX_KEYS, &cfg->keys, why,
			      sizeof(why)) != 0) {
			return usage(cfg, name, "%s", why);
		}
		return -1;
	case OPT_DISTRIBUTION:
		if (parse_distribution(value, cfg, why, sizeof(why)) != 0) {
			return usage(cfg, name, "%s", why);
		}
		return -1;
	case OPT_VALUE_SIZE:
		if (parse_u64(value, 0, BENCH_MAX_VALUE_SIZE, &v, why,
			      sizeof(why)) != 0) {
			return usage(cfg, name, "%s", why);
		}
		cfg->value_size = (size_t)v;
		return -1;
	case OPT_KEY_PREFIX:
		if (strlen(value) > BENCH_MAX_PREFIX) {
			return usage(cfg, name, "longer than %d bytes",
				     BENCH_MAX_PREFIX);
		}
		cfg->key_prefix = value;
		return -1;
	case OPT_PRELOAD:
		cfg->preload = true;
		return -1;
	case OPT_TIMEOUT:
		if (parse_u64(value, 1, BENCH_MAX_TIMEOUT_MS, &v, why,
			      sizeof(why)) != 0) {
			return usage(cfg, name, "%s", why);
		}
		cfg->timeout_ms = (unsigned)v;
		return -1;
	case OPT_SEED:
		if (parse_u64(value, 0, BENCH_MAX_SEED, &cfg->seed, why,
			      sizeof(why)) != 0) {
			return usage(cfg, name, "%s", why);
		}
		return -1;
	case OPT_QUIET:
		cfg->quiet = true;
		return -1;
	case OPT_OUTPUT:
		if (strcmp(value, "table") == 0) {
			cfg->output = OUTPUT_TABLE;
		} else if (strcmp(value, "json") == 0) {
			cfg->output = OUTPUT_JSON;
		} else {
			return usage(cfg, name,
				     "\"%s\" is not one of table, json", value);
		}
		return -1;
	case OPT_HELP:
		print_usage();
		return BENCH_EXIT_OK;
	case OPT_VERSION:
		printf("raftbench %s\n", PACKAGE_VERSION);
		return BENCH_EXIT_OK;
	default:
		return -1;
	}
}

/* The checks across options, once all are read. */
static int check(struct bench_config *cfg, const char **given)
{
	bool only_stale_gets;
	int i;
	if (given[OPT_OP] != NULL && given[OPT_MIX] != NULL) {
		return usage(cfg, "--mix", "cannot be used with --op");
	}
	if (given[OPT_SPREAD] != NULL && given[OPT_TARGET_LEADER] != NULL) {
		return usage(cfg, "--spread",
			     "cannot be used with "
			     "--target-leader");
	}
	if (cfg->target == TARGET_ETCD && cfg->consistency == CONS_LEASE) {
		return usage(cfg, "--consistency",
			     "lease is not available with --target etcd (use "
			     "linearizable or stale)");
	}
	if (given[OPT_DURATION] == NULL && cfg->requests == 0) {
		cfg->duration_s = BENCH_DEFAULT_DURATION_S;
	}
	if (cfg->mix[OP_CAS] > 0 &&
	    cfg->value_size > BENCH_MAX_VALUE_SIZE / 64) {
		/* A cas sends the expected value in its URL. */
		return usage(cfg, "--value-size",
			     "at most %u bytes with cas (the expected value "
			     "travels in the URL)",
			     BENCH_MAX_VALUE_SIZE / 64);
	}
	if (cfg->routing == ROUTING_DEFAULT) {
		only_stale_gets = cfg->consistency == CONS_STALE;
		for (i = 0; i < N_OPS; i++) {
			if (i != OP_GET && cfg->mix[i] > 0) {
				only_stale_gets = false;
			}
		}
		cfg->routing =
		    only_stale_gets ? ROUTING_SPREAD : ROUTING_LEADER;
	}
	if (given[OPT_SEED] == NULL) {
		cfg->seed = default_seed();
	}
	return -1;
}

int options_parse(int argc, char **argv, struct bench_config *cfg)
{
	const char *given[OPT_MAX] = {NULL};
	const char *env = getenv("RAFTBENCH_ENDPOINTS");
	int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->endpoints = BENCH_DEFAULT_ENDPOINTS;
	cfg->endpoints_from = "default endpoint";
	if (env != NULL && env[0] != '\0') {
		cfg->endpoints = env;
		cfg->endpoints_from = "RAFTBENCH_ENDPOINTS";
	}
	cfg->target = TARGET_RAFTD;
	cfg->routing = ROUTING_DEFAULT;
	cfg->connections = BENCH_DEFAULT_CONNECTIONS;
	cfg->mix[OP_PUT] = 1;
	cfg->consistency = CONS_LINEARIZABLE;
	cfg->keys = BENCH_DEFAULT_KEYS;
	cfg->distribution = DIST_UNIFORM;
	cfg->zipf_theta = BENCH_DEFAULT_ZIPF_THETA;
	cfg->value_size = BENCH_DEFAULT_VALUE_SIZE;
	cfg->key_prefix = BENCH_DEFAULT_KEY_PREFIX;
	cfg->timeout_ms = BENCH_DEFAULT_TIMEOUT_MS;
	cfg->output = OUTPUT_TABLE;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const struct option_def *o;
		const char *value = NULL;
		char name[64];
		int status;
		if (strcmp(arg, "--") == 0) {
			continue;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			return usage(cfg, arg,
				     "unexpected argument (see raftbench "
				     "--help)");
		}
		if (arg[1] == '-') {
			const char *eq = strchr(arg + 2, '=');
			size_t len = eq != NULL ? (size_t)(eq - arg - 2)
						: strlen(arg + 2);
			o = find_long(arg + 2, len);
			snprintf(name, sizeof(name), "--%.*s",
				 (int)(len > 50 ? 50 : len), arg + 2);
			if (eq != NULL) {
				value = eq + 1;
			}
		} else {
			o = find_short(arg[1]);
			snprintf(name, sizeof(name), "-%c", arg[1]);
			if (arg[2] != '\0') {
				if (o != NULL && !o->takes_value) {
					/* No bundling of flags. */
					return usage(cfg, arg,
						     "unknown option (see "
						     "raftbench --help)");
				}
				value = arg + 2;
			}
		}
		if (o == NULL) {
			return usage(cfg, name,
				     "unknown option (see raftbench --help)");
		}
		if (!o->takes_value && value != NULL) {
			return usage(cfg, name, "takes no value");
		}
		if (o->takes_value && value == NULL) {
			if (i + 1 >= argc) {
				return usage(cfg, name,
					     "missing value (see raftbench "
					     "--help)");
			}
			value = argv[++i];
		}
		status = apply(cfg, o->id, name, value, given);
		if (status >= 0) {
			return status;
		}
	}
	return check(cfg, given);
}
