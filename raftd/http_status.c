/* raftd's inspection endpoints: /v1/status, /v1/members, /v1/health and
 * /metrics, all read from raft_node_status() on the loop thread. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <event2/buffer.h>
#include <string.h>

#include "http_internal.h"
#include "options.h"

static const char *state_name(const struct raft_core_status *st)
{
	switch (st->role) {
	case RAFT_LEADER:
		return "leader";
	case RAFT_CANDIDATE:
	case RAFT_PRE_CANDIDATE:
		return "candidate";
	default:
		return st->learner ? "learner" : "follower";
	}
}

static const char *progress_name(uint8_t state)
{
	switch (state) {
	case RAFT_PROGRESS_PROBE:
		return "probe";
	case RAFT_PROGRESS_REPLICATE:
		return "replicate";
	case RAFT_PROGRESS_SNAPSHOT:
		return "snapshot";
	default:
		return "unknown";
	}
}

/* Appends the member list as a JSON array. */
void http_status_add_members(struct evbuffer *b,
			     const struct raft_node_status *st)
{
	evbuffer_add(b, "[", 1);
	for (unsigned i = 0; i < st->n_peers; i++) {
		const struct raft_node_peer *p = &st->peers[i];
		char peer[OPTIONS_ADDR_MAX + 16];
		char client[OPTIONS_ADDR_MAX + 16];
		http_split_member_address(p->address, peer, sizeof(peer),
					  client, sizeof(client));
		evbuffer_add_printf(
		    b, "%s{\"id\":%llu,\"peer_url\":", i > 0 ? "," : "",
		    (unsigned long long)p->id);
		http_json_string(b, peer, strlen(peer));
		evbuffer_add_printf(b, ",\"client_url\":");
		http_json_string(b, client, strlen(client));
		evbuffer_add_printf(b, ",\"voter\":%s",
				    p->role == RAFT_VOTER ? "true" : "false");
		if (p->have_progress) {
			evbuffer_add_printf(
			    b,
			    ",\"match_index\":%llu,\"next_index\":%llu,"
			    "\"healthy\":%s",
			    (unsigned long long)p->match_index,
			    (unsigned long long)p->next_index,
			    p->healthy ? "true" : "false");
			/* How the leader replicates to the member (not to
			 * itself); "snapshot": the member is too far behind
			 * for the log and receives the snapshot file. */
			if (p->id != st->core.id) {
				evbuffer_add_printf(b, ",\"progress\":\"%s\"",
						    progress_name(p->state));
			}
			if (p->id != st->core.id &&
			    p->state == RAFT_PROGRESS_SNAPSHOT) {
				evbuffer_add_printf(
				    b,
				    ",\"snapshot_sent\":%llu,"
				    "\"snapshot_size\":%llu",
				    (unsigned long long)p->snapshot_sent,
				    (unsigned long long)p->snapshot_size);
			}
		}
		evbuffer_add(b, "}", 1);
	}
	evbuffer_add(b, "]", 1);
}

/* Answers 503 shutting_down when the node is gone; returns whether it is
 * there. */
static bool have_node(struct http_server *s, struct httpd_request *req)
{
	if (s->node == NULL) {
		http_reply_error(s, req, 503, HTTP_ERR_SHUTTING_DOWN,
				 "the server is shutting down");
		return false;
	}
	return true;
}

void http_status_serve(struct http_server *s, struct httpd_request *req)
{
	struct raft_node_status st;
	struct evbuffer *b;
	char url[OPTIONS_ADDR_MAX + 16];
	raft_id leader;
	if (!have_node(s, req)) {
		return;
	}
	b = evbuffer_new();
	if (b == NULL) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory");
		return;
	}
	http_leader(s, &leader, url, sizeof(url));
	raft_node_status(s->node, &st);
	evbuffer_add_printf(
	    b,
	    "{\"id\":%llu,\"state\":\"%s\",\"term\":%llu,\"leader_id\":%llu,",
	    (unsigned long long)st.core.id, state_name(&st.core),
	    (unsigned long long)st.core.term,
	    (unsigned long long)st.core.leader_id);
	if (url[0] != '\0') {
		evbuffer_add_printf(b, "\"leader_url\":");
		http_json_string(b, url, strlen(url));
		evbuffer_add(b, ",", 1);
	}
	evbuffer_add_printf(b,
			    "\"commit_index\":%llu,\"applied_index\":%llu,"
			    "\"last_log_index\":%llu,\"first_log_index\":%llu,"
			    "\"snapshot_index\":%llu,\"snapshot_saving\":%s,",
			    (unsigned long long)st.core.commit_index,
			    (unsigned long long)st.core.applied_index,
			    (unsigned long long)st.core.last_index,
			    (unsigned long long)st.core.first_index,
			    (unsigned long long)st.core.snapshot_index,
			    st.snapshot_saving ? "true" : "false");
	/* A snapshot this member is receiving from the leader, or null. */
	if (st.install_index != 0) {
		evbuffer_add_printf(
		    b,
		    "\"installing\":{\"index\":%llu,\"received\":%llu,"
		    "\"size\":%llu},",
		    (unsigned long long)st.install_index,
		    (unsigned long long)st.install_received,
		    (unsigned long long)st.install_size);
	} else {
		evbuffer_add_printf(b, "\"installing\":null,");
	}
	/* Why the node stopped (then the fields above are its last view),
	 * or null. */
	evbuffer_add_printf(b, "\"fatal\":");
	if (st.fatal != NULL) {
		http_json_string(b, st.fatal, strlen(st.fatal));
	} else {
		evbuffer_add_printf(b, "null");
	}
	evbuffer_add(b, ",", 1);
	evbuffer_add_printf(b, "\"members\":");
	http_status_add_members(b, &st);
	evbuffer_add_printf(b, "}\n");
	http_reply_json(s, req, 200, b);
	evbuffer_free(b);
}

void http_status_members(struct http_server *s, struct httpd_request *req)
{
	struct raft_node_status st;
	struct evbuffer *b;
	if (!have_node(s, req)) {
		return;
	}
	b = evbuffer_new();
	if (b == NULL) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory");
		return;
	}
	raft_node_status(s->node, &st);
	/* Who answers and whom it follows: a client that wants the leader's
	 * view (with the progress fields) knows where to ask. */
	evbuffer_add_printf(b, "{\"id\":%llu,\"leader_id\":%llu,\"members\":",
			    (unsigned long long)st.core.id,
			    (unsigned long long)st.core.leader_id);
	http_status_add_members(b, &st);
	evbuffer_add_printf(b, "}\n");
	http_reply_json(s, req, 200, b);
	evbuffer_free(b);
}

void http_status_health(struct http_server *s, struct httpd_request *req)
{
	struct raft_node_status st;
	struct evbuffer *b;
	bool member = false;
	if (!have_node(s, req)) {
		return;
	}
	raft_node_status(s->node, &st);
	for (unsigned i = 0; i < st.n_peers; i++) {
		member = member || st.peers[i].id == st.core.id;
	}
	if (st.fatal != NULL) {
		http_reply_error(s, req, 503, HTTP_ERR_NODE_STOPPED,
				 "the node stopped: %s", st.fatal);
		return;
	}
	if (!member) {
		http_reply_error(s, req, 503, HTTP_ERR_NOT_MEMBER,
				 "node %llu is not in the configuration",
				 (unsigned long long)st.core.id);
		return;
	}
	if (st.core.leader_id == 0) {
		http_reply_error(s, req, 503, HTTP_ERR_NO_LEADER,
				 "no leader is known right now");
		return;
	}
	b = evbuffer_new();
	if (b == NULL) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory");
		return;
	}
	evbuffer_add_printf(b, "{\"healthy\":true,\"leader_id\":%llu}\n",
			    (unsigned long long)st.core.leader_id);
	http_reply_json(s, req, 200, b);
	evbuffer_free(b);
}

static void metric_header(struct evbuffer *b, const char *name,
			  const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
			    type);
}

static void gauge(struct evbuffer *b, const char *name, const char *help,
		  unsigned long long value)
{
	metric_header(b, name, "gauge", help);
	evbuffer_add_printf(b, "%s %llu\n", name, value);
}

/* A histogram of n buckets (counts[i]: observations up to bounds[i] and
 * above the bound before; counts[n]: above every bound). */
static void histogram(struct evbuffer *b, const char *name, const char *help,
		      const double *bounds, const uint64_t *counts, int n,
		      double sum)
{
	uint64_t cumulative = 0;
	metric_header(b, name, "histogram", help);
	for (int i = 0; i <= n; i++) {
		cumulative += counts[i];
		if (i < n) {
			evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %llu\n",
					    name, bounds[i],
					    (unsigned long long)cumulative);
		} else {
			evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n",
					    name,
					    (unsigned long long)cumulative);
		}
	}
	evbuffer_add_printf(b, "%s_sum %.6f\n", name, sum);
	evbuffer_add_printf(b, "%s_count %llu\n", name,
			    (unsigned long long)cumulative);
}

void http_status_metrics(struct http_server *s, struct httpd_request *req)
{
	struct raft_node_status st;
	struct evbuffer *b;
	if (!have_node(s, req)) {
		return;
	}
	b = evbuffer_new();
	if (b == NULL) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory");
		return;
	}
	raft_node_status(s->node, &st);
	gauge(b, "raft_term", "Current term of this node.", st.core.term);
	gauge(b, "raft_commit_index", "Highest log index known committed.",
	      st.core.commit_index);
	gauge(b, "raft_applied_index",
	      "Highest log index applied to the state machine.",
	      st.core.applied_index);
	gauge(b, "raft_last_log_index", "Last index in this node's log.",
	      st.core.last_index);
	gauge(b, "raft_first_log_index", "First index in this node's log.",
	      st.core.first_index);
	gauge(b, "raft_snapshot_index",
	      "Index of this node's last snapshot (0: none).",
	      st.core.snapshot_index);
	gauge(b, "raft_snapshot_saving",
	      "1 while this node writes a snapshot, else 0.",
	      st.snapshot_saving);
	gauge(b, "raft_snapshot_install_index",
	      "Index of the snapshot this node receives from the leader (0: "
	      "none).",
	      st.install_index);
	gauge(b, "raft_snapshot_install_received_bytes",
	      "Bytes of that snapshot received so far.",
	      st.install_index != 0 ? st.install_received : 0);
	gauge(b, "raft_snapshot_install_size_bytes",
	      "Size of that snapshot in bytes.",
	      st.install_index != 0 ? st.install_size : 0);
	metric_header(b, "raft_snapshot_sent_bytes", "gauge",
		      "Leader only: bytes of a snapshot sent to a member and "
		      "acknowledged, by member id.");
	metric_header(b, "raft_snapshot_send_size_bytes", "gauge",
		      "Leader only: size of the snapshot being sent to a "
		      "member, by member id.");
	for (unsigned i = 0; i < st.n_peers; i++) {
		const struct raft_node_peer *p = &st.peers[i];
		if (!p->have_progress || p->state != RAFT_PROGRESS_SNAPSHOT) {
			continue;
		}
		evbuffer_add_printf(
		    b, "raft_snapshot_sent_bytes{id=\"%llu\"} %llu\n",
		    (unsigned long long)p->id,
		    (unsigned long long)p->snapshot_sent);
		evbuffer_add_printf(
		    b, "raft_snapshot_send_size_bytes{id=\"%llu\"} %llu\n",
		    (unsigned long long)p->id,
		    (unsigned long long)p->snapshot_size);
	}
	histogram(b, "raft_disk_write_seconds",
		  "Time of each synced write of log entries (one write carries "
		  "every batch queued: group commit).",
		  raft_node_write_bounds, st.disk_write_buckets,
		  RAFT_NODE_WRITE_BUCKETS, st.disk_write_seconds);
	metric_header(b, "raft_disk_entries_total", "counter",
		      "Log entries written; divided by "
		      "raft_disk_write_seconds_count, the mean batch.");
	evbuffer_add_printf(b, "raft_disk_entries_total %llu\n",
			    (unsigned long long)st.disk_entries);
	gauge(b, "raft_is_leader", "1 if this node is the leader, else 0.",
	      st.core.role == RAFT_LEADER);
	gauge(b, "raft_members", "Members in the configuration in force.",
	      st.n_peers);
	metric_header(b, "raft_leader_changes", "counter",
		      "Leader changes seen by this node (sampled each tick).");
	evbuffer_add_printf(b, "raft_leader_changes %llu\n",
			    (unsigned long long)s->leader_changes);

	metric_header(b, "raftd_http_requests_total", "counter",
		      "HTTP answers sent, by status code.");
	for (int code = 100; code < 600; code++) {
		if (s->replies[code] > 0) {
			evbuffer_add_printf(
			    b, "raftd_http_requests_total{code=\"%d\"} %llu\n",
			    code, (unsigned long long)s->replies[code]);
		}
	}
	metric_header(b, "raftd_errors_total", "counter",
		      "Error answers sent, by error code.");
	for (int e = 0; e < HTTP_N_ERRORS; e++) {
		evbuffer_add_printf(b, "raftd_errors_total{code=\"%s\"} %llu\n",
				    http_error_names[e],
				    (unsigned long long)s->errors[e]);
	}
	histogram(b, "raftd_apply_latency_seconds",
		  "Time from proposing a write to its being applied.",
		  http_latency_bounds, s->latency_counts, HTTP_LATENCY_BUCKETS,
		  s->latency_sum);
	http_send(s, req, 200, "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}
