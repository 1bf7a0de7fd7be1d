/* Decoding raftd's JSON answers (shared/API.md) and mapping its errors to
 * RAFT_E* codes. */
#include "client/decode.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JSON numbers are doubles: integers are exact up to 2^53. */
#define EXACT_MAX 9007199254740992.0

static void copy_string(char *dst, size_t dst_len, const char *src)
{
	snprintf(dst, dst_len, "%s", src);
}

/* Reads an unsigned integer field. A missing or null field is 0, or an
 * error when required. */
static int get_u64(const cJSON *obj, const char *name, int required,
		   uint64_t *out, char *errmsg, size_t errmsg_len)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	double v;
	if (item == NULL || cJSON_IsNull(item)) {
		if (required) {
			snprintf(errmsg, errmsg_len, "missing \"%s\"", name);
			return RAFT_EPROTO;
		}
		*out = 0;
		return 0;
	}
	v = cJSON_IsNumber(item) ? item->valuedouble : -1.0;
	if (!(v >= 0.0 && v <= EXACT_MAX) || floor(v) != v) {
		snprintf(errmsg, errmsg_len,
			 "\"%s\" is not an integer in 0..2^53", name);
		return RAFT_EPROTO;
	}
	*out = (uint64_t)v;
	return 0;
}

/* Reads an optional boolean field; missing or null gives def. */
static int get_bool(const cJSON *obj, const char *name, bool def, bool *out,
		    char *errmsg, size_t errmsg_len)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (item == NULL || cJSON_IsNull(item)) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsBool(item)) {
		snprintf(errmsg, errmsg_len, "\"%s\" is not a boolean", name);
		return RAFT_EPROTO;
	}
	*out = cJSON_IsTrue(item);
	return 0;
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

/* Copies a string field into *out (raft_malloc'd; "" when missing or null
 * and not required). */
static int get_string(const cJSON *obj, const char *name, int required,
		      char **out, char *errmsg, size_t errmsg_len)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	const char *s = "";
	if (item == NULL || cJSON_IsNull(item)) {
		if (required) {
			snprintf(errmsg, errmsg_len, "missing \"%s\"", name);
			return RAFT_EPROTO;
		}
	} else if (cJSON_IsString(item)) {
		s = item->valuestring;
	} else {
		snprintf(errmsg, errmsg_len, "\"%s\" is not a string", name);
		return RAFT_EPROTO;
	}
	*out = dup_string(s);
	if (*out == NULL) {
		snprintf(errmsg, errmsg_len, "out of memory");
		return RAFT_ENOMEM;
	}
	return 0;
}

static cJSON *parse(const char *body, size_t len, char *errmsg,
		    size_t errmsg_len)
{
	cJSON *root = body == NULL ? NULL : cJSON_ParseWithLength(body, len);
	if (root == NULL) {
		/* cJSON does not tell a syntax error from a failed
		 * allocation; a syntax error is by far the likelier. */
		snprintf(errmsg, errmsg_len, "the answer is not JSON");
		return NULL;
	}
	if (!cJSON_IsObject(root) && !cJSON_IsArray(root)) {
		snprintf(errmsg, errmsg_len, "the answer is not a JSON object");
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* parse() for answers that must be an object. */
static cJSON *parse_object(const char *body, size_t len, char *errmsg,
			   size_t errmsg_len)
{
	cJSON *root = parse(body, len, errmsg, errmsg_len);
	if (root != NULL && !cJSON_IsObject(root)) {
		snprintf(errmsg, errmsg_len, "the answer is not a JSON object");
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

void decode_error(const char *body, size_t len, struct decode_error *e)
{
	cJSON *root;
	const cJSON *err;
	const cJSON *item;

	memset(e, 0, sizeof(*e));
	if (body == NULL || len == 0) {
		return;
	}
	root = cJSON_ParseWithLength(body, len);
	if (root == NULL) {
		return;
	}
	err = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (!cJSON_IsObject(err)) {
		goto out;
	}
	item = cJSON_GetObjectItemCaseSensitive(err, "code");
	if (cJSON_IsString(item)) {
		copy_string(e->code, sizeof(e->code), item->valuestring);
	}
	item = cJSON_GetObjectItemCaseSensitive(err, "message");
	if (cJSON_IsString(item)) {
		copy_string(e->message, sizeof(e->message), item->valuestring);
	}
	item = cJSON_GetObjectItemCaseSensitive(err, "leader_url");
	if (cJSON_IsString(item)) {
		copy_string(e->leader_url, sizeof(e->leader_url),
			    item->valuestring);
	}
	item = cJSON_GetObjectItemCaseSensitive(err, "leader_id");
	if (cJSON_IsNumber(item) && item->valuedouble >= 1.0 &&
	    item->valuedouble <= EXACT_MAX &&
	    floor(item->valuedouble) == item->valuedouble) {
		e->leader_id = (raft_id)item->valuedouble;
	}
out:
	cJSON_Delete(root);
}

/* Machine codes raftd uses (or may use) and what they mean. */
static const struct {
	const char *code;
	int err;
} known_codes[] = {
    {"not_found", RAFT_ENOTFOUND},
    {"compare_failed", CLIENT_ECOMPARE},
    {"already_exists", RAFT_EEXIST},
    {"no_leader", RAFT_ENOTLEADER},
    {"not_leader", RAFT_ENOTLEADER},
    {"too_large", RAFT_ETOOBIG},
    {"value_too_large", RAFT_ETOOBIG},
    {"key_too_large", RAFT_ETOOBIG},
    {"timeout", RAFT_ETIMEDOUT},
    {"timed_out", RAFT_ETIMEDOUT},
    {"not_committed", RAFT_ETIMEDOUT},
    {"leadership_changed", RAFT_ELEADERCHANGED},
    {"leader_changed", RAFT_ELEADERCHANGED},
    {"shutting_down", RAFT_ESHUTDOWN},
    {"node_stopped", RAFT_ESHUTDOWN},
    {"not_member", RAFT_ENOTFOUND},
    {"method_not_allowed", RAFT_EINVAL},
    {"internal", RAFT_EIO},
    {"busy", RAFT_EBUSY},
    {"transfer_in_progress", RAFT_EBUSY},
    {"lagging", RAFT_ELAGGING},
    {"learner_lagging", RAFT_ELAGGING},
    {"unavailable", RAFT_EUNAVAILABLE},
    {"transfer_failed", RAFT_ETIMEDOUT},
    {"not_supported", CLIENT_ENOTSUP},
    {"not_implemented", CLIENT_ENOTSUP},
    {"bad_request", RAFT_EINVAL},
    {"invalid_argument", RAFT_EINVAL},
    {"bad_key", RAFT_EINVAL},
    {"bad_limit", RAFT_EINVAL},
    {"no_space", RAFT_ENOSPC},
    {"io_error", RAFT_EIO},
    {"corrupt", RAFT_ECORRUPT},
};

int decode_error_code(long status, const char *code)
{
	size_t i;
	/* A server that does not implement a call says so with 501, whatever
	 * its code: keep that apart from a refusal. */
	if (status == 501) {
		return CLIENT_ENOTSUP;
	}
	if (code != NULL && code[0] != '\0') {
		for (i = 0; i < sizeof(known_codes) / sizeof(known_codes[0]);
		     i++) {
			if (strcmp(code, known_codes[i].code) == 0) {
				return known_codes[i].err;
			}
		}
	}
	switch (status) {
	case 404:
		return RAFT_ENOTFOUND;
	case 408:
	case 504:
		return RAFT_ETIMEDOUT;
	case 409:
		return RAFT_EBUSY;
	case 413:
	case 414:
	case 431:
		return RAFT_ETOOBIG;
	case 503:
		return RAFT_ENOTLEADER;
	default:
		break;
	}
	if (status >= 400 && status < 500) {
		return RAFT_EINVAL;
	}
	if (status >= 500 && status < 600) {
		return RAFT_EIO;
	}
	return RAFT_EPROTO;
}

static void free_members(struct raft_client_member *members, unsigned n)
{
	unsigned i;
	if (members == NULL) {
		return;
	}
	for (i = 0; i < n; i++) {
		raft_free(members[i].peer_url);
		raft_free(members[i].client_url);
	}
	raft_free(members);
}

void raft_client_status_close(struct raft_client_status *st)
{
	if (st == NULL) {
		return;
	}
	raft_free(st->state);
	free_members(st->members, st->n_members);
	memset(st, 0, sizeof(*st));
}

void raft_client_members_close(struct raft_client_members *m)
{
	if (m == NULL) {
		return;
	}
	free_members(m->members, m->n_members);
	memset(m, 0, sizeof(*m));
}

void raft_client_keys_close(struct raft_client_keys *keys)
{
	unsigned i;
	if (keys == NULL) {
		return;
	}
	for (i = 0; i < keys->n_keys; i++) {
		raft_free(keys->keys[i]);
	}
	raft_free(keys->keys);
	memset(keys, 0, sizeof(*keys));
}

/* Decodes one member object into m (zeroed). On error m may hold strings:
 * the caller frees them with the rest of the array. */
static int decode_member(const cJSON *obj, struct raft_client_member *m,
			 char *errmsg, size_t errmsg_len)
{
	bool learner = false;
	int rv;
	if (!cJSON_IsObject(obj)) {
		snprintf(errmsg, errmsg_len, "a member is not an object");
		return RAFT_EPROTO;
	}
	rv = get_u64(obj, "id", 1, &m->id, errmsg, errmsg_len);
	if (rv == 0 && m->id == 0) {
		snprintf(errmsg, errmsg_len, "a member has id 0");
		rv = RAFT_EPROTO;
	}
	if (rv == 0) {
		rv = get_string(obj, "peer_url", 0, &m->peer_url, errmsg,
				errmsg_len);
	}
	if (rv == 0) {
		rv = get_string(obj, "client_url", 0, &m->client_url, errmsg,
				errmsg_len);
	}
	/* API.md says "voter"; accept "learner" too, for its inverse. */
	if (rv == 0) {
		rv = get_bool(obj, "learner", false, &learner, errmsg,
			      errmsg_len);
	}
	if (rv == 0) {
		rv = get_bool(obj, "voter", !learner, &m->voter, errmsg,
			      errmsg_len);
	}
	if (rv == 0) {
		m->have_progress = cJSON_HasObjectItem(obj, "match_index") ||
				   cJSON_HasObjectItem(obj, "next_index") ||
				   cJSON_HasObjectItem(obj, "healthy");
		rv = get_u64(obj, "match_index", 0, &m->match_index, errmsg,
			     errmsg_len);
	}
	if (rv == 0) {
		rv = get_u64(obj, "next_index", 0, &m->next_index, errmsg,
			     errmsg_len);
	}
	if (rv == 0) {
		rv = get_bool(obj, "healthy", false, &m->healthy, errmsg,
			      errmsg_len);
	}
	/* "progress" names the leader's view of the member; only
	 * "snapshot" says more (the transfer's progress). */
	if (rv == 0) {
		const cJSON *item =
		    cJSON_GetObjectItemCaseSensitive(obj, "progress");
		m->sending_snapshot =
		    cJSON_IsString(item) &&
		    strcmp(item->valuestring, "snapshot") == 0;
		rv = get_u64(obj, "snapshot_sent", 0, &m->snapshot_sent, errmsg,
			     errmsg_len);
	}
	if (rv == 0) {
		rv = get_u64(obj, "snapshot_size", 0, &m->snapshot_size, errmsg,
			     errmsg_len);
	}
	if (rv == RAFT_EPROTO && m->id != 0) {
		/* Name the member: the field alone is ambiguous. */
		char detail[256];
		copy_string(detail, sizeof(detail), errmsg);
		snprintf(errmsg, errmsg_len, "member %llu: %s",
			 (unsigned long long)m->id, detail);
	}
	return rv;
}

/* Decodes a JSON array of members (NULL: none). */
static int decode_member_array(const cJSON *array,
			       struct raft_client_member **out, unsigned *n,
			       char *errmsg, size_t errmsg_len)
{
	struct raft_client_member *members;
	const cJSON *item;
	unsigned count;
	unsigned i = 0;
	int rv;

	*out = NULL;
	*n = 0;
	if (array == NULL || cJSON_IsNull(array)) {
		return 0;
	}
	if (!cJSON_IsArray(array)) {
		snprintf(errmsg, errmsg_len, "\"members\" is not an array");
		return RAFT_EPROTO;
	}
	count = (unsigned)cJSON_GetArraySize(array);
	if (count == 0) {
		return 0;
	}
	members = raft_calloc(count, sizeof(*members));
	if (members == NULL) {
		snprintf(errmsg, errmsg_len, "out of memory");
		return RAFT_ENOMEM;
	}
	cJSON_ArrayForEach(item, array)
	{
		rv = decode_member(item, &members[i], errmsg, errmsg_len);
		i++;
		if (rv != 0) {
			free_members(members, i);
			return rv;
		}
	}
	*out = members;
	*n = count;
	return 0;
}

/* Decodes "installing": null (or missing), or {index, received, size}. */
static int decode_installing(const cJSON *obj, struct raft_client_status *st,
			     char *errmsg, size_t errmsg_len)
{
	int rv;
	if (obj == NULL || cJSON_IsNull(obj)) {
		return 0;
	}
	if (!cJSON_IsObject(obj)) {
		snprintf(errmsg, errmsg_len,
			 "\"installing\" is not an object or null");
		return RAFT_EPROTO;
	}
	st->installing = true;
	rv = get_u64(obj, "index", 1, &st->install_index, errmsg, errmsg_len);
	if (rv == 0) {
		rv = get_u64(obj, "received", 0, &st->install_received, errmsg,
			     errmsg_len);
	}
	if (rv == 0) {
		rv = get_u64(obj, "size", 0, &st->install_size, errmsg,
			     errmsg_len);
	}
	if (rv != 0) {
		char detail[256];
		copy_string(detail, sizeof(detail), errmsg);
		snprintf(errmsg, errmsg_len, "installing: %s", detail);
	}
	return rv;
}

int decode_status(const char *body, size_t len, struct raft_client_status *st,
		  char *errmsg, size_t errmsg_len)
{
	cJSON *root = parse_object(body, len, errmsg, errmsg_len);
	int rv;

	memset(st, 0, sizeof(*st));
	if (root == NULL) {
		return RAFT_EPROTO;
	}
	rv = get_u64(root, "id", 1, &st->id, errmsg, errmsg_len);
	if (rv == 0) {
		rv = get_string(root, "state", 1, &st->state, errmsg,
				errmsg_len);
	}
	if (rv == 0) {
		rv = get_u64(root, "term", 1, &st->term, errmsg, errmsg_len);
	}
	if (rv == 0) {
		rv = get_u64(root, "leader_id", 0, &st->leader_id, errmsg,
			     errmsg_len);
	}
	if (rv == 0) {
		rv = get_u64(root, "commit_index", 1, &st->commit_index, errmsg,
			     errmsg_len);
	}
	if (rv == 0) {
		rv = get_u64(root, "applied_index", 1, &st->applied_index,
			     errmsg, errmsg_len);
	}
	if (rv == 0) {
		rv = get_u64(root, "last_log_index", 1, &st->last_log_index,
			     errmsg, errmsg_len);
	}
	if (rv == 0) {
		rv = get_u64(root, "snapshot_index", 0, &st->snapshot_index,
			     errmsg, errmsg_len);
	}
	if (rv == 0) {
		rv = get_u64(root, "first_log_index", 0, &st->first_log_index,
			     errmsg, errmsg_len);
	}
	if (rv == 0) {
		rv = get_bool(root, "snapshot_saving", false,
			      &st->snapshot_saving, errmsg, errmsg_len);
	}
	if (rv == 0) {
		rv = decode_installing(
		    cJSON_GetObjectItemCaseSensitive(root, "installing"), st,
		    errmsg, errmsg_len);
	}
	if (rv == 0) {
		rv = decode_member_array(
		    cJSON_GetObjectItemCaseSensitive(root, "members"),
		    &st->members, &st->n_members, errmsg, errmsg_len);
	}
	if (rv != 0) {
		raft_client_status_close(st);
	}
	cJSON_Delete(root);
	return rv;
}

int decode_members(const char *body, size_t len,
		   struct raft_client_members *out, char *errmsg,
		   size_t errmsg_len)
{
	cJSON *root = parse(body, len, errmsg, errmsg_len);
	const cJSON *array = root;
	int rv;

	memset(out, 0, sizeof(*out));
	if (root == NULL) {
		return RAFT_EPROTO;
	}
	if (cJSON_IsObject(root)) {
		array = cJSON_GetObjectItemCaseSensitive(root, "members");
		if (array == NULL) {
			snprintf(errmsg, errmsg_len, "missing \"members\"");
			rv = RAFT_EPROTO;
			goto out;
		}
	}
	rv = decode_member_array(array, &out->members, &out->n_members, errmsg,
				 errmsg_len);
out:
	cJSON_Delete(root);
	return rv;
}

void decode_members_origin(const char *body, size_t len, raft_id *id,
			   raft_id *leader_id)
{
	char errmsg[128];
	cJSON *root = parse(body, len, errmsg, sizeof(errmsg));
	*id = 0;
	*leader_id = 0;
	if (root == NULL) {
		return;
	}
	if (cJSON_IsObject(root) &&
	    (get_u64(root, "id", 0, id, errmsg, sizeof(errmsg)) != 0 ||
	     get_u64(root, "leader_id", 0, leader_id, errmsg, sizeof(errmsg)) !=
		 0)) {
		*id = 0;
		*leader_id = 0;
	}
	cJSON_Delete(root);
}

int decode_write(const char *body, size_t len, struct raft_client_write *w,
		 char *errmsg, size_t errmsg_len)
{
	cJSON *root = parse_object(body, len, errmsg, errmsg_len);
	int rv;

	memset(w, 0, sizeof(*w));
	if (root == NULL) {
		return RAFT_EPROTO;
	}
	rv = get_u64(root, "index", 0, &w->index, errmsg, errmsg_len);
	if (rv == 0) {
		rv = get_u64(root, "term", 0, &w->term, errmsg, errmsg_len);
	}
	cJSON_Delete(root);
	return rv;
}

int decode_transfer(const char *body, size_t len,
		    struct raft_client_transfer *t, char *errmsg,
		    size_t errmsg_len)
{
	cJSON *root = parse_object(body, len, errmsg, errmsg_len);
	int rv;

	memset(t, 0, sizeof(*t));
	if (root == NULL) {
		return RAFT_EPROTO;
	}
	rv = get_u64(root, "leader_id", 1, &t->leader_id, errmsg, errmsg_len);
	if (rv == 0) {
		rv = get_u64(root, "previous_leader_id", 0,
			     &t->previous_leader_id, errmsg, errmsg_len);
	}
	if (rv == 0) {
		rv = get_u64(root, "term", 0, &t->term, errmsg, errmsg_len);
	}
	if (rv != 0) {
		memset(t, 0, sizeof(*t));
	}
	cJSON_Delete(root);
	return rv;
}

int decode_keys(const char *body, size_t len, struct raft_client_keys *out,
		char *errmsg, size_t errmsg_len)
{
	cJSON *root = parse_object(body, len, errmsg, errmsg_len);
	const cJSON *array;
	const cJSON *item;
	unsigned count;
	int rv;

	memset(out, 0, sizeof(*out));
	if (root == NULL) {
		return RAFT_EPROTO;
	}
	array = cJSON_GetObjectItemCaseSensitive(root, "keys");
	if (!cJSON_IsArray(array)) {
		snprintf(errmsg, errmsg_len,
			 array == NULL ? "missing \"keys\""
				       : "\"keys\" is not an array");
		rv = RAFT_EPROTO;
		goto out;
	}
	rv = get_bool(root, "more", false, &out->more, errmsg, errmsg_len);
	if (rv != 0) {
		goto out;
	}
	count = (unsigned)cJSON_GetArraySize(array);
	if (count > 0) {
		out->keys = raft_calloc(count, sizeof(*out->keys));
		if (out->keys == NULL) {
			snprintf(errmsg, errmsg_len, "out of memory");
			rv = RAFT_ENOMEM;
			goto out;
		}
	}
	cJSON_ArrayForEach(item, array)
	{
		if (!cJSON_IsString(item)) {
			snprintf(errmsg, errmsg_len, "a key is not a string");
			rv = RAFT_EPROTO;
			break;
		}
		out->keys[out->n_keys] = dup_string(item->valuestring);
		if (out->keys[out->n_keys] == NULL) {
			snprintf(errmsg, errmsg_len, "out of memory");
			rv = RAFT_ENOMEM;
			break;
		}
		out->n_keys++;
	}
out:
	if (rv != 0) {
		raft_client_keys_close(out);
	}
	cJSON_Delete(root);
	return rv;
}

int decode_u64(const char *s, size_t len, uint64_t *out)
{
	char digits[24];
	char *end;
	unsigned long long v;
	size_t i;
	while (len > 0 && isspace((unsigned char)s[0])) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1])) {
		len--;
	}
	if (len == 0 || len >= sizeof(digits)) {
		return RAFT_EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i])) {
			return RAFT_EINVAL;
		}
	}
	memcpy(digits, s, len);
	digits[len] = '\0';
	errno = 0;
	v = strtoull(digits, &end, 10);
	if (errno != 0 || *end != '\0') {
		return RAFT_EINVAL;
	}
	*out = (uint64_t)v;
	return 0;
}
