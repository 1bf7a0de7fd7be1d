/* The cluster client's public calls (include/raft/client.h). */
#include "client/client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/buf.h"
#include "client/decode.h"
#include "client/url.h"
#include "raft/error.h"

void client_errorf(struct raft_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
}

static char *dup_string(const char *s)
{
	size_t n = strlen(s);
	char *p = raft_malloc(n + 1);
	if (p != NULL) {
		memcpy(p, s, n + 1);
	}
	return p;
}

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

void raft_client_config_defaults(struct raft_client_config *config)
{
	config->timeout_ms = RAFT_CLIENT_DEFAULT_TIMEOUT_MS;
	config->connect_timeout_ms = RAFT_CLIENT_DEFAULT_CONNECT_TIMEOUT_MS;
	config->keep_alive = true;
}

static void free_endpoints(struct raft_client *c)
{
	unsigned i;
	if (c->endpoints == NULL) {
		return;
	}
	for (i = 0; i < c->n_endpoints; i++) {
		raft_free(c->endpoints[i]);
	}
	raft_free(c->endpoints);
	c->endpoints = NULL;
}

int raft_client_new(const struct raft_client_config *config,
		    struct raft_client **out, char *errmsg, size_t errmsg_len)
{
	struct raft_client *c;
	char why[256];
	unsigned i;
	int rv;

	if (config->n_endpoints == 0 || config->endpoints == NULL) {
		snprintf(errmsg, errmsg_len, "no endpoint given");
		return RAFT_EINVAL;
	}
	if (config->timeout_ms == 0 || config->connect_timeout_ms == 0) {
		snprintf(errmsg, errmsg_len, "the %stimeout is 0 ms",
			 config->timeout_ms == 0 ? "" : "connect ");
		return RAFT_EINVAL;
	}
	c = raft_calloc(1, sizeof(*c));
	if (c == NULL) {
		rv = RAFT_ENOMEM;
		goto err;
	}
	c->timeout_ms = config->timeout_ms;
	c->connect_timeout_ms = config->connect_timeout_ms;
	c->keep_alive = config->keep_alive;
	c->endpoints = raft_calloc(config->n_endpoints, sizeof(*c->endpoints));
	if (c->endpoints == NULL) {
		rv = RAFT_ENOMEM;
		goto err_after_client;
	}
	for (i = 0; i < config->n_endpoints; i++) {
		rv = url_parse_endpoint(config->endpoints[i],
					&c->endpoints[c->n_endpoints], why,
					sizeof(why));
		if (rv == RAFT_EINVAL) {
			snprintf(errmsg, errmsg_len, "endpoint \"%s\": %s",
				 config->endpoints[i], why);
			goto err_after_endpoints;
		}
		if (rv != 0) {
			goto err_after_endpoints;
		}
		c->n_endpoints++;
	}
	/* libcurl counts its initializations: each client pairs one with
	 * the cleanup in raft_client_free(). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(errmsg, errmsg_len, "libcurl failed to initialize");
		rv = RAFT_EIO;
		goto err_after_endpoints;
	}
	rv = exchange_init(&c->ex);
	if (rv != 0) {
		goto err_after_global;
	}
	*out = c;
	return 0;

err_after_global:
	curl_global_cleanup();
err_after_endpoints:
	free_endpoints(c);
err_after_client:
	raft_free(c);
err:
	if (rv == RAFT_ENOMEM) {
		snprintf(errmsg, errmsg_len, "out of memory");
	}
	return rv;
}

void raft_client_free(struct raft_client *c)
{
	if (c == NULL) {
		return;
	}
	exchange_close(&c->ex);
	free_endpoints(c);
	raft_free(c->leader_url);
	raft_free(c->last_url);
	raft_free(c);
	curl_global_cleanup();
}

const char *raft_client_errmsg(const struct raft_client *c)
{
	return c->errmsg;
}

unsigned raft_client_n_endpoints(const struct raft_client *c)
{
	return c->n_endpoints;
}

const char *raft_client_endpoint(const struct raft_client *c, unsigned i)
{
	return i < c->n_endpoints ? c->endpoints[i] : NULL;
}

const char *raft_client_last_url(const struct raft_client *c)
{
	return c->last_url;
}

/* Normalizes a caller's endpoint string into *url. */
static int parse_endpoint_arg(struct raft_client *c, const char *endpoint,
			      char **url)
{
	char why[256];
	int rv = url_parse_endpoint(endpoint, url, why, sizeof(why));
	if (rv == RAFT_EINVAL) {
		client_errorf(c, "endpoint \"%s\": %s", endpoint, why);
	} else if (rv != 0) {
		client_errorf(c, "out of memory");
	}
	return rv;
}

/* Wraps a decoder's message: "bad answer from URL: why". */
static int bad_answer(struct raft_client *c, int rv, const char *why)
{
	if (rv == RAFT_ENOMEM) {
		client_errorf(c, "out of memory");
	} else {
		client_errorf(c, "bad answer from %s: %s",
			      c->last_url != NULL ? c->last_url : "the server",
			      why);
	}
	return rv;
}

/* ------------------------------------------------------------------------
 * Status
 * ------------------------------------------------------------------------ */

int raft_client_status(struct raft_client *c, const char *endpoint,
		       struct raft_client_status *st)
{
	struct http_request req = {
	    .method = "GET", .target = "/v1/status", .idempotent = true};
	char *url = NULL;
	char why[256];
	int rv;

	c->errmsg[0] = '\0';
	if (endpoint != NULL) {
		rv = parse_endpoint_arg(c, endpoint, &url);
		if (rv != 0) {
			return rv;
		}
		req.url = url;
	}
	rv = http_call(c, &req);
	if (rv == 0) {
		rv = decode_status(c->ex.body.data, c->ex.body.len, st, why,
				   sizeof(why));
		if (rv != 0) {
			bad_answer(c, rv, why);
		}
	}
	raft_free(url);
	return rv;
}

void raft_client_cluster_close(struct raft_client_cluster *cl)
{
	unsigned i;
	if (cl == NULL) {
		return;
	}
	for (i = 0; i < cl->n_nodes; i++) {
		raft_free(cl->nodes[i].url);
		raft_free(cl->nodes[i].errmsg);
		raft_client_status_close(&cl->nodes[i].status);
	}
	raft_free(cl->nodes);
	memset(cl, 0, sizeof(*cl));
}

/* Survey rounds: endpoints, then members they list, then members those
 * list (a configuration that changed meanwhile). */
#define SURVEY_MAX_ROUNDS 3

static int find_node(const struct raft_client_cluster *cl, const char *url)
{
	unsigned i;
	for (i = 0; i < cl->n_nodes; i++) {
		if (strcmp(cl->nodes[i].url, url) == 0) {
			return (int)i;
		}
	}
	return -1;
}

static bool id_answered(const struct raft_client_cluster *cl, raft_id id)
{
	unsigned i;
	for (i = 0; i < cl->n_nodes; i++) {
		if (cl->nodes[i].err == 0 && cl->nodes[i].id == id) {
			return true;
		}
	}
	return false;
}

/* Appends a node to ask (url is taken over on success). */
static int add_node(struct raft_client_cluster *cl, unsigned *cap, char *url,
		    raft_id id)
{
	struct raft_client_node *node;
	if (cl->n_nodes == *cap) {
		unsigned new_cap = *cap == 0 ? 8 : *cap * 2;
		struct raft_client_node *nodes =
		    raft_realloc(cl->nodes, new_cap * sizeof(*nodes));
		if (nodes == NULL) {
			return RAFT_ENOMEM;
		}
		cl->nodes = nodes;
		*cap = new_cap;
	}
	node = &cl->nodes[cl->n_nodes++];
	memset(node, 0, sizeof(*node));
	node->url = url;
	node->id = id;
	return 0;
}

/* Asks nodes [from, cl->n_nodes) for their status. */
static int survey_round(struct raft_client *c, struct raft_client_cluster *cl,
			unsigned from)
{
	unsigned n = cl->n_nodes - from;
	struct http_many *many = raft_calloc(n, sizeof(*many));
	struct decode_error e;
	char why[256];
	char detail[300];
	unsigned i;
	int rv;

	if (many == NULL) {
		return RAFT_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		many[i].url = cl->nodes[from + i].url;
		buf_init(&many[i].body);
	}
	rv = http_get_many(c, "/v1/status", many, n);
	for (i = 0; rv == 0 && i < n; i++) {
		struct raft_client_node *node = &cl->nodes[from + i];
		struct http_many *m = &many[i];
		const char *msg = m->why;
		node->err = m->err;
		if (m->err == 0 && m->status != 200) {
			decode_error(m->body.data, m->body.len, &e);
			node->err = decode_error_code(m->status, e.code);
			if (node->err == CLIENT_ENOTSUP && m->status == 501) {
				msg = "not supported by this server";
			} else if (e.message[0] != '\0') {
				msg = e.message;
			} else {
				snprintf(why, sizeof(why), "HTTP %ld",
					 m->status);
				msg = why;
			}
		} else if (m->err == 0) {
			node->err =
			    decode_status(m->body.data, m->body.len,
					  &node->status, why, sizeof(why));
			if (node->err == 0) {
				node->id = node->status.id;
			} else {
				/* A node that answers nonsense is counted as
				 * not answering, with the reason. */
				snprintf(detail, sizeof(detail),
					 "bad answer: %s", why);
				msg = detail;
			}
		}
		if (node->err == RAFT_ENOMEM) {
			rv = RAFT_ENOMEM;
			break;
		}
		node->errmsg = dup_string(node->err == 0 ? "" : msg);
		if (node->errmsg == NULL) {
			rv = RAFT_ENOMEM;
		}
	}
	for (i = 0; i < n; i++) {
		buf_close(&many[i].body);
	}
	raft_free(many);
	return rv;
}

/* Orders nodes by id, unknown ids (0) last, keeping the order of equals. */
static void sort_nodes(struct raft_client_cluster *cl)
{
	unsigned i;
	unsigned j;
	for (i = 1; i < cl->n_nodes; i++) {
		struct raft_client_node node = cl->nodes[i];
		raft_id key = node.id == 0 ? UINT64_MAX : node.id;
		for (j = i; j > 0; j--) {
			raft_id prev = cl->nodes[j - 1].id;
			if ((prev == 0 ? UINT64_MAX : prev) <= key) {
				break;
			}
			cl->nodes[j] = cl->nodes[j - 1];
		}
		cl->nodes[j] = node;
	}
}

int raft_client_status_all(struct raft_client *c,
			   struct raft_client_cluster *out)
{
	struct raft_client_cluster cl = {0, NULL};
	struct buf failures;
	unsigned cap = 0;
	unsigned from = 0;
	unsigned round;
	unsigned i;
	unsigned j;
	unsigned k;
	bool any = false;
	char why[256];
	int rv = 0;

	c->errmsg[0] = '\0';
	buf_init(&failures);
	for (i = 0; i < c->n_endpoints; i++) {
		char *url;
		if (find_node(&cl, c->endpoints[i]) >= 0) {
			continue; /* listed twice */
		}
		url = dup_string(c->endpoints[i]);
		if (url == NULL || add_node(&cl, &cap, url, 0) != 0) {
			raft_free(url);
			goto oom;
		}
	}

	for (round = 0; round < SURVEY_MAX_ROUNDS && from < cl.n_nodes;
	     round++) {
		unsigned asked = cl.n_nodes;
		if (survey_round(c, &cl, from) != 0) {
			goto oom;
		}
		/* Members the answers list: name the silent nodes among
		 * them, and queue those not asked yet. */
		for (i = from; i < asked; i++) {
			const struct raft_client_status *st =
			    &cl.nodes[i].status;
			if (cl.nodes[i].err != 0) {
				continue;
			}
			for (j = 0; j < st->n_members; j++) {
				const struct raft_client_member *m =
				    &st->members[j];
				char *url;
				int at;
				if (m->client_url[0] == '\0' ||
				    url_parse_base(m->client_url, &url, why,
						   sizeof(why)) != 0) {
					continue; /* nowhere to ask it */
				}
				at = find_node(&cl, url);
				if (at >= 0) {
					if (cl.nodes[at].id == 0) {
						cl.nodes[at].id = m->id;
					}
					raft_free(url);
					continue;
				}
				if (id_answered(&cl, m->id)) {
					/* Known under another URL. */
					raft_free(url);
					continue;
				}
				for (k = asked; k < cl.n_nodes; k++) {
					if (cl.nodes[k].id == m->id) {
						break;
					}
				}
				if (k < cl.n_nodes) {
					raft_free(url);
					continue;
				}
				if (add_node(&cl, &cap, url, m->id) != 0) {
					raft_free(url);
					goto oom;
				}
			}
		}
		from = asked;
	}

	for (i = 0; i < cl.n_nodes; i++) {
		if (cl.nodes[i].err == 0) {
			any = true;
		} else if (buf_printf(&failures, "%s%s: %s",
				      failures.len > 0 ? "; " : "",
				      cl.nodes[i].url,
				      cl.nodes[i].errmsg) != 0) {
			goto oom;
		}
	}
	if (!any) {
		rv = cl.nodes[0].err;
		if (cl.n_nodes == 1) {
			client_errorf(c, "%s", failures.data);
		} else {
			client_errorf(c, "no endpoint answered: %s",
				      failures.data);
		}
		raft_client_cluster_close(&cl);
		goto out;
	}
	sort_nodes(&cl);
	*out = cl;
	goto out;

oom:
	rv = RAFT_ENOMEM;
	client_errorf(c, "out of memory");
	raft_client_cluster_close(&cl);
out:
	buf_close(&failures);
	return rv;
}

/* ------------------------------------------------------------------------
 * Key-value
 * ------------------------------------------------------------------------ */

static const char *const consistency_names[] = {
    [RAFT_CLIENT_LINEARIZABLE] = "linearizable",
    [RAFT_CLIENT_LEASE] = "lease",
    [RAFT_CLIENT_STALE] = "stale",
};

#define N_CONSISTENCIES \
	(int)(sizeof(consistency_names) / sizeof(consistency_names[0]))

const char *raft_client_consistency_name(int consistency)
{
	if (consistency < 0 || consistency >= N_CONSISTENCIES) {
		return NULL;
	}
	return consistency_names[consistency];
}

int raft_client_consistency_parse(const char *name, int *consistency)
{
	int i;
	for (i = 0; i < N_CONSISTENCIES; i++) {
		if (strcmp(name, consistency_names[i]) == 0) {
			*consistency = i;
			return 0;
		}
	}
	return RAFT_EINVAL;
}

/* Appends "/v1/kv/KEY" to b, refusing an empty key. */
static int kv_target(struct raft_client *c, struct buf *b, const void *key,
		     size_t key_len)
{
	int rv;
	if (key_len == 0) {
		client_errorf(c, "the key is empty");
		return RAFT_EINVAL;
	}
	rv = buf_puts(b, "/v1/kv/");
	if (rv == 0) {
		rv = url_encode(b, key, key_len);
	}
	if (rv != 0) {
		client_errorf(c, "out of memory");
	}
	return rv;
}

static int check_consistency(struct raft_client *c, int consistency)
{
	if (raft_client_consistency_name(consistency) == NULL) {
		client_errorf(c, "unknown consistency %d", consistency);
		return RAFT_EINVAL;
	}
	return 0;
}

int raft_client_get(struct raft_client *c, const void *key, size_t key_len,
		    int consistency, struct raft_buf *value, raft_index *index)
{
	struct http_request req = {.method = "GET", .idempotent = true};
	struct buf target;
	char *data;
	size_t len;
	int rv;

	c->errmsg[0] = '\0';
	buf_init(&target);
	rv = check_consistency(c, consistency);
	if (rv == 0) {
		rv = kv_target(c, &target, key, key_len);
	}
	/* The default consistency goes without a parameter. */
	if (rv == 0 && consistency != RAFT_CLIENT_LINEARIZABLE) {
		rv = buf_printf(&target, "?consistency=%s",
				raft_client_consistency_name(consistency));
		if (rv != 0) {
			client_errorf(c, "out of memory");
		}
	}
	if (rv != 0) {
		goto out;
	}
	req.target = target.data;
	/* Stale reads are served by any node: no need to find the
	 * leader. */
	req.prefer_leader = consistency != RAFT_CLIENT_STALE;
	rv = http_call(c, &req);
	if (rv != 0) {
		goto out;
	}
	rv = buf_take(&c->ex.body, &data, &len);
	if (rv != 0) {
		client_errorf(c, "out of memory");
		goto out;
	}
	value->base = data;
	value->len = len;
	if (index != NULL) {
		*index = c->ex.have_raft_index ? c->ex.raft_index : 0;
	}
out:
	buf_close(&target);
	return rv;
}

/* The shared part of the writes: METHOD target with body, then the
 * {"index", "term"} answer into result (may be NULL). */
static int write_call(struct raft_client *c, const char *method,
		      const char *target, const void *body, size_t body_len,
		      const char *content_type,
		      struct raft_client_write *result)
{
	struct http_request req = {.method = method,
				   .target = target,
				   .body = body,
				   .body_len = body_len,
				   .content_type = content_type,
				   .prefer_leader = true};
	struct raft_client_write w = {0, 0};
	char why[256];
	int rv;

	/* A PUT with an empty value still sends a (zero-length) body. */
	if (req.body == NULL && strcmp(method, "PUT") == 0) {
		req.body = "";
	}
	rv = http_call(c, &req);
	if (rv != 0) {
		return rv;
	}
	/* An empty 2xx body is fine: there is just no position to tell. */
	if (c->ex.body.len > 0) {
		rv = decode_write(c->ex.body.data, c->ex.body.len, &w, why,
				  sizeof(why));
		if (rv != 0) {
			return bad_answer(c, rv, why);
		}
	}
	if (result != NULL) {
		*result = w;
	}
	return 0;
}

enum put_mode { PUT_ALWAYS, PUT_IF_ABSENT, PUT_IF_EQUAL };

static int put(struct raft_client *c, enum put_mode mode, const void *key,
	       size_t key_len, const void *prev, size_t prev_len,
	       const void *value, size_t value_len,
	       struct raft_client_write *result)
{
	struct buf target;
	int rv;

	c->errmsg[0] = '\0';
	buf_init(&target);
	rv = kv_target(c, &target, key, key_len);
	if (rv != 0) {
		goto out;
	}
	if (mode == PUT_IF_ABSENT) {
		rv = buf_puts(&target, "?if_absent=true");
	} else if (mode == PUT_IF_EQUAL) {
		rv = buf_puts(&target, "?prev=");
		if (rv == 0) {
			rv = url_encode(&target, prev, prev_len);
		}
	}
	if (rv != 0) {
		client_errorf(c, "out of memory");
		goto out;
	}
	rv = write_call(c, "PUT", target.data, value, value_len,
			"application/octet-stream", result);
out:
	buf_close(&target);
	return rv;
}

int raft_client_put(struct raft_client *c, const void *key, size_t key_len,
		    const void *value, size_t value_len,
		    struct raft_client_write *result)
{
	return put(c, PUT_ALWAYS, key, key_len, NULL, 0, value, value_len,
		   result);
}

int raft_client_put_if_absent(struct raft_client *c, const void *key,
			      size_t key_len, const void *value,
			      size_t value_len,
			      struct raft_client_write *result)
{
	return put(c, PUT_IF_ABSENT, key, key_len, NULL, 0, value, value_len,
		   result);
}

int raft_client_put_if_equal(struct raft_client *c, const void *key,
			     size_t key_len, const void *prev, size_t prev_len,
			     const void *value, size_t value_len,
			     struct raft_client_write *result)
{
	return put(c, PUT_IF_EQUAL, key, key_len, prev, prev_len, value,
		   value_len, result);
}

int raft_client_delete(struct raft_client *c, const void *key, size_t key_len,
		       struct raft_client_write *result)
{
	struct buf target;
	int rv;

	c->errmsg[0] = '\0';
	buf_init(&target);
	rv = kv_target(c, &target, key, key_len);
	if (rv == 0) {
		rv =
		    write_call(c, "DELETE", target.data, NULL, 0, NULL, result);
	}
	buf_close(&target);
	return rv;
}

int raft_client_keys(struct raft_client *c, const void *prefix,
		     size_t prefix_len, unsigned limit, int consistency,
		     struct raft_client_keys *out)
{
	struct http_request req = {.method = "GET", .idempotent = true};
	struct buf target;
	char sep = '?';
	char why[256];
	int rv;

	c->errmsg[0] = '\0';
	buf_init(&target);
	rv = check_consistency(c, consistency);
	if (rv != 0) {
		goto out;
	}
	rv = buf_puts(&target, "/v1/keys");
	if (rv == 0 && prefix_len > 0) {
		rv = buf_puts(&target, "?prefix=");
		if (rv == 0) {
			rv = url_encode(&target, prefix, prefix_len);
		}
		sep = '&';
	}
	if (rv == 0 && limit > 0) {
		rv = buf_printf(&target, "%climit=%u", sep, limit);
		sep = '&';
	}
	if (rv == 0 && consistency != RAFT_CLIENT_LINEARIZABLE) {
		rv = buf_printf(&target, "%cconsistency=%s", sep,
				raft_client_consistency_name(consistency));
	}
	if (rv != 0) {
		client_errorf(c, "out of memory");
		goto out;
	}
	req.target = target.data;
	req.prefer_leader = consistency != RAFT_CLIENT_STALE;
	rv = http_call(c, &req);
	if (rv == 0) {
		rv = decode_keys(c->ex.body.data, c->ex.body.len, out, why,
				 sizeof(why));
		if (rv != 0) {
			bad_answer(c, rv, why);
		}
	}
out:
	buf_close(&target);
	return rv;
}

/* ------------------------------------------------------------------------
 * Administration
 * ------------------------------------------------------------------------ */

/* Appends s as a JSON string (quoted, escaped). */
static int json_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	int rv = buf_puts(b, "\"");
	for (; rv == 0 && *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			char esc[2] = {'\\', (char)*p};
			rv = buf_append(b, esc, 2);
		} else if (*p < 0x20) {
			char esc[6] = {'\\', 'u',	   '0',
				       '0',  hex[*p >> 4], hex[*p & 0xf]};
			rv = buf_append(b, esc, 6);
		} else {
			rv = buf_append(b, p, 1);
		}
	}
	if (rv == 0) {
		rv = buf_puts(b, "\"");
	}
	return rv;
}

static int admin_call(struct raft_client *c, const char *method,
		      const char *target, const struct buf *body,
		      struct raft_client_write *result)
{
	return write_call(c, method, target, body != NULL ? body->data : NULL,
			  body != NULL ? body->len : 0, "application/json",
			  result);
}

/* Asks the leader that a member list names (when the answer came from
 * another node) for its own, which carries the progress fields; keeps the
 * first answer when the leader cannot be asked. */
static void ask_listed_leader(struct raft_client *c, raft_id leader_id,
			      struct raft_client_members *out)
{
	struct http_request req = {
	    .method = "GET", .target = "/v1/members", .idempotent = true};
	struct raft_client_members theirs = {0, NULL};
	char *url = NULL;
	char why[256];
	unsigned i;
	for (i = 0; i < out->n_members; i++) {
		if (out->members[i].id == leader_id) {
			break;
		}
	}
	if (i == out->n_members ||
	    url_parse_base(out->members[i].client_url, &url, why,
			   sizeof(why)) != 0) {
		return;
	}
	req.url = url;
	if (http_call(c, &req) == 0 &&
	    decode_members(c->ex.body.data, c->ex.body.len, &theirs, why,
			   sizeof(why)) == 0) {
		raft_client_members_close(out);
		*out = theirs;
	}
	c->errmsg[0] = '\0';
	raft_free(url);
}

int raft_client_member_list(struct raft_client *c,
			    struct raft_client_members *out)
{
	struct http_request req = {.method = "GET",
				   .target = "/v1/members",
				   .idempotent = true,
				   .prefer_leader = true};
	raft_id id, leader_id;
	char why[256];
	int rv;

	c->errmsg[0] = '\0';
	rv = http_call(c, &req);
	if (rv != 0) {
		return rv;
	}
	decode_members_origin(c->ex.body.data, c->ex.body.len, &id, &leader_id);
	rv = decode_members(c->ex.body.data, c->ex.body.len, out, why,
			    sizeof(why));
	if (rv != 0) {
		return bad_answer(c, rv, why);
	}
	if (leader_id != 0 && id != 0 && leader_id != id) {
		ask_listed_leader(c, leader_id, out);
	}
	return 0;
}

int raft_client_member_add(struct raft_client *c, raft_id id,
			   const char *peer_url, const char *client_url,
			   bool learner, struct raft_client_write *result)
{
	struct buf body;
	int rv;

	c->errmsg[0] = '\0';
	if (id == 0) {
		client_errorf(c, "member id 0 is reserved");
		return RAFT_EINVAL;
	}
	if (peer_url == NULL || peer_url[0] == '\0' || client_url == NULL ||
	    client_url[0] == '\0') {
		client_errorf(c,
			      "member %llu: a peer URL and a client URL "
			      "are required",
			      (unsigned long long)id);
		return RAFT_EINVAL;
	}
	buf_init(&body);
	rv = buf_printf(&body,
			"{\"id\":%llu,\"peer_url\":", (unsigned long long)id);
	if (rv == 0) {
		rv = json_string(&body, peer_url);
	}
	if (rv == 0) {
		rv = buf_puts(&body, ",\"client_url\":");
	}
	if (rv == 0) {
		rv = json_string(&body, client_url);
	}
	if (rv == 0) {
		rv = buf_printf(&body, ",\"learner\":%s}",
				learner ? "true" : "false");
	}
	if (rv != 0) {
		client_errorf(c, "out of memory");
	} else {
		rv = admin_call(c, "POST", "/v1/members", &body, result);
	}
	buf_close(&body);
	return rv;
}

/* METHOD /v1/members/ID[suffix] without a body. */
static int member_call(struct raft_client *c, const char *method, raft_id id,
		       const char *suffix, struct raft_client_write *result)
{
	char target[64];
	c->errmsg[0] = '\0';
	if (id == 0) {
		client_errorf(c, "member id 0 is reserved");
		return RAFT_EINVAL;
	}
	snprintf(target, sizeof(target), "/v1/members/%llu%s",
		 (unsigned long long)id, suffix);
	return admin_call(c, method, target, NULL, result);
}

int raft_client_member_promote(struct raft_client *c, raft_id id,
			       struct raft_client_write *result)
{
	return member_call(c, "POST", id, "/promote", result);
}

int raft_client_member_remove(struct raft_client *c, raft_id id,
			      struct raft_client_write *result)
{
	return member_call(c, "DELETE", id, "", result);
}

int raft_client_transfer_leader(struct raft_client *c, raft_id to,
				struct raft_client_transfer *result)
{
	struct http_request req = {.method = "POST",
				   .target = "/v1/leader/transfer",
				   .content_type = "application/json",
				   .prefer_leader = true};
	struct raft_client_transfer t;
	struct buf body;
	char why[256];
	int rv;

	c->errmsg[0] = '\0';
	buf_init(&body);
	if (to != 0) {
		rv = buf_printf(&body, "{\"to\":%llu}", (unsigned long long)to);
	} else {
		rv = buf_puts(&body, "{}");
	}
	if (rv != 0) {
		client_errorf(c, "out of memory");
		goto out;
	}
	req.body = body.data;
	req.body_len = body.len;
	rv = http_call(c, &req);
	if (rv != 0) {
		goto out;
	}
	rv = decode_transfer(c->ex.body.data, c->ex.body.len, &t, why,
			     sizeof(why));
	if (rv != 0) {
		bad_answer(c, rv, why);
		goto out;
	}
	if (result != NULL) {
		*result = t;
	}
out:
	buf_close(&body);
	return rv;
}

int raft_client_snapshot(struct raft_client *c, raft_id node, raft_index *index)
{
	struct http_request req = {.method = "POST", .target = "/v1/snapshot"};
	struct raft_client_status st = {0};
	struct raft_client_write w = {0, 0};
	char *url = NULL;
	char why[256];
	unsigned i;
	int rv;

	c->errmsg[0] = '\0';
	/* A member snapshots itself and forwards nothing: the request goes
	 * to node's own client URL, which any node's member list tells. */
	rv = raft_client_status(c, NULL, &st);
	if (rv != 0) {
		return rv;
	}
	if (node == 0) {
		node = st.leader_id;
	}
	if (node == 0) {
		raft_client_status_close(&st);
		client_errorf(c, "no leader is known to snapshot");
		return RAFT_ENOTLEADER;
	}
	rv = RAFT_ENOTFOUND;
	for (i = 0; i < st.n_members; i++) {
		if (st.members[i].id != node) {
			continue;
		}
		rv = url_parse_base(st.members[i].client_url, &url, why,
				    sizeof(why));
		if (rv == RAFT_EINVAL) {
			rv = RAFT_EPROTO;
			client_errorf(c,
				      "member %llu: client URL "
				      "\"%s\": %s",
				      (unsigned long long)node,
				      st.members[i].client_url, why);
		} else if (rv == RAFT_ENOMEM) {
			client_errorf(c, "out of memory");
		}
		break;
	}
	if (rv == RAFT_ENOTFOUND) {
		client_errorf(c, "node %llu is not a member",
			      (unsigned long long)node);
	}
	raft_client_status_close(&st);
	if (rv != 0) {
		return rv;
	}
	req.url = url;
	rv = http_call(c, &req);
	if (rv == 0 && c->ex.body.len > 0) {
		rv = decode_write(c->ex.body.data, c->ex.body.len, &w, why,
				  sizeof(why));
		if (rv != 0) {
			bad_answer(c, rv, why);
		}
	}
	if (rv == 0 && index != NULL) {
		*index = w.index;
	}
	raft_free(url);
	return rv;
}

int raft_client_reset_peers(struct raft_client *c, const char *endpoint,
			    const raft_id *peers, unsigned n_peers)
{
	struct http_request req = {.method = "POST",
				   .target = "/v1/reset-peers",
				   .content_type = "application/json"};
	struct buf body;
	char *url = NULL;
	unsigned i;
	int rv;

	c->errmsg[0] = '\0';
	if (n_peers == 0) {
		client_errorf(c, "no peers given");
		return RAFT_EINVAL;
	}
	for (i = 0; i < n_peers; i++) {
		if (peers[i] == 0) {
			client_errorf(c, "peer id 0 is reserved");
			return RAFT_EINVAL;
		}
	}
	rv = parse_endpoint_arg(c, endpoint, &url);
	if (rv != 0) {
		return rv;
	}
	buf_init(&body);
	rv = buf_puts(&body, "{\"peers\":[");
	for (i = 0; rv == 0 && i < n_peers; i++) {
		rv = buf_printf(&body, "%s%llu", i > 0 ? "," : "",
				(unsigned long long)peers[i]);
	}
	if (rv == 0) {
		rv = buf_puts(&body, "],\"force\":true}");
	}
	if (rv != 0) {
		client_errorf(c, "out of memory");
		goto out;
	}
	req.url = url;
	req.body = body.data;
	req.body_len = body.len;
	rv = http_call(c, &req);
out:
	buf_close(&body);
	raft_free(url);
	return rv;
}
