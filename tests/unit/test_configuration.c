/* Unit tests of configurations and their encoding
 * (lib/core/configuration.c). */
#include <stdlib.h>
#include <string.h>

#include "raft/core.h"
#include "test.h"
#include "util/heap.h"

struct conf_fixture {
	struct raft_configuration conf;
	struct raft_configuration decoded;
	struct raft_buf buf; /* an encoding, freed by teardown */
	char errmsg[256];
};

SETUP(conf)
{
	raft_configuration_init(&f->conf);
	raft_configuration_init(&f->decoded);
	f->buf.base = NULL;
	f->buf.len = 0;
}

TEARDOWN(conf)
{
	raft_configuration_close(&f->conf);
	raft_configuration_close(&f->decoded);
	raft_free(f->buf.base);
}

/* Three members: two voters and a learner with an empty address. */
static void add_three(struct raft_configuration *conf)
{
	ASSERT_OK(raft_configuration_add(conf, 1, "10.0.0.1:9000", RAFT_VOTER));
	ASSERT_OK(raft_configuration_add(conf, 2, "10.0.0.2:9000", RAFT_VOTER));
	ASSERT_OK(raft_configuration_add(conf, 7, "", RAFT_LEARNER));
}

static void assert_same(const struct raft_configuration *a,
			const struct raft_configuration *b)
{
	unsigned i;
	ASSERT_EQ_U64(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		ASSERT_EQ_U64(a->servers[i].id, b->servers[i].id);
		ASSERT_EQ_U64(a->servers[i].role, b->servers[i].role);
		ASSERT_EQ_STR(a->servers[i].address, b->servers[i].address);
	}
}

/* Decodes bytes that must be refused with a message naming `why`; the
 * configuration must be left empty. */
static void assert_refused(struct conf_fixture *f, const void *bytes,
			   size_t len, const char *why)
{
	struct raft_buf buf;
	/* A copy of exactly len bytes, so that ASan sees any overread. */
	buf.base = malloc(len == 0 ? 1 : len);
	ASSERT_NOT_NULL(buf.base);
	memcpy(buf.base, bytes, len);
	buf.len = len;
	strcpy(f->errmsg, "unset");
	ASSERT_RV(raft_configuration_decode(&buf, &f->decoded, f->errmsg,
					    sizeof(f->errmsg)),
		  RAFT_ECORRUPT);
	free(buf.base);
	ASSERT_STR_CONTAINS(f->errmsg, why);
	ASSERT_EQ_U64(f->decoded.n, 0);
	ASSERT_NULL(f->decoded.servers);
}

/* u8 version, u32 n, then u64 id, u8 role, u16 length, address. */
static size_t put_member(uint8_t *p, uint64_t id, uint8_t role,
			 const char *address, size_t len)
{
	unsigned i;
	for (i = 0; i < 8; i++) {
		p[i] = (uint8_t)(id >> (8 * i));
	}
	p[8] = role;
	p[9] = (uint8_t)len;
	p[10] = (uint8_t)(len >> 8);
	memcpy(p + 11, address, len);
	return 11 + len;
}

static size_t put_header(uint8_t *p, uint8_t version, uint32_t n)
{
	p[0] = version;
	p[1] = (uint8_t)n;
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)(n >> 16);
	p[4] = (uint8_t)(n >> 24);
	return 5;
}

TEST(conf, add_then_get_finds_the_member)
{
	const struct raft_server *s;
	add_three(&f->conf);
	ASSERT_EQ_U64(f->conf.n, 3);
	s = raft_configuration_get(&f->conf, 2);
	ASSERT_NOT_NULL(s);
	ASSERT_EQ_U64(s->id, 2);
	ASSERT_EQ_U64(s->role, RAFT_VOTER);
	ASSERT_EQ_STR(s->address, "10.0.0.2:9000");
	s = raft_configuration_get(&f->conf, 7);
	ASSERT_NOT_NULL(s);
	ASSERT_EQ_U64(s->role, RAFT_LEARNER);
	ASSERT_EQ_STR(s->address, "");
}

TEST(conf, get_of_an_unknown_id_is_null)
{
	add_three(&f->conf);
	ASSERT_NULL(raft_configuration_get(&f->conf, 3));
	ASSERT_NULL(raft_configuration_get(&f->conf, 0));
	raft_configuration_close(&f->conf);
	ASSERT_NULL(raft_configuration_get(&f->conf, 1));
}

TEST(conf, add_copies_the_address)
{
	char address[] = "host:1";
	ASSERT_OK(raft_configuration_add(&f->conf, 1, address, RAFT_VOTER));
	address[0] = 'X';
	ASSERT_EQ_STR(raft_configuration_get(&f->conf, 1)->address, "host:1");
}

TEST(conf, add_refuses_a_duplicate_id)
{
	add_three(&f->conf);
	ASSERT_RV(raft_configuration_add(&f->conf, 2, "other", RAFT_LEARNER),
		  RAFT_EEXIST);
	ASSERT_EQ_U64(f->conf.n, 3);
	ASSERT_EQ_STR(raft_configuration_get(&f->conf, 2)->address,
		      "10.0.0.2:9000");
	ASSERT_EQ_U64(raft_configuration_get(&f->conf, 2)->role, RAFT_VOTER);
}

TEST(conf, add_refuses_invalid_members)
{
	char long_address[RAFT_ADDRESS_MAX_LEN + 2];
	memset(long_address, 'a', sizeof(long_address) - 1);
	long_address[sizeof(long_address) - 1] = '\0';
	ASSERT_RV(raft_configuration_add(&f->conf, 0, "a", RAFT_VOTER),
		  RAFT_EINVAL);
	ASSERT_RV(raft_configuration_add(&f->conf, 1, NULL, RAFT_VOTER),
		  RAFT_EINVAL);
	ASSERT_RV(raft_configuration_add(&f->conf, 1, "a", 0), RAFT_EINVAL);
	ASSERT_RV(raft_configuration_add(&f->conf, 1, "a", 3), RAFT_EINVAL);
	ASSERT_RV(raft_configuration_add(&f->conf, 1, long_address, RAFT_VOTER),
		  RAFT_EINVAL);
	ASSERT_EQ_U64(f->conf.n, 0);
	/* The longest allowed address fits. */
	long_address[RAFT_ADDRESS_MAX_LEN] = '\0';
	ASSERT_OK(
	    raft_configuration_add(&f->conf, 1, long_address, RAFT_VOTER));
}

TEST(conf, add_fails_cleanly_without_memory)
{
	int k;
	ASSERT_OK(raft_configuration_add(&f->conf, 1, "a", RAFT_VOTER));
	/* add allocates the address copy, then grows the array. */
	for (k = 0; k < 2; k++) {
		heap_fault_config(k, 1);
		ASSERT_RV(raft_configuration_add(&f->conf, 2, "b", RAFT_VOTER),
			  RAFT_ENOMEM);
		heap_fault_config(-1, 0);
		ASSERT_EQ_U64(f->conf.n, 1);
		ASSERT_NULL(raft_configuration_get(&f->conf, 2));
	}
	ASSERT_OK(raft_configuration_add(&f->conf, 2, "b", RAFT_VOTER));
	ASSERT_EQ_U64(f->conf.n, 2);
}

TEST(conf, n_voters_counts_only_voters)
{
	ASSERT_EQ_U64(raft_configuration_n_voters(&f->conf), 0);
	add_three(&f->conf);
	ASSERT_EQ_U64(raft_configuration_n_voters(&f->conf), 2);
}

TEST(conf, copy_is_deep)
{
	add_three(&f->conf);
	ASSERT_OK(raft_configuration_copy(&f->conf, &f->decoded));
	assert_same(&f->conf, &f->decoded);
	ASSERT_TRUE(f->conf.servers[0].address !=
		    f->decoded.servers[0].address);
	raft_configuration_close(&f->conf);
	ASSERT_EQ_STR(f->decoded.servers[1].address, "10.0.0.2:9000");
}

TEST(conf, copy_fails_cleanly_without_memory)
{
	int k, rv;
	add_three(&f->conf);
	for (k = 0;; k++) {
		heap_fault_config(k, 1);
		rv = raft_configuration_copy(&f->conf, &f->decoded);
		heap_fault_config(-1, 0);
		if (rv == 0) {
			break;
		}
		ASSERT_RV(rv, RAFT_ENOMEM);
		ASSERT_EQ_U64(f->decoded.n, 0);
		ASSERT_NULL(f->decoded.servers);
	}
	/* Every allocation of the copy was failed once. */
	ASSERT_EQ_INT(k, 6);
	assert_same(&f->conf, &f->decoded);
}

TEST(conf, close_empties_and_may_be_repeated)
{
	add_three(&f->conf);
	raft_configuration_close(&f->conf);
	ASSERT_EQ_U64(f->conf.n, 0);
	ASSERT_NULL(f->conf.servers);
	raft_configuration_close(&f->conf);
	ASSERT_EQ_U64(f->conf.n, 0);
}

TEST(conf, encode_follows_the_documented_layout)
{
	/* clang-format off */
	static const uint8_t want[] = {
		1, 2, 0, 0, 0,			/* version 1, 2 members */
		1, 0, 0, 0, 0, 0, 0, 0,		/* id 1 */
		1,				/* voter */
		2, 0, 'a', 'b',			/* address "ab" */
		8, 7, 6, 5, 4, 3, 2, 1,		/* id 0x0102030405060708 */
		2,				/* learner */
		0, 0,				/* address "" */
	};
	/* clang-format on */
	ASSERT_OK(raft_configuration_add(&f->conf, 1, "ab", RAFT_VOTER));
	ASSERT_OK(raft_configuration_add(&f->conf, 0x0102030405060708ULL, "",
					 RAFT_LEARNER));
	ASSERT_OK(raft_configuration_encode(&f->conf, &f->buf));
	ASSERT_EQ_U64(f->buf.len, sizeof(want));
	ASSERT_EQ_MEM(f->buf.base, want, sizeof(want));
}

TEST(conf, encode_decode_round_trip)
{
	char long_address[RAFT_ADDRESS_MAX_LEN + 1];
	memset(long_address, 'z', RAFT_ADDRESS_MAX_LEN);
	long_address[RAFT_ADDRESS_MAX_LEN] = '\0';
	add_three(&f->conf);
	ASSERT_OK(raft_configuration_add(&f->conf, UINT64_MAX, long_address,
					 RAFT_VOTER));
	ASSERT_OK(raft_configuration_encode(&f->conf, &f->buf));
	ASSERT_OK(raft_configuration_decode(&f->buf, &f->decoded, f->errmsg,
					    sizeof(f->errmsg)));
	assert_same(&f->conf, &f->decoded);
}

TEST(conf, empty_configuration_round_trips)
{
	ASSERT_OK(raft_configuration_encode(&f->conf, &f->buf));
	ASSERT_EQ_U64(f->buf.len, 5);
	ASSERT_OK(raft_configuration_decode(&f->buf, &f->decoded, NULL, 0));
	ASSERT_EQ_U64(f->decoded.n, 0);
}

TEST(conf, encode_fails_cleanly_without_memory)
{
	add_three(&f->conf);
	heap_fault_config(0, 1);
	ASSERT_RV(raft_configuration_encode(&f->conf, &f->buf), RAFT_ENOMEM);
	heap_fault_config(-1, 0);
	f->buf.base = NULL;
}

TEST(conf, decode_refuses_every_truncation)
{
	size_t len;
	add_three(&f->conf);
	ASSERT_OK(raft_configuration_encode(&f->conf, &f->buf));
	for (len = 0; len < f->buf.len; len++) {
		assert_refused(f, f->buf.base, len, "truncated");
	}
}

TEST(conf, decode_refuses_trailing_bytes)
{
	uint8_t bytes[128];
	size_t len;
	add_three(&f->conf);
	ASSERT_OK(raft_configuration_encode(&f->conf, &f->buf));
	ASSERT_LT_U64(f->buf.len, sizeof(bytes));
	memcpy(bytes, f->buf.base, f->buf.len);
	len = f->buf.len;
	bytes[len++] = 0;
	assert_refused(f, bytes, len, "1 trailing bytes");
}

TEST(conf, decode_refuses_an_unknown_version)
{
	uint8_t bytes[64];
	size_t len = put_header(bytes, 2, 1);
	len += put_member(bytes + len, 1, RAFT_VOTER, "a", 1);
	assert_refused(f, bytes, len, "version 2");
	bytes[0] = 0;
	assert_refused(f, bytes, len, "version 0");
}

TEST(conf, decode_refuses_a_bad_role)
{
	uint8_t bytes[64];
	size_t len = put_header(bytes, 1, 2);
	len += put_member(bytes + len, 1, RAFT_VOTER, "a", 1);
	put_member(bytes + len, 2, 3, "b", 1);
	assert_refused(f, bytes, len + 12, "member 2");
	put_member(bytes + len, 2, 0, "b", 1);
	assert_refused(f, bytes, len + 12, "member 2");
}

TEST(conf, decode_refuses_a_nul_in_an_address)
{
	uint8_t bytes[64];
	size_t len = put_header(bytes, 1, 1);
	len += put_member(bytes + len, 5, RAFT_VOTER, "a\0b", 3);
	assert_refused(f, bytes, len, "NUL");
	assert_refused(f, bytes, len, "member 5");
}

TEST(conf, decode_refuses_id_zero)
{
	uint8_t bytes[64];
	size_t len = put_header(bytes, 1, 1);
	len += put_member(bytes + len, 0, RAFT_VOTER, "a", 1);
	assert_refused(f, bytes, len, "member 0");
}

TEST(conf, decode_refuses_a_duplicate_id)
{
	uint8_t bytes[64];
	size_t len = put_header(bytes, 1, 2);
	len += put_member(bytes + len, 4, RAFT_VOTER, "a", 1);
	len += put_member(bytes + len, 4, RAFT_LEARNER, "b", 1);
	assert_refused(f, bytes, len, "duplicate");
}

TEST(conf, decode_refuses_an_address_too_long)
{
	static uint8_t bytes[16 + RAFT_ADDRESS_MAX_LEN + 1];
	char address[RAFT_ADDRESS_MAX_LEN + 1];
	size_t len = put_header(bytes, 1, 1);
	memset(address, 'a', sizeof(address));
	len += put_member(bytes + len, 3, RAFT_VOTER, address, sizeof(address));
	assert_refused(f, bytes, len, "member 3");
}

TEST(conf, decode_refuses_a_member_count_beyond_the_bytes)
{
	uint8_t bytes[64];
	size_t len = put_header(bytes, 1, UINT32_MAX);
	len += put_member(bytes + len, 1, RAFT_VOTER, "a", 1);
	assert_refused(f, bytes, len, "truncated");
}

TEST(conf, decode_without_errmsg_still_refuses)
{
	uint8_t bytes[8];
	struct raft_buf buf = {bytes, put_header(bytes, 9, 0)};
	ASSERT_RV(raft_configuration_decode(&buf, &f->decoded, NULL, 0),
		  RAFT_ECORRUPT);
	ASSERT_EQ_U64(f->decoded.n, 0);
}

TEST(conf, decode_truncates_a_long_errmsg_to_the_buffer)
{
	uint8_t bytes[8];
	struct raft_buf buf = {bytes, put_header(bytes, 9, 0)};
	char small[8];
	memset(small, 'x', sizeof(small));
	ASSERT_RV(
	    raft_configuration_decode(&buf, &f->decoded, small, sizeof(small)),
	    RAFT_ECORRUPT);
	ASSERT_EQ_U64(strlen(small), sizeof(small) - 1);
}

TEST(conf, decode_fails_cleanly_without_memory)
{
	int k, rv;
	add_three(&f->conf);
	ASSERT_OK(raft_configuration_encode(&f->conf, &f->buf));
	for (k = 0;; k++) {
		heap_fault_config(k, 1);
		rv = raft_configuration_decode(&f->buf, &f->decoded, f->errmsg,
					       sizeof(f->errmsg));
		heap_fault_config(-1, 0);
		if (rv == 0) {
			break;
		}
		ASSERT_RV(rv, RAFT_ENOMEM);
		ASSERT_EQ_U64(f->decoded.n, 0);
		ASSERT_NULL(f->decoded.servers);
	}
	ASSERT_EQ_INT(k, 6);
	assert_same(&f->conf, &f->decoded);
}

static const struct test_case conf_cases[] = {
    TEST_CASE(conf, add_then_get_finds_the_member),
    TEST_CASE(conf, get_of_an_unknown_id_is_null),
    TEST_CASE(conf, add_copies_the_address),
    TEST_CASE(conf, add_refuses_a_duplicate_id),
    TEST_CASE(conf, add_refuses_invalid_members),
    TEST_CASE(conf, add_fails_cleanly_without_memory),
    TEST_CASE(conf, n_voters_counts_only_voters),
    TEST_CASE(conf, copy_is_deep),
    TEST_CASE(conf, copy_fails_cleanly_without_memory),
    TEST_CASE(conf, close_empties_and_may_be_repeated),
    TEST_CASE(conf, encode_follows_the_documented_layout),
    TEST_CASE(conf, encode_decode_round_trip),
    TEST_CASE(conf, empty_configuration_round_trips),
    TEST_CASE(conf, encode_fails_cleanly_without_memory),
    TEST_CASE(conf, decode_refuses_every_truncation),
    TEST_CASE(conf, decode_refuses_trailing_bytes),
    TEST_CASE(conf, decode_refuses_an_unknown_version),
    TEST_CASE(conf, decode_refuses_a_bad_role),
    TEST_CASE(conf, decode_refuses_a_nul_in_an_address),
    TEST_CASE(conf, decode_refuses_id_zero),
    TEST_CASE(conf, decode_refuses_a_duplicate_id),
    TEST_CASE(conf, decode_refuses_an_address_too_long),
    TEST_CASE(conf, decode_refuses_a_member_count_beyond_the_bytes),
    TEST_CASE(conf, decode_without_errmsg_still_refuses),
    TEST_CASE(conf, decode_truncates_a_long_errmsg_to_the_buffer),
    TEST_CASE(conf, decode_fails_cleanly_without_memory),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(conf))
