/* The embedding API: a Raft node running on the caller's libevent loop.
 *
 * A node ties the consensus core to LevelDB storage, TCP peer connections
 * and the application's state machine. Threads:
 *
 *   - the caller's event loop runs the core, the sockets and the timers;
 *     every raft_node_* call and every callback happens on it;
 *   - a disk thread writes each round of log entries and hard state as
 *     one synced LevelDB batch (group commit) while the loop goes on (a
 *     leader's AppendEntries leave before its own write is done);
 *   - an apply thread feeds committed entries, in batches, to the state
 *     machine's apply function.
 *
 * Member addresses (struct raft_server.address) are "HOST:PORT" of the
 * member's peer port, optionally followed by a space and anything the
 * application wants to keep with the member (raftd keeps its client URL
 * there); the node dials the first token.
 */
#ifndef RAFT_NODE_H
#define RAFT_NODE_H

#include <stdbool.h>

#include "raft/core.h"

struct event_base;
struct raft_node;

/* The application's replicated state machine. Its functions run on the
 * apply thread (except applied_index, called once from raft_node_new, and
 * snapshot_save, on the snapshot thread); a small batch may apply on the
 * loop thread while the apply thread is idle. apply, snapshot_begin and
 * snapshot_load never run two at a time; snapshot_save runs beside them. */
struct raft_fsm {
	void *data;
	/* The index of the last entry the state machine holds durably (0 if
	 * none): apply resumes after it on restart. */
	raft_index (*applied_index)(struct raft_fsm *fsm);
	/* Applies entries (every type, in log order, without gaps; only
	 * RAFT_ENTRY_NORMAL carries application data) and sets results[i]
	 * for each, which reaches the raft_apply_cb of the proposal. Returns
	 * 0, or an error code with a message in errmsg: the node then stops
	 * applying and reports the error (a state machine that cannot apply
	 * must not go on). */
	int (*apply)(struct raft_fsm *fsm, const struct raft_entry *entries,
		     unsigned n, int *results, char *errmsg, size_t errmsg_len);

	/* Snapshots (the design's on_snapshot_save, in two steps so that
	 * saving never stops applying, and on_snapshot_load). A state
	 * machine without them (all NULL) is never snapshotted and the log
	 * keeps growing.
	 *
	 * snapshot_begin runs on the apply thread between two apply calls:
	 * it captures, cheaply, the state as of the last entry applied (a
	 * LevelDB snapshot, a copy-on-write view) into *snap. Returns 0 or
	 * an error code with errmsg set (the snapshot is then skipped and
	 * retried later; the node goes on). */
	int (*snapshot_begin)(struct raft_fsm *fsm, void **snap, char *errmsg,
			      size_t errmsg_len);
	/* snapshot_save runs on the snapshot thread while applying goes on:
	 * it writes the captured state through write(ctx, data, len) (which
	 * returns 0 or an error code to give back). Returns 0 or an error
	 * code with errmsg set. */
	int (*snapshot_save)(struct raft_fsm *fsm, void *snap,
			     int (*write)(void *ctx, const void *data,
					  size_t len),
			     void *ctx, char *errmsg, size_t errmsg_len);
	/* Releases what snapshot_begin captured, saved or not (any thread). */
	void (*snapshot_release)(struct raft_fsm *fsm, void *snap);
	/* snapshot_load runs on the apply thread: it replaces the whole state
	 * with the snapshot's, which covers every entry up to index, reading
	 * the data snapshot_save wrote through read(ctx, buf, len, &n) (n is
	 * 0 at the end; returns 0 or an error code). It must be atomic with
	 * regard to applied_index: once it returns 0, applied_index is index;
	 * after a crash in the middle, applied_index must report less than
	 * index (the node then loads the snapshot again). An error is fatal
	 * to the node, like an apply error. */
	int (*snapshot_load)(struct raft_fsm *fsm, raft_index index,
			     int (*read)(void *ctx, void *buf, size_t len,
					 size_t *n),
			     void *ctx, char *errmsg, size_t errmsg_len);
};

struct raft_node_config {
	raft_id id;
	uint64_t cluster_id;
	const char *data_dir; /* the log lives in DATA_DIR/log */
	const char *listen;   /* "HOST:PORT" for peer connections */
	/* Members of a new cluster; used only when the data dir holds no
	 * log yet (then it is created and bootstrapped with them). */
	const struct raft_configuration *initial;
	/* This node joins an existing cluster: with no log in the data dir,
	 * an empty one is created (no bootstrap) and the node waits for the
	 * leader to replicate the log (or a snapshot) to it, once an
	 * administrator added it. `initial` then lists the members it can
	 * expect to hear from (their addresses; until the configuration
	 * arrives), itself included or not. */
	bool join;
	unsigned tick_ms;	  /* one core tick; default 100 */
	unsigned election_ticks;  /* default 10 */
	unsigned heartbeat_ticks; /* default 1 */
	size_t max_frame; /* largest peer frame accepted; default 64 MiB */
	/* Called on the loop when the node stops for good (a disk or apply
	 * error); msg says why. May be NULL. */
	void (*on_fatal)(void *arg, int err, const char *msg);
	void *on_fatal_arg;
	/* Called on the loop when this node's role or the leader it knows
	 * changes (the moment to start or stop leader-only work). May be
	 * NULL. */
	void (*on_state_change)(void *arg, uint8_t role, raft_id leader_id,
				raft_term term);
	void *on_state_change_arg;
	/* Snapshots (when the fsm has them; files in DATA_DIR/snapshots).
	 * One is taken when snapshot_entries entries or snapshot_bytes bytes
	 * of entry data were applied since the last (0: no such trigger);
	 * the log is then compacted up to snapshot_trailing entries before
	 * it (a follower that far behind catches up from the log instead of
	 * a snapshot), and all but the newest snapshot_keep files are
	 * removed. Defaults: 10000 entries, 64 MiB, 1000 entries, 2 files. */
	uint64_t snapshot_entries;
	uint64_t snapshot_bytes;
	raft_index snapshot_trailing;
	unsigned snapshot_keep;
};

/* Fills the defaults for every field but id, cluster_id, data_dir, listen
 * and initial. */
RAFT_API void raft_node_config_defaults(struct raft_node_config *config);

/* Creates and starts a node on base: opens (or creates and bootstraps) the
 * log, checks that the data dir belongs to this node id and cluster id,
 * listens for peers and starts the threads. The fsm is borrowed for the
 * node's lifetime. Errors (errmsg says exactly what): RAFT_EINVAL (bad
 * config, foreign data dir), RAFT_ENOTFOUND (no log and no initial
 * members), RAFT_ECORRUPT, RAFT_EIO (listen address taken, unreadable data
 * dir), RAFT_ENOSPC, RAFT_ENOMEM. */
RAFT_API int raft_node_new(struct event_base *base,
			   const struct raft_node_config *config,
			   struct raft_fsm *fsm, struct raft_node **out,
			   char *errmsg, size_t errmsg_len) RAFT_WARN_UNUSED;

/* Stops the node: pending proposals and reads fail with RAFT_ESHUTDOWN,
 * the threads finish their current batch and join, sockets close. NULL is
 * a no-op. */
RAFT_API void raft_node_free(struct raft_node *node);

/* status: 0 once the entry is committed and applied (result is what the
 * state machine set), or RAFT_ELEADERCHANGED (the entry was replaced;
 * it will never apply), RAFT_ESHUTDOWN. */
typedef void (*raft_apply_cb)(void *arg, int status, raft_term term,
			      raft_index index, int result);

/* Proposes data (copied) as one log entry. The callback is called exactly
 * once, later, unless an error is returned. Errors: RAFT_ENOTLEADER,
 * RAFT_EBUSY (leadership transfer under way), RAFT_ESHUTDOWN (the node
 * stopped after a fatal error), RAFT_ENOMEM. */
RAFT_API int raft_node_apply(struct raft_node *node,
			     const struct raft_buf *data, raft_apply_cb cb,
			     void *arg) RAFT_WARN_UNUSED;

/* status: 0 once the state machine applied the read index, so that a read
 * of it now is linearizable; RAFT_ELEADERCHANGED, RAFT_ETIMEDOUT (a
 * follower read without an answer), RAFT_ESHUTDOWN. */
typedef void (*raft_read_cb)(void *arg, int status, raft_index index);

/* Starts a ReadIndex read. On the leader, it confirms its leadership with a
 * heartbeat round; on a follower (follower read) the leader it knows does
 * that and sends the read index back, and the follower answers once it
 * applied that index: reading this node's state machine then is
 * linearizable. The callback is called exactly once, later, unless an
 * error is returned; its status may also be RAFT_ETIMEDOUT (a follower got
 * no answer within an election timeout). Errors: RAFT_ENOTLEADER (no
 * leader known), RAFT_ESHUTDOWN, RAFT_ENOMEM. */
RAFT_API int raft_node_read_index(struct raft_node *node, raft_read_cb cb,
				  void *arg) RAFT_WARN_UNUSED;

/* status: 0 once a snapshot covering index is durable (and the log
 * compacted); otherwise the error (errmsg said why in the node's log). */
typedef void (*raft_snapshot_cb)(void *arg, int status, raft_index index);

/* Takes a snapshot of everything applied so far, now. If one is being
 * saved already, the callback hears about that one; if nothing was
 * applied since the last, about the last. The callback is called exactly
 * once, later, unless an error is returned. Errors: RAFT_ENOTSUP (the fsm
 * has no snapshot functions), RAFT_ESHUTDOWN, RAFT_ENOMEM. */
RAFT_API int raft_node_snapshot(struct raft_node *node, raft_snapshot_cb cb,
				void *arg) RAFT_WARN_UNUSED;

/* Membership changes (see raft_core_add_member() and the others in
 * raft/core.h: one change at a time, learners catch up before promotion).
 * The callback is called once the change is committed and applied (status
 * 0), or with RAFT_ELEADERCHANGED / RAFT_ESHUTDOWN if it never will be;
 * unless an error is returned. Errors: as the core's, and
 * RAFT_ESHUTDOWN. */
RAFT_API int raft_node_add_member(struct raft_node *node, raft_id id,
				  const char *address, uint8_t role,
				  raft_apply_cb cb, void *arg) RAFT_WARN_UNUSED;
RAFT_API int raft_node_remove_member(struct raft_node *node, raft_id id,
				     raft_apply_cb cb,
				     void *arg) RAFT_WARN_UNUSED;
RAFT_API int raft_node_promote(struct raft_node *node, raft_id id,
			       raft_apply_cb cb, void *arg) RAFT_WARN_UNUSED;

/* Unsafe recovery from a lost majority (raft_core_reset_peers()): forces
 * this node's configuration to conf at once and logs it loudly. Errors:
 * RAFT_EINVAL (no voter, this node not a voter of conf), RAFT_ESHUTDOWN,
 * RAFT_ENOMEM. */
RAFT_API int
raft_node_reset_peers(struct raft_node *node,
		      const struct raft_configuration *conf) RAFT_WARN_UNUSED;

/* A lease read (raft_core_read_lease()): on a leader that holds a lease,
 * the read index is its commit index at once, no round trip; otherwise
 * (no lease now, a follower) it is raft_node_read_index(). The callback is
 * as for raft_node_read_index(). The lease is measured on the monotonic
 * clock: a loop that stalled catches up its ticks first. */
RAFT_API int raft_node_read_lease(struct raft_node *node, raft_read_cb cb,
				  void *arg) RAFT_WARN_UNUSED;

/* A wait-free read: returns 0 if the state machine may be read right now,
 * on this thread, linearizably — this node leads with a lease and applied
 * both its first entry of the term and every read index handed out.
 * Otherwise RAFT_ENOTLEADER, RAFT_EBUSY (use raft_node_read_lease()),
 * RAFT_ESHUTDOWN. The state machine must then be read as of its applied
 * state (apply runs on another thread: read a consistent view). */
RAFT_API int raft_node_read_now(struct raft_node *node) RAFT_WARN_UNUSED;

/* Hands leadership over (see raft_core_transfer_leader()). */
RAFT_API int raft_node_transfer_leader(struct raft_node *node,
				       raft_id to) RAFT_WARN_UNUSED;

struct raft_node_peer {
	raft_id id;
	uint8_t role; /* enum raft_server_role */
	const char *address;
	bool have_progress; /* the rest is known (this node leads) */
	uint8_t state;	    /* enum raft_progress_state */
	raft_index match_index;
	raft_index next_index;
	bool healthy; /* heard from within an election timeout */
	/* state RAFT_PROGRESS_SNAPSHOT: bytes of the snapshot file sent and
	 * acknowledged so far, of snapshot_size. */
	uint64_t snapshot_sent;
	uint64_t snapshot_size;
};

/* Upper bounds in seconds of the buckets of synced write times. */
#define RAFT_NODE_WRITE_BUCKETS 12
RAFT_API extern const double raft_node_write_bounds[RAFT_NODE_WRITE_BUCKETS];

struct raft_node_status {
	struct raft_core_status core;
	const char *fatal;    /* why the node stopped, or NULL */
	bool snapshot_saving; /* a snapshot is being written */
	/* This node is receiving a snapshot at install_index from the
	 * leader: install_received bytes of install_size so far. */
	raft_index install_index;
	uint64_t install_received;
	uint64_t install_size;
	unsigned n_peers;
	const struct raft_node_peer *peers; /* valid until the next call */
	/* Synced writes of log entries and hard state since the start: how
	 * many, the entries they carried (entries / writes is the group
	 * commit's batch), their total time, and how many took at most
	 * raft_node_write_bounds[i] seconds and more than the bound before
	 * (the last bucket: slower than every bound). */
	uint64_t disk_writes;
	uint64_t disk_entries;
	double disk_write_seconds;
	uint64_t disk_write_buckets[RAFT_NODE_WRITE_BUCKETS + 1];
};

/* A snapshot of the node's state, borrowed until the next call. */
RAFT_API void raft_node_status(struct raft_node *node,
			       struct raft_node_status *st);

/* Faults injected on purpose, for tests (raftd exposes them only when
 * started with failpoints enabled). */
struct raft_node_faults {
	/* Fail every disk write from now on with this code (RAFT_EIO or
	 * RAFT_ENOSPC), as the disk would; 0: disks work. */
	int disk_error;
	/* Peers whose links are cut: nothing is sent to or accepted from
	 * them (up to 16 ids, 0-terminated). */
	raft_id cut[16];
	/* Drop each message sent with this probability, in percent. */
	unsigned drop_percent;
};

/* Replaces the injected faults (all zero: none). Errors: RAFT_EINVAL (a
 * disk_error other than 0, RAFT_EIO or RAFT_ENOSPC; drop_percent > 100). */
RAFT_API int
raft_node_set_faults(struct raft_node *node,
		     const struct raft_node_faults *faults) RAFT_WARN_UNUSED;

/* The peer address of the listening socket actually bound ("HOST:PORT"). */
RAFT_API const char *raft_node_listen_address(const struct raft_node *node);

#endif /* RAFT_NODE_H */
