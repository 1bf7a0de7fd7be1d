/* Unit tests of raftd's key-value state machine (raftd/kv.c): its
 * snapshots, on real LevelDB stores in a fresh temporary directory. */
#define _XOPEN_SOURCE 700
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "raft/log.h"
#include "raftd/kv.h"
#include "test.h"

/* A growing byte buffer: a saved snapshot stream, or a store's dump. */
struct bytes {
	uint8_t *data;
	size_t len, cap;
};

static void bytes_add(struct bytes *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 4096;
		while (cap < b->len + len) {
			cap *= 2;
		}
		b->data = realloc(b->data, cap);
		ASSERT_NOT_NULL(b->data);
		b->cap = cap;
	}
	if (len > 0) {
		memcpy(b->data + b->len, data, len);
	}
	b->len += len;
}

static void bytes_u8(struct bytes *b, uint8_t v)
{
	bytes_add(b, &v, 1);
}

static void bytes_u32(struct bytes *b, uint32_t v)
{
	uint8_t p[4];
	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
	bytes_add(b, p, 4);
}

static void bytes_u64(struct bytes *b, uint64_t v)
{
	uint8_t p[8];
	for (int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
	bytes_add(b, p, 8);
}

static void bytes_free(struct bytes *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* What snapshot_save wrote, through sink_write. */
struct sink {
	struct bytes out;
	unsigned n_writes;
	size_t max_write;
	unsigned fail_at; /* fail the write with this number (1-based) */
	int fail_rv;
	unsigned delay_us; /* sleep in each write, to let applies run */
};

static int sink_write(void *ctx, const void *data, size_t len)
{
	struct sink *s = ctx;
	s->n_writes++;
	if (s->fail_at != 0 && s->n_writes >= s->fail_at) {
		return s->fail_rv;
	}
	if (len > s->max_write) {
		s->max_write = len;
	}
	bytes_add(&s->out, data, len);
	if (s->delay_us > 0) {
		usleep(s->delay_us);
	}
	return 0;
}

/* What snapshot_load reads, through source_read. */
struct source {
	const uint8_t *data;
	size_t len, pos;
	size_t chunk;	/* at most this much per read (0: any) */
	size_t fail_at; /* fail once pos reaches this (0: never) */
	int fail_rv;
};

static int source_read(void *ctx, void *buf, size_t len, size_t *n)
{
	struct source *s = ctx;
	size_t k = s->len - s->pos;
	if (s->fail_at != 0 && s->pos >= s->fail_at) {
		return s->fail_rv;
	}
	if (k > len) {
		k = len;
	}
	if (s->chunk != 0 && k > s->chunk) {
		k = s->chunk;
	}
	if (s->fail_at != 0 && s->pos + k > s->fail_at) {
		k = s->fail_at - s->pos;
	}
	memcpy(buf, s->data + s->pos, k);
	s->pos += k;
	*n = k;
	return 0;
}

struct kv_fixture {
	char dir[64];
	char path_a[96], path_b[96];
	struct kv *a, *b;
	raft_index last; /* the last index applied to a */
	char err[512];
};

SETUP(kv)
{
	raft_log_configure(RAFT_LOG_ERROR, test_log_quiet, NULL);
	strcpy(f->dir, "/tmp/raft-test-kv-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(f->dir));
	snprintf(f->path_a, sizeof(f->path_a), "%s/a", f->dir);
	snprintf(f->path_b, sizeof(f->path_b), "%s/b", f->dir);
	ASSERT_OK(kv_open(f->path_a, &f->a, f->err, sizeof(f->err)));
	ASSERT_OK(kv_open(f->path_b, &f->b, f->err, sizeof(f->err)));
}

TEARDOWN(kv)
{
	kv_close(f->a);
	kv_close(f->b);
	test_dir_remove(f->dir);
}

/* Applies one command to kv as entry index. */
static void apply_cmd(struct kv *kv, raft_index index,
		      const struct kv_command *cmd)
{
	struct raft_fsm *fsm = kv_fsm(kv);
	struct raft_entry e;
	char err[256];
	int result = -1;
	memset(&e, 0, sizeof(e));
	e.term = 1;
	e.index = index;
	e.type = RAFT_ENTRY_NORMAL;
	ASSERT_OK(kv_command_encode(cmd, &e.data));
	ASSERT_OK(fsm->apply(fsm, &e, 1, &result, err, sizeof(err)));
	free(e.data.base);
	ASSERT_EQ_INT(result, KV_OK);
}

static void apply_put(struct kv *kv, raft_index index, const char *key,
		      size_t key_len, const char *value, size_t value_len)
{
	struct kv_command cmd;
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = KV_PUT;
	cmd.key = key;
	cmd.key_len = key_len;
	cmd.value = value;
	cmd.value_len = value_len;
	apply_cmd(kv, index, &cmd);
}

static void apply_delete(struct kv *kv, raft_index index, const char *key,
			 size_t key_len)
{
	struct kv_command cmd;
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = KV_DELETE;
	cmd.key = key;
	cmd.key_len = key_len;
	apply_cmd(kv, index, &cmd);
}

static void apply_noop(struct kv *kv, raft_index index)
{
	struct raft_fsm *fsm = kv_fsm(kv);
	struct raft_entry e;
	char err[256];
	int result = -1;
	memset(&e, 0, sizeof(e));
	e.term = 1;
	e.index = index;
	e.type = RAFT_ENTRY_NOOP;
	ASSERT_OK(fsm->apply(fsm, &e, 1, &result, err, sizeof(err)));
}

/* Key i: text keys, and every tenth one binary with a NUL inside. */
static size_t make_key(char *buf, unsigned i)
{
	if (i % 10 == 3) {
		buf[0] = '\0';
		buf[1] = (char)0xff;
		return 2 + (size_t)sprintf(buf + 2, "bin%u", i);
	}
	return (size_t)sprintf(buf, "key/%06u", i);
}

/* Value of key i in round r: its length varies from 0 to ~1 KiB. */
static size_t make_value(char *buf, unsigned i, unsigned r)
{
	size_t len = (i * 37 + r * 11) % 1000;
	for (size_t k = 0; k < len; k++) {
		buf[k] = (char)(i + r + k);
	}
	return len;
}

/* Puts n keys into f->a (one entry each), then deletes every seventh. */
static void fill_a(struct kv_fixture *f, unsigned n)
{
	char key[64], value[1024];
	for (unsigned i = 0; i < n; i++) {
		size_t key_len = make_key(key, i);
		size_t value_len = make_value(value, i, 0);
		apply_put(f->a, ++f->last, key, key_len, value, value_len);
	}
	for (unsigned i = 0; i < n; i += 7) {
		apply_delete(f->a, ++f->last, key, make_key(key, i));
	}
}

struct dump_ctx {
	struct kv *kv;
	struct bytes *out;
	unsigned n;
};

static int dump_key(void *arg, const char *key, size_t key_len)
{
	struct dump_ctx *d = arg;
	char err[256];
	char *value;
	size_t value_len;
	raft_index applied;
	ASSERT_OK(kv_get(d->kv, key, key_len, &value, &value_len, &applied, err,
			 sizeof(err)));
	bytes_u32(d->out, (uint32_t)key_len);
	bytes_add(d->out, key, key_len);
	bytes_u32(d->out, (uint32_t)value_len);
	bytes_add(d->out, value, value_len);
	kv_free(value);
	d->n++;
	return 0;
}

/* Appends every key and value of kv, in key order, to out; returns the
 * number of keys. */
static unsigned dump(struct kv *kv, struct bytes *out)
{
	struct dump_ctx d = {kv, out, 0};
	char err[256];
	raft_index applied;
	bool more;
	ASSERT_OK(kv_list(kv, "", 0, 1u << 30, dump_key, &d, &more, &applied,
			  err, sizeof(err)));
	ASSERT_FALSE(more);
	return d.n;
}

static void assert_same_content(struct kv *x, struct kv *y)
{
	struct bytes dx = {0}, dy = {0};
	unsigned nx = dump(x, &dx), ny = dump(y, &dy);
	ASSERT_EQ_U64(nx, ny);
	ASSERT_EQ_U64(dx.len, dy.len);
	ASSERT_EQ_MEM(dx.data, dy.data, dx.len);
	bytes_free(&dx);
	bytes_free(&dy);
}

/* Saves a snapshot of kv into s->out; returns its index. */
static raft_index save(struct kv *kv, struct sink *s)
{
	struct raft_fsm *fsm = kv_fsm(kv);
	char err[256];
	raft_index index;
	void *snap = NULL;
	ASSERT_OK(fsm->snapshot_begin(fsm, &snap, err, sizeof(err)));
	index = kv_snapshot_index(snap);
	ASSERT_OK(
	    fsm->snapshot_save(fsm, snap, sink_write, s, err, sizeof(err)));
	fsm->snapshot_release(fsm, snap);
	return index;
}

static int load(struct kv *kv, raft_index index, struct source *src, char *err,
		size_t err_len)
{
	struct raft_fsm *fsm = kv_fsm(kv);
	return fsm->snapshot_load(fsm, index, source_read, src, err, err_len);
}

/* Closes and opens store b again, as a restart would. */
static void reopen_b(struct kv_fixture *f)
{
	kv_close(f->b);
	f->b = NULL;
	ASSERT_OK(kv_open(f->path_b, &f->b, f->err, sizeof(f->err)));
}

static void assert_one_line(const char *err)
{
	ASSERT_TRUE(err[0] != '\0');
	ASSERT_NULL(strchr(err, '\n'));
	ASSERT_STR_CONTAINS(err, "kv store ");
}

/* ------------------------------------------------------------------------
 * Saving and loading
 * ------------------------------------------------------------------------ */

TEST(kv, round_trip_into_a_fresh_store)
{
	struct sink s = {0};
	struct source src = {0};
	raft_index index;
	char big[200 * 1024];
	fill_a(f, 3000);
	/* A value larger than a write block, and an empty one. */
	memset(big, 'x', sizeof(big));
	apply_put(f->a, ++f->last, "big", 3, big, sizeof(big));
	apply_put(f->a, ++f->last, "empty", 5, "", 0);
	apply_noop(f->a, ++f->last);
	index = save(f->a, &s);
	ASSERT_EQ_U64(index, f->last);
	/* Written in blocks of at most 64 KiB, several of them. */
	ASSERT_LE_U64(s.max_write, 64 * 1024);
	ASSERT_GT_U64(s.n_writes, 10);

	src.data = s.out.data;
	src.len = s.out.len;
	src.chunk = 1000; /* short reads are fine */
	ASSERT_OK(load(f->b, index, &src, f->err, sizeof(f->err)));
	ASSERT_EQ_U64(kv_applied_index(f->b), index);
	assert_same_content(f->a, f->b);

	/* Durable: a reopened store says the same. */
	reopen_b(f);
	ASSERT_EQ_U64(kv_applied_index(f->b), index);
	ASSERT_EQ_U64(kv_fsm(f->b)->applied_index(kv_fsm(f->b)), index);
	assert_same_content(f->a, f->b);
	bytes_free(&s.out);
}

TEST(kv, load_replaces_every_key)
{
	struct sink s = {0};
	struct source src = {0};
	struct bytes d = {0};
	raft_index index;
	char *value;
	size_t value_len;
	raft_index applied;
	apply_put(f->a, ++f->last, "kept", 4, "new", 3);
	index = save(f->a, &s);
	/* b holds other keys, and one of a's with another value, at a
	 * higher index than the snapshot's. */
	apply_put(f->b, 7, "gone", 4, "x", 1);
	apply_put(f->b, 8, "kept", 4, "old", 3);
	apply_put(f->b, 9, "zzz", 3, "y", 1);
	src.data = s.out.data;
	src.len = s.out.len;
	ASSERT_OK(load(f->b, index, &src, f->err, sizeof(f->err)));
	ASSERT_EQ_U64(kv_applied_index(f->b), index);
	ASSERT_EQ_U64(dump(f->b, &d), 1);
	ASSERT_OK(kv_get(f->b, "kept", 4, &value, &value_len, &applied, f->err,
			 sizeof(f->err)));
	ASSERT_EQ_U64(applied, index);
	ASSERT_EQ_U64(value_len, 3);
	ASSERT_EQ_MEM(value, "new", 3);
	kv_free(value);
	bytes_free(&d);
	bytes_free(&s.out);
}

TEST(kv, empty_store_round_trip)
{
	struct sink s = {0};
	struct source src = {0};
	struct bytes d = {0};
	raft_index index;
	apply_noop(f->a, ++f->last);
	apply_noop(f->a, ++f->last);
	apply_put(f->b, 1, "stale", 5, "v", 1);
	index = save(f->a, &s);
	ASSERT_EQ_U64(index, 2);
	src.data = s.out.data;
	src.len = s.out.len;
	ASSERT_OK(load(f->b, index, &src, f->err, sizeof(f->err)));
	ASSERT_EQ_U64(kv_applied_index(f->b), 2);
	ASSERT_EQ_U64(dump(f->b, &d), 0);
	bytes_free(&d);
	bytes_free(&s.out);
}

/* Applies entries to kv from another thread while the test saves. */
struct applier {
	struct kv *kv;
	raft_index first;
	unsigned n;
};

static void *applier_run(void *arg)
{
	struct applier *ap = arg;
	char key[64], value[1024];
	for (unsigned i = 0; i < ap->n; i++) {
		size_t key_len = make_key(key, i % 4000);
		raft_index index = ap->first + i;
		if (i % 5 == 4) {
			struct kv_command cmd;
			struct raft_fsm *fsm = kv_fsm(ap->kv);
			struct raft_entry e;
			char err[256];
			int result;
			/* Deletes of keys that may be absent: any result. */
			memset(&cmd, 0, sizeof(cmd));
			cmd.op = KV_DELETE;
			cmd.key = key;
			cmd.key_len = key_len;
			memset(&e, 0, sizeof(e));
			e.term = 2;
			e.index = index;
			e.type = RAFT_ENTRY_NORMAL;
			if (kv_command_encode(&cmd, &e.data) != 0 ||
			    fsm->apply(fsm, &e, 1, &result, err, sizeof(err)) !=
				0) {
				abort();
			}
			free(e.data.base);
			continue;
		}
		apply_put(ap->kv, index, key, key_len, value,
			  make_value(value, i, 1));
	}
	return NULL;
}

TEST(kv, applies_during_save_stay_out_of_the_image)
{
	struct sink s = {0};
	struct source src = {0};
	struct bytes before = {0}, after = {0};
	struct raft_fsm *fsm = kv_fsm(f->a);
	struct applier ap;
	pthread_t thread;
	raft_index index;
	void *snap = NULL;
	fill_a(f, 2000);
	ASSERT_OK(fsm->snapshot_begin(fsm, &snap, f->err, sizeof(f->err)));
	index = kv_snapshot_index(snap);
	ASSERT_EQ_U64(index, f->last);
	dump(f->a, &before);
	/* Entries applied after begin, before the save starts... */
	ap.kv = f->a;
	ap.first = index + 1;
	ap.n = 500;
	applier_run(&ap);
	/* ...and while it runs, from the apply thread (the slow sink gives
	 * it time). */
	ap.first = index + 501;
	ap.n = 2500;
	ASSERT_EQ_INT(pthread_create(&thread, NULL, applier_run, &ap), 0);
	s.delay_us = 5000;
	ASSERT_OK(fsm->snapshot_save(fsm, snap, sink_write, &s, f->err,
				     sizeof(f->err)));
	ASSERT_EQ_INT(pthread_join(thread, NULL), 0);
	fsm->snapshot_release(fsm, snap);
	ASSERT_EQ_U64(kv_applied_index(f->a), index + 3000);
	dump(f->a, &after);
	ASSERT_TRUE(after.len != before.len ||
		    memcmp(after.data, before.data, after.len) != 0);

	/* The image is the store as of index, and only that. */
	src.data = s.out.data;
	src.len = s.out.len;
	ASSERT_OK(load(f->b, index, &src, f->err, sizeof(f->err)));
	after.len = 0;
	dump(f->b, &after);
	ASSERT_EQ_U64(after.len, before.len);
	ASSERT_EQ_MEM(after.data, before.data, before.len);
	bytes_free(&before);
	bytes_free(&after);
	bytes_free(&s.out);
}

TEST(kv, save_stops_at_a_failing_write)
{
	struct raft_fsm *fsm = kv_fsm(f->a);
	struct sink s = {0};
	void *snap = NULL;
	fill_a(f, 2000);
	s.fail_at = 2;
	s.fail_rv = RAFT_ENOSPC;
	ASSERT_OK(fsm->snapshot_begin(fsm, &snap, f->err, sizeof(f->err)));
	ASSERT_RV(fsm->snapshot_save(fsm, snap, sink_write, &s, f->err,
				     sizeof(f->err)),
		  RAFT_ENOSPC);
	fsm->snapshot_release(fsm, snap);
	assert_one_line(f->err);
	ASSERT_STR_CONTAINS(f->err, "write: no space left on device");
	ASSERT_EQ_U64(s.n_writes, 2);
	bytes_free(&s.out);
}

/* ------------------------------------------------------------------------
 * Malformed streams and cut loads
 * ------------------------------------------------------------------------ */

TEST(kv, every_truncation_fails_and_leaves_the_store_loading)
{
	struct sink s = {0};
	struct source src = {0};
	raft_index index;
	apply_put(f->a, ++f->last, "a", 1, "one", 3);
	apply_put(f->a, ++f->last, "b", 1, "", 0);
	apply_put(f->a, ++f->last, "c", 1, "three", 5);
	index = save(f->a, &s);
	apply_put(f->b, 1, "old", 3, "v", 1);
	for (size_t cut = 0; cut < s.out.len; cut++) {
		memset(&src, 0, sizeof(src));
		src.data = s.out.data;
		src.len = cut;
		f->err[0] = '\0';
		ASSERT_RV(load(f->b, index, &src, f->err, sizeof(f->err)),
			  RAFT_ECORRUPT);
		assert_one_line(f->err);
		ASSERT_STR_CONTAINS(f->err, "the stream ends in");
		ASSERT_EQ_U64(kv_applied_index(f->b), 0);
	}
	/* The whole stream loads over a store left loading. */
	memset(&src, 0, sizeof(src));
	src.data = s.out.data;
	src.len = s.out.len;
	ASSERT_OK(load(f->b, index, &src, f->err, sizeof(f->err)));
	ASSERT_EQ_U64(kv_applied_index(f->b), index);
	assert_same_content(f->a, f->b);
	bytes_free(&s.out);
}

/* One malformed stream: load refuses it with RAFT_ECORRUPT and a message
 * holding `why`, and the store reports applied index 0. */
static void check_malformed(struct kv_fixture *f, const struct bytes *b,
			    raft_index index, const char *why)
{
	struct source src = {0};
	src.data = b->data;
	src.len = b->len;
	f->err[0] = '\0';
	ASSERT_RV(load(f->b, index, &src, f->err, sizeof(f->err)),
		  RAFT_ECORRUPT);
	assert_one_line(f->err);
	ASSERT_STR_CONTAINS(f->err, why);
	ASSERT_EQ_U64(kv_applied_index(f->b), 0);
}

static void header(struct bytes *b, const char *magic, uint32_t version,
		   uint64_t index)
{
	b->len = 0;
	bytes_add(b, magic, 4);
	bytes_u32(b, version);
	bytes_u64(b, index);
}

static void pair(struct bytes *b, uint32_t key_len, const char *key,
		 uint32_t value_len, const char *value)
{
	bytes_u8(b, 1);
	bytes_u32(b, key_len);
	bytes_add(b, key, strlen(key));
	bytes_u32(b, value_len);
	bytes_add(b, value, strlen(value));
}

static void end(struct bytes *b, uint64_t n)
{
	bytes_u8(b, 2);
	bytes_u64(b, n);
}

TEST(kv, malformed_streams_fail_with_one_line)
{
	struct bytes b = {0};
	apply_put(f->b, 1, "old", 3, "v", 1);

	header(&b, "RKVS", 1, 40);
	pair(&b, 1, "k", 1, "v");
	end(&b, 1);
	check_malformed(f, &b, 41, "the data is the store at index 40");

	header(&b, "XKVS", 1, 40);
	end(&b, 0);
	check_malformed(f, &b, 40, "not a kv snapshot (bad magic)");

	header(&b, "RKVS", 2, 40);
	end(&b, 0);
	check_malformed(f, &b, 40, "unknown version 2");

	header(&b, "RKVS", 1, 40);
	pair(&b, 0, "", 1, "v");
	end(&b, 1);
	check_malformed(f, &b, 40, "key length 0 at byte 17 (1..4096)");

	header(&b, "RKVS", 1, 40);
	pair(&b, 4097, "", 0, "");
	check_malformed(f, &b, 40, "key length 4097");

	/* A length beyond what remains. */
	header(&b, "RKVS", 1, 40);
	pair(&b, 1, "k", 5000, "v");
	end(&b, 1);
	check_malformed(f, &b, 40, "the stream ends in a value");

	header(&b, "RKVS", 1, 40);
	pair(&b, 1, "k", 0xffffffffu, "");
	check_malformed(f, &b, 40, "value length 4294967295");

	header(&b, "RKVS", 1, 40);
	bytes_u8(&b, 9);
	check_malformed(f, &b, 40, "unknown record type 9 at byte 16");

	header(&b, "RKVS", 1, 40);
	pair(&b, 1, "k", 1, "v");
	end(&b, 2);
	check_malformed(f, &b, 40, "the end record counts 2 keys");

	header(&b, "RKVS", 1, 40);
	end(&b, 0);
	bytes_u8(&b, 0);
	check_malformed(f, &b, 40, "bytes after the end record");

	/* No end record. */
	header(&b, "RKVS", 1, 40);
	pair(&b, 1, "k", 1, "v");
	check_malformed(f, &b, 40, "the stream ends in a record type");

	/* A well-formed stream of the same shape loads. */
	header(&b, "RKVS", 1, 40);
	pair(&b, 1, "k", 1, "v");
	end(&b, 1);
	{
		struct source src = {b.data, b.len, 0, 0, 0, 0};
		ASSERT_OK(load(f->b, 40, &src, f->err, sizeof(f->err)));
		ASSERT_EQ_U64(kv_applied_index(f->b), 40);
	}
	bytes_free(&b);
}

TEST(kv, cut_load_stays_below_its_index_across_a_restart)
{
	struct sink s = {0};
	struct source src = {0};
	struct bytes d = {0};
	raft_index index;
	fill_a(f, 3000);
	index = save(f->a, &s);
	apply_put(f->b, 50, "old", 3, "v", 1);
	ASSERT_EQ_U64(kv_applied_index(f->b), 50);

	/* The read fails halfway: the node would stop here. */
	src.data = s.out.data;
	src.len = s.out.len;
	src.fail_at = s.out.len / 2;
	src.fail_rv = RAFT_EIO;
	ASSERT_RV(load(f->b, index, &src, f->err, sizeof(f->err)), RAFT_EIO);
	assert_one_line(f->err);
	ASSERT_STR_CONTAINS(f->err, "read: I/O error");
	ASSERT_LT_U64(kv_applied_index(f->b), index);

	/* Restarted, the store says 0 and holds nothing (neither the old
	 * keys nor part of the snapshot's). */
	reopen_b(f);
	ASSERT_EQ_U64(kv_applied_index(f->b), 0);
	ASSERT_EQ_U64(dump(f->b, &d), 0);

	/* Loading again succeeds. */
	memset(&src, 0, sizeof(src));
	src.data = s.out.data;
	src.len = s.out.len;
	ASSERT_OK(load(f->b, index, &src, f->err, sizeof(f->err)));
	ASSERT_EQ_U64(kv_applied_index(f->b), index);
	assert_same_content(f->a, f->b);
	bytes_free(&d);
	bytes_free(&s.out);
}

static const struct test_case kv_cases[] = {
    TEST_CASE(kv, round_trip_into_a_fresh_store),
    TEST_CASE(kv, load_replaces_every_key),
    TEST_CASE(kv, empty_store_round_trip),
    TEST_CASE(kv, applies_during_save_stay_out_of_the_image),
    TEST_CASE(kv, save_stops_at_a_failing_write),
    TEST_CASE(kv, every_truncation_fails_and_leaves_the_store_loading),
    TEST_CASE(kv, malformed_streams_fail_with_one_line),
    TEST_CASE(kv, cut_load_stays_below_its_index_across_a_restart),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(kv))
