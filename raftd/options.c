/* raftd's options: flags first, then the config file for what flags left. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/log.h"
#include "options.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define DEFAULT_CLUSTER "raft"

enum opt_type {
	OPT_ID,	     /* a node id, 1..2^64-1 */
	OPT_PATH,    /* a non-empty path */
	OPT_ADDR,    /* HOST:PORT */
	OPT_MEMBERS, /* an --initial-cluster list */
	OPT_NAME,    /* a cluster name */
	OPT_UINT,    /* unsigned, within [min, max] */
	OPT_SIZE,    /* size_t, within [min, max] */
	OPT_U64,     /* uint64_t, within [min, max] */
	OPT_LEVEL,   /* a log level name */
	OPT_BOOL,    /* true or false; as a flag, alone means true */
};

struct opt {
	const char *flag; /* without the leading "--" */
	const char *key;  /* in the config file */
	enum opt_type type;
	size_t offset; /* of the field in struct raftd_options */
	unsigned long long min, max;
};

#define FIELD(name) offsetof(struct raftd_options, name)

static const struct opt opts[] = {
    {"id", "id", OPT_ID, FIELD(id), 1, UINT64_MAX},
    {"data-dir", "data_dir", OPT_PATH, FIELD(data_dir), 0, 0},
    {"listen-peer", "listen_peer", OPT_ADDR, FIELD(listen_peer), 0, 0},
    {"listen-client", "listen_client", OPT_ADDR, FIELD(listen_client), 0, 0},
    {"initial-cluster", "initial_cluster", OPT_MEMBERS, FIELD(initial_cluster),
     0, 0},
    {"join", "join", OPT_BOOL, FIELD(join), 0, 0},
    {"cluster", "cluster", OPT_NAME, FIELD(cluster), 0, 0},
    {"tick-ms", "tick_ms", OPT_UINT, FIELD(tick_ms), 1, 60000},
    {"election-ticks", "election_ticks", OPT_UINT, FIELD(election_ticks), 2,
     1000},
    /* 32 MiB keeps an entry well inside the peers' 64 MiB frame limit. */
    {"max-value-bytes", "max_value_bytes", OPT_SIZE, FIELD(max_value_bytes), 1,
     32 * 1024 * 1024},
    {"request-timeout-ms", "request_timeout_ms", OPT_UINT,
     FIELD(request_timeout_ms), 1, 3600000},
    {"log-level", "log_level", OPT_LEVEL, FIELD(log_level), 0, 0},
    {"snapshot-entries", "snapshot_entries", OPT_U64, FIELD(snapshot_entries),
     0, 1000000000},
    /* 1 TiB: a larger trigger is as good as none. */
    {"snapshot-bytes", "snapshot_bytes", OPT_U64, FIELD(snapshot_bytes), 0,
     1099511627776ULL},
    {"snapshot-trailing", "snapshot_trailing", OPT_U64,
     FIELD(snapshot_trailing), 0, 1000000000},
    /* At least the newest file: it is what a lagging follower gets. */
    {"snapshot-keep", "snapshot_keep", OPT_UINT, FIELD(snapshot_keep), 1, 1000},
    {"enable-failpoints", "enable_failpoints", OPT_BOOL,
     FIELD(enable_failpoints), 0, 0},
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static const char usage_text[] =
    "Usage: raftd [OPTION]...\n"
    "Runs one member of a Raft-replicated key-value store.\n"
    "\n"
    "  --config FILE              read key = value options from FILE\n"
    "  --id N                     this member's id (needed only for a new "
    "data dir)\n"
    "  --data-dir DIR             where the log and the store live "
    "(required)\n"
    "  --listen-peer HOST:PORT    address for the other members (required)\n"
    "  --listen-client HOST:PORT  address of the HTTP API (required)\n"
    "  --initial-cluster LIST     ID=PEER_ADDR/CLIENT_ADDR,... members of a "
    "new cluster\n"
    "                             (with --join: members of the cluster to "
    "join)\n"
    "  --join                     a new member joins an existing cluster, "
    "which adds\n"
    "                             it (raftctl member add); ignored once the "
    "data dir\n"
    "                             holds a log\n"
    "  --cluster NAME             cluster name (default raft)\n"
    "  --tick-ms N                one Raft tick in milliseconds (default "
    "100)\n"
    "  --election-ticks N         election timeout in ticks (default 10)\n"
    "  --max-value-bytes N        largest value accepted (default 1048576)\n"
    "  --request-timeout-ms N     how long a request may wait for Raft "
    "(default 5000)\n"
    "  --log-level LEVEL          debug, info, warn or error (default info)\n"
    "  --snapshot-entries N       snapshot after N entries applied (default "
    "10000;\n"
    "                             0: not by count)\n"
    "  --snapshot-bytes N         snapshot after N bytes of entries applied\n"
    "                             (default 67108864; 0: not by size)\n"
    "  --snapshot-trailing N      entries kept in the log before a snapshot\n"
    "                             (default 1000)\n"
    "  --snapshot-keep N          snapshot files kept (default 2)\n"
    "  --enable-failpoints        serve /v1/debug/faults, for tests only "
    "(never\n"
    "                             in production)\n"
    "  --help                     print this help and exit\n"
    "  --version                  print the version and exit\n"
    "\n"
    "Flags win over the config file. See raftd(8) and raftd.conf(5).\n";

static void set_err(char *errmsg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errmsg, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errmsg, len, fmt, ap);
	va_end(ap);
}

uint64_t options_cluster_id(const char *name)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 offset basis */
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0';
	     p++) {
		h ^= *p;
		h *= 1099511628211ULL; /* FNV-1a 64 prime */
	}
	return h;
}

/* Parses a decimal number within [min, max]. */
static int parse_number(const char *s, unsigned long long min,
			unsigned long long max, unsigned long long *out,
			char *errmsg, size_t errmsg_len)
{
	unsigned long long v;
	char *end;
	/* strtoull accepts leading blanks and signs ("-1" wraps around). */
	if (s[0] < '0' || s[0] > '9') {
		set_err(errmsg, errmsg_len, "\"%s\" is not a number", s);
		return RAFT_EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		set_err(errmsg, errmsg_len, "\"%s\" is not a number", s);
		return RAFT_EINVAL;
	}
	if (errno == ERANGE || v < min || v > max) {
		set_err(errmsg, errmsg_len, "%s is out of range (%llu..%llu)",
			s, min, max);
		return RAFT_EINVAL;
	}
	*out = v;
	return 0;
}

int options_split_address(const char *addr, char *host, size_t host_len,
			  unsigned *port, char *errmsg, size_t errmsg_len)
{
	const char *colon, *h = addr;
	size_t hlen;
	unsigned long long p;
	char why[128];
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (close == NULL || close[1] != ':') {
			goto err_form;
		}
		h = addr + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL) {
			goto err_form;
		}
		hlen = (size_t)(colon - addr);
		/* A bare IPv6 literal is ambiguous: its last group could be
		 * taken for the port. */
		if (memchr(addr, ':', hlen) != NULL) {
			set_err(errmsg, errmsg_len,
				"\"%s\": put an IPv6 address in brackets, as "
				"[::1]:7001",
				addr);
			return RAFT_EINVAL;
		}
	}
	if (hlen == 0 || hlen >= host_len) {
		goto err_form;
	}
	for (size_t i = 0; i < hlen; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_' || c == ':' || c == '%')) {
			set_err(errmsg, errmsg_len,
				"\"%s\": bad character in host", addr);
			return RAFT_EINVAL;
		}
	}
	if (parse_number(colon + 1, 1, 65535, &p, why, sizeof(why)) != 0) {
		set_err(errmsg, errmsg_len, "\"%s\": port %s", addr, why);
		return RAFT_EINVAL;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (unsigned)p;
	return 0;

err_form:
	set_err(errmsg, errmsg_len, "\"%s\" is not HOST:PORT", addr);
	return RAFT_EINVAL;
}

static int check_address(const char *addr, char *errmsg, size_t errmsg_len)
{
	char host[OPTIONS_ADDR_MAX];
	unsigned port;
	if (strlen(addr) >= OPTIONS_ADDR_MAX) {
		set_err(errmsg, errmsg_len, "address is longer than %d bytes",
			OPTIONS_ADDR_MAX - 1);
		return RAFT_EINVAL;
	}
	return options_split_address(addr, host, sizeof(host), &port, errmsg,
				     errmsg_len);
}

int options_parse_cluster(const char *spec, struct raft_configuration *conf,
			  char *errmsg, size_t errmsg_len)
{
	const char *p = spec;
	unsigned n = 0;
	char why[256];
	int rv;
	if (spec[0] == '\0') {
		set_err(errmsg, errmsg_len, "the member list is empty");
		return RAFT_EINVAL;
	}
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		char item[2 * OPTIONS_ADDR_MAX + 32];
		char address[2 * OPTIONS_ADDR_MAX + 16];
		char *eq, *slash;
		unsigned long long id;
		n++;
		if (len == 0) {
			set_err(errmsg, errmsg_len, "member %u is empty", n);
			return RAFT_EINVAL;
		}
		if (len >= sizeof(item)) {
			set_err(errmsg, errmsg_len, "member %u is too long", n);
			return RAFT_EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		eq = strchr(item, '=');
		slash = eq != NULL ? strchr(eq, '/') : NULL;
		if (eq == NULL || slash == NULL) {
			set_err(errmsg, errmsg_len,
				"member \"%s\" is not ID=PEER_ADDR/CLIENT_ADDR",
				item);
			return RAFT_EINVAL;
		}
		*eq = '\0';
		*slash = '\0';
		if (parse_number(item, 1, UINT64_MAX, &id, why, sizeof(why)) !=
		    0) {
			set_err(errmsg, errmsg_len, "member id %s", why);
			return RAFT_EINVAL;
		}
		if (check_address(eq + 1, why, sizeof(why)) != 0 ||
		    check_address(slash + 1, why, sizeof(why)) != 0) {
			set_err(errmsg, errmsg_len, "member %llu: %s", id, why);
			return RAFT_EINVAL;
		}
		snprintf(address, sizeof(address), "%s http://%s", eq + 1,
			 slash + 1);
		rv = raft_configuration_add(conf, (raft_id)id, address,
					    RAFT_VOTER);
		if (rv == RAFT_EEXIST) {
			set_err(errmsg, errmsg_len, "member %llu appears twice",
				id);
			return RAFT_EINVAL;
		}
		if (rv != 0) {
			set_err(errmsg, errmsg_len, "member %llu: %s", id,
				raft_strerror(rv));
			return rv;
		}
		if (end == NULL) {
			break;
		}
		p = end + 1;
		if (*p == '\0') {
			set_err(errmsg, errmsg_len, "member %u is empty",
				n + 1);
			return RAFT_EINVAL;
		}
	}
	return 0;
}

/* Checks a value for opt and stores it in o when store is set. */
static int set_value(struct raftd_options *o, const struct opt *opt,
		     const char *value, bool store, char *errmsg,
		     size_t errmsg_len)
{
	char *field = (char *)o + opt->offset;
	unsigned long long v = 0;
	int level = 0;
	bool flag = false;
	int rv;
	switch (opt->type) {
	case OPT_ID:
	case OPT_UINT:
	case OPT_SIZE:
	case OPT_U64:
		rv = parse_number(value, opt->min, opt->max, &v, errmsg,
				  errmsg_len);
		if (rv != 0) {
			return rv;
		}
		break;
	case OPT_PATH:
		if (value[0] == '\0') {
			set_err(errmsg, errmsg_len, "the path is empty");
			return RAFT_EINVAL;
		}
		if (strlen(value) > PATH_MAX - 16) {
			set_err(errmsg, errmsg_len, "the path is too long");
			return RAFT_EINVAL;
		}
		break;
	case OPT_ADDR:
		rv = check_address(value, errmsg, errmsg_len);
		if (rv != 0) {
			return rv;
		}
		break;
	case OPT_MEMBERS: {
		struct raft_configuration conf;
		raft_configuration_init(&conf);
		rv = options_parse_cluster(value, &conf, errmsg, errmsg_len);
		raft_configuration_close(&conf);
		if (rv != 0) {
			return rv;
		}
		break;
	}
	case OPT_NAME:
		if (value[0] == '\0' || strlen(value) > 255) {
			set_err(errmsg, errmsg_len,
				"\"%s\": a name has 1 to 255 characters",
				value);
			return RAFT_EINVAL;
		}
		for (const char *c = value; *c != '\0'; c++) {
			if (!((*c >= 'a' && *c <= 'z') ||
			      (*c >= 'A' && *c <= 'Z') ||
			      (*c >= '0' && *c <= '9') || *c == '.' ||
			      *c == '-' || *c == '_')) {
				set_err(errmsg, errmsg_len,
					"\"%s\": a name has only letters, "
					"digits, '.', '-' and '_'",
					value);
				return RAFT_EINVAL;
			}
		}
		break;
	case OPT_LEVEL:
		level = raft_log_level_parse(value);
		if (level < 0) {
			set_err(errmsg, errmsg_len,
				"\"%s\" is not a log level (debug, info, "
				"warn, error)",
				value);
			return RAFT_EINVAL;
		}
		break;
	case OPT_BOOL:
		if (strcmp(value, "true") == 0) {
			flag = true;
		} else if (strcmp(value, "false") != 0) {
			set_err(errmsg, errmsg_len,
				"\"%s\" is neither true nor false", value);
			return RAFT_EINVAL;
		}
		break;
	}
	if (!store) {
		return 0;
	}
	switch (opt->type) {
	case OPT_ID:
		*(raft_id *)(void *)field = (raft_id)v;
		break;
	case OPT_UINT:
		*(unsigned *)(void *)field = (unsigned)v;
		break;
	case OPT_SIZE:
		*(size_t *)(void *)field = (size_t)v;
		break;
	case OPT_U64:
		*(uint64_t *)(void *)field = (uint64_t)v;
		break;
	case OPT_LEVEL:
		*(int *)(void *)field = level;
		break;
	case OPT_BOOL:
		*(bool *)(void *)field = flag;
		break;
	case OPT_PATH:
	case OPT_ADDR:
	case OPT_MEMBERS:
	case OPT_NAME: {
		char **s = (char **)(void *)field;
		char *copy = strdup(value);
		if (copy == NULL) {
			set_err(errmsg, errmsg_len, "out of memory");
			return RAFT_ENOMEM;
		}
		free(*s);
		*s = copy;
		break;
	}
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * The config file
 * ------------------------------------------------------------------------ */

struct file_parse {
	struct raftd_options *o;
	const bool *by_flag; /* options given as flags: the file may not
				override them */
	bool by_file[N_OPTS];
	FILE *f;
	const char *path;
	unsigned line; /* of the line inih works on */
	int rv;	       /* first error */
	char errmsg[512];
	char *members; /* initial_cluster lines joined by commas */
};

/* inih's reader: counts lines (so that errors can name them) and refuses
 * lines longer than inih's fixed buffer instead of letting it cut them. */
static char *file_read_line(char *str, int num, void *stream)
{
	struct file_parse *fp = stream;
	size_t len;
	if (fp->rv != 0 || fgets(str, num, fp->f) == NULL) {
		return NULL;
	}
	fp->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n') {
		int c = getc(fp->f);
		if (c != EOF) {
			set_err(fp->errmsg, sizeof(fp->errmsg),
				"%s:%u: the line is longer than %d characters "
				"(initial_cluster may take several lines)",
				fp->path, fp->line, num - 2);
			fp->rv = RAFT_EINVAL;
			return NULL;
		}
	}
	return str;
}

static int file_handle(void *user, const char *section, const char *name,
		       const char *value)
{
	struct file_parse *fp = user;
	const struct opt *opt = NULL;
	char why[400];
	size_t i;
	if (fp->rv != 0) {
		return 0;
	}
	if (section[0] != '\0') {
		set_err(fp->errmsg, sizeof(fp->errmsg),
			"%s:%u: %s: the file has no sections (found [%s])",
			fp->path, fp->line, name, section);
		fp->rv = RAFT_EINVAL;
		return 0;
	}
	for (i = 0; i < N_OPTS; i++) {
		if (strcmp(opts[i].key, name) == 0) {
			opt = &opts[i];
			break;
		}
	}
	if (opt == NULL) {
		set_err(fp->errmsg, sizeof(fp->errmsg),
			"%s:%u: %s: unknown key", fp->path, fp->line, name);
		fp->rv = RAFT_EINVAL;
		return 0;
	}
	/* Members may be listed over several lines; anything else given
	 * twice is a mistake that would otherwise go unnoticed. */
	if (opt->type == OPT_MEMBERS) {
		size_t old = fp->members != NULL ? strlen(fp->members) : 0;
		char *joined = realloc(fp->members, old + strlen(value) + 2);
		if (joined == NULL) {
			fp->rv = RAFT_ENOMEM;
			set_err(fp->errmsg, sizeof(fp->errmsg),
				"out of memory");
			return 0;
		}
		if (old > 0) {
			joined[old++] = ',';
		}
		strcpy(joined + old, value);
		fp->members = joined;
		fp->by_file[i] = true;
		return 1;
	}
	if (fp->by_file[i]) {
		set_err(fp->errmsg, sizeof(fp->errmsg),
			"%s:%u: %s: given twice", fp->path, fp->line, name);
		fp->rv = RAFT_EINVAL;
		return 0;
	}
	fp->by_file[i] = true;
	fp->rv =
	    set_value(fp->o, opt, value, !fp->by_flag[i], why, sizeof(why));
	if (fp->rv != 0) {
		set_err(fp->errmsg, sizeof(fp->errmsg), "%s:%u: %s: %s",
			fp->path, fp->line, name, why);
		return 0;
	}
	if (opt->type == OPT_NAME) {
		fp->o->cluster_given = true;
	}
	return 1;
}

static int parse_file(struct raftd_options *o, const bool *by_flag,
		      char *errmsg, size_t errmsg_len)
{
	struct file_parse fp;
	char why[400];
	int rv;
	memset(&fp, 0, sizeof(fp));
	fp.o = o;
	fp.by_flag = by_flag;
	fp.path = o->config_path;
	fp.f = fopen(o->config_path, "r");
	if (fp.f == NULL) {
		set_err(errmsg, errmsg_len, "--config: %s: %s", o->config_path,
			strerror(errno));
		return RAFT_EINVAL;
	}
	rv = ini_parse_stream(file_read_line, &fp, file_handle, &fp);
	if (fp.rv == 0 && ferror(fp.f)) {
		set_err(fp.errmsg, sizeof(fp.errmsg), "--config: %s: %s",
			o->config_path, strerror(errno));
		fp.rv = RAFT_EINVAL;
	}
	fclose(fp.f);
	if (rv > 0 && (fp.rv == 0 || (unsigned)rv < fp.line)) {
		/* inih's own complaint, on a line before any of ours. */
		set_err(errmsg, errmsg_len,
			"%s:%d: expected key = value or a # comment",
			o->config_path, rv);
		free(fp.members);
		return RAFT_EINVAL;
	}
	if (fp.rv == 0 && rv < 0) {
		set_err(fp.errmsg, sizeof(fp.errmsg), "--config: %s: %s",
			o->config_path, "out of memory");
		fp.rv = RAFT_ENOMEM;
	}
	if (fp.rv == 0 && fp.members != NULL) {
		size_t i;
		for (i = 0; i < N_OPTS; i++) {
			if (opts[i].type == OPT_MEMBERS) {
				break;
			}
		}
		fp.rv = set_value(o, &opts[i], fp.members, !by_flag[i], why,
				  sizeof(why));
		if (fp.rv != 0) {
			set_err(fp.errmsg, sizeof(fp.errmsg), "%s: %s: %s",
				o->config_path, opts[i].key, why);
		}
	}
	free(fp.members);
	if (fp.rv != 0) {
		set_err(errmsg, errmsg_len, "%s", fp.errmsg);
	}
	return fp.rv;
}

/* ------------------------------------------------------------------------
 * Flags
 * ------------------------------------------------------------------------ */

int options_parse(int argc, char **argv, struct raftd_options *o, char *errmsg,
		  size_t errmsg_len)
{
	bool by_flag[N_OPTS] = {false};
	char why[400];
	int rv;
	int i;
	memset(o, 0, sizeof(*o));
	o->tick_ms = 100;
	o->election_ticks = 10;
	o->max_value_bytes = 1024 * 1024;
	o->request_timeout_ms = 5000;
	o->log_level = RAFT_LOG_INFO;
	/* raft_node_config_defaults()'s, so that raftd(8) can list them. */
	o->snapshot_entries = 10000;
	o->snapshot_bytes = 64 * 1024 * 1024;
	o->snapshot_trailing = 1000;
	o->snapshot_keep = 2;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *value;
		const struct opt *opt = NULL;
		char name[64];
		size_t name_len;
		size_t k;
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(usage_text, stdout);
			return OPTIONS_DONE;
		}
		if (strcmp(arg, "--version") == 0) {
			printf("raftd %s\n", PACKAGE_VERSION);
			return OPTIONS_DONE;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			set_err(errmsg, errmsg_len,
				"\"%s\": unexpected argument (see --help)",
				arg);
			return RAFT_EINVAL;
		}
		value = strchr(arg, '=');
		name_len = value != NULL ? (size_t)(value - arg) : strlen(arg);
		if (name_len >= sizeof(name)) {
			name_len = sizeof(name) - 1;
		}
		memcpy(name, arg, name_len);
		name[name_len] = '\0';
		if (strcmp(name, "--config") != 0) {
			for (k = 0; k < N_OPTS; k++) {
				if (strcmp(opts[k].flag, name + 2) == 0) {
					opt = &opts[k];
					break;
				}
			}
			if (opt == NULL) {
				set_err(errmsg, errmsg_len,
					"%s: unknown option (see --help)",
					name);
				return RAFT_EINVAL;
			}
		}
		if (value != NULL) {
			value++;
		} else if (opt != NULL && opt->type == OPT_BOOL) {
			/* A switch: the next argument is not its value. */
			value = "true";
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			set_err(errmsg, errmsg_len, "%s: needs a value", name);
			return RAFT_EINVAL;
		}
		if (opt == NULL) {
			if (o->config_path != NULL) {
				set_err(errmsg, errmsg_len,
					"--config: given twice");
				return RAFT_EINVAL;
			}
			o->config_path = strdup(value);
			if (o->config_path == NULL) {
				set_err(errmsg, errmsg_len, "out of memory");
				return RAFT_ENOMEM;
			}
			continue;
		}
		k = (size_t)(opt - opts);
		if (by_flag[k]) {
			set_err(errmsg, errmsg_len, "%s: given twice", name);
			return RAFT_EINVAL;
		}
		by_flag[k] = true;
		rv = set_value(o, opt, value, true, why, sizeof(why));
		if (rv != 0) {
			set_err(errmsg, errmsg_len, "%s: %s", name, why);
			return rv;
		}
		if (opt->type == OPT_NAME) {
			o->cluster_given = true;
		}
	}

	if (o->config_path != NULL) {
		rv = parse_file(o, by_flag, errmsg, errmsg_len);
		if (rv != 0) {
			return rv;
		}
	}

	for (size_t k = 0; k < N_OPTS; k++) {
		const struct opt *opt = &opts[k];
		if ((opt->type == OPT_PATH || opt->type == OPT_ADDR) &&
		    *(char **)(void *)((char *)o + opt->offset) == NULL) {
			set_err(errmsg, errmsg_len,
				"--%s: missing (give the flag or %s in the "
				"config file)",
				opt->flag, opt->key);
			return RAFT_EINVAL;
		}
	}
	if (o->cluster == NULL) {
		o->cluster = strdup(DEFAULT_CLUSTER);
		if (o->cluster == NULL) {
			set_err(errmsg, errmsg_len, "out of memory");
			return RAFT_ENOMEM;
		}
	}
	return OPTIONS_RUN;
}

void options_close(struct raftd_options *o)
{
	free(o->data_dir);
	free(o->listen_peer);
	free(o->listen_client);
	free(o->initial_cluster);
	free(o->cluster);
	free(o->config_path);
	memset(o, 0, sizeof(*o));
}
