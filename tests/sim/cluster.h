/* A simulated cluster: real cores on a fake network and a fake disk. */
#ifndef RAFT_SIM_CLUSTER_H
#define RAFT_SIM_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "net.h"
#include "raft/core.h"
#include "rng.h"

/* Time is discrete: a step is the smallest unit, and every node's core gets
 * raft_core_tick() once every SIM_STEPS_PER_TICK steps. Messages and disk
 * writes take whole steps, so several can happen within one tick and in
 * any order. */
#define SIM_STEPS_PER_TICK 10

/* A snapshot of the simulated state machine (the applied sequence): what
 * it covers, and the state itself, which is the chain hash of the applied
 * sequence at index plus the post-heal proposals among it. */
struct sim_snapshot {
	raft_index index; /* 0: none */
	raft_term term;
	struct raft_configuration conf;
	uint64_t hash;
	uint64_t heal_mask;
};

/* A write handed out in a ready batch, not durable yet. */
struct write {
	struct write *next;
	uint64_t done_at; /* the step at which it is durable */
	bool has_hard_state;
	struct raft_hard_state hard_state;
	/* rd.snapshot: recorded durably, and the whole log dropped, before
	 * this write's entries (index 0: none). */
	struct sim_snapshot snapshot;
	struct raft_entry *entries; /* replace the log from entries[0].index */
	size_t n_entries;
	/* rd.persisted_messages: they leave once this write is durable. */
	struct raft_message *messages;
	size_t n_messages;
	/* For each message that acknowledges entries, the chain hash the
	 * node's log had at the acknowledged index when it was handed out
	 * (what the disk must hold when it leaves); 0 for other messages. */
	uint64_t *ack_hashes;
};

/* The simulator's copy of one entry of a core's log. */
struct mirror_entry {
	raft_term term;
	uint64_t hash; /* chain hash */
	/* The last CONF entry at or before this one (0: none) and the
	 * checker's record of its configuration: the one in force here. */
	raft_index conf_at;
	uint32_t conf_id;
};

struct node {
	raft_id id;
	struct raft_core_config config; /* random_seed is redrawn per start */
	struct raft_core *core;		/* NULL while crashed */
	unsigned incarnation;		/* bumped at each crash */

	/* Durable state: what survives a crash. disk_entries[i] has index
	 * disk_offset + i + 1 and chain hash disk_hashes[i]; the entries up
	 * to disk_offset (whose chain hash is disk_offset_hash) were compacted
	 * into the snapshot disk_snap. */
	struct raft_hard_state disk_hs;
	struct raft_entry *disk_entries;
	uint64_t *disk_hashes;
	size_t disk_n, disk_cap;
	raft_index disk_offset;
	uint64_t disk_offset_hash;
	struct sim_snapshot disk_snap;
	/* Snapshot data a transfer stored on the disk, for the core to
	 * install (its conf is not used: the core hands the metadata out). */
	struct sim_snapshot received;
	/* The index of the snapshot the core handed out to install whose
	 * write is not durable yet (0: none). */
	raft_index installing;

	/* Writes in flight, oldest first; they complete in order. */
	struct write *writes_head, *writes_tail;
	size_t n_writes;

	/* Mirror of the core's log (durable + handed out), from the ready
	 * batches: log[i] is index i, log[0] is a sentinel. */
	struct mirror_entry *log;
	raft_index last_index;
	size_t log_cap;
	/* The last hard state the core handed out (this incarnation). */
	struct raft_hard_state handed_hs;

	/* The applied sequence of this incarnation: index and chain hash. */
	raft_index applied;
	uint64_t applied_hash;

	/* What the core said last (raft_core_status after each drain). */
	uint8_t role;
	raft_term term;
	raft_id leader_id;
	raft_index commit;

	/* Votes this node granted, by term (across incarnations): the
	 * candidate, or 0. */
	raft_id *granted;
	size_t granted_cap;

	/* Faults. */
	unsigned disk_min, disk_max; /* write latency in steps */
	bool slow;
	bool frozen; /* not ticked (scenarios use it to pick who campaigns) */
	uint64_t restart_at; /* crashed: the step of the restart, 0: never */

	/* Liveness: bit k set once the k-th post-heal proposal is applied. */
	uint64_t heal_mask;
	unsigned n_crashes;

	/* Membership. A member of some committed configuration; once it
	 * is in none any more it was removed for good (ids are never
	 * reused). */
	bool member_once;
	/* Inputs taken (drains), and whether and since which input it has
	 * led while the committed configuration leaves it out. */
	uint64_t n_inputs;
	bool removed_leader;
	/* The term whose leadership the checker recorded last (a single
	 * voter's counts once its term is durable: before, it is invisible
	 * and a crash undoes it). */
	raft_term leader_recorded;
	uint64_t removed_inputs;

	/* Snapshot statistics. */
	unsigned n_snapshots_taken;
	unsigned n_installs;	      /* rd.snapshot handed out */
	unsigned n_snapshot_restarts; /* restarts from a snapshot */
	unsigned n_margin_restarts;   /* ... whose log starts before it */
};

/* A snapshot streamed from a leader's runtime to a peer (the runtime's
 * side of a RAFT_MSG_SNAPSHOT): it arrives at `at`, or, once lost, the
 * sender's runtime gives up at `at` and reports the failure. */
struct transfer {
	uint64_t at;
	raft_id from, to;
	unsigned from_incarnation, to_incarnation;
	struct raft_message msg;  /* deep copy of the RAFT_MSG_SNAPSHOT */
	uint64_t hash, heal_mask; /* the snapshot's data */
	bool broken; /* it will not arrive (drawn when it starts) */
	bool lost;   /* it failed: at `at` the sender gives up */
};

struct cluster;

/* Decides whether a message is dropped on delivery (scenarios use it to
 * shape a run exactly). Returns true to drop. */
typedef bool (*cluster_filter_cb)(struct cluster *c,
				  const struct raft_message *msg, void *arg);

/* Knobs fixed for a whole run. */
struct cluster_options {
	uint64_t seed;
	unsigned n_nodes;
	FILE *trace; /* NULL: no transcript */
	/* Core configuration of every node. */
	unsigned election_ticks;
	unsigned heartbeat_ticks;
	bool pre_vote;
	bool check_quorum;
	unsigned max_inflight_msgs;
	size_t max_inflight_bytes;
	unsigned max_append_entries;
	size_t max_append_bytes;
	/* Disk write latency, in steps (0: 1..5). */
	unsigned disk_max;
	/* Leave out the direct check of the commit rule (a leader moves its
	 * commit index only to an entry of its term), so that a core that
	 * breaks it must be caught by what follows: a lost committed entry. */
	bool no_commit_rule;
	/* The PRNG to continue from (the chaos plan drew from it first);
	 * NULL: seeded from seed. */
	const struct rng *rng;
};

struct cluster {
	uint64_t seed;
	struct rng rng;
	unsigned n;
	struct node nodes[SIM_MAX_NODES + 1]; /* nodes[1..n] */
	struct net net;
	struct checker chk;
	uint64_t now; /* steps since the start */
	FILE *trace;

	/* The first invariant violation; the run stops at it. */
	bool failed;
	uint64_t failed_at;
	char why[1024];

	cluster_filter_cb filter;
	void *filter_arg;
	bool no_commit_rule;

	/* Normal disk latency range, in steps. */
	unsigned disk_min, disk_max;

	/* Workload counters. */
	uint64_t n_proposed; /* data strings handed out, "s<seed>-<n>" */
	uint64_t n_delivered;

	/* The core configuration of every node (its id aside), for nodes
	 * added later. */
	struct raft_core_config node_config;

	/* Snapshot transfers in flight, in start order. */
	struct transfer *transfers;
	size_t n_transfers, transfers_cap;
	/* Transfer faults: a stream breaks (on top of the network's drop
	 * rate), or takes long; and the delay range of a normal one, in
	 * steps. */
	unsigned snap_fail_ppm;
	unsigned snap_long_ppm;
	unsigned snap_delay_min, snap_delay_max;
	unsigned snap_long_max;
	/* Statistics, and what scenarios check. */
	uint64_t n_snap_sent;	   /* RAFT_MSG_SNAPSHOT handed out */
	uint64_t n_snap_delivered; /* streams that arrived */
	uint64_t n_snap_lost;	   /* streams that broke */
	uint64_t n_snap_events;	   /* any of the above, or a report */
	/* Streams that ended (arrived or were given up) after their sender
	 * stopped leading in the term it sent them. */
	uint64_t n_snap_after_leader_change;
	uint64_t snap_sent_to[SIM_MAX_NODES + 1];
	/* heal_index[k]: the index of the k-th post-heal proposal in the
	 * committed history (0: not applied by anyone yet). */
	raft_index heal_index[64];
};

/* Fills options with the defaults of the brief: election 10 ticks,
 * heartbeat 1, pre-vote and check-quorum on, the core's pipelining
 * defaults. */
void cluster_options_defaults(struct cluster_options *o, uint64_t seed,
			      unsigned n_nodes);

/* Starts a fresh cluster: every node boots from the same one-entry log
 * (raft_core_bootstrap_entry of a configuration of all nodes as voters),
 * term 1, no vote. Failures (which would be core bugs) set c->failed.
 * Nodes added later (cluster_add_member) start empty: term 0, no entry. */
void cluster_init(struct cluster *c, const struct cluster_options *o);

/* Frees every core, write, message and record. */
void cluster_close(struct cluster *c);

/* Records the first failure and prints it in the transcript. */
void cluster_fail(struct cluster *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One transcript line: "t=<tick>.<step> n<id> ..." (id 0: no node). */
void cluster_trace(struct cluster *c, raft_id id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The current tick. */
uint64_t cluster_tick(const struct cluster *c);

/* Advances time by one step: ticks (at tick boundaries), completes due disk
 * writes, delivers due messages, restarts nodes whose restart is due, then
 * checks every node. */
void cluster_step(struct cluster *c);

/* Runs whole ticks (stops early on failure). */
void cluster_run_ticks(struct cluster *c, unsigned ticks);

/* Runs steps until pred returns true (checked after each step) or
 * max_ticks pass. Returns whether pred became true. */
bool cluster_run_until(struct cluster *c,
		       bool (*pred)(struct cluster *c, void *arg), void *arg,
		       unsigned max_ticks);

/* Node life. A crash frees the core and loses every write in flight (and
 * the messages held back for them); messages on the wire to it are lost.
 * A restart builds a new core from the durable state. */
void cluster_crash(struct cluster *c, raft_id id);
void cluster_restart(struct cluster *c, raft_id id);
bool cluster_is_up(const struct cluster *c, raft_id id);

/* Slow node: long disk writes and long delivery to it; clearing it also
 * pulls its writes in flight to the normal latency. */
void cluster_set_slow(struct cluster *c, raft_id id, bool slow);

/* The live node that is leader at the highest term, or 0. */
raft_id cluster_leader(const struct cluster *c);

/* Highest term among live nodes. */
raft_term cluster_max_term(const struct cluster *c);

/* Workload, on one node. Errors are the core's; the calls are traced.
 * propose: data is a NUL-terminated string (copied). */
int cluster_propose(struct cluster *c, raft_id id, const char *data,
		    raft_index *index, raft_term *term);
int cluster_read_index(struct cluster *c, raft_id id, uint64_t *ctx);

/* A lease read on node id (raft_core_read_lease()): checked at once with
 * the index it gives, and, if the node may read its state machine at once
 * (a wait-free read), that read too. Returns the core's answer. */
int cluster_read_lease(struct cluster *c, raft_id id);
int cluster_transfer(struct cluster *c, raft_id id, raft_id to);

/* Membership changes asked of node id (see raft_core_add_member() and the
 * others); *index and *term name the CONF entry appended (0 on error).
 * cluster_add_member adds the next id, c->n + 1, as a brand-new node with
 * an empty state that joins the network once the core accepted it (an id
 * is never used twice); it returns RAFT_ENOSPC and changes nothing when
 * SIM_MAX_NODES are there already. */
int cluster_add_member(struct cluster *c, raft_id id, uint8_t role,
		       raft_id *added, raft_index *index, raft_term *term);
int cluster_remove_member(struct cluster *c, raft_id id, raft_id member,
			  raft_index *index, raft_term *term);
int cluster_promote(struct cluster *c, raft_id id, raft_id learner,
		    raft_index *index, raft_term *term);

/* Node id's configuration in force (empty while it is down). */
const struct raft_configuration *cluster_node_conf(const struct cluster *c,
						   raft_id id);

/* Whether node id was removed for good: a member of some committed
 * configuration, and of the latest committed one no more. */
bool cluster_is_removed(const struct cluster *c, raft_id id);

/* Cuts every link of node id, for good (its traffic is dropped both ways,
 * through partitions and heals). */
void cluster_exile(struct cluster *c, raft_id id);

/* The state machine of node id saved a snapshot at index (at most its
 * applied index): raft_core_snapshot_taken(), then the snapshot is
 * recorded durably and the durable log compacted the same way as the
 * core's log. An index the core must refuse is tried too: the result is
 * checked either way. Returns the core's answer (RAFT_ENOTFOUND if the node
 * is down). */
int cluster_take_snapshot(struct cluster *c, raft_id id, raft_index index,
			  raft_index trailing);

/* The index of the last snapshot of node id's core (installed or taken),
 * as the simulator recorded it. */
raft_index cluster_snapshot_index(const struct cluster *c, raft_id id);

/* The last index of node id's durable log (or of its snapshot). */
raft_index node_disk_last(const struct node *n);

/* The chain hash the durable state of node n holds at index: its log's,
 * its snapshot's, or, for an entry compacted into the snapshot, the
 * committed history's (0: it holds nothing there). */
uint64_t node_disk_hash(const struct cluster *c, const struct node *n,
			raft_index index);

/* Network shortcuts (traced). */
void cluster_isolate(struct cluster *c, raft_id id);
void cluster_connect_all(struct cluster *c);
void cluster_set_filter(struct cluster *c, cluster_filter_cb filter, void *arg);

/* Node internals used by cluster.c, implemented in node.c. */
void node_init(struct cluster *c, struct node *n, raft_id id,
	       const struct raft_core_config *config,
	       const struct raft_entry *bootstrap /* NULL: empty */);
void node_close(struct node *n);
void node_start(struct cluster *c, struct node *n);
void node_stop(struct cluster *c, struct node *n);
void node_drain(struct cluster *c, struct node *n);
void node_complete_writes(struct cluster *c, struct node *n);
void node_deliver(struct cluster *c, struct node *n,
		  const struct raft_message *msg);
void node_start_transfer(struct cluster *c, struct node *n,
			 const struct raft_message *msg);
void cluster_run_transfers(struct cluster *c);
void sim_snapshot_clear(struct sim_snapshot *s);
void sim_snapshot_copy(struct sim_snapshot *dst,
		       const struct sim_snapshot *src);
const char *node_role_name(uint8_t role);

#endif /* RAFT_SIM_CLUSTER_H */
