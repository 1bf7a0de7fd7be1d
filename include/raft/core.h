/* The consensus core: a pure, deterministic Raft state machine.
 *
 * The core never reads a clock, touches a socket or a file, starts a thread
 * or uses global state. Everything comes in as a call:
 *
 *   raft_core_tick()       one logical time unit passed
 *   raft_core_step()       a message arrived from a peer
 *   raft_core_propose()    the application wants entries replicated
 *   raft_core_read_index() the application wants a linearizable read point
 *   raft_core_persisted()  a write handed out earlier is now durable
 *   raft_core_applied()    committed entries were applied
 *
 * and everything goes out as data, in a ready batch:
 *
 *   while (raft_core_has_ready(core)) {
 *       struct raft_ready rd;
 *       raft_core_ready(core, &rd);
 *       - start writing rd.hard_state (if changed) and rd.entries;
 *       - send rd.messages now;
 *       - send rd.persisted_messages once that write (and every earlier
 *         one) is durable, then call raft_core_persisted();
 *       - apply rd.committed in order, then call raft_core_applied();
 *       - answer rd.reads once the state machine applied rd.reads[i].index;
 *       raft_core_advance(core);
 *   }
 *
 * Everything a ready batch points to belongs to the core and stays valid
 * until raft_core_advance(); no other core call may come in between. The
 * caller copies what it keeps.
 *
 * Writes must become durable in the order they were handed out: the entries
 * of a batch replace the log from rd.entries[0].index on (truncating any
 * suffix), on top of every earlier batch.
 */
#ifndef RAFT_CORE_H
#define RAFT_CORE_H

#include <stdbool.h>

#include "raft/common.h"
#include "raft/error.h"

/* ------------------------------------------------------------------------
 * Log entries and configurations
 * ------------------------------------------------------------------------ */

enum raft_entry_type {
	RAFT_ENTRY_NORMAL = 1, /* application data */
	RAFT_ENTRY_NOOP = 2,   /* appended by each new leader; data is empty */
	RAFT_ENTRY_CONF = 3,   /* an encoded struct raft_configuration */
};

struct raft_entry {
	raft_term term;
	raft_index index;
	uint8_t type; /* enum raft_entry_type */
	struct raft_buf data;
};

enum raft_server_role {
	RAFT_VOTER = 1,	  /* counts in quorums, may become leader */
	RAFT_LEARNER = 2, /* receives the log, never votes or campaigns */
};

/* One member of a configuration. The address is opaque to the core (raftd
 * stores its peer and client URLs there); it may be empty, never NULL. */
struct raft_server {
	raft_id id;
	uint8_t role; /* enum raft_server_role */
	char *address;
};

/* A set of members; ids are unique and non-zero. */
struct raft_configuration {
	struct raft_server *servers;
	unsigned n;
};

/* Makes an empty configuration. */
RAFT_API void raft_configuration_init(struct raft_configuration *conf);

/* Releases what the configuration owns; it is empty afterwards. */
RAFT_API void raft_configuration_close(struct raft_configuration *conf);

/* Adds a member; the address is copied.
 * Errors: RAFT_EINVAL (id 0, bad role, NULL address, address longer than
 * RAFT_ADDRESS_MAX_LEN), RAFT_EEXIST (id already present), RAFT_ENOMEM. */
#define RAFT_ADDRESS_MAX_LEN 1024
RAFT_API int raft_configuration_add(struct raft_configuration *conf, raft_id id,
				    const char *address,
				    uint8_t role) RAFT_WARN_UNUSED;

/* The member with this id, or NULL. */
RAFT_API const struct raft_server *
raft_configuration_get(const struct raft_configuration *conf, raft_id id);

/* Number of voters. */
RAFT_API unsigned
raft_configuration_n_voters(const struct raft_configuration *conf);

/* Deep copy into an initialized, empty dst. Errors: RAFT_ENOMEM. */
RAFT_API int
raft_configuration_copy(const struct raft_configuration *src,
			struct raft_configuration *dst) RAFT_WARN_UNUSED;

/* Encodes into a fresh buffer allocated with raft_malloc(); the caller frees
 * out->base with raft_free(). Format (all integers little-endian):
 *   u8 version (1), u32 n, then n times: u64 id, u8 role, u16 address
 *   length, address bytes (no terminator).
 * Errors: RAFT_ENOMEM. */
RAFT_API int raft_configuration_encode(const struct raft_configuration *conf,
				       struct raft_buf *out) RAFT_WARN_UNUSED;

/* The size of the encoding, and the encoding written into buf (which has
 * that many bytes), for callers that place it themselves. */
RAFT_API size_t
raft_configuration_encoded_size(const struct raft_configuration *conf);
RAFT_API void
raft_configuration_encode_into(const struct raft_configuration *conf,
			       void *buf);

/* Decodes into an initialized, empty conf. Outside bytes are checked: on
 * failure conf stays empty and errmsg (if not NULL, errmsg_len bytes) says
 * why. Errors: RAFT_ECORRUPT, RAFT_ENOMEM. */
RAFT_API int raft_configuration_decode(const struct raft_buf *buf,
				       struct raft_configuration *conf,
				       char *errmsg,
				       size_t errmsg_len) RAFT_WARN_UNUSED;

/* ------------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------------ */

enum raft_message_type {
	RAFT_MSG_VOTE = 1,	  /* RequestVote, or a pre-vote probe */
	RAFT_MSG_VOTE_RESP = 2,	  /* answer to RAFT_MSG_VOTE */
	RAFT_MSG_APPEND = 3,	  /* AppendEntries carrying entries */
	RAFT_MSG_APPEND_RESP = 4, /* answer to RAFT_MSG_APPEND */
	RAFT_MSG_HEARTBEAT = 5,	  /* leader liveness, commit and read rounds */
	RAFT_MSG_HEARTBEAT_RESP = 6,
	RAFT_MSG_TIMEOUT_NOW = 7, /* leadership transfer: campaign at once */
	RAFT_MSG_SNAPSHOT = 8,	  /* InstallSnapshot: the metadata (below) */
	RAFT_MSG_READ_INDEX = 9,  /* a follower asks the leader for a read */
	RAFT_MSG_READ_INDEX_RESP = 10,
	/* The snapshot's bytes, streamed by the runtimes beside the core
	 * (never stepped into it). */
	RAFT_MSG_SNAPSHOT_CHUNK = 11,
	RAFT_MSG_SNAPSHOT_ACK = 12,
};
#define RAFT_MSG_CORE_MAX 10 /* the last type the core takes */
#define RAFT_MSG_TYPE_MAX 12 /* the last type on the wire */

struct raft_msg_vote {
	raft_index last_log_index;
	raft_term last_log_term;
	bool pre_vote; /* a probe: no one changes term or vote for it */
	bool transfer; /* sent on TimeoutNow: bypasses leader stickiness */
};

struct raft_msg_vote_resp {
	bool pre_vote;
	bool granted;
};

struct raft_msg_append {
	raft_index prev_index;
	raft_term prev_term;
	raft_index commit;
	uint64_t seq; /* leader's heartbeat round, echoed in the response */
	struct raft_entry *entries;
	uint32_t n_entries;
};

struct raft_msg_append_resp {
	bool success;
	/* success: the follower's log matches the leader's up to index.
	 * failure: index is the prev_index that was rejected. */
	raft_index index;
	/* failure only: the follower's hint for fast back-off, its largest
	 * index <= min(prev_index, last index) whose term <= the rejected
	 * prev_term, and that entry's term. */
	raft_index hint_index;
	raft_term hint_term;
	raft_index last_index; /* the follower's last log index */
	uint64_t seq;
};

struct raft_msg_heartbeat {
	raft_index commit; /* min(follower's match index, leader's commit) */
	uint64_t seq;
};

/* What a snapshot covers: every entry up to index (of term), and the
 * configuration in force at index. */
struct raft_snapshot_meta {
	raft_index index;
	raft_term term;
	struct raft_configuration conf;
};

/* InstallSnapshot. The core deals in metadata only: on the leader a
 * RAFT_MSG_SNAPSHOT in rd.messages asks the runtime to stream the state
 * machine's snapshot at meta.index to the follower (in chunks, beside the
 * core); on the follower the runtime steps it in once the whole snapshot is
 * stored locally. The follower answers with RAFT_MSG_APPEND_RESP. */
struct raft_msg_snapshot {
	struct raft_snapshot_meta meta;
};

/* Follower read: the follower's ctx travels to the leader and back with
 * the read index (ok false: the receiver is not the leader, or lost
 * leadership before the read was confirmed). */
struct raft_msg_read_index {
	uint64_t ctx;
};

struct raft_msg_read_index_resp {
	uint64_t ctx;
	raft_index index;
	bool ok;
};

/* A piece of the snapshot file at (index, term), size bytes in all, from
 * offset on. epoch counts the sender's restarts of this transfer: acks
 * echo it, so the sender can ignore those about chunks it gave up on. */
struct raft_msg_snapshot_chunk {
	raft_index index;
	raft_term term;
	uint64_t size;
	uint64_t offset;
	uint32_t epoch;
	struct raft_buf data;
};

enum raft_snapshot_ack_status {
	RAFT_SNAPSHOT_ACK_NEXT = 0,	/* send from offset on */
	RAFT_SNAPSHOT_ACK_DONE = 1,	/* whole, checked and taken in */
	RAFT_SNAPSHOT_ACK_REJECTED = 2, /* failed its checks: start over */
};

/* The receiver's answer to a chunk: the offset it expects next (after a
 * lost chunk, or when it kept part of this snapshot from an earlier
 * transfer, this is where the sender resumes). */
struct raft_msg_snapshot_ack {
	raft_index index;
	raft_term term;
	uint64_t offset;
	uint32_t epoch;
	uint8_t status; /* enum raft_snapshot_ack_status */
};

struct raft_msg_heartbeat_resp {
	uint64_t seq;
	raft_index last_index; /* the follower's last log index */
};

struct raft_message {
	uint8_t type; /* enum raft_message_type */
	raft_id from;
	raft_id to;
	raft_term term;
	union {
		struct raft_msg_vote vote;
		struct raft_msg_vote_resp vote_resp;
		struct raft_msg_append append;
		struct raft_msg_append_resp append_resp;
		struct raft_msg_heartbeat heartbeat;
		struct raft_msg_heartbeat_resp heartbeat_resp;
		struct raft_msg_snapshot snapshot;
		struct raft_msg_read_index read_index;
		struct raft_msg_read_index_resp read_index_resp;
		struct raft_msg_snapshot_chunk chunk;
		struct raft_msg_snapshot_ack ack;
	};
};

/* Name of a message type ("append", ...), or "unknown". */
RAFT_API const char *raft_message_type_name(uint8_t type);

/* ------------------------------------------------------------------------
 * The core
 * ------------------------------------------------------------------------ */

struct raft_core;

enum raft_role {
	RAFT_FOLLOWER = 1,
	RAFT_PRE_CANDIDATE = 2,
	RAFT_CANDIDATE = 3,
	RAFT_LEADER = 4,
};

/* Name of a role ("follower", ...), or "unknown". */
RAFT_API const char *raft_role_name(uint8_t role);

struct raft_core_config {
	raft_id id; /* this node; non-zero */
	/* ET: a follower that hears no leader for a random time in
	 * [election_ticks, 2 * election_ticks) campaigns. */
	unsigned election_ticks;
	/* A leader sends heartbeats every heartbeat_ticks; less than ET. */
	unsigned heartbeat_ticks;
	bool pre_vote;	   /* probe with pre-votes before a real election */
	bool check_quorum; /* leaders step down without a live majority; also
			      turns on leader stickiness */
	/* Pipelining: at most this many AppendEntries in flight per follower
	 * and at most this many entry bytes in flight (0: no byte limit). */
	unsigned max_inflight_msgs;
	size_t max_inflight_bytes;
	/* Batching: at most this many entries and entry bytes in one
	 * AppendEntries (one entry is always allowed). */
	unsigned max_append_entries;
	size_t max_append_bytes;
	/* Seeds the core's private PRNG (randomized election timeouts). */
	uint64_t random_seed;
	/* Lease reads: how many ticks two nodes' clocks may drift apart
	 * within an election timeout. The lease lasts election_ticks -
	 * clock_drift_ticks - 1 ticks (one more for the tick granularity)
	 * from when a round a quorum acknowledged was sent; 0 or less: no
	 * lease reads. Needs check_quorum (leader stickiness). */
	unsigned clock_drift_ticks;
};

/* Fills a config with the defaults: election_ticks 10, heartbeat_ticks 1,
 * pre_vote and check_quorum on, 256 messages / 0 bytes in flight, 1024
 * entries / 1 MiB per message, a clock drift of 1 tick. */
RAFT_API void raft_core_config_defaults(struct raft_core_config *config,
					raft_id id);

/* What storage recovered, handed to raft_core_new(); borrowed (copied).
 * A new node has term 0, vote 0 and no entries. A node of a fresh cluster
 * starts from raft_core_bootstrap_entry() at index 1 and term 1 (with the
 * hard state's term set to 1). */
struct raft_core_state {
	raft_term term;
	raft_id vote;
	const struct raft_entry *entries; /* indexes 1, 2, ... n_entries */
	size_t n_entries;
	/* The state machine already holds every entry up to here (so they
	 * are committed); apply resumes after it. At most the last index. */
	raft_index applied;
	/* The last snapshot (NULL: none). The entries then start right
	 * after some index <= snapshot->index + 1 (a trailing margin of the
	 * log may be kept before the snapshot's index), and `applied` is at
	 * least snapshot->index. */
	const struct raft_snapshot_meta *snapshot;
};

/* Makes the first entry of a new cluster's log: index 1, term 1, a CONF
 * entry holding conf. entry->data is allocated with raft_malloc(); the
 * caller frees it with raft_free(). Errors: RAFT_EINVAL (no voter),
 * RAFT_ENOMEM. */
RAFT_API int
raft_core_bootstrap_entry(const struct raft_configuration *conf,
			  struct raft_entry *entry) RAFT_WARN_UNUSED;

/* Creates a core from a config and recovered state (both borrowed). The
 * configuration in force is the last CONF entry of the log.
 * Errors: RAFT_EINVAL with errmsg set (bad config, a log that is not
 * contiguous from index 1, an entry term above the hard state's term, a
 * CONF entry that does not decode), RAFT_ENOMEM. */
RAFT_API int raft_core_new(const struct raft_core_config *config,
			   const struct raft_core_state *state,
			   struct raft_core **out, char *errmsg,
			   size_t errmsg_len) RAFT_WARN_UNUSED;

/* Frees the core and everything it owns; NULL is a no-op. */
RAFT_API void raft_core_free(struct raft_core *core);

/* One logical time unit passed. */
RAFT_API void raft_core_tick(struct raft_core *core);

/* A message arrived (borrowed: entries are copied). Messages from another
 * term, stale or duplicated ones are handled as Raft says; messages not
 * addressed to this node are refused.
 * Errors: RAFT_EINVAL (not for this node, from itself, unknown type),
 * RAFT_EPROTO (inconsistent content: entries not contiguous, terms out of
 * order, a CONF entry that does not decode; or a message that proves Raft
 * broken on the sender's side: a second leader in this node's term, a
 * change to an entry this node knows is committed), RAFT_ENOMEM. On an
 * error the
 * message is dropped as if it was lost (a higher term it carried may have
 * been adopted, as Raft allows for any message). */
RAFT_API int raft_core_step(struct raft_core *core,
			    const struct raft_message *msg) RAFT_WARN_UNUSED;

/* Appends n NORMAL entries with the given data (borrowed: copied) to the
 * leader's log, at indexes *first_index, *first_index + 1, ... in *term.
 * They are committed once a majority stores them; the caller learns by
 * seeing them among the committed entries with the same index and term.
 * Errors: RAFT_ENOTLEADER, RAFT_EBUSY (a leadership transfer is under way),
 * RAFT_EINVAL (n is 0), RAFT_ENOMEM (nothing appended). */
RAFT_API int raft_core_propose(struct raft_core *core,
			       const struct raft_buf *data, unsigned n,
			       raft_term *term,
			       raft_index *first_index) RAFT_WARN_UNUSED;

/* Asks for a linearizable read point (ReadIndex). Once the leader knows it
 * was still the leader after this call (a quorum acknowledged a heartbeat
 * round sent after it) and has committed an entry of its term, a struct
 * raft_read with this ctx and the read index comes out in a ready batch;
 * the read may be served once the state machine applied that index. If
 * leadership is lost first, the read comes out with status
 * RAFT_ELEADERCHANGED.
 *
 * On a follower (follower read) the request goes to the leader it knows,
 * which confirms its leadership the same way and answers with its read
 * index; the read comes out the same way, with status RAFT_ELEADERCHANGED
 * if the leader refused, or RAFT_ETIMEDOUT without an answer within an
 * election timeout. Errors: RAFT_ENOTLEADER (a leader-less node, a
 * candidate), RAFT_ENOMEM. */
RAFT_API int raft_core_read_index(struct raft_core *core,
				  uint64_t ctx) RAFT_WARN_UNUSED;

/* Lease read (thesis 6.4.1): if this leader holds a lease now — a quorum
 * acknowledged a heartbeat round it sent less than the lease ago, it
 * committed an entry of its term, and it started no leadership transfer in
 * this term — *index is its commit index (a read served once the state
 * machine applied it is linearizable, without a round trip), and
 * *wait_free_from is the applied index from which the state machine may be
 * read at once (a wait-free read): the leader's first entry of the term,
 * or the highest read index handed out to any read so far if higher (a
 * follower read may have seen an entry this leader has not applied yet).
 * The runtime's ticks must follow a monotonic clock. Errors:
 * RAFT_ENOTLEADER, RAFT_EBUSY (no lease now: use raft_core_read_index()). */
RAFT_API int raft_core_read_lease(const struct raft_core *core,
				  raft_index *index,
				  raft_index *wait_free_from) RAFT_WARN_UNUSED;

/* Hands leadership to a voter (0: the most up-to-date live one). The
 * leader stops taking proposals, brings the target up to date and sends it
 * TimeoutNow; after election_ticks without success it takes proposals
 * again. Errors: RAFT_ENOTLEADER, RAFT_EINVAL (self, unknown or a learner),
 * RAFT_EBUSY (a transfer is under way), RAFT_ENOTFOUND (no other voter),
 * RAFT_EUNAVAILABLE (the target, or every other voter, has not answered
 * within the last election timeout). */
RAFT_API int raft_core_transfer_leader(struct raft_core *core,
				       raft_id to) RAFT_WARN_UNUSED;

/* Every write handed out up to the one whose last entry is (index, term) is
 * durable. If the log no longer holds that entry (it was replaced since),
 * the call is a no-op: a later call will report progress. */
RAFT_API void raft_core_persisted(struct raft_core *core, raft_index index,
				  raft_term term);

struct raft_hard_state;

/* The hard state hs, handed out in a ready batch, is durable (call it
 * with the entries' raft_core_persisted(), in the same order). A
 * candidate counts its own vote only once it is durable: a single voter
 * elects itself only then, so a restart can never lead a term twice. */
RAFT_API void raft_core_hard_state_persisted(struct raft_core *core,
					     const struct raft_hard_state *hs);

/* The state machine applied every committed entry up to index (which was
 * handed out in a ready batch). */
RAFT_API void raft_core_applied(struct raft_core *core, raft_index index);

/* The state machine saved a snapshot of everything up to index (at most
 * the applied index). The core remembers its metadata (to send it to
 * followers that fall behind) and drops the log up to index - trailing:
 * a trailing margin lets slightly lagging followers catch up from the log.
 * The caller deletes the same entries from storage. Errors: RAFT_EINVAL
 * (index above the applied index, or not above the last snapshot's),
 * RAFT_ENOMEM (nothing changed). */
RAFT_API int raft_core_snapshot_taken(struct raft_core *core, raft_index index,
				      raft_index trailing) RAFT_WARN_UNUSED;

/* The metadata a snapshot of everything up to index would carry: index,
 * term and the configuration in force there (copied into meta->conf,
 * which must be initialized and empty). For the runtime, to write a
 * snapshot file before raft_core_snapshot_taken(). Errors: RAFT_ENOTFOUND
 * (the log no longer holds index, or the configuration there was compacted
 * away), RAFT_ENOMEM. */
RAFT_API int
raft_core_snapshot_meta_at(const struct raft_core *core, raft_index index,
			   struct raft_snapshot_meta *meta) RAFT_WARN_UNUSED;

/* The runtime finished streaming the snapshot a RAFT_MSG_SNAPSHOT asked for
 * to peer id (ok), or gave up (the connection failed, a chunk was refused):
 * the leader then resumes replicating to it, from the log or with another
 * snapshot. */
RAFT_API void raft_core_report_snapshot(struct raft_core *core, raft_id id,
					bool ok);

/* ------------------------------------------------------------------------
 * Membership (leader only; lib/core/membership.c)
 *
 * One change at a time (single-server changes, Ongaro's thesis 4.1): each
 * call appends a CONF entry that is in force as soon as it is appended, on
 * every node that has it; the change is done once that entry commits
 * (*term, *index say which entry it is, as for raft_core_propose()). A new
 * change is refused while the last one is not committed, and until the
 * leader committed an entry of its own term (the fix for the bug of
 * single-server changes across leader changes). A leader that is no longer
 * a voter once the change commits hands over (TimeoutNow to the most
 * up-to-date voter) and steps down.
 *
 * Common errors: RAFT_ENOTLEADER, RAFT_EBUSY (a change or a leadership
 * transfer is under way, or the leader has not committed an entry of its
 * term yet), RAFT_ENOMEM (nothing changed).
 * ------------------------------------------------------------------------ */

/* Adds a member (a voter or a learner). A new node should join as a
 * learner, catch up, then be promoted: a voter that joins empty can stall
 * commits while it catches up. Errors: RAFT_EEXIST (the id is a member),
 * RAFT_EINVAL (id 0, bad role or address). */
RAFT_API int raft_core_add_member(struct raft_core *core, raft_id id,
				  const char *address, uint8_t role,
				  raft_term *term,
				  raft_index *index) RAFT_WARN_UNUSED;

/* Removes a member (the leader itself too). Errors: RAFT_ENOTFOUND (not
 * a member), RAFT_EINVAL (the last voter). */
RAFT_API int raft_core_remove_member(struct raft_core *core, raft_id id,
				     raft_term *term,
				     raft_index *index) RAFT_WARN_UNUSED;

/* Turns a learner into a voter, once its log is within max_append_entries
 * of the leader's and it answered within the last election timeout.
 * Errors: RAFT_ENOTFOUND (not a member), RAFT_EINVAL (not a learner),
 * RAFT_ELAGGING (too far behind), RAFT_EUNAVAILABLE (not heard from). */
RAFT_API int raft_core_promote(struct raft_core *core, raft_id id,
			       raft_term *term,
			       raft_index *index) RAFT_WARN_UNUSED;

/* Unsafe recovery when a majority is lost for good: forces this node's
 * configuration to conf (this node must be a voter of it), on any node,
 * leader or not. The node moves to a new term, appends conf as a CONF entry
 * there and campaigns at its next tick. Entries that only the lost members
 * hold are lost; if lost members come back, two histories can diverge:
 * they must be wiped before they rejoin. Errors: RAFT_EINVAL (no voter,
 * this node not a voter of conf), RAFT_ENOMEM. */
RAFT_API int
raft_core_reset_peers(struct raft_core *core,
		      const struct raft_configuration *conf) RAFT_WARN_UNUSED;

struct raft_hard_state {
	raft_term term;
	raft_id vote;
};

struct raft_read {
	uint64_t ctx;
	raft_index index; /* serve once applied >= index */
	int status;	  /* 0, or RAFT_ELEADERCHANGED */
};

struct raft_ready {
	/* Persist hard_state when hard_state_changed. */
	bool hard_state_changed;
	struct raft_hard_state hard_state;
	/* Persist these: the log from entries[0].index on is replaced. */
	const struct raft_entry *entries;
	size_t n_entries;
	/* Send now (a leader's AppendEntries leave while its own write is in
	 * flight: parallel append). */
	const struct raft_message *messages;
	size_t n_messages;
	/* Send only once hard_state and entries of this batch and of every
	 * earlier batch are durable (votes, acknowledgements). */
	const struct raft_message *persisted_messages;
	size_t n_persisted_messages;
	/* Apply these, in order; each is committed and durable locally. */
	const struct raft_entry *committed;
	size_t n_committed;
	/* Install this snapshot (a follower that fell behind received it):
	 * record its metadata durably with the entries of this batch, drop
	 * the whole stored log (entries of this batch follow it), and load it
	 * into the state machine before applying anything committed after it.
	 * NULL: none. */
	const struct raft_snapshot_meta *snapshot;
	/* Reads whose read index is now known (or that failed). */
	const struct raft_read *reads;
	size_t n_reads;
	/* Role or leader changed since the last batch. */
	bool soft_state_changed;
	uint8_t role;
	raft_id leader_id;
};

/* Whether raft_core_ready() has anything to hand out. */
RAFT_API bool raft_core_has_ready(const struct raft_core *core);

/* Fills rd with everything pending (see the top of this file). */
RAFT_API void raft_core_ready(struct raft_core *core, struct raft_ready *rd);

/* The caller took the last ready batch; its memory is released. */
RAFT_API void raft_core_advance(struct raft_core *core);

/* ------------------------------------------------------------------------
 * Inspection
 * ------------------------------------------------------------------------ */

enum raft_progress_state {
	RAFT_PROGRESS_PROBE = 1, /* finding the match point, one at a time */
	RAFT_PROGRESS_REPLICATE = 2, /* streaming within the in-flight window */
	RAFT_PROGRESS_SNAPSHOT = 3,  /* receiving a snapshot; appends wait */
};

struct raft_peer_status {
	raft_id id;
	uint8_t role;		/* enum raft_server_role */
	uint8_t state;		/* enum raft_progress_state; leader only */
	raft_index match_index; /* leader only */
	raft_index next_index;	/* leader only */
	bool recent_active; /* leader only: heard from since the last check */
	raft_index pending_snapshot; /* SNAPSHOT state: the index being sent */
};

struct raft_core_status {
	raft_id id;
	uint8_t role; /* enum raft_role */
	bool learner; /* not a voter of the configuration in force */
	raft_term term;
	raft_id vote;
	raft_id leader_id;
	raft_index commit_index;
	raft_index applied_index;
	raft_index persisted_index;
	raft_index last_index;
	raft_term last_term;
	raft_index snapshot_index; /* the last snapshot's, 0 if none */
	raft_index first_index;	   /* the first entry the log holds */
	raft_id transfer_to;	   /* leader only: a transfer under way, or 0 */
};

RAFT_API void raft_core_status(const struct raft_core *core,
			       struct raft_core_status *st);

/* The last snapshot's metadata (taken or installed), or NULL; borrowed
 * until the next call that can change it. A runtime stores it with the
 * snapshot's data. */
RAFT_API const struct raft_snapshot_meta *
raft_core_snapshot(const struct raft_core *core);

/* The configuration in force (the last CONF entry of the log). */
RAFT_API const struct raft_configuration *
raft_core_configuration(const struct raft_core *core);

/* Progress of the member with this id as the leader sees it. Errors:
 * RAFT_ENOTLEADER, RAFT_ENOTFOUND. */
RAFT_API int
raft_core_peer_status(const struct raft_core *core, raft_id id,
		      struct raft_peer_status *st) RAFT_WARN_UNUSED;

/* Term of the entry at index (0 for index 0), or 0 if the log does not hold
 * it. */
RAFT_API raft_term raft_core_term_at(const struct raft_core *core,
				     raft_index index);

/* The entry at index, borrowed until the next call into the core that can
 * change the log. Errors: RAFT_ENOTFOUND. */
RAFT_API int raft_core_entry(const struct raft_core *core, raft_index index,
			     const struct raft_entry **entry) RAFT_WARN_UNUSED;

#endif /* RAFT_CORE_H */
