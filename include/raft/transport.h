/* The peer wire format: how core messages travel between nodes.
 *
 * One frame per message, integers little-endian:
 *
 *   offset size  field
 *   0      4     length of the rest of the frame (from offset 4 on)
 *   4      4     CRC-32 (zlib's) of every byte from offset 8 to the end
 *   8      1     version (RAFT_WIRE_VERSION)
 *   9      1     message type (enum raft_message_type)
 *   10     2     reserved, 0
 *   12     8     cluster id
 *   20     24    from, to, term (u64 each)
 *   44     ...   the type's fields:
 *     vote:           u64 last_log_index, u64 last_log_term,
 *                     u8 flags (1: pre_vote, 2: transfer)
 *     vote_resp:      u8 flags (1: pre_vote, 2: granted)
 *     append:         u64 prev_index, u64 prev_term, u64 commit, u64 seq,
 *                     u32 n_entries, then per entry: u64 term, u8 type,
 *                     u32 length, the data (indexes follow prev_index)
 *     append_resp:    u8 success, u64 index, u64 hint_index,
 *                     u64 hint_term, u64 last_index, u64 seq
 *     heartbeat:      u64 commit, u64 seq
 *     heartbeat_resp: u64 seq, u64 last_index
 *     timeout_now:    nothing
 *     snapshot:       u64 index, u64 term, u32 length, the configuration
 *                     (raft_configuration_encode()); the snapshot's data
 *                     travels beside, as the runtime streams it
 *     read_index:     u64 ctx
 *     read_index_resp: u64 ctx, u64 index, u8 ok
 *     snapshot_chunk: u64 index, u64 term, u64 size, u64 offset,
 *                     u32 epoch, u32 length, the bytes (offset + length
 *                     <= size)
 *     snapshot_ack:   u64 index, u64 term, u64 offset, u32 epoch,
 *                     u8 status (enum raft_snapshot_ack_status)
 *
 * The decoder checks every length against the frame before reading it.
 */
#ifndef RAFT_TRANSPORT_H
#define RAFT_TRANSPORT_H

#include "raft/core.h"

#define RAFT_WIRE_VERSION    1
#define RAFT_WIRE_HEADER_LEN 20

/* The frame size of a message. */
RAFT_API size_t raft_wire_size(const struct raft_message *m);

/* Writes the frame of m into buf, which has raft_wire_size(m) bytes. */
RAFT_API void raft_wire_encode(const struct raft_message *m,
			       uint64_t cluster_id, void *buf);

/* Looks at the start of a byte stream: sets *frame_len to the size of the
 * first frame, or to 0 when fewer than RAFT_WIRE_HEADER_LEN bytes are
 * there. Errors: RAFT_EPROTO with errmsg set, when the frame announces a
 * size below the header or above max_frame. */
RAFT_API int raft_wire_frame_len(const void *buf, size_t len, size_t max_frame,
				 size_t *frame_len, char *errmsg,
				 size_t errmsg_len) RAFT_WARN_UNUSED;

/* Decodes one whole frame of len bytes. On success m->append.entries (for
 * an append) is allocated and must be released with
 * raft_wire_message_release(); entry data points into buf (borrowed).
 * A snapshot's configuration is allocated too. Errors: RAFT_EPROTO (bad
 * checksum, version, cluster id, type or layout; errmsg says which),
 * RAFT_ENOMEM. On error nothing is allocated. */
RAFT_API int raft_wire_decode(const void *buf, size_t len, uint64_t cluster_id,
			      struct raft_message *m, char *errmsg,
			      size_t errmsg_len) RAFT_WARN_UNUSED;

/* Releases what raft_wire_decode() allocated in m. */
RAFT_API void raft_wire_message_release(struct raft_message *m);

#endif /* RAFT_TRANSPORT_H */
