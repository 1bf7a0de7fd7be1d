/* A hand-driven cluster of cores for the multi-node unit tests: a FIFO
 * network the test delivers from, a fake disk that persists on request,
 * and a record of what each node applied and read.
 *
 * Nodes have ids 1..n and live in nodes[id - 1]. Everything the helper
 * allocates for itself uses malloc(), not raft_malloc(), so that fault
 * injection and the leak count see only the core. */
#ifndef RAFT_TESTS_UNIT_CLUSTER_H
#define RAFT_TESTS_UNIT_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "raft/core.h"
#include "test.h"

#define CLUSTER_MAX 5

/* Messages in flight, oldest first; each a deep copy owned by the queue. */
struct msg_queue {
	struct raft_message *msgs;
	size_t n;
	size_t cap;
};

/* A deep copy of one ready batch, valid after raft_core_advance(). */
struct batch {
	bool hard_state_changed;
	struct raft_hard_state hard_state;
	struct raft_entry *entries;
	size_t n_entries;
	struct raft_message *messages;
	size_t n_messages;
	struct raft_message *persisted_messages;
	size_t n_persisted_messages;
	struct raft_entry *committed;
	size_t n_committed;
	struct raft_read *reads;
	size_t n_reads;
	/* rd.snapshot, deep-copied (its configuration with malloc()). */
	bool has_snapshot;
	struct raft_snapshot_meta snapshot;
	bool soft_state_changed;
	uint8_t role;
	raft_id leader_id;
};

struct cluster_node {
	raft_id id;
	struct raft_core *core;
	/* Manual persistence: writes stay pending until cluster_persist(). */
	bool manual_persist;
	/* Persisted messages waiting for their write to be durable. */
	struct msg_queue held;
	/* The last entry handed out to be written. */
	raft_index written_index;
	raft_term written_term;
	/* The last hard state handed out, not yet reported durable. */
	bool hs_pending;
	struct raft_hard_state written_hs;
	/* Committed entries applied so far, in order (deep copies), and the
	 * index of the last one (the recovered applied index at first). */
	raft_index applied_index;
	struct raft_entry *applied;
	size_t n_applied;
	/* Snapshots handed out in rd.snapshot and loaded (the state machine
	 * then holds everything up to the last one's index). */
	unsigned n_snapshots_loaded;
	raft_index loaded_snapshot_index;
	/* Every read result that came out, in order. */
	struct raft_read *reads;
	size_t n_reads;
};

struct cluster {
	unsigned n;
	struct cluster_node nodes[CLUSTER_MAX];
	struct msg_queue net;
	bool isolated[CLUSTER_MAX + 1]; /* by id: its traffic is dropped */
	/* cluster_step() takes RAFT_ENOMEM as a lost message (for fault
	 * injection) instead of failing the case. */
	bool tolerate_enomem;
};

/* ------------------------------------------------------------------------
 * Messages and batches
 * ------------------------------------------------------------------------ */

/* Deep copies (entries and their data, a snapshot's configuration) and
 * their release. */
void msg_copy(struct raft_message *dst, const struct raft_message *src);
void msg_free(struct raft_message *m);
void msg_queue_push(struct msg_queue *q, const struct raft_message *m);
void msg_queue_remove(struct msg_queue *q, size_t i);
void msg_queue_clear(struct msg_queue *q);

/* A configuration copied with malloc() (not raft_malloc(), so the leak
 * count and fault injection see only the core), and its release. */
void conf_copy_plain(struct raft_configuration *dst,
		     const struct raft_configuration *src);
void conf_free_plain(struct raft_configuration *conf);

/* Calls raft_core_ready(), deep-copies the batch into b, then calls
 * raft_core_advance(). */
void batch_take(struct raft_core *core, struct batch *b);
void batch_free(struct batch *b);

/* The first message of the batch (messages, then persisted_messages when
 * persisted is true) with this type and destination (0: any), or NULL. */
const struct raft_message *batch_find(const struct batch *b, bool persisted,
				      uint8_t type, raft_id to);

/* Same, but fails the case if there is no such message. */
#define BATCH_GET(b, persisted, type, to) \
	batch_get(__FILE__, __LINE__, (b), (persisted), (type), (to))
const struct raft_message *batch_get(const char *file, int line,
				     const struct batch *b, bool persisted,
				     uint8_t type, raft_id to);

/* How many messages of the batch have this type (0: any). */
size_t batch_count(const struct batch *b, bool persisted, uint8_t type);

/* ------------------------------------------------------------------------
 * Building
 * ------------------------------------------------------------------------ */

/* Defaults for node id with a fixed seed, so that runs repeat exactly. */
void cluster_config(struct raft_core_config *cfg, raft_id id);

/* An empty cluster; nodes are added with cluster_add*(). */
void cluster_init(struct cluster *c);

/* Adds node c->n + 1 from a recovered state (asserts success). A NULL cfg
 * means cluster_config(). */
void cluster_add(struct cluster *c, const struct raft_core_config *cfg,
		 const struct raft_core_state *st);

/* A fresh cluster of n_voters voters then n_learners learners, all
 * starting from the same bootstrap entry at term 1. tmpl (may be NULL)
 * gives every node's config; its id and seed are replaced. */
void cluster_bootstrap(struct cluster *c, unsigned n_voters,
		       unsigned n_learners,
		       const struct raft_core_config *tmpl);

/* Adds a node whose log is the bootstrap entry of n_voters voters followed
 * by NORMAL entries of the given terms (indexes 2, 3, ...), with hard state
 * (term, vote) and nothing applied. */
void cluster_add_with_log(struct cluster *c, unsigned n_voters,
			  const struct raft_core_config *tmpl, raft_term term,
			  raft_id vote, const raft_term *terms, size_t n_terms);

void cluster_close(struct cluster *c);

/* ------------------------------------------------------------------------
 * Driving
 * ------------------------------------------------------------------------ */

struct raft_core *cluster_core(struct cluster *c, raft_id id);
struct cluster_node *cluster_node(struct cluster *c, raft_id id);

/* Takes one batch from the node (asserts there is one) and handles it like
 * a runtime: messages go on the network, entries are written (durable at
 * once unless manual_persist), persisted messages wait for the write,
 * a snapshot handed out is loaded (the applied index becomes its index)
 * before committed entries are applied in order, and reads are recorded.
 * If b is not
 * NULL it receives the batch (the caller frees it). */
void cluster_handle_ready(struct cluster *c, raft_id id, struct batch *b);

/* Handles batches while the node has one. */
void cluster_flush(struct cluster *c, raft_id id);

/* The pending writes of the node are durable: reports the last entry to
 * the core and releases the held persisted messages. */
void cluster_persist(struct cluster *c, raft_id id);

/* Steps a message into its destination (asserts success, or RAFT_ENOMEM
 * with tolerate_enomem). */
void cluster_step(struct cluster *c, const struct raft_message *m);

/* Delivers every message now queued whose sender, destination and type
 * match (0: any), in order, dropping those of isolated nodes. Messages
 * queued meanwhile wait. Returns how many were stepped. */
size_t cluster_deliver_if(struct cluster *c, raft_id from, raft_id to,
			  uint8_t type);
size_t cluster_deliver(struct cluster *c);

/* Drops the matching queued messages; returns how many. */
size_t cluster_drop_if(struct cluster *c, raft_id from, raft_id to,
		       uint8_t type);

/* The number of matching queued messages, and the first one (or NULL). */
size_t cluster_count(const struct cluster *c, raft_id from, raft_id to,
		     uint8_t type);
const struct raft_message *cluster_find(const struct cluster *c, raft_id from,
					raft_id to, uint8_t type);

/* Flushes every node and delivers until nothing is left to do. */
void cluster_stabilize(struct cluster *c);

/* Ticks a node n times, flushing it after each tick. */
void cluster_tick(struct cluster *c, raft_id id, unsigned n);

/* Ticks a node, without flushing, until it leaves the follower role (its
 * election timeout); returns the number of ticks. */
unsigned cluster_campaign(struct cluster *c, raft_id id);

/* Ticks node id until it campaigns, then stabilizes; asserts it leads. */
void cluster_elect(struct cluster *c, raft_id id);

/* Runs `rounds` rounds in which nodes 1..n_nodes flush, every
 * AppendEntries of node `from` is dropped and the rest is delivered: a
 * candidate `from` wins, but its appends (its no-op) never arrive. */
void cluster_rounds_dropping_appends(struct cluster *c, unsigned n_nodes,
				     raft_id from, unsigned rounds);

/* Drops all traffic to and from a node, when sent and when delivered (or
 * stops dropping it). */
void cluster_isolate(struct cluster *c, raft_id id, bool isolated);

/* Proposes one NORMAL entry holding the string (asserts success); returns
 * its index. */
raft_index cluster_propose(struct cluster *c, raft_id id, const char *data);

struct raft_core_status cluster_status(struct cluster *c, raft_id id);

/* Asserts the node's role, printing names. */
#define ASSERT_ROLE(c, id, want) \
	cluster_assert_role(__FILE__, __LINE__, (c), (id), (want))
void cluster_assert_role(const char *file, int line, struct cluster *c,
			 raft_id id, uint8_t want);

/* Asserts that the entry at index in node id's applied list holds data. */
#define ASSERT_APPLIED(c, id, index, data) \
	cluster_assert_applied(__FILE__, __LINE__, (c), (id), (index), (data))
void cluster_assert_applied(const char *file, int line, struct cluster *c,
			    raft_id id, raft_index index, const char *data);

#endif /* RAFT_TESTS_UNIT_CLUSTER_H */
