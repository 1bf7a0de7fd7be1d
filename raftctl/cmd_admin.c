/* raftctl member, transfer-leader, snapshot, reset-peers: administration.
 * Each command prints what changed; a server that does not implement a
 * call answers 501, and the command fails with "not supported by this
 * server". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "raft/error.h"
#include "raftctl.h"

/* Parses a member id (1..2^64-1) named what. Returns an exit status. */
static int parse_id(struct ctl *ctl, const char *cmd, const char *what,
		    const char *s, raft_id *id)
{
	char errmsg[128];
	uint64_t v;
	if (args_parse_u64(s, 1, UINT64_MAX, &v, errmsg, sizeof(errmsg)) != 0) {
		return output_usage(ctl, cmd, "%s: %s", what, errmsg);
	}
	*id = v;
	return CTL_EXIT_OK;
}

/* Prints what a membership change did: "WHAT (index I, term T)", or with
 * -o json {"change", "id", "voter"?, "index", "term"}. voter is -1 when it
 * does not apply (a removal). */
static int print_change(struct ctl *ctl, const char *change, raft_id id,
			int voter, const char *what,
			const struct raft_client_write *w)
{
	cJSON *obj;
	if (ctl->output == CTL_OUTPUT_TABLE) {
		if (w->index != 0) {
			printf("%s (index %" PRIu64 ", term %" PRIu64 ")\n",
			       what, w->index, w->term);
		} else {
			printf("%s\n", what);
		}
		return CTL_EXIT_OK;
	}
	obj = cJSON_CreateObject();
	if (obj != NULL &&
	    (cJSON_AddStringToObject(obj, "change", change) == NULL ||
	     cJSON_AddNumberToObject(obj, "id", (double)id) == NULL ||
	     (voter >= 0 &&
	      cJSON_AddBoolToObject(obj, "voter", voter) == NULL) ||
	     cJSON_AddNumberToObject(obj, "index", (double)w->index) == NULL ||
	     cJSON_AddNumberToObject(obj, "term", (double)w->term) == NULL)) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	return output_json(ctl, obj);
}

static int run_member_list(struct ctl *ctl)
{
	static const char *const header[] = {
	    "ID", "ROLE", "PEER URL", "CLIENT URL", "MATCH", "NEXT", "HEALTHY"};
	struct raft_client_members m = {0, NULL};
	struct table t;
	bool progress = false;
	unsigned i;
	int status;
	int rv;

	rv = raft_client_member_list(ctl->client, &m);
	if (rv != 0) {
		return output_client_error(ctl, "member list", rv);
	}
	if (ctl->output == CTL_OUTPUT_JSON) {
		cJSON *root = cJSON_CreateObject();
		cJSON *array = cJSON_AddArrayToObject(root, "members");
		for (i = 0; array != NULL && i < m.n_members; i++) {
			if (!output_json_member(array, &m.members[i])) {
				array = NULL;
			}
		}
		if (array == NULL) {
			cJSON_Delete(root);
			root = NULL;
		}
		raft_client_members_close(&m);
		return output_json(ctl, root);
	}
	for (i = 0; i < m.n_members; i++) {
		progress = progress || m.members[i].have_progress;
	}
	table_init(&t, progress ? 7 : 4, header);
	for (i = 0; i < m.n_members; i++) {
		const struct raft_client_member *mb = &m.members[i];
		char id[24];
		char match[24] = "";
		char next[24] = "";
		const char *cells[7];
		snprintf(id, sizeof(id), "%" PRIu64, mb->id);
		if (mb->have_progress) {
			snprintf(match, sizeof(match), "%" PRIu64,
				 mb->match_index);
			snprintf(next, sizeof(next), "%" PRIu64,
				 mb->next_index);
		}
		cells[0] = id;
		cells[1] = mb->voter ? "voter" : "learner";
		cells[2] = mb->peer_url;
		cells[3] = mb->client_url;
		cells[4] = match;
		cells[5] = next;
		cells[6] = !mb->have_progress ? "" : mb->healthy ? "yes" : "no";
		table_row(&t, cells);
	}
	status = table_print(ctl, &t);
	raft_client_members_close(&m);
	return status;
}

static int run_member_add(struct ctl *ctl)
{
	struct raft_client_write w = {0, 0};
	bool learner = ctl->opt[OPT_LEARNER] != NULL;
	char what[1024];
	raft_id id = 0;
	int status;
	int rv;

	status = parse_id(ctl, "member add", "ID", ctl->pos[0], &id);
	if (status != CTL_EXIT_OK) {
		return status;
	}
	rv = raft_client_member_add(ctl->client, id, ctl->pos[1], ctl->pos[2],
				    learner, &w);
	if (rv != 0) {
		snprintf(what, sizeof(what), "member add %" PRIu64, id);
		return output_client_error(ctl, what, rv);
	}
	snprintf(what, sizeof(what),
		 "added member %" PRIu64 " as a %s, peer %s, client %s", id,
		 learner ? "learner" : "voter", ctl->pos[1], ctl->pos[2]);
	return print_change(ctl, "add", id, !learner, what, &w);
}

/* member promote and member remove. */
static int run_member_change(struct ctl *ctl, const char *cmd, bool promote)
{
	struct raft_client_write w = {0, 0};
	char what[128];
	raft_id id = 0;
	int status;
	int rv;

	status = parse_id(ctl, cmd, "ID", ctl->pos[0], &id);
	if (status != CTL_EXIT_OK) {
		return status;
	}
	rv = promote ? raft_client_member_promote(ctl->client, id, &w)
		     : raft_client_member_remove(ctl->client, id, &w);
	if (rv != 0) {
		snprintf(what, sizeof(what), "%s %" PRIu64, cmd, id);
		return output_client_error(ctl, what, rv);
	}
	if (promote) {
		snprintf(what, sizeof(what),
			 "promoted member %" PRIu64 " to voter", id);
		return print_change(ctl, "promote", id, 1, what, &w);
	}
	snprintf(what, sizeof(what), "removed member %" PRIu64, id);
	return print_change(ctl, "remove", id, -1, what, &w);
}

static int run_member_promote(struct ctl *ctl)
{
	return run_member_change(ctl, "member promote", true);
}

static int run_member_remove(struct ctl *ctl)
{
	return run_member_change(ctl, "member remove", false);
}

static int run_transfer_leader(struct ctl *ctl)
{
	struct raft_client_transfer t = {0, 0, 0};
	char what[64] = "transfer-leader";
	raft_id to = 0;
	cJSON *obj;
	int status;
	int rv;

	if (ctl->n_pos > 0) {
		status =
		    parse_id(ctl, "transfer-leader", "ID", ctl->pos[0], &to);
		if (status != CTL_EXIT_OK) {
			return status;
		}
		snprintf(what, sizeof(what), "transfer-leader %" PRIu64, to);
	}
	rv = raft_client_transfer_leader(ctl->client, to, &t);
	if (rv != 0) {
		return output_client_error(ctl, what, rv);
	}
	if (ctl->output == CTL_OUTPUT_TABLE) {
		if (t.previous_leader_id == t.leader_id) {
			printf("node %" PRIu64 " leads already (term %" PRIu64
			       ")\n",
			       t.leader_id, t.term);
		} else {
			printf("leadership moved from node %" PRIu64
			       " to node %" PRIu64 " (term %" PRIu64 ")\n",
			       t.previous_leader_id, t.leader_id, t.term);
		}
		return CTL_EXIT_OK;
	}
	obj = cJSON_CreateObject();
	if (obj != NULL &&
	    (cJSON_AddNumberToObject(obj, "leader_id", (double)t.leader_id) ==
		 NULL ||
	     cJSON_AddNumberToObject(obj, "previous_leader_id",
				     (double)t.previous_leader_id) == NULL ||
	     cJSON_AddNumberToObject(obj, "term", (double)t.term) == NULL)) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	return output_json(ctl, obj);
}

static int run_snapshot(struct ctl *ctl)
{
	raft_index index = 0;
	raft_id node = 0;
	cJSON *obj;
	int status;
	int rv;

	if (ctl->opt[OPT_NODE] != NULL) {
		status = parse_id(ctl, "snapshot", "--node", ctl->opt[OPT_NODE],
				  &node);
		if (status != CTL_EXIT_OK) {
			return status;
		}
	}
	rv = raft_client_snapshot(ctl->client, node, &index);
	if (rv != 0) {
		return output_client_error(ctl, "snapshot", rv);
	}
	if (ctl->output == CTL_OUTPUT_TABLE) {
		printf("OK index=%" PRIu64 "\n", index);
		return CTL_EXIT_OK;
	}
	obj = cJSON_CreateObject();
	if (obj != NULL &&
	    cJSON_AddNumberToObject(obj, "index", (double)index) == NULL) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	return output_json(ctl, obj);
}

/* Parses "ID,ID,..." into a malloc'd array. Returns an exit status. */
static int parse_peers(struct ctl *ctl, const char *list, raft_id **peers,
		       unsigned *n)
{
	const char *p = list;
	unsigned cap = 1;
	unsigned i;
	for (i = 0; list[i] != '\0'; i++) {
		cap += list[i] == ',';
	}
	*peers = calloc(cap, sizeof(**peers));
	*n = 0;
	if (*peers == NULL) {
		output_error(ctl, "reset-peers", RAFT_ENOMEM, "out of memory");
		return CTL_EXIT_FAILURE;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		char item[32];
		char errmsg[128];
		uint64_t v;
		if (len == 0 || len >= sizeof(item)) {
			free(*peers);
			return output_usage(ctl, "reset-peers",
					    "PEERS: \"%s\" is not a "
					    "comma-separated list of ids",
					    list);
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (args_parse_u64(item, 1, UINT64_MAX, &v, errmsg,
				   sizeof(errmsg)) != 0) {
			free(*peers);
			return output_usage(ctl, "reset-peers", "PEERS: %s",
					    errmsg);
		}
		for (i = 0; i < *n; i++) {
			if ((*peers)[i] == v) {
				free(*peers);
				return output_usage(
				    ctl, "reset-peers",
				    "PEERS: id %" PRIu64 " is listed twice", v);
			}
		}
		(*peers)[(*n)++] = v;
		if (comma == NULL) {
			break;
		}
		p = comma + 1;
	}
	return CTL_EXIT_OK;
}

static int run_reset_peers(struct ctl *ctl)
{
	cJSON *root = NULL;
	cJSON *results = NULL;
	char failures[2048] = "";
	size_t used = 0;
	raft_id *peers;
	unsigned n_peers;
	unsigned n_failed = 0;
	int first_err = 0;
	unsigned i;
	int status;

	if (ctl->opt[OPT_FORCE] == NULL) {
		return output_usage(ctl, "reset-peers",
				    "refusing without --force (forcing a "
				    "configuration without a quorum can lose "
				    "committed writes)");
	}
	status = parse_peers(ctl, ctl->pos[0], &peers, &n_peers);
	if (status != CTL_EXIT_OK) {
		return status;
	}
	if (ctl->output == CTL_OUTPUT_JSON) {
		root = cJSON_CreateObject();
		results = cJSON_AddArrayToObject(root, "results");
	}
	/* Every endpoint must adopt the new configuration: each is asked
	 * directly, and each answer is reported. */
	for (i = 0; i < raft_client_n_endpoints(ctl->client); i++) {
		const char *url = raft_client_endpoint(ctl->client, i);
		int rv =
		    raft_client_reset_peers(ctl->client, url, peers, n_peers);
		const char *msg = raft_client_errmsg(ctl->client);
		if (rv != 0) {
			int n = snprintf(failures + used,
					 sizeof(failures) - used, "%s%s: %s",
					 n_failed > 0 ? "; " : "", url, msg);
			if (n > 0 && (size_t)n < sizeof(failures) - used) {
				used += (size_t)n;
			}
			if (first_err == 0) {
				first_err = rv;
			}
			n_failed++;
		} else if (ctl->output == CTL_OUTPUT_TABLE) {
			printf("%s: configuration forced to %s; the member "
			       "leads once it wins an election\n",
			       url, ctl->pos[0]);
		}
		if (results != NULL) {
			cJSON *r = cJSON_CreateObject();
			cJSON_AddItemToArray(results, r);
			cJSON_AddStringToObject(r, "endpoint", url);
			if (rv != 0) {
				cJSON *e = cJSON_AddObjectToObject(r, "error");
				cJSON_AddStringToObject(e, "code",
							raft_err_name(rv));
				cJSON_AddStringToObject(e, "message", msg);
			} else {
				cJSON *ids = cJSON_AddArrayToObject(r, "peers");
				for (unsigned k = 0; ids != NULL && k < n_peers;
				     k++) {
					cJSON_AddItemToArray(
					    ids, cJSON_CreateNumber(
						     (double)peers[k]));
				}
				cJSON_AddBoolToObject(r, "ok", 1);
			}
		}
	}
	free(peers);
	if (root != NULL) {
		status = output_json(ctl, root);
	}
	if (n_failed > 0) {
		output_error(ctl, "reset-peers", first_err, "%s", failures);
		return CTL_EXIT_FAILURE;
	}
	return status;
}

static const char *const member_add_names[] = {"ID", "PEER_URL", "CLIENT_URL"};
static const char *const id_names[] = {"ID"};
static const char *const peers_names[] = {"PEERS"};

static const struct arg_option member_add_options[] = {
    {"learner", 0, false, OPT_LEARNER},
    {NULL, 0, false, 0},
};

static const struct arg_option snapshot_options[] = {
    {"node", 0, true, OPT_NODE},
    {NULL, 0, false, 0},
};

static const struct arg_option reset_peers_options[] = {
    {"force", 0, false, OPT_FORCE},
    {NULL, 0, false, 0},
};

const struct ctl_command cmd_member_list = {
    .name = "member list",
    .synopsis = "",
    .summary = "list the members of the configuration",
    .help = "Asks the leader when the client knows it; its answer adds each "
	    "member's\n"
	    "replication progress (MATCH, NEXT, HEALTHY).\n",
    .run = run_member_list,
};

const struct ctl_command cmd_member_add = {
    .name = "member add",
    .synopsis = "ID PEER_URL CLIENT_URL [--learner]",
    .summary = "add a member",
    .help = "PEER_URL is HOST:PORT of the new member's peer port, CLIENT_URL "
	    "its HTTP API\n"
	    "(http://HOST:PORT). Start the new member with raftd --join "
	    "first. Prints\n"
	    "the change once it is committed.\n"
	    "\n"
	    "  --learner  add it as a learner (no vote); promote it once it "
	    "caught up\n",
    .options = member_add_options,
    .min_pos = 3,
    .max_pos = 3,
    .pos_names = member_add_names,
    .run = run_member_add,
};

const struct ctl_command cmd_member_promote = {
    .name = "member promote",
    .synopsis = "ID",
    .summary = "turn a caught-up learner into a voter",
    .help = "Fails while the learner lags behind (the message says how far) "
	    "or has not\n"
	    "answered the leader within an election timeout.\n",
    .min_pos = 1,
    .max_pos = 1,
    .pos_names = id_names,
    .run = run_member_promote,
};

const struct ctl_command cmd_member_remove = {
    .name = "member remove",
    .synopsis = "ID",
    .summary = "remove a member",
    .help = "Removing the leader makes it hand over to another voter. The "
	    "last voter\n"
	    "cannot be removed. Stop the removed member's raftd afterwards.\n",
    .min_pos = 1,
    .max_pos = 1,
    .pos_names = id_names,
    .run = run_member_remove,
};

const struct ctl_command cmd_transfer_leader = {
    .name = "transfer-leader",
    .synopsis = "[ID]",
    .summary = "hand leadership over to ID (default: the leader picks)",
    .help = "Waits until another node leads and prints it; fails, naming "
	    "who leads, when\n"
	    "leadership did not move within two election timeouts.\n",
    .min_pos = 0,
    .max_pos = 1,
    .pos_names = id_names,
    .run = run_transfer_leader,
};

const struct ctl_command cmd_snapshot = {
    .name = "snapshot",
    .synopsis = "[--node ID]",
    .summary = "take a snapshot now and print its index",
    .help = "  --node ID  on member ID (default: the leader)\n",
    .options = snapshot_options,
    .run = run_snapshot,
};

const struct ctl_command cmd_reset_peers = {
    .name = "reset-peers",
    .synopsis = "PEERS --force",
    .summary = "unsafe recovery: force the members to PEERS (ids: 1,2)",
    .help = "For a cluster that lost its majority for good. Sent to every "
	    "endpoint given:\n"
	    "give only the surviving nodes as endpoints, and list their ids "
	    "as PEERS.\n"
	    "Committed writes that only the lost nodes held are lost; there is "
	    "no undo.\n"
	    "Wipe the lost nodes' data dirs before they come back; add new "
	    "members with\n"
	    "member add once a leader is elected.\n"
	    "\n"
	    "  --force  required\n",
    .options = reset_peers_options,
    .min_pos = 1,
    .max_pos = 1,
    .pos_names = peers_names,
    .run = run_reset_peers,
};
