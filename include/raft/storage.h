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

/* ------------------------------------------------------------------------
 * Snapshot files
 *
 * DIR/snapshot-INDEX-TERM.snap (INDEX and TERM as 20-digit decimals, so
 * names sort in log order), written under a temporary name, fsynced and
 * renamed, then the directory fsynced. Layout (integers little-endian):
 *
 *   8  "RAFTSNAP"            magic
 *   4  u32 1                 version
 *   8  u64 index, 8 u64 term
 *   4  u32 length, then the configuration (raft_configuration_encode())
 *   .. the state machine's data, as it wrote it
 *   8  u64 length of the data
 *   4  CRC-32 (zlib's) of every byte before it
 *   8  "RAFTEND\0"
 *
 * A file that is torn or altered (any byte) fails its checks and is never
 * loaded.
 * ------------------------------------------------------------------------ */

struct raft_snapshot_writer;
struct raft_snapshot_reader;

/* Writes into buf (len bytes) the name of the snapshot file of (index,
 * term) in dir: "DIR/snapshot-INDEX-TERM.snap", or only the file name
 * when dir is NULL. */
RAFT_API void raft_snapshot_path(const char *dir, raft_index index,
				 raft_term term, char *buf, size_t len);

/* Starts a snapshot file in dir (created if missing) for meta (copied).
 * Errors: RAFT_EIO, RAFT_ENOSPC, RAFT_ENOMEM; errmsg names the path. */
RAFT_API int raft_snapshot_writer_open(const char *dir,
				       const struct raft_snapshot_meta *meta,
				       struct raft_snapshot_writer **out,
				       char *errmsg,
				       size_t errmsg_len) RAFT_WARN_UNUSED;

/* Appends data. Errors: RAFT_EIO, RAFT_ENOSPC (the writer must then be
 * aborted). */
RAFT_API int raft_snapshot_writer_write(struct raft_snapshot_writer *w,
					const void *data,
					size_t len) RAFT_WARN_UNUSED;

/* Finishes the file durably under its final name and frees the writer
 * (also on error). Errors: RAFT_EIO, RAFT_ENOSPC; errmsg says why; no file
 * is left behind then. */
RAFT_API int raft_snapshot_writer_commit(struct raft_snapshot_writer *w,
					 char *errmsg,
					 size_t errmsg_len) RAFT_WARN_UNUSED;

/* Drops an unfinished file and frees the writer; NULL is a no-op. */
RAFT_API void raft_snapshot_writer_abort(struct raft_snapshot_writer *w);

/* The last error message of a writer (for write errors). */
RAFT_API const char *
raft_snapshot_writer_errmsg(const struct raft_snapshot_writer *w);

/* Opens a snapshot file after checking all of it (magic, lengths,
 * checksum), ready to read its data. Errors: RAFT_ECORRUPT (torn or
 * altered: errmsg says how), RAFT_ENOTFOUND, RAFT_EIO, RAFT_ENOMEM. */
RAFT_API int raft_snapshot_reader_open(const char *path,
				       struct raft_snapshot_reader **out,
				       char *errmsg,
				       size_t errmsg_len) RAFT_WARN_UNUSED;

/* The file's metadata, borrowed until close. */
RAFT_API const struct raft_snapshot_meta *
raft_snapshot_reader_meta(const struct raft_snapshot_reader *r);

/* Size of the data. */
RAFT_API uint64_t
raft_snapshot_reader_size(const struct raft_snapshot_reader *r);

/* Reads up to len bytes of data; *n is 0 at the end. Errors: RAFT_EIO. */
RAFT_API int raft_snapshot_reader_read(struct raft_snapshot_reader *r,
				       void *buf, size_t len,
				       size_t *n) RAFT_WARN_UNUSED;

RAFT_API void raft_snapshot_reader_close(struct raft_snapshot_reader *r);

/* Receiving a snapshot file byte for byte (InstallSnapshot). The bytes
 * go to DIR/snapshot-INDEX-TERM.snap.part, which outlives restarts so that
 * a transfer can resume where it stopped. */
struct raft_snapshot_receiver;

/* Opens the partial file of the snapshot at (index, term), creating it or
 * resuming it: *have is the number of bytes it holds already. Partial
 * files of other snapshots are removed. Errors: RAFT_EIO, RAFT_ENOSPC,
 * RAFT_ENOMEM; errmsg names the path. */
RAFT_API int raft_snapshot_receiver_open(const char *dir, raft_index index,
					 raft_term term,
					 struct raft_snapshot_receiver **out,
					 uint64_t *have, char *errmsg,
					 size_t errmsg_len) RAFT_WARN_UNUSED;

/* Appends bytes. Errors: RAFT_EIO, RAFT_ENOSPC (errmsg says why). */
RAFT_API int raft_snapshot_receiver_write(struct raft_snapshot_receiver *r,
					  const void *data, size_t len,
					  char *errmsg,
					  size_t errmsg_len) RAFT_WARN_UNUSED;

/* Makes the file durable under its final name, then checks all of it as
 * raft_snapshot_reader_open() does (and that it is the snapshot at (index,
 * term)); its path goes to path and, when meta is not NULL (initialized,
 * empty), its metadata to meta. Frees the receiver. Errors:
 * RAFT_ECORRUPT (the bytes fail their checks: the file is removed and
 * errmsg says how), RAFT_EIO, RAFT_ENOSPC, RAFT_ENOMEM. */
RAFT_API int raft_snapshot_receiver_commit(struct raft_snapshot_receiver *r,
					   char *path, size_t path_len,
					   struct raft_snapshot_meta *meta,
					   char *errmsg,
					   size_t errmsg_len) RAFT_WARN_UNUSED;

/* Closes the receiver, keeping the partial file; NULL is a no-op. */
RAFT_API void raft_snapshot_receiver_close(struct raft_snapshot_receiver *r);

/* The path (in path, path_len bytes) of the newest snapshot in dir that
 * passes its checks; newer files that fail them are skipped and named in
 * a warning. Errors: RAFT_ENOTFOUND (none valid), RAFT_EIO. */
RAFT_API int raft_snapshot_latest(const char *dir, char *path, size_t path_len,
				  char *errmsg,
				  size_t errmsg_len) RAFT_WARN_UNUSED;

/* Removes the snapshot files of dir whose index is above index: files a
 * crash left between writing them and recording them in the log, which
 * would otherwise pass for the newest. Errors: RAFT_EIO. */
RAFT_API int raft_snapshot_remove_after(const char *dir,
					raft_index index) RAFT_WARN_UNUSED;

/* Removes all but the newest `keep` snapshot files of dir (at least one is
 * kept) and any unfinished temporary file (not the partial files of
 * receivers): never while a writer is open on dir. Errors: RAFT_EIO. */
RAFT_API int raft_snapshot_prune(const char *dir,
				 unsigned keep) RAFT_WARN_UNUSED;

#endif /* RAFT_STORAGE_H */
