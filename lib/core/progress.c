/* Per-follower replication progress and its in-flight window.
 *
 *            rejected / stalled
 *   PROBE <--------------------- REPLICATE
 *     |   success response          ^
 *     +-----------------------------+
 *
 * PROBE sends one AppendEntries at a time until the follower accepts one;
 * REPLICATE streams optimistically, up to the in-flight window. */
#include "core/progress.h"

#include <string.h>

#include "util/assert.h"
#include "util/heap.h"

int progress_init(struct progress *pr, raft_id id, uint8_t role,
		  unsigned max_inflight)
{
	memset(pr, 0, sizeof(*pr));
	pr->inflights.buf = raft_calloc(max_inflight, sizeof(struct inflight));
	if (pr->inflights.buf == NULL) {
		return RAFT_ENOMEM;
	}
	pr->inflights.cap = max_inflight;
	pr->id = id;
	pr->role = role;
	progress_reset(pr, 0);
	return 0;
}

void progress_close(struct progress *pr)
{
	raft_free(pr->inflights.buf);
	pr->inflights.buf = NULL;
}

static void inflights_clear(struct inflights *in)
{
	in->start = 0;
	in->count = 0;
	in->bytes = 0;
}

void progress_reset(struct progress *pr, raft_index last_index)
{
	pr->state = RAFT_PROGRESS_PROBE;
	pr->pending_snapshot = 0;
	pr->match = 0;
	pr->next = last_index + 1;
	pr->sent_commit = 0;
	pr->probe_sent = false;
	/* A new leader must hear from a majority within its first election
	 * timeout (check-quorum), as after any other. */
	pr->recent_active = false;
	pr->heard_tick = 0;
	pr->acked_seq = 0;
	inflights_clear(&pr->inflights);
}

void progress_become_probe(struct progress *pr)
{
	/* After a snapshot that arrived (pending_snapshot still set), probe
	 * right after it; after one that failed, after match. */
	raft_index after =
	    pr->state == RAFT_PROGRESS_SNAPSHOT ? pr->pending_snapshot + 1 : 0;
	pr->pending_snapshot = 0;
	pr->state = RAFT_PROGRESS_PROBE;
	pr->next = pr->match + 1 > after ? pr->match + 1 : after;
	pr->probe_sent = false;
	inflights_clear(&pr->inflights);
}

void progress_become_snapshot(struct progress *pr, raft_index index)
{
	pr->state = RAFT_PROGRESS_SNAPSHOT;
	pr->pending_snapshot = index;
	pr->probe_sent = false;
	inflights_clear(&pr->inflights);
}

void progress_become_replicate(struct progress *pr)
{
	pr->pending_snapshot = 0;
	pr->state = RAFT_PROGRESS_REPLICATE;
	pr->next = pr->match + 1;
	pr->probe_sent = false;
	inflights_clear(&pr->inflights);
}

bool progress_is_paused(const struct progress *pr, size_t max_bytes)
{
	const struct inflights *in = &pr->inflights;
	if (pr->state == RAFT_PROGRESS_PROBE) {
		return pr->probe_sent;
	}
	if (pr->state == RAFT_PROGRESS_SNAPSHOT) {
		return true;
	}
	return in->count == in->cap ||
	       (max_bytes > 0 && in->bytes >= max_bytes);
}

bool progress_maybe_update(struct progress *pr, raft_index index)
{
	bool updated = false;
	if (pr->match < index) {
		pr->match = index;
		pr->probe_sent = false;
		updated = true;
	}
	if (pr->next < index + 1) {
		pr->next = index + 1;
	}
	return updated;
}

bool progress_maybe_decr(struct progress *pr, raft_index rejected,
			 raft_index hint)
{
	if (pr->state == RAFT_PROGRESS_REPLICATE) {
		/* A rejection at or below match was sent before the follower
		 * matched: stale. Otherwise restart probing after match. */
		if (rejected <= pr->match) {
			return false;
		}
		pr->next = pr->match + 1;
		return true;
	}
	/* In PROBE only the answer to the probe that is out counts. */
	if (pr->next == 0 || pr->next - 1 != rejected) {
		return false;
	}
	pr->next = hint + 1 < rejected ? hint + 1 : rejected;
	if (pr->next < pr->match + 1) {
		pr->next = pr->match + 1;
	}
	pr->probe_sent = false;
	return true;
}

void progress_sent(struct progress *pr, raft_index last, size_t bytes,
		   unsigned n_entries)
{
	struct inflights *in = &pr->inflights;
	if (pr->state == RAFT_PROGRESS_PROBE) {
		pr->probe_sent = true;
		return;
	}
	if (n_entries == 0) {
		return;
	}
	RAFT_ASSERT(in->count < in->cap);
	in->buf[(in->start + in->count) % in->cap] =
	    (struct inflight){.last = last, .bytes = bytes};
	in->count++;
	in->bytes += bytes;
	pr->next = last + 1;
}

void progress_free_to(struct progress *pr, raft_index index)
{
	struct inflights *in = &pr->inflights;
	while (in->count > 0 && in->buf[in->start].last <= index) {
		in->bytes -= in->buf[in->start].bytes;
		in->start = (in->start + 1) % in->cap;
		in->count--;
	}
}
