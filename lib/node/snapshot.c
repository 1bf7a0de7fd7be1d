/* Snapshots in the runtime: taking them (the apply thread captures the
 * state machine, the snapshot thread writes the file, the disk thread
 * records it and compacts the log), streaming them to followers that fell
 * behind, and installing the ones that arrive.
 *
 *   take:    APPLY_BEGIN (apply thread) -> SNAP_SAVE (snapshot thread)
 *            -> raft_core_snapshot_taken() -> disk job (record, compact)
 *   send:    RAFT_MSG_SNAPSHOT from the core -> SNAP_OPEN (check the
 *            file) -> chunks within a window, acks move it on; a stream
 *            that stalls restarts from what was acknowledged
 *   install: chunks -> DATA_DIR/snapshots, a .part file -> SNAP_COMMIT (fsync,
 *            rename, check whole) -> RAFT_MSG_SNAPSHOT stepped into the
 *            core -> rd.snapshot -> disk job (record, drop the log) ->
 *            APPLY_LOAD, with later applies held until it is recorded
 *
 * The stream is the snapshot file byte for byte, so the receiver checks
 * the sender's checksum end to end. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/internal.h"
#include "raft/log.h"
#include "util/heap.h"

#define CHUNK_BYTES  (256u * 1024)
#define WINDOW_BYTES (8u * CHUNK_BYTES)

/* ------------------------------------------------------------------------
 * The apply and snapshot threads
 * ------------------------------------------------------------------------ */

static int snapshot_read(void *ctx, void *buf, size_t len, size_t *n)
{
	return raft_snapshot_reader_read(ctx, buf, len, n);
}

/* Replaces the state machine with the snapshot file at path. */
int snapshot_load_file(struct raft_node *node, const char *path,
		       raft_index index, char *errmsg, size_t errmsg_len)
{
	struct raft_snapshot_reader *r;
	int rv = raft_snapshot_reader_open(path, &r, errmsg, errmsg_len);
	if (rv != 0) {
		return rv;
	}
	errmsg[0] = '\0';
	rv = node->fsm->snapshot_load(node->fsm, index, snapshot_read, r,
				      errmsg, errmsg_len);
	if (rv != 0 && errmsg[0] == '\0') {
		snprintf(errmsg, errmsg_len, "load snapshot %s: %s", path,
			 raft_strerror(rv));
	}
	raft_snapshot_reader_close(r);
	return rv;
}

static int snapshot_write(void *ctx, const void *data, size_t len)
{
	return raft_snapshot_writer_write(ctx, data, len);
}

/* Writes a snapshot file from what the state machine captured. */
static void snap_save(struct raft_node *node, struct snap_job *s)
{
	struct raft_snapshot_writer *w;
	s->status = raft_snapshot_writer_open(node->snap_dir, &s->meta, &w,
					      s->errmsg, sizeof(s->errmsg));
	if (s->status == 0) {
		s->errmsg[0] = '\0';
		s->status =
		    node->fsm->snapshot_save(node->fsm, s->snap, snapshot_write,
					     w, s->errmsg, sizeof(s->errmsg));
		if (s->status != 0) {
			if (s->errmsg[0] == '\0') {
				snprintf(s->errmsg, sizeof(s->errmsg), "%s",
					 raft_snapshot_writer_errmsg(w));
			}
			raft_snapshot_writer_abort(w);
		} else {
			s->status = raft_snapshot_writer_commit(
			    w, s->errmsg, sizeof(s->errmsg));
		}
	}
	node->fsm->snapshot_release(node->fsm, s->snap);
	s->snap = NULL;
	if (s->status == 0 &&
	    raft_snapshot_prune(node->snap_dir, node->snap_keep) != 0) {
		raft_log(RAFT_LOG_WARN, "could not remove old snapshots in %s",
			 node->snap_dir);
	}
}

/* Checks a snapshot file whole and opens it for sending. */
static void snap_open(struct snap_job *s)
{
	struct raft_snapshot_reader *r;
	struct stat st;
	s->fd = -1;
	s->status = raft_snapshot_reader_open(s->path, &r, s->errmsg,
					      sizeof(s->errmsg));
	if (s->status != 0) {
		return;
	}
	raft_snapshot_reader_close(r);
	s->fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0 || fstat(s->fd, &st) != 0) {
		snprintf(s->errmsg, sizeof(s->errmsg), "open snapshot %s: %s",
			 s->path, strerror(errno));
		s->status = RAFT_EIO;
		return;
	}
	s->size = (uint64_t)st.st_size;
}

/* Snapshot thread: slow work on snapshot files. */
void snap_process(void *arg, struct worker_job *jobs)
{
	struct raft_node *node = arg;
	struct worker_job *j;
	for (j = jobs; j != NULL; j = j->next) {
		struct snap_job *s = (struct snap_job *)j;
		switch (s->kind) {
		case SNAP_SAVE:
			snap_save(node, s);
			break;
		case SNAP_OPEN:
			snap_open(s);
			break;
		case SNAP_COMMIT:
			s->status = raft_snapshot_receiver_commit(
			    s->rcv, s->path, sizeof(s->path), &s->meta,
			    s->errmsg, sizeof(s->errmsg));
			s->rcv = NULL;
			if (s->status == 0 &&
			    raft_snapshot_prune(node->snap_dir,
						node->snap_keep) != 0) {
				raft_log(RAFT_LOG_WARN,
					 "could not remove old snapshots in %s",
					 node->snap_dir);
			}
			break;
		}
	}
}

void snap_job_free(struct raft_node *node, struct snap_job *s)
{
	if (s->snap != NULL) {
		node->fsm->snapshot_release(node->fsm, s->snap);
	}
	if (s->fd >= 0) {
		close(s->fd);
	}
	raft_snapshot_receiver_close(s->rcv);
	raft_configuration_close(&s->meta.conf);
	raft_free(s);
}

static struct snap_job *snap_job_new(uint8_t kind)
{
	struct snap_job *s = raft_calloc(1, sizeof(*s));
	if (s != NULL) {
		s->kind = kind;
		s->fd = -1;
		raft_configuration_init(&s->meta.conf);
	}
	return s;
}

/* ------------------------------------------------------------------------
 * Taking snapshots (the loop side)
 * ------------------------------------------------------------------------ */

static raft_index snapshot_index(const struct raft_node *node)
{
	const struct raft_snapshot_meta *m = raft_core_snapshot(node->core);
	return m != NULL ? m->index : 0;
}

static bool can_snapshot(const struct raft_node *node)
{
	return node->fsm->snapshot_begin != NULL &&
	       node->fsm->snapshot_save != NULL &&
	       node->fsm->snapshot_release != NULL &&
	       node->fsm->snapshot_load != NULL;
}

/* Tells everyone waiting for the snapshot under way how it ended. */
static void waiters_finish(struct raft_node *node, int status, raft_index index)
{
	struct snapshot_waiter *w = node->waiters;
	size_t i, n = node->n_waiters;
	node->saving = false;
	node->waiters = NULL;
	node->n_waiters = 0;
	for (i = 0; i < n; i++) {
		w[i].cb(w[i].arg, status, index);
	}
	raft_free(w);
}

/* Starts taking a snapshot: the apply thread captures the state machine
 * between two applies. */
static int take(struct raft_node *node)
{
	struct apply_job *a = raft_calloc(1, sizeof(*a));
	if (a == NULL) {
		return RAFT_ENOMEM;
	}
	a->kind = APPLY_BEGIN;
	node->saving = true;
	node->snap_retake = false;
	node->bytes_since_snap = 0;
	node_apply_submit(node, a);
	return 0;
}

void snapshot_maybe(struct raft_node *node)
{
	raft_index last = snapshot_index(node);
	if (node->saving || node->fatal != NULL || !can_snapshot(node) ||
	    node->applied <= last) {
		return;
	}
	if (node->snap_retake ||
	    (node->snap_entries > 0 &&
	     node->applied - last >= node->snap_entries) ||
	    (node->snap_bytes > 0 &&
	     node->bytes_since_snap >= node->snap_bytes)) {
		if (take(node) != 0) {
			raft_log(RAFT_LOG_WARN,
				 "snapshot: out of memory, retried later");
		}
	}
}

int raft_node_snapshot(struct raft_node *node, raft_snapshot_cb cb, void *arg)
{
	struct snapshot_waiter *w;
	if (!can_snapshot(node)) {
		return RAFT_ENOTSUP;
	}
	if (node->fatal != NULL) {
		return RAFT_ESHUTDOWN;
	}
	w = raft_realloc(node->waiters, (node->n_waiters + 1) * sizeof(*w));
	if (w == NULL) {
		return RAFT_ENOMEM;
	}
	node->waiters = w;
	if (!node->saving && take(node) != 0) {
		return RAFT_ENOMEM;
	}
	w[node->n_waiters].cb = cb;
	w[node->n_waiters].arg = arg;
	node->n_waiters++;
	return 0;
}

void snapshot_begin_done(struct raft_node *node, struct apply_job *a)
{
	struct snap_job *s;
	int rv;
	if (a->status != 0) {
		raft_log(RAFT_LOG_WARN, "snapshot: state machine: %s",
			 a->errmsg[0] ? a->errmsg : raft_strerror(a->status));
		waiters_finish(node, a->status, 0);
		return;
	}
	if (a->index <= snapshot_index(node)) {
		/* Nothing new since the last one (taken or installed). */
		waiters_finish(node, 0, snapshot_index(node));
		return;
	}
	s = snap_job_new(SNAP_SAVE);
	if (s == NULL) {
		waiters_finish(node, RAFT_ENOMEM, 0);
		return;
	}
	rv = raft_core_snapshot_meta_at(node->core, a->index, &s->meta);
	if (rv != 0) {
		/* An installed snapshot replaced the log meanwhile. */
		snap_job_free(node, s);
		waiters_finish(node, rv == RAFT_ENOMEM ? rv : 0,
			       snapshot_index(node));
		return;
	}
	s->snap = a->snap;
	a->snap = NULL;
	worker_submit(&node->snapw, &s->job);
}

static void save_done(struct raft_node *node, struct snap_job *s)
{
	const struct raft_snapshot_meta *meta;
	struct disk_job *d;
	raft_index index = s->meta.index;
	int rv;
	if (s->status != 0) {
		raft_log(RAFT_LOG_ERROR, "snapshot at %llu failed: %s",
			 (unsigned long long)index, s->errmsg);
		waiters_finish(node, s->status, 0);
		return;
	}
	rv = raft_core_snapshot_taken(node->core, index, node->snap_trailing);
	if (rv == RAFT_EINVAL) {
		/* A newer snapshot was installed while this one was saved. */
		waiters_finish(node, 0, snapshot_index(node));
		return;
	}
	d = raft_calloc(1, sizeof(*d));
	meta = raft_core_snapshot(node->core);
	if (rv != 0 || d == NULL ||
	    raft_configuration_copy(&meta->conf, &d->snap.conf) != 0) {
		raft_free(d);
		waiters_finish(node, RAFT_ENOMEM, 0);
		return;
	}
	d->has_snap = true;
	d->snap.index = meta->index;
	d->snap.term = meta->term;
	d->compact_to =
	    index > node->snap_trailing ? index - node->snap_trailing : 0;
	raft_log(RAFT_LOG_INFO,
		 "snapshot at %llu (term %llu) saved; log compacted to %llu",
		 (unsigned long long)index, (unsigned long long)meta->term,
		 (unsigned long long)d->compact_to);
	node_disk_submit(node, d);
}

void snapshot_recorded(struct raft_node *node, struct disk_job *d)
{
	if (d->compact_to == RAFT_STORAGE_DROP_ALL) {
		/* An installed snapshot is durable: load it, then the rest. */
		struct worker_job *j = node->held.head, *next;
		node->apply_held = false;
		node->held.head = node->held.tail = NULL;
		for (; j != NULL; j = next) {
			next = j->next;
			node_apply_submit(node, (struct apply_job *)j);
		}
		return;
	}
	if (node->saving) {
		waiters_finish(node, 0, d->snap.index);
	}
}

/* ------------------------------------------------------------------------
 * Sending snapshots (leader)
 * ------------------------------------------------------------------------ */

static struct sender *sender_find(struct raft_node *node, raft_id to)
{
	struct sender *s;
	for (s = node->senders; s != NULL; s = s->next) {
		if (s->to == to) {
			return s;
		}
	}
	return NULL;
}

static void sender_remove(struct raft_node *node, struct sender *s)
{
	struct sender **p = &node->senders;
	while (*p != s) {
		p = &(*p)->next;
	}
	*p = s->next;
	if (s->fd >= 0) {
		close(s->fd);
	}
	raft_free(s);
}

/* The stream to s->to ended: the core replicates to it again (from the
 * log, or with another snapshot). */
static void sender_end(struct raft_node *node, struct sender *s, bool ok)
{
	raft_core_report_snapshot(node->core, s->to, ok);
	sender_remove(node, s);
	node_schedule(node);
}

/* Sends chunks until the window is full or the file is all out. */
static void sender_fill(struct raft_node *node, struct sender *s)
{
	uint8_t *buf = raft_malloc(CHUNK_BYTES);
	if (buf == NULL) {
		return; /* the stall timer sends it later */
	}
	while (s->open && s->sent < s->size &&
	       s->sent - s->acked < WINDOW_BYTES) {
		struct raft_message m;
		uint64_t left = s->size - s->sent;
		size_t len = left < CHUNK_BYTES ? (size_t)left : CHUNK_BYTES;
		ssize_t got = pread(s->fd, buf, len, (off_t)s->sent);
		if (got != (ssize_t)len) {
			raft_log(RAFT_LOG_ERROR,
				 "snapshot at %llu to node %llu: read: %s",
				 (unsigned long long)s->index,
				 (unsigned long long)s->to,
				 got < 0 ? strerror(errno) : "short read");
			raft_free(buf);
			sender_end(node, s, false);
			return;
		}
		memset(&m, 0, sizeof(m));
		m.type = RAFT_MSG_SNAPSHOT_CHUNK;
		m.from = node->id;
		m.to = s->to;
		m.term = s->term_sent;
		m.chunk.index = s->index;
		m.chunk.term = s->term;
		m.chunk.size = s->size;
		m.chunk.offset = s->sent;
		m.chunk.epoch = s->epoch;
		m.chunk.data.base = buf;
		m.chunk.data.len = len;
		if (!node_fault_drops(node, s->to)) {
			tcp_transport_send(node->tr, &m);
		}
		s->sent += len;
	}
	raft_free(buf);
}

void snapshot_send(struct raft_node *node, const struct raft_message *m)
{
	struct sender *s = sender_find(node, m->to);
	struct snap_job *j;
	if (s != NULL) {
		sender_remove(node, s);
	}
	s = raft_calloc(1, sizeof(*s));
	j = snap_job_new(SNAP_OPEN);
	if (s == NULL || j == NULL) {
		raft_free(s);
		if (j != NULL) {
			snap_job_free(node, j);
		}
		raft_core_report_snapshot(node->core, m->to, false);
		return;
	}
	s->to = m->to;
	s->index = m->snapshot.meta.index;
	s->term = m->snapshot.meta.term;
	s->term_sent = m->term;
	s->fd = -1;
	s->next = node->senders;
	node->senders = s;
	j->to = m->to;
	j->meta.index = s->index;
	j->meta.term = s->term;
	raft_snapshot_path(node->snap_dir, s->index, s->term, j->path,
			   sizeof(j->path));
	raft_log(RAFT_LOG_INFO, "node %llu needs snapshot %llu: sending it",
		 (unsigned long long)m->to, (unsigned long long)s->index);
	worker_submit(&node->snapw, &j->job);
}

static void open_done(struct raft_node *node, struct snap_job *j)
{
	struct sender *s = sender_find(node, j->to);
	if (s == NULL || s->index != j->meta.index || s->term != j->meta.term) {
		return; /* given up meanwhile */
	}
	if (j->status != 0) {
		/* A bad file is never sent: take a new one. */
		raft_log(RAFT_LOG_ERROR, "%s: not sent; taking a new snapshot",
			 j->errmsg);
		node->snap_retake = true;
		snapshot_maybe(node);
		sender_end(node, s, false);
		return;
	}
	s->fd = j->fd;
	j->fd = -1;
	s->size = j->size;
	s->open = true;
	sender_fill(node, s);
}

static void recv_ack(struct raft_node *node, const struct raft_message *m)
{
	struct sender *s = sender_find(node, m->from);
	const struct raft_msg_snapshot_ack *a = &m->ack;
	if (s == NULL || !s->open || a->index != s->index ||
	    a->term != s->term) {
		return;
	}
	switch (a->status) {
	case RAFT_SNAPSHOT_ACK_DONE:
		raft_log(RAFT_LOG_INFO, "node %llu installed snapshot %llu",
			 (unsigned long long)s->to,
			 (unsigned long long)s->index);
		sender_end(node, s, true);
		return;
	case RAFT_SNAPSHOT_ACK_REJECTED:
		raft_log(RAFT_LOG_WARN,
			 "node %llu rejected snapshot %llu; it gets another",
			 (unsigned long long)s->to,
			 (unsigned long long)s->index);
		sender_end(node, s, false);
		return;
	default:
		break;
	}
	if (a->offset > s->size || a->epoch != s->epoch) {
		return; /* about chunks of an earlier round */
	}
	if (a->offset < s->acked || a->offset > s->sent) {
		/* The receiver holds something else than we thought (a lost
		 * chunk, or a part kept from an earlier transfer): go on
		 * from what it holds, in a new round. */
		s->acked = a->offset;
		s->sent = a->offset;
		s->epoch++;
	} else if (a->offset > s->acked) {
		s->acked = a->offset;
	}
	s->idle = 0;
	sender_fill(node, s);
}

/* ------------------------------------------------------------------------
 * Receiving snapshots (follower)
 * ------------------------------------------------------------------------ */

static void send_ack(struct raft_node *node, raft_id to, raft_index index,
		     raft_term term, uint64_t offset, uint32_t epoch,
		     uint8_t status)
{
	struct raft_core_status st;
	struct raft_message m;
	raft_core_status(node->core, &st);
	memset(&m, 0, sizeof(m));
	m.type = RAFT_MSG_SNAPSHOT_ACK;
	m.from = node->id;
	m.to = to;
	m.term = st.term;
	m.ack.index = index;
	m.ack.term = term;
	m.ack.offset = offset;
	m.ack.epoch = epoch;
	m.ack.status = status;
	if (!node_fault_drops(node, to)) {
		tcp_transport_send(node->tr, &m);
	}
}

static void receiver_reset(struct receiver *r)
{
	raft_snapshot_receiver_close(r->rcv);
	memset(r, 0, sizeof(*r));
}

/* Every byte arrived: finish and check the file off the loop. */
static void receiver_commit(struct raft_node *node)
{
	struct receiver *r = &node->recv;
	struct snap_job *j = snap_job_new(SNAP_COMMIT);
	if (j == NULL) {
		return; /* the next chunk tries again */
	}
	j->rcv = r->rcv;
	r->rcv = NULL;
	r->committing = true;
	worker_submit(&node->snapw, &j->job);
}

static void recv_chunk(struct raft_node *node, const struct raft_message *m)
{
	const struct raft_msg_snapshot_chunk *c = &m->chunk;
	struct receiver *r = &node->recv;
	struct raft_core_status st;
	char errmsg[512];
	int rv;
	raft_core_status(node->core, &st);
	if (m->term < st.term || r->committing) {
		return; /* a deposed leader; or wait for the check */
	}
	if (r->rcv != NULL && (r->index != c->index || r->term != c->term)) {
		receiver_reset(r);
	}
	if (r->rcv == NULL) {
		if (c->index <= st.commit_index) {
			/* Already covered: the core says so to the leader. */
			return;
		}
		rv = raft_snapshot_receiver_open(node->snap_dir, c->index,
						 c->term, &r->rcv, &r->have,
						 errmsg, sizeof(errmsg));
		if (rv != 0) {
			raft_log(RAFT_LOG_ERROR, "%s", errmsg);
			return;
		}
		r->index = c->index;
		r->term = c->term;
		r->size = c->size;
		if (r->have > 0) {
			raft_log(RAFT_LOG_INFO,
				 "resuming snapshot %llu from node %llu at "
				 "byte %llu",
				 (unsigned long long)c->index,
				 (unsigned long long)m->from,
				 (unsigned long long)r->have);
		} else {
			raft_log(RAFT_LOG_INFO,
				 "receiving snapshot %llu (%llu bytes) from "
				 "node %llu",
				 (unsigned long long)c->index,
				 (unsigned long long)c->size,
				 (unsigned long long)m->from);
		}
	}
	r->from = m->from;
	r->term_seen = m->term;
	r->epoch = c->epoch;
	if (c->offset == r->have && r->have < r->size) {
		rv = raft_snapshot_receiver_write(
		    r->rcv, c->data.base, c->data.len, errmsg, sizeof(errmsg));
		if (rv != 0) {
			raft_log(RAFT_LOG_ERROR, "%s", errmsg);
			receiver_reset(r);
			return;
		}
		r->have += c->data.len;
	}
	if (r->have >= r->size) {
		receiver_commit(node);
		return;
	}
	send_ack(node, m->from, c->index, c->term, r->have, c->epoch,
		 RAFT_SNAPSHOT_ACK_NEXT);
}

static void commit_done(struct raft_node *node, struct snap_job *j)
{
	struct receiver r = node->recv;
	struct raft_message m;
	int rv;
	memset(&node->recv, 0, sizeof(node->recv));
	if (j->status != 0) {
		raft_log(RAFT_LOG_WARN,
			 "snapshot %llu from node %llu refused: %s",
			 (unsigned long long)r.index,
			 (unsigned long long)r.from, j->errmsg);
		send_ack(node, r.from, r.index, r.term, 0, r.epoch,
			 RAFT_SNAPSHOT_ACK_REJECTED);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = RAFT_MSG_SNAPSHOT;
	m.from = r.from;
	m.to = node->id;
	m.term = r.term_seen;
	m.snapshot.meta = j->meta;
	rv = raft_core_step(node->core, &m);
	if (rv != 0) {
		raft_log(RAFT_LOG_WARN, "snapshot %llu from node %llu: %s",
			 (unsigned long long)r.index,
			 (unsigned long long)r.from, raft_strerror(rv));
	}
	send_ack(node, r.from, r.index, r.term, r.size, r.epoch,
		 rv == 0 ? RAFT_SNAPSHOT_ACK_DONE : RAFT_SNAPSHOT_ACK_REJECTED);
	node_schedule(node);
}

int snapshot_install(struct raft_node *node,
		     const struct raft_snapshot_meta *meta, struct disk_job *d)
{
	struct apply_job *a = raft_calloc(1, sizeof(*a));
	if (a == NULL ||
	    raft_configuration_copy(&meta->conf, &d->snap.conf) != 0) {
		raft_free(a);
		return RAFT_ENOMEM;
	}
	d->has_snap = true;
	d->snap.index = meta->index;
	d->snap.term = meta->term;
	d->compact_to = RAFT_STORAGE_DROP_ALL;
	a->kind = APPLY_LOAD;
	a->index = meta->index;
	raft_snapshot_path(node->snap_dir, meta->index, meta->term, a->path,
			   sizeof(a->path));
	raft_log(RAFT_LOG_INFO, "installing snapshot %llu (term %llu)",
		 (unsigned long long)meta->index,
		 (unsigned long long)meta->term);
	/* Hold this load and every later apply until the disk thread has
	 * recorded the snapshot. */
	node->apply_held = true;
	node_apply_submit(node, a);
	node->bytes_since_snap = 0;
	return 0;
}

/* ------------------------------------------------------------------------
 * The rest of the loop side
 * ------------------------------------------------------------------------ */

void snapshot_recv(struct raft_node *node, const struct raft_message *m)
{
	if (m->type == RAFT_MSG_SNAPSHOT_CHUNK) {
		recv_chunk(node, m);
	} else {
		recv_ack(node, m);
	}
}

void snap_done(struct raft_node *node, struct snap_job *j)
{
	switch (j->kind) {
	case SNAP_SAVE:
		save_done(node, j);
		break;
	case SNAP_OPEN:
		open_done(node, j);
		break;
	case SNAP_COMMIT:
		commit_done(node, j);
		break;
	}
}

void snapshot_tick(struct raft_node *node)
{
	struct sender *s, *next;
	for (s = node->senders; s != NULL; s = next) {
		next = s->next;
		if (!s->open) {
			continue;
		}
		s->idle++;
		if (s->idle >= 10 * node->election_ticks) {
			raft_log(RAFT_LOG_WARN,
				 "snapshot %llu to node %llu: no progress, "
				 "given up for now",
				 (unsigned long long)s->index,
				 (unsigned long long)s->to);
			sender_end(node, s, false);
		} else if (s->idle % node->election_ticks == 0) {
			/* Stalled: resend from what was acknowledged. */
			s->sent = s->acked;
			s->epoch++;
			sender_fill(node, s);
		}
	}
}

void snapshot_role_changed(struct raft_node *node, uint8_t role)
{
	if (role == RAFT_LEADER) {
		return;
	}
	while (node->senders != NULL) {
		sender_remove(node, node->senders);
	}
}

void snapshot_status(struct raft_node *node, struct raft_node_status *st)
{
	unsigned i;
	st->snapshot_saving = node->saving;
	if (node->recv.rcv != NULL || node->recv.committing) {
		st->install_index = node->recv.index;
		st->install_received = node->recv.have;
		st->install_size = node->recv.size;
	}
	for (i = 0; i < st->n_peers; i++) {
		struct raft_node_peer *p = &node->peers[i];
		struct sender *s = sender_find(node, p->id);
		if (s != NULL && p->have_progress &&
		    p->state == RAFT_PROGRESS_SNAPSHOT) {
			p->snapshot_sent = s->acked;
			p->snapshot_size = s->size;
		}
	}
}

int snapshot_start(struct raft_node *node,
		   const struct raft_snapshot_meta *meta, char *errmsg,
		   size_t errmsg_len)
{
	char path[4200], latest[4200], why[512];
	int rv;
	/* Files above the recorded snapshot were never put in force; a
	 * temporary file is what a crash left of a save. */
	if (raft_snapshot_remove_after(node->snap_dir,
				       meta != NULL ? meta->index : 0) != 0 ||
	    raft_snapshot_prune(node->snap_dir, node->snap_keep) != 0) {
		raft_log(RAFT_LOG_WARN, "could not clean up %s",
			 node->snap_dir);
	}
	/* Say which files are bad now, not when one is needed. */
	rv = raft_snapshot_latest(node->snap_dir, latest, sizeof(latest), why,
				  sizeof(why));
	if (meta == NULL) {
		return 0;
	}
	raft_snapshot_path(node->snap_dir, meta->index, meta->term, path,
			   sizeof(path));
	if (rv != 0 || strcmp(path, latest) != 0) {
		/* The file of the last snapshot is gone or bad. */
		node->snap_retake = true;
	}
	if (node->applied >= meta->index) {
		return 0;
	}
	if (!can_snapshot(node)) {
		snprintf(errmsg, errmsg_len,
			 "the log starts after snapshot %llu, but the state "
			 "machine cannot load snapshots",
			 (unsigned long long)meta->index);
		return RAFT_EINVAL;
	}
	raft_log(RAFT_LOG_INFO,
		 "state machine at %llu, behind snapshot %llu: loading %s",
		 (unsigned long long)node->applied,
		 (unsigned long long)meta->index, path);
	rv = snapshot_load_file(node, path, meta->index, why, sizeof(why));
	if (rv != 0) {
		snprintf(errmsg, errmsg_len,
			 "%s; the state machine (at %llu) needs snapshot %llu: "
			 "restore this node's data dir, or remove the node "
			 "and add it back",
			 why, (unsigned long long)node->applied,
			 (unsigned long long)meta->index);
		return rv;
	}
	node->applied = meta->index;
	return 0;
}

void snapshot_close(struct raft_node *node)
{
	while (node->senders != NULL) {
		sender_remove(node, node->senders);
	}
	receiver_reset(&node->recv);
	if (node->saving || node->n_waiters > 0) {
		waiters_finish(node, RAFT_ESHUTDOWN, 0);
	}
}
