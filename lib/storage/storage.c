/* Durable Raft state on LevelDB (layout in include/raft/storage.h). */
#include <errno.h>
#include <leveldb/c.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "raft/storage.h"
#include "util/assert.h"
#include "util/endian.h"
#include "util/heap.h"

#define META_VERSION	 1
#define ENTRY_KEY_LEN	 9
#define ENTRY_HEADER_LEN 9 /* term, type */

struct raft_storage {
	char *dir;
	leveldb_t *db;
	leveldb_options_t *options;
	leveldb_cache_t *cache;
	leveldb_readoptions_t *read;
	leveldb_writeoptions_t *write;
	struct raft_storage_meta meta;
	raft_index first_index;
	raft_index last_index;
	char errmsg[512];
};

/* Memory: entries leave the log soon after they commit (compaction), and
 * are read back only by a lagging follower or at start-up, so the log
 * needs neither LevelDB's 4 MiB memtables nor its 8 MiB block cache. */
#define LOG_MEMTABLE_BYTES (1u << 20)
#define LOG_TABLE_BYTES	   (1u << 20)
#define LOG_CACHE_BYTES	   (256u << 10)

static const char key_meta[] = "m";
static const char key_hard_state[] = "h";
static const char key_snapshot[] = "s";

static void entry_key(uint8_t key[ENTRY_KEY_LEN], raft_index index)
{
	key[0] = 'e';
	put_be64(key + 1, index);
}

/* Maps a LevelDB error text to a code. */
static int leveldb_code(const char *err)
{
	if (strstr(err, "No space left") != NULL) {
		return RAFT_ENOSPC;
	}
	if (strncmp(err, "Corruption", 10) == 0) {
		return RAFT_ECORRUPT;
	}
	return RAFT_EIO;
}

static void set_err(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (buf == NULL || len == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static bool store_exists(const char *dir)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/CURRENT", dir);
	return stat(path, &st) == 0;
}

static void free_handles(struct raft_storage *s)
{
	if (s->db != NULL) {
		leveldb_close(s->db);
	}
	if (s->options != NULL) {
		leveldb_options_destroy(s->options);
	}
	if (s->cache != NULL) {
		leveldb_cache_destroy(s->cache);
	}
	if (s->read != NULL) {
		leveldb_readoptions_destroy(s->read);
	}
	if (s->write != NULL) {
		leveldb_writeoptions_destroy(s->write);
	}
	raft_free(s->dir);
	raft_free(s);
}

/* Opens LevelDB in dir; the caller checked whether a store exists. */
static int open_db(const char *dir, bool create, struct raft_storage **out,
		   char *errmsg, size_t errmsg_len)
{
	struct raft_storage *s;
	char *err = NULL;
	int rv;
	s = raft_calloc(1, sizeof(*s));
	if (s == NULL) {
		goto err_nomem;
	}
	s->dir = raft_malloc(strlen(dir) + 1);
	s->options = leveldb_options_create();
	s->cache = leveldb_cache_create_lru(LOG_CACHE_BYTES);
	s->read = leveldb_readoptions_create();
	s->write = leveldb_writeoptions_create();
	if (s->dir == NULL || s->options == NULL || s->cache == NULL ||
	    s->read == NULL || s->write == NULL) {
		free_handles(s);
		goto err_nomem;
	}
	strcpy(s->dir, dir);
	s->first_index = 1;
	leveldb_options_set_create_if_missing(s->options, create);
	leveldb_options_set_error_if_exists(s->options, create);
	leveldb_options_set_paranoid_checks(s->options, 1);
	leveldb_options_set_compression(s->options, leveldb_no_compression);
	leveldb_options_set_write_buffer_size(s->options, LOG_MEMTABLE_BYTES);
	leveldb_options_set_max_file_size(s->options, LOG_TABLE_BYTES);
	leveldb_options_set_cache(s->options, s->cache);
	leveldb_readoptions_set_verify_checksums(s->read, 1);
	leveldb_writeoptions_set_sync(s->write, 1);
	s->db = leveldb_open(s->options, dir, &err);
	if (err != NULL) {
		rv = leveldb_code(err);
		set_err(errmsg, errmsg_len, "open log %s: %s", dir, err);
		leveldb_free(err);
		s->db = NULL;
		free_handles(s);
		return rv;
	}
	*out = s;
	return 0;

err_nomem:
	set_err(errmsg, errmsg_len, "open log %s: %s", dir,
		raft_strerror(RAFT_ENOMEM));
	return RAFT_ENOMEM;
}

int raft_storage_create(const char *dir, const struct raft_storage_meta *meta,
			struct raft_storage **out, char *errmsg,
			size_t errmsg_len)
{
	struct raft_storage *s;
	uint8_t value[17];
	char *err = NULL;
	int rv;
	if (store_exists(dir)) {
		set_err(errmsg, errmsg_len,
			"create log %s: a log is already there", dir);
		return RAFT_EEXIST;
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		rv = errno == ENOSPC ? RAFT_ENOSPC : RAFT_EIO;
		set_err(errmsg, errmsg_len, "create log %s: %s", dir,
			strerror(errno));
		return rv;
	}
	rv = open_db(dir, true, &s, errmsg, errmsg_len);
	if (rv != 0) {
		return rv;
	}
	put_le(value, META_VERSION, 1);
	put_le(value + 1, meta->id, 8);
	put_le(value + 9, meta->cluster_id, 8);
	leveldb_put(s->db, s->write, key_meta, 1, (const char *)value,
		    sizeof(value), &err);
	if (err != NULL) {
		rv = leveldb_code(err);
		set_err(errmsg, errmsg_len, "create log %s: %s", dir, err);
		leveldb_free(err);
		free_handles(s);
		return rv;
	}
	s->meta = *meta;
	*out = s;
	return 0;
}

int raft_storage_open(const char *dir, struct raft_storage **out, char *errmsg,
		      size_t errmsg_len)
{
	struct raft_storage *s;
	char *value, *err = NULL;
	size_t len;
	int rv;
	if (!store_exists(dir)) {
		set_err(errmsg, errmsg_len, "open log %s: no log there", dir);
		return RAFT_ENOTFOUND;
	}
	rv = open_db(dir, false, &s, errmsg, errmsg_len);
	if (rv != 0) {
		return rv;
	}
	value = leveldb_get(s->db, s->read, key_meta, 1, &len, &err);
	if (err != NULL) {
		rv = leveldb_code(err);
		set_err(errmsg, errmsg_len, "open log %s: %s", dir, err);
		leveldb_free(err);
		free_handles(s);
		return rv;
	}
	if (value == NULL || len != 17 || (uint8_t)value[0] != META_VERSION) {
		set_err(errmsg, errmsg_len, "open log %s: %s", dir,
			value == NULL ? "no meta record (not a raft log)"
				      : "meta record malformed or of an "
					"unknown version");
		leveldb_free(value);
		free_handles(s);
		return RAFT_ECORRUPT;
	}
	s->meta.id = get_le((const uint8_t *)value + 1, 8);
	s->meta.cluster_id = get_le((const uint8_t *)value + 9, 8);
	leveldb_free(value);
	*out = s;
	return 0;
}

void raft_storage_close(struct raft_storage *s)
{
	if (s != NULL) {
		free_handles(s);
	}
}

const struct raft_storage_meta *raft_storage_meta(const struct raft_storage *s)
{
	return &s->meta;
}

raft_index raft_storage_first_index(const struct raft_storage *s)
{
	return s->first_index;
}

raft_index raft_storage_last_index(const struct raft_storage *s)
{
	return s->last_index;
}

const char *raft_storage_errmsg(const struct raft_storage *s)
{
	return s->errmsg;
}

void raft_storage_state_release(struct raft_storage_state *state)
{
	size_t i;
	for (i = 0; i < state->n_entries; i++) {
		raft_free(state->entries[i].data.base);
	}
	raft_free(state->entries);
	raft_configuration_close(&state->snapshot.conf);
	memset(state, 0, sizeof(*state));
}

static int load_hard_state(struct raft_storage *s,
			   struct raft_storage_state *state)
{
	char *value, *err = NULL;
	size_t len;
	int rv;
	value = leveldb_get(s->db, s->read, key_hard_state, 1, &len, &err);
	if (err != NULL) {
		rv = leveldb_code(err);
		set_err(s->errmsg, sizeof(s->errmsg), "load log %s: %s", s->dir,
			err);
		leveldb_free(err);
		return rv;
	}
	if (value == NULL) {
		return 0; /* a store that never voted nor saw a term */
	}
	if (len != 16) {
		set_err(s->errmsg, sizeof(s->errmsg),
			"load log %s: hard state has %zu bytes, expected 16",
			s->dir, len);
		leveldb_free(value);
		return RAFT_ECORRUPT;
	}
	state->term = get_le((const uint8_t *)value, 8);
	state->vote = get_le((const uint8_t *)value + 8, 8);
	leveldb_free(value);
	return 0;
}

/* Appends one stored entry to state, checking it continues the log. */
static int load_entry(struct raft_storage *s, struct raft_storage_state *state,
		      size_t *cap, const uint8_t *key, size_t key_len,
		      const uint8_t *value, size_t len)
{
	struct raft_entry *e;
	raft_index index;
	if (key_len != ENTRY_KEY_LEN || len < ENTRY_HEADER_LEN) {
		set_err(s->errmsg, sizeof(s->errmsg),
			"load log %s: malformed entry record", s->dir);
		return RAFT_ECORRUPT;
	}
	index = get_be64(key + 1);
	if (state->n_entries > 0 &&
	    index != state->entries[0].index + state->n_entries) {
		set_err(s->errmsg, sizeof(s->errmsg),
			"load log %s: entry %llu follows entry %llu (gap)",
			s->dir, (unsigned long long)index,
			(unsigned long long)(state->entries[0].index +
					     state->n_entries - 1));
		return RAFT_ECORRUPT;
	}
	if (state->n_entries == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		e = raft_realloc(state->entries, ncap * sizeof(*e));
		if (e == NULL) {
			goto err_nomem;
		}
		state->entries = e;
		*cap = ncap;
	}
	e = &state->entries[state->n_entries];
	e->index = index;
	e->term = get_le(value, 8);
	e->type = value[8];
	e->data.len = len - ENTRY_HEADER_LEN;
	e->data.base = NULL;
	if (e->data.len > 0) {
		e->data.base = raft_malloc(e->data.len);
		if (e->data.base == NULL) {
			goto err_nomem;
		}
		memcpy(e->data.base, value + ENTRY_HEADER_LEN, e->data.len);
	}
	state->n_entries++;
	return 0;

err_nomem:
	set_err(s->errmsg, sizeof(s->errmsg), "load log %s: %s", s->dir,
		raft_strerror(RAFT_ENOMEM));
	return RAFT_ENOMEM;
}

static int load_snapshot_meta(struct raft_storage *s,
			      struct raft_storage_state *state)
{
	char *value, *err = NULL, detail[256];
	struct raft_buf conf;
	size_t len;
	int rv;
	value = leveldb_get(s->db, s->read, key_snapshot, 1, &len, &err);
	if (err != NULL) {
		rv = leveldb_code(err);
		set_err(s->errmsg, sizeof(s->errmsg), "load log %s: %s", s->dir,
			err);
		leveldb_free(err);
		return rv;
	}
	if (value == NULL) {
		return 0;
	}
	if (len < 16) {
		set_err(s->errmsg, sizeof(s->errmsg),
			"load log %s: snapshot record has %zu bytes", s->dir,
			len);
		leveldb_free(value);
		return RAFT_ECORRUPT;
	}
	state->snapshot.index = get_le((const uint8_t *)value, 8);
	state->snapshot.term = get_le((const uint8_t *)value + 8, 8);
	conf.base = value + 16;
	conf.len = len - 16;
	rv = raft_configuration_decode(&conf, &state->snapshot.conf, detail,
				       sizeof(detail));
	leveldb_free(value);
	if (rv != 0) {
		set_err(s->errmsg, sizeof(s->errmsg),
			"load log %s: snapshot record: %s", s->dir, detail);
		return rv == RAFT_ENOMEM ? RAFT_ENOMEM : RAFT_ECORRUPT;
	}
	state->has_snapshot = true;
	return 0;
}

int raft_storage_load(struct raft_storage *s, struct raft_storage_state *state)
{
	leveldb_iterator_t *it;
	char *err = NULL;
	size_t cap = 0;
	int rv;
	memset(state, 0, sizeof(*state));
	raft_configuration_init(&state->snapshot.conf);
	rv = load_hard_state(s, state);
	if (rv == 0) {
		rv = load_snapshot_meta(s, state);
	}
	if (rv != 0) {
		raft_storage_state_release(state);
		return rv;
	}
	it = leveldb_create_iterator(s->db, s->read);
	if (it == NULL) {
		set_err(s->errmsg, sizeof(s->errmsg), "load log %s: %s", s->dir,
			raft_strerror(RAFT_ENOMEM));
		return RAFT_ENOMEM;
	}
	for (leveldb_iter_seek(it, "e", 1); leveldb_iter_valid(it);
	     leveldb_iter_next(it)) {
		size_t key_len, len;
		const char *key = leveldb_iter_key(it, &key_len);
		const char *value = leveldb_iter_value(it, &len);
		if (key_len == 0 || key[0] != 'e') {
			break;
		}
		rv = load_entry(s, state, &cap, (const uint8_t *)key, key_len,
				(const uint8_t *)value, len);
		if (rv != 0) {
			goto err;
		}
	}
	leveldb_iter_get_error(it, &err);
	if (err != NULL) {
		rv = leveldb_code(err);
		set_err(s->errmsg, sizeof(s->errmsg), "load log %s: %s", s->dir,
			err);
		leveldb_free(err);
		goto err;
	}
	leveldb_iter_destroy(it);
	if (state->n_entries > 0) {
		s->first_index = state->entries[0].index;
		s->last_index = s->first_index + state->n_entries - 1;
	} else {
		s->last_index = state->has_snapshot ? state->snapshot.index : 0;
		s->first_index = s->last_index + 1;
	}
	return 0;

err:
	leveldb_iter_destroy(it);
	raft_storage_state_release(state);
	return rv;
}

int raft_storage_write(struct raft_storage *s, const struct raft_hard_state *hs,
		       const struct raft_entry *entries, size_t n)
{
	leveldb_writebatch_t *batch;
	uint8_t key[ENTRY_KEY_LEN];
	uint8_t *value = NULL;
	size_t value_cap = 0, i;
	raft_index index;
	char *err = NULL;
	int rv = 0;

	if (n > 0 &&
	    (entries[0].index == 0 || entries[0].index < s->first_index ||
	     entries[0].index > s->last_index + 1)) {
		set_err(s->errmsg, sizeof(s->errmsg),
			"write log %s: entry %llu would leave a gap after %llu",
			s->dir, (unsigned long long)entries[0].index,
			(unsigned long long)s->last_index);
		return RAFT_EINVAL;
	}
	batch = leveldb_writebatch_create();
	if (batch == NULL) {
		goto err_nomem;
	}
	if (hs != NULL) {
		uint8_t hsv[16];
		put_le(hsv, hs->term, 8);
		put_le(hsv + 8, hs->vote, 8);
		leveldb_writebatch_put(batch, key_hard_state, 1,
				       (const char *)hsv, sizeof(hsv));
	}
	/* The replaced suffix goes first, in the same batch. */
	for (index = n > 0 ? entries[0].index : s->last_index + 1;
	     index <= s->last_index; index++) {
		entry_key(key, index);
		leveldb_writebatch_delete(batch, (const char *)key,
					  sizeof(key));
	}
	for (i = 0; i < n; i++) {
		const struct raft_entry *e = &entries[i];
		size_t len = ENTRY_HEADER_LEN + e->data.len;
		if (len > value_cap) {
			uint8_t *v = raft_realloc(value, len);
			if (v == NULL) {
				leveldb_writebatch_destroy(batch);
				raft_free(value);
				goto err_nomem;
			}
			value = v;
			value_cap = len;
		}
		put_le(value, e->term, 8);
		value[8] = e->type;
		if (e->data.len > 0) {
			memcpy(value + ENTRY_HEADER_LEN, e->data.base,
			       e->data.len);
		}
		entry_key(key, e->index);
		leveldb_writebatch_put(batch, (const char *)key, sizeof(key),
				       (const char *)value, len);
	}
	raft_free(value);
	leveldb_write(s->db, s->write, batch, &err);
	leveldb_writebatch_destroy(batch);
	if (err != NULL) {
		rv = leveldb_code(err);
		set_err(s->errmsg, sizeof(s->errmsg), "write log %s: %s",
			s->dir, err);
		leveldb_free(err);
		return rv;
	}
	if (n > 0) {
		s->last_index = entries[n - 1].index;
	}
	return 0;

err_nomem:
	set_err(s->errmsg, sizeof(s->errmsg), "write log %s: %s", s->dir,
		raft_strerror(RAFT_ENOMEM));
	return RAFT_ENOMEM;
}

int raft_storage_snapshot(struct raft_storage *s,
			  const struct raft_snapshot_meta *meta,
			  raft_index compact_to)
{
	leveldb_writebatch_t *batch;
	uint8_t key[ENTRY_KEY_LEN];
	size_t clen = raft_configuration_encoded_size(&meta->conf);
	uint8_t *value = raft_malloc(16 + clen);
	bool drop_all = compact_to == RAFT_STORAGE_DROP_ALL;
	raft_index index, to;
	char *err = NULL;
	int rv;
	if (value == NULL) {
		goto err_nomem;
	}
	batch = leveldb_writebatch_create();
	if (batch == NULL) {
		raft_free(value);
		goto err_nomem;
	}
	put_le(value, meta->index, 8);
	put_le(value + 8, meta->term, 8);
	raft_configuration_encode_into(&meta->conf, value + 16);
	leveldb_writebatch_put(batch, key_snapshot, 1, (const char *)value,
			       16 + clen);
	raft_free(value);
	to =
	    drop_all || compact_to > s->last_index ? s->last_index : compact_to;
	for (index = s->first_index; index <= to; index++) {
		entry_key(key, index);
		leveldb_writebatch_delete(batch, (const char *)key,
					  sizeof(key));
	}
	leveldb_write(s->db, s->write, batch, &err);
	leveldb_writebatch_destroy(batch);
	if (err != NULL) {
		rv = leveldb_code(err);
		set_err(s->errmsg, sizeof(s->errmsg),
			"write snapshot record %s: %s", s->dir, err);
		leveldb_free(err);
		return rv;
	}
	if (drop_all) {
		s->last_index = meta->index;
		s->first_index = meta->index + 1;
	} else if (to >= s->first_index) {
		s->first_index = to + 1;
	}
	return 0;

err_nomem:
	set_err(s->errmsg, sizeof(s->errmsg), "write snapshot record %s: %s",
		s->dir, raft_strerror(RAFT_ENOMEM));
	return RAFT_ENOMEM;
}
