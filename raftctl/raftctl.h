/* raftctl: the context and the commands. */
#ifndef RAFT_RAFTCTL_RAFTCTL_H
#define RAFT_RAFTCTL_RAFTCTL_H

#include <stdbool.h>

#include "args.h"
#include "raft/client.h"

/* Exit statuses (raftctl(1) lists them). */
#define CTL_EXIT_OK	 0
#define CTL_EXIT_FAILURE 1
#define CTL_EXIT_USAGE	 2

#define CTL_DEFAULT_ENDPOINTS  "127.0.0.1:8001"
#define CTL_DEFAULT_TIMEOUT_MS 5000
#define CTL_MAX_TIMEOUT_MS     3600000

enum ctl_output { CTL_OUTPUT_TABLE = 0, CTL_OUTPUT_JSON = 1 };

/* Every option of every command; a command accepts the global ones and
 * its own. */
enum ctl_option {
	OPT_ENDPOINTS = 1,
	OPT_OUTPUT,
	OPT_TIMEOUT,
	OPT_HELP,
	OPT_VERSION,
	OPT_CONSISTENCY,
	OPT_PREV,
	OPT_IF_ABSENT,
	OPT_PREFIX,
	OPT_LIMIT,
	OPT_LEARNER,
	OPT_NODE,
	OPT_FORCE,
	OPT_MAX
};

#define CTL_MAX_POSITIONALS 4

struct ctl {
	const char *endpoints;	    /* comma-separated */
	const char *endpoints_from; /* "--endpoints", "RAFTCTL_ENDPOINTS" or
				       "default endpoint" */
	int output;		    /* enum ctl_output */
	unsigned timeout_ms;
	struct raft_client *client; /* made by ctl_client() */
	/* The command line of the command being run. */
	const char *opt[OPT_MAX]; /* value, "" for a flag, NULL if absent */
	unsigned n_pos;
	const char *pos[CTL_MAX_POSITIONALS];
};

struct ctl_command {
	const char *name;     /* "get", "member add" */
	const char *synopsis; /* the arguments after the name */
	const char *summary;  /* one line for raftctl --help */
	const char *help;     /* the rest of COMMAND --help: options */
	const struct arg_option *options; /* its own; NULL: none */
	unsigned min_pos;
	unsigned max_pos;
	const char *const *pos_names; /* for "missing KEY" */
	int (*run)(struct ctl *ctl);  /* returns an exit status */
};

/* Creates the client on first use from ctl's endpoints and timeout.
 * Returns an exit status: 0, or CTL_EXIT_USAGE after printing why (a
 * malformed endpoint), CTL_EXIT_FAILURE (out of memory, libcurl). */
int ctl_client(struct ctl *ctl);

extern const struct ctl_command cmd_status;
extern const struct ctl_command cmd_get;
extern const struct ctl_command cmd_put;
extern const struct ctl_command cmd_delete;
extern const struct ctl_command cmd_keys;
extern const struct ctl_command cmd_member_list;
extern const struct ctl_command cmd_member_add;
extern const struct ctl_command cmd_member_promote;
extern const struct ctl_command cmd_member_remove;
extern const struct ctl_command cmd_transfer_leader;
extern const struct ctl_command cmd_snapshot;
extern const struct ctl_command cmd_reset_peers;

#endif /* RAFT_RAFTCTL_RAFTCTL_H */
