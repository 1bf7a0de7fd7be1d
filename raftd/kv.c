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

#define KV_FORMAT_VERSION 1
#define CMD_VERSION	  1

static const char key_version[] = "v";
static const char key_applied[] = "a";
#define DATA_PREFIX 'k'

struct kv {
	char *dir;
	leveldb_t *db;
	leveldb_options_t *options;
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
	if (kv->read != NULL) {
		leveldb_readoptions_destroy(kv->read);
	}
	if (kv->write != NULL) {
		leveldb_writeoptions_destroy(kv->write);
	}
	free(kv->dir);
	free(kv);
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
	kv->read = leveldb_readoptions_create();
	kv->write = leveldb_writeoptions_create();
	if (kv->dir == NULL || kv->options == NULL || kv->read == NULL ||
	    kv->write == NULL) {
		free_handles(kv);
		set_err(errmsg, errmsg_len, "open kv store %s: out of memory",
			dir);
		return RAFT_ENOMEM;
	}
	leveldb_options_set_create_if_missing(kv->options, 1);
	leveldb_options_set_paranoid_checks(kv->options, 1);
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
