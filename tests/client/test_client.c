/* Tests of lib/client's pure parts: endpoints and URLs, percent-encoding,
 * decoding of raftd's JSON answers, error mapping, argument checks made
 * before anything is sent. */
#include <stdio.h>
#include <stdlib.h>

#include "client/buf.h"
#include "client/decode.h"
#include "client/url.h"
#include "harness.h"
#include "raft/client.h"
#include "raft/error.h"
#include "util/heap.h"

/* ------------------------------------------------------------------------
 * Endpoints and URLs
 * ------------------------------------------------------------------------ */

/* Parses spec and checks the normalized URL. */
static void check_endpoint(const char *spec, const char *want)
{
	char errmsg[256] = "";
	char *url = NULL;
	int rv = url_parse_endpoint(spec, &url, errmsg, sizeof(errmsg));
	if (rv != 0) {
		harness_fail(__FILE__, __LINE__, "\"%s\": %s: %s", spec,
			     harness_rv_name(rv), errmsg);
	}
	if (strcmp(url, want) != 0) {
		char got[256];
		snprintf(got, sizeof(got), "%s", url);
		raft_free(url);
		harness_fail(__FILE__, __LINE__,
			     "\"%s\" gives \"%s\", not \"%s\"", spec, got,
			     want);
	}
	raft_free(url);
}

/* Checks that spec is refused with exactly want as the message. */
static void check_bad_endpoint(const char *spec, const char *want)
{
	char errmsg[256] = "";
	char *url = NULL;
	int rv = url_parse_endpoint(spec, &url, errmsg, sizeof(errmsg));
	if (rv == 0) {
		raft_free(url);
		harness_fail(__FILE__, __LINE__, "\"%s\" was accepted", spec);
	}
	ASSERT_RV(rv, RAFT_EINVAL);
	ASSERT_STR(errmsg, want);
}

static void endpoint_host_port_becomes_http_url(void)
{
	check_endpoint("127.0.0.1:8001", "http://127.0.0.1:8001");
	check_endpoint("LocalHost:80", "http://localhost:80");
	check_endpoint("node-1.example_x.org:65535",
		       "http://node-1.example_x.org:65535");
}

static void endpoint_ipv6_needs_brackets(void)
{
	check_endpoint("[::1]:8001", "http://[::1]:8001");
	check_endpoint("[FE80::1]:9", "http://[fe80::1]:9");
	check_bad_endpoint("::1:8001",
			   "an IPv6 address needs brackets ([ADDR]:PORT)");
	check_bad_endpoint("[::1:8001", "unclosed '[' in host");
	check_bad_endpoint("[]:1", "bad IPv6 address \"[]\"");
	check_bad_endpoint("[::1]x", "bad 'x' after ']'");
}

static void endpoint_urls_are_normalized(void)
{
	check_endpoint("http://127.0.0.1:8001", "http://127.0.0.1:8001");
	check_endpoint("http://127.0.0.1:8001/", "http://127.0.0.1:8001");
	check_endpoint("HTTP://Node1:08001/", "http://node1:8001");
	check_endpoint("https://node1", "https://node1:443");
	check_endpoint("http://node1", "http://node1:80");
	check_endpoint("http://[::1]/", "http://[::1]:80");
}

static void endpoint_errors_say_why(void)
{
	check_bad_endpoint("", "empty endpoint");
	check_bad_endpoint("node1", "missing port (want HOST:PORT)");
	check_bad_endpoint("node1:", "missing port (want HOST:PORT)");
	check_bad_endpoint(":8001", "missing host");
	check_bad_endpoint("node1:http", "port \"http\" is not a number");
	check_bad_endpoint("node1:-1", "port \"-1\" is not a number");
	check_bad_endpoint("node1: 80", "port \" 80\" is not a number");
	check_bad_endpoint("node1:0", "port 0 is out of range (1..65535)");
	check_bad_endpoint("node1:65536",
			   "port 65536 is out of range (1..65535)");
	check_bad_endpoint("node1:99999999999999999999",
			   "port 99999999999999999999 is out of range "
			   "(1..65535)");
	check_bad_endpoint("ftp://node1:21",
			   "unsupported scheme \"ftp\" (want http or https)");
	check_bad_endpoint("http://node1:80/v1",
			   "a path is not allowed (\"/v1\")");
	check_bad_endpoint("http://node1:80?x=1",
			   "a path is not allowed (\"?x=1\")");
	check_bad_endpoint("http://", "missing host");
	check_bad_endpoint("http://user@node1:80", "user info is not allowed");
	check_bad_endpoint("no de:1", "bad ' ' in host \"no de\"");
	check_bad_endpoint("n\x01:1", "bad byte 0x01 in host \"n\x01\"");
}

static void base_of_location_keeps_scheme_and_authority(void)
{
	char errmsg[256];
	char *url = NULL;
	ASSERT_OK(url_parse_base("http://127.0.0.1:8002/v1/kv/a%2Fb?prev=x",
				 &url, errmsg, sizeof(errmsg)));
	ASSERT_STR(url, "http://127.0.0.1:8002");
	raft_free(url);
	ASSERT_OK(
	    url_parse_base("https://Leader", &url, errmsg, sizeof(errmsg)));
	ASSERT_STR(url, "https://leader:443");
	raft_free(url);
	ASSERT_RV(url_parse_base("/v1/kv/a", &url, errmsg, sizeof(errmsg)),
		  RAFT_EINVAL);
	ASSERT_STR(errmsg, "not an absolute URL");
	ASSERT_RV(
	    url_parse_base("/x?u=http://a:1", &url, errmsg, sizeof(errmsg)),
	    RAFT_EINVAL);
	ASSERT_RV(url_parse_base("gopher://a:1/", &url, errmsg, sizeof(errmsg)),
		  RAFT_EINVAL);
}

/* ------------------------------------------------------------------------
 * Percent-encoding
 * ------------------------------------------------------------------------ */

static void check_encode(const void *data, size_t len, const char *want)
{
	struct buf b;
	buf_init(&b);
	ASSERT_OK(url_encode(&b, data, len));
	ASSERT_STR(b.data != NULL ? b.data : "", want);
	buf_close(&b);
}

static void percent_encoding_keeps_only_unreserved_bytes(void)
{
	check_encode("AZaz09-._~", 10, "AZaz09-._~");
	check_encode("a/b c", 5, "a%2Fb%20c");
	check_encode("%", 1, "%25");
	check_encode("?&=#+", 5, "%3F%26%3D%23%2B");
	check_encode("..", 2, "..");
	check_encode("", 0, "");
}

static void percent_encoding_is_binary_safe(void)
{
	static const unsigned char bytes[] = {0x00, 0x0a, 0x7f, 0x80, 0xff};
	check_encode(bytes, sizeof(bytes), "%00%0A%7F%80%FF");
	check_encode("\xc3\xa9", 2, "%C3%A9");
}

/* ------------------------------------------------------------------------
 * Buffers
 * ------------------------------------------------------------------------ */

static void buf_grows_and_hands_over(void)
{
	struct buf b;
	char *data;
	size_t len;
	int i;
	buf_init(&b);
	for (i = 0; i < 100; i++) {
		ASSERT_OK(buf_printf(&b, "%d,", i));
	}
	ASSERT_U64(b.len, 290);
	ASSERT_OK(buf_take(&b, &data, &len));
	ASSERT_U64(len, 290);
	ASSERT_TRUE(strncmp(data, "0,1,2,", 6) == 0);
	ASSERT_TRUE(data[len] == '\0');
	ASSERT_TRUE(b.data == NULL && b.len == 0);
	raft_free(data);
	/* An empty buffer hands over an empty string. */
	ASSERT_OK(buf_take(&b, &data, &len));
	ASSERT_STR(data, "");
	raft_free(data);
}

static void buf_fails_cleanly_without_memory(void)
{
	struct buf b;
	buf_init(&b);
	ASSERT_OK(buf_puts(&b, "abc"));
	heap_fault_config(0, 1);
	ASSERT_RV(buf_append(&b, "x", 100), RAFT_ENOMEM);
	ASSERT_STR(b.data, "abc");
	buf_close(&b);
}

/* ------------------------------------------------------------------------
 * Decoding answers
 * ------------------------------------------------------------------------ */

static const char follower_status[] =
    "{\"id\": 2, \"state\": \"follower\", \"term\": 7, \"leader_id\": 1,"
    " \"commit_index\": 41, \"applied_index\": 40, \"last_log_index\": 42,"
    " \"snapshot_index\": 0,"
    " \"members\": ["
    "  {\"id\": 1, \"peer_url\": \"127.0.0.1:9001\","
    "   \"client_url\": \"http://127.0.0.1:8001\", \"voter\": true},"
    "  {\"id\": 2, \"peer_url\": \"127.0.0.1:9002\","
    "   \"client_url\": \"http://127.0.0.1:8002\", \"voter\": true},"
    "  {\"id\": 4, \"peer_url\": \"127.0.0.1:9004\","
    "   \"client_url\": \"http://127.0.0.1:8004\", \"voter\": false}]}";

static const char leader_status[] =
    "{\"id\": 1, \"state\": \"leader\", \"term\": 7, \"leader_id\": 1,"
    " \"commit_index\": 42, \"applied_index\": 42, \"last_log_index\": 42,"
    " \"snapshot_index\": 30, \"extra\": {\"ignored\": true},"
    " \"members\": ["
    "  {\"id\": 1, \"peer_url\": \"a\", \"client_url\": \"b\","
    "   \"voter\": true, \"match_index\": 42, \"next_index\": 43,"
    "   \"healthy\": true},"
    "  {\"id\": 3, \"peer_url\": \"c\", \"client_url\": \"d\","
    "   \"voter\": true, \"match_index\": 12, \"next_index\": 13,"
    "   \"healthy\": false}]}";

static void status_of_a_follower_is_decoded(void)
{
	struct raft_client_status st;
	char errmsg[256];
	ASSERT_OK(decode_status(follower_status, strlen(follower_status), &st,
				errmsg, sizeof(errmsg)));
	ASSERT_U64(st.id, 2);
	ASSERT_STR(st.state, "follower");
	ASSERT_U64(st.term, 7);
	ASSERT_U64(st.leader_id, 1);
	ASSERT_U64(st.commit_index, 41);
	ASSERT_U64(st.applied_index, 40);
	ASSERT_U64(st.last_log_index, 42);
	ASSERT_U64(st.snapshot_index, 0);
	ASSERT_U64(st.n_members, 3);
	ASSERT_U64(st.members[0].id, 1);
	ASSERT_STR(st.members[0].peer_url, "127.0.0.1:9001");
	ASSERT_STR(st.members[0].client_url, "http://127.0.0.1:8001");
	ASSERT_TRUE(st.members[0].voter);
	ASSERT_TRUE(!st.members[0].have_progress);
	ASSERT_U64(st.members[2].id, 4);
	ASSERT_TRUE(!st.members[2].voter);
	raft_client_status_close(&st);
	ASSERT_TRUE(st.state == NULL && st.members == NULL);
	/* Closing twice is harmless. */
	raft_client_status_close(&st);
}

static void status_of_a_leader_has_progress(void)
{
	struct raft_client_status st;
	char errmsg[256];
	ASSERT_OK(decode_status(leader_status, strlen(leader_status), &st,
				errmsg, sizeof(errmsg)));
	ASSERT_STR(st.state, "leader");
	ASSERT_U64(st.snapshot_index, 30);
	ASSERT_U64(st.n_members, 2);
	ASSERT_TRUE(st.members[0].have_progress);
	ASSERT_U64(st.members[0].match_index, 42);
	ASSERT_U64(st.members[0].next_index, 43);
	ASSERT_TRUE(st.members[0].healthy);
	ASSERT_U64(st.members[1].match_index, 12);
	ASSERT_TRUE(!st.members[1].healthy);
	raft_client_status_close(&st);
}

static void status_shows_snapshots_and_installs(void)
{
	static const char body[] =
	    "{\"id\": 1, \"state\": \"leader\", \"term\": 7, \"leader_id\": 1,"
	    " \"commit_index\": 42, \"applied_index\": 42,"
	    " \"last_log_index\": 42, \"first_log_index\": 20,"
	    " \"snapshot_index\": 30, \"snapshot_saving\": true,"
	    " \"installing\": {\"index\": 1200, \"received\": 450,"
	    " \"size\": 1000},"
	    " \"members\": ["
	    "  {\"id\": 2, \"voter\": true, \"match_index\": 0,"
	    "   \"next_index\": 1, \"healthy\": true, \"progress\": "
	    "\"snapshot\","
	    "   \"snapshot_sent\": 300, \"snapshot_size\": 900},"
	    "  {\"id\": 3, \"voter\": true, \"match_index\": 42,"
	    "   \"next_index\": 43, \"healthy\": true, \"progress\": "
	    "\"replicate\"}]}";
	struct raft_client_status st;
	char errmsg[256];
	ASSERT_OK(
	    decode_status(body, strlen(body), &st, errmsg, sizeof(errmsg)));
	ASSERT_U64(st.first_log_index, 20);
	ASSERT_U64(st.snapshot_index, 30);
	ASSERT_TRUE(st.snapshot_saving);
	ASSERT_TRUE(st.installing);
	ASSERT_U64(st.install_index, 1200);
	ASSERT_U64(st.install_received, 450);
	ASSERT_U64(st.install_size, 1000);
	ASSERT_TRUE(st.members[0].sending_snapshot);
	ASSERT_U64(st.members[0].snapshot_sent, 300);
	ASSERT_U64(st.members[0].snapshot_size, 900);
	ASSERT_TRUE(!st.members[1].sending_snapshot);
	raft_client_status_close(&st);

	/* Older servers say none of it; "installing" may be null. */
	ASSERT_OK(decode_status(leader_status, strlen(leader_status), &st,
				errmsg, sizeof(errmsg)));
	ASSERT_U64(st.first_log_index, 0);
	ASSERT_TRUE(!st.snapshot_saving && !st.installing);
	raft_client_status_close(&st);
}

static void status_with_optional_fields_missing(void)
{
	static const char body[] =
	    "{\"id\": 3, \"state\": \"candidate\", \"term\": 9,"
	    " \"leader_id\": null, \"commit_index\": 0,"
	    " \"applied_index\": 0, \"last_log_index\": 5}";
	struct raft_client_status st;
	char errmsg[256];
	ASSERT_OK(
	    decode_status(body, strlen(body), &st, errmsg, sizeof(errmsg)));
	ASSERT_U64(st.leader_id, 0);
	ASSERT_U64(st.snapshot_index, 0);
	ASSERT_U64(st.n_members, 0);
	ASSERT_TRUE(st.members == NULL);
	raft_client_status_close(&st);
}

static void check_bad_status(const char *body, const char *want)
{
	struct raft_client_status st;
	char errmsg[256] = "";
	ASSERT_RV(
	    decode_status(body, strlen(body), &st, errmsg, sizeof(errmsg)),
	    RAFT_EPROTO);
	ASSERT_STR(errmsg, want);
	ASSERT_TRUE(st.state == NULL && st.members == NULL);
}

static void status_errors_name_the_field(void)
{
	check_bad_status("", "the answer is not JSON");
	check_bad_status("<html>", "the answer is not JSON");
	check_bad_status("\"leader\"", "the answer is not a JSON object");
	check_bad_status("[]", "the answer is not a JSON object");
	check_bad_status("{\"state\": \"leader\"}", "missing \"id\"");
	check_bad_status("{\"id\": 1, \"term\": 2}", "missing \"state\"");
	check_bad_status("{\"id\": 1, \"state\": 4}",
			 "\"state\" is not a string");
	check_bad_status("{\"id\": 1, \"state\": \"leader\", \"term\": -1}",
			 "\"term\" is not an integer in 0..2^53");
	check_bad_status("{\"id\": 1, \"state\": \"leader\", \"term\": 1.5}",
			 "\"term\" is not an integer in 0..2^53");
	check_bad_status("{\"id\": 1, \"state\": \"leader\", \"term\": 1e300}",
			 "\"term\" is not an integer in 0..2^53");
	check_bad_status("{\"id\": 1, \"state\": \"leader\", \"term\": \"1\"}",
			 "\"term\" is not an integer in 0..2^53");
	check_bad_status("{\"id\": 1, \"state\": \"x\", \"term\": 1,"
			 " \"commit_index\": 1, \"applied_index\": 1,"
			 " \"last_log_index\": 1, \"members\": {}}",
			 "\"members\" is not an array");
	check_bad_status("{\"id\": 1, \"state\": \"x\", \"term\": 1,"
			 " \"commit_index\": 1, \"applied_index\": 1,"
			 " \"last_log_index\": 1, \"members\": [{\"id\": 2,"
			 " \"voter\": \"yes\"}]}",
			 "member 2: \"voter\" is not a boolean");
	check_bad_status("{\"id\": 1, \"state\": \"x\", \"term\": 1,"
			 " \"commit_index\": 1, \"applied_index\": 1,"
			 " \"last_log_index\": 1, \"members\": [{\"id\": 0}]}",
			 "a member has id 0");
	check_bad_status("{\"id\": 1, \"state\": \"x\", \"term\": 1,"
			 " \"commit_index\": 1, \"applied_index\": 1,"
			 " \"last_log_index\": 1, \"members\": [7]}",
			 "a member is not an object");
	check_bad_status("{\"id\": 1, \"state\": \"x\", \"term\": 1,"
			 " \"commit_index\": 1, \"applied_index\": 1,"
			 " \"last_log_index\": 1, \"installing\": 5}",
			 "\"installing\" is not an object or null");
	check_bad_status("{\"id\": 1, \"state\": \"x\", \"term\": 1,"
			 " \"commit_index\": 1, \"applied_index\": 1,"
			 " \"last_log_index\": 1, \"installing\": {}}",
			 "installing: missing \"index\"");
	check_bad_status("{\"id\": 1, \"state\": \"x\", \"term\": 1,"
			 " \"commit_index\": 1, \"applied_index\": 1,"
			 " \"last_log_index\": 1, \"snapshot_saving\": 1}",
			 "\"snapshot_saving\" is not a boolean");
}

static void status_decoding_survives_every_failed_allocation(void)
{
	struct raft_client_status st;
	char errmsg[256];
	int delay;
	int rv;
	/* Fail the 1st, 2nd, ... allocation until none fails. Allocations
	 * of cJSON itself are not counted: only libraft's can fail here. */
	for (delay = 0;; delay++) {
		heap_fault_config(delay, 1);
		rv = decode_status(follower_status, strlen(follower_status),
				   &st, errmsg, sizeof(errmsg));
		heap_fault_config(-1, 0);
		if (rv == 0) {
			break;
		}
		ASSERT_RV(rv, RAFT_ENOMEM);
		ASSERT_STR(errmsg, "out of memory");
		ASSERT_TRUE(st.state == NULL && st.members == NULL);
	}
	ASSERT_TRUE(delay > 5);
	raft_client_status_close(&st);
}

static void members_come_as_object_or_array(void)
{
	static const char object[] =
	    "{\"members\": [{\"id\": 1, \"peer_url\": \"p1\","
	    " \"client_url\": \"c1\", \"voter\": true},"
	    " {\"id\": 5, \"peer_url\": \"p5\", \"client_url\": \"c5\","
	    " \"learner\": true}]}";
	static const char array[] = "[{\"id\": 9}]";
	struct raft_client_members m;
	char errmsg[256];
	ASSERT_OK(
	    decode_members(object, strlen(object), &m, errmsg, sizeof(errmsg)));
	ASSERT_U64(m.n_members, 2);
	ASSERT_TRUE(m.members[0].voter);
	ASSERT_TRUE(!m.members[1].voter);
	ASSERT_STR(m.members[1].client_url, "c5");
	raft_client_members_close(&m);
	ASSERT_OK(
	    decode_members(array, strlen(array), &m, errmsg, sizeof(errmsg)));
	ASSERT_U64(m.n_members, 1);
	ASSERT_U64(m.members[0].id, 9);
	ASSERT_STR(m.members[0].peer_url, "");
	ASSERT_TRUE(m.members[0].voter);
	raft_client_members_close(&m);
	ASSERT_RV(decode_members("{}", 2, &m, errmsg, sizeof(errmsg)),
		  RAFT_EPROTO);
	ASSERT_STR(errmsg, "missing \"members\"");
}

static void members_answer_names_who_answered(void)
{
	static const char body[] = "{\"id\": 2, \"leader_id\": 1, "
				   "\"members\": []}";
	raft_id id = 7, leader = 7;
	decode_members_origin(body, strlen(body), &id, &leader);
	ASSERT_U64(id, 2);
	ASSERT_U64(leader, 1);
	decode_members_origin("{\"members\": []}", 15, &id, &leader);
	ASSERT_U64(id, 0);
	ASSERT_U64(leader, 0);
	decode_members_origin("{\"id\": \"x\", \"leader_id\": 1}", 27, &id,
			      &leader);
	ASSERT_U64(id, 0);
	ASSERT_U64(leader, 0);
	decode_members_origin("[]", 2, &id, &leader);
	ASSERT_U64(leader, 0);
	decode_members_origin("nonsense", 8, &id, &leader);
	ASSERT_U64(leader, 0);
}

static void write_answer_gives_index_and_term(void)
{
	static const char body[] = "{\"index\": 17, \"term\": 3}";
	struct raft_client_write w;
	char errmsg[256];
	ASSERT_OK(decode_write(body, strlen(body), &w, errmsg, sizeof(errmsg)));
	ASSERT_U64(w.index, 17);
	ASSERT_U64(w.term, 3);
	ASSERT_OK(decode_write("{}", 2, &w, errmsg, sizeof(errmsg)));
	ASSERT_U64(w.index, 0);
	ASSERT_RV(
	    decode_write("{\"index\": true}", 15, &w, errmsg, sizeof(errmsg)),
	    RAFT_EPROTO);
	ASSERT_STR(errmsg, "\"index\" is not an integer in 0..2^53");
}

static void transfer_answer_names_the_leaders(void)
{
	static const char body[] =
	    "{\"leader_id\": 2, \"leader_url\": \"http://127.0.0.1:8002\", "
	    "\"previous_leader_id\": 1, \"term\": 7}";
	struct raft_client_transfer t;
	char errmsg[256];
	ASSERT_OK(
	    decode_transfer(body, strlen(body), &t, errmsg, sizeof(errmsg)));
	ASSERT_U64(t.leader_id, 2);
	ASSERT_U64(t.previous_leader_id, 1);
	ASSERT_U64(t.term, 7);
	ASSERT_OK(decode_transfer("{\"leader_id\": 3}", 16, &t, errmsg,
				  sizeof(errmsg)));
	ASSERT_U64(t.leader_id, 3);
	ASSERT_U64(t.previous_leader_id, 0);
	ASSERT_RV(
	    decode_transfer("{\"term\": 3}", 11, &t, errmsg, sizeof(errmsg)),
	    RAFT_EPROTO);
	ASSERT_STR(errmsg, "missing \"leader_id\"");
	ASSERT_RV(decode_transfer("{\"leader_id\": 2, \"term\": -1}", 29, &t,
				  errmsg, sizeof(errmsg)),
		  RAFT_EPROTO);
	ASSERT_STR(errmsg, "\"term\" is not an integer in 0..2^53");
	ASSERT_U64(t.leader_id, 0);
	ASSERT_RV(decode_transfer("[]", 2, &t, errmsg, sizeof(errmsg)),
		  RAFT_EPROTO);
}

static void keys_answer_is_decoded(void)
{
	static const char body[] =
	    "{\"keys\": [\"a\", \"a/b\", \"%FF%00\"], \"more\": true}";
	struct raft_client_keys k;
	char errmsg[256];
	ASSERT_OK(decode_keys(body, strlen(body), &k, errmsg, sizeof(errmsg)));
	ASSERT_U64(k.n_keys, 3);
	ASSERT_STR(k.keys[0], "a");
	ASSERT_STR(k.keys[1], "a/b");
	ASSERT_STR(k.keys[2], "%FF%00");
	ASSERT_TRUE(k.more);
	raft_client_keys_close(&k);
	ASSERT_OK(
	    decode_keys("{\"keys\": []}", 12, &k, errmsg, sizeof(errmsg)));
	ASSERT_U64(k.n_keys, 0);
	ASSERT_TRUE(!k.more);
	raft_client_keys_close(&k);
	ASSERT_RV(
	    decode_keys("{\"keys\": [1]}", 13, &k, errmsg, sizeof(errmsg)),
	    RAFT_EPROTO);
	ASSERT_STR(errmsg, "a key is not a string");
	ASSERT_TRUE(k.keys == NULL);
	ASSERT_RV(
	    decode_keys("{\"more\": false}", 15, &k, errmsg, sizeof(errmsg)),
	    RAFT_EPROTO);
	ASSERT_STR(errmsg, "missing \"keys\"");
}

static void header_numbers_are_strict(void)
{
	uint64_t v = 0;
	ASSERT_OK(decode_u64(" 42\t", 4, &v));
	ASSERT_U64(v, 42);
	ASSERT_OK(decode_u64("18446744073709551615", 20, &v));
	ASSERT_U64(v, UINT64_MAX);
	ASSERT_RV(decode_u64("18446744073709551616", 20, &v), RAFT_EINVAL);
	ASSERT_RV(decode_u64("", 0, &v), RAFT_EINVAL);
	ASSERT_RV(decode_u64("4x", 2, &v), RAFT_EINVAL);
	ASSERT_RV(decode_u64("-1", 2, &v), RAFT_EINVAL);
	ASSERT_RV(decode_u64("+1", 2, &v), RAFT_EINVAL);
}

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

static void error_body_is_read(void)
{
	static const char body[] =
	    "{\"error\": {\"code\": \"not_leader\", \"message\": \"ask the "
	    "leader\", \"leader_id\": 3, \"leader_url\": "
	    "\"http://127.0.0.1:8003\"}}";
	struct decode_error e;
	decode_error(body, strlen(body), &e);
	ASSERT_STR(e.code, "not_leader");
	ASSERT_STR(e.message, "ask the leader");
	ASSERT_U64(e.leader_id, 3);
	ASSERT_STR(e.leader_url, "http://127.0.0.1:8003");
}

static void error_body_may_be_anything(void)
{
	struct decode_error e;
	decode_error("<html>502 Bad Gateway</html>", 28, &e);
	ASSERT_STR(e.code, "");
	ASSERT_STR(e.message, "");
	ASSERT_U64(e.leader_id, 0);
	decode_error(NULL, 0, &e);
	ASSERT_STR(e.code, "");
	decode_error("{\"error\": \"no\"}", 15, &e);
	ASSERT_STR(e.code, "");
	decode_error("{\"error\": {\"code\": 5, \"leader_id\": -2}}", 38, &e);
	ASSERT_STR(e.code, "");
	ASSERT_U64(e.leader_id, 0);
}

static void error_codes_map_to_raft_errors(void)
{
	ASSERT_RV(decode_error_code(404, "not_found"), RAFT_ENOTFOUND);
	ASSERT_RV(decode_error_code(404, NULL), RAFT_ENOTFOUND);
	ASSERT_RV(decode_error_code(409, "compare_failed"), CLIENT_ECOMPARE);
	ASSERT_RV(decode_error_code(409, "already_exists"), RAFT_EEXIST);
	ASSERT_RV(decode_error_code(409, ""), RAFT_EBUSY);
	ASSERT_RV(decode_error_code(503, "no_leader"), RAFT_ENOTLEADER);
	ASSERT_RV(decode_error_code(503, ""), RAFT_ENOTLEADER);
	ASSERT_RV(decode_error_code(503, "shutting_down"), RAFT_ESHUTDOWN);
	ASSERT_RV(decode_error_code(503, "timeout"), RAFT_ETIMEDOUT);
	ASSERT_RV(decode_error_code(503, "busy"), RAFT_EBUSY);
	ASSERT_RV(decode_error_code(503, "node_stopped"), RAFT_ESHUTDOWN);
	ASSERT_RV(decode_error_code(409, "leader_changed"),
		  RAFT_ELEADERCHANGED);
	ASSERT_RV(decode_error_code(307, "not_leader"), RAFT_ENOTLEADER);
	ASSERT_RV(decode_error_code(500, "internal"), RAFT_EIO);
	ASSERT_RV(decode_error_code(413, "too_large"), RAFT_ETOOBIG);
	ASSERT_RV(decode_error_code(413, NULL), RAFT_ETOOBIG);
	ASSERT_RV(decode_error_code(400, "bad_request"), RAFT_EINVAL);
	ASSERT_RV(decode_error_code(400, "some_new_code"), RAFT_EINVAL);
	ASSERT_RV(decode_error_code(405, NULL), RAFT_EINVAL);
	ASSERT_RV(decode_error_code(500, NULL), RAFT_EIO);
	ASSERT_RV(decode_error_code(504, NULL), RAFT_ETIMEDOUT);
	ASSERT_RV(decode_error_code(302, NULL), RAFT_EPROTO);
	/* Membership and leadership refusals. */
	ASSERT_RV(decode_error_code(409, "lagging"), RAFT_ELAGGING);
	ASSERT_RV(decode_error_code(409, "learner_lagging"), RAFT_ELAGGING);
	ASSERT_RV(decode_error_code(503, "unavailable"), RAFT_EUNAVAILABLE);
	ASSERT_RV(decode_error_code(503, "transfer_failed"), RAFT_ETIMEDOUT);
	ASSERT_RV(decode_error_code(404, "not_member"), RAFT_ENOTFOUND);
	ASSERT_RV(decode_error_code(409, "busy"), RAFT_EBUSY);
}

static void not_implemented_wins_over_the_code(void)
{
	ASSERT_RV(decode_error_code(501, NULL), CLIENT_ENOTSUP);
	ASSERT_RV(decode_error_code(501, "not_found"), CLIENT_ENOTSUP);
	ASSERT_RV(decode_error_code(501, "not_implemented"), CLIENT_ENOTSUP);
}

/* ------------------------------------------------------------------------
 * The client object, without a server
 * ------------------------------------------------------------------------ */

static void client_refuses_bad_config(void)
{
	const char *bad[] = {"127.0.0.1:8001", "ftp://x:1"};
	struct raft_client_config config;
	struct raft_client *c = NULL;
	char errmsg[256] = "";

	raft_client_config_defaults(&config);
	config.endpoints = bad;
	config.n_endpoints = 0;
	ASSERT_RV(raft_client_new(&config, &c, errmsg, sizeof(errmsg)),
		  RAFT_EINVAL);
	ASSERT_STR(errmsg, "no endpoint given");
	config.n_endpoints = 2;
	ASSERT_RV(raft_client_new(&config, &c, errmsg, sizeof(errmsg)),
		  RAFT_EINVAL);
	ASSERT_STR(errmsg, "endpoint \"ftp://x:1\": unsupported scheme "
			   "\"ftp\" (want http or https)");
	config.n_endpoints = 1;
	config.timeout_ms = 0;
	ASSERT_RV(raft_client_new(&config, &c, errmsg, sizeof(errmsg)),
		  RAFT_EINVAL);
	ASSERT_STR(errmsg, "the timeout is 0 ms");
	ASSERT_TRUE(c == NULL);
}

static void client_keeps_normalized_endpoints(void)
{
	const char *endpoints[] = {"127.0.0.1:8001", "http://Node2:8002/"};
	struct raft_client_config config;
	struct raft_client *c;
	char errmsg[256];

	raft_client_config_defaults(&config);
	ASSERT_U64(config.timeout_ms, RAFT_CLIENT_DEFAULT_TIMEOUT_MS);
	ASSERT_TRUE(config.keep_alive);
	config.endpoints = endpoints;
	config.n_endpoints = 2;
	ASSERT_OK(raft_client_new(&config, &c, errmsg, sizeof(errmsg)));
	ASSERT_U64(raft_client_n_endpoints(c), 2);
	ASSERT_STR(raft_client_endpoint(c, 0), "http://127.0.0.1:8001");
	ASSERT_STR(raft_client_endpoint(c, 1), "http://node2:8002");
	ASSERT_TRUE(raft_client_endpoint(c, 2) == NULL);
	ASSERT_STR(raft_client_errmsg(c), "");
	ASSERT_TRUE(raft_client_last_url(c) == NULL);
	raft_client_free(c);
	raft_client_free(NULL);
}

static void client_creation_survives_every_failed_allocation(void)
{
	const char *endpoints[] = {"127.0.0.1:8001", "127.0.0.1:8002"};
	struct raft_client_config config;
	struct raft_client *c = NULL;
	char errmsg[256];
	int delay;
	int rv;

	raft_client_config_defaults(&config);
	config.endpoints = endpoints;
	config.n_endpoints = 2;
	for (delay = 0;; delay++) {
		heap_fault_config(delay, 1);
		rv = raft_client_new(&config, &c, errmsg, sizeof(errmsg));
		heap_fault_config(-1, 0);
		if (rv == 0) {
			break;
		}
		ASSERT_RV(rv, RAFT_ENOMEM);
		ASSERT_STR(errmsg, "out of memory");
	}
	ASSERT_TRUE(delay >= 3);
	raft_client_free(c);
}

static void calls_refuse_bad_arguments_before_sending(void)
{
	/* Port 1 on loopback: nothing is sent to it in this test. */
	const char *endpoints[] = {"127.0.0.1:1"};
	struct raft_client_config config;
	struct raft_client *c;
	struct raft_buf value;
	raft_id peers[] = {1, 0};
	char errmsg[256];
	int consistency = -1;

	raft_client_config_defaults(&config);
	config.endpoints = endpoints;
	config.n_endpoints = 1;
	ASSERT_OK(raft_client_new(&config, &c, errmsg, sizeof(errmsg)));
	ASSERT_RV(
	    raft_client_get(c, "", 0, RAFT_CLIENT_LINEARIZABLE, &value, NULL),
	    RAFT_EINVAL);
	ASSERT_STR(raft_client_errmsg(c), "the key is empty");
	ASSERT_RV(raft_client_get(c, "k", 1, 7, &value, NULL), RAFT_EINVAL);
	ASSERT_STR(raft_client_errmsg(c), "unknown consistency 7");
	ASSERT_RV(raft_client_put(c, "", 0, "v", 1, NULL), RAFT_EINVAL);
	ASSERT_RV(raft_client_delete(c, "", 0, NULL), RAFT_EINVAL);
	ASSERT_RV(raft_client_member_add(c, 0, "a", "b", false, NULL),
		  RAFT_EINVAL);
	ASSERT_STR(raft_client_errmsg(c), "member id 0 is reserved");
	ASSERT_RV(raft_client_member_add(c, 4, "", "b", false, NULL),
		  RAFT_EINVAL);
	ASSERT_RV(raft_client_member_remove(c, 0, NULL), RAFT_EINVAL);
	ASSERT_RV(raft_client_reset_peers(c, "127.0.0.1:1", peers, 0),
		  RAFT_EINVAL);
	ASSERT_STR(raft_client_errmsg(c), "no peers given");
	ASSERT_RV(raft_client_reset_peers(c, "127.0.0.1:1", peers, 2),
		  RAFT_EINVAL);
	ASSERT_STR(raft_client_errmsg(c), "peer id 0 is reserved");
	ASSERT_RV(raft_client_reset_peers(c, "nowhere", peers, 1), RAFT_EINVAL);
	ASSERT_STR(raft_client_errmsg(c), "endpoint \"nowhere\": missing "
					  "port (want HOST:PORT)");
	ASSERT_OK(raft_client_consistency_parse("lease", &consistency));
	ASSERT_RV(consistency, RAFT_CLIENT_LEASE);
	ASSERT_RV(raft_client_consistency_parse("strong", &consistency),
		  RAFT_EINVAL);
	ASSERT_STR(raft_client_consistency_name(RAFT_CLIENT_STALE), "stale");
	ASSERT_TRUE(raft_client_consistency_name(3) == NULL);
	raft_client_free(c);
}

static void endpoint_lists_split_at_commas_trimmed(void)
{
	const char **list = NULL;
	unsigned n = 0;
	char err[256];
	ASSERT_RV(raft_client_split_endpoints(" a:1 ,b:2,\tc:3", &list, &n, err,
					      sizeof(err)),
		  0);
	ASSERT_TRUE(n == 3);
	ASSERT_STR(list[0], "a:1");
	ASSERT_STR(list[1], "b:2");
	ASSERT_STR(list[2], "c:3");
	raft_free(list);
	ASSERT_RV(raft_client_split_endpoints("a:1,,b:2", &list, &n, err,
					      sizeof(err)),
		  RAFT_EINVAL);
	ASSERT_STR(err, "empty endpoint in \"a:1,,b:2\"");
	ASSERT_RV(raft_client_split_endpoints("", &list, &n, err, sizeof(err)),
		  RAFT_EINVAL);
}

static const struct harness_case cases[] = {
    HARNESS_CASE(endpoint_lists_split_at_commas_trimmed),
    HARNESS_CASE(endpoint_host_port_becomes_http_url),
    HARNESS_CASE(endpoint_ipv6_needs_brackets),
    HARNESS_CASE(endpoint_urls_are_normalized),
    HARNESS_CASE(endpoint_errors_say_why),
    HARNESS_CASE(base_of_location_keeps_scheme_and_authority),
    HARNESS_CASE(percent_encoding_keeps_only_unreserved_bytes),
    HARNESS_CASE(percent_encoding_is_binary_safe),
    HARNESS_CASE(buf_grows_and_hands_over),
    HARNESS_CASE(buf_fails_cleanly_without_memory),
    HARNESS_CASE(status_of_a_follower_is_decoded),
    HARNESS_CASE(status_of_a_leader_has_progress),
    HARNESS_CASE(status_shows_snapshots_and_installs),
    HARNESS_CASE(status_with_optional_fields_missing),
    HARNESS_CASE(status_errors_name_the_field),
    HARNESS_CASE(status_decoding_survives_every_failed_allocation),
    HARNESS_CASE(members_come_as_object_or_array),
    HARNESS_CASE(members_answer_names_who_answered),
    HARNESS_CASE(write_answer_gives_index_and_term),
    HARNESS_CASE(transfer_answer_names_the_leaders),
    HARNESS_CASE(keys_answer_is_decoded),
    HARNESS_CASE(header_numbers_are_strict),
    HARNESS_CASE(error_body_is_read),
    HARNESS_CASE(error_body_may_be_anything),
    HARNESS_CASE(error_codes_map_to_raft_errors),
    HARNESS_CASE(not_implemented_wins_over_the_code),
    HARNESS_CASE(client_refuses_bad_config),
    HARNESS_CASE(client_keeps_normalized_endpoints),
    HARNESS_CASE(client_creation_survives_every_failed_allocation),
    HARNESS_CASE(calls_refuse_bad_arguments_before_sending),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases);
}
