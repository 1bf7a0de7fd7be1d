/* Names and messages of libraft's error codes. */
#include "raft/error.h"

const char *raft_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define RAFT_ERRNO_MSG_(name, value, msg) \
	case value:                       \
		return msg;
		RAFT_ERRNO_MAP(RAFT_ERRNO_MSG_)
#undef RAFT_ERRNO_MSG_
	default:
		return "unknown error";
	}
}

const char *raft_err_name(int err)
{
	switch (err) {
	case 0:
		return "0";
#define RAFT_ERRNO_NAME_(name, value, msg) \
	case value:                        \
		return "RAFT_" #name;
		RAFT_ERRNO_MAP(RAFT_ERRNO_NAME_)
#undef RAFT_ERRNO_NAME_
	default:
		return "RAFT_EUNKNOWN";
	}
}
