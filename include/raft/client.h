/* The cluster client: administers and uses a raftd cluster over its HTTP/JSON
 * API (shared/API.md), the C counterpart of SOFAJRaft's CliService.
 *
 * A client holds a list of endpoints (the client URLs of some or all of the
 * cluster's nodes) and finds the leader itself: it follows 307 redirects,
 * uses the leader_url of error answers, remembers the leader for the next
 * call, and moves on to another endpoint when one cannot be reached. Each
 * call blocks until it has an answer or until the client's timeout, which
 * bounds the whole call (retries and redirects included).
 *
 * Threads: a client is used by one thread at a time; create one client per
 * thread. raft_client_new() calls curl_global_init(), which libcurl
 * documents as not thread-safe in older builds: a threaded program should
 * call curl_global_init() once itself before creating clients.
 *
 * Errors: every fallible call returns 0 or a negative RAFT_E* code
 * (raft/error.h) and keeps a one-line message that says exactly what
 * happened, read with raft_client_errmsg(); when a server refused the
 * request, the message carries the server's own message. Codes shared by
 * all the calls that talk to a cluster:
 *   RAFT_EIO         no endpoint could be reached, the connection broke
 *                    (after a write left, its outcome is unknown), or the
 *                    server failed (HTTP 5xx other than those below);
 *   RAFT_ETIMEDOUT   no answer within the timeout, or the server could not
 *                    commit in time (the outcome of a write is unknown);
 *   RAFT_ENOTLEADER  no leader is known (an election is going on, or a
 *                    majority is lost) until the timeout;
 *   RAFT_ESHUTDOWN   the node is shutting down or stopped after a fatal
 *                    error;
 *   RAFT_EINVAL      the server refused the request as malformed (400);
 *   RAFT_EPROTO      the answer does not follow the API, or the server does
 *                    not support the call (HTTP 501; the message then says
 *                    "not supported by this server");
 *   RAFT_ENOMEM      out of memory.
 *
 * Memory: what the client hands over (values, status and list structs) is
 * allocated with raft_malloc() and released with raft_free() or with the
 * _close() function of its struct. Every pointer argument is borrowed: valid
 * for the call only, the client copies what it keeps. */
#ifndef RAFT_CLIENT_H
#define RAFT_CLIENT_H

#include <stdbool.h>

#include "raft/common.h"

struct raft_client;

/* Defaults of struct raft_client_config. */
#define RAFT_CLIENT_DEFAULT_TIMEOUT_MS	       5000
#define RAFT_CLIENT_DEFAULT_CONNECT_TIMEOUT_MS 1000

/* Largest key the API accepts (API.md): keys are 1..4096 bytes. */
#define RAFT_CLIENT_KEY_MAX 4096

struct raft_client_config {
	/* The endpoints, tried in this order: "HOST:PORT", "[IPV6]:PORT" or
	 * an http:// or https:// URL without a path ("http://HOST:PORT/").
	 * At least one. The strings are copied. */
	const char *const *endpoints;
	unsigned n_endpoints;
	/* Bounds a whole call, retries and redirects included; > 0. */
	unsigned timeout_ms;
	/* Bounds each TCP (and TLS) connection set-up, so that an endpoint
	 * that does not answer leaves time for the next; > 0, at most
	 * timeout_ms is used. */
	unsigned connect_timeout_ms;
	/* Keep connections open between calls (HTTP keep-alive, with TCP
	 * keep-alive probes); false closes each connection after its call. */
	bool keep_alive;
};

/* Fills every field but endpoints and n_endpoints with its default:
 * RAFT_CLIENT_DEFAULT_TIMEOUT_MS, RAFT_CLIENT_DEFAULT_CONNECT_TIMEOUT_MS,
 * keep_alive true. */
RAFT_API void raft_client_config_defaults(struct raft_client_config *config);

/* Splits a comma-separated endpoint list ("H:P, H:P,...", blanks around
 * each trimmed) into *endpoints and *n, ready for struct
 * raft_client_config. The array and the strings are one allocation: free
 * it with raft_free(*endpoints). The endpoints themselves are checked by
 * raft_client_new(). Errors: RAFT_EINVAL (an empty endpoint; errmsg says
 * "empty endpoint in \"LIST\""), RAFT_ENOMEM. */
RAFT_API int raft_client_split_endpoints(const char *list,
					 const char ***endpoints, unsigned *n,
					 char *errmsg,
					 size_t errmsg_len) RAFT_WARN_UNUSED;

/* Creates a client. It connects to nothing yet. The config and its strings
 * are borrowed. On success *out owns the client (free it with
 * raft_client_free()). Errors, with errmsg saying which endpoint and why
 * (e.g. "endpoint \"ftp://x\": unsupported scheme \"ftp\" (want http or
 * https)"): RAFT_EINVAL (no endpoint, a malformed endpoint, a zero
 * timeout), RAFT_EIO (libcurl failed to initialize), RAFT_ENOMEM. */
RAFT_API int raft_client_new(const struct raft_client_config *config,
			     struct raft_client **out, char *errmsg,
			     size_t errmsg_len) RAFT_WARN_UNUSED;

/* Closes the client's connections and frees it. NULL is a no-op. */
RAFT_API void raft_client_free(struct raft_client *c);

/* The message of the last failed call, one line without the program name,
 * or "" if the last call succeeded. Owned by the client, valid until its
 * next call. */
RAFT_API const char *raft_client_errmsg(const struct raft_client *c);

/* The number of endpoints and endpoint i (0 <= i < n) as a normalized base
 * URL ("http://127.0.0.1:8001"). Owned by the client, valid until it is
 * freed. */
RAFT_API unsigned raft_client_n_endpoints(const struct raft_client *c);
RAFT_API const char *raft_client_endpoint(const struct raft_client *c,
					  unsigned i);

/* The base URL of the node that answered the last call, or NULL if none
 * answered yet. Owned by the client, valid until its next call. */
RAFT_API const char *raft_client_last_url(const struct raft_client *c);

/* ------------------------------------------------------------------------
 * Status
 * ------------------------------------------------------------------------ */

/* A member of the configuration, as a node reports it. */
struct raft_client_member {
	raft_id id;
	char *peer_url;	  /* "" if the server gave none */
	char *client_url; /* "" if the server gave none */
	bool voter;	  /* false: a learner */
	/* Only in a leader's answer (have_progress): its view of the
	 * member's replication. */
	bool have_progress;
	raft_index match_index;
	raft_index next_index;
	bool healthy; /* heard from within an election timeout */
	/* Also from the leader: the member is too far behind for the log and
	 * receives the leader's snapshot, snapshot_sent bytes of
	 * snapshot_size acknowledged so far. */
	bool sending_snapshot;
	uint64_t snapshot_sent;
	uint64_t snapshot_size;
};

/* GET /v1/status of one node. Zero it (or let a call fill it) before use;
 * raft_client_status_close() releases it. */
struct raft_client_status {
	raft_id id;
	/* "leader", "follower", "candidate", "learner", or another word a
	 * newer server uses; never NULL once filled. */
	char *state;
	raft_term term;
	raft_id leader_id; /* 0: no leader known */
	raft_index commit_index;
	raft_index applied_index;
	raft_index last_log_index;
	raft_index snapshot_index;  /* 0: no snapshot yet */
	raft_index first_log_index; /* 0 if the server did not say */
	bool snapshot_saving;	    /* the node is writing a snapshot */
	/* The node is receiving the leader's snapshot at install_index:
	 * install_received bytes of install_size so far. */
	bool installing;
	raft_index install_index;
	uint64_t install_received;
	uint64_t install_size;
	unsigned n_members;
	struct raft_client_member *members;
};

/* Releases what a call stored in st and zeroes it. A zeroed st is fine. */
RAFT_API void raft_client_status_close(struct raft_client_status *st);

/* Asks one node for its status, which is that node's own view: endpoint
 * is any endpoint string (as in struct raft_client_config) or NULL, which
 * asks the configured endpoints in turn until one answers. On success st
 * (zeroed or closed before) owns the answer. Errors: the shared ones;
 * RAFT_EINVAL for a malformed endpoint. */
RAFT_API int raft_client_status(struct raft_client *c, const char *endpoint,
				struct raft_client_status *st) RAFT_WARN_UNUSED;

/* One node in a cluster survey. */
struct raft_client_node {
	char *url;    /* the node's client URL (normalized) */
	raft_id id;   /* from its answer, or from another node's member list
			 when it did not answer; 0 if unknown */
	int err;      /* 0: status holds its answer; else why it failed */
	char *errmsg; /* "" when err is 0 */
	struct raft_client_status status;
};

struct raft_client_cluster {
	unsigned n_nodes;
	struct raft_client_node *nodes; /* by id, unknown ids last */
};

/* Releases a survey and zeroes it. A zeroed cluster is fine. */
RAFT_API void raft_client_cluster_close(struct raft_client_cluster *cl);

/* Surveys the cluster: asks every endpoint for its status at once, then
 * every member that the answers list and that was not asked yet (by its
 * client_url), so that one reachable endpoint is enough to see all the
 * members. Each node gets the whole timeout. On success *out (zeroed
 * before) holds one entry per node asked, answered or not, and the call
 * returns 0 as long as at least one node answered. Errors: when none
 * answered, the error of the first endpoint, with a message listing every
 * failure; RAFT_ENOMEM. */
RAFT_API int
raft_client_status_all(struct raft_client *c,
		       struct raft_client_cluster *out) RAFT_WARN_UNUSED;

/* ------------------------------------------------------------------------
 * Key-value
 *
 * Keys are 1..RAFT_CLIENT_KEY_MAX bytes and values any bytes; both are
 * binary-safe (keys travel percent-encoded). An empty key is refused with
 * RAFT_EINVAL before anything is sent.
 * ------------------------------------------------------------------------ */

enum raft_client_consistency {
	RAFT_CLIENT_LINEARIZABLE = 0, /* ReadIndex on the leader (default) */
	RAFT_CLIENT_LEASE = 1,	      /* the leader's lease, no round trip */
	RAFT_CLIENT_STALE = 2,	      /* any node's local copy, maybe old */
};

/* "linearizable", "lease", "stale"; NULL for an unknown value. */
RAFT_API const char *raft_client_consistency_name(int consistency);

/* Parses one of the names above into *consistency. Errors: RAFT_EINVAL. */
RAFT_API int raft_client_consistency_parse(const char *name,
					   int *consistency) RAFT_WARN_UNUSED;

/* Where a write landed in the log (0, 0 if the server did not say). */
struct raft_client_write {
	raft_index index;
	raft_term term;
};

/* Reads key. On success value->base (raft_malloc'd, owned by the caller,
 * with one extra NUL byte after the value for convenience) and value->len
 * hold the value, and *index (if index is not NULL) the X-Raft-Index the
 * server reported (0 if none). Errors: the shared ones; RAFT_ENOTFOUND
 * when the key is absent; RAFT_EINVAL for a bad consistency or key. */
RAFT_API int raft_client_get(struct raft_client *c, const void *key,
			     size_t key_len, int consistency,
			     struct raft_buf *value,
			     raft_index *index) RAFT_WARN_UNUSED;

/* Writes value under key, once committed and applied. result may be NULL.
 * Errors: the shared ones; RAFT_ETOOBIG when the server refuses the size
 * (nothing written); RAFT_ETIMEDOUT and RAFT_EIO after the request left
 * leave the outcome unknown. */
RAFT_API int raft_client_put(struct raft_client *c, const void *key,
			     size_t key_len, const void *value,
			     size_t value_len,
			     struct raft_client_write *result) RAFT_WARN_UNUSED;

/* Like raft_client_put() but only when key does not exist yet (the
 * building block of locks and elections). Errors: as raft_client_put();
 * RAFT_EEXIST when the key exists (nothing written). */
RAFT_API int
raft_client_put_if_absent(struct raft_client *c, const void *key,
			  size_t key_len, const void *value, size_t value_len,
			  struct raft_client_write *result) RAFT_WARN_UNUSED;

/* Compare-and-set: like raft_client_put() but only when the current value
 * of key equals prev (prev_len bytes; prev may be NULL when prev_len is 0).
 * Errors: as raft_client_put(); RAFT_ENOTFOUND when the key is absent;
 * RAFT_ECOMPARE when the value differs (nothing written). */
RAFT_API int
raft_client_put_if_equal(struct raft_client *c, const void *key, size_t key_len,
			 const void *prev, size_t prev_len, const void *value,
			 size_t value_len,
			 struct raft_client_write *result) RAFT_WARN_UNUSED;

/* Deletes key. result may be NULL. Errors: the shared ones;
 * RAFT_ENOTFOUND when the key is absent (nothing written). */
RAFT_API int
raft_client_delete(struct raft_client *c, const void *key, size_t key_len,
		   struct raft_client_write *result) RAFT_WARN_UNUSED;

/* A page of keys, as the server sent them: NUL-terminated strings, where a
 * key that is not valid UTF-8 comes percent-encoded (API.md). */
struct raft_client_keys {
	unsigned n_keys;
	char **keys;
	bool more; /* more keys match than were returned */
};

/* Releases a key list and zeroes it. A zeroed list is fine. */
RAFT_API void raft_client_keys_close(struct raft_client_keys *keys);

/* Lists the keys that start with prefix (prefix_len bytes; 0: all keys) in
 * key order, at most limit of them (0: the server's default). On success
 * *out (zeroed before) owns the list. Errors: the shared ones; RAFT_EINVAL
 * for a limit the server refuses or a bad consistency. */
RAFT_API int raft_client_keys(struct raft_client *c, const void *prefix,
			      size_t prefix_len, unsigned limit,
			      int consistency,
			      struct raft_client_keys *out) RAFT_WARN_UNUSED;

/* ------------------------------------------------------------------------
 * Administration. Membership changes and transfers go to the leader (the
 * client follows redirects); one membership change at a time. A server
 * that does not implement a call answers 501: the call then fails with
 * RAFT_ENOTSUP and the message "not supported by this server". A change
 * that failed with any error but RAFT_ETIMEDOUT, RAFT_EIO (after the
 * request left) or RAFT_ESHUTDOWN was not made.
 * ------------------------------------------------------------------------ */

/* The configuration's members (GET /v1/members). */
struct raft_client_members {
	unsigned n_members;
	struct raft_client_member *members;
};

/* Releases a member list and zeroes it. A zeroed list is fine. */
RAFT_API void raft_client_members_close(struct raft_client_members *m);

/* Lists the members, as the node that answers sees them (the leader when
 * the client knows it; its answer carries each member's progress). On
 * success *out (zeroed before) owns the list. Errors: the shared ones. */
RAFT_API int
raft_client_member_list(struct raft_client *c,
			struct raft_client_members *out) RAFT_WARN_UNUSED;

/* Adds member id (non-zero) with its peer address ("HOST:PORT") and client
 * URL ("http://HOST:PORT" or "HOST:PORT"), as a learner if learner is
 * true (promote it once caught up), else as a voter, and returns once the
 * change is committed. result (may be NULL) gets the index and term of the
 * change in the log. Errors: the shared ones; RAFT_EEXIST when id is a
 * member already; RAFT_EBUSY while another change or a leadership transfer
 * is under way; RAFT_EINVAL for id 0, an empty or malformed address, or
 * an address another member has; RAFT_ELEADERCHANGED when leadership
 * changed before the change committed (it was not made); RAFT_ETIMEDOUT
 * when it did not commit in time (it may still). */
RAFT_API int
raft_client_member_add(struct raft_client *c, raft_id id, const char *peer_url,
		       const char *client_url, bool learner,
		       struct raft_client_write *result) RAFT_WARN_UNUSED;

/* Turns learner id into a voter, once committed. Errors: the shared ones;
 * RAFT_ENOTFOUND when id is not a member; RAFT_EINVAL when it is a voter
 * already; RAFT_ELAGGING while the learner lags too far behind (the
 * message says how far); RAFT_EUNAVAILABLE when it has not answered the
 * leader lately; RAFT_EBUSY, RAFT_ELEADERCHANGED, RAFT_ETIMEDOUT as for
 * raft_client_member_add(). */
RAFT_API int
raft_client_member_promote(struct raft_client *c, raft_id id,
			   struct raft_client_write *result) RAFT_WARN_UNUSED;

/* Removes member id (the leader too: it then hands over), once committed.
 * Errors: the shared ones; RAFT_ENOTFOUND when id is not a member;
 * RAFT_EINVAL when it is the last voter; RAFT_EBUSY, RAFT_ELEADERCHANGED,
 * RAFT_ETIMEDOUT as for raft_client_member_add(). */
RAFT_API int
raft_client_member_remove(struct raft_client *c, raft_id id,
			  struct raft_client_write *result) RAFT_WARN_UNUSED;

/* Where leadership went. */
struct raft_client_transfer {
	raft_id leader_id; /* the leader now */
	/* The leader that handed over; leader_id when it led already. */
	raft_id previous_leader_id;
	raft_term term; /* the leader's term */
};

/* Asks the leader to hand leadership over to member to (0: the server
 * picks the most up-to-date live voter) and returns once another node
 * leads. result (may be NULL) says which. Errors: the shared ones;
 * RAFT_ENOTFOUND when to is not a member; RAFT_EINVAL when to is a
 * learner or there is no other voter; RAFT_EBUSY while a transfer or a
 * membership change is under way; RAFT_EUNAVAILABLE when to (or, for 0,
 * every other voter) has not answered the leader lately; RAFT_ETIMEDOUT
 * when leadership did not move in time (the message says who leads). */
RAFT_API int raft_client_transfer_leader(struct raft_client *c, raft_id to,
					 struct raft_client_transfer *result)
    RAFT_WARN_UNUSED;

/* Makes node take a snapshot now (0: the leader) and stores its index in
 * *index (may be NULL). Each member snapshots only itself: node (or, for
 * 0, the leader that an endpoint's status names) is found by its
 * client_url in the member list and asked directly. Errors: the shared
 * ones; RAFT_ENOTFOUND when node is not a member; RAFT_ENOTLEADER when
 * node is 0 and no leader is known. */
RAFT_API int raft_client_snapshot(struct raft_client *c, raft_id node,
				  raft_index *index) RAFT_WARN_UNUSED;

/* Unsafe recovery after a majority is lost: tells the node at endpoint
 * (any endpoint string; not redirected) to replace its configuration with
 * the members peers[0..n_peers) (ids it knows, each keeping its role; the
 * node itself among them, as a voter), forcing it without a quorum. The
 * node then campaigns alone if need be. Run it on each surviving node.
 * This can lose committed writes; there is no undo, and the members left
 * out must be wiped before they rejoin. Errors: the shared ones;
 * RAFT_EINVAL for no peers, a zero id or a malformed endpoint, or when
 * the node refuses the list (an id it does not know, itself missing). */
RAFT_API int raft_client_reset_peers(struct raft_client *c,
				     const char *endpoint, const raft_id *peers,
				     unsigned n_peers) RAFT_WARN_UNUSED;

#endif /* RAFT_CLIENT_H */
