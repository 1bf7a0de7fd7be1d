/* The in-memory Raft log: entries after the log's offset, with shared,
 * reference-counted payloads so messages can outlive a truncation. */
#ifndef RAFT_CORE_LOG_H
#define RAFT_CORE_LOG_H

#include <stdbool.h>

#include "raft/core.h"

/* Entries with indexes offset+1 .. offset+n live in ents[0..n). Each
 * entry's data.base (when len > 0) is a payload from log_data_new(), owned
 * by one reference. */
struct log {
	struct raft_entry *ents;
	size_t n;
	size_t cap;
	raft_index offset;     /* index just before ents[0] */
	raft_term offset_term; /* term of the entry at offset */
	raft_index
	    unstable_from; /* first index not yet handed out to persist */
};

void log_init(struct log *log);
void log_close(struct log *log);

raft_index log_last_index(const struct log *log);
raft_term log_last_term(const struct log *log);

/* Term at index, or 0 if the log does not hold it (index 0 has term 0). */
raft_term log_term_at(const struct log *log, raft_index index);

/* The entry at index, or NULL. */
const struct raft_entry *log_get(const struct log *log, raft_index index);

/* Makes room for n more entries so that log_append_ref() cannot fail.
 * Errors: RAFT_ENOMEM. */
int log_reserve(struct log *log, size_t n);

/* Appends an entry at the next index, taking over one reference to data
 * (from log_data_new() or log_data_ref()). Room must have been reserved. */
void log_append_ref(struct log *log, raft_term term, uint8_t type,
		    struct raft_buf data);

/* Removes every entry at index >= from (from > offset); releases their
 * payloads and moves unstable_from back to from if it was past it. */
void log_truncate(struct log *log, raft_index from);

/* Drops every entry at index <= to (offset < to <= last index): the log
 * then starts after to, whose term it remembers. */
void log_compact(struct log *log, raft_index to);

/* Drops every entry; the log restarts after index (of term), as after
 * installing a snapshot there. */
void log_reset(struct log *log, raft_index index, raft_term term);

/* The largest index <= index whose term is <= term (at least offset): the
 * fast back-off search of both sides of a rejected AppendEntries. */
raft_index log_find_conflict_by_term(const struct log *log, raft_index index,
				     raft_term term);

/* A new payload with a copy of len bytes (len 0: base NULL, no memory).
 * Errors: RAFT_ENOMEM. */
int log_data_new(const void *bytes, size_t len, struct raft_buf *out);

/* One more reference to a payload (no-op for an empty one). */
void log_data_ref(struct raft_buf data);

/* One reference less; the last frees the payload. */
void log_data_unref(struct raft_buf data);

#endif /* RAFT_CORE_LOG_H */
