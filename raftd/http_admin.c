/* raftd's administration endpoints: membership changes, leadership
 * transfer and reset-peers (API.md, "Cluster administration").
 *
 * A change (add, remove, promote) goes to the leader like a write and
 * becomes a struct admin_change, alive until the node's callback, which
 * comes once the CONF entry is committed and applied; its timer may answer
 * the client first (503 timeout), and the callback then only frees it.
 *
 * A transfer has no callback: a struct admin_transfer looks at the node
 * every tick until another node leads (200, naming it) or two election
 * timeouts passed (503 transfer_failed, naming who leads now).
 *
 * reset-peers acts at once, on the member that receives it only.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "options.h"
#include "raft/log.h"

/* Far more than the largest sensible body (a reset-peers list). */
#define ADMIN_BODY_MAX 65536

/* The most members reset-peers takes. */
#define RESET_PEERS_MAX 1000

/* How far behind the leader a learner may be to be promoted: the core's
 * max_append_entries, which raftd leaves at its default. */
#define PROMOTE_WINDOW 1024

enum change_kind { CHANGE_ADD, CHANGE_REMOVE, CHANGE_PROMOTE };

static const char *const change_names[] = {"add", "remove", "promote"};

struct admin_change {
	struct http_server *srv;
	struct httpd_request *req; /* NULL once answered */
	struct event *timer;
	enum change_kind kind;
	raft_id id;
	bool learner; /* add: as a learner */
	char peer[OPTIONS_ADDR_MAX];
	char client[OPTIONS_ADDR_MAX + 16];
	struct admin_change *prev, *next;
};

struct admin_transfer {
	struct http_server *srv;
	struct httpd_request *req;
	struct event *timer; /* every tick */
	raft_id from;	     /* this node, the leader when asked */
	raft_id to;	     /* 0: the node picks */
	unsigned ticks;	     /* looked this many times */
	unsigned max_ticks;
	struct admin_transfer *prev, *next;
};

/* ------------------------------------------------------------------------
 * JSON bodies
 * ------------------------------------------------------------------------ */

struct cJSON *http_json_parse(const char *body, size_t len, char *why,
			      size_t why_len)
{
	const char *end = NULL;
	cJSON *root;
	/* The body is not NUL-terminated: cJSON's own check for trailing
	 * bytes would need it to be, so look at what follows by hand. */
	root = cJSON_ParseWithLengthOpts(body, len, &end, false);
	while (root != NULL && end < body + len &&
	       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')) {
		end++;
	}
	if (root == NULL || end != body + len) {
		cJSON_Delete(root);
		snprintf(why, why_len, "the body is not valid JSON");
		return NULL;
	}
	return root;
}

bool http_json_whole_number(const struct cJSON *item, double min, double max,
			    double *out)
{
	double d;
	if (!cJSON_IsNumber(item)) {
		return false;
	}
	d = item->valuedouble;
	/* The range check comes first: it also keeps NaN and infinities
	 * away from the conversion. */
	if (!(d >= min && d <= max) || (double)(unsigned long long)d != d) {
		return false;
	}
	*out = d;
	return true;
}

struct field {
	const char *name;
	const cJSON *item; /* NULL if absent */
};

/* Reads the request body as a JSON object whose members are among fields
 * (each at most once). Returns the parsed body (to cJSON_Delete()), or
 * NULL after answering 400 or 413 (nothing changed); an empty body gives
 * NULL with *answered false. */
static cJSON *read_object(struct http_server *s, struct httpd_request *req,
			  struct field *fields, size_t n,
			  const char *field_list, bool *answered)
{
	/* The length first: a body over the server's limit was not read. */
	size_t len = httpd_request_body_length(req);
	cJSON *root, *item;
	char why[256];
	*answered = true;
	if (len > ADMIN_BODY_MAX) {
		http_reply_error(s, req, 413, HTTP_ERR_TOO_LARGE,
				 "the body has %zu bytes; the limit is %d "
				 "(nothing changed)",
				 len, ADMIN_BODY_MAX);
		return NULL;
	}
	if (len == 0) {
		*answered = false;
		return NULL;
	}
	root = http_json_parse(httpd_request_body(req), len, why, sizeof(why));
	if (root == NULL) {
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
				 "%s (nothing changed)", why);
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
				 "the body must be a JSON object (nothing "
				 "changed)");
		goto err;
	}
	cJSON_ArrayForEach(item, root)
	{
		size_t i;
		for (i = 0; i < n; i++) {
			if (strcmp(item->string, fields[i].name) == 0) {
				break;
			}
		}
		if (i == n) {
			http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
					 "unknown field \"%.64s\"; the fields "
					 "are %s (nothing changed)",
					 item->string, field_list);
			goto err;
		}
		if (fields[i].item != NULL) {
			http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
					 "field \"%s\" is given twice "
					 "(nothing changed)",
					 fields[i].name);
			goto err;
		}
		fields[i].item = item;
	}
	*answered = false;
	return root;

err:
	cJSON_Delete(root);
	return NULL;
}

/* Checks a HOST:PORT address named what and copies it into out (out_len
 * bytes, at most OPTIONS_ADDR_MAX). */
static bool check_host_port(const char *what, const char *addr, char *out,
			    size_t out_len, char *why, size_t why_len)
{
	char host[OPTIONS_ADDR_MAX];
	char err[256];
	unsigned port;
	if (strlen(addr) >= out_len) {
		snprintf(why, why_len, "%s is longer than %zu bytes", what,
			 out_len - 1);
		return false;
	}
	if (options_split_address(addr, host, sizeof(host), &port, err,
				  sizeof(err)) != 0) {
		snprintf(why, why_len, "%s: %s", what, err);
		return false;
	}
	snprintf(out, out_len, "%s", addr);
	return true;
}

/* peer_url: the member's peer address, HOST:PORT (as GET /v1/members
 * shows it). */
static bool parse_peer_url(const cJSON *item, char *out, size_t out_len,
			   char *why, size_t why_len)
{
	if (!cJSON_IsString(item)) {
		snprintf(why, why_len,
			 "peer_url must be a string, HOST:PORT of the "
			 "member's peer port");
		return false;
	}
	if (strstr(item->valuestring, "://") != NULL) {
		snprintf(why, why_len,
			 "peer_url \"%.300s\": give HOST:PORT of the member's "
			 "peer port, without a scheme",
			 item->valuestring);
		return false;
	}
	return check_host_port("peer_url", item->valuestring, out, out_len, why,
			       why_len);
}

/* client_url: http://HOST:PORT (https:// too; HOST:PORT alone means
 * http), stored as SCHEME://HOST:PORT. */
static bool parse_client_url(const cJSON *item, char *out, size_t out_len,
			     char *why, size_t why_len)
{
	const char *url, *hostport, *scheme = "http://";
	char addr[OPTIONS_ADDR_MAX];
	char checked[OPTIONS_ADDR_MAX];
	size_t len;
	if (!cJSON_IsString(item)) {
		snprintf(why, why_len,
			 "client_url must be a string, http://HOST:PORT of "
			 "the member's HTTP API");
		return false;
	}
	url = item->valuestring;
	hostport = url;
	if (strncmp(url, "http://", 7) == 0) {
		hostport = url + 7;
	} else if (strncmp(url, "https://", 8) == 0) {
		hostport = url + 8;
		scheme = "https://";
	} else if (strstr(url, "://") != NULL) {
		snprintf(why, why_len,
			 "client_url \"%.300s\": the scheme must be http or "
			 "https",
			 url);
		return false;
	}
	len = strlen(hostport);
	if (len > 0 && hostport[len - 1] == '/') {
		len--; /* a base URL may end with a slash */
	}
	if (len >= sizeof(addr)) {
		snprintf(why, why_len, "client_url is longer than %zu bytes",
			 sizeof(addr) - 1);
		return false;
	}
	memcpy(addr, hostport, len);
	addr[len] = '\0';
	if (strchr(addr, '/') != NULL || strchr(addr, '?') != NULL) {
		snprintf(why, why_len,
			 "client_url \"%.300s\" has a path; give "
			 "http://HOST:PORT",
			 url);
		return false;
	}
	if (!check_host_port("client_url", addr, checked, sizeof(checked), why,
			     why_len)) {
		return false;
	}
	snprintf(out, out_len, "%s%s", scheme, checked);
	return true;
}

/* ------------------------------------------------------------------------
 * Members as this node sees them
 * ------------------------------------------------------------------------ */

static const struct raft_node_peer *find_peer(const struct raft_node_status *st,
					      raft_id id)
{
	for (unsigned i = 0; i < st->n_peers; i++) {
		if (st->peers[i].id == id) {
			return &st->peers[i];
		}
	}
	return NULL;
}

/* Answers 404 not_member for id. */
static void reply_not_member(struct http_server *s, struct httpd_request *req,
			     raft_id id)
{
	http_reply_error(s, req, 404, HTTP_ERR_NOT_MEMBER,
			 "node %llu is not a member (nothing changed)",
			 (unsigned long long)id);
}

/* Answers RAFT_EBUSY from a change or a transfer (what), saying what is
 * under way as far as this node can tell; self is the refused change
 * itself (already listed), or NULL. */
static void reply_busy(struct http_server *s, struct httpd_request *req,
		       const char *what, const struct admin_change *self)
{
	const struct admin_change *c = s->changes;
	struct raft_node_status st;
	raft_node_status(s->node, &st);
	while (c != NULL && c == self) {
		c = c->next;
	}
	if (st.core.transfer_to != 0) {
		http_reply_error(s, req, 409, HTTP_ERR_BUSY,
				 "%s: a leadership transfer to node %llu is "
				 "under way; retry once it is done (nothing "
				 "changed)",
				 what, (unsigned long long)st.core.transfer_to);
	} else if (c != NULL) {
		http_reply_error(s, req, 409, HTTP_ERR_BUSY,
				 "%s: the change before it (%s member %llu) "
				 "is not committed yet; one change at a time "
				 "(nothing changed)",
				 what, change_names[c->kind],
				 (unsigned long long)c->id);
	} else {
		http_reply_error(s, req, 409, HTTP_ERR_BUSY,
				 "%s: the last membership change is not "
				 "committed yet, or this leader has not "
				 "committed an entry of its term yet; retry "
				 "shortly (nothing changed)",
				 what);
	}
}

/* ------------------------------------------------------------------------
 * Membership changes
 * ------------------------------------------------------------------------ */

static void change_free(struct admin_change *c)
{
	struct http_server *s = c->srv;
	if (c->prev != NULL) {
		c->prev->next = c->next;
	} else {
		s->changes = c->next;
	}
	if (c->next != NULL) {
		c->next->prev = c->prev;
	}
	if (c->timer != NULL) {
		event_free(c->timer);
	}
	free(c);
}

static void change_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct admin_change *c = arg;
	(void)fd;
	(void)what;
	if (c->req == NULL) {
		return;
	}
	http_reply_error(c->srv, c->req, 503, HTTP_ERR_TIMEOUT,
			 "the change (%s member %llu) was not committed within "
			 "%u ms; it may still be (GET /v1/members shows the "
			 "configuration)",
			 change_names[c->kind], (unsigned long long)c->id,
			 c->srv->request_timeout_ms);
	/* The node's callback is still to come: it frees c. */
	c->req = NULL;
}

static struct admin_change *change_new(struct http_server *s,
				       struct httpd_request *req,
				       enum change_kind kind, raft_id id)
{
	struct admin_change *c = calloc(1, sizeof(*c));
	struct timeval tv;
	if (c == NULL) {
		return NULL;
	}
	c->timer = evtimer_new(s->base, change_timeout, c);
	tv.tv_sec = s->request_timeout_ms / 1000;
	tv.tv_usec = (s->request_timeout_ms % 1000) * 1000;
	if (c->timer == NULL || evtimer_add(c->timer, &tv) != 0) {
		if (c->timer != NULL) {
			event_free(c->timer);
		}
		free(c);
		return NULL;
	}
	c->srv = s;
	c->req = req;
	c->kind = kind;
	c->id = id;
	c->next = s->changes;
	if (s->changes != NULL) {
		s->changes->prev = c;
	}
	s->changes = c;
	return c;
}

/* The answer to a change that was made: what changed and where in the
 * log. */
static void reply_changed(struct admin_change *c, raft_term term,
			  raft_index index)
{
	struct http_server *s = c->srv;
	struct evbuffer *b = evbuffer_new();
	if (b == NULL) {
		http_reply_error(s, c->req, 500, HTTP_ERR_INTERNAL,
				 "out of memory after the change at index "
				 "%llu",
				 (unsigned long long)index);
		return;
	}
	evbuffer_add_printf(b, "{\"change\":\"%s\",\"id\":%llu",
			    change_names[c->kind], (unsigned long long)c->id);
	if (c->kind == CHANGE_ADD) {
		evbuffer_add_printf(b, ",\"peer_url\":");
		http_json_string(b, c->peer, strlen(c->peer));
		evbuffer_add_printf(b, ",\"client_url\":");
		http_json_string(b, c->client, strlen(c->client));
	}
	if (c->kind != CHANGE_REMOVE) {
		bool learner = c->kind == CHANGE_ADD && c->learner;
		evbuffer_add_printf(b, ",\"voter\":%s,\"learner\":%s",
				    learner ? "false" : "true",
				    learner ? "true" : "false");
	}
	evbuffer_add_printf(b, ",\"index\":%llu,\"term\":%llu}\n",
			    (unsigned long long)index,
			    (unsigned long long)term);
	http_reply_json(s, c->req, 200, b);
	evbuffer_free(b);
}

static void change_done(void *arg, int status, raft_term term, raft_index index,
			int result)
{
	struct admin_change *c = arg;
	struct http_server *s = c->srv;
	struct raft_node_status st;
	(void)result;
	if (c->req == NULL) {
		goto out;
	}
	if (status == 0) {
		raft_log(RAFT_LOG_INFO, "member change done: %s %llu at %llu",
			 change_names[c->kind], (unsigned long long)c->id,
			 (unsigned long long)index);
		reply_changed(c, term, index);
	} else if (status == RAFT_ELEADERCHANGED) {
		http_reply_error(s, c->req, 503, HTTP_ERR_LEADER_CHANGED,
				 "leadership changed before the change (%s "
				 "member %llu) committed; it was not made",
				 change_names[c->kind],
				 (unsigned long long)c->id);
	} else if (s->node == NULL) {
		http_reply_error(s, c->req, 503, HTTP_ERR_SHUTTING_DOWN,
				 "the server is shutting down; the change (%s "
				 "member %llu) may or may not have been made",
				 change_names[c->kind],
				 (unsigned long long)c->id);
	} else {
		raft_node_status(s->node, &st);
		http_reply_error(
		    s, c->req, 503, HTTP_ERR_NODE_STOPPED,
		    "the node stopped (%s); the change (%s member "
		    "%llu) may or may not have been made",
		    st.fatal != NULL ? st.fatal : raft_strerror(status),
		    change_names[c->kind], (unsigned long long)c->id);
	}
out:
	change_free(c);
}

/* Answers an error a change returned at once (nothing changed). */
static void reply_change_error(struct http_server *s, struct httpd_request *req,
			       const struct admin_change *c, int rv)
{
	struct raft_node_status st;
	const struct raft_node_peer *p;
	char what[64];
	snprintf(what, sizeof(what), "%s member %llu", change_names[c->kind],
		 (unsigned long long)c->id);
	raft_node_status(s->node, &st);
	p = find_peer(&st, c->id);
	switch (rv) {
	case RAFT_EEXIST:
		http_reply_error(s, req, 409, HTTP_ERR_ALREADY_EXISTS,
				 "node %llu is already a member (nothing "
				 "changed)",
				 (unsigned long long)c->id);
		break;
	case RAFT_ENOTFOUND:
		reply_not_member(s, req, c->id);
		break;
	case RAFT_EBUSY:
		reply_busy(s, req, what, c);
		break;
	case RAFT_EINVAL:
		if (c->kind == CHANGE_REMOVE) {
			http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
					 "node %llu is the last voter; add and "
					 "promote another member first "
					 "(nothing changed)",
					 (unsigned long long)c->id);
		} else if (c->kind == CHANGE_PROMOTE) {
			http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
					 "node %llu is already a voter "
					 "(nothing changed)",
					 (unsigned long long)c->id);
		} else {
			http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
					 "%s: the node refused it as invalid "
					 "(nothing changed)",
					 what);
		}
		break;
	case RAFT_ELAGGING:
		if (p != NULL && p->have_progress &&
		    p->state == RAFT_PROGRESS_SNAPSHOT) {
			http_reply_error(
			    s, req, 409, HTTP_ERR_LAGGING,
			    "node %llu is still receiving the leader's "
			    "snapshot (%llu of %llu bytes); promote it once "
			    "it caught up (nothing changed)",
			    (unsigned long long)c->id,
			    (unsigned long long)p->snapshot_sent,
			    (unsigned long long)p->snapshot_size);
		} else if (p != NULL && p->have_progress) {
			http_reply_error(
			    s, req, 409, HTTP_ERR_LAGGING,
			    "node %llu is %llu entries behind the leader "
			    "(it has %llu of %llu); it can be promoted once "
			    "it is within %d (nothing changed)",
			    (unsigned long long)c->id,
			    (unsigned long long)(st.core.last_index -
						 p->match_index),
			    (unsigned long long)p->match_index,
			    (unsigned long long)st.core.last_index,
			    PROMOTE_WINDOW);
		} else {
			http_reply_error(s, req, 409, HTTP_ERR_LAGGING,
					 "node %llu is too far behind the "
					 "leader to be promoted yet (nothing "
					 "changed)",
					 (unsigned long long)c->id);
		}
		break;
	case RAFT_EUNAVAILABLE:
		http_reply_error(s, req, 503, HTTP_ERR_UNAVAILABLE,
				 "node %llu has not answered the leader "
				 "within the last election timeout (%u ms); "
				 "it cannot be promoted (nothing changed)",
				 (unsigned long long)c->id,
				 s->election_ticks * s->tick_ms);
		break;
	case RAFT_ENOMEM:
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "%s: out of memory (nothing changed)", what);
		break;
	default:
		http_reply_node_error(s, req, rv);
		break;
	}
}

/* Starts a change on the leader: c is answered and freed in every case. */
static void start_change(struct http_server *s, struct httpd_request *req,
			 struct admin_change *c, const char *address)
{
	int rv;
	switch (c->kind) {
	case CHANGE_ADD:
		rv = raft_node_add_member(
		    s->node, c->id, address,
		    c->learner ? RAFT_LEARNER : RAFT_VOTER, change_done, c);
		break;
	case CHANGE_REMOVE:
		rv = raft_node_remove_member(s->node, c->id, change_done, c);
		break;
	default:
		rv = raft_node_promote(s->node, c->id, change_done, c);
		break;
	}
	if (rv != 0) {
		c->req = NULL;
		reply_change_error(s, req, c, rv);
		change_free(c);
	}
}

void http_admin_add(struct http_server *s, struct httpd_request *req)
{
	struct field fields[] = {{"id", NULL},
				 {"peer_url", NULL},
				 {"client_url", NULL},
				 {"learner", NULL}};
	struct raft_node_status st;
	struct admin_change *c;
	char peer[OPTIONS_ADDR_MAX];
	char client[OPTIONS_ADDR_MAX + 16];
	char address[sizeof(peer) + sizeof(client) + 1];
	char why[400];
	bool learner = false;
	bool answered;
	cJSON *root;
	double id = 0;

	root = read_object(s, req, fields, 4,
			   "id, peer_url, client_url and learner", &answered);
	if (root == NULL) {
		if (!answered) {
			http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
					 "the body is empty; send {\"id\": N, "
					 "\"peer_url\": \"HOST:PORT\", "
					 "\"client_url\": "
					 "\"http://HOST:PORT\", \"learner\": "
					 "true} (nothing changed)");
		}
		return;
	}
	why[0] = '\0';
	if (fields[0].item == NULL) {
		snprintf(why, sizeof(why), "id is missing");
	} else if (!http_json_whole_number(fields[0].item, 1, HTTP_JSON_ID_MAX,
					   &id)) {
		snprintf(why, sizeof(why),
			 "id must be a whole number from 1 to 2^53");
	} else if (fields[1].item == NULL) {
		snprintf(why, sizeof(why),
			 "peer_url is missing (HOST:PORT of the member's "
			 "peer port)");
	} else if (!parse_peer_url(fields[1].item, peer, sizeof(peer), why,
				   sizeof(why))) {
		/* why is set */
	} else if (fields[2].item == NULL) {
		snprintf(why, sizeof(why),
			 "client_url is missing (http://HOST:PORT of the "
			 "member's HTTP API)");
	} else if (!parse_client_url(fields[2].item, client, sizeof(client),
				     why, sizeof(why))) {
		/* why is set */
	} else if (fields[3].item != NULL && !cJSON_IsNull(fields[3].item) &&
		   !cJSON_IsBool(fields[3].item)) {
		snprintf(why, sizeof(why), "learner must be true or false");
	} else {
		learner = cJSON_IsTrue(fields[3].item);
	}
	cJSON_Delete(root);
	if (why[0] != '\0') {
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
				 "%s (nothing changed)", why);
		return;
	}
	if (!http_check_leader(s, req)) {
		return;
	}
	/* Two members at one address would each take the other's
	 * messages. */
	raft_node_status(s->node, &st);
	for (unsigned i = 0; i < st.n_peers; i++) {
		char p_peer[OPTIONS_ADDR_MAX + 16];
		char p_client[OPTIONS_ADDR_MAX + 16];
		if (st.peers[i].id == (raft_id)id) {
			break; /* the node says so below */
		}
		http_split_member_address(st.peers[i].address, p_peer,
					  sizeof(p_peer), p_client,
					  sizeof(p_client));
		if (strcmp(p_peer, peer) == 0 ||
		    strcmp(p_client, client) == 0) {
			http_reply_error(
			    s, req, 400, HTTP_ERR_BAD_REQUEST,
			    "%s %s is member %llu's already (nothing changed)",
			    strcmp(p_peer, peer) == 0 ? "peer_url"
						      : "client_url",
			    strcmp(p_peer, peer) == 0 ? peer : client,
			    (unsigned long long)st.peers[i].id);
			return;
		}
	}
	c = change_new(s, req, CHANGE_ADD, (raft_id)id);
	if (c == NULL) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory (nothing changed)");
		return;
	}
	c->learner = learner;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	snprintf(c->client, sizeof(c->client), "%s", client);
	/* raftd's member address: the peer address, then the client URL
	 * after a space (see options_parse_cluster()). */
	snprintf(address, sizeof(address), "%s %s", peer, client);
	start_change(s, req, c, address);
}

/* remove and promote: the path named the member. */
static void member_change(struct http_server *s, struct httpd_request *req,
			  enum change_kind kind, raft_id id)
{
	struct raft_node_status st;
	struct admin_change *c;
	if (httpd_request_body_length(req) > 0) {
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
				 "%s takes no body: the path names the member "
				 "(nothing changed)",
				 kind == CHANGE_REMOVE ? "removal"
						       : "promotion");
		return;
	}
	if (!http_check_leader(s, req)) {
		return;
	}
	raft_node_status(s->node, &st);
	if (find_peer(&st, id) == NULL) {
		reply_not_member(s, req, id);
		return;
	}
	c = change_new(s, req, kind, id);
	if (c == NULL) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory (nothing changed)");
		return;
	}
	start_change(s, req, c, NULL);
}

void http_admin_remove(struct http_server *s, struct httpd_request *req,
		       raft_id id)
{
	member_change(s, req, CHANGE_REMOVE, id);
}

void http_admin_promote(struct http_server *s, struct httpd_request *req,
			raft_id id)
{
	member_change(s, req, CHANGE_PROMOTE, id);
}

/* ------------------------------------------------------------------------
 * Leadership transfer
 * ------------------------------------------------------------------------ */

static void transfer_free(struct admin_transfer *t)
{
	struct http_server *s = t->srv;
	if (t->prev != NULL) {
		t->prev->next = t->next;
	} else {
		s->transfers = t->next;
	}
	if (t->next != NULL) {
		t->next->prev = t->prev;
	}
	if (t->timer != NULL) {
		event_free(t->timer);
	}
	free(t);
}

/* 200 {"leader_id", "leader_url", "previous_leader_id", "term"}. */
static void reply_transferred(struct http_server *s, struct httpd_request *req,
			      raft_id from, raft_term term)
{
	struct evbuffer *b = evbuffer_new();
	char url[OPTIONS_ADDR_MAX + 16];
	raft_id leader;
	if (b == NULL) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory after the transfer");
		return;
	}
	http_leader(s, &leader, url, sizeof(url));
	evbuffer_add_printf(b, "{\"leader_id\":%llu,",
			    (unsigned long long)leader);
	if (url[0] != '\0') {
		evbuffer_add_printf(b, "\"leader_url\":");
		http_json_string(b, url, strlen(url));
		evbuffer_add(b, ",", 1);
	}
	evbuffer_add_printf(b, "\"previous_leader_id\":%llu,\"term\":%llu}\n",
			    (unsigned long long)from, (unsigned long long)term);
	http_reply_json(s, req, 200, b);
	evbuffer_free(b);
}

static void transfer_check(evutil_socket_t fd, short what, void *arg)
{
	struct admin_transfer *t = arg;
	struct http_server *s = t->srv;
	struct raft_node_status st;
	char target[48] = "";
	(void)fd;
	(void)what;
	raft_node_status(s->node, &st);
	if (t->to != 0) {
		snprintf(target, sizeof(target), " to node %llu",
			 (unsigned long long)t->to);
	}
	/* Moved: this node follows another leader. */
	if (st.core.role != RAFT_LEADER && st.core.leader_id != 0 &&
	    st.core.leader_id != st.core.id) {
		if (t->to == 0 || st.core.leader_id == t->to) {
			reply_transferred(s, t->req, t->from, st.core.term);
		} else {
			http_reply_error(
			    s, t->req, 503, HTTP_ERR_TRANSFER_FAILED,
			    "the transfer%s did not happen: node "
			    "%llu leads instead (term %llu)",
			    target, (unsigned long long)st.core.leader_id,
			    (unsigned long long)st.core.term);
		}
		transfer_free(t);
		return;
	}
	if (++t->ticks < t->max_ticks) {
		return;
	}
	if (st.core.role == RAFT_LEADER) {
		http_reply_error(s, t->req, 503, HTTP_ERR_TRANSFER_FAILED,
				 "the transfer%s did not happen within %u ms: "
				 "node %llu still leads (term %llu)",
				 target, t->max_ticks * s->tick_ms,
				 (unsigned long long)st.core.id,
				 (unsigned long long)st.core.term);
	} else {
		http_reply_error(s, t->req, 503, HTTP_ERR_TRANSFER_FAILED,
				 "the transfer%s did not happen within %u ms: "
				 "node %llu stepped down and no leader is "
				 "known yet (term %llu)",
				 target, t->max_ticks * s->tick_ms,
				 (unsigned long long)st.core.id,
				 (unsigned long long)st.core.term);
	}
	transfer_free(t);
}

static void reply_transfer_error(struct http_server *s,
				 struct httpd_request *req, raft_id to, int rv)
{
	switch (rv) {
	case RAFT_EBUSY:
		reply_busy(s, req, "transfer", NULL);
		break;
	case RAFT_ENOTFOUND:
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
				 "there is no other voter to hand leadership "
				 "to (nothing changed)");
		break;
	case RAFT_EUNAVAILABLE:
		if (to != 0) {
			http_reply_error(s, req, 503, HTTP_ERR_UNAVAILABLE,
					 "node %llu has not answered the "
					 "leader within the last election "
					 "timeout (%u ms); it cannot take over "
					 "(nothing changed)",
					 (unsigned long long)to,
					 s->election_ticks * s->tick_ms);
		} else {
			http_reply_error(s, req, 503, HTTP_ERR_UNAVAILABLE,
					 "no other voter has answered the "
					 "leader within the last election "
					 "timeout (%u ms) (nothing changed)",
					 s->election_ticks * s->tick_ms);
		}
		break;
	case RAFT_EINVAL:
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
				 "node %llu cannot lead (nothing changed)",
				 (unsigned long long)to);
		break;
	default:
		http_reply_node_error(s, req, rv);
		break;
	}
}

void http_admin_transfer(struct http_server *s, struct httpd_request *req)
{
	struct field fields[] = {{"to", NULL}};
	struct raft_node_status st;
	const struct raft_node_peer *p;
	struct admin_transfer *t;
	struct timeval tv;
	bool answered;
	cJSON *root;
	double d = 0;
	raft_id to = 0;
	int rv;

	root = read_object(s, req, fields, 1, "to", &answered);
	if (answered) {
		return;
	}
	if (fields[0].item != NULL && !cJSON_IsNull(fields[0].item) &&
	    !http_json_whole_number(fields[0].item, 1, HTTP_JSON_ID_MAX, &d)) {
		cJSON_Delete(root);
		http_reply_error(
		    s, req, 400, HTTP_ERR_BAD_REQUEST,
		    "to must be a member id, a whole number from 1 "
		    "to 2^53, or null (nothing changed)");
		return;
	}
	cJSON_Delete(root);
	to = (raft_id)d;
	if (!http_check_leader(s, req)) {
		return;
	}
	raft_node_status(s->node, &st);
	if (to == st.core.id) {
		/* Nothing to do: the answer is what the client wants. */
		reply_transferred(s, req, st.core.id, st.core.term);
		return;
	}
	if (to != 0) {
		p = find_peer(&st, to);
		if (p == NULL) {
			reply_not_member(s, req, to);
			return;
		}
		if (p->role != RAFT_VOTER) {
			http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
					 "node %llu is a learner: only a voter "
					 "can lead (promote it first; nothing "
					 "changed)",
					 (unsigned long long)to);
			return;
		}
	}
	t = calloc(1, sizeof(*t));
	if (t != NULL) {
		t->timer =
		    event_new(s->base, -1, EV_PERSIST, transfer_check, t);
	}
	if (t == NULL || t->timer == NULL) {
		free(t);
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory (nothing changed)");
		return;
	}
	t->srv = s;
	t->req = req;
	t->from = st.core.id;
	t->to = to;
	/* The core gives up after one election timeout; the second leaves
	 * time for the election the target started. */
	t->max_ticks = 2 * s->election_ticks;
	t->next = s->transfers;
	if (s->transfers != NULL) {
		s->transfers->prev = t;
	}
	s->transfers = t;
	rv = raft_node_transfer_leader(s->node, to);
	if (rv != 0) {
		transfer_free(t);
		reply_transfer_error(s, req, to, rv);
		return;
	}
	tv.tv_sec = s->tick_ms / 1000;
	tv.tv_usec = (s->tick_ms % 1000) * 1000;
	if (event_add(t->timer, &tv) != 0) {
		/* The transfer goes on; only its outcome cannot be told. */
		transfer_free(t);
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "the transfer started but cannot be "
				 "followed (out of memory)");
		return;
	}
	raft_log(RAFT_LOG_INFO, "leadership transfer%s asked by a client",
		 to != 0 ? " to a chosen node" : "");
}

/* ------------------------------------------------------------------------
 * reset-peers
 * ------------------------------------------------------------------------ */

/* Builds the forced configuration from the ids of peers (a JSON array):
 * each must be in this node's configuration, which gives its address and
 * role. Returns false with why set. */
static bool build_reset_conf(const struct raft_node_status *st,
			     const cJSON *peers,
			     struct raft_configuration *conf, char *why,
			     size_t why_len)
{
	const cJSON *item;
	unsigned n = 0;
	bool self = false;
	if (!cJSON_IsArray(peers) || cJSON_GetArraySize(peers) == 0) {
		snprintf(why, why_len,
			 "peers must be a non-empty list of member ids");
		return false;
	}
	cJSON_ArrayForEach(item, peers)
	{
		const struct raft_node_peer *p;
		double d;
		int rv;
		if (++n > RESET_PEERS_MAX) {
			snprintf(why, why_len, "peers lists more than %d ids",
				 RESET_PEERS_MAX);
			return false;
		}
		if (!http_json_whole_number(item, 1, HTTP_JSON_ID_MAX, &d)) {
			snprintf(why, why_len,
				 "peers: item %u is not a member id, a whole "
				 "number from 1 to 2^53",
				 n);
			return false;
		}
		if (raft_configuration_get(conf, (raft_id)d) != NULL) {
			snprintf(why, why_len,
				 "peers: node %llu is listed twice",
				 (unsigned long long)d);
			return false;
		}
		p = find_peer(st, (raft_id)d);
		if (p == NULL) {
			snprintf(why, why_len,
				 "peers: node %llu is not in this member's "
				 "configuration; list surviving members only "
				 "and add new ones afterwards",
				 (unsigned long long)d);
			return false;
		}
		self = self || p->id == st->core.id;
		rv = raft_configuration_add(conf, p->id, p->address, p->role);
		if (rv != 0) {
			snprintf(why, why_len, "peers: node %llu: %s",
				 (unsigned long long)d, raft_strerror(rv));
			return false;
		}
	}
	if (!self) {
		snprintf(why, why_len,
			 "peers must include this member (node %llu): the "
			 "configuration is forced on the member that receives "
			 "the request",
			 (unsigned long long)st->core.id);
		return false;
	}
	if (raft_configuration_get(conf, st->core.id)->role != RAFT_VOTER) {
		snprintf(why, why_len,
			 "this member (node %llu) is a learner: reset-peers "
			 "must run on a surviving voter",
			 (unsigned long long)st->core.id);
		return false;
	}
	return true;
}

void http_admin_reset_peers(struct http_server *s, struct httpd_request *req)
{
	struct field fields[] = {{"peers", NULL}, {"force", NULL}};
	struct raft_configuration conf;
	struct raft_node_status st;
	struct evbuffer *b;
	char why[400];
	bool answered;
	cJSON *root;
	int rv;

	if (s->node == NULL) {
		http_reply_error(s, req, 503, HTTP_ERR_SHUTTING_DOWN,
				 "the server is shutting down");
		return;
	}
	root = read_object(s, req, fields, 2, "peers and force", &answered);
	if (root == NULL) {
		if (!answered) {
			http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
					 "the body is empty; send {\"peers\": "
					 "[ID, ...], \"force\": true} "
					 "(nothing changed)");
		}
		return;
	}
	raft_configuration_init(&conf);
	raft_node_status(s->node, &st);
	why[0] = '\0';
	if (fields[1].item == NULL || !cJSON_IsTrue(fields[1].item)) {
		snprintf(why, sizeof(why),
			 "refusing without \"force\": true: forcing the "
			 "configuration without a quorum can lose committed "
			 "writes that only the members left out hold, and "
			 "those members must be wiped before they rejoin");
	} else if (fields[0].item == NULL) {
		snprintf(why, sizeof(why),
			 "peers is missing (the ids of the surviving "
			 "members)");
	} else {
		(void)build_reset_conf(&st, fields[0].item, &conf, why,
				       sizeof(why));
	}
	cJSON_Delete(root);
	if (why[0] != '\0') {
		raft_configuration_close(&conf);
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
				 "%s (nothing changed)", why);
		return;
	}
	rv = raft_node_reset_peers(s->node, &conf);
	raft_configuration_close(&conf);
	if (rv == RAFT_EINVAL) {
		/* build_reset_conf() checked what the node checks. */
		http_reply_error(s, req, 400, HTTP_ERR_BAD_REQUEST,
				 "the node refused the configuration as "
				 "invalid (nothing changed)");
		return;
	}
	if (rv != 0) {
		http_reply_node_error(s, req, rv);
		return;
	}
	b = evbuffer_new();
	if (b == NULL) {
		http_reply_error(s, req, 500, HTTP_ERR_INTERNAL,
				 "out of memory after the reset");
		return;
	}
	raft_node_status(s->node, &st);
	evbuffer_add_printf(b, "{\"reset\":true,\"id\":%llu,\"term\":%llu,",
			    (unsigned long long)st.core.id,
			    (unsigned long long)st.core.term);
	evbuffer_add_printf(b, "\"members\":");
	http_status_add_members(b, &st);
	evbuffer_add_printf(b, "}\n");
	http_reply_json(s, req, 200, b);
	evbuffer_free(b);
}

/* ------------------------------------------------------------------------
 * Shutdown
 * ------------------------------------------------------------------------ */

void http_admin_detach(struct http_server *s)
{
	while (s->transfers != NULL) {
		http_reply_error(s, s->transfers->req, 503,
				 HTTP_ERR_SHUTTING_DOWN,
				 "the server is shutting down; the transfer "
				 "may or may not have happened");
		transfer_free(s->transfers);
	}
}

void http_admin_free(struct http_server *s)
{
	while (s->transfers != NULL) {
		transfer_free(s->transfers);
	}
	while (s->changes != NULL) {
		change_free(s->changes);
	}
}
