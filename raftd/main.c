/* raftd: one member of a Raft-replicated key-value store (raftd(8)). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "join.h"
#include "kv.h"
#include "options.h"
#include "raft/log.h"
#include "raft/node.h"
#include "raft/storage.h"

/* How long a joining member asks the seeds for the current members. */
#define JOIN_ASK_TIMEOUT_MS 3000

struct daemon {
	struct event_base *base;
	struct http_server *http;
	struct raft_node *node;
	struct kv *kv;
	struct event *sigterm_ev;
	struct event *sigint_ev;
	bool stopping;
};

/* The id in every log line; 0 until known. */
static raft_id log_id;

static void log_sink(void *arg, int level, const char *line)
{
	(void)arg;
	fprintf(stderr, "raftd[%llu] %s %s\n", (unsigned long long)log_id,
		raft_log_level_name(level), line);
}

/* Prints "raftd: what" on stderr and returns status, for one-line exits. */
static int fail(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("raftd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* Whether dir holds anything besides what raftd puts there; names the
 * first stranger in found. A missing dir holds nothing. */
static int check_dir_is_ours(const char *dir, char *found, size_t found_len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	found[0] = '\0';
	if (d == NULL) {
		return errno == ENOENT ? 0 : -errno;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, "log") == 0 ||
		    strcmp(e->d_name, "kv") == 0 ||
		    strcmp(e->d_name, "snapshots") == 0) {
			continue;
		}
		snprintf(found, found_len, "%s", e->d_name);
		break;
	}
	closedir(d);
	return 0;
}

/* Looks at the data dir before anything is written there: sets *is_new
 * when it holds no log yet. Returns an exit status (0: go on), having
 * printed why. */
static int check_data_dir(const struct raftd_options *o, const char *log_dir,
			  bool *is_new)
{
	struct raft_storage *storage;
	const struct raft_storage_meta *meta;
	char errmsg[512];
	char found[256];
	int rv;
	rv = raft_storage_open(log_dir, &storage, errmsg, sizeof(errmsg));
	if (rv == RAFT_ENOTFOUND) {
		rv = check_dir_is_ours(o->data_dir, found, sizeof(found));
		if (rv != 0) {
			return fail(RAFTD_EXIT_FAILURE, "data dir %s: %s",
				    o->data_dir, strerror(-rv));
		}
		if (found[0] != '\0') {
			return fail(RAFTD_EXIT_FAILURE,
				    "data dir %s holds no raftd log but is "
				    "not empty (found \"%s\")",
				    o->data_dir, found);
		}
		if (o->join && o->initial_cluster == NULL) {
			return fail(RAFTD_EXIT_USAGE,
				    "--join: needs --initial-cluster, the "
				    "members of the cluster to join");
		}
		if (o->id == 0 || o->initial_cluster == NULL) {
			return fail(RAFTD_EXIT_USAGE,
				    "data dir %s holds no log yet: a new "
				    "member needs --id and --initial-cluster",
				    o->data_dir);
		}
		*is_new = true;
		return 0;
	}
	if (rv != 0) {
		return fail(RAFTD_EXIT_FAILURE, "%s", errmsg);
	}
	/* raft_node_new() checks this again; checking here first leaves a
	 * foreign data dir untouched (the KV store is not even opened). */
	meta = raft_storage_meta(storage);
	log_id = meta->id;
	if (o->id != 0 && o->id != meta->id) {
		rv = fail(RAFTD_EXIT_FAILURE,
			  "data dir %s belongs to node %llu, not node %llu",
			  o->data_dir, (unsigned long long)meta->id,
			  (unsigned long long)o->id);
	} else if (o->cluster_given &&
		   options_cluster_id(o->cluster) != meta->cluster_id) {
		rv = fail(RAFTD_EXIT_FAILURE,
			  "data dir %s belongs to another cluster (id "
			  "%016llx), not \"%s\" (id %016llx)",
			  o->data_dir, (unsigned long long)meta->cluster_id,
			  o->cluster,
			  (unsigned long long)options_cluster_id(o->cluster));
	}
	raft_storage_close(storage);
	*is_new = false;
	return rv;
}

static void on_fatal(void *arg, int err, const char *msg)
{
	(void)arg;
	raft_log(RAFT_LOG_ERROR,
		 "the node stopped (%s): %s; writes are refused, status and "
		 "stale reads go on",
		 raft_err_name(err), msg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	/* Long enough to flush the answers that raft_node_free() gives the
	 * waiting requests. */
	struct timeval flush = {0, 200 * 1000};
	(void)what;
	if (d->stopping) {
		return;
	}
	d->stopping = true;
	raft_log(RAFT_LOG_INFO, "%s: shutting down",
		 sig == SIGTERM ? "SIGTERM" : "SIGINT");
	http_server_detach(d->http);
	raft_node_free(d->node);
	d->node = NULL;
	event_base_loopexit(d->base, &flush);
}

static int run(const struct raftd_options *o)
{
	struct daemon d;
	struct raft_configuration initial;
	struct raft_node_config nc;
	struct http_config hc;
	struct raft_node_status st;
	char log_dir[PATH_MAX], kv_dir[PATH_MAX];
	char errmsg[512];
	evutil_socket_t probe;
	bool is_new = false;
	int status = RAFTD_EXIT_FAILURE;
	int rv;

	memset(&d, 0, sizeof(d));
	raft_configuration_init(&initial);
	snprintf(log_dir, sizeof(log_dir), "%s/log", o->data_dir);
	snprintf(kv_dir, sizeof(kv_dir), "%s/kv", o->data_dir);

	if (o->initial_cluster != NULL) {
		rv = options_parse_cluster(o->initial_cluster, &initial, errmsg,
					   sizeof(errmsg));
		if (rv != 0) {
			status = fail(RAFTD_EXIT_USAGE, "--initial-cluster: %s",
				      errmsg);
			goto out;
		}
	}
	status = check_data_dir(o, log_dir, &is_new);
	if (status != 0) {
		goto out;
	}
	status = RAFTD_EXIT_FAILURE;
	if (is_new && !o->join &&
	    raft_configuration_get(&initial, o->id) == NULL) {
		status = fail(RAFTD_EXIT_USAGE,
			      "--initial-cluster: this member (id %llu) is not "
			      "listed",
			      (unsigned long long)o->id);
		goto out;
	}
	/* A joining member hears from the cluster's members; it answers
	 * them at the addresses of the list (itself may be listed). */
	if (is_new && o->join &&
	    initial.n - (raft_configuration_get(&initial, o->id) != NULL) ==
		0) {
		status = fail(RAFTD_EXIT_USAGE,
			      "--join: --initial-cluster lists no member but "
			      "this one (id %llu); list the members of the "
			      "cluster to join",
			      (unsigned long long)o->id);
		goto out;
	}
	if (is_new && o->join) {
		/* The list may be out of date (a leader added since): it
		 * names seeds to ask for the current members. */
		join_learn_members(&initial, o->id, JOIN_ASK_TIMEOUT_MS);
	}
	if (!is_new && o->initial_cluster != NULL && !o->join) {
		raft_log(RAFT_LOG_INFO,
			 "the data dir holds a log: --initial-cluster is not "
			 "used");
	}
	if (!is_new && o->join) {
		raft_log(RAFT_LOG_INFO,
			 "the data dir holds a log: this member restarts; "
			 "--join only matters for a new data dir");
	}

	d.base = event_base_new();
	if (d.base == NULL) {
		fail(RAFTD_EXIT_FAILURE, "cannot create the event loop");
		goto out;
	}
	/* Both ports before the data dir: a taken port changes nothing. */
	hc.listen = o->listen_client;
	hc.max_value_bytes = o->max_value_bytes;
	hc.request_timeout_ms = o->request_timeout_ms;
	hc.tick_ms = o->tick_ms;
	hc.election_ticks = o->election_ticks;
	hc.enable_failpoints = o->enable_failpoints;
	rv = http_server_new(d.base, &hc, &d.http, errmsg, sizeof(errmsg));
	if (rv != 0) {
		fail(RAFTD_EXIT_FAILURE, "client %s", errmsg);
		goto out;
	}
	rv = http_listen(o->listen_peer, &probe, errmsg, sizeof(errmsg));
	if (rv != 0) {
		fail(RAFTD_EXIT_FAILURE, "peer %s", errmsg);
		goto out;
	}
	/* The node binds it again at once; SO_REUSEADDR lets it. */
	close(probe);

	if (mkdir(o->data_dir, 0750) != 0 && errno != EEXIST) {
		fail(RAFTD_EXIT_FAILURE, "data dir %s: %s", o->data_dir,
		     strerror(errno));
		goto out;
	}
	rv = kv_open(kv_dir, &d.kv, errmsg, sizeof(errmsg));
	if (rv != 0) {
		fail(RAFTD_EXIT_FAILURE, "%s", errmsg);
		goto out;
	}

	raft_node_config_defaults(&nc);
	nc.id = o->id;
	/* A restarted member takes its cluster id from the data dir unless
	 * one was asked for. */
	nc.cluster_id =
	    is_new || o->cluster_given ? options_cluster_id(o->cluster) : 0;
	nc.data_dir = o->data_dir;
	nc.listen = o->listen_peer;
	/* A member that joined may restart before its configuration came:
	 * the list then still tells it whom to answer (the node uses it
	 * only while it knows no configuration). */
	nc.initial = is_new || o->join ? &initial : NULL;
	nc.join = is_new && o->join;
	nc.tick_ms = o->tick_ms;
	nc.election_ticks = o->election_ticks;
	nc.snapshot_entries = o->snapshot_entries;
	nc.snapshot_bytes = o->snapshot_bytes;
	nc.snapshot_trailing = o->snapshot_trailing;
	nc.snapshot_keep = o->snapshot_keep;
	nc.on_fatal = on_fatal;
	nc.on_fatal_arg = &d;
	rv = raft_node_new(d.base, &nc, kv_fsm(d.kv), &d.node, errmsg,
			   sizeof(errmsg));
	if (rv != 0) {
		/* No log and no members: the invocation is incomplete. */
		status = fail(rv == RAFT_ENOTFOUND ? RAFTD_EXIT_USAGE
						   : RAFTD_EXIT_FAILURE,
			      "%s", errmsg);
		goto out;
	}
	raft_node_status(d.node, &st);
	log_id = st.core.id;
	if (st.n_peers == 0) {
		raft_log(RAFT_LOG_INFO,
			 "no configuration yet: waiting for the leader to add "
			 "member %llu (raftctl member add)",
			 (unsigned long long)st.core.id);
	}
	http_server_attach(d.http, d.node, d.kv);

	d.sigterm_ev = evsignal_new(d.base, SIGTERM, on_signal, &d);
	d.sigint_ev = evsignal_new(d.base, SIGINT, on_signal, &d);
	if (d.sigterm_ev == NULL || d.sigint_ev == NULL ||
	    event_add(d.sigterm_ev, NULL) != 0 ||
	    event_add(d.sigint_ev, NULL) != 0) {
		fail(RAFTD_EXIT_FAILURE, "cannot watch SIGTERM and SIGINT");
		goto out;
	}
	raft_log(RAFT_LOG_INFO, "clients on http://%s, data in %s",
		 o->listen_client, o->data_dir);
	if (o->enable_failpoints) {
		raft_log(
		    RAFT_LOG_WARN,
		    "FAILPOINTS ENABLED: any client of http://%s may fail "
		    "this member's disk and cut its links with PUT "
		    "/v1/debug/faults; for tests only, never in production",
		    o->listen_client);
	}
	if (event_base_dispatch(d.base) < 0) {
		fail(RAFTD_EXIT_FAILURE, "the event loop failed");
		goto out;
	}
	raft_log(RAFT_LOG_INFO, "stopped");
	status = RAFTD_EXIT_OK;

out:
	if (d.http != NULL) {
		http_server_detach(d.http);
	}
	raft_node_free(d.node);
	http_server_free(d.http);
	kv_close(d.kv);
	if (d.sigterm_ev != NULL) {
		event_free(d.sigterm_ev);
	}
	if (d.sigint_ev != NULL) {
		event_free(d.sigint_ev);
	}
	if (d.base != NULL) {
		event_base_free(d.base);
	}
	raft_configuration_close(&initial);
	return status;
}

int main(int argc, char **argv)
{
	struct raftd_options o;
	char errmsg[1024];
	int rv;
	/* A peer or client that hangs up must not kill the daemon: writes
	 * to its socket fail with EPIPE instead (the HTTP server also sends
	 * with MSG_NOSIGNAL; the peer transport's bufferevents do not). */
	signal(SIGPIPE, SIG_IGN);
	rv = options_parse(argc, argv, &o, errmsg, sizeof(errmsg));
	if (rv < 0) {
		options_close(&o);
		return fail(rv == RAFT_ENOMEM ? RAFTD_EXIT_FAILURE
					      : RAFTD_EXIT_USAGE,
			    "%s", errmsg);
	}
	if (rv == OPTIONS_DONE) {
		options_close(&o);
		return RAFTD_EXIT_OK;
	}
	log_id = o.id;
	raft_log_configure(o.log_level, log_sink, NULL);
	rv = run(&o);
	options_close(&o);
	return rv;
}
