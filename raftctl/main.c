/* raftctl: administers a raftd cluster from the shell (see raftctl(1)). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "output.h"
#include "raft/error.h"
#include "raftctl.h"

static const struct arg_option global_options[] = {
    {"endpoints", 0, true, OPT_ENDPOINTS}, {"output", 'o', true, OPT_OUTPUT},
    {"timeout", 0, true, OPT_TIMEOUT},	   {"help", 'h', false, OPT_HELP},
    {"version", 0, false, OPT_VERSION},	   {NULL, 0, false, 0},
};

static const struct ctl_command *const commands[] = {
    &cmd_status,	&cmd_get,
    &cmd_put,		&cmd_delete,
    &cmd_keys,		&cmd_member_list,
    &cmd_member_add,	&cmd_member_promote,
    &cmd_member_remove, &cmd_transfer_leader,
    &cmd_snapshot,	&cmd_reset_peers,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *f)
{
	size_t i;
	fprintf(f,
		"Usage: raftctl [--endpoints E1,E2,...] [-o table|json] "
		"[--timeout MS] COMMAND [ARGS]\n"
		"\n"
		"Administers a raftd cluster over its HTTP API. raftctl finds "
		"the leader itself;\n"
		"any reachable endpoint is enough.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < N_COMMANDS; i++) {
		fprintf(f, "  %s%s%s\n      %s\n", commands[i]->name,
			commands[i]->synopsis[0] != '\0' ? " " : "",
			commands[i]->synopsis, commands[i]->summary);
	}
	fprintf(f,
		"\n"
		"Options (before or after the command):\n"
		"  --endpoints E1,E2,...  client URLs of nodes: HOST:PORT or "
		"http(s)://HOST:PORT\n"
		"                         (default: $RAFTCTL_ENDPOINTS, else "
		"%s)\n"
		"  -o, --output FORMAT    table (default) or json\n"
		"  --timeout MS           give up on a command after MS "
		"milliseconds (default %u)\n"
		"  -h, --help             this help; COMMAND --help: the "
		"command's\n"
		"  --version              print the version\n"
		"\n"
		"Exit status: 0 success, 1 failure (refused, not found, "
		"unreachable), 2 usage error.\n"
		"See raftctl(1).\n",
		CTL_DEFAULT_ENDPOINTS, CTL_DEFAULT_TIMEOUT_MS);
}

static void print_command_help(const struct ctl_command *cmd)
{
	printf("Usage: raftctl %s%s%s\n\n%c%s.\n", cmd->name,
	       cmd->synopsis[0] != '\0' ? " " : "", cmd->synopsis,
	       toupper((unsigned char)cmd->summary[0]), cmd->summary + 1);
	if (cmd->help != NULL && cmd->help[0] != '\0') {
		printf("\n%s", cmd->help);
	}
	printf("\nGlobal options: --endpoints E1,E2,... -o table|json "
	       "--timeout MS\n(see raftctl --help).\n");
}

/* Applies a global option; returns an exit status (0: go on). */
static int global_option(struct ctl *ctl, int id, const struct args *a)
{
	char errmsg[256];
	uint64_t v;
	switch (id) {
	case OPT_ENDPOINTS:
		ctl->endpoints = a->value;
		ctl->endpoints_from = "--endpoints";
		return 0;
	case OPT_OUTPUT:
		if (strcmp(a->value, "table") == 0) {
			ctl->output = CTL_OUTPUT_TABLE;
		} else if (strcmp(a->value, "json") == 0) {
			ctl->output = CTL_OUTPUT_JSON;
		} else {
			return output_usage(ctl, a->name,
					    "\"%s\" is not one of table, json",
					    a->value);
		}
		return 0;
	case OPT_TIMEOUT:
		if (args_parse_u64(a->value, 1, CTL_MAX_TIMEOUT_MS, &v, errmsg,
				   sizeof(errmsg)) != 0) {
			return output_usage(ctl, a->name, "%s", errmsg);
		}
		ctl->timeout_ms = (unsigned)v;
		return 0;
	default:
		return 0;
	}
}

int ctl_client(struct ctl *ctl)
{
	struct raft_client_config config;
	const char **list = NULL;
	char errmsg[512];
	unsigned n;
	int status = CTL_EXIT_OK;
	int rv;

	if (ctl->client != NULL) {
		return CTL_EXIT_OK;
	}
	rv = raft_client_split_endpoints(ctl->endpoints, &list, &n, errmsg,
					 sizeof(errmsg));
	if (rv == RAFT_EINVAL) {
		return output_usage(ctl, ctl->endpoints_from, "%s", errmsg);
	}
	if (rv != 0) {
		output_error(ctl, ctl->endpoints_from, rv, "%s", errmsg);
		return CTL_EXIT_FAILURE;
	}
	raft_client_config_defaults(&config);
	config.endpoints = list;
	config.n_endpoints = n;
	config.timeout_ms = ctl->timeout_ms;
	if (config.connect_timeout_ms > ctl->timeout_ms) {
		config.connect_timeout_ms = ctl->timeout_ms;
	}
	rv = raft_client_new(&config, &ctl->client, errmsg, sizeof(errmsg));
	if (rv == RAFT_EINVAL) {
		status = output_usage(ctl, ctl->endpoints_from, "%s", errmsg);
	} else if (rv != 0) {
		output_error(ctl, "client", rv, "%s", errmsg);
		status = CTL_EXIT_FAILURE;
	}
	raft_free(list);
	return status;
}

static const struct ctl_command *find_command(const char *name, const char *sub)
{
	size_t len = strlen(name);
	size_t i;
	for (i = 0; i < N_COMMANDS; i++) {
		const char *cname = commands[i]->name;
		if (strncmp(cname, name, len) != 0) {
			continue;
		}
		if (cname[len] == '\0' && sub == NULL) {
			return commands[i];
		}
		if (cname[len] == ' ' && sub != NULL &&
		    strcmp(cname + len + 1, sub) == 0) {
			return commands[i];
		}
	}
	return NULL;
}

/* Whether name is the first word of commands with subcommands. */
static bool has_subcommands(const char *name)
{
	size_t len = strlen(name);
	size_t i;
	for (i = 0; i < N_COMMANDS; i++) {
		if (strncmp(commands[i]->name, name, len) == 0 &&
		    commands[i]->name[len] == ' ') {
			return true;
		}
	}
	return false;
}

/* Reports an error of args_next() ("NAME: why") as "raftctl: NAME: why
 * (see raftctl [COMMAND] --help)"; returns CTL_EXIT_USAGE. */
static int args_usage(const struct ctl *ctl, char *errmsg, const char *cmd)
{
	char *colon = strstr(errmsg, ": ");
	const char *why = "bad option";
	if (colon != NULL) {
		*colon = '\0';
		why = colon + 2;
	}
	return output_usage(ctl, errmsg, "%s (see raftctl %s%s--help)", why,
			    cmd != NULL ? cmd : "", cmd != NULL ? " " : "");
}

/* Parses the command's arguments into ctl->opt and ctl->pos, then runs
 * it. */
static int run_command(struct ctl *ctl, const struct ctl_command *cmd,
		       struct args *a)
{
	char errmsg[256];
	int status;
	int id;

	for (;;) {
		id = args_next(a, cmd->options, global_options, errmsg,
			       sizeof(errmsg));
		if (id == ARGS_DONE) {
			break;
		}
		if (id == ARGS_ERROR) {
			return args_usage(ctl, errmsg, cmd->name);
		}
		if (id == ARGS_POSITIONAL) {
			if (ctl->n_pos >= cmd->max_pos) {
				return output_usage(
				    ctl, cmd->name,
				    "unexpected argument \"%s\" (see raftctl "
				    "%s --help)",
				    a->value, cmd->name);
			}
			ctl->pos[ctl->n_pos++] = a->value;
			continue;
		}
		if (id == OPT_HELP) {
			print_command_help(cmd);
			return CTL_EXIT_OK;
		}
		if (id == OPT_VERSION) {
			printf("raftctl %s\n", PACKAGE_VERSION);
			return CTL_EXIT_OK;
		}
		status = global_option(ctl, id, a);
		if (status != 0) {
			return status;
		}
		ctl->opt[id] = a->value != NULL ? a->value : "";
	}
	if (ctl->n_pos < cmd->min_pos) {
		return output_usage(ctl, cmd->name,
				    "missing %s (see raftctl %s --help)",
				    cmd->pos_names[ctl->n_pos], cmd->name);
	}
	status = ctl_client(ctl);
	if (status != 0) {
		return status;
	}
	return cmd->run(ctl);
}

/* Reports a failure to write stdout (a full disk, a closed pipe). */
static int check_stdout(const struct ctl *ctl, int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		output_error(ctl, "stdout", RAFT_EIO, "%s", strerror(errno));
		return CTL_EXIT_FAILURE;
	}
	return status;
}

int main(int argc, char **argv)
{
	struct ctl ctl;
	struct args a;
	const struct ctl_command *cmd;
	const char *env = getenv("RAFTCTL_ENDPOINTS");
	char errmsg[256];
	int status = CTL_EXIT_OK;
	int id;

	memset(&ctl, 0, sizeof(ctl));
	ctl.endpoints = CTL_DEFAULT_ENDPOINTS;
	ctl.endpoints_from = "default endpoint";
	if (env != NULL && env[0] != '\0') {
		ctl.endpoints = env;
		ctl.endpoints_from = "RAFTCTL_ENDPOINTS";
	}
	ctl.output = CTL_OUTPUT_TABLE;
	ctl.timeout_ms = CTL_DEFAULT_TIMEOUT_MS;

	/* Global options up to the command. */
	args_init(&a, argc, argv, 1);
	for (;;) {
		id =
		    args_next(&a, global_options, NULL, errmsg, sizeof(errmsg));
		if (id == ARGS_POSITIONAL) {
			break;
		}
		if (id == ARGS_DONE) {
			status = output_usage(&ctl, "usage",
					      "missing command (see raftctl "
					      "--help)");
			goto out;
		}
		if (id == ARGS_ERROR) {
			status = args_usage(&ctl, errmsg, NULL);
			goto out;
		}
		if (id == OPT_HELP) {
			print_usage(stdout);
			goto out;
		}
		if (id == OPT_VERSION) {
			printf("raftctl %s\n", PACKAGE_VERSION);
			goto out;
		}
		status = global_option(&ctl, id, &a);
		if (status != 0) {
			goto out;
		}
	}

	if (strcmp(a.value, "help") == 0) {
		/* "raftctl help [COMMAND [SUBCOMMAND]]". */
		const char *name = a.next < argc ? argv[a.next] : NULL;
		const char *sub = a.next + 1 < argc ? argv[a.next + 1] : NULL;
		if (name == NULL) {
			print_usage(stdout);
			goto out;
		}
		cmd = find_command(name, has_subcommands(name) ? sub : NULL);
		if (cmd == NULL) {
			status = output_usage(&ctl, name,
					      "unknown command (see raftctl "
					      "--help)");
			goto out;
		}
		print_command_help(cmd);
		goto out;
	}
	if (has_subcommands(a.value)) {
		const char *name = a.value;
		const char *sub = a.next < argc ? argv[a.next] : NULL;
		if (sub == NULL || sub[0] == '-') {
			if (sub != NULL && (strcmp(sub, "--help") == 0 ||
					    strcmp(sub, "-h") == 0)) {
				print_usage(stdout);
				goto out;
			}
			status = output_usage(&ctl, name,
					      "missing subcommand (see "
					      "raftctl --help)");
			goto out;
		}
		a.next++;
		cmd = find_command(name, sub);
		if (cmd == NULL) {
			status = output_usage(&ctl, name,
					      "unknown subcommand \"%s\" (see "
					      "raftctl --help)",
					      sub);
			goto out;
		}
	} else {
		cmd = find_command(a.value, NULL);
		if (cmd == NULL) {
			status = output_usage(&ctl, a.value,
					      "unknown command (see raftctl "
					      "--help)");
			goto out;
		}
	}
	status = run_command(&ctl, cmd, &a);

out:
	raft_client_free(ctl.client);
	return check_stdout(&ctl, status);
}
