/* The in-memory Raft log with reference-counted payloads. */
#include "core/log.h"

#include <string.h>

#include "util/assert.h"
#include "util/heap.h"

/* A payload is this header followed by its bytes; data.base points past
 * the header. The count is not atomic: the core is single-threaded. */
struct payload {
	uint64_t refs;
};

static struct payload *payload_of(void *base)
{
	return (struct payload *)base - 1;
}

int log_data_new(const void *bytes, size_t len, struct raft_buf *out)
{
	struct payload *p;
	if (len == 0) {
		out->base = NULL;
		out->len = 0;
		return 0;
	}
	p = raft_malloc(sizeof(*p) + len);
	if (p == NULL) {
		return RAFT_ENOMEM;
	}
	p->refs = 1;
	memcpy(p + 1, bytes, len);
	out->base = p + 1;
	out->len = len;
	return 0;
}

void log_data_ref(struct raft_buf data)
{
	if (data.base != NULL) {
		payload_of(data.base)->refs++;
	}
}

void log_data_unref(struct raft_buf data)
{
	struct payload *p;
	if (data.base == NULL) {
		return;
	}
	p = payload_of(data.base);
	RAFT_ASSERT(p->refs > 0);
	if (--p->refs == 0) {
		raft_free(p);
	}
}

void log_init(struct log *log)
{
	memset(log, 0, sizeof(*log));
	log->unstable_from = 1;
}

void log_close(struct log *log)
{
	size_t i;
	for (i = 0; i < log->n; i++) {
		log_data_unref(log->ents[i].data);
	}
	raft_free(log->ents);
	memset(log, 0, sizeof(*log));
}

raft_index log_last_index(const struct log *log)
{
	return log->offset + log->n;
}

raft_term log_last_term(const struct log *log)
{
	return log->n > 0 ? log->ents[log->n - 1].term : log->offset_term;
}

raft_term log_term_at(const struct log *log, raft_index index)
{
	if (index == log->offset) {
		return log->offset_term;
	}
	if (index < log->offset || index > log->offset + log->n) {
		return 0;
	}
	return log->ents[index - log->offset - 1].term;
}

const struct raft_entry *log_get(const struct log *log, raft_index index)
{
	if (index <= log->offset || index > log->offset + log->n) {
		return NULL;
	}
	return &log->ents[index - log->offset - 1];
}

int log_reserve(struct log *log, size_t n)
{
	size_t cap;
	struct raft_entry *ents;
	if (log->n + n <= log->cap) {
		return 0;
	}
	cap = log->cap == 0 ? 64 : log->cap;
	while (cap < log->n + n) {
		cap *= 2;
	}
	ents = raft_realloc(log->ents, cap * sizeof(*ents));
	if (ents == NULL) {
		return RAFT_ENOMEM;
	}
	log->ents = ents;
	log->cap = cap;
	return 0;
}

void log_append_ref(struct log *log, raft_term term, uint8_t type,
		    struct raft_buf data)
{
	struct raft_entry *e;
	RAFT_ASSERT(log->n < log->cap);
	RAFT_ASSERTF(
	    term >= log_last_term(log), "appending term %llu after term %llu",
	    (unsigned long long)term, (unsigned long long)log_last_term(log));
	e = &log->ents[log->n];
	e->term = term;
	e->index = log_last_index(log) + 1;
	e->type = type;
	e->data = data;
	log->n++;
}

void log_truncate(struct log *log, raft_index from)
{
	RAFT_ASSERTF(from > log->offset, "truncate from %llu at offset %llu",
		     (unsigned long long)from, (unsigned long long)log->offset);
	while (log_last_index(log) >= from) {
		log->n--;
		log_data_unref(log->ents[log->n].data);
	}
	if (log->unstable_from > from) {
		log->unstable_from = from;
	}
}

void log_compact(struct log *log, raft_index to)
{
	size_t n, i;
	RAFT_ASSERTF(to > log->offset && to <= log_last_index(log),
		     "compact to %llu outside (%llu, %llu]",
		     (unsigned long long)to, (unsigned long long)log->offset,
		     (unsigned long long)log_last_index(log));
	n = (size_t)(to - log->offset);
	log->offset_term = log_term_at(log, to);
	for (i = 0; i < n; i++) {
		log_data_unref(log->ents[i].data);
	}
	memmove(log->ents, log->ents + n, (log->n - n) * sizeof(*log->ents));
	log->n -= n;
	log->offset = to;
	if (log->unstable_from <= to) {
		log->unstable_from = to + 1;
	}
}

void log_reset(struct log *log, raft_index index, raft_term term)
{
	while (log->n > 0) {
		log->n--;
		log_data_unref(log->ents[log->n].data);
	}
	log->offset = index;
	log->offset_term = term;
	log->unstable_from = index + 1;
}

raft_index log_find_conflict_by_term(const struct log *log, raft_index index,
				     raft_term term)
{
	if (index > log_last_index(log)) {
		index = log_last_index(log);
	}
	while (index > log->offset && log_term_at(log, index) > term) {
		index--;
	}
	return index;
}
