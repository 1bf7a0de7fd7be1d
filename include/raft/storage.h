/* Durable Raft state on LevelDB: the log, the hard state and the identity
 * of the node that owns the data directory.
 *
 * Layout of the LevelDB database (keys are bytes):
 *   "m"                      meta: u8 version (1), u64 node id,
 *                            u64 cluster id
 *   "h"                      hard state: u64 term, u64 vote
 *   "s"                      last snapshot: u64 index, u64 term, then the
 *                            configuration (raft_configuration_encode())
 *   "e" + u64 big-endian i   entry i: u64 term, u8 type, the data
 * (integers in values little-endian; big-endian keys sort in log order).
 *
 * Every write is one WriteBatch with sync=true: the hard state and a run of
 * entries (replacing the log from the first of them on) become durable
 * together or not at all. A store is used by one thread at a time.
 */
#ifndef RAFT_STORAGE_H
#define RAFT_STORAGE_H

#include <stdbool.h>

#include "raft/core.h"

struct raft_storage;

struct raft_storage_meta {
	raft_id id;
	uint64_t cluster_id;
};

/* Creates a new store in dir (the directory is created if missing) for the
 * given node. Errors: RAFT_EEXIST (dir already holds a store), RAFT_EIO,
 * RAFT_ENOSPC, RAFT_ENOMEM; errmsg names the path and the reason. */
RAFT_API int raft_storage_create(const char *dir,
				 const struct raft_storage_meta *meta,
				 struct raft_storage **out, char *errmsg,
				 size_t errmsg_len) RAFT_WARN_UNUSED;

/* Opens the existing store in dir. Errors: RAFT_ENOTFOUND (no store
 * there), RAFT_ECORRUPT (unreadable or inconsistent), RAFT_EIO (locked by
 * another process, permissions, ...), RAFT_ENOMEM; errmsg says why. */
RAFT_API int raft_storage_open(const char *dir, struct raft_storage **out,
			       char *errmsg,
			       size_t errmsg_len) RAFT_WARN_UNUSED;

/* Closes the store; NULL is a no-op. */
RAFT_API void raft_storage_close(struct raft_storage *s);

/* Who owns this store. */
RAFT_API const struct raft_storage_meta *
raft_storage_meta(const struct raft_storage *s);

/* What a store holds, as raft_core_new() wants it. */
struct raft_storage_state {
	raft_term term;
	raft_id vote;
	bool has_snapshot;
	struct raft_snapshot_meta snapshot; /* if has_snapshot */
	struct raft_entry *entries; /* contiguous, from entries[0].index */
	size_t n_entries;
};

/* Reads the hard state, the last snapshot's metadata and every entry. What
 * it returns is allocated; release it with raft_storage_state_release().
 * Errors: RAFT_ECORRUPT (a gap in the log, a malformed value), RAFT_EIO,
 * RAFT_ENOMEM; raft_storage_errmsg() says which. */
RAFT_API int
raft_storage_load(struct raft_storage *s,
		  struct raft_storage_state *state) RAFT_WARN_UNUSED;

RAFT_API void raft_storage_state_release(struct raft_storage_state *state);

/* Durably stores the hard state (when hs is not NULL) and entries (the log
 * from entries[0].index on is replaced by them), in one synced batch.
 * Errors: RAFT_EINVAL (entries[0].index leaves a gap), RAFT_EIO,
 * RAFT_ENOSPC, RAFT_ECORRUPT, RAFT_ENOMEM; nothing is written then. */
RAFT_API int raft_storage_write(struct raft_storage *s,
				const struct raft_hard_state *hs,
				const struct raft_entry *entries,
				size_t n) RAFT_WARN_UNUSED;

/* Records a snapshot's metadata and deletes the entries up to compact_to
 * (at most the last index; (raft_index)-1 deletes them all, as when a
 * snapshot from the leader replaces the log: entries then continue after
 * meta->index), in one synced batch.
 * Errors: RAFT_EIO, RAFT_ENOSPC, RAFT_ECORRUPT, RAFT_ENOMEM. */
#define RAFT_STORAGE_DROP_ALL ((raft_index)-1)
RAFT_API int raft_storage_snapshot(struct raft_storage *s,
				   const struct raft_snapshot_meta *meta,
				   raft_index compact_to) RAFT_WARN_UNUSED;

/* The first log index stored (last index + 1 when the log is empty). */
RAFT_API raft_index raft_storage_first_index(const struct raft_storage *s);

/* The last log index stored. */
RAFT_API raft_index raft_storage_last_index(const struct raft_storage *s);

/* The message of the last error, "" if none. */
RAFT_API const char *raft_storage_errmsg(const struct raft_storage *s);

#endif /* RAFT_STORAGE_H */
