/* raftd's key-value state machine (layout in kv.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <leveldb/c.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "raft/log.h"

#define KV_FORMAT_VERSION 1
#define CMD_VERSION	  1

static const char key_version[] = "v";
static const char key_applied[] = "a";
static const char key_loading[] = "l";
#define DATA_PREFIX 'k'

/* Memory: smaller memtables than LevelDB's 4 MiB (each store has two at
 * a flush) and a small block cache (tables are memory-mapped, and their
 * blocks do not go through the cache then). */
#define KV_MEMTABLE_BYTES (1u << 20)
#define KV_CACHE_BYTES	  (1u << 20)

struct kv {
	char *dir;
	leveldb_t *db;
	leveldb_options_t *options;
	leveldb_cache_t *cache;
	leveldb_readoptions_t *read;
	leveldb_writeoptions_t *write;
	struct raft_fsm fsm;
	_Atomic raft_index applied;
};

static void set_err(char *errmsg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errmsg, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (errmsg == NULL || len == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(errmsg, len, fmt, ap);
	va_end(ap);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		v |= (uint32_t)p[i] << (8 * i);
	}
	return v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) {
		v |= (uint64_t)p[i] << (8 * i);
	}
	return v;
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

/* A command in a log entry, byte by byte (integers little-endian):
 *
 *   offset  size  field
 *   0       1     version: 1
 *   1       1     op: 1 PUT, 2 DELETE, 3 CAS, 4 CREATE
 *   2       4     K: key length, 1..4096
 *   6       K     key
 *   then, for CAS only:
 *           4     P: length of the expected value
 *           P     the expected value (prev)
 *   then, for PUT, CAS and CREATE:
 *           4     V: value length
 *           V     the value
 *
 * Nothing follows: a command whose lengths do not add up to the entry's
 * length exactly is malformed.
 */
static bool op_has_prev(uint8_t op)
{
	return op == KV_CAS;
}

static bool op_has_value(uint8_t op)
{
	return op == KV_PUT || op == KV_CAS || op == KV_CREATE;
}

int kv_command_encode(const struct kv_command *cmd, struct raft_buf *out)
{
	size_t len = 2 + 4 + cmd->key_len;
	uint8_t *p;
	if (cmd->op < KV_PUT || cmd->op > KV_CREATE || cmd->key_len == 0 ||
	    cmd->key_len > KV_KEY_MAX || cmd->prev_len > UINT32_MAX ||
	    cmd->value_len > UINT32_MAX) {
		return RAFT_EINVAL;
	}
	if (op_has_prev(cmd->op)) {
		len += 4 + cmd->prev_len;
	}
	if (op_has_value(cmd->op)) {
		len += 4 + cmd->value_len;
	}
	p = malloc(len);
	if (p == NULL) {
		return RAFT_ENOMEM;
	}
	out->base = p;
	out->len = len;
	*p++ = CMD_VERSION;
	*p++ = cmd->op;
	put_u32(p, (uint32_t)cmd->key_len);
	p += 4;
	memcpy(p, cmd->key, cmd->key_len);
	p += cmd->key_len;
	if (op_has_prev(cmd->op)) {
		put_u32(p, (uint32_t)cmd->prev_len);
		p += 4;
		if (cmd->prev_len > 0) {
			memcpy(p, cmd->prev, cmd->prev_len);
		}
		p += cmd->prev_len;
	}
	if (op_has_value(cmd->op)) {
		put_u32(p, (uint32_t)cmd->value_len);
		p += 4;
		if (cmd->value_len > 0) {
			memcpy(p, cmd->value, cmd->value_len);
		}
	}
	return 0;
}

/* Takes a u32 length and that many bytes from [*p, end). */
static bool take_bytes(const uint8_t **p, const uint8_t *end,
		       const char **bytes, size_t *len)
{
	uint32_t n;
	if ((size_t)(end - *p) < 4) {
		return false;
	}
	n = get_u32(*p);
	*p += 4;
	if ((size_t)(end - *p) < n) {
		return false;
	}
	*bytes = (const char *)*p;
	*len = n;
	*p += n;
	return true;
}

int kv_command_decode(const void *data, size_t len, struct kv_command *cmd,
		      char *errmsg, size_t errmsg_len)
{
	const uint8_t *p = data;
	const uint8_t *end = p + len;
	memset(cmd, 0, sizeof(*cmd));
	if (len < 2) {
		set_err(errmsg, errmsg_len, "%zu bytes is too short", len);
		return RAFT_ECORRUPT;
	}
	if (p[0] != CMD_VERSION) {
		set_err(errmsg, errmsg_len, "unknown version %u", p[0]);
		return RAFT_ECORRUPT;
	}
	cmd->op = p[1];
	if (cmd->op < KV_PUT || cmd->op > KV_CREATE) {
		set_err(errmsg, errmsg_len, "unknown op %u", cmd->op);
		return RAFT_ECORRUPT;
	}
	p += 2;
	if (!take_bytes(&p, end, &cmd->key, &cmd->key_len)) {
		set_err(errmsg, errmsg_len, "key runs past the end");
		return RAFT_ECORRUPT;
	}
	if (cmd->key_len == 0 || cmd->key_len > KV_KEY_MAX) {
		set_err(errmsg, errmsg_len, "key length %zu", cmd->key_len);
		return RAFT_ECORRUPT;
	}
	if (op_has_prev(cmd->op) &&
	    !take_bytes(&p, end, &cmd->prev, &cmd->prev_len)) {
		set_err(errmsg, errmsg_len, "prev runs past the end");
		return RAFT_ECORRUPT;
	}
	if (op_has_value(cmd->op) &&
	    !take_bytes(&p, end, &cmd->value, &cmd->value_len)) {
		set_err(errmsg, errmsg_len, "value runs past the end");
		return RAFT_ECORRUPT;
	}
	if (p != end) {
		set_err(errmsg, errmsg_len, "%zu bytes after the command",
			(size_t)(end - p));
		return RAFT_ECORRUPT;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Applying entries
 * ------------------------------------------------------------------------ */

/* What the entries of one apply call did to a key so far: LevelDB cannot
 * read the WriteBatch being built, so a later entry of the same call that
 * tests the key (CAS, CREATE, DELETE) must look here first. Pointers refer
 * to the entries, valid for the whole call. */
struct overlay_slot {
	const char *key; /* NULL: the slot is free */
	size_t key_len;
	const char *value;
	size_t value_len;
	bool present;
};

struct overlay {
	struct overlay_slot *slots;
	size_t mask; /* capacity - 1, capacity a power of two */
};

static uint64_t hash_bytes(const char *p, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int overlay_init(struct overlay *o, unsigned n)
{
	size_t cap = 16;
	/* At most n keys: at least half the slots stay free. */
	while (cap < 2 * (size_t)n) {
		cap *= 2;
	}
	o->slots = calloc(cap, sizeof(*o->slots));
	o->mask = cap - 1;
	return o->slots == NULL ? RAFT_ENOMEM : 0;
}

static struct overlay_slot *overlay_find(struct overlay *o, const char *key,
					 size_t key_len)
{
	size_t i = (size_t)hash_bytes(key, key_len) & o->mask;
	for (;;) {
		struct overlay_slot *s = &o->slots[i];
		if (s->key == NULL || (s->key_len == key_len &&
				       memcmp(s->key, key, key_len) == 0)) {
			return s;
		}
		i = (i + 1) & o->mask;
	}
}

static void overlay_set(struct overlay *o, const char *key, size_t key_len,
			const char *value, size_t value_len, bool present)
{
	struct overlay_slot *s = overlay_find(o, key, key_len);
	s->key = key;
	s->key_len = key_len;
	s->value = value;
	s->value_len = value_len;
	s->present = present;
}

static size_t data_key(char *buf, const char *key, size_t key_len)
{
	buf[0] = DATA_PREFIX;
	memcpy(buf + 1, key, key_len);
	return key_len + 1;
}

/* The current value of key as the entries applied so far left it. On
 * success *present says whether it exists; *stored (to be freed with
 * leveldb_free) is set when the value came from LevelDB. */
static int current_value(struct kv *kv, struct overlay *o, const char *key,
			 size_t key_len, bool *present, const char **value,
			 size_t *value_len, char **stored, char *errmsg,
			 size_t errmsg_len)
{
	struct overlay_slot *s = overlay_find(o, key, key_len);
	char dkey[1 + KV_KEY_MAX];
	char *err = NULL;
	*stored = NULL;
	if (s->key != NULL) {
		*present = s->present;
		*value = s->value;
		*value_len = s->value_len;
		return 0;
	}
	*stored = leveldb_get(kv->db, kv->read, dkey,
			      data_key(dkey, key, key_len), value_len, &err);
	if (err != NULL) {
		set_err(errmsg, errmsg_len, "kv store %s: read: %s", kv->dir,
			err);
		leveldb_free(err);
		return RAFT_EIO;
	}
	*present = *stored != NULL;
	*value = *stored;
	return 0;
}

/* Applies one command to the batch and the overlay; *result says how it
 * went. */
static int apply_command(struct kv *kv, struct overlay *o,
			 leveldb_writebatch_t *batch,
			 const struct kv_command *cmd, int *result,
			 char *errmsg, size_t errmsg_len)
{
	char dkey[1 + KV_KEY_MAX];
	size_t dkey_len;
	bool present = false;
	const char *value = NULL;
	size_t value_len = 0;
	char *stored = NULL;
	int rv;
	*result = KV_OK;
	if (cmd->op != KV_PUT) {
		rv = current_value(kv, o, cmd->key, cmd->key_len, &present,
				   &value, &value_len, &stored, errmsg,
				   errmsg_len);
		if (rv != 0) {
			return rv;
		}
	}
	switch (cmd->op) {
	case KV_DELETE:
	case KV_CAS:
		if (!present) {
			*result = KV_NOT_FOUND;
		} else if (cmd->op == KV_CAS &&
			   (value_len != cmd->prev_len ||
			    (value_len > 0 &&
			     memcmp(value, cmd->prev, value_len) != 0))) {
			*result = KV_COMPARE_FAILED;
		}
		break;
	case KV_CREATE:
		if (present) {
			*result = KV_ALREADY_EXISTS;
		}
		break;
	default:
		break;
	}
	leveldb_free(stored);
	if (*result != KV_OK) {
		return 0;
	}
	dkey_len = data_key(dkey, cmd->key, cmd->key_len);
	if (cmd->op == KV_DELETE) {
		leveldb_writebatch_delete(batch, dkey, dkey_len);
		overlay_set(o, cmd->key, cmd->key_len, NULL, 0, false);
	} else {
		leveldb_writebatch_put(batch, dkey, dkey_len, cmd->value,
				       cmd->value_len);
		overlay_set(o, cmd->key, cmd->key_len, cmd->value,
			    cmd->value_len, true);
	}
	return 0;
}

static int kv_apply(struct raft_fsm *fsm, const struct raft_entry *entries,
		    unsigned n, int *results, char *errmsg, size_t errmsg_len)
{
	struct kv *kv = fsm->data;
	leveldb_writebatch_t *batch;
	struct overlay o;
	uint8_t applied[8];
	char why[128];
	char *err = NULL;
	int rv;
	if (n == 0) {
		return 0;
	}
	rv = overlay_init(&o, n);
	if (rv != 0) {
		set_err(errmsg, errmsg_len, "kv store %s: out of memory",
			kv->dir);
		return rv;
	}
	batch = leveldb_writebatch_create();
	for (unsigned i = 0; i < n; i++) {
		const struct raft_entry *e = &entries[i];
		struct kv_command cmd;
		results[i] = KV_OK;
		/* NOOP and CONF entries only move the applied index. */
		if (e->type != RAFT_ENTRY_NORMAL) {
			continue;
		}
		rv = kv_command_decode(e->data.base, e->data.len, &cmd, why,
				       sizeof(why));
		if (rv != 0) {
			set_err(
			    errmsg, errmsg_len,
			    "kv store %s: entry %llu (term %llu): malformed "
			    "command: %s",
			    kv->dir, (unsigned long long)e->index,
			    (unsigned long long)e->term, why);
			goto err_batch;
		}
		rv = apply_command(kv, &o, batch, &cmd, &results[i], errmsg,
				   errmsg_len);
		if (rv != 0) {
			goto err_batch;
		}
	}
	/* The applied index travels in the same batch as the changes: after
	 * a crash the store holds both or neither. sync=false is enough:
	 * every entry here is already durable in the Raft log, and on restart
	 * the node replays the log from the applied index stored here, so a
	 * batch lost with the OS page cache is applied again. */
	put_u64(applied, entries[n - 1].index);
	leveldb_writebatch_put(batch, key_applied, 1, (const char *)applied,
			       sizeof(applied));
	leveldb_write(kv->db, kv->write, batch, &err);
	if (err != NULL) {
		set_err(errmsg, errmsg_len, "kv store %s: write: %s", kv->dir,
			err);
		leveldb_free(err);
		rv = RAFT_EIO;
		goto err_batch;
	}
	atomic_store(&kv->applied, entries[n - 1].index);
	leveldb_writebatch_destroy(batch);
	free(o.slots);
	return 0;

err_batch:
	leveldb_writebatch_destroy(batch);
	free(o.slots);
	return rv;
}

static raft_index kv_fsm_applied_index(struct raft_fsm *fsm)
{
	struct kv *kv = fsm->data;
	return atomic_load(&kv->applied);
}

/* Reads the applied index as of the snapshot behind ro. */
static int read_applied(struct kv *kv, leveldb_readoptions_t *ro,
			raft_index *applied, char *errmsg, size_t errmsg_len)
{
	char *value, *err = NULL;
	size_t len;
	value = leveldb_get(kv->db, ro, key_applied, 1, &len, &err);
	if (err != NULL) {
		set_err(errmsg, errmsg_len, "kv store %s: read: %s", kv->dir,
			err);
		leveldb_free(err);
		return RAFT_EIO;
	}
	*applied =
	    value != NULL && len == 8 ? get_u64((const uint8_t *)value) : 0;
	leveldb_free(value);
	return 0;
}

/* ------------------------------------------------------------------------
 * Snapshots
 * ------------------------------------------------------------------------ */

/* The snapshot stream that kv_snapshot_save() writes and
 * kv_snapshot_load() reads, byte by byte (integers little-endian):
 *
 *   offset  size  field
 *   0       4     magic "RKVS"
 *   4       4     version: 1
 *   8       8     the applied index of the store it holds
 *   16            records, in key order:
 *                   1     type: 1 (a key and its value)
 *                   4     K: key length, 1..4096
 *                   K     key
 *                   4     V: value length, 0..KV_SNAPSHOT_VALUE_MAX
 *                   V     value
 *                 then one end record:
 *                   1     type: 2 (end)
 *                   8     the number of key records before it
 *
 * Nothing follows the end record. The applied-index, version and loading
 * records of the database are not in the stream: the node passes the
 * index to load, which checks it against the header. The snapshot file
 * around the stream has its own checksum (lib/storage/snapshot.c); the
 * record count and the end record catch a stream cut short. */
#define SNAP_MAGIC	 "RKVS"
#define SNAP_VERSION	 1
#define SNAP_HEADER_LEN	 16
#define SNAP_RECORD_PAIR 1
#define SNAP_RECORD_END	 2
#define SNAP_BLOCK	 (64 * 1024) /* bytes per write() and read() */
/* Bounds of the WriteBatches of a load: the memory a batch may hold. */
#define LOAD_BATCH_BYTES (4 * 1024 * 1024)
#define LOAD_BATCH_OPS	 10000

/* What kv_snapshot_begin() captured. */
struct kv_snapshot {
	const leveldb_snapshot_t *snap;
	raft_index index; /* the applied index as of snap */
};

static int kv_snapshot_begin(struct raft_fsm *fsm, void **out, char *errmsg,
			     size_t errmsg_len)
{
	struct kv *kv = fsm->data;
	struct kv_snapshot *s = malloc(sizeof(*s));
	leveldb_readoptions_t *ro;
	int rv;
	if (s == NULL) {
		set_err(errmsg, errmsg_len,
			"kv store %s: begin snapshot: out of memory", kv->dir);
		return RAFT_ENOMEM;
	}
	ro = leveldb_readoptions_create();
	if (ro == NULL) {
		free(s);
		set_err(errmsg, errmsg_len,
			"kv store %s: begin snapshot: out of memory", kv->dir);
		return RAFT_ENOMEM;
	}
	/* A LevelDB snapshot costs a sequence number: the files it needs
	 * stay until it is released, and applies go on beside it. */
	s->snap = leveldb_create_snapshot(kv->db);
	leveldb_readoptions_set_snapshot(ro, s->snap);
	leveldb_readoptions_set_verify_checksums(ro, 1);
	/* Read it from the snapshot itself rather than kv->applied, so that
	 * index and content cannot disagree. */
	rv = read_applied(kv, ro, &s->index, errmsg, errmsg_len);
	leveldb_readoptions_destroy(ro);
	if (rv != 0) {
		leveldb_release_snapshot(kv->db, s->snap);
		free(s);
		return rv;
	}
	*out = s;
	return 0;
}

static void kv_snapshot_release(struct raft_fsm *fsm, void *snap)
{
	struct kv *kv = fsm->data;
	struct kv_snapshot *s = snap;
	if (s == NULL) {
		return;
	}
	leveldb_release_snapshot(kv->db, s->snap);
	free(s);
}

raft_index kv_snapshot_index(const void *snap)
{
	const struct kv_snapshot *s = snap;
	return s->index;
}

/* Output in SNAP_BLOCK blocks through the node's write function. */
struct snap_writer {
	int (*write)(void *ctx, const void *data, size_t len);
	void *ctx;
	uint8_t *buf;
	size_t len;
	int rv; /* the first error of write() */
};

static int writer_flush(struct snap_writer *w)
{
	if (w->rv == 0 && w->len > 0) {
		w->rv = w->write(w->ctx, w->buf, w->len);
		w->len = 0;
	}
	return w->rv;
}

static int writer_put(struct snap_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (w->rv == 0 && len > 0) {
		size_t n = SNAP_BLOCK - w->len;
		if (n > len) {
			n = len;
		}
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		p += n;
		len -= n;
		if (w->len == SNAP_BLOCK) {
			writer_flush(w);
		}
	}
	return w->rv;
}

static int writer_put_u32(struct snap_writer *w, uint32_t v)
{
	uint8_t b[4];
	put_u32(b, v);
	return writer_put(w, b, sizeof(b));
}

static int writer_put_u64(struct snap_writer *w, uint64_t v)
{
	uint8_t b[8];
	put_u64(b, v);
	return writer_put(w, b, sizeof(b));
}

static int kv_snapshot_save(struct raft_fsm *fsm, void *snap,
			    int (*write)(void *ctx, const void *data,
					 size_t len),
			    void *ctx, char *errmsg, size_t errmsg_len)
{
	struct kv *kv = fsm->data;
	struct kv_snapshot *s = snap;
	struct snap_writer w = {write, ctx, NULL, 0, 0};
	leveldb_readoptions_t *ro;
	leveldb_iterator_t *it;
	const char prefix = DATA_PREFIX;
	uint8_t header[SNAP_HEADER_LEN];
	uint64_t n_pairs = 0;
	char *err = NULL;
	int rv = 0;
	w.buf = malloc(SNAP_BLOCK);
	ro = leveldb_readoptions_create();
	if (w.buf == NULL || ro == NULL) {
		free(w.buf);
		if (ro != NULL) {
			leveldb_readoptions_destroy(ro);
		}
		set_err(errmsg, errmsg_len,
			"kv store %s: save snapshot: out of memory", kv->dir);
		return RAFT_ENOMEM;
	}
	/* Only the LevelDB snapshot is read: the apply thread writes on
	 * beside this iteration, and nothing here takes a lock it needs. */
	leveldb_readoptions_set_snapshot(ro, s->snap);
	leveldb_readoptions_set_verify_checksums(ro, 1);
	/* A whole-store scan must not evict the working set. */
	leveldb_readoptions_set_fill_cache(ro, 0);
	memcpy(header, SNAP_MAGIC, 4);
	put_u32(header + 4, SNAP_VERSION);
	put_u64(header + 8, s->index);
	writer_put(&w, header, sizeof(header));
	it = leveldb_create_iterator(kv->db, ro);
	for (leveldb_iter_seek(it, &prefix, 1);
	     w.rv == 0 && leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t key_len, value_len;
		const char *key = leveldb_iter_key(it, &key_len);
		const char *value;
		uint8_t type = SNAP_RECORD_PAIR;
		if (key_len < 1 || key[0] != DATA_PREFIX) {
			break;
		}
		value = leveldb_iter_value(it, &value_len);
		if (key_len - 1 == 0 || key_len - 1 > KV_KEY_MAX ||
		    value_len > KV_SNAPSHOT_VALUE_MAX) {
			set_err(errmsg, errmsg_len,
				"kv store %s: save snapshot: a record of the "
				"store has a %zu-byte key and a %zu-byte value",
				kv->dir, key_len - 1, value_len);
			rv = RAFT_ECORRUPT;
			break;
		}
		writer_put(&w, &type, 1);
		writer_put_u32(&w, (uint32_t)(key_len - 1));
		writer_put(&w, key + 1, key_len - 1);
		writer_put_u32(&w, (uint32_t)value_len);
		writer_put(&w, value, value_len);
		n_pairs++;
	}
	if (rv == 0 && w.rv == 0) {
		leveldb_iter_get_error(it, &err);
		if (err != NULL) {
			set_err(errmsg, errmsg_len,
				"kv store %s: save snapshot: read: %s", kv->dir,
				err);
			leveldb_free(err);
			rv = RAFT_EIO;
		}
	}
	leveldb_iter_destroy(it);
	leveldb_readoptions_destroy(ro);
	if (rv == 0) {
		uint8_t type = SNAP_RECORD_END;
		writer_put(&w, &type, 1);
		writer_put_u64(&w, n_pairs);
		writer_flush(&w);
		if (w.rv != 0) {
			set_err(errmsg, errmsg_len,
				"kv store %s: save snapshot at index %llu: "
				"write: %s",
				kv->dir, (unsigned long long)s->index,
				raft_strerror(w.rv));
			rv = w.rv;
		}
	}
	free(w.buf);
	return rv;
}

/* Writes batch (then clears it); sync makes it and every write before it
 * durable. */
static int write_batch(struct kv *kv, leveldb_writebatch_t *batch, bool sync,
		       const char *what, char *errmsg, size_t errmsg_len)
{
	leveldb_writeoptions_t *wo = kv->write;
	char *err = NULL;
	if (sync) {
		wo = leveldb_writeoptions_create();
		if (wo == NULL) {
			set_err(errmsg, errmsg_len,
				"kv store %s: %s: out of memory", kv->dir,
				what);
			return RAFT_ENOMEM;
		}
		leveldb_writeoptions_set_sync(wo, 1);
	}
	leveldb_write(kv->db, wo, batch, &err);
	if (sync) {
		leveldb_writeoptions_destroy(wo);
	}
	leveldb_writebatch_clear(batch);
	if (err != NULL) {
		set_err(errmsg, errmsg_len, "kv store %s: %s: write: %s",
			kv->dir, what, err);
		leveldb_free(err);
		return RAFT_EIO;
	}
	return 0;
}

/* Deletes every key-value record, in bounded unsynced batches: the caller
 * syncs a later write. */
static int clear_data(struct kv *kv, const char *what, char *errmsg,
		      size_t errmsg_len)
{
	leveldb_readoptions_t *ro = leveldb_readoptions_create();
	leveldb_writebatch_t *batch = leveldb_writebatch_create();
	leveldb_iterator_t *it;
	const char prefix = DATA_PREFIX;
	size_t ops = 0, bytes = 0;
	char *err = NULL;
	int rv = 0;
	if (ro == NULL || batch == NULL) {
		if (ro != NULL) {
			leveldb_readoptions_destroy(ro);
		}
		if (batch != NULL) {
			leveldb_writebatch_destroy(batch);
		}
		set_err(errmsg, errmsg_len, "kv store %s: %s: out of memory",
			kv->dir, what);
		return RAFT_ENOMEM;
	}
	leveldb_readoptions_set_fill_cache(ro, 0);
	/* The iterator reads an implicit snapshot: the deletions below do
	 * not disturb it. */
	it = leveldb_create_iterator(kv->db, ro);
	for (leveldb_iter_seek(it, &prefix, 1); leveldb_iter_valid(it);
	     leveldb_iter_next(it)) {
		size_t len;
		const char *key = leveldb_iter_key(it, &len);
		if (len < 1 || key[0] != DATA_PREFIX) {
			break;
		}
		leveldb_writebatch_delete(batch, key, len);
		ops++;
		bytes += len;
		if (ops >= LOAD_BATCH_OPS || bytes >= LOAD_BATCH_BYTES) {
			rv = write_batch(kv, batch, false, what, errmsg,
					 errmsg_len);
			if (rv != 0) {
				break;
			}
			ops = 0;
			bytes = 0;
		}
	}
	if (rv == 0) {
		leveldb_iter_get_error(it, &err);
		if (err != NULL) {
			set_err(errmsg, errmsg_len, "kv store %s: %s: read: %s",
				kv->dir, what, err);
			leveldb_free(err);
			rv = RAFT_EIO;
		}
	}
	if (rv == 0 && ops > 0) {
		rv = write_batch(kv, batch, false, what, errmsg, errmsg_len);
	}
	leveldb_iter_destroy(it);
	leveldb_writebatch_destroy(batch);
	leveldb_readoptions_destroy(ro);
	return rv;
}

/* Input in SNAP_BLOCK blocks from the node's read function. */
struct snap_reader {
	int (*read)(void *ctx, void *buf, size_t len, size_t *n);
	void *ctx;
	uint8_t *buf;
	size_t pos, len; /* unread bytes: buf[pos, len) */
	uint64_t offset; /* of buf[pos] in the stream */
	bool eof;
	int rv; /* the first error of read() */
};

/* Refills the buffer once it is empty; false at the end or on an error. */
static bool reader_fill(struct snap_reader *r)
{
	size_t n = 0;
	if (r->pos < r->len) {
		return true;
	}
	if (r->eof || r->rv != 0) {
		return false;
	}
	r->pos = 0;
	r->len = 0;
	r->rv = r->read(r->ctx, r->buf, SNAP_BLOCK, &n);
	if (r->rv != 0) {
		return false;
	}
	if (n == 0) {
		r->eof = true;
		return false;
	}
	r->len = n < SNAP_BLOCK ? n : SNAP_BLOCK;
	return true;
}

/* Reads exactly len bytes: 0, or -1 when the stream ends first (a
 * truncated stream) or read() failed (r->rv). */
static int reader_take(struct snap_reader *r, void *out, size_t len)
{
	uint8_t *p = out;
	while (len > 0) {
		size_t n;
		if (!reader_fill(r)) {
			return -1;
		}
		n = r->len - r->pos;
		if (n > len) {
			n = len;
		}
		memcpy(p, r->buf + r->pos, n);
		r->pos += n;
		r->offset += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* The error of a failed reader_take(): read()'s, or a truncation. */
static int reader_error(struct kv *kv, const struct snap_reader *r,
			raft_index index, const char *what, char *errmsg,
			size_t errmsg_len)
{
	if (r->rv != 0) {
		set_err(errmsg, errmsg_len,
			"kv store %s: load snapshot at index %llu: read: %s",
			kv->dir, (unsigned long long)index,
			raft_strerror(r->rv));
		return r->rv;
	}
	set_err(errmsg, errmsg_len,
		"kv store %s: load snapshot at index %llu: the stream ends "
		"in %s at byte %llu",
		kv->dir, (unsigned long long)index, what,
		(unsigned long long)r->offset);
	return RAFT_ECORRUPT;
}

/* Reads the records after the header into the store (see the format
 * above); the caller writes the last batch. */
static int load_records(struct kv *kv, struct snap_reader *r, raft_index index,
			leveldb_writebatch_t *batch, char *errmsg,
			size_t errmsg_len)
{
	char *record = NULL; /* "k" KEY, then the value */
	size_t record_cap = 0;
	size_t ops = 0, bytes = 0;
	uint64_t n_pairs = 0;
	int rv = 0;
	for (;;) {
		uint8_t type, b[8];
		uint32_t key_len, value_len;
		if (reader_take(r, &type, 1) != 0) {
			rv = reader_error(kv, r, index, "a record type", errmsg,
					  errmsg_len);
			break;
		}
		if (type == SNAP_RECORD_END) {
			if (reader_take(r, b, 8) != 0) {
				rv =
				    reader_error(kv, r, index, "the end record",
						 errmsg, errmsg_len);
			} else if (get_u64(b) != n_pairs) {
				set_err(errmsg, errmsg_len,
					"kv store %s: load snapshot at index "
					"%llu: the end record counts %llu "
					"keys, the stream held %llu",
					kv->dir, (unsigned long long)index,
					(unsigned long long)get_u64(b),
					(unsigned long long)n_pairs);
				rv = RAFT_ECORRUPT;
			} else if (reader_fill(r)) {
				set_err(errmsg, errmsg_len,
					"kv store %s: load snapshot at index "
					"%llu: bytes after the end record at "
					"byte %llu",
					kv->dir, (unsigned long long)index,
					(unsigned long long)r->offset);
				rv = RAFT_ECORRUPT;
			} else if (r->rv != 0) {
				rv = reader_error(kv, r, index, "", errmsg,
						  errmsg_len);
			}
			break;
		}
		if (type != SNAP_RECORD_PAIR) {
			set_err(errmsg, errmsg_len,
				"kv store %s: load snapshot at index %llu: "
				"unknown record type %u at byte %llu",
				kv->dir, (unsigned long long)index, type,
				(unsigned long long)(r->offset - 1));
			rv = RAFT_ECORRUPT;
			break;
		}
		if (reader_take(r, b, 4) != 0) {
			rv = reader_error(kv, r, index, "a key length", errmsg,
					  errmsg_len);
			break;
		}
		key_len = get_u32(b);
		if (key_len == 0 || key_len > KV_KEY_MAX) {
			set_err(errmsg, errmsg_len,
				"kv store %s: load snapshot at index %llu: "
				"key length %lu at byte %llu (1..%d)",
				kv->dir, (unsigned long long)index,
				(unsigned long)key_len,
				(unsigned long long)(r->offset - 4),
				KV_KEY_MAX);
			rv = RAFT_ECORRUPT;
			break;
		}
		if (record_cap < 1 + (size_t)key_len) {
			char *bigger = realloc(record, 1 + KV_KEY_MAX);
			if (bigger == NULL) {
				goto oom;
			}
			record = bigger;
			record_cap = 1 + KV_KEY_MAX;
		}
		record[0] = DATA_PREFIX;
		if (reader_take(r, record + 1, key_len) != 0 ||
		    reader_take(r, b, 4) != 0) {
			rv = reader_error(kv, r, index, "a key", errmsg,
					  errmsg_len);
			break;
		}
		value_len = get_u32(b);
		if (value_len > KV_SNAPSHOT_VALUE_MAX) {
			set_err(errmsg, errmsg_len,
				"kv store %s: load snapshot at index %llu: "
				"value length %lu at byte %llu (at most %d)",
				kv->dir, (unsigned long long)index,
				(unsigned long)value_len,
				(unsigned long long)(r->offset - 4),
				KV_SNAPSHOT_VALUE_MAX);
			rv = RAFT_ECORRUPT;
			break;
		}
		if (record_cap < 1 + (size_t)key_len + value_len) {
			size_t cap = 1 + (size_t)key_len + value_len;
			char *bigger = realloc(record, cap);
			if (bigger == NULL) {
				goto oom;
			}
			record = bigger;
			record_cap = cap;
		}
		if (reader_take(r, record + 1 + key_len, value_len) != 0) {
			rv = reader_error(kv, r, index, "a value", errmsg,
					  errmsg_len);
			break;
		}
		leveldb_writebatch_put(batch, record, 1 + (size_t)key_len,
				       record + 1 + key_len, value_len);
		n_pairs++;
		ops++;
		bytes += 1 + (size_t)key_len + value_len;
		if (ops >= LOAD_BATCH_OPS || bytes >= LOAD_BATCH_BYTES) {
			rv = write_batch(kv, batch, false, "load snapshot",
					 errmsg, errmsg_len);
			if (rv != 0) {
				break;
			}
			ops = 0;
			bytes = 0;
		}
	}
	free(record);
	return rv;

oom:
	free(record);
	set_err(errmsg, errmsg_len,
		"kv store %s: load snapshot at index %llu: out of memory",
		kv->dir, (unsigned long long)index);
	return RAFT_ENOMEM;
}

/* Loading replaces the store in three steps, so that a crash anywhere
 * leaves a store whose applied index is below index:
 *
 *   1. one synced batch: the loading record "l" = index, and no applied
 *      index (applied_index reports 0 from here on, also after a
 *      restart, which empties a store it finds loading);
 *   2. unsynced batches: every key deleted, then the snapshot's keys
 *      written, in batches of bounded size;
 *   3. one synced batch: the applied index = index, "l" deleted.
 *
 * A failure in step 2 (a malformed stream, read() failing) leaves the
 * store in step 1's state. */
static int kv_snapshot_load(struct raft_fsm *fsm, raft_index index,
			    int (*read)(void *ctx, void *buf, size_t len,
					size_t *n),
			    void *ctx, char *errmsg, size_t errmsg_len)
{
	struct kv *kv = fsm->data;
	struct snap_reader r = {read, ctx, NULL, 0, 0, 0, false, 0};
	leveldb_writebatch_t *batch = leveldb_writebatch_create();
	uint8_t header[SNAP_HEADER_LEN];
	uint8_t value[8];
	int rv;
	r.buf = malloc(SNAP_BLOCK);
	if (batch == NULL || r.buf == NULL) {
		set_err(errmsg, errmsg_len,
			"kv store %s: load snapshot at index %llu: out of "
			"memory",
			kv->dir, (unsigned long long)index);
		rv = RAFT_ENOMEM;
		goto out;
	}
	put_u64(value, index);
	leveldb_writebatch_put(batch, key_loading, 1, (const char *)value,
			       sizeof(value));
	leveldb_writebatch_delete(batch, key_applied, 1);
	rv = write_batch(kv, batch, true, "load snapshot", errmsg, errmsg_len);
	if (rv != 0) {
		goto out;
	}
	atomic_store(&kv->applied, 0);

	rv = clear_data(kv, "load snapshot", errmsg, errmsg_len);
	if (rv != 0) {
		goto out;
	}
	if (reader_take(&r, header, sizeof(header)) != 0) {
		rv = reader_error(kv, &r, index, "the header", errmsg,
				  errmsg_len);
		goto out;
	}
	if (memcmp(header, SNAP_MAGIC, 4) != 0) {
		set_err(errmsg, errmsg_len,
			"kv store %s: load snapshot at index %llu: not a kv "
			"snapshot (bad magic)",
			kv->dir, (unsigned long long)index);
		rv = RAFT_ECORRUPT;
		goto out;
	}
	if (get_u32(header + 4) != SNAP_VERSION) {
		set_err(errmsg, errmsg_len,
			"kv store %s: load snapshot at index %llu: unknown "
			"version %lu",
			kv->dir, (unsigned long long)index,
			(unsigned long)get_u32(header + 4));
		rv = RAFT_ECORRUPT;
		goto out;
	}
	/* Loaded under another index, the store would skip or repeat
	 * entries. */
	if (get_u64(header + 8) != index) {
		set_err(errmsg, errmsg_len,
			"kv store %s: load snapshot at index %llu: the data "
			"is the store at index %llu",
			kv->dir, (unsigned long long)index,
			(unsigned long long)get_u64(header + 8));
		rv = RAFT_ECORRUPT;
		goto out;
	}
	rv = load_records(kv, &r, index, batch, errmsg, errmsg_len);
	if (rv != 0) {
		goto out;
	}
	leveldb_writebatch_put(batch, key_applied, 1, (const char *)value,
			       sizeof(value));
	leveldb_writebatch_delete(batch, key_loading, 1);
	rv = write_batch(kv, batch, true, "load snapshot", errmsg, errmsg_len);
	if (rv != 0) {
		goto out;
	}
	atomic_store(&kv->applied, index);

out:
	if (batch != NULL) {
		leveldb_writebatch_destroy(batch);
	}
	free(r.buf);
	return rv;
}

/* ------------------------------------------------------------------------
 * Opening, reading
 * ------------------------------------------------------------------------ */

static void free_handles(struct kv *kv)
{
	if (kv->db != NULL) {
		leveldb_close(kv->db);
	}
	if (kv->options != NULL) {
		leveldb_options_destroy(kv->options);
	}
	if (kv->cache != NULL) {
		leveldb_cache_destroy(kv->cache);
	}
	if (kv->read != NULL) {
		leveldb_readoptions_destroy(kv->read);
	}
	if (kv->write != NULL) {
		leveldb_writeoptions_destroy(kv->write);
	}
	free(kv->dir);
	free(kv);
}

/* A snapshot load was cut short (a crash, or an error that stopped the
 * node): the store holds part of the snapshot. Emptying it makes it what
 * its applied index 0 says, whatever the node does next (it loads the
 * snapshot again). */
static int finish_cut_load(struct kv *kv, char *errmsg, size_t errmsg_len)
{
	leveldb_writebatch_t *batch;
	int rv;
	raft_log(RAFT_LOG_WARN,
		 "kv store %s: a snapshot load was cut short; emptying the "
		 "store (applied index 0) for the node to load it again",
		 kv->dir);
	rv = clear_data(kv, "open", errmsg, errmsg_len);
	if (rv != 0) {
		return rv;
	}
	batch = leveldb_writebatch_create();
	if (batch == NULL) {
		set_err(errmsg, errmsg_len, "kv store %s: open: out of memory",
			kv->dir);
		return RAFT_ENOMEM;
	}
	leveldb_writebatch_delete(batch, key_applied, 1);
	leveldb_writebatch_delete(batch, key_loading, 1);
	rv = write_batch(kv, batch, true, "open", errmsg, errmsg_len);
	leveldb_writebatch_destroy(batch);
	atomic_store(&kv->applied, 0);
	return rv;
}

/* Reads the format version and the applied index of a store just opened,
 * writing the version into a new one. */
static int load_meta(struct kv *kv, char *errmsg, size_t errmsg_len)
{
	char *value, *err = NULL;
	size_t len;
	value = leveldb_get(kv->db, kv->read, key_version, 1, &len, &err);
	if (err != NULL) {
		goto err_leveldb;
	}
	if (value == NULL) {
		/* New, or not ours: a store without a version must be
		 * empty. */
		leveldb_iterator_t *it =
		    leveldb_create_iterator(kv->db, kv->read);
		bool empty;
		uint8_t version = KV_FORMAT_VERSION;
		leveldb_iter_seek_to_first(it);
		empty = !leveldb_iter_valid(it);
		leveldb_iter_destroy(it);
		if (!empty) {
			set_err(errmsg, errmsg_len,
				"open kv store %s: not a raftd store (no "
				"version record)",
				kv->dir);
			return RAFT_ECORRUPT;
		}
		leveldb_put(kv->db, kv->write, key_version, 1,
			    (const char *)&version, 1, &err);
		if (err != NULL) {
			goto err_leveldb;
		}
		atomic_store(&kv->applied, 0);
		return 0;
	}
	if (len != 1 || (uint8_t)value[0] != KV_FORMAT_VERSION) {
		set_err(errmsg, errmsg_len,
			"open kv store %s: unknown format version %u", kv->dir,
			len == 1 ? (unsigned)(uint8_t)value[0] : 0);
		leveldb_free(value);
		return RAFT_ECORRUPT;
	}
	leveldb_free(value);
	value = leveldb_get(kv->db, kv->read, key_applied, 1, &len, &err);
	if (err != NULL) {
		goto err_leveldb;
	}
	if (value != NULL && len != 8) {
		set_err(errmsg, errmsg_len,
			"open kv store %s: applied index record of %zu bytes",
			kv->dir, len);
		leveldb_free(value);
		return RAFT_ECORRUPT;
	}
	atomic_store(&kv->applied,
		     value != NULL ? get_u64((const uint8_t *)value) : 0);
	leveldb_free(value);
	value = leveldb_get(kv->db, kv->read, key_loading, 1, &len, &err);
	if (err != NULL) {
		goto err_leveldb;
	}
	if (value != NULL) {
		leveldb_free(value);
		return finish_cut_load(kv, errmsg, errmsg_len);
	}
	return 0;

err_leveldb:
	set_err(errmsg, errmsg_len, "open kv store %s: %s", kv->dir, err);
	leveldb_free(err);
	return RAFT_EIO;
}

int kv_open(const char *dir, struct kv **out, char *errmsg, size_t errmsg_len)
{
	struct kv *kv = calloc(1, sizeof(*kv));
	char *err = NULL;
	int rv;
	if (kv == NULL) {
		set_err(errmsg, errmsg_len, "open kv store %s: out of memory",
			dir);
		return RAFT_ENOMEM;
	}
	kv->dir = strdup(dir);
	kv->options = leveldb_options_create();
	kv->cache = leveldb_cache_create_lru(KV_CACHE_BYTES);
	kv->read = leveldb_readoptions_create();
	kv->write = leveldb_writeoptions_create();
	if (kv->dir == NULL || kv->options == NULL || kv->cache == NULL ||
	    kv->read == NULL || kv->write == NULL) {
		free_handles(kv);
		set_err(errmsg, errmsg_len, "open kv store %s: out of memory",
			dir);
		return RAFT_ENOMEM;
	}
	leveldb_options_set_create_if_missing(kv->options, 1);
	leveldb_options_set_paranoid_checks(kv->options, 1);
	leveldb_options_set_write_buffer_size(kv->options, KV_MEMTABLE_BYTES);
	leveldb_options_set_cache(kv->options, kv->cache);
	leveldb_readoptions_set_verify_checksums(kv->read, 1);
	/* See kv_apply() for why the store needs no sync of its own. */
	leveldb_writeoptions_set_sync(kv->write, 0);
	kv->db = leveldb_open(kv->options, dir, &err);
	if (err != NULL) {
		set_err(errmsg, errmsg_len, "open kv store %s: %s", dir, err);
		leveldb_free(err);
		kv->db = NULL;
		free_handles(kv);
		return RAFT_EIO;
	}
	rv = load_meta(kv, errmsg, errmsg_len);
	if (rv != 0) {
		free_handles(kv);
		return rv;
	}
	kv->fsm.data = kv;
	kv->fsm.applied_index = kv_fsm_applied_index;
	kv->fsm.apply = kv_apply;
	kv->fsm.snapshot_begin = kv_snapshot_begin;
	kv->fsm.snapshot_save = kv_snapshot_save;
	kv->fsm.snapshot_release = kv_snapshot_release;
	kv->fsm.snapshot_load = kv_snapshot_load;
	*out = kv;
	return 0;
}

void kv_close(struct kv *kv)
{
	if (kv == NULL) {
		return;
	}
	free_handles(kv);
}

struct raft_fsm *kv_fsm(struct kv *kv)
{
	return &kv->fsm;
}

raft_index kv_applied_index(struct kv *kv)
{
	return atomic_load(&kv->applied);
}

void kv_free(void *value)
{
	leveldb_free(value);
}

int kv_get(struct kv *kv, const char *key, size_t key_len, char **value,
	   size_t *value_len, raft_index *applied, char *errmsg,
	   size_t errmsg_len)
{
	const leveldb_snapshot_t *snap = leveldb_create_snapshot(kv->db);
	leveldb_readoptions_t *ro = leveldb_readoptions_create();
	char dkey[1 + KV_KEY_MAX];
	char *err = NULL;
	int rv;
	/* One snapshot for the value and the applied index: the apply
	 * thread may write between two plain reads. */
	leveldb_readoptions_set_snapshot(ro, snap);
	leveldb_readoptions_set_verify_checksums(ro, 1);
	rv = read_applied(kv, ro, applied, errmsg, errmsg_len);
	if (rv != 0) {
		goto out;
	}
	*value = leveldb_get(kv->db, ro, dkey, data_key(dkey, key, key_len),
			     value_len, &err);
	if (err != NULL) {
		set_err(errmsg, errmsg_len, "kv store %s: read: %s", kv->dir,
			err);
		leveldb_free(err);
		rv = RAFT_EIO;
		goto out;
	}
	rv = *value != NULL ? 0 : RAFT_ENOTFOUND;
out:
	leveldb_readoptions_destroy(ro);
	leveldb_release_snapshot(kv->db, snap);
	return rv;
}

int kv_list(struct kv *kv, const char *prefix, size_t prefix_len,
	    unsigned limit, kv_key_fn fn, void *arg, bool *more,
	    raft_index *applied, char *errmsg, size_t errmsg_len)
{
	const leveldb_snapshot_t *snap = leveldb_create_snapshot(kv->db);
	leveldb_readoptions_t *ro = leveldb_readoptions_create();
	leveldb_iterator_t *it;
	char dkey[1 + KV_KEY_MAX];
	size_t dkey_len = data_key(dkey, prefix, prefix_len);
	unsigned n = 0;
	char *err = NULL;
	int rv;
	*more = false;
	leveldb_readoptions_set_snapshot(ro, snap);
	leveldb_readoptions_set_verify_checksums(ro, 1);
	/* Listing must not evict the working set from the block cache. */
	leveldb_readoptions_set_fill_cache(ro, 0);
	rv = read_applied(kv, ro, applied, errmsg, errmsg_len);
	if (rv != 0) {
		goto out;
	}
	it = leveldb_create_iterator(kv->db, ro);
	for (leveldb_iter_seek(it, dkey, dkey_len); leveldb_iter_valid(it);
	     leveldb_iter_next(it)) {
		size_t len;
		const char *k = leveldb_iter_key(it, &len);
		if (len < dkey_len || memcmp(k, dkey, dkey_len) != 0) {
			break;
		}
		if (n == limit) {
			*more = true;
			break;
		}
		rv = fn(arg, k + 1, len - 1);
		if (rv != 0) {
			break;
		}
		n++;
	}
	if (rv == 0) {
		leveldb_iter_get_error(it, &err);
		if (err != NULL) {
			set_err(errmsg, errmsg_len, "kv store %s: list: %s",
				kv->dir, err);
			leveldb_free(err);
			rv = RAFT_EIO;
		}
	}
	leveldb_iter_destroy(it);
out:
	leveldb_readoptions_destroy(ro);
	leveldb_release_snapshot(kv->db, snap);
	return rv;
}
