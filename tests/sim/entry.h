/* Deep copies, hash chains and readable names of log entries and messages. */
#ifndef RAFT_SIM_ENTRY_H
#define RAFT_SIM_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/core.h"

/* Room for an entry label: enough for the workload's data strings. */
#define ENTRY_LABEL_LEN 24

/* The simulator keeps what it takes out of a ready batch in its own memory
 * (malloc), because the batch dies at raft_core_advance(). All copies abort
 * the program when memory runs out: a simulator without memory has nothing
 * sensible left to report. */
void *sim_malloc(size_t size);
void *sim_realloc(void *ptr, size_t size);

/* Deep copy of n entries (data bytes included) into a fresh array. */
struct raft_entry *entry_copy_array(const struct raft_entry *src, size_t n);

/* Frees the data of n entries, then the array. */
void entry_free_array(struct raft_entry *entries, size_t n);

/* Deep copy of a configuration into dst (which it initializes). */
void conf_copy(struct raft_configuration *dst,
	       const struct raft_configuration *src);

/* Whether two configurations have the same members with the same roles
 * (in any order; addresses are not compared). */
bool conf_equal(const struct raft_configuration *a,
		const struct raft_configuration *b);

/* Whether id is a member of conf with this role (0: any role). */
bool conf_has(const struct raft_configuration *conf, raft_id id, uint8_t role);

/* Writes "1,2,3,4L" (voters by id, learners with an L) into buf; "-" for
 * an empty configuration. */
void conf_describe(const struct raft_configuration *conf, char *buf,
		   size_t len);

/* Deep copy of a message: an AppendEntries' entries and a snapshot's
 * configuration are copied too. */
void message_copy(struct raft_message *dst, const struct raft_message *src);

/* Frees what message_copy() allocated inside dst. */
void message_close(struct raft_message *msg);

/* Deep copy of n messages into a fresh array (NULL when n is 0). */
struct raft_message *message_copy_array(const struct raft_message *src,
					size_t n);

/* Closes n messages and frees the array. */
void message_free_array(struct raft_message *msgs, size_t n);

/* The hash chain of a log: hash(i) = H(hash(i - 1), term, type, data), with
 * hash(0) = 0. Two logs whose entries at index i have the same chain hash
 * hold the same entries at 1..i, so one comparison checks a whole prefix. */
uint64_t entry_chain_hash(uint64_t prev, const struct raft_entry *entry);

/* A short printable label for an entry: its data for NORMAL entries (cut
 * to fit), "noop", or "conf:" and the members of a CONF entry. */
void entry_label(const struct raft_entry *entry, char label[ENTRY_LABEL_LEN]);

/* Writes a one-line description of a message ("append term=4 prev=(12,3)
 * n=5 [13..17] commit=11 seq=7") into buf. */
void message_describe(const struct raft_message *msg, char *buf, size_t len);

#endif /* RAFT_SIM_ENTRY_H */
