/* Error codes of libraft: one table yields the enum, names and messages. */
#ifndef RAFT_ERROR_H
#define RAFT_ERROR_H

#include "raft/common.h"

/* X(name, value, message). Values are negative and stable. */
#define RAFT_ERRNO_MAP(X)                             \
	X(ENOMEM, -1, "out of memory")                \
	X(EINVAL, -2, "invalid argument")             \
	X(ENOTLEADER, -3, "not the leader")           \
	X(EBUSY, -4, "busy")                          \
	X(EIO, -5, "I/O error")                       \
	X(ENOSPC, -6, "no space left on device")      \
	X(ECORRUPT, -7, "data corrupted")             \
	X(ESHUTDOWN, -8, "shutting down")             \
	X(ETOOBIG, -9, "too big")                     \
	X(ENOTFOUND, -10, "not found")                \
	X(ETIMEDOUT, -11, "timed out")                \
	X(ELEADERCHANGED, -12, "leadership changed")  \
	X(EPROTO, -13, "protocol error")              \
	X(EEXIST, -14, "already exists")              \
	X(ECOMPARE, -15, "compare failed")            \
	X(ENOTSUP, -16, "not supported")              \
	X(ELAGGING, -17, "too far behind the leader") \
	X(EUNAVAILABLE, -18, "member unavailable")

enum raft_errno {
#define RAFT_ERRNO_ENUM_(name, value, msg) RAFT_##name = (value),
	RAFT_ERRNO_MAP(RAFT_ERRNO_ENUM_)
#undef RAFT_ERRNO_ENUM_
};

/* The message for an error code, e.g. "out of memory"; never NULL. */
RAFT_API const char *raft_strerror(int err);

/* The symbolic name of an error code, e.g. "RAFT_ENOMEM"; never NULL. */
RAFT_API const char *raft_err_name(int err);

#endif /* RAFT_ERROR_H */
