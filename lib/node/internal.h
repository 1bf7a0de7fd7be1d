/* The runtime's insides, shared by node.c (the loop, the disk and apply
 * threads) and snapshot.c (taking, sending and installing snapshots). */
#ifndef RAFT_NODE_INTERNAL_H
#define RAFT_NODE_INTERNAL_H

#include <event2/event.h>

#include "node/worker.h"
#include "raft/node.h"
#include "raft/storage.h"
#include "transport/tcp.h"

#define DEFAULT_MAX_FRAME (64u * 1024 * 1024)

/* An encoded message waiting for a disk write to finish. */
struct held_frame {
	raft_id to;
	uint8_t *data;
	size_t len;
};

struct disk_job {
	struct worker_job job; /* first */
	bool has_hs;
	struct raft_hard_state hs;
	/* A snapshot's metadata to record, and the log to drop up to, before
	 * the entries (RAFT_STORAGE_DROP_ALL: an installed snapshot). */
	bool has_snap;
	struct raft_snapshot_meta snap;
	raft_index compact_to;
	struct raft_entry *entries; /* deep copies */
	size_t n;
	struct held_frame *frames;
	size_t n_frames;
	int status;
	char errmsg[512];
	/* Set on the last job of each synced write it folded in. */
	bool wrote;
	uint64_t write_ns;
};

enum apply_kind {
	APPLY_ENTRIES = 1,
	APPLY_BEGIN, /* capture the state machine for a snapshot */
	APPLY_LOAD,  /* replace it with an installed snapshot */
};

struct apply_job {
	struct worker_job job; /* first */
	uint8_t kind;
	struct raft_entry *entries; /* deep copies */
	unsigned n;
	int *results;
	void *snap;	  /* APPLY_BEGIN: what the state machine captured */
	raft_index index; /* APPLY_BEGIN: applied when captured; LOAD */
	char path[4200];  /* APPLY_LOAD: the snapshot file */
	int status;
	char errmsg[512];
};

enum snap_kind {
	SNAP_SAVE = 1, /* write a snapshot file from a captured state */
	SNAP_OPEN,     /* check a snapshot file before it is sent */
	SNAP_COMMIT,   /* finish and check a received snapshot file */
};

/* Work on snapshot files, off the loop (the snapshot thread). */
struct snap_job {
	struct worker_job job; /* first */
	uint8_t kind;
	struct raft_snapshot_meta meta;	    /* SAVE; COMMIT: what arrived */
	void *snap;			    /* SAVE */
	raft_id to;			    /* OPEN */
	int fd;				    /* OPEN: the file, to send */
	uint64_t size;			    /* OPEN */
	struct raft_snapshot_receiver *rcv; /* COMMIT */
	char path[4200];
	int status;
	char errmsg[4800];
};

/* Streaming a snapshot file to one follower (leader side). */
struct sender {
	raft_id to;
	raft_index index;
	raft_term term;
	bool open; /* the file was checked and fd is ready */
	int fd;
	uint64_t size;
	uint64_t sent;	     /* bytes handed to the transport */
	uint64_t acked;	     /* bytes the follower holds */
	uint32_t epoch;	     /* restarts of the stream */
	unsigned idle;	     /* ticks without progress */
	raft_term term_sent; /* the leader's term, on the chunks */
	struct sender *next;
};

/* Receiving a snapshot file from the leader (follower side). */
struct receiver {
	raft_id from;
	raft_index index;
	raft_term term;
	uint64_t size;
	uint64_t have;
	uint32_t epoch;
	raft_term term_seen; /* the leader's term, on the chunks */
	bool committing;     /* on the snapshot thread */
	struct raft_snapshot_receiver *rcv;
};

struct snapshot_waiter {
	raft_snapshot_cb cb;
	void *arg;
};

struct proposal {
	raft_index index;
	raft_term term;
	raft_apply_cb cb;
	void *arg;
};

struct read_req {
	uint64_t ctx;
	raft_index index;
	bool known; /* the core released it: wait for apply >= index */
	raft_read_cb cb;
	void *arg;
};

struct raft_node {
	struct event_base *base;
	raft_id id;
	uint64_t cluster_id;
	unsigned tick_ms;
	struct raft_fsm *fsm;
	struct raft_storage *storage;
	struct raft_core *core;
	struct tcp_transport *tr;
	struct event *tick_ev;
	struct event *ready_ev;
	struct event *wake_ev;
	int wake_pipe[2];
	struct raft_node_faults faults;
	int fault_disk_error; /* read by the disk thread: atomic access */
	uint64_t fault_rng;
	struct worker disk;
	struct worker apply;
	struct worker snapw;
	raft_index applied; /* the state machine holds entries up to here */
	raft_index thread_applied; /* the same, as the apply thread sees it */
	unsigned election_ticks;
	uint64_t clock_start_ms; /* monotonic, when the node started */
	uint64_t ticks_done;	 /* core ticks so far */

	/* Snapshots. */
	char *snap_dir;
	uint64_t snap_entries;
	uint64_t snap_bytes;
	raft_index snap_trailing;
	unsigned snap_keep;
	uint64_t bytes_since_snap; /* entry data applied since the last */
	bool saving;		   /* a snapshot is being taken */
	bool snap_retake;	   /* the last file is bad: take a new one */
	struct snapshot_waiter *waiters;
	size_t n_waiters;
	struct sender *senders;
	struct receiver recv; /* recv.rcv or recv.committing: under way */
	/* While an installed snapshot's metadata is being written, apply
	 * jobs wait here (the state machine must not get ahead of the log). */
	bool apply_held;
	struct job_queue held;
	/* Apply jobs with the apply thread, not yet taken back. */
	unsigned apply_outstanding;
	/* Disk jobs with the disk thread, not yet taken back. */
	unsigned disk_outstanding;
	/* For raft_node_status(): synced writes so far. */
	uint64_t disk_writes;
	uint64_t disk_entries;
	double disk_write_seconds;
	uint64_t disk_write_buckets[RAFT_NODE_WRITE_BUCKETS + 1];

	/* Proposals waiting for apply, ordered by index. */
	struct proposal *props;
	size_t props_head;
	size_t props_n;
	size_t props_cap;

	struct read_req *reads;
	size_t n_reads;
	size_t cap_reads;
	uint64_t next_ctx;

	char *fatal;
	void (*on_fatal)(void *arg, int err, const char *msg);
	void *on_fatal_arg;
	void (*on_state_change)(void *arg, uint8_t role, raft_id leader_id,
				raft_term term);
	void *on_state_change_arg;
	uint8_t last_role;

	struct raft_node_peer *peers;
	unsigned cap_peers;
};

/* Hands a disk job to the disk thread. */
void node_disk_submit(struct raft_node *node, struct disk_job *d);

/* node.c */
void node_schedule(struct raft_node *node);
void node_fatal(struct raft_node *node, int err, const char *msg);
/* Whether an injected fault loses a message to this peer. */
bool node_fault_drops(struct raft_node *node, raft_id to);
bool node_fault_cut(const struct raft_node *node, raft_id id);
/* Queues an apply job behind every earlier one. */
void node_apply_submit(struct raft_node *node, struct apply_job *a);
void node_disk_job_free(struct disk_job *d);
void node_apply_job_free(struct raft_node *node, struct apply_job *a);

/* snapshot.c */
/* The snapshot thread's work. */
void snap_process(void *arg, struct worker_job *jobs);
void snap_job_free(struct raft_node *node, struct snap_job *s);
/* The loop takes a finished snapshot job back. */
void snap_done(struct raft_node *node, struct snap_job *s);
/* Replaces the state machine with the snapshot file at path (apply thread
 * or start-up). */
int snapshot_load_file(struct raft_node *node, const char *path,
		       raft_index index, char *errmsg, size_t errmsg_len);
/* The apply thread captured the state machine (APPLY_BEGIN). */
void snapshot_begin_done(struct raft_node *node, struct apply_job *a);
/* A disk job that recorded a snapshot finished. */
void snapshot_recorded(struct raft_node *node, struct disk_job *d);
/* After entries were applied: takes a snapshot if one is due. */
void snapshot_maybe(struct raft_node *node);
/* The core asks (rd.messages) to stream its snapshot to a follower. */
void snapshot_send(struct raft_node *node, const struct raft_message *m);
/* The core installed a snapshot from the leader (rd.snapshot): record it
 * durably with the batch, then load it. Returns 0 or RAFT_ENOMEM. */
int snapshot_install(struct raft_node *node,
		     const struct raft_snapshot_meta *meta, struct disk_job *d);
/* A chunk or an ack arrived. */
void snapshot_recv(struct raft_node *node, const struct raft_message *m);
/* Once per tick: resend stalled streams. */
void snapshot_tick(struct raft_node *node);
/* The role changed: a node that no longer leads stops sending. */
void snapshot_role_changed(struct raft_node *node, uint8_t role);
/* The status fields about snapshots. */
void snapshot_status(struct raft_node *node, struct raft_node_status *st);
/* Start-up: loads the snapshot the state machine is behind, if any, and
 * checks the newest file. */
int snapshot_start(struct raft_node *node,
		   const struct raft_snapshot_meta *meta, char *errmsg,
		   size_t errmsg_len);
/* Shutdown: releases senders, the receiver and waiters. */
void snapshot_close(struct raft_node *node);

#endif /* RAFT_NODE_INTERNAL_H */
