/* Fuzz target: the peer wire decoder. The input is taken as a frame whose
 * length and checksum fields are then made right, so that mutations reach
 * the body decoder instead of stopping at the checksum. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz.h"
#include "raft/transport.h"
#include "util/endian.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[FUZZ_MAX_LEN];
	struct raft_message m;
	size_t frame_len;
	char err[256];
	if (size < 8 || size > sizeof(buf)) {
		return 0;
	}
	memcpy(buf, data, size);
	put_le(buf, size - 4, 4);
	put_le(buf + 4, crc32(0L, buf + 8, (uInt)(size - 8)), 4);
	if (raft_wire_frame_len(buf, size, sizeof(buf), &frame_len, err,
				sizeof(err)) != 0 ||
	    frame_len != size) {
		return 0;
	}
	if (raft_wire_decode(buf, size, 7, &m, err, sizeof(err)) == 0) {
		/* What decodes must encode back to the same bytes. */
		size_t len = raft_wire_size(&m);
		uint8_t *again = malloc(len);
		if (again == NULL) {
			abort();
		}
		raft_wire_encode(&m, 7, again);
		if (len != size || memcmp(again, buf, size) != 0) {
			abort();
		}
		free(again);
		raft_wire_message_release(&m);
	}
	return 0;
}

/* One seed per type, plus the extra variants below. */
#define N_SEEDS (RAFT_MSG_TYPE_MAX + 4)

static void add(struct fuzz_seed *seeds, size_t *n,
		const struct raft_message *m)
{
	if (*n == N_SEEDS) {
		abort();
	}
	seeds[*n].len = raft_wire_size(m);
	seeds[*n].data = malloc(seeds[*n].len);
	if (seeds[*n].data == NULL) {
		abort();
	}
	raft_wire_encode(m, 7, seeds[*n].data);
	(*n)++;
}

struct fuzz_seed *fuzz_seeds(size_t *n)
{
	static char a[] = "some data", b[] = "more";
	/* The start of a snapshot file: magic, version, index, term. */
	static char file[] = "RAFTSNAP\x01\x00\x00\x00\x09\x00\x00\x00"
			     "\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00"
			     "\x00\x00";
	struct raft_entry es[2] = {
	    {.term = 2, .index = 6, .type = RAFT_ENTRY_NORMAL, .data = {a, 9}},
	    {.term = 3, .index = 7, .type = RAFT_ENTRY_CONF, .data = {b, 4}}};
	struct fuzz_seed *seeds = calloc(N_SEEDS, sizeof(*seeds));
	struct raft_message m;
	uint8_t type;
	if (seeds == NULL) {
		abort();
	}
	*n = 0;
	for (type = 1; type <= RAFT_MSG_TYPE_MAX; type++) {
		memset(&m, 0, sizeof(m));
		m.type = type;
		m.from = 1;
		m.to = 2;
		m.term = 3;
		switch (type) {
		case RAFT_MSG_SNAPSHOT:
			m.snapshot.meta.index = 9;
			m.snapshot.meta.term = 2;
			raft_configuration_init(&m.snapshot.meta.conf);
			if (raft_configuration_add(&m.snapshot.meta.conf, 1,
						   "127.0.0.1:7001",
						   RAFT_VOTER) != 0) {
				abort();
			}
			add(seeds, n, &m);
			raft_configuration_close(&m.snapshot.meta.conf);
			continue;
		case RAFT_MSG_APPEND:
			m.append.prev_index = 5;
			m.append.prev_term = 2;
			m.append.entries = es;
			m.append.n_entries = 2;
			break;
		case RAFT_MSG_READ_INDEX:
			m.read_index.ctx = 42;
			break;
		case RAFT_MSG_READ_INDEX_RESP:
			m.read_index_resp.ctx = 42;
			m.read_index_resp.index = 17;
			m.read_index_resp.ok = true;
			add(seeds, n, &m);
			m.read_index_resp.ok = false;
			m.read_index_resp.index = 0;
			break;
		case RAFT_MSG_SNAPSHOT_CHUNK:
			/* The first chunk of a 300-byte file, then its last,
			 * empty one. */
			m.chunk.index = 9;
			m.chunk.term = 2;
			m.chunk.size = 300;
			m.chunk.offset = 0;
			m.chunk.epoch = 1;
			m.chunk.data.base = file;
			m.chunk.data.len = sizeof(file) - 1;
			add(seeds, n, &m);
			m.chunk.offset = 300;
			m.chunk.data.base = NULL;
			m.chunk.data.len = 0;
			break;
		case RAFT_MSG_SNAPSHOT_ACK:
			/* Each status: resume at 28, done, rejected. */
			m.from = 2;
			m.to = 1;
			m.ack.index = 9;
			m.ack.term = 2;
			m.ack.offset = sizeof(file) - 1;
			m.ack.epoch = 1;
			m.ack.status = RAFT_SNAPSHOT_ACK_NEXT;
			add(seeds, n, &m);
			m.ack.offset = 300;
			m.ack.status = RAFT_SNAPSHOT_ACK_DONE;
			add(seeds, n, &m);
			m.ack.offset = 0;
			m.ack.status = RAFT_SNAPSHOT_ACK_REJECTED;
			break;
		default:
			break;
		}
		add(seeds, n, &m);
	}
	return seeds;
}

void fuzz_seeds_free(struct fuzz_seed *seeds, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(seeds[i].data);
	}
	free(seeds);
}
