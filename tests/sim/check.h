/* The invariant checker: Raft's safety properties, checked as the run goes. */
#ifndef RAFT_SIM_CHECK_H
#define RAFT_SIM_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "raft/core.h"

struct cluster;
struct node;

/* One entry ever seen in any node's log, keyed by (index, term). */
struct seen_entry {
	raft_index index; /* 0: free slot */
	raft_term term;
	uint64_t hash; /* chain hash: covers the whole prefix */
	char label[ENTRY_LABEL_LEN];
	raft_id first_node; /* who had it first, for the failure message */
};

/* A read asked with raft_core_read_index(). */
struct read_request {
	raft_id node;
	unsigned incarnation;
	raft_index floor; /* highest commit index known when it was asked */
	bool done;
	int status;	  /* once done */
	raft_index index; /* once done */
};

/* A configuration held by the CONF entry (index, term) of some log. Record
 * 0 is the empty configuration of a node whose log holds none (a new node
 * before it hears from a leader). */
struct conf_record {
	raft_index index;
	raft_term term;
	struct raft_configuration conf;
};

/* What the checker remembers across the whole run (all incarnations). */
struct checker {
	/* The one committed history: hash[i], term[i] for i in 1..len.
	 * commit_term[i] is the term of the first node that saw index i
	 * committed, an upper bound of the term in which it was committed;
	 * leaders of later terms must hold it (leader completeness).
	 * conf_at[i] is the index of the last CONF entry at or before i and
	 * conf_id[i] its record: the configuration in force at i. */
	uint64_t *hash;
	raft_term *term;
	raft_term *commit_term;
	raft_index *conf_at;
	uint32_t *conf_id;
	raft_index len;
	size_t cap;

	/* Every CONF entry seen in any log, by first sight; boot_conf is
	 * the bootstrap entry's, in every first node's log (so in force
	 * before anything is known committed). */
	struct conf_record *confs;
	uint32_t n_confs, confs_cap;
	uint32_t boot_conf;

	/* term -> the one node that was leader in it (0: none seen). */
	raft_id *leaders;
	size_t leaders_cap;

	/* (index, term) -> the entry: log matching across all logs ever. */
	struct seen_entry *seen;
	size_t seen_cap, seen_n;

	/* ctx -> read request; ctx 0 is unused. */
	struct read_request *reads;
	size_t n_reads, reads_cap;

	/* The highest index a client may have seen acknowledged: an entry a
	 * leader applied in its own term, or a read index served. */
	raft_index ack_floor;
	/* Reads whose index is known, not yet served (the node has not
	 * applied it): they raise ack_floor once served. */
	struct pending_serve {
		raft_id node;
		unsigned incarnation;
		raft_index index;
	} * serves;
	size_t n_serves, serves_cap;

	/* Statistics for the summary. */
	uint64_t n_reads_ok, n_reads_failed;
	uint64_t n_lease_reads, n_wait_free_reads, n_follower_reads;
	raft_term max_term;
};

/* A leader applied its own term's entry at index: its client may have
 * heard. */
void check_acked(struct checker *chk, raft_index index);

/* Node n applied up to applied: the reads it can now serve are served. */
void check_served(struct cluster *c, struct node *n, raft_index applied);

/* Node n read its state machine at once (a wait-free read) with applied
 * entries up to applied: every acknowledged write must be there. */
void check_read_now(struct cluster *c, struct node *n, raft_index applied);

void check_init(struct checker *chk);
void check_close(struct checker *chk);

/* The record of the configuration a CONF entry at (entry->index,
 * entry->term) holds, registered at its first sight (0 and a failure if it
 * does not decode). */
uint32_t check_conf_entry(struct cluster *c, const struct raft_entry *entry);

/* A configuration record. */
const struct raft_configuration *check_conf(const struct checker *chk,
					    uint32_t id);

/* The configuration in force at index of the committed history (at most
 * its length), and at its end: the latest committed configuration (the
 * bootstrap one while nothing is known committed). */
const struct raft_configuration *check_conf_at(const struct checker *chk,
					       raft_index index);
const struct raft_configuration *
check_committed_conf(const struct checker *chk);

/* A node's log (the mirror of its core's log) now holds this entry at
 * index; hash is the entry's chain hash. Log matching: any two entries
 * ever seen with the same index and term have the same chain hash. */
void check_log_entry(struct cluster *c, struct node *n, raft_index index,
		     raft_term term, uint64_t hash, const char *label);

/* A node's log is about to get (new_term, new_hash) at index, which is at
 * or below its commit index: a committed entry must never change. */
void check_log_replace(struct cluster *c, struct node *n, raft_index index,
		       raft_term new_term, uint64_t new_hash);

/* A node applies this committed entry (it came out of rd.committed);
 * applied sequences must all be prefixes of one history. */
void check_apply(struct cluster *c, struct node *n,
		 const struct raft_entry *entry);

/* A node's core handed out a new hard state (in a ready batch). */
void check_hard_state_handed_out(struct cluster *c, struct node *n,
				 const struct raft_hard_state *hs);

/* A node's hard state write became durable: old -> new on its disk. */
void check_hard_state_durable(struct cluster *c, struct node *n,
			      const struct raft_hard_state *old_hs,
			      const struct raft_hard_state *new_hs);

/* A node sends this message now: checks addressing, and that a granted
 * vote or an acknowledgement of entries is already durable. ack_hash is
 * the chain hash the node's log had at the acknowledged index when the
 * message was handed out (0: not in its log then, or not an ack). */
void check_message_sent(struct cluster *c, struct node *n,
			const struct raft_message *msg, uint64_t ack_hash);

/* After a node took an input and was drained: role, term, commit index,
 * last index, leader per term, leader completeness, commit rule; and for
 * membership: the core's configuration is its log's last CONF entry's,
 * only a voter of it campaigns or becomes leader, a leader's log holds at
 * most one CONF entry beyond what is committed, and a leader whose
 * committed configuration leaves it out steps down at once. */
void check_node(struct cluster *c, struct node *n);

/* A read was asked on node n with this ctx; returns nothing, remembers the
 * floor (highest commit index any node knew). ctx must be the next one. */
void check_read_asked(struct cluster *c, struct node *n, uint64_t ctx);

/* A read came out of node n's ready batch. */
void check_read_done(struct cluster *c, struct node *n,
		     const struct raft_read *read);

/* Number of reads asked so far (the last ctx handed out). */
uint64_t check_n_reads(const struct checker *chk);

#endif /* RAFT_SIM_CHECK_H */
