/* Deep copies, hash chains and readable names of log entries and messages. */
#include "entry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

void *sim_malloc(size_t size)
{
	void *p = malloc(size > 0 ? size : 1);
	if (p == NULL) {
		fprintf(stderr, "sim: out of memory (%zu bytes)\n", size);
		abort();
	}
	return p;
}

void *sim_realloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size > 0 ? size : 1);
	if (p == NULL) {
		fprintf(stderr, "sim: out of memory (%zu bytes)\n", size);
		abort();
	}
	return p;
}

static void entry_copy(struct raft_entry *dst, const struct raft_entry *src)
{
	*dst = *src;
	dst->data.base = NULL;
	dst->data.len = src->data.len;
	if (src->data.len > 0) {
		dst->data.base = sim_malloc(src->data.len);
		memcpy(dst->data.base, src->data.base, src->data.len);
	}
}

struct raft_entry *entry_copy_array(const struct raft_entry *src, size_t n)
{
	if (n == 0) {
		return NULL;
	}
	struct raft_entry *dst = sim_malloc(n * sizeof *dst);
	for (size_t i = 0; i < n; i++) {
		entry_copy(&dst[i], &src[i]);
	}
	return dst;
}

void entry_free_array(struct raft_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(entries[i].data.base);
	}
	free(entries);
}

void conf_copy(struct raft_configuration *dst,
	       const struct raft_configuration *src)
{
	raft_configuration_init(dst);
	if (raft_configuration_copy(src, dst) != 0) {
		fprintf(stderr, "sim: out of memory (configuration copy)\n");
		abort();
	}
}

bool conf_has(const struct raft_configuration *conf, raft_id id, uint8_t role)
{
	const struct raft_server *s = raft_configuration_get(conf, id);
	return s != NULL && (role == 0 || s->role == role);
}

bool conf_equal(const struct raft_configuration *a,
		const struct raft_configuration *b)
{
	unsigned same = 0;
	if (a->n != b->n) {
		return false;
	}
	/* Usually in the same order (both decoded from one entry). */
	while (same < a->n && a->servers[same].id == b->servers[same].id &&
	       a->servers[same].role == b->servers[same].role) {
		same++;
	}
	for (unsigned i = same; i < a->n; i++) {
		if (!conf_has(b, a->servers[i].id, a->servers[i].role)) {
			return false;
		}
	}
	return true;
}

void conf_describe(const struct raft_configuration *conf, char *buf, size_t len)
{
	size_t used = 0;
	if (len == 0) {
		return;
	}
	buf[0] = '\0';
	if (conf->n == 0) {
		snprintf(buf, len, "-");
		return;
	}
	for (unsigned i = 0; i < conf->n && used < len; i++) {
		const struct raft_server *s = &conf->servers[i];
		used += (size_t)snprintf(
		    buf + used, len - used, "%s%" PRIu64 "%s", i > 0 ? "," : "",
		    s->id, s->role == RAFT_LEARNER ? "L" : "");
	}
}

void message_copy(struct raft_message *dst, const struct raft_message *src)
{
	*dst = *src;
	if (src->type == RAFT_MSG_APPEND) {
		dst->append.entries = entry_copy_array(src->append.entries,
						       src->append.n_entries);
	} else if (src->type == RAFT_MSG_SNAPSHOT) {
		conf_copy(&dst->snapshot.meta.conf, &src->snapshot.meta.conf);
	}
}

void message_close(struct raft_message *msg)
{
	if (msg->type == RAFT_MSG_SNAPSHOT) {
		raft_configuration_close(&msg->snapshot.meta.conf);
		return;
	}
	if (msg->type == RAFT_MSG_APPEND) {
		entry_free_array(msg->append.entries, msg->append.n_entries);
		msg->append.entries = NULL;
		msg->append.n_entries = 0;
	}
}

struct raft_message *message_copy_array(const struct raft_message *src,
					size_t n)
{
	if (n == 0) {
		return NULL;
	}
	struct raft_message *dst = sim_malloc(n * sizeof *dst);
	for (size_t i = 0; i < n; i++) {
		message_copy(&dst[i], &src[i]);
	}
	return dst;
}

void message_free_array(struct raft_message *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		message_close(&msgs[i]);
	}
	free(msgs);
}

uint64_t entry_chain_hash(uint64_t prev, const struct raft_entry *entry)
{
	/* FNV-1a over the data, then every field folded through the
	 * splitmix finalizer so that no field can cancel another. */
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	const unsigned char *p = entry->data.base;
	for (size_t i = 0; i < entry->data.len; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	uint64_t x = rng_mix(prev ^ UINT64_C(0x6a09e667f3bcc909));
	x = rng_mix(x ^ entry->term);
	x = rng_mix(x ^ ((uint64_t)entry->type << 56) ^ entry->data.len);
	x = rng_mix(x ^ h);
	/* 0 stands for "no entry" (index 0) in the checkers. */
	return x != 0 ? x : 1;
}

void entry_label(const struct raft_entry *entry, char label[ENTRY_LABEL_LEN])
{
	switch (entry->type) {
	case RAFT_ENTRY_NOOP:
		snprintf(label, ENTRY_LABEL_LEN, "noop");
		return;
	case RAFT_ENTRY_CONF: {
		struct raft_configuration conf;
		char members[ENTRY_LABEL_LEN - 5];
		raft_configuration_init(&conf);
		if (raft_configuration_decode(&entry->data, &conf, NULL, 0) !=
		    0) {
			snprintf(label, ENTRY_LABEL_LEN, "conf?");
			return;
		}
		conf_describe(&conf, members, sizeof members);
		raft_configuration_close(&conf);
		snprintf(label, ENTRY_LABEL_LEN, "conf:%s", members);
		return;
	}
	case RAFT_ENTRY_NORMAL:
		break;
	default:
		snprintf(label, ENTRY_LABEL_LEN, "type%u",
			 (unsigned)entry->type);
		return;
	}
	size_t n = 0;
	const unsigned char *p = entry->data.base;
	for (size_t i = 0; i < entry->data.len && n + 1 < ENTRY_LABEL_LEN;
	     i++) {
		/* Workload data is printable; anything else is shown as '?'
		 * so that a trace stays one line per event. */
		label[n++] = (p[i] >= 0x21 && p[i] < 0x7f) ? (char)p[i] : '?';
	}
	label[n] = '\0';
}

void message_describe(const struct raft_message *msg, char *buf, size_t len)
{
	switch (msg->type) {
	case RAFT_MSG_VOTE:
		snprintf(buf, len,
			 "%s term=%" PRIu64 " last=(%" PRIu64 ",%" PRIu64 ")%s",
			 msg->vote.pre_vote ? "prevote" : "vote", msg->term,
			 msg->vote.last_log_index, msg->vote.last_log_term,
			 msg->vote.transfer ? " transfer" : "");
		break;
	case RAFT_MSG_VOTE_RESP:
		snprintf(buf, len, "%s term=%" PRIu64 " %s",
			 msg->vote_resp.pre_vote ? "prevote_resp" : "vote_resp",
			 msg->term,
			 msg->vote_resp.granted ? "granted" : "rejected");
		break;
	case RAFT_MSG_APPEND: {
		const struct raft_msg_append *a = &msg->append;
		char range[64] = "";
		if (a->n_entries > 0) {
			snprintf(range, sizeof range,
				 " [%" PRIu64 "..%" PRIu64 "]",
				 a->entries[0].index,
				 a->entries[a->n_entries - 1].index);
		}
		snprintf(buf, len,
			 "append term=%" PRIu64 " prev=(%" PRIu64 ",%" PRIu64
			 ") n=%" PRIu32 "%s commit=%" PRIu64 " seq=%" PRIu64,
			 msg->term, a->prev_index, a->prev_term, a->n_entries,
			 range, a->commit, a->seq);
		break;
	}
	case RAFT_MSG_APPEND_RESP: {
		const struct raft_msg_append_resp *r = &msg->append_resp;
		if (r->success) {
			snprintf(buf, len,
				 "append_resp term=%" PRIu64
				 " ok index=%" PRIu64 " last=%" PRIu64
				 " seq=%" PRIu64,
				 msg->term, r->index, r->last_index, r->seq);
		} else {
			snprintf(buf, len,
				 "append_resp term=%" PRIu64
				 " reject index=%" PRIu64 " hint=(%" PRIu64
				 ",%" PRIu64 ") last=%" PRIu64 " seq=%" PRIu64,
				 msg->term, r->index, r->hint_index,
				 r->hint_term, r->last_index, r->seq);
		}
		break;
	}
	case RAFT_MSG_HEARTBEAT:
		snprintf(buf, len,
			 "heartbeat term=%" PRIu64 " commit=%" PRIu64
			 " seq=%" PRIu64,
			 msg->term, msg->heartbeat.commit, msg->heartbeat.seq);
		break;
	case RAFT_MSG_HEARTBEAT_RESP:
		snprintf(buf, len,
			 "heartbeat_resp term=%" PRIu64 " seq=%" PRIu64
			 " last=%" PRIu64,
			 msg->term, msg->heartbeat_resp.seq,
			 msg->heartbeat_resp.last_index);
		break;
	case RAFT_MSG_TIMEOUT_NOW:
		snprintf(buf, len, "timeout_now term=%" PRIu64, msg->term);
		break;
	case RAFT_MSG_SNAPSHOT:
		snprintf(buf, len,
			 "snapshot term=%" PRIu64 " (%" PRIu64 ",%" PRIu64
			 ") voters=%u",
			 msg->term, msg->snapshot.meta.index,
			 msg->snapshot.meta.term,
			 raft_configuration_n_voters(&msg->snapshot.meta.conf));
		break;
	default:
		snprintf(buf, len, "type%u term=%" PRIu64, (unsigned)msg->type,
			 msg->term);
		break;
	}
}
