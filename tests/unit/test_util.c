/* Unit tests of lib/util: UTF-8 validation, error names. */
#include "raft/common.h"
#include "raft/error.h"
#include "test.h"

struct util_fixture {
	int unused;
};

SETUP(util)
{
}

TEARDOWN(util)
{
}

TEST(util, utf8_accepts_text)
{
	ASSERT_TRUE(raft_utf8_valid("", 0));
	ASSERT_TRUE(raft_utf8_valid("plain ascii", 11));
	ASSERT_TRUE(raft_utf8_valid("\xc3\xa9t\xc3\xa9", 5)); /* été */
	ASSERT_TRUE(raft_utf8_valid("\xe2\x82\xac", 3));      /* € */
	ASSERT_TRUE(raft_utf8_valid("\xf0\x9f\x98\x80", 4));  /* U+1F600 */
}

TEST(util, utf8_refuses_what_json_clients_choke_on)
{
	ASSERT_FALSE(raft_utf8_valid("a\0b", 3));	      /* NUL */
	ASSERT_FALSE(raft_utf8_valid("\xc3", 1));	      /* cut */
	ASSERT_FALSE(raft_utf8_valid("\xc0\xaf", 2));	      /* overlong */
	ASSERT_FALSE(raft_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
	ASSERT_FALSE(raft_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	ASSERT_FALSE(raft_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	ASSERT_FALSE(raft_utf8_valid("\xff", 1));
	ASSERT_FALSE(raft_utf8_valid("\xe2\x28\xa1", 3)); /* bad continuation */
}

TEST(util, every_error_has_a_name_and_a_message)
{
	int err;
	for (err = -1; err >= RAFT_ENOTSUP; err--) {
		ASSERT_TRUE(strcmp(raft_err_name(err), "RAFT_EUNKNOWN") != 0);
		ASSERT_TRUE(strcmp(raft_strerror(err), "unknown error") != 0);
	}
	ASSERT_EQ_STR(raft_err_name(-999), "RAFT_EUNKNOWN");
	ASSERT_EQ_STR(raft_strerror(RAFT_ENOSPC), "no space left on device");
}

static const struct test_case util_cases[] = {
    TEST_CASE(util, utf8_accepts_text),
    TEST_CASE(util, utf8_refuses_what_json_clients_choke_on),
    TEST_CASE(util, every_error_has_a_name_and_a_message),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(util))
