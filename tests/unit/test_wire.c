/* Unit tests of the peer wire format (lib/transport/wire.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "raft/transport.h"
#include "test.h"
#include "util/endian.h"
#include "util/heap.h"

#define CLUSTER 0x1234abcdULL

/* Offsets in a frame (include/raft/transport.h): the body of every type
 * starts after the header and from, to, term. */
#define BODY_AT	      44
#define CHUNK_LEN_AT  (BODY_AT + 36) /* u32 length of the bytes */
#define CHUNK_DATA_AT (BODY_AT + 40)
#define ACK_STATUS_AT (BODY_AT + 28)

struct wire_fixture {
	struct raft_entry entries[3];
	uint8_t *frame;
	size_t len;
	struct raft_message out;
};

SETUP(wire)
{
	static char a[] = "alpha", b[] = "bravo-charlie";
	f->entries[0] = (struct raft_entry){.term = 3,
					    .index = 11,
					    .type = RAFT_ENTRY_NORMAL,
					    .data = {a, sizeof(a) - 1}};
	f->entries[1] = (struct raft_entry){
	    .term = 4, .index = 12, .type = RAFT_ENTRY_NOOP};
	f->entries[2] = (struct raft_entry){.term = 4,
					    .index = 13,
					    .type = RAFT_ENTRY_NORMAL,
					    .data = {b, sizeof(b) - 1}};
}

TEARDOWN(wire)
{
	raft_wire_message_release(&f->out);
	free(f->frame);
}

static void encode(struct wire_fixture *f, const struct raft_message *m)
{
	free(f->frame);
	f->len = raft_wire_size(m);
	f->frame = malloc(f->len);
	raft_wire_encode(m, CLUSTER, f->frame);
}

static int decode(struct wire_fixture *f, const void *buf, size_t len,
		  char *errmsg)
{
	raft_wire_message_release(&f->out);
	return raft_wire_decode(buf, len, CLUSTER, &f->out, errmsg, 256);
}

/* Makes the length and checksum fields of the first len bytes of the
 * frame right again after the test changed or cut it, so that the
 * decoder looks at the body. */
static void reseal(uint8_t *frame, size_t len)
{
	put_le(frame, len - 4, 4);
	put_le(frame + 4, crc32(0L, frame + 8, (uInt)(len - 8)), 4);
}

/* Decodes len bytes expecting RAFT_EPROTO with an errmsg containing why,
 * nothing allocated and the message left zeroed. */
static void assert_refused(struct wire_fixture *f, const void *buf, size_t len,
			   const char *why)
{
	struct raft_message zero;
	char err[256] = "";
	long live;
	raft_wire_message_release(&f->out);
	live = heap_live_count();
	ASSERT_RV(
	    raft_wire_decode(buf, len, CLUSTER, &f->out, err, sizeof(err)),
	    RAFT_EPROTO);
	ASSERT_STR_CONTAINS(err, why);
	ASSERT_EQ_INT(heap_live_count(), live);
	memset(&zero, 0, sizeof(zero));
	ASSERT_EQ_MEM(&f->out, &zero, sizeof(zero));
}

/* A chunk of a 4 KiB snapshot file: 10 bytes at 1024. The message is
 * zeroed first, padding included, so that it compares whole. */
static void chunk_message(struct raft_message *m)
{
	static char data[] = "RAFTSNAP\x01\x00";
	memset(m, 0, sizeof(*m));
	m->type = RAFT_MSG_SNAPSHOT_CHUNK;
	m->from = 1;
	m->to = 3;
	m->term = 7;
	m->chunk.index = 900;
	m->chunk.term = 6;
	m->chunk.size = 4096;
	m->chunk.offset = 1024;
	m->chunk.epoch = 5;
	m->chunk.data.base = data;
	m->chunk.data.len = sizeof(data) - 1;
}

static void ack_message(struct raft_message *m, uint8_t status)
{
	memset(m, 0, sizeof(*m));
	m->type = RAFT_MSG_SNAPSHOT_ACK;
	m->from = 3;
	m->to = 1;
	m->term = 7;
	m->ack.index = 900;
	m->ack.term = 6;
	m->ack.offset = 1034;
	m->ack.epoch = 5;
	m->ack.status = status;
}

static struct raft_message append_message(struct wire_fixture *f)
{
	struct raft_message m = {0};
	m.type = RAFT_MSG_APPEND;
	m.from = 1;
	m.to = 2;
	m.term = 4;
	m.append.prev_index = 10;
	m.append.prev_term = 3;
	m.append.commit = 9;
	m.append.seq = 77;
	m.append.entries = f->entries;
	m.append.n_entries = 3;
	return m;
}

TEST(wire, append_round_trips_with_entries)
{
	struct raft_message m = append_message(f);
	char err[256];
	uint32_t i;
	encode(f, &m);
	ASSERT_OK(decode(f, f->frame, f->len, err));
	ASSERT_EQ_INT(f->out.type, RAFT_MSG_APPEND);
	ASSERT_EQ_U64(f->out.from, 1);
	ASSERT_EQ_U64(f->out.to, 2);
	ASSERT_EQ_U64(f->out.term, 4);
	ASSERT_EQ_U64(f->out.append.prev_index, 10);
	ASSERT_EQ_U64(f->out.append.prev_term, 3);
	ASSERT_EQ_U64(f->out.append.commit, 9);
	ASSERT_EQ_U64(f->out.append.seq, 77);
	ASSERT_EQ_U64(f->out.append.n_entries, 3);
	for (i = 0; i < 3; i++) {
		const struct raft_entry *e = &f->out.append.entries[i];
		ASSERT_EQ_U64(e->index, f->entries[i].index);
		ASSERT_EQ_U64(e->term, f->entries[i].term);
		ASSERT_EQ_INT(e->type, f->entries[i].type);
		ASSERT_EQ_U64(e->data.len, f->entries[i].data.len);
		if (e->data.len > 0) {
			ASSERT_EQ_MEM(e->data.base, f->entries[i].data.base,
				      e->data.len);
		}
	}
}

TEST(wire, every_type_round_trips)
{
	struct raft_message ms[9];
	char err[256];
	unsigned i;
	memset(ms, 0, sizeof(ms));
	ms[0].type = RAFT_MSG_VOTE;
	ms[0].vote.last_log_index = 5;
	ms[0].vote.last_log_term = 2;
	ms[0].vote.pre_vote = true;
	ms[0].vote.transfer = true;
	ms[1].type = RAFT_MSG_VOTE_RESP;
	ms[1].vote_resp.granted = true;
	ms[2].type = RAFT_MSG_APPEND_RESP;
	ms[2].append_resp.index = 8;
	ms[2].append_resp.hint_index = 6;
	ms[2].append_resp.hint_term = 2;
	ms[2].append_resp.last_index = 9;
	ms[2].append_resp.seq = 3;
	ms[3].type = RAFT_MSG_HEARTBEAT;
	ms[3].heartbeat.commit = 4;
	ms[3].heartbeat.seq = 5;
	ms[4].type = RAFT_MSG_HEARTBEAT_RESP;
	ms[4].heartbeat_resp.seq = 5;
	ms[4].heartbeat_resp.last_index = 12;
	ms[5].type = RAFT_MSG_TIMEOUT_NOW;
	ms[6].type = RAFT_MSG_READ_INDEX;
	ms[6].read_index.ctx = 0xfeedbeef01ULL;
	ms[7].type = RAFT_MSG_READ_INDEX_RESP;
	ms[7].read_index_resp.ctx = 77;
	ms[7].read_index_resp.index = 41;
	ms[7].read_index_resp.ok = true;
	ms[8].type = RAFT_MSG_READ_INDEX_RESP;
	ms[8].read_index_resp.ctx = 78;
	for (i = 0; i < 9; i++) {
		ms[i].from = 3;
		ms[i].to = 1;
		ms[i].term = 9;
		encode(f, &ms[i]);
		ASSERT_OK(decode(f, f->frame, f->len, err));
		/* The union is compared whole: decode fills what encode
		 * wrote and zeroes the rest. */
		ASSERT_EQ_MEM(&f->out, &ms[i], sizeof(ms[i]));
	}
}

TEST(wire, snapshot_round_trips_with_its_configuration)
{
	struct raft_message m = {0};
	char err[256];
	m.type = RAFT_MSG_SNAPSHOT;
	m.from = 1;
	m.to = 3;
	m.term = 7;
	m.snapshot.meta.index = 900;
	m.snapshot.meta.term = 6;
	raft_configuration_init(&m.snapshot.meta.conf);
	ASSERT_OK(raft_configuration_add(&m.snapshot.meta.conf, 1,
					 "127.0.0.1:7001", RAFT_VOTER));
	ASSERT_OK(raft_configuration_add(&m.snapshot.meta.conf, 4,
					 "127.0.0.1:7004", RAFT_LEARNER));
	encode(f, &m);
	raft_configuration_close(&m.snapshot.meta.conf);
	ASSERT_OK(decode(f, f->frame, f->len, err));
	ASSERT_EQ_INT(f->out.type, RAFT_MSG_SNAPSHOT);
	ASSERT_EQ_U64(f->out.snapshot.meta.index, 900);
	ASSERT_EQ_U64(f->out.snapshot.meta.term, 6);
	ASSERT_EQ_U64(f->out.snapshot.meta.conf.n, 2);
	ASSERT_EQ_U64(f->out.snapshot.meta.conf.servers[1].id, 4);
	ASSERT_EQ_INT(f->out.snapshot.meta.conf.servers[1].role, RAFT_LEARNER);
	ASSERT_EQ_STR(f->out.snapshot.meta.conf.servers[1].address,
		      "127.0.0.1:7004");
}

TEST(wire, snapshot_chunk_round_trips_with_its_bytes)
{
	struct raft_message m;
	char err[256];
	long live;
	chunk_message(&m);
	encode(f, &m);
	ASSERT_EQ_U64(f->len, CHUNK_DATA_AT + m.chunk.data.len);
	live = heap_live_count();
	ASSERT_OK(decode(f, f->frame, f->len, err));
	/* The bytes are borrowed from the frame: nothing is allocated. */
	ASSERT_EQ_INT(heap_live_count(), live);
	ASSERT_EQ_INT(f->out.type, RAFT_MSG_SNAPSHOT_CHUNK);
	ASSERT_EQ_U64(f->out.from, 1);
	ASSERT_EQ_U64(f->out.to, 3);
	ASSERT_EQ_U64(f->out.term, 7);
	ASSERT_EQ_U64(f->out.chunk.index, 900);
	ASSERT_EQ_U64(f->out.chunk.term, 6);
	ASSERT_EQ_U64(f->out.chunk.size, 4096);
	ASSERT_EQ_U64(f->out.chunk.offset, 1024);
	ASSERT_EQ_U64(f->out.chunk.epoch, 5);
	ASSERT_EQ_U64(f->out.chunk.data.len, 10);
	ASSERT_TRUE(f->out.chunk.data.base ==
		    (void *)(f->frame + CHUNK_DATA_AT));
	ASSERT_EQ_MEM(f->out.chunk.data.base, m.chunk.data.base, 10);
}

TEST(wire, snapshot_chunk_round_trips_without_bytes)
{
	struct raft_message ms[2];
	char err[256];
	unsigned i;
	memset(ms, 0, sizeof(ms));
	/* The last (empty) chunk of a file, and an empty file. */
	ms[0].type = RAFT_MSG_SNAPSHOT_CHUNK;
	ms[0].chunk.index = 900;
	ms[0].chunk.term = 6;
	ms[0].chunk.size = 4096;
	ms[0].chunk.offset = 4096;
	ms[0].chunk.epoch = 0xffffffffu;
	ms[1].type = RAFT_MSG_SNAPSHOT_CHUNK;
	ms[1].chunk.index = 1;
	ms[1].chunk.term = 1;
	for (i = 0; i < 2; i++) {
		ms[i].from = 1;
		ms[i].to = 2;
		ms[i].term = 8;
		encode(f, &ms[i]);
		ASSERT_EQ_U64(f->len, CHUNK_DATA_AT);
		ASSERT_OK(decode(f, f->frame, f->len, err));
		ASSERT_NULL(f->out.chunk.data.base);
		ASSERT_EQ_MEM(&f->out, &ms[i], sizeof(ms[i]));
	}
}

TEST(wire, snapshot_ack_round_trips_with_each_status)
{
	static const uint8_t statuses[] = {RAFT_SNAPSHOT_ACK_NEXT,
					   RAFT_SNAPSHOT_ACK_DONE,
					   RAFT_SNAPSHOT_ACK_REJECTED};
	char err[256];
	unsigned i;
	for (i = 0; i < sizeof(statuses); i++) {
		struct raft_message m;
		ack_message(&m, statuses[i]);
		encode(f, &m);
		ASSERT_EQ_U64(f->len, ACK_STATUS_AT + 1);
		ASSERT_OK(decode(f, f->frame, f->len, err));
		ASSERT_EQ_INT(f->out.type, RAFT_MSG_SNAPSHOT_ACK);
		ASSERT_EQ_U64(f->out.ack.index, 900);
		ASSERT_EQ_U64(f->out.ack.term, 6);
		ASSERT_EQ_U64(f->out.ack.offset, 1034);
		ASSERT_EQ_U64(f->out.ack.epoch, 5);
		ASSERT_EQ_INT(f->out.ack.status, statuses[i]);
		ASSERT_EQ_MEM(&f->out, &m, sizeof(m));
	}
}

TEST(wire, snapshot_chunk_length_must_match_the_frame)
{
	struct raft_message m;
	chunk_message(&m);
	encode(f, &m);
	/* One byte more than the frame holds, and one byte less. */
	put_le(f->frame + CHUNK_LEN_AT, m.chunk.data.len + 1, 4);
	reseal(f->frame, f->len);
	assert_refused(f, f->frame, f->len, "snapshot_chunk frame");
	put_le(f->frame + CHUNK_LEN_AT, m.chunk.data.len - 1, 4);
	reseal(f->frame, f->len);
	assert_refused(f, f->frame, f->len, "snapshot_chunk frame");
	put_le(f->frame + CHUNK_LEN_AT, 0xffffffffu, 4);
	reseal(f->frame, f->len);
	assert_refused(f, f->frame, f->len, "snapshot_chunk frame");
}

TEST(wire, snapshot_chunk_beyond_the_file_size_is_refused)
{
	struct raft_message m;
	char err[256];
	chunk_message(&m);
	/* offset + length one past the size. */
	m.chunk.offset = m.chunk.size - m.chunk.data.len + 1;
	encode(f, &m);
	assert_refused(f, f->frame, f->len, "beyond its size 4096");
	/* Ending exactly at the size is fine. */
	m.chunk.offset = m.chunk.size - m.chunk.data.len;
	encode(f, &m);
	ASSERT_OK(decode(f, f->frame, f->len, err));
	/* offset + length wrapping around 2^64. */
	m.chunk.offset = UINT64_MAX - 2;
	m.chunk.size = UINT64_MAX;
	encode(f, &m);
	assert_refused(f, f->frame, f->len, "beyond its size");
}

TEST(wire, snapshot_chunk_offset_beyond_the_file_size_is_refused)
{
	struct raft_message m;
	chunk_message(&m);
	m.chunk.data.len = 0;
	m.chunk.offset = m.chunk.size + 1;
	encode(f, &m);
	assert_refused(f, f->frame, f->len, "at 4097 beyond its size 4096");
	chunk_message(&m);
	m.chunk.offset = UINT64_MAX;
	encode(f, &m);
	assert_refused(f, f->frame, f->len, "beyond its size 4096");
}

TEST(wire, snapshot_ack_with_an_unknown_status_is_refused)
{
	struct raft_message m;
	ack_message(&m, 3);
	encode(f, &m);
	assert_refused(f, f->frame, f->len,
		       "snapshot_ack frame has unknown "
		       "flags 3");
	f->frame[ACK_STATUS_AT] = 0xff;
	reseal(f->frame, f->len);
	assert_refused(f, f->frame, f->len, "unknown flags 255");
}

/* Every cut of the frame of a `type` message is refused: as it is (the
 * length field then disagrees), and resealed so that the body decoder
 * sees the cut. So is one byte too many. */
static void assert_every_cut_refused(struct wire_fixture *f, const char *type)
{
	uint8_t *frame = malloc(f->len + 1);
	char truncated[64];
	size_t cut;
	ASSERT_NOT_NULL(frame);
	snprintf(truncated, sizeof(truncated), "%s frame truncated", type);
	for (cut = 0; cut < f->len; cut++) {
		assert_refused(f, f->frame, cut,
			       cut < 4 ? "frame truncated" : "frame length");
		if (cut < 8) {
			continue;
		}
		memcpy(frame, f->frame, cut);
		reseal(frame, cut);
		/* Cut before its type byte, a frame cannot name its type. */
		assert_refused(f, frame, cut,
			       cut < 10 ? "frame truncated" : truncated);
	}
	memcpy(frame, f->frame, f->len);
	frame[f->len] = 0;
	reseal(frame, f->len + 1);
	assert_refused(f, frame, f->len + 1, type);
	free(frame);
}

TEST(wire, snapshot_chunk_truncations_are_refused)
{
	struct raft_message m;
	chunk_message(&m);
	encode(f, &m);
	assert_every_cut_refused(f, "snapshot_chunk");
	m.chunk.data.len = 0;
	encode(f, &m);
	assert_every_cut_refused(f, "snapshot_chunk");
}

TEST(wire, snapshot_ack_truncations_are_refused)
{
	struct raft_message m;
	ack_message(&m, RAFT_SNAPSHOT_ACK_DONE);
	encode(f, &m);
	assert_every_cut_refused(f, "snapshot_ack");
}

TEST(wire, frame_len_waits_for_a_whole_header)
{
	struct raft_message m = append_message(f);
	size_t len = 99;
	char err[256];
	encode(f, &m);
	ASSERT_OK(raft_wire_frame_len(f->frame, RAFT_WIRE_HEADER_LEN - 1,
				      1 << 20, &len, err, sizeof(err)));
	ASSERT_EQ_U64(len, 0);
	ASSERT_OK(raft_wire_frame_len(f->frame, f->len, 1 << 20, &len, err,
				      sizeof(err)));
	ASSERT_EQ_U64(len, f->len);
}

TEST(wire, frame_len_refuses_frames_over_the_limit)
{
	struct raft_message m = append_message(f);
	size_t len;
	char err[256];
	encode(f, &m);
	ASSERT_RV(raft_wire_frame_len(f->frame, f->len, f->len - 1, &len, err,
				      sizeof(err)),
		  RAFT_EPROTO);
	ASSERT_STR_CONTAINS(err, "frame length");
}

TEST(wire, every_truncation_is_refused)
{
	struct raft_message m = append_message(f);
	char err[256];
	size_t cut;
	encode(f, &m);
	for (cut = 0; cut < f->len; cut++) {
		ASSERT_RV(decode(f, f->frame, cut, err), RAFT_EPROTO);
	}
}

TEST(wire, every_flipped_byte_is_refused)
{
	struct raft_message m = append_message(f);
	char err[256];
	size_t i;
	encode(f, &m);
	/* Past the length field, a flip breaks the checksum (or the checksum
	 * itself). */
	for (i = 4; i < f->len; i++) {
		f->frame[i] ^= 0x40;
		ASSERT_RV(decode(f, f->frame, f->len, err), RAFT_EPROTO);
		f->frame[i] ^= 0x40;
	}
	ASSERT_OK(decode(f, f->frame, f->len, err));
}

TEST(wire, another_cluster_is_refused)
{
	struct raft_message m = append_message(f);
	struct raft_message out;
	char err[256];
	encode(f, &m);
	ASSERT_RV(raft_wire_decode(f->frame, f->len, CLUSTER + 1, &out, err,
				   sizeof(err)),
		  RAFT_EPROTO);
	ASSERT_STR_CONTAINS(err, "cluster");
}

TEST(wire, random_bytes_never_crash)
{
	uint64_t x = 88172645463325252ULL;
	uint8_t buf[256];
	char err[256];
	int round;
	for (round = 0; round < 20000; round++) {
		size_t len = 0, i;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = x % sizeof(buf);
		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		if (round % 2 == 0 && len >= 8) {
			/* Make the length field agree, to reach the body. */
			buf[0] = (uint8_t)(len - 4);
			buf[1] = buf[2] = buf[3] = 0;
		}
		if (decode(f, buf, len, err) == 0) {
			raft_wire_message_release(&f->out);
		}
	}
}

static const struct test_case wire_cases[] = {
    TEST_CASE(wire, append_round_trips_with_entries),
    TEST_CASE(wire, every_type_round_trips),
    TEST_CASE(wire, snapshot_round_trips_with_its_configuration),
    TEST_CASE(wire, snapshot_chunk_round_trips_with_its_bytes),
    TEST_CASE(wire, snapshot_chunk_round_trips_without_bytes),
    TEST_CASE(wire, snapshot_ack_round_trips_with_each_status),
    TEST_CASE(wire, snapshot_chunk_length_must_match_the_frame),
    TEST_CASE(wire, snapshot_chunk_beyond_the_file_size_is_refused),
    TEST_CASE(wire, snapshot_chunk_offset_beyond_the_file_size_is_refused),
    TEST_CASE(wire, snapshot_ack_with_an_unknown_status_is_refused),
    TEST_CASE(wire, snapshot_chunk_truncations_are_refused),
    TEST_CASE(wire, snapshot_ack_truncations_are_refused),
    TEST_CASE(wire, frame_len_waits_for_a_whole_header),
    TEST_CASE(wire, frame_len_refuses_frames_over_the_limit),
    TEST_CASE(wire, every_truncation_is_refused),
    TEST_CASE(wire, every_flipped_byte_is_refused),
    TEST_CASE(wire, another_cluster_is_refused),
    TEST_CASE(wire, random_bytes_never_crash),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(wire))
