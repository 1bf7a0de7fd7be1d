/* Cluster configurations: the member list, its wire encoding, and how the
 * core puts a new one in force. */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "util/assert.h"
#include "util/endian.h"
#include "util/heap.h"

#define CONF_VERSION 1

void raft_configuration_init(struct raft_configuration *conf)
{
	conf->servers = NULL;
	conf->n = 0;
}

void raft_configuration_close(struct raft_configuration *conf)
{
	unsigned i;
	for (i = 0; i < conf->n; i++) {
		raft_free(conf->servers[i].address);
	}
	raft_free(conf->servers);
	raft_configuration_init(conf);
}

const struct raft_server *
raft_configuration_get(const struct raft_configuration *conf, raft_id id)
{
	unsigned i;
	for (i = 0; i < conf->n; i++) {
		if (conf->servers[i].id == id) {
			return &conf->servers[i];
		}
	}
	return NULL;
}

unsigned raft_configuration_n_voters(const struct raft_configuration *conf)
{
	unsigned i, n = 0;
	for (i = 0; i < conf->n; i++) {
		n += conf->servers[i].role == RAFT_VOTER;
	}
	return n;
}

static int add_n(struct raft_configuration *conf, raft_id id,
		 const char *address, size_t len, uint8_t role)
{
	struct raft_server *servers;
	char *copy;
	if (id == 0 || address == NULL || len > RAFT_ADDRESS_MAX_LEN ||
	    (role != RAFT_VOTER && role != RAFT_LEARNER)) {
		return RAFT_EINVAL;
	}
	if (raft_configuration_get(conf, id) != NULL) {
		return RAFT_EEXIST;
	}
	copy = raft_malloc(len + 1);
	if (copy == NULL) {
		return RAFT_ENOMEM;
	}
	memcpy(copy, address, len);
	copy[len] = '\0';
	servers = raft_realloc(conf->servers, (conf->n + 1) * sizeof(*servers));
	if (servers == NULL) {
		raft_free(copy);
		return RAFT_ENOMEM;
	}
	conf->servers = servers;
	servers[conf->n].id = id;
	servers[conf->n].role = role;
	servers[conf->n].address = copy;
	conf->n++;
	return 0;
}

int raft_configuration_add(struct raft_configuration *conf, raft_id id,
			   const char *address, uint8_t role)
{
	if (address == NULL) {
		return RAFT_EINVAL;
	}
	return add_n(conf, id, address, strlen(address), role);
}

int raft_configuration_copy(const struct raft_configuration *src,
			    struct raft_configuration *dst)
{
	unsigned i;
	int rv;
	for (i = 0; i < src->n; i++) {
		const struct raft_server *s = &src->servers[i];
		rv = raft_configuration_add(dst, s->id, s->address, s->role);
		if (rv != 0) {
			raft_configuration_close(dst);
			return rv;
		}
	}
	return 0;
}

/* Encoding: u8 version, u32 n, then per member u64 id, u8 role, u16
 * address length and the address bytes; integers little-endian. */
size_t raft_configuration_encoded_size(const struct raft_configuration *conf)
{
	size_t len = 1 + 4;
	unsigned i;
	for (i = 0; i < conf->n; i++) {
		len += 8 + 1 + 2 + strlen(conf->servers[i].address);
	}
	return len;
}

void raft_configuration_encode_into(const struct raft_configuration *conf,
				    void *buf)
{
	uint8_t *p = buf;
	unsigned i;
	p = put_le(p, CONF_VERSION, 1);
	p = put_le(p, conf->n, 4);
	for (i = 0; i < conf->n; i++) {
		const struct raft_server *s = &conf->servers[i];
		size_t alen = strlen(s->address);
		p = put_le(p, s->id, 8);
		p = put_le(p, s->role, 1);
		p = put_le(p, alen, 2);
		memcpy(p, s->address, alen);
		p += alen;
	}
	RAFT_ASSERT((size_t)(p - (uint8_t *)buf) ==
		    raft_configuration_encoded_size(conf));
}

int raft_configuration_encode(const struct raft_configuration *conf,
			      struct raft_buf *out)
{
	out->len = raft_configuration_encoded_size(conf);
	out->base = raft_malloc(out->len);
	if (out->base == NULL) {
		return RAFT_ENOMEM;
	}
	raft_configuration_encode_into(conf, out->base);
	return 0;
}

int raft_configuration_decode(const struct raft_buf *buf,
			      struct raft_configuration *conf, char *errmsg,
			      size_t errmsg_len)
{
	const uint8_t *p = buf->base;
	size_t left = buf->len;
	uint64_t n, i;
	int rv;
	char scratch[1];

	if (errmsg == NULL) {
		errmsg = scratch;
		errmsg_len = sizeof(scratch);
	}
#define NEED(k, what)                                                    \
	do {                                                             \
		if (left < (k)) {                                        \
			snprintf(errmsg, errmsg_len,                     \
				 "configuration truncated in %s", what); \
			rv = RAFT_ECORRUPT;                              \
			goto err_close;                                  \
		}                                                        \
	} while (0)
	NEED(5, "header");
	if (p[0] != CONF_VERSION) {
		snprintf(errmsg, errmsg_len,
			 "configuration version %u not supported", p[0]);
		rv = RAFT_ECORRUPT;
		goto err_close;
	}
	n = get_le(p + 1, 4);
	p += 5;
	left -= 5;
	for (i = 0; i < n; i++) {
		raft_id id;
		uint8_t role;
		size_t alen;
		NEED(11, "member");
		id = get_le(p, 8);
		role = p[8];
		alen = get_le(p + 9, 2);
		p += 11;
		left -= 11;
		NEED(alen, "address");
		if (memchr(p, '\0', alen) != NULL) {
			snprintf(errmsg, errmsg_len,
				 "configuration member %llu: address holds a "
				 "NUL byte",
				 (unsigned long long)id);
			rv = RAFT_ECORRUPT;
			goto err_close;
		}
		rv = add_n(conf, id, (const char *)p, alen, role);
		if (rv == RAFT_EINVAL || rv == RAFT_EEXIST) {
			snprintf(errmsg, errmsg_len,
				 "configuration member %llu: %s",
				 (unsigned long long)id,
				 rv == RAFT_EEXIST ? "duplicate id"
						   : "bad id, role or address");
			rv = RAFT_ECORRUPT;
		}
		if (rv != 0) {
			goto err_close;
		}
		p += alen;
		left -= alen;
	}
#undef NEED
	if (left != 0) {
		snprintf(errmsg, errmsg_len,
			 "configuration has %zu trailing bytes", left);
		rv = RAFT_ECORRUPT;
		goto err_close;
	}
	return 0;

err_close:
	raft_configuration_close(conf);
	return rv;
}

int core_conf_prepare(struct raft_core *core, const struct raft_buf *data,
		      raft_index index, struct conf_change *cc, char *errmsg,
		      size_t errmsg_len)
{
	unsigned i;
	int rv;
	raft_configuration_init(&cc->conf);
	cc->prs = NULL;
	cc->index = index;
	if (data != NULL) {
		rv = raft_configuration_decode(data, &cc->conf, errmsg,
					       errmsg_len);
		if (rv != 0) {
			return rv;
		}
	}
	cc->prs = raft_calloc(cc->conf.n, sizeof(*cc->prs));
	if (cc->prs == NULL) {
		goto err_nomem;
	}
	for (i = 0; i < cc->conf.n; i++) {
		const struct raft_server *s = &cc->conf.servers[i];
		rv = progress_init(&cc->prs[i], s->id, s->role,
				   core->cfg.max_inflight_msgs);
		if (rv != 0) {
			while (i-- > 0) {
				progress_close(&cc->prs[i]);
			}
			raft_free(cc->prs);
			goto err_nomem;
		}
		progress_reset(&cc->prs[i], log_last_index(&core->log));
	}
	return 0;

err_nomem:
	if (errmsg != NULL && errmsg_len > 0) {
		snprintf(errmsg, errmsg_len, "configuration: %s",
			 raft_strerror(RAFT_ENOMEM));
	}
	raft_configuration_close(&cc->conf);
	cc->prs = NULL;
	return RAFT_ENOMEM;
}

int core_conf_prepare_copy(struct raft_core *core,
			   const struct raft_configuration *conf,
			   raft_index index, struct conf_change *cc)
{
	struct raft_buf buf;
	int rv = raft_configuration_encode(conf, &buf);
	if (rv != 0) {
		return rv;
	}
	rv = core_conf_prepare(core, &buf, index, cc, NULL, 0);
	raft_free(buf.base);
	/* A configuration that encodes also decodes: only memory fails. */
	return rv == 0 ? 0 : RAFT_ENOMEM;
}

int core_conf_at(const struct raft_core *core, raft_index index,
		 struct raft_configuration *conf)
{
	/* A CONF entry still in the log is newer than anything compacted
	 * into the snapshot. */
	const struct raft_entry *e = core_last_conf_entry(core, index + 1);
	if (e != NULL) {
		return raft_configuration_decode(&e->data, conf, NULL, 0);
	}
	/* In the margin kept before the snapshot, the snapshot's
	 * configuration holds too when no CONF entry lies in between. */
	if (core->has_snapshot &&
	    (core->snapshot.index <= index ||
	     core_last_conf_entry(core, core->snapshot.index + 1) == NULL)) {
		return raft_configuration_copy(&core->snapshot.conf, conf);
	}
	return 0;
}

/* The role of id in an encoded configuration (already checked when its
 * entry came in), 0 if absent; without decoding it. */
static uint8_t encoded_role(const struct raft_buf *data, raft_id id)
{
	const uint8_t *p = data->base;
	size_t left = data->len;
	uint64_t n, i;
	if (left < 5) {
		return 0;
	}
	n = get_le(p + 1, 4);
	p += 5;
	left -= 5;
	for (i = 0; i < n && left >= 11; i++) {
		size_t alen = get_le(p + 9, 2);
		if (get_le(p, 8) == id) {
			return p[8];
		}
		if (left < 11 + alen) {
			break;
		}
		p += 11 + alen;
		left -= 11 + alen;
	}
	return 0;
}

uint8_t core_previous_role(const struct raft_core *core, raft_id id)
{
	const struct raft_entry *e;
	if (core->conf_index == 0 || core->conf_index <= core->commit) {
		return 0;
	}
	e = core_last_conf_entry(core, core->conf_index);
	if (e != NULL) {
		return encoded_role(&e->data, id);
	}
	if (core->has_snapshot && core->snapshot.index < core->conf_index) {
		const struct raft_server *s =
		    raft_configuration_get(&core->snapshot.conf, id);
		return s != NULL ? s->role : 0;
	}
	return 0;
}

void core_conf_discard(struct conf_change *cc)
{
	unsigned i;
	for (i = 0; i < cc->conf.n; i++) {
		progress_close(&cc->prs[i]);
	}
	raft_free(cc->prs);
	raft_configuration_close(&cc->conf);
}

void core_conf_install(struct raft_core *core, struct conf_change *cc)
{
	unsigned i;
	/* Members that stay keep their progress (the inflight ring too). */
	for (i = 0; i < cc->conf.n; i++) {
		struct progress *old =
		    core_progress(core, cc->conf.servers[i].id);
		if (old != NULL) {
			struct progress tmp = cc->prs[i];
			uint8_t role = tmp.role;
			cc->prs[i] = *old;
			cc->prs[i].role = role;
			*old = tmp;
		}
	}
	for (i = 0; i < core->conf.n; i++) {
		progress_close(&core->prs[i]);
	}
	raft_free(core->prs);
	raft_configuration_close(&core->conf);
	core->conf = cc->conf;
	core->prs = cc->prs;
	core->conf_index = cc->index;
}

const struct raft_entry *core_last_conf_entry(const struct raft_core *core,
					      raft_index before)
{
	raft_index i = log_last_index(&core->log);
	if (before == 0) {
		return NULL;
	}
	if (i > before - 1) {
		i = before - 1;
	}
	for (; i > core->log.offset; i--) {
		const struct raft_entry *e = log_get(&core->log, i);
		if (e != NULL && e->type == RAFT_ENTRY_CONF) {
			return e;
		}
	}
	return NULL;
}
