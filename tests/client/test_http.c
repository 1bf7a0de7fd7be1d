/* Tests of the client against scripted HTTP servers on 127.0.0.1: what it
 * sends, how it follows the leader, fails over, and maps answers to
 * errors. No raftd needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/decode.h"
#include "fake.h"
#include "harness.h"
#include "raft/client.h"
#include "raft/error.h"

static struct raft_client *client_for(const char *const *endpoints, unsigned n,
				      unsigned timeout_ms)
{
	struct raft_client_config config;
	struct raft_client *c = NULL;
	char errmsg[256];
	raft_client_config_defaults(&config);
	config.endpoints = endpoints;
	config.n_endpoints = n;
	config.timeout_ms = timeout_ms;
	if (raft_client_new(&config, &c, errmsg, sizeof(errmsg)) != 0) {
		harness_fail(__FILE__, __LINE__, "raft_client_new: %s", errmsg);
	}
	return c;
}

/* A client whose one endpoint is the fake server s. */
static struct raft_client *client_of(const struct fake *s, unsigned timeout_ms)
{
	const char *endpoints[1];
	endpoints[0] = s->url;
	return client_for(endpoints, 1, timeout_ms);
}

/* ------------------------------------------------------------------------
 * Scripts
 * ------------------------------------------------------------------------ */

/* The leader: writes answer {"index": 5, "term": 2}; reads answer the
 * value "v\0w" with X-Raft-Index 9; a transfer moves leadership from node
 * 1 to node 3. */
static long leader_fn(struct fake *f, const char *method, const char *target,
		      const char *body, size_t body_len, int n, char *out,
		      size_t out_len)
{
	(void)f;
	(void)body;
	(void)body_len;
	(void)n;
	if (strcmp(method, "GET") == 0) {
		return fake_answer(out, out_len, 200, "X-Raft-Index: 9\r\n",
				   "v\0w", 3);
	}
	if (strcmp(target, "/v1/leader/transfer") == 0) {
		return fake_json(out, out_len, 200, "",
				 "{\"leader_id\": 3, \"leader_url\": "
				 "\"http://127.0.0.1:1\", "
				 "\"previous_leader_id\": 1, \"term\": 4}");
	}
	return fake_json(out, out_len, 200, "", "{\"index\": 5, \"term\": 2}");
}

/* A follower that redirects to the leader (f->data) with a 307. */
static long redirect_fn(struct fake *f, const char *method, const char *target,
			const char *body, size_t body_len, int n, char *out,
			size_t out_len)
{
	const struct fake *leader = f->data;
	char headers[1200];
	(void)method;
	(void)body;
	(void)body_len;
	(void)n;
	snprintf(headers, sizeof(headers), "Location: %s%s\r\n", leader->url,
		 target);
	return fake_json(out, out_len, 307, headers,
			 "{\"error\": {\"code\": \"not_leader\", \"message\": "
			 "\"node 1 is the leader\"}}");
}

/* A follower that names the leader (f->data) in a 503 error body. */
static long leader_url_fn(struct fake *f, const char *method,
			  const char *target, const char *body, size_t body_len,
			  int n, char *out, size_t out_len)
{
	const struct fake *leader = f->data;
	char json[512];
	(void)method;
	(void)target;
	(void)body;
	(void)body_len;
	(void)n;
	snprintf(json, sizeof(json),
		 "{\"error\": {\"code\": \"not_leader\", \"message\": \"not "
		 "me\", \"leader_id\": 1, \"leader_url\": \"%s\"}}",
		 leader->url);
	return fake_json(out, out_len, 503, "", json);
}

/* A fixed answer. */
struct fixed {
	int status;
	const char *body;
};

/* Answers each request with the struct fixed in f->data. */
static long fixed_fn(struct fake *f, const char *method, const char *target,
		     const char *body, size_t body_len, int n, char *out,
		     size_t out_len)
{
	const struct fixed *a = f->data;
	(void)method;
	(void)target;
	(void)body;
	(void)body_len;
	(void)n;
	return fake_answer(out, out_len, a->status, "", a->body,
			   strlen(a->body));
}

/* No leader for the first two requests, then a leader. */
static long election_fn(struct fake *f, const char *method, const char *target,
			const char *body, size_t body_len, int n, char *out,
			size_t out_len)
{
	if (n < 2) {
		return fake_json(out, out_len, 503, "",
				 "{\"error\": {\"code\": \"no_leader\", "
				 "\"message\": \"no leader is known right "
				 "now; retry shortly\"}}");
	}
	return leader_fn(f, method, target, body, body_len, n, out, out_len);
}

/* Redirects twice to a leader that is gone (f->data: its URL), then
 * answers as the new leader. */
static long stale_leader_fn(struct fake *f, const char *method,
			    const char *target, const char *body,
			    size_t body_len, int n, char *out, size_t out_len)
{
	char headers[1200];
	if (n >= 2) {
		return leader_fn(f, method, target, body, body_len, n, out,
				 out_len);
	}
	snprintf(headers, sizeof(headers), "Location: %s%s\r\n",
		 (const char *)f->data, target);
	return fake_json(out, out_len, 307, headers,
			 "{\"error\": {\"code\": \"not_leader\"}}");
}

/* Never answers. */
static long silent_fn(struct fake *f, const char *method, const char *target,
		      const char *body, size_t body_len, int n, char *out,
		      size_t out_len)
{
	(void)f;
	(void)method;
	(void)target;
	(void)body;
	(void)body_len;
	(void)n;
	(void)out;
	(void)out_len;
	return -1;
}

/* ------------------------------------------------------------------------
 * Cases
 * ------------------------------------------------------------------------ */

static void put_sends_key_percent_encoded_and_value_raw(void)
{
	struct fake leader;
	struct raft_client *c;
	struct raft_client_write w = {0, 0};

	fake_start(&leader, leader_fn, NULL);
	c = client_of(&leader, 2000);
	ASSERT_OK(raft_client_put(c, "a/b c\xff", 6, "x\0y", 3, &w));
	ASSERT_U64(w.index, 5);
	ASSERT_U64(w.term, 2);
	ASSERT_STR(leader.method, "PUT");
	ASSERT_STR(leader.target, "/v1/kv/a%2Fb%20c%FF");
	ASSERT_STR(leader.content_type, "application/octet-stream");
	ASSERT_U64(leader.body_len, 3);
	ASSERT_TRUE(memcmp(leader.body, "x\0y", 3) == 0);
	ASSERT_STR(raft_client_last_url(c), leader.url);

	ASSERT_OK(raft_client_put_if_equal(c, "k", 1, "o&d", 3, "", 0, NULL));
	ASSERT_STR(leader.target, "/v1/kv/k?prev=o%26d");
	ASSERT_U64(leader.body_len, 0);
	ASSERT_OK(raft_client_put_if_absent(c, "k", 1, "v", 1, NULL));
	ASSERT_STR(leader.target, "/v1/kv/k?if_absent=true");
	ASSERT_OK(raft_client_delete(c, "k", 1, &w));
	ASSERT_STR(leader.method, "DELETE");
	ASSERT_STR(leader.target, "/v1/kv/k");
	raft_client_free(c);
	fake_stop(&leader);
}

static void get_returns_binary_value_and_index(void)
{
	struct fake leader;
	struct raft_client *c;
	struct raft_buf value = {NULL, 0};
	raft_index index = 0;

	fake_start(&leader, leader_fn, NULL);
	c = client_of(&leader, 2000);
	ASSERT_OK(raft_client_get(c, "k", 1, RAFT_CLIENT_LINEARIZABLE, &value,
				  &index));
	ASSERT_U64(value.len, 3);
	ASSERT_TRUE(memcmp(value.base, "v\0w", 4) == 0); /* and a NUL */
	ASSERT_U64(index, 9);
	ASSERT_STR(leader.target, "/v1/kv/k");
	raft_free(value.base);
	ASSERT_OK(raft_client_get(c, "k", 1, RAFT_CLIENT_STALE, &value, NULL));
	ASSERT_STR(leader.target, "/v1/kv/k?consistency=stale");
	raft_free(value.base);
	raft_client_free(c);
	fake_stop(&leader);
}

static void redirect_is_followed_and_leader_remembered(void)
{
	struct fake leader;
	struct fake follower;
	struct raft_client *c;

	fake_start(&leader, leader_fn, NULL);
	fake_start(&follower, redirect_fn, &leader);
	c = client_of(&follower, 2000);
	ASSERT_OK(raft_client_put(c, "k", 1, "v", 1, NULL));
	ASSERT_RV(fake_requests(&follower), 1);
	ASSERT_RV(fake_requests(&leader), 1);
	ASSERT_STR(leader.method, "PUT");
	ASSERT_U64(leader.body_len, 1);
	ASSERT_STR(raft_client_last_url(c), leader.url);
	/* The next call goes to the leader directly. */
	ASSERT_OK(raft_client_put(c, "k", 1, "v", 1, NULL));
	ASSERT_RV(fake_requests(&follower), 1);
	ASSERT_RV(fake_requests(&leader), 2);
	raft_client_free(c);
	fake_stop(&follower);
	fake_stop(&leader);
}

static void leader_url_of_an_error_is_followed(void)
{
	struct raft_client_transfer t;
	struct fake leader;
	struct fake follower;
	struct raft_client *c;

	fake_start(&leader, leader_fn, NULL);
	fake_start(&follower, leader_url_fn, &leader);
	c = client_of(&follower, 2000);
	ASSERT_OK(raft_client_transfer_leader(c, 3, &t));
	ASSERT_U64(t.leader_id, 3);
	ASSERT_U64(t.previous_leader_id, 1);
	ASSERT_U64(t.term, 4);
	ASSERT_RV(fake_requests(&leader), 1);
	ASSERT_STR(leader.method, "POST");
	ASSERT_STR(leader.target, "/v1/leader/transfer");
	ASSERT_STR(leader.content_type, "application/json");
	ASSERT_TRUE(leader.body_len == 8 &&
		    memcmp(leader.body, "{\"to\":3}", 8) == 0);
	raft_client_free(c);
	fake_stop(&follower);
	fake_stop(&leader);
}

static void redirect_to_a_dead_leader_waits_for_the_new_one(void)
{
	struct fake follower;
	struct raft_client *c;
	char dead[64];
	char want[256];

	snprintf(dead, sizeof(dead), "http://127.0.0.1:%u", fake_dead_port());
	fake_start(&follower, stale_leader_fn, dead);
	c = client_of(&follower, 3000);
	ASSERT_OK(raft_client_put(c, "k", 1, "v", 1, NULL));
	ASSERT_RV(fake_requests(&follower), 3);
	ASSERT_STR(raft_client_last_url(c), follower.url);
	raft_client_free(c);

	/* Without time to wait for a new leader, the call says so. */
	follower.n_requests = 0;
	c = client_of(&follower, 40);
	ASSERT_RV(raft_client_put(c, "k", 1, "v", 1, NULL), RAFT_ENOTLEADER);
	snprintf(want, sizeof(want),
		 "no leader reachable within 40 ms: %s: Connection refused",
		 dead);
	ASSERT_STR(raft_client_errmsg(c), want);
	raft_client_free(c);
	fake_stop(&follower);
}

static void unreachable_endpoint_is_skipped(void)
{
	struct fake leader;
	struct raft_client *c;
	char dead[64];
	const char *endpoints[2];

	fake_start(&leader, leader_fn, NULL);
	snprintf(dead, sizeof(dead), "127.0.0.1:%u", fake_dead_port());
	endpoints[0] = dead;
	endpoints[1] = leader.url;
	c = client_for(endpoints, 2, 2000);
	ASSERT_OK(raft_client_put(c, "k", 1, "v", 1, NULL));
	ASSERT_STR(raft_client_last_url(c), leader.url);
	/* The endpoint that answered comes first from now on. */
	ASSERT_OK(raft_client_delete(c, "k", 1, NULL));
	ASSERT_RV(fake_requests(&leader), 2);
	raft_client_free(c);
	fake_stop(&leader);
}

static void all_unreachable_lists_every_failure(void)
{
	struct raft_client *c;
	struct raft_buf value;
	char a[64];
	char b[64];
	char want[256];
	const char *endpoints[2];
	unsigned pa = fake_dead_port();
	unsigned pb = fake_dead_port();

	snprintf(a, sizeof(a), "127.0.0.1:%u", pa);
	snprintf(b, sizeof(b), "127.0.0.1:%u", pb);
	endpoints[0] = a;
	endpoints[1] = b;
	c = client_for(endpoints, 2, 2000);
	ASSERT_RV(
	    raft_client_get(c, "k", 1, RAFT_CLIENT_LINEARIZABLE, &value, NULL),
	    RAFT_EIO);
	snprintf(want, sizeof(want),
		 "no endpoint answered: http://%s: Connection refused; "
		 "http://%s: Connection refused",
		 a, b);
	ASSERT_STR(raft_client_errmsg(c), want);
	raft_client_free(c);

	c = client_for(endpoints, 1, 2000);
	ASSERT_RV(raft_client_put(c, "k", 1, "v", 1, NULL), RAFT_EIO);
	snprintf(want, sizeof(want), "http://%s: Connection refused", a);
	ASSERT_STR(raft_client_errmsg(c), want);
	raft_client_free(c);
}

static void server_errors_map_to_codes_with_its_message(void)
{
	static const struct fixed not_found = {
	    404, "{\"error\":{\"code\":\"not_found\",\"message\":\"no key "
		 "\\\"k\\\"\"}}"};
	static const struct fixed compare = {
	    409, "{\"error\":{\"code\":\"compare_failed\",\"message\":"
		 "\"value differs\"}}"};
	static const struct fixed exists = {
	    409, "{\"error\":{\"code\":\"already_exists\",\"message\":\"k "
		 "exists\"}}"};
	static const struct fixed proxy = {502, "<html>"};
	struct fake s;
	struct raft_client *c;
	struct raft_buf value;
	char want[128];

	fake_start(&s, fixed_fn, (void *)&not_found);
	c = client_of(&s, 2000);
	ASSERT_RV(
	    raft_client_get(c, "k", 1, RAFT_CLIENT_LINEARIZABLE, &value, NULL),
	    RAFT_ENOTFOUND);
	ASSERT_STR(raft_client_errmsg(c), "no key \"k\"");
	s.data = (void *)&compare;
	ASSERT_RV(raft_client_put_if_equal(c, "k", 1, "a", 1, "b", 1, NULL),
		  CLIENT_ECOMPARE);
	ASSERT_STR(raft_client_errmsg(c), "value differs");
	s.data = (void *)&exists;
	ASSERT_RV(raft_client_put_if_absent(c, "k", 1, "b", 1, NULL),
		  RAFT_EEXIST);
	ASSERT_STR(raft_client_errmsg(c), "k exists");
	s.data = (void *)&proxy;
	ASSERT_RV(raft_client_delete(c, "k", 1, NULL), RAFT_EIO);
	snprintf(want, sizeof(want), "%s answered HTTP 502", s.url);
	ASSERT_STR(raft_client_errmsg(c), want);
	raft_client_free(c);
	fake_stop(&s);
}

static void not_implemented_says_so(void)
{
	static const struct fixed answer = {
	    501, "{\"error\":{\"code\":\"not_implemented\",\"message\":\"POST "
		 "/v1/snapshot is not implemented yet\"}}"};
	struct fake s;
	struct raft_client *c;
	raft_id peers[] = {1, 2};
	const char *reset_body = "{\"peers\":[1,2],\"force\":true}";

	fake_start(&s, fixed_fn, (void *)&answer);
	c = client_of(&s, 2000);
	ASSERT_RV(raft_client_snapshot(c, 0, NULL), CLIENT_ENOTSUP);
	ASSERT_STR(raft_client_errmsg(c),
		   "not supported by this server: POST /v1/snapshot is not "
		   "implemented yet");
	ASSERT_RV(raft_client_reset_peers(c, s.url, peers, 2), CLIENT_ENOTSUP);
	ASSERT_STR(s.target, "/v1/reset-peers");
	ASSERT_U64(s.body_len, strlen(reset_body));
	ASSERT_TRUE(memcmp(s.body, reset_body, s.body_len) == 0);
	ASSERT_RV(raft_client_member_add(c, 4, "127.0.0.1:9004",
					 "http://127.0.0.1:8004", true, NULL),
		  CLIENT_ENOTSUP);
	ASSERT_STR(s.target, "/v1/members");
	ASSERT_TRUE(strstr(s.body, "\"learner\":true") != NULL);
	ASSERT_RV(raft_client_member_promote(c, 4, NULL), CLIENT_ENOTSUP);
	ASSERT_STR(s.target, "/v1/members/4/promote");
	ASSERT_RV(raft_client_member_remove(c, 4, NULL), CLIENT_ENOTSUP);
	ASSERT_STR(s.method, "DELETE");
	ASSERT_STR(s.target, "/v1/members/4");
	raft_client_free(c);
	fake_stop(&s);
}

static void no_leader_is_retried_until_one_is_elected(void)
{
	struct fake s;
	struct raft_client *c;

	fake_start(&s, election_fn, NULL);
	c = client_of(&s, 3000);
	ASSERT_OK(raft_client_put(c, "k", 1, "v", 1, NULL));
	ASSERT_RV(fake_requests(&s), 3);
	raft_client_free(c);
	fake_stop(&s);
}

static void no_leader_until_the_timeout_fails(void)
{
	static const struct fixed answer = {
	    503, "{\"error\":{\"code\":\"no_leader\",\"message\":\"no leader "
		 "now\"}}"};
	struct fake s;
	struct raft_client *c;

	fake_start(&s, fixed_fn, (void *)&answer);
	c = client_of(&s, 300);
	ASSERT_RV(raft_client_put(c, "k", 1, "v", 1, NULL), RAFT_ENOTLEADER);
	ASSERT_STR(raft_client_errmsg(c), "no leader now");
	ASSERT_TRUE(fake_requests(&s) >= 2);
	raft_client_free(c);
	fake_stop(&s);
}

static void write_timeout_does_not_fail_over(void)
{
	struct fake silent;
	struct fake leader;
	struct raft_client *c;
	struct raft_buf value;
	char want[256];
	const char *endpoints[2];
	int rv;

	fake_start(&silent, silent_fn, NULL);
	fake_start(&leader, leader_fn, NULL);
	endpoints[0] = silent.url;
	endpoints[1] = leader.url;
	c = client_for(endpoints, 2, 300);
	ASSERT_RV(raft_client_put(c, "k", 1, "v", 1, NULL), RAFT_ETIMEDOUT);
	snprintf(want, sizeof(want),
		 "%s: no answer within 300 ms (the request may have been "
		 "applied)",
		 silent.url);
	ASSERT_STR(raft_client_errmsg(c), want);
	ASSERT_RV(fake_requests(&leader), 0);
	raft_client_free(c);

	/* A read may go elsewhere if time is left: whether the silent
	 * endpoint hangs for the whole budget or drops the connection early
	 * depends on when its thread gets to it, so both outcomes are right,
	 * and a read that succeeds must carry the leader's value. */
	c = client_for(endpoints, 2, 300);
	rv = raft_client_get(c, "k", 1, RAFT_CLIENT_LINEARIZABLE, &value, NULL);
	if (rv == 0) {
		ASSERT_TRUE(value.len == 3 &&
			    memcmp(value.base, "v\0w", 3) == 0);
		raft_free(value.base);
	} else {
		ASSERT_RV(rv, RAFT_ETIMEDOUT);
	}
	raft_client_free(c);
	fake_stop(&silent);
	fake_stop(&leader);
}

/* Status answers: node 1 (f->data: the URL list of members 2 and 3). */
static long status_fn(struct fake *f, const char *method, const char *target,
		      const char *body, size_t body_len, int n, char *out,
		      size_t out_len)
{
	const char *const *urls = f->data;
	char json[2048];
	(void)method;
	(void)target;
	(void)body;
	(void)body_len;
	(void)n;
	snprintf(json, sizeof(json),
		 "{\"id\": %s, \"state\": \"%s\", \"term\": 4, \"leader_id\": "
		 "1, \"commit_index\": 10, \"applied_index\": 10, "
		 "\"last_log_index\": 11, \"snapshot_index\": 0, \"members\": "
		 "[{\"id\": 1, \"peer_url\": \"p1\", \"client_url\": \"%s\", "
		 "\"voter\": true}, {\"id\": 2, \"peer_url\": \"p2\", "
		 "\"client_url\": \"%s\", \"voter\": true}, {\"id\": 3, "
		 "\"peer_url\": \"p3\", \"client_url\": \"%s\", \"voter\": "
		 "true}]}",
		 urls[3], urls[4], urls[0], urls[1], urls[2]);
	return fake_json(out, out_len, 200, "", json);
}

static void survey_finds_members_from_one_endpoint(void)
{
	struct fake n1;
	struct fake n2;
	struct raft_client *c;
	struct raft_client_cluster cl = {0, NULL};
	char dead[64];
	const char *urls1[5];
	const char *urls2[5];

	fake_start(&n1, status_fn, urls1);
	fake_start(&n2, status_fn, urls2);
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%u", fake_dead_port());
	urls1[0] = n1.url;
	urls1[1] = n2.url;
	urls1[2] = dead;
	urls1[3] = "1";
	urls1[4] = "leader";
	memcpy(urls2, urls1, sizeof(urls1));
	urls2[3] = "2";
	urls2[4] = "follower";
	/* Ask node 2 only: nodes 1 and 3 come from its member list. */
	c = client_of(&n2, 2000);
	ASSERT_OK(raft_client_status_all(c, &cl));
	ASSERT_U64(cl.n_nodes, 3);
	ASSERT_U64(cl.nodes[0].id, 1);
	ASSERT_RV(cl.nodes[0].err, 0);
	ASSERT_STR(cl.nodes[0].url, n1.url);
	ASSERT_STR(cl.nodes[0].status.state, "leader");
	ASSERT_U64(cl.nodes[0].status.last_log_index, 11);
	ASSERT_U64(cl.nodes[1].id, 2);
	ASSERT_STR(cl.nodes[1].status.state, "follower");
	ASSERT_U64(cl.nodes[2].id, 3);
	ASSERT_RV(cl.nodes[2].err, RAFT_EIO);
	ASSERT_STR(cl.nodes[2].errmsg, "Connection refused");
	ASSERT_STR(cl.nodes[2].url, dead);
	raft_client_cluster_close(&cl);
	raft_client_free(c);
	fake_stop(&n1);
	fake_stop(&n2);
}

static void survey_with_nobody_answering_fails(void)
{
	struct raft_client *c;
	struct raft_client_cluster cl = {0, NULL};
	char dead[64];
	char want[128];
	const char *endpoints[1];

	snprintf(dead, sizeof(dead), "127.0.0.1:%u", fake_dead_port());
	endpoints[0] = dead;
	c = client_for(endpoints, 1, 2000);
	ASSERT_RV(raft_client_status_all(c, &cl), RAFT_EIO);
	snprintf(want, sizeof(want), "http://%s: Connection refused", dead);
	ASSERT_STR(raft_client_errmsg(c), want);
	ASSERT_TRUE(cl.nodes == NULL);
	raft_client_free(c);
}

/* A member for the snapshot tests: GET /v1/status answers a member list
 * (f->data: the client URLs of members 1 and 2, and the leader id as a
 * string); POST /v1/snapshot answers {"index": 100 + n}. */
static long snapshot_fn(struct fake *f, const char *method, const char *target,
			const char *body, size_t body_len, int n, char *out,
			size_t out_len)
{
	const char *const *urls = f->data;
	char json[1024];
	(void)body;
	(void)body_len;
	if (strcmp(method, "POST") == 0 &&
	    strcmp(target, "/v1/snapshot") == 0) {
		snprintf(json, sizeof(json), "{\"index\": %d}", 100 + n);
		return fake_json(out, out_len, 200, "", json);
	}
	snprintf(json, sizeof(json),
		 "{\"id\": 2, \"state\": \"follower\", \"term\": 4, "
		 "\"leader_id\": %s, \"commit_index\": 10, "
		 "\"applied_index\": 10, \"last_log_index\": 11, "
		 "\"members\": [{\"id\": 1, \"client_url\": \"%s\"}, "
		 "{\"id\": 2, \"client_url\": \"%s\"}]}",
		 urls[2], urls[0], urls[1]);
	return fake_json(out, out_len, 200, "", json);
}

static void snapshot_goes_to_the_member_itself(void)
{
	struct fake n1;
	struct fake n2;
	struct raft_client *c;
	const char *urls[3];
	raft_index index = 0;

	fake_start(&n1, snapshot_fn, urls);
	fake_start(&n2, snapshot_fn, urls);
	urls[0] = n1.url;
	urls[1] = n2.url;
	urls[2] = "1";
	c = client_of(&n2, 2000);
	/* Node 0 is the leader that the status names: member 1, although
	 * only member 2 is an endpoint. */
	ASSERT_OK(raft_client_snapshot(c, 0, &index));
	ASSERT_U64(index, 100);
	ASSERT_U64(fake_requests(&n1), 1);
	ASSERT_STR(n1.method, "POST");
	ASSERT_STR(n1.target, "/v1/snapshot");
	/* A member by id. */
	ASSERT_OK(raft_client_snapshot(c, 2, &index));
	ASSERT_STR(n2.method, "POST");
	ASSERT_STR(n2.target, "/v1/snapshot");
	ASSERT_U64(fake_requests(&n1), 1);
	/* No leader known. */
	urls[2] = "0";
	ASSERT_RV(raft_client_snapshot(c, 0, &index), RAFT_ENOTLEADER);
	ASSERT_STR(raft_client_errmsg(c), "no leader is known to snapshot");
	ASSERT_RV(raft_client_snapshot(c, 7, &index), RAFT_ENOTFOUND);
	ASSERT_STR(raft_client_errmsg(c), "node 7 is not a member");
	raft_client_free(c);
	fake_stop(&n1);
	fake_stop(&n2);
}

/* Answers membership changes as raftd does: f->data holds the answer of
 * each (struct fixed, by request number, the last repeated). */
struct script {
	const struct fixed *answers;
	int n;
};

static long script_fn(struct fake *f, const char *method, const char *target,
		      const char *body, size_t body_len, int n, char *out,
		      size_t out_len)
{
	const struct script *sc = f->data;
	const struct fixed *a = &sc->answers[n < sc->n ? n : sc->n - 1];
	(void)method;
	(void)target;
	(void)body;
	(void)body_len;
	return fake_answer(out, out_len, a->status, "", a->body,
			   strlen(a->body));
}

static void membership_changes_send_what_raftd_takes(void)
{
	static const struct fixed answers[] = {
	    {200,
	     "{\"change\":\"add\",\"id\":4,\"peer_url\":\"127.0.0.1:9004\","
	     "\"client_url\":\"http://127.0.0.1:8004\",\"voter\":false,"
	     "\"learner\":true,\"index\":12,\"term\":3}"},
	    {200, "{\"change\":\"promote\",\"id\":4,\"voter\":true,"
		  "\"learner\":false,\"index\":14,\"term\":3}"},
	    {200, "{\"change\":\"remove\",\"id\":4,\"index\":15,\"term\":3}"},
	};
	static const char add_body[] =
	    "{\"id\":4,\"peer_url\":\"127.0.0.1:9004\",\"client_url\":"
	    "\"http://127.0.0.1:8004\",\"learner\":true}";
	struct script sc = {answers, 3};
	struct raft_client_write w = {0, 0};
	struct fake s;
	struct raft_client *c;

	fake_start(&s, script_fn, &sc);
	c = client_of(&s, 2000);
	ASSERT_OK(raft_client_member_add(c, 4, "127.0.0.1:9004",
					 "http://127.0.0.1:8004", true, &w));
	ASSERT_STR(s.method, "POST");
	ASSERT_STR(s.target, "/v1/members");
	ASSERT_STR(s.content_type, "application/json");
	ASSERT_U64(s.body_len, strlen(add_body));
	ASSERT_TRUE(memcmp(s.body, add_body, s.body_len) == 0);
	ASSERT_U64(w.index, 12);
	ASSERT_U64(w.term, 3);
	ASSERT_OK(raft_client_member_promote(c, 4, &w));
	ASSERT_STR(s.method, "POST");
	ASSERT_STR(s.target, "/v1/members/4/promote");
	ASSERT_U64(s.body_len, 0);
	ASSERT_U64(w.index, 14);
	ASSERT_OK(raft_client_member_remove(c, 4, &w));
	ASSERT_STR(s.method, "DELETE");
	ASSERT_STR(s.target, "/v1/members/4");
	ASSERT_U64(w.index, 15);
	ASSERT_OK(raft_client_member_remove(c, 4, NULL));
	raft_client_free(c);
	fake_stop(&s);
}

/* Each refusal raftd sends for a change maps to its own code, with the
 * server's message, and is not retried. */
static void membership_refusals_map_to_codes(void)
{
	static const struct {
		struct fixed answer;
		int rv;
	} cases[] = {
	    {{409, "{\"error\":{\"code\":\"already_exists\",\"message\":"
		   "\"node 4 is already a member (nothing changed)\"}}"},
	     RAFT_EEXIST},
	    {{409, "{\"error\":{\"code\":\"busy\",\"message\":\"one change at "
		   "a time\"}}"},
	     RAFT_EBUSY},
	    {{409, "{\"error\":{\"code\":\"lagging\",\"message\":\"node 4 is "
		   "5000 entries behind the leader\"}}"},
	     RAFT_ELAGGING},
	    {{503, "{\"error\":{\"code\":\"unavailable\",\"message\":\"node 4 "
		   "has not answered\"}}"},
	     RAFT_EUNAVAILABLE},
	    {{404, "{\"error\":{\"code\":\"not_member\",\"message\":\"node 9 "
		   "is not a member\"}}"},
	     RAFT_ENOTFOUND},
	    {{400, "{\"error\":{\"code\":\"bad_request\",\"message\":\"node 1 "
		   "is the last voter\"}}"},
	     RAFT_EINVAL},
	    {{503, "{\"error\":{\"code\":\"leader_changed\",\"message\":\"it "
		   "was not made\"}}"},
	     RAFT_ELEADERCHANGED},
	    {{503, "{\"error\":{\"code\":\"timeout\",\"message\":\"not "
		   "committed within 5000 ms\"}}"},
	     RAFT_ETIMEDOUT},
	};
	struct fake s;
	struct raft_client *c;
	char want[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *m = strstr(cases[i].answer.body, "\"message\":\"");
		size_t len = strlen(m + 11) - 3;
		fake_start(&s, fixed_fn, (void *)&cases[i].answer);
		c = client_of(&s, 2000);
		ASSERT_RV(raft_client_member_promote(c, 4, NULL), cases[i].rv);
		snprintf(want, sizeof(want), "%.*s", (int)len, m + 11);
		ASSERT_STR(raft_client_errmsg(c), want);
		ASSERT_RV(fake_requests(&s), 1);
		raft_client_free(c);
		fake_stop(&s);
	}
}

static void transfer_that_did_not_happen_fails_once(void)
{
	static const struct fixed failed = {
	    503, "{\"error\":{\"code\":\"transfer_failed\",\"message\":\"the "
		 "transfer to node 2 did not happen within 1000 ms: node 1 "
		 "still leads (term 3)\",\"leader_id\":1,\"leader_url\":"
		 "\"http://127.0.0.1:1\"}}"};
	static const struct fixed garbled = {200, "{\"term\": 3}"};
	struct raft_client_transfer t = {7, 7, 7};
	struct fake s;
	struct raft_client *c;

	fake_start(&s, fixed_fn, (void *)&failed);
	c = client_of(&s, 2000);
	ASSERT_RV(raft_client_transfer_leader(c, 2, &t), RAFT_ETIMEDOUT);
	ASSERT_STR(raft_client_errmsg(c),
		   "the transfer to node 2 did not happen within 1000 ms: "
		   "node 1 still leads (term 3)");
	ASSERT_RV(fake_requests(&s), 1);
	ASSERT_U64(t.leader_id, 7);
	ASSERT_STR(s.target, "/v1/leader/transfer");
	ASSERT_TRUE(s.body_len == 8 && memcmp(s.body, "{\"to\":2}", 8) == 0);
	raft_client_free(c);
	fake_stop(&s);

	/* No "to": the server picks; an answer without the leader is
	 * refused. */
	fake_start(&s, fixed_fn, (void *)&garbled);
	c = client_of(&s, 2000);
	ASSERT_RV(raft_client_transfer_leader(c, 0, NULL), RAFT_EPROTO);
	ASSERT_TRUE(s.body_len == 2 && memcmp(s.body, "{}", 2) == 0);
	ASSERT_TRUE(strstr(raft_client_errmsg(c), "missing \"leader_id\"") !=
		    NULL);
	raft_client_free(c);
	fake_stop(&s);
}

/* A change sent to a follower reaches the leader with its body. */
static void membership_change_follows_the_redirect(void)
{
	struct fake leader;
	struct fake follower;
	struct raft_client *c;
	struct raft_client_write w = {0, 0};

	fake_start(&leader, leader_fn, NULL);
	fake_start(&follower, redirect_fn, &leader);
	c = client_of(&follower, 2000);
	ASSERT_OK(raft_client_member_add(c, 5, "127.0.0.1:9005",
					 "127.0.0.1:8005", false, &w));
	ASSERT_RV(fake_requests(&leader), 1);
	ASSERT_STR(leader.method, "POST");
	ASSERT_STR(leader.target, "/v1/members");
	ASSERT_TRUE(strstr(leader.body, "\"learner\":false") != NULL);
	ASSERT_U64(w.index, 5);
	raft_client_free(c);
	fake_stop(&follower);
	fake_stop(&leader);
}

/* GET /v1/members from a follower that names its leader (f->data). */
static long members_follower_fn(struct fake *f, const char *method,
				const char *target, const char *body,
				size_t body_len, int n, char *out,
				size_t out_len)
{
	const struct fake *leader = f->data;
	char json[1024];
	(void)method;
	(void)target;
	(void)body;
	(void)body_len;
	(void)n;
	snprintf(json, sizeof(json),
		 "{\"id\":2,\"leader_id\":1,\"members\":["
		 "{\"id\":1,\"peer_url\":\"127.0.0.1:9001\",\"client_url\":"
		 "\"%s\",\"voter\":true},"
		 "{\"id\":2,\"peer_url\":\"127.0.0.1:9002\",\"client_url\":"
		 "\"%s\",\"voter\":true}]}",
		 leader->url, f->url);
	return fake_json(out, out_len, 200, "", json);
}

static long members_leader_fn(struct fake *f, const char *method,
			      const char *target, const char *body,
			      size_t body_len, int n, char *out, size_t out_len)
{
	(void)f;
	(void)method;
	(void)target;
	(void)body;
	(void)body_len;
	(void)n;
	return fake_json(
	    out, out_len, 200, "",
	    "{\"id\":1,\"leader_id\":1,\"members\":["
	    "{\"id\":1,\"peer_url\":\"127.0.0.1:9001\","
	    "\"client_url\":\"http://127.0.0.1:1\",\"voter\":true,"
	    "\"match_index\":9,\"next_index\":10,\"healthy\":true},"
	    "{\"id\":2,\"peer_url\":\"127.0.0.1:9002\","
	    "\"client_url\":\"http://127.0.0.1:2\",\"voter\":true,"
	    "\"match_index\":9,\"next_index\":10,\"healthy\":true},"
	    "{\"id\":4,\"peer_url\":\"127.0.0.1:9004\","
	    "\"client_url\":\"http://127.0.0.1:4\",\"voter\":false,"
	    "\"match_index\":3,\"next_index\":4,\"healthy\":true}]}");
}

/* A follower's member list names the leader: the leader's own list,
 * with progress, is what the call returns; without the leader, the
 * follower's. */
static void member_list_asks_the_leader_a_follower_names(void)
{
	struct raft_client_members m = {0, NULL};
	struct fake leader;
	struct fake follower;
	struct raft_client *c;

	fake_start(&leader, members_leader_fn, NULL);
	fake_start(&follower, members_follower_fn, &leader);
	c = client_of(&follower, 2000);
	ASSERT_OK(raft_client_member_list(c, &m));
	ASSERT_U64(m.n_members, 3);
	ASSERT_TRUE(m.members[2].have_progress);
	ASSERT_U64(m.members[2].match_index, 3);
	ASSERT_TRUE(!m.members[2].voter);
	ASSERT_RV(fake_requests(&follower), 1);
	ASSERT_RV(fake_requests(&leader), 1);
	ASSERT_STR(leader.target, "/v1/members");
	ASSERT_STR(raft_client_errmsg(c), "");
	raft_client_members_close(&m);
	fake_stop(&leader);
	/* The leader is gone: the follower's view it is. */
	ASSERT_OK(raft_client_member_list(c, &m));
	ASSERT_U64(m.n_members, 2);
	ASSERT_TRUE(!m.members[0].have_progress);
	ASSERT_STR(raft_client_errmsg(c), "");
	raft_client_members_close(&m);
	raft_client_free(c);
	fake_stop(&follower);
}

static const struct harness_case cases[] = {
    HARNESS_CASE(put_sends_key_percent_encoded_and_value_raw),
    HARNESS_CASE(get_returns_binary_value_and_index),
    HARNESS_CASE(redirect_is_followed_and_leader_remembered),
    HARNESS_CASE(leader_url_of_an_error_is_followed),
    HARNESS_CASE(redirect_to_a_dead_leader_waits_for_the_new_one),
    HARNESS_CASE(unreachable_endpoint_is_skipped),
    HARNESS_CASE(all_unreachable_lists_every_failure),
    HARNESS_CASE(server_errors_map_to_codes_with_its_message),
    HARNESS_CASE(not_implemented_says_so),
    HARNESS_CASE(no_leader_is_retried_until_one_is_elected),
    HARNESS_CASE(no_leader_until_the_timeout_fails),
    HARNESS_CASE(write_timeout_does_not_fail_over),
    HARNESS_CASE(survey_finds_members_from_one_endpoint),
    HARNESS_CASE(survey_with_nobody_answering_fails),
    HARNESS_CASE(snapshot_goes_to_the_member_itself),
    HARNESS_CASE(membership_changes_send_what_raftd_takes),
    HARNESS_CASE(membership_refusals_map_to_codes),
    HARNESS_CASE(transfer_that_did_not_happen_fails_once),
    HARNESS_CASE(membership_change_follows_the_redirect),
    HARNESS_CASE(member_list_asks_the_leader_a_follower_names),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases);
}
