/* The core's state and the helpers its modules share. */
#ifndef RAFT_CORE_CORE_H
#define RAFT_CORE_CORE_H

#include <stdbool.h>

#include "core/log.h"
#include "core/progress.h"
#include "raft/core.h"
#include "util/assert.h"

/* A read waiting for leadership to be confirmed. index 0: the leader has
 * not committed an entry of its term yet, the read index is not known. */
struct pending_read {
	uint64_t ctx;
	raft_index index;
	uint64_t seq; /* heartbeat round that must reach a quorum */
	raft_id from; /* a follower's read: answer it there; 0: local */
};

/* A follower's read waiting for the leader's answer. */
struct follower_read {
	uint64_t ctx;
	uint64_t tick; /* when it was sent */
};

/* Ticks at which the last heartbeat rounds started (by seq modulo). */
#define ROUND_TICKS 64

/* A growable array of outgoing messages. */
struct outbox {
	struct raft_message *msgs;
	size_t n;
	size_t cap;
};

struct raft_core {
	struct raft_core_config cfg;
	uint64_t rand_state;

	/* Persistent state (Figure 2): changed here, persisted by the caller.
	 */
	raft_term term;
	raft_id vote;
	struct log log;
	raft_term durable_term; /* the hard state known to be durable */
	raft_id durable_vote;

	/* Volatile state. */
	uint8_t role;
	raft_id leader_id;
	raft_index commit;
	raft_index persisted; /* local log durable up to here */
	raft_index applying;  /* committed entries handed out up to here */
	raft_index applied;   /* the state machine applied up to here */

	/* The configuration in force: the last CONF entry of the log, at
	 * conf_index; prs has one progress per member, in the same order. */
	struct raft_configuration conf;
	raft_index conf_index;
	struct progress *prs;

	/* The last snapshot taken or installed, if has_snapshot. */
	bool has_snapshot;
	struct raft_snapshot_meta snapshot;
	bool snapshot_unsent; /* installed, not yet handed out in a batch */

	/* Timers, in ticks. */
	uint64_t ticks; /* logical time since creation */
	unsigned election_elapsed;
	unsigned heartbeat_elapsed;
	unsigned randomized_timeout;
	unsigned transfer_elapsed;

	/* Leader state. */
	uint64_t seq;		/* current heartbeat round */
	bool round_unsent;	/* round seq has not been handed out yet */
	bool committed_in_term; /* an entry of this term is committed */
	raft_index term_start;	/* the index of this term's first entry */
	raft_index read_floor;	/* the highest read index handed out */
	bool lease_forbidden;	/* a transfer was started in this term */
	uint64_t round_ticks[ROUND_TICKS];
	raft_id transfer_to; /* leadership transfer under way */
	struct pending_read *reads;
	size_t n_reads;
	size_t cap_reads;

	/* Follower reads sent to the leader. */
	struct follower_read *freads;
	size_t n_freads;
	size_t cap_freads;

	/* Output waiting for the next ready batch. */
	struct outbox msgs;  /* may leave now */
	struct outbox pmsgs; /* leave once persisted */
	struct raft_read *done_reads;
	size_t n_done_reads;
	size_t cap_done_reads;
	struct raft_hard_state last_hs; /* last hard state handed out */
	uint8_t last_role;
	raft_id last_leader_id;
	bool in_ready; /* between raft_core_ready() and raft_core_advance() */
};

/* Assert with the node id and term in the message. */
#define CORE_ASSERTF(core, cond, fmt, ...)               \
	RAFT_ASSERTF(cond, "node %llu term %llu: " fmt,  \
		     (unsigned long long)(core)->cfg.id, \
		     (unsigned long long)(core)->term, __VA_ARGS__)

/* Every core entry point but the inspection ones checks this. */
#define NOT_IN_READY(core)                                               \
	RAFT_ASSERTF(!(core)->in_ready,                                  \
		     "node %llu: core called between ready and advance", \
		     (unsigned long long)(core)->cfg.id)

/* Member lookups in the configuration in force. */
struct progress *core_progress(struct raft_core *core, raft_id id);
bool core_is_voter(const struct raft_core *core, raft_id id);
unsigned core_quorum(const struct raft_core *core);

/* Queues a message for the next ready batch (after_persist: hold it until
 * this batch's writes are durable). A message that cannot be queued for
 * lack of memory is dropped, which Raft tolerates like any lost message.
 * The message's append entries, if any, must already hold references. */
void core_send(struct raft_core *core, struct raft_message *msg,
	       bool after_persist);

/* Moves the commit index forward to index (never back). */
void core_commit_to(struct raft_core *core, raft_index index);

/* A configuration decoded and its progress array allocated, ready to be
 * put in force without any step that can fail. */
struct conf_change {
	struct raft_configuration conf;
	struct progress *prs;
	raft_index index;
};

/* Prepares the configuration stored at index (a CONF entry's data, or
 * NULL for the empty configuration of a log without one).
 * Errors: RAFT_ECORRUPT (errmsg says why), RAFT_ENOMEM. */
int core_conf_prepare(struct raft_core *core, const struct raft_buf *data,
		      raft_index index, struct conf_change *cc, char *errmsg,
		      size_t errmsg_len);

/* Same, from a configuration (copied). Errors: RAFT_ENOMEM. */
int core_conf_prepare_copy(struct raft_core *core,
			   const struct raft_configuration *conf,
			   raft_index index, struct conf_change *cc);

/* The configuration in force at index (a copy into an initialized, empty
 * conf): the last CONF entry at or before it, else the snapshot's.
 * Errors: RAFT_ENOMEM, RAFT_ECORRUPT. */
int core_conf_at(const struct raft_core *core, raft_index index,
		 struct raft_configuration *conf);

/* Puts a prepared configuration in force; progress of members present in
 * both keeps its state. cc is consumed. */
void core_conf_install(struct raft_core *core, struct conf_change *cc);

/* While the configuration in force is not known to be committed: the role
 * of member id in the one before it (committed: a leader changes one at a
 * time), else 0, as when id was not a member. */
uint8_t core_previous_role(const struct raft_core *core, raft_id id);

/* Discards a prepared configuration that will not be installed. */
void core_conf_discard(struct conf_change *cc);

/* The last CONF entry at an index below `before`, or NULL. */
const struct raft_entry *core_last_conf_entry(const struct raft_core *core,
					      raft_index before);

#endif /* RAFT_CORE_CORE_H */
