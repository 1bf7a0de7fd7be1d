/* raftctl status: every member's view of the cluster. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "raft/error.h"
#include "raftctl.h"

static bool is_unreachable(int err)
{
	return err == RAFT_EIO || err == RAFT_ETIMEDOUT;
}

static cJSON *node_json(const struct raft_client_node *node)
{
	const struct raft_client_status *st = &node->status;
	cJSON *obj = cJSON_CreateObject();
	cJSON *members;
	cJSON *err;
	unsigned i;
	bool ok;

	if (obj == NULL) {
		return NULL;
	}
	ok = (node->id != 0
		  ? cJSON_AddNumberToObject(obj, "id", (double)node->id)
		  : cJSON_AddNullToObject(obj, "id")) != NULL &&
	     cJSON_AddStringToObject(obj, "endpoint", node->url) != NULL;
	if (ok && node->err != 0) {
		err = cJSON_AddObjectToObject(obj, "error");
		ok = err != NULL &&
		     cJSON_AddStringToObject(err, "code",
					     raft_err_name(node->err)) &&
		     cJSON_AddStringToObject(err, "message", node->errmsg);
	} else if (ok) {
		ok = cJSON_AddBoolToObject(obj, "leader",
					   strcmp(st->state, "leader") == 0) &&
		     cJSON_AddStringToObject(obj, "state", st->state) &&
		     cJSON_AddNumberToObject(obj, "term", (double)st->term) &&
		     cJSON_AddNumberToObject(obj, "leader_id",
					     (double)st->leader_id) &&
		     cJSON_AddNumberToObject(obj, "commit_index",
					     (double)st->commit_index) &&
		     cJSON_AddNumberToObject(obj, "applied_index",
					     (double)st->applied_index) &&
		     cJSON_AddNumberToObject(obj, "last_log_index",
					     (double)st->last_log_index) &&
		     cJSON_AddNumberToObject(obj, "snapshot_index",
					     (double)st->snapshot_index) &&
		     cJSON_AddNumberToObject(obj, "first_log_index",
					     (double)st->first_log_index) &&
		     cJSON_AddBoolToObject(obj, "snapshot_saving",
					   st->snapshot_saving);
		if (ok && st->installing) {
			cJSON *in = cJSON_AddObjectToObject(obj, "installing");
			ok =
			    in != NULL &&
			    cJSON_AddNumberToObject(
				in, "index", (double)st->install_index) &&
			    cJSON_AddNumberToObject(
				in, "received", (double)st->install_received) &&
			    cJSON_AddNumberToObject(in, "size",
						    (double)st->install_size);
		} else if (ok) {
			ok = cJSON_AddNullToObject(obj, "installing") != NULL;
		}
		members = ok ? cJSON_AddArrayToObject(obj, "members") : NULL;
		ok = members != NULL;
		for (i = 0; ok && i < st->n_members; i++) {
			ok = output_json_member(members, &st->members[i]);
		}
	}
	if (!ok) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

static int print_json(struct ctl *ctl, const struct raft_client_cluster *cl)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *nodes = cJSON_AddArrayToObject(root, "nodes");
	unsigned i;
	if (nodes == NULL) {
		cJSON_Delete(root);
		root = NULL;
	}
	for (i = 0; root != NULL && i < cl->n_nodes; i++) {
		cJSON *node = node_json(&cl->nodes[i]);
		if (node == NULL || !cJSON_AddItemToArray(nodes, node)) {
			cJSON_Delete(node);
			cJSON_Delete(root);
			root = NULL;
		}
	}
	return output_json(ctl, root);
}

/* "45%" of received bytes out of size (0% while the size is unknown). */
static void percent(char *buf, size_t len, uint64_t received, uint64_t size)
{
	unsigned pc = 0;
	if (size > 0) {
		pc = (unsigned)((received >= size ? size : received) * 100.0 /
				(double)size);
	}
	snprintf(buf, len, "%u%%", pc);
}

/* After the table, one line per member receiving a snapshot: from its own
 * status when it answered, else from the leader's view of it. */
static void print_installs(const struct raft_client_cluster *cl)
{
	const struct raft_client_status *leader = NULL;
	char pc[8];
	unsigned i, k;
	for (i = 0; i < cl->n_nodes; i++) {
		const struct raft_client_node *node = &cl->nodes[i];
		if (node->err == 0 &&
		    strcmp(node->status.state, "leader") == 0) {
			leader = &node->status;
		}
	}
	for (i = 0; i < cl->n_nodes; i++) {
		const struct raft_client_node *node = &cl->nodes[i];
		const struct raft_client_status *st = &node->status;
		if (node->err == 0 && st->installing) {
			percent(pc, sizeof(pc), st->install_received,
				st->install_size);
			printf("node %" PRIu64 ": installing snapshot %" PRIu64
			       " (%s, %" PRIu64 " of %" PRIu64 " bytes)\n",
			       node->id, st->install_index, pc,
			       st->install_received, st->install_size);
			continue;
		}
		for (k = 0; leader != NULL && k < leader->n_members; k++) {
			const struct raft_client_member *m =
			    &leader->members[k];
			if (m->id != node->id || node->id == 0 ||
			    !m->sending_snapshot) {
				continue;
			}
			if (m->snapshot_size == 0) {
				/* The leader is still opening the file. */
				printf("node %" PRIu64 ": installing a "
				       "snapshot (starting)\n",
				       node->id);
				continue;
			}
			percent(pc, sizeof(pc), m->snapshot_sent,
				m->snapshot_size);
			printf("node %" PRIu64 ": installing a snapshot (%s "
			       "sent, %" PRIu64 " of %" PRIu64 " bytes)\n",
			       node->id, pc, m->snapshot_sent,
			       m->snapshot_size);
		}
	}
}

static int print_table(struct ctl *ctl, const struct raft_client_cluster *cl)
{
	static const char *const header[] = {
	    "",	      "ID",	 "ENDPOINT",   "ROLE", "TERM",
	    "COMMIT", "APPLIED", "LAST INDEX", "ERROR"};
	struct table t;
	unsigned n_cols = 8;
	unsigned i;
	int status;

	for (i = 0; i < cl->n_nodes; i++) {
		if (cl->nodes[i].err != 0) {
			n_cols = 9;
		}
	}
	table_init(&t, n_cols, header);
	for (i = 0; i < cl->n_nodes; i++) {
		const struct raft_client_node *node = &cl->nodes[i];
		const struct raft_client_status *st = &node->status;
		char id[24] = "?";
		char term[24] = "-";
		char commit[24] = "-";
		char applied[24] = "-";
		char last[24] = "-";
		const char *cells[9];
		if (node->id != 0) {
			snprintf(id, sizeof(id), "%" PRIu64, node->id);
		}
		if (node->err == 0) {
			snprintf(term, sizeof(term), "%" PRIu64, st->term);
			snprintf(commit, sizeof(commit), "%" PRIu64,
				 st->commit_index);
			snprintf(applied, sizeof(applied), "%" PRIu64,
				 st->applied_index);
			snprintf(last, sizeof(last), "%" PRIu64,
				 st->last_log_index);
		}
		cells[0] = node->err == 0 && strcmp(st->state, "leader") == 0
			       ? "*"
			       : "";
		cells[1] = id;
		cells[2] = node->url;
		cells[3] = node->err == 0	       ? st->state
			   : is_unreachable(node->err) ? "unreachable"
						       : "error";
		cells[4] = term;
		cells[5] = commit;
		cells[6] = applied;
		cells[7] = last;
		cells[8] = node->err == 0 ? "" : node->errmsg;
		table_row(&t, cells);
	}
	status = table_print(ctl, &t);
	if (status == CTL_EXIT_OK) {
		print_installs(cl);
	}
	return status;
}

static int run_status(struct ctl *ctl)
{
	struct raft_client_cluster cl = {0, NULL};
	int status;
	int rv = raft_client_status_all(ctl->client, &cl);
	if (rv != 0) {
		return output_client_error(ctl, "status", rv);
	}
	if (ctl->output == CTL_OUTPUT_JSON) {
		status = print_json(ctl, &cl);
	} else {
		status = print_table(ctl, &cl);
	}
	raft_client_cluster_close(&cl);
	return status;
}

const struct ctl_command cmd_status = {
    .name = "status",
    .synopsis = "",
    .summary = "show every member's role, term and indexes",
    .help = "Asks every endpoint, and every member they list, for its "
	    "status; the leader is\n"
	    "marked with *. Nodes that do not answer are listed as "
	    "unreachable. A member\n"
	    "receiving a snapshot from the leader gets a line after the "
	    "table with its\n"
	    "progress. Fails only when no node answers.\n",
    .run = run_status,
};
