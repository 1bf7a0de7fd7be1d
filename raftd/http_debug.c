/* raftd's fault injection endpoint, /v1/debug/faults: served only when
 * raftd runs with --enable-failpoints, for tests (never in production).
 *
 * PUT takes {"disk_error": "eio"|"enospc"|null, "cut": [ID, ...],
 * "drop_percent": N}, every field optional (missing or null: no such
 * fault), and replaces the faults in force with it; GET shows them. A body
 * that does not parse or holds a bad value changes nothing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>

#include "http_internal.h"

/* Far more than the largest sensible body (16 ids). */
#define FAULTS_BODY_MAX 4096

#define N_CUT_MAX \
	(sizeof(((struct raft_node_faults *)0)->cut) / sizeof(raft_id))

static const char *disk_error_name(int err)
{
	switch (err) {
	case RAFT_EIO:
		return "eio";
	case RAFT_ENOSPC:
		return "enospc";
	default:
		return NULL;
	}
}

static void reply_faults(struct http_server *s, struct httpd_request *req)
{
	const struct raft_node_faults *f = &s->faults;
	const char *disk = disk_error_name(f->disk_error);
	struct evbuffer *b = evbuffer_new();
	if (b == NULL) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory");
		return;
	}
	evbuffer_add_printf(b, "{\"disk_error\":");
	if (disk != NULL) {
		evbuffer_add_printf(b, "\"%s\"", disk);
	} else {
		evbuffer_add_printf(b, "null");
	}
	evbuffer_add_printf(b, ",\"cut\":[");
	for (size_t i = 0; i < N_CUT_MAX && f->cut[i] != 0; i++) {
		evbuffer_add_printf(b, "%s%llu", i > 0 ? "," : "",
				    (unsigned long long)f->cut[i]);
	}
	evbuffer_add_printf(b, "],\"drop_percent\":%u}\n", f->drop_percent);
	http_reply_json(s, req, 200, b);
	evbuffer_free(b);
}

static bool parse_disk_error(const cJSON *item, struct raft_node_faults *f)
{
	if (cJSON_IsNull(item)) {
		return true;
	}
	if (cJSON_IsString(item) && strcmp(item->valuestring, "eio") == 0) {
		f->disk_error = RAFT_EIO;
		return true;
	}
	if (cJSON_IsString(item) && strcmp(item->valuestring, "enospc") == 0) {
		f->disk_error = RAFT_ENOSPC;
		return true;
	}
	return false;
}

static bool parse_cut(const cJSON *item, struct raft_node_faults *f, char *why,
		      size_t why_len)
{
	const cJSON *id;
	size_t n = 0;
	if (cJSON_IsNull(item)) {
		return true;
	}
	if (!cJSON_IsArray(item)) {
		snprintf(why, why_len, "cut must be a list of member ids");
		return false;
	}
	cJSON_ArrayForEach(id, item)
	{
		double d;
		if (n == N_CUT_MAX) {
			snprintf(why, why_len,
				 "cut lists more than %zu members", N_CUT_MAX);
			return false;
		}
		if (!http_json_whole_number(id, 1, HTTP_JSON_ID_MAX, &d)) {
			snprintf(why, why_len,
				 "cut: item %zu is not a member id, a whole "
				 "number from 1 to 2^53",
				 n + 1);
			return false;
		}
		for (size_t k = 0; k < n; k++) {
			if (f->cut[k] == (raft_id)d) {
				snprintf(why, why_len,
					 "cut: member %llu is listed twice",
					 (unsigned long long)d);
				return false;
			}
		}
		f->cut[n++] = (raft_id)d;
	}
	return true;
}

/* Parses a PUT body into f (all zero first). Returns false with why set to
 * one sentence when the body is not what the endpoint takes. */
static bool parse_faults(const char *body, size_t len,
			 struct raft_node_faults *f, char *why, size_t why_len)
{
	cJSON *root, *item;
	bool seen[3] = {false, false, false};
	bool ok = false;
	memset(f, 0, sizeof(*f));
	root = http_json_parse(body, len, why, why_len);
	if (root == NULL) {
		return false;
	}
	if (!cJSON_IsObject(root)) {
		snprintf(why, why_len, "the body must be a JSON object");
		goto out;
	}
	cJSON_ArrayForEach(item, root)
	{
		const char *name = item->string;
		int field;
		double d;
		if (strcmp(name, "disk_error") == 0) {
			field = 0;
		} else if (strcmp(name, "cut") == 0) {
			field = 1;
		} else if (strcmp(name, "drop_percent") == 0) {
			field = 2;
		} else {
			snprintf(why, why_len,
				 "unknown field \"%.64s\"; the fields are "
				 "disk_error, cut and drop_percent",
				 name);
			goto out;
		}
		if (seen[field]) {
			snprintf(why, why_len, "field \"%s\" is given twice",
				 name);
			goto out;
		}
		seen[field] = true;
		switch (field) {
		case 0:
			if (!parse_disk_error(item, f)) {
				snprintf(why, why_len,
					 "disk_error must be \"eio\", "
					 "\"enospc\" or null");
				goto out;
			}
			break;
		case 1:
			if (!parse_cut(item, f, why, why_len)) {
				goto out;
			}
			break;
		default:
			if (cJSON_IsNull(item)) {
				break;
			}
			if (!http_json_whole_number(item, 0, 100, &d)) {
				snprintf(why, why_len,
					 "drop_percent must be a whole number "
					 "from 0 to 100");
				goto out;
			}
			f->drop_percent = (unsigned)d;
			break;
		}
	}
	ok = true;
out:
	cJSON_Delete(root);
	return ok;
}

void http_debug_faults(struct http_server *s, struct httpd_request *req)
{
	struct raft_node_faults f;
	char why[160];
	size_t len;
	int rv;
	if (s->node == NULL) {
		http_reply_error(s, req, 503, HTTP_ERR_SHUTTING_DOWN,
				 "the server is shutting down");
		return;
	}
	if (httpd_request_method(req) != HTTPD_PUT) {
		reply_faults(s, req);
		return;
	}
	/* The length first: a body over the server's limit was not read. */
	len = httpd_request_body_length(req);
	if (len > FAULTS_BODY_MAX) {
		http_reply_error(s, req, 413, HTTP_ERR_TOO_LARGE,
				 "the body has %zu bytes; the limit is %d "
				 "(nothing changed)",
				 len, FAULTS_BODY_MAX);
		return;
	}
	if (!parse_faults(httpd_request_body(req), len, &f, why, sizeof(why))) {
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
				 "%s (nothing changed)", why);
		return;
	}
	rv = raft_node_set_faults(s->node, &f);
	if (rv != 0) {
		/* parse_faults() took only what the node accepts. */
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "set faults: %s", raft_strerror(rv));
		return;
	}
	s->faults = f;
	reply_faults(s, req);
}
