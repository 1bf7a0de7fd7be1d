/* raftd's key-value state machine: a struct raft_fsm over its own LevelDB.
 *
 * Layout of the database at DATA_DIR/kv (keys are bytes):
 *   "v"        u8 format version (1)
 *   "a"        u64 little-endian: the index of the last applied entry
 *   "l"        u64 little-endian: present while a snapshot at that index
 *              is being loaded (the store is then partial, "a" absent)
 *   "k" KEY    the value of KEY
 * The applied index is written in the same WriteBatch as the changes of the
 * entries up to it, so the store and its applied index never disagree.
 *
 * Snapshots (the fsm's snapshot functions; stream format in kv.c): saving
 * reads a LevelDB snapshot while applying goes on; loading replaces every
 * key and reports applied index 0 until it is done (a store opened with
 * "l" present is emptied).
 */
#ifndef RAFT_RAFTD_KV_H
#define RAFT_RAFTD_KV_H

#include <stdbool.h>

#include "raft/node.h"

#define KV_KEY_MAX 4096 /* longest key in bytes */
/* Longest value a snapshot may hold: a value came in one log entry, which
 * no peer frame larger than 64 MiB carries. */
#define KV_SNAPSHOT_VALUE_MAX (64 * 1024 * 1024)

enum kv_op {
	KV_PUT = 1,    /* set key to value */
	KV_DELETE = 2, /* remove key */
	KV_CAS = 3,    /* set key to value if its value equals prev */
	KV_CREATE = 4, /* set key to value if key is absent */
};

/* The result of applying one command, as raft_apply_cb sees it. */
enum kv_result {
	KV_OK = 0,
	KV_NOT_FOUND = 1,      /* DELETE or CAS of an absent key */
	KV_COMPARE_FAILED = 2, /* CAS whose prev differed */
	KV_ALREADY_EXISTS = 3, /* CREATE of a present key */
};

/* One command; the byte ranges are borrowed. */
struct kv_command {
	uint8_t op; /* enum kv_op */
	const char *key;
	size_t key_len; /* 1..KV_KEY_MAX */
	const char *prev;
	size_t prev_len; /* CAS only */
	const char *value;
	size_t value_len; /* PUT, CAS, CREATE */
};

/* Encodes cmd into a buffer allocated with malloc() (the caller frees
 * out->base). Errors: RAFT_EINVAL (bad op or key length), RAFT_ENOMEM. */
int kv_command_encode(const struct kv_command *cmd, struct raft_buf *out);

/* Decodes a command; cmd points into data. Errors: RAFT_ECORRUPT with
 * errmsg saying what is wrong. */
int kv_command_decode(const void *data, size_t len, struct kv_command *cmd,
		      char *errmsg, size_t errmsg_len);

struct kv;

/* Opens (creating if missing) the store in dir. Errors: RAFT_EIO (LevelDB
 * could not open it: locked, unreadable), RAFT_ECORRUPT (not a raftd
 * store, or a newer format), RAFT_ENOMEM; errmsg names dir and the reason. */
int kv_open(const char *dir, struct kv **out, char *errmsg, size_t errmsg_len);

/* Closes the store; NULL is a no-op. The node using its fsm must be freed
 * first. */
void kv_close(struct kv *kv);

/* The state machine to hand to raft_node_new(); owned by kv. */
struct raft_fsm *kv_fsm(struct kv *kv);

/* The index of the last entry applied (any thread); 0 while a snapshot is
 * being loaded. */
raft_index kv_applied_index(struct kv *kv);

/* The applied index as of a snapshot that the fsm's snapshot_begin
 * captured (what its snapshot_save writes). */
raft_index kv_snapshot_index(const void *snap);

/* Reads key. On success *value (freed with kv_free()) holds the value and
 * *applied the applied index of the store it was read from. Errors:
 * RAFT_ENOTFOUND (then *applied is set too), RAFT_EIO with errmsg. */
int kv_get(struct kv *kv, const char *key, size_t key_len, char **value,
	   size_t *value_len, raft_index *applied, char *errmsg,
	   size_t errmsg_len);

/* Called for each key of kv_list(); returns 0 to go on, or an error that
 * stops the listing and is returned by kv_list(). */
typedef int (*kv_key_fn)(void *arg, const char *key, size_t key_len);

/* Calls fn for at most limit keys starting with prefix, in key order; sets
 * *more if there were more and *applied as kv_get() does. Errors:
 * RAFT_EIO with errmsg, or what fn returned. */
int kv_list(struct kv *kv, const char *prefix, size_t prefix_len,
	    unsigned limit, kv_key_fn fn, void *arg, bool *more,
	    raft_index *applied, char *errmsg, size_t errmsg_len);

/* Frees a value returned by kv_get(). */
void kv_free(void *value);

#endif /* RAFT_RAFTD_KV_H */
