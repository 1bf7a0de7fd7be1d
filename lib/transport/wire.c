/* The peer wire format: frames for core messages (layout in
 * include/raft/transport.h). */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "raft/transport.h"
#include "util/assert.h"
#include "util/endian.h"
#include "util/heap.h"

#define COMMON_LEN	 24 /* from, to, term */
#define ENTRY_HEADER_LEN 13 /* term, type, length */

static size_t body_len(const struct raft_message *m)
{
	size_t len = COMMON_LEN;
	uint32_t i;
	switch (m->type) {
	case RAFT_MSG_VOTE:
		return len + 17;
	case RAFT_MSG_VOTE_RESP:
		return len + 1;
	case RAFT_MSG_APPEND:
		len += 36;
		for (i = 0; i < m->append.n_entries; i++) {
			len += ENTRY_HEADER_LEN + m->append.entries[i].data.len;
		}
		return len;
	case RAFT_MSG_APPEND_RESP:
		return len + 41;
	case RAFT_MSG_HEARTBEAT:
	case RAFT_MSG_HEARTBEAT_RESP:
		return len + 16;
	case RAFT_MSG_SNAPSHOT:
		return len + 20 +
		       raft_configuration_encoded_size(&m->snapshot.meta.conf);
	case RAFT_MSG_READ_INDEX:
		return len + 8;
	case RAFT_MSG_READ_INDEX_RESP:
		return len + 17;
	case RAFT_MSG_SNAPSHOT_CHUNK:
		return len + 40 + m->chunk.data.len;
	case RAFT_MSG_SNAPSHOT_ACK:
		return len + 29;
	default:
		return len;
	}
}

size_t raft_wire_size(const struct raft_message *m)
{
	return RAFT_WIRE_HEADER_LEN + body_len(m);
}

void raft_wire_encode(const struct raft_message *m, uint64_t cluster_id,
		      void *buf)
{
	uint8_t *start = buf, *p = start + 8;
	size_t total = raft_wire_size(m);
	uint32_t i;

	p = put_le(p, RAFT_WIRE_VERSION, 1);
	p = put_le(p, m->type, 1);
	p = put_le(p, 0, 2);
	p = put_le(p, cluster_id, 8);
	p = put_le(p, m->from, 8);
	p = put_le(p, m->to, 8);
	p = put_le(p, m->term, 8);
	switch (m->type) {
	case RAFT_MSG_VOTE:
		p = put_le(p, m->vote.last_log_index, 8);
		p = put_le(p, m->vote.last_log_term, 8);
		p = put_le(
		    p, (m->vote.pre_vote ? 1 : 0) | (m->vote.transfer ? 2 : 0),
		    1);
		break;
	case RAFT_MSG_VOTE_RESP:
		p = put_le(p,
			   (m->vote_resp.pre_vote ? 1 : 0) |
			       (m->vote_resp.granted ? 2 : 0),
			   1);
		break;
	case RAFT_MSG_APPEND:
		p = put_le(p, m->append.prev_index, 8);
		p = put_le(p, m->append.prev_term, 8);
		p = put_le(p, m->append.commit, 8);
		p = put_le(p, m->append.seq, 8);
		p = put_le(p, m->append.n_entries, 4);
		for (i = 0; i < m->append.n_entries; i++) {
			const struct raft_entry *e = &m->append.entries[i];
			p = put_le(p, e->term, 8);
			p = put_le(p, e->type, 1);
			p = put_le(p, e->data.len, 4);
			if (e->data.len > 0) {
				memcpy(p, e->data.base, e->data.len);
				p += e->data.len;
			}
		}
		break;
	case RAFT_MSG_APPEND_RESP:
		p = put_le(p, m->append_resp.success ? 1 : 0, 1);
		p = put_le(p, m->append_resp.index, 8);
		p = put_le(p, m->append_resp.hint_index, 8);
		p = put_le(p, m->append_resp.hint_term, 8);
		p = put_le(p, m->append_resp.last_index, 8);
		p = put_le(p, m->append_resp.seq, 8);
		break;
	case RAFT_MSG_HEARTBEAT:
		p = put_le(p, m->heartbeat.commit, 8);
		p = put_le(p, m->heartbeat.seq, 8);
		break;
	case RAFT_MSG_HEARTBEAT_RESP:
		p = put_le(p, m->heartbeat_resp.seq, 8);
		p = put_le(p, m->heartbeat_resp.last_index, 8);
		break;
	case RAFT_MSG_SNAPSHOT: {
		const struct raft_configuration *conf = &m->snapshot.meta.conf;
		size_t clen = raft_configuration_encoded_size(conf);
		p = put_le(p, m->snapshot.meta.index, 8);
		p = put_le(p, m->snapshot.meta.term, 8);
		p = put_le(p, clen, 4);
		raft_configuration_encode_into(conf, p);
		p += clen;
		break;
	}
	case RAFT_MSG_READ_INDEX:
		p = put_le(p, m->read_index.ctx, 8);
		break;
	case RAFT_MSG_READ_INDEX_RESP:
		p = put_le(p, m->read_index_resp.ctx, 8);
		p = put_le(p, m->read_index_resp.index, 8);
		p = put_le(p, m->read_index_resp.ok ? 1 : 0, 1);
		break;
	case RAFT_MSG_SNAPSHOT_CHUNK:
		p = put_le(p, m->chunk.index, 8);
		p = put_le(p, m->chunk.term, 8);
		p = put_le(p, m->chunk.size, 8);
		p = put_le(p, m->chunk.offset, 8);
		p = put_le(p, m->chunk.epoch, 4);
		p = put_le(p, m->chunk.data.len, 4);
		if (m->chunk.data.len > 0) {
			memcpy(p, m->chunk.data.base, m->chunk.data.len);
			p += m->chunk.data.len;
		}
		break;
	case RAFT_MSG_SNAPSHOT_ACK:
		p = put_le(p, m->ack.index, 8);
		p = put_le(p, m->ack.term, 8);
		p = put_le(p, m->ack.offset, 8);
		p = put_le(p, m->ack.epoch, 4);
		p = put_le(p, m->ack.status, 1);
		break;
	default:
		break;
	}
	RAFT_ASSERT((size_t)(p - start) == total);
	put_le(start, total - 4, 4);
	put_le(start + 4, crc32(0L, start + 8, (uInt)(total - 8)), 4);
}

int raft_wire_frame_len(const void *buf, size_t len, size_t max_frame,
			size_t *frame_len, char *errmsg, size_t errmsg_len)
{
	uint64_t rest;
	*frame_len = 0;
	if (len < RAFT_WIRE_HEADER_LEN) {
		return 0;
	}
	rest = get_le(buf, 4);
	if (rest + 4 < RAFT_WIRE_HEADER_LEN + COMMON_LEN ||
	    rest + 4 > max_frame) {
		snprintf(errmsg, errmsg_len,
			 "frame length %llu outside [%d, %zu]",
			 (unsigned long long)rest + 4,
			 RAFT_WIRE_HEADER_LEN + COMMON_LEN, max_frame);
		return RAFT_EPROTO;
	}
	*frame_len = rest + 4;
	return 0;
}

/* A cursor over the bytes of one frame: every read checks what is left. */
struct cursor {
	const uint8_t *p;
	size_t left;
};

static int take(struct cursor *c, unsigned bytes, uint64_t *v)
{
	if (c->left < bytes) {
		return -1;
	}
	*v = get_le(c->p, bytes);
	c->p += bytes;
	c->left -= bytes;
	return 0;
}

#define TAKE(c, bytes, dst)                     \
	do {                                    \
		uint64_t v_;                    \
		if (take(c, bytes, &v_) != 0) { \
			goto truncated;         \
		}                               \
		dst = v_;                       \
	} while (0)

int raft_wire_decode(const void *buf, size_t len, uint64_t cluster_id,
		     struct raft_message *m, char *errmsg, size_t errmsg_len)
{
	struct cursor c = {buf, len};
	uint64_t rest, crc, version, type = 0, reserved, cluster, flags, n;
	struct raft_entry *entries = NULL;
	uint64_t i;

	memset(m, 0, sizeof(*m));
	TAKE(&c, 4, rest);
	if (rest + 4 != len) {
		snprintf(errmsg, errmsg_len,
			 "frame length %llu but %zu bytes given",
			 (unsigned long long)rest + 4, len);
		return RAFT_EPROTO;
	}
	TAKE(&c, 4, crc);
	if (crc != crc32(0L, c.p, (uInt)c.left)) {
		snprintf(errmsg, errmsg_len, "frame checksum mismatch");
		return RAFT_EPROTO;
	}
	TAKE(&c, 1, version);
	TAKE(&c, 1, type);
	TAKE(&c, 2, reserved);
	TAKE(&c, 8, cluster);
	if (version != RAFT_WIRE_VERSION) {
		snprintf(errmsg, errmsg_len, "frame version %llu not supported",
			 (unsigned long long)version);
		return RAFT_EPROTO;
	}
	if (reserved != 0 || type == 0 || type > RAFT_MSG_TYPE_MAX) {
		snprintf(errmsg, errmsg_len, "frame type %llu unknown",
			 (unsigned long long)type);
		return RAFT_EPROTO;
	}
	if (cluster != cluster_id) {
		snprintf(errmsg, errmsg_len,
			 "frame from cluster %llu, this is cluster %llu",
			 (unsigned long long)cluster,
			 (unsigned long long)cluster_id);
		return RAFT_EPROTO;
	}
	m->type = (uint8_t)type;
	TAKE(&c, 8, m->from);
	TAKE(&c, 8, m->to);
	TAKE(&c, 8, m->term);
	switch (m->type) {
	case RAFT_MSG_VOTE:
		TAKE(&c, 8, m->vote.last_log_index);
		TAKE(&c, 8, m->vote.last_log_term);
		TAKE(&c, 1, flags);
		if (flags > 3) {
			goto bad_flags;
		}
		m->vote.pre_vote = flags & 1;
		m->vote.transfer = (flags & 2) != 0;
		break;
	case RAFT_MSG_VOTE_RESP:
		TAKE(&c, 1, flags);
		if (flags > 3) {
			goto bad_flags;
		}
		m->vote_resp.pre_vote = flags & 1;
		m->vote_resp.granted = (flags & 2) != 0;
		break;
	case RAFT_MSG_APPEND:
		TAKE(&c, 8, m->append.prev_index);
		TAKE(&c, 8, m->append.prev_term);
		TAKE(&c, 8, m->append.commit);
		TAKE(&c, 8, m->append.seq);
		TAKE(&c, 4, n);
		/* Each entry takes at least its header: bound n before
		 * allocating for it. */
		if (n > c.left / ENTRY_HEADER_LEN) {
			snprintf(errmsg, errmsg_len,
				 "append announces %llu entries in %zu bytes",
				 (unsigned long long)n, c.left);
			return RAFT_EPROTO;
		}
		if (n > 0) {
			entries = raft_malloc(n * sizeof(*entries));
			if (entries == NULL) {
				snprintf(errmsg, errmsg_len, "%s",
					 raft_strerror(RAFT_ENOMEM));
				return RAFT_ENOMEM;
			}
		}
		for (i = 0; i < n; i++) {
			struct raft_entry *e = &entries[i];
			TAKE(&c, 8, e->term);
			TAKE(&c, 1, e->type);
			TAKE(&c, 4, e->data.len);
			if (e->data.len > c.left) {
				goto truncated;
			}
			e->index = m->append.prev_index + 1 + i;
			e->data.base = e->data.len > 0 ? (void *)c.p : NULL;
			c.p += e->data.len;
			c.left -= e->data.len;
		}
		m->append.entries = entries;
		m->append.n_entries = (uint32_t)n;
		break;
	case RAFT_MSG_APPEND_RESP:
		TAKE(&c, 1, flags);
		if (flags > 1) {
			goto bad_flags;
		}
		m->append_resp.success = flags & 1;
		TAKE(&c, 8, m->append_resp.index);
		TAKE(&c, 8, m->append_resp.hint_index);
		TAKE(&c, 8, m->append_resp.hint_term);
		TAKE(&c, 8, m->append_resp.last_index);
		TAKE(&c, 8, m->append_resp.seq);
		break;
	case RAFT_MSG_HEARTBEAT:
		TAKE(&c, 8, m->heartbeat.commit);
		TAKE(&c, 8, m->heartbeat.seq);
		break;
	case RAFT_MSG_HEARTBEAT_RESP:
		TAKE(&c, 8, m->heartbeat_resp.seq);
		TAKE(&c, 8, m->heartbeat_resp.last_index);
		break;
	case RAFT_MSG_SNAPSHOT: {
		struct raft_buf conf;
		char detail[200];
		int rv;
		TAKE(&c, 8, m->snapshot.meta.index);
		TAKE(&c, 8, m->snapshot.meta.term);
		TAKE(&c, 4, n);
		if (n != c.left) {
			goto truncated;
		}
		conf.base = (void *)c.p;
		conf.len = c.left;
		raft_configuration_init(&m->snapshot.meta.conf);
		rv = raft_configuration_decode(&conf, &m->snapshot.meta.conf,
					       detail, sizeof(detail));
		if (rv != 0) {
			snprintf(errmsg, errmsg_len, "snapshot frame: %s",
				 detail);
			memset(m, 0, sizeof(*m));
			return rv == RAFT_ENOMEM ? RAFT_ENOMEM : RAFT_EPROTO;
		}
		c.p += n;
		c.left = 0;
		break;
	}
	case RAFT_MSG_READ_INDEX:
		TAKE(&c, 8, m->read_index.ctx);
		break;
	case RAFT_MSG_READ_INDEX_RESP:
		TAKE(&c, 8, m->read_index_resp.ctx);
		TAKE(&c, 8, m->read_index_resp.index);
		TAKE(&c, 1, flags);
		if (flags > 1) {
			goto bad_flags;
		}
		m->read_index_resp.ok = flags == 1;
		break;
	case RAFT_MSG_SNAPSHOT_CHUNK:
		TAKE(&c, 8, m->chunk.index);
		TAKE(&c, 8, m->chunk.term);
		TAKE(&c, 8, m->chunk.size);
		TAKE(&c, 8, m->chunk.offset);
		TAKE(&c, 4, m->chunk.epoch);
		TAKE(&c, 4, m->chunk.data.len);
		if (m->chunk.data.len != c.left) {
			goto truncated;
		}
		if (m->chunk.offset > m->chunk.size ||
		    m->chunk.data.len > m->chunk.size - m->chunk.offset) {
			snprintf(errmsg, errmsg_len,
				 "snapshot chunk of %zu bytes at %llu beyond "
				 "its size %llu",
				 m->chunk.data.len,
				 (unsigned long long)m->chunk.offset,
				 (unsigned long long)m->chunk.size);
			memset(m, 0, sizeof(*m));
			return RAFT_EPROTO;
		}
		m->chunk.data.base = c.left > 0 ? (void *)c.p : NULL;
		c.p += c.left;
		c.left = 0;
		break;
	case RAFT_MSG_SNAPSHOT_ACK:
		TAKE(&c, 8, m->ack.index);
		TAKE(&c, 8, m->ack.term);
		TAKE(&c, 8, m->ack.offset);
		TAKE(&c, 4, m->ack.epoch);
		TAKE(&c, 1, flags);
		if (flags > RAFT_SNAPSHOT_ACK_REJECTED) {
			goto bad_flags;
		}
		m->ack.status = (uint8_t)flags;
		break;
	default:
		break;
	}
	if (c.left != 0) {
		snprintf(errmsg, errmsg_len, "%s frame has %zu trailing bytes",
			 raft_message_type_name(m->type), c.left);
		raft_free(entries);
		memset(m, 0, sizeof(*m));
		return RAFT_EPROTO;
	}
	return 0;

bad_flags:
	snprintf(errmsg, errmsg_len, "%s frame has unknown flags %llu",
		 raft_message_type_name(m->type), (unsigned long long)flags);
	memset(m, 0, sizeof(*m));
	return RAFT_EPROTO;

truncated:
	snprintf(errmsg, errmsg_len, "%s frame truncated",
		 raft_message_type_name((uint8_t)type));
	raft_free(entries);
	memset(m, 0, sizeof(*m));
	return RAFT_EPROTO;
}

void raft_wire_message_release(struct raft_message *m)
{
	if (m->type == RAFT_MSG_SNAPSHOT) {
		raft_configuration_close(&m->snapshot.meta.conf);
		return;
	}
	if (m->type == RAFT_MSG_APPEND) {
		raft_free(m->append.entries);
		m->append.entries = NULL;
		m->append.n_entries = 0;
	}
}
