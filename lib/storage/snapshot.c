/* Snapshot files: written to a temporary name, fsynced, renamed; checked
 * whole before they are read (layout in include/raft/storage.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "raft/log.h"
#include "raft/storage.h"
#include "util/endian.h"
#include "util/heap.h"

#define MAGIC	     "RAFTSNAP"
#define END_MAGIC    "RAFTEND"
#define VERSION	     1
#define HEADER_FIXED 32 /* magic, version, index, term, conf length */
#define TRAILER_LEN  20 /* data length, crc, end magic */
#define TMP_SUFFIX   ".tmp"

struct raft_snapshot_writer {
	int fd;
	char *dir;
	char *tmp_path;
	char *path;
	uLong crc;
	uint64_t data_len;
	int failed;
	char errmsg[512];
};

struct raft_snapshot_reader {
	int fd;
	struct raft_snapshot_meta meta;
	uint64_t data_len;
	uint64_t left;
};

static int errno_code(int e)
{
	return e == ENOSPC || e == EDQUOT ? RAFT_ENOSPC : RAFT_EIO;
}

void raft_snapshot_path(const char *dir, raft_index index, raft_term term,
			char *buf, size_t len)
{
	snprintf(buf, len, "%s%ssnapshot-%020llu-%020llu.snap",
		 dir != NULL ? dir : "", dir != NULL ? "/" : "",
		 (unsigned long long)index, (unsigned long long)term);
}

static char *path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = raft_malloc(len);
	if (p != NULL) {
		snprintf(p, len, "%s/%s", dir, name);
	}
	return p;
}

/* Writes all of buf (retrying short writes and EINTR). */
static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rv;
	if (fd < 0) {
		return -1;
	}
	rv = fsync(fd);
	close(fd);
	return rv;
}

static void writer_free(struct raft_snapshot_writer *w)
{
	if (w->fd >= 0) {
		close(w->fd);
	}
	raft_free(w->dir);
	raft_free(w->tmp_path);
	raft_free(w->path);
	raft_free(w);
}

/* Writes through the running checksum. */
static int put(struct raft_snapshot_writer *w, const void *buf, size_t len)
{
	if (write_all(w->fd, buf, len) != 0) {
		int e = errno;
		snprintf(w->errmsg, sizeof(w->errmsg), "write snapshot %s: %s",
			 w->tmp_path, strerror(e));
		w->failed = errno_code(e);
		return w->failed;
	}
	w->crc = crc32(w->crc, buf, (uInt)len);
	return 0;
}

int raft_snapshot_writer_open(const char *dir,
			      const struct raft_snapshot_meta *meta,
			      struct raft_snapshot_writer **out, char *errmsg,
			      size_t errmsg_len)
{
	struct raft_snapshot_writer *w;
	uint8_t header[HEADER_FIXED];
	char name[80];
	size_t clen = raft_configuration_encoded_size(&meta->conf);
	uint8_t *conf;
	int rv;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(errmsg, errmsg_len, "create snapshot dir %s: %s", dir,
			 strerror(errno));
		return errno_code(errno);
	}
	w = raft_calloc(1, sizeof(*w));
	if (w == NULL) {
		goto err_nomem;
	}
	w->fd = -1;
	raft_snapshot_path(NULL, meta->index, meta->term, name, sizeof(name));
	w->dir = path_join(dir, "");
	w->path = path_join(dir, name);
	strcat(name, TMP_SUFFIX);
	w->tmp_path = path_join(dir, name);
	if (w->dir == NULL || w->path == NULL || w->tmp_path == NULL) {
		writer_free(w);
		goto err_nomem;
	}
	w->dir[strlen(w->dir) - 1] = '\0';
	w->fd =
	    open(w->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (w->fd < 0) {
		rv = errno_code(errno);
		snprintf(errmsg, errmsg_len, "create snapshot %s: %s",
			 w->tmp_path, strerror(errno));
		writer_free(w);
		return rv;
	}
	w->crc = crc32(0L, Z_NULL, 0);
	memcpy(header, MAGIC, 8);
	put_le(header + 8, VERSION, 4);
	put_le(header + 12, meta->index, 8);
	put_le(header + 20, meta->term, 8);
	put_le(header + 28, clen, 4);
	conf = raft_malloc(clen);
	if (conf == NULL) {
		raft_snapshot_writer_abort(w);
		goto err_nomem;
	}
	raft_configuration_encode_into(&meta->conf, conf);
	rv = put(w, header, sizeof(header));
	if (rv == 0) {
		rv = put(w, conf, clen);
	}
	raft_free(conf);
	if (rv != 0) {
		snprintf(errmsg, errmsg_len, "%s", w->errmsg);
		raft_snapshot_writer_abort(w);
		return rv;
	}
	*out = w;
	return 0;

err_nomem:
	snprintf(errmsg, errmsg_len, "create snapshot in %s: %s", dir,
		 raft_strerror(RAFT_ENOMEM));
	return RAFT_ENOMEM;
}

int raft_snapshot_writer_write(struct raft_snapshot_writer *w, const void *data,
			       size_t len)
{
	int rv;
	if (w->failed != 0) {
		return w->failed;
	}
	rv = put(w, data, len);
	if (rv == 0) {
		w->data_len += len;
	}
	return rv;
}

int raft_snapshot_writer_commit(struct raft_snapshot_writer *w, char *errmsg,
				size_t errmsg_len)
{
	uint8_t trailer[TRAILER_LEN];
	int rv = w->failed;
	if (rv == 0) {
		put_le(trailer, w->data_len, 8);
		w->crc = crc32(w->crc, trailer, 8);
		put_le(trailer + 8, w->crc, 4);
		memcpy(trailer + 12, END_MAGIC, 8);
		if (write_all(w->fd, trailer, sizeof(trailer)) != 0 ||
		    fsync(w->fd) != 0) {
			rv = errno_code(errno);
			snprintf(w->errmsg, sizeof(w->errmsg),
				 "write snapshot %s: %s", w->tmp_path,
				 strerror(errno));
		}
	}
	if (rv == 0) {
		close(w->fd);
		w->fd = -1;
		/* Durable under its final name only once renamed and the
		 * directory synced. */
		if (rename(w->tmp_path, w->path) != 0 ||
		    fsync_dir(w->dir) != 0) {
			rv = errno_code(errno);
			snprintf(w->errmsg, sizeof(w->errmsg),
				 "finish snapshot %s: %s", w->path,
				 strerror(errno));
		}
	}
	if (rv != 0) {
		snprintf(errmsg, errmsg_len, "%s", w->errmsg);
		raft_snapshot_writer_abort(w);
		return rv;
	}
	writer_free(w);
	return 0;
}

void raft_snapshot_writer_abort(struct raft_snapshot_writer *w)
{
	if (w == NULL) {
		return;
	}
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	unlink(w->tmp_path);
	writer_free(w);
}

const char *raft_snapshot_writer_errmsg(const struct raft_snapshot_writer *w)
{
	return w->errmsg;
}

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Checks the whole file: every length against the file size, then the
 * checksum of everything before the trailer. */
static int check_file(struct raft_snapshot_reader *r, const char *path,
		      uint64_t size, char *errmsg, size_t errmsg_len)
{
	uint8_t header[HEADER_FIXED], trailer[TRAILER_LEN], buf[65536];
	uint64_t clen, data_len, left;
	uLong crc = crc32(0L, Z_NULL, 0);
	struct raft_buf conf;
	char detail[256];
	int rv;

	if (size < HEADER_FIXED + TRAILER_LEN) {
		snprintf(errmsg, errmsg_len,
			 "snapshot %s: %llu bytes, too short (torn?)", path,
			 (unsigned long long)size);
		return RAFT_ECORRUPT;
	}
	if (pread(r->fd, trailer, sizeof(trailer),
		  (off_t)(size - TRAILER_LEN)) != (ssize_t)sizeof(trailer) ||
	    read_all(r->fd, header, sizeof(header)) != 0) {
		snprintf(errmsg, errmsg_len, "read snapshot %s: %s", path,
			 strerror(errno));
		return RAFT_EIO;
	}
	if (memcmp(header, MAGIC, 8) != 0 ||
	    memcmp(trailer + 12, END_MAGIC, 8) != 0) {
		snprintf(errmsg, errmsg_len,
			 "snapshot %s: not a snapshot file, or torn", path);
		return RAFT_ECORRUPT;
	}
	if (get_le(header + 8, 4) != VERSION) {
		snprintf(errmsg, errmsg_len,
			 "snapshot %s: version %llu not supported", path,
			 (unsigned long long)get_le(header + 8, 4));
		return RAFT_ECORRUPT;
	}
	clen = get_le(header + 28, 4);
	data_len = get_le(trailer, 8);
	if (HEADER_FIXED + clen + data_len + TRAILER_LEN != size) {
		snprintf(errmsg, errmsg_len,
			 "snapshot %s: lengths do not add up to the file size",
			 path);
		return RAFT_ECORRUPT;
	}
	/* The checksum covers everything before it. */
	crc = crc32(crc, header, sizeof(header));
	for (left = clen + data_len; left > 0;) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		if (read_all(r->fd, buf, n) != 0) {
			snprintf(errmsg, errmsg_len, "read snapshot %s: %s",
				 path, strerror(errno));
			return RAFT_EIO;
		}
		crc = crc32(crc, buf, (uInt)n);
		left -= n;
	}
	crc = crc32(crc, trailer, 8);
	if (crc != get_le(trailer + 8, 4)) {
		snprintf(errmsg, errmsg_len, "snapshot %s: checksum mismatch",
			 path);
		return RAFT_ECORRUPT;
	}
	/* Valid: read the configuration and stand at the data. */
	conf.len = (size_t)clen;
	conf.base = raft_malloc(conf.len);
	if (conf.base == NULL) {
		snprintf(errmsg, errmsg_len, "read snapshot %s: %s", path,
			 raft_strerror(RAFT_ENOMEM));
		return RAFT_ENOMEM;
	}
	if (pread(r->fd, conf.base, conf.len, HEADER_FIXED) !=
	    (ssize_t)conf.len) {
		raft_free(conf.base);
		snprintf(errmsg, errmsg_len, "read snapshot %s: %s", path,
			 strerror(errno));
		return RAFT_EIO;
	}
	rv = raft_configuration_decode(&conf, &r->meta.conf, detail,
				       sizeof(detail));
	raft_free(conf.base);
	if (rv != 0) {
		snprintf(errmsg, errmsg_len, "snapshot %s: %s", path, detail);
		return rv == RAFT_ENOMEM ? RAFT_ENOMEM : RAFT_ECORRUPT;
	}
	r->meta.index = get_le(header + 12, 8);
	r->meta.term = get_le(header + 20, 8);
	r->data_len = data_len;
	r->left = data_len;
	if (lseek(r->fd, (off_t)(HEADER_FIXED + clen), SEEK_SET) < 0) {
		snprintf(errmsg, errmsg_len, "read snapshot %s: %s", path,
			 strerror(errno));
		return RAFT_EIO;
	}
	return 0;
}

int raft_snapshot_reader_open(const char *path,
			      struct raft_snapshot_reader **out, char *errmsg,
			      size_t errmsg_len)
{
	struct raft_snapshot_reader *r;
	struct stat st;
	int rv;
	r = raft_calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(errmsg, errmsg_len, "read snapshot %s: %s", path,
			 raft_strerror(RAFT_ENOMEM));
		return RAFT_ENOMEM;
	}
	raft_configuration_init(&r->meta.conf);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &st) != 0) {
		rv = errno == ENOENT ? RAFT_ENOTFOUND : RAFT_EIO;
		snprintf(errmsg, errmsg_len, "open snapshot %s: %s", path,
			 strerror(errno));
		raft_snapshot_reader_close(r);
		return rv;
	}
	rv = check_file(r, path, (uint64_t)st.st_size, errmsg, errmsg_len);
	if (rv != 0) {
		raft_snapshot_reader_close(r);
		return rv;
	}
	*out = r;
	return 0;
}

const struct raft_snapshot_meta *
raft_snapshot_reader_meta(const struct raft_snapshot_reader *r)
{
	return &r->meta;
}

uint64_t raft_snapshot_reader_size(const struct raft_snapshot_reader *r)
{
	return r->data_len;
}

int raft_snapshot_reader_read(struct raft_snapshot_reader *r, void *buf,
			      size_t len, size_t *n)
{
	ssize_t got;
	if (len > r->left) {
		len = (size_t)r->left;
	}
	*n = 0;
	if (len == 0) {
		return 0;
	}
	do {
		got = read(r->fd, buf, len);
	} while (got < 0 && errno == EINTR);
	if (got <= 0) {
		return RAFT_EIO;
	}
	r->left -= (uint64_t)got;
	*n = (size_t)got;
	return 0;
}

void raft_snapshot_reader_close(struct raft_snapshot_reader *r)
{
	if (r == NULL) {
		return;
	}
	if (r->fd >= 0) {
		close(r->fd);
	}
	raft_configuration_close(&r->meta.conf);
	raft_free(r);
}

/* ------------------------------------------------------------------------
 * The directory
 * ------------------------------------------------------------------------ */

static int is_snapshot_name(const char *name)
{
	size_t len = strlen(name);
	return strncmp(name, "snapshot-", 9) == 0 && len > 5 &&
	       strcmp(name + len - 5, ".snap") == 0;
}

static int is_tmp_name(const char *name)
{
	size_t len = strlen(name), slen = strlen(TMP_SUFFIX);
	return strncmp(name, "snapshot-", 9) == 0 && len > slen &&
	       strcmp(name + len - slen, TMP_SUFFIX) == 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The snapshot file names of dir, sorted oldest first. */
static int list_names(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;
	*names = NULL;
	*n = 0;
	if (d == NULL) {
		return errno == ENOENT ? 0 : RAFT_EIO;
	}
	while ((e = readdir(d)) != NULL) {
		char *copy;
		if (!is_snapshot_name(e->d_name)) {
			continue;
		}
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char **a = raft_realloc(*names, ncap * sizeof(*a));
			if (a == NULL) {
				break;
			}
			*names = a;
			cap = ncap;
		}
		copy = raft_malloc(strlen(e->d_name) + 1);
		if (copy == NULL) {
			break;
		}
		strcpy(copy, e->d_name);
		(*names)[(*n)++] = copy;
	}
	closedir(d);
	if (*n > 1) {
		qsort(*names, *n, sizeof(**names), compare_names);
	}
	return 0;
}

static void free_names(char **names, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		raft_free(names[i]);
	}
	raft_free(names);
}

int raft_snapshot_latest(const char *dir, char *path, size_t path_len,
			 char *errmsg, size_t errmsg_len)
{
	char **names;
	size_t n, i;
	int rv = list_names(dir, &names, &n);
	if (rv != 0) {
		snprintf(errmsg, errmsg_len, "list snapshots in %s: %s", dir,
			 strerror(errno));
		return rv;
	}
	for (i = n; i-- > 0;) {
		struct raft_snapshot_reader *r;
		char why[512];
		snprintf(path, path_len, "%s/%s", dir, names[i]);
		rv = raft_snapshot_reader_open(path, &r, why, sizeof(why));
		if (rv == 0) {
			raft_snapshot_reader_close(r);
			free_names(names, n);
			return 0;
		}
		/* Fall back to an older one, loudly. */
		raft_log(RAFT_LOG_WARN, "%s: skipped", why);
	}
	free_names(names, n);
	snprintf(errmsg, errmsg_len, "no valid snapshot in %s", dir);
	return RAFT_ENOTFOUND;
}

int raft_snapshot_remove_after(const char *dir, raft_index index)
{
	char **names;
	size_t n, i;
	int rv = list_names(dir, &names, &n);
	if (rv != 0) {
		return rv;
	}
	for (i = 0; i < n; i++) {
		unsigned long long at = strtoull(names[i] + 9, NULL, 10);
		char *p;
		if (at <= index) {
			continue;
		}
		p = path_join(dir, names[i]);
		if (p == NULL) {
			rv = RAFT_ENOMEM;
			continue;
		}
		raft_log(RAFT_LOG_WARN,
			 "removing %s: newer than the snapshot the log records "
			 "(%llu)",
			 p, (unsigned long long)index);
		if (unlink(p) != 0 && errno != ENOENT) {
			rv = RAFT_EIO;
		}
		raft_free(p);
	}
	free_names(names, n);
	return rv;
}

int raft_snapshot_prune(const char *dir, unsigned keep)
{
	char **names;
	size_t n, i;
	DIR *d;
	struct dirent *e;
	int rv = list_names(dir, &names, &n);
	if (rv != 0) {
		return rv;
	}
	if (keep == 0) {
		keep = 1;
	}
	for (i = 0; i + keep < n; i++) {
		char *p = path_join(dir, names[i]);
		if (p != NULL) {
			if (unlink(p) != 0 && errno != ENOENT) {
				rv = RAFT_EIO;
			}
			raft_free(p);
		}
	}
	free_names(names, n);
	d = opendir(dir);
	if (d == NULL) {
		return rv;
	}
	while ((e = readdir(d)) != NULL) {
		if (is_tmp_name(e->d_name)) {
			char *p = path_join(dir, e->d_name);
			if (p != NULL) {
				unlink(p);
				raft_free(p);
			}
		}
	}
	closedir(d);
	return rv;
}

/* ------------------------------------------------------------------------
 * Receiving
 * ------------------------------------------------------------------------ */

#define PART_SUFFIX ".part"

struct raft_snapshot_receiver {
	int fd;
	raft_index index;
	raft_term term;
	char *dir;
	char *part_path;
	char *path;
};

static void receiver_free(struct raft_snapshot_receiver *r)
{
	if (r->fd >= 0) {
		close(r->fd);
	}
	raft_free(r->dir);
	raft_free(r->part_path);
	raft_free(r->path);
	raft_free(r);
}

/* Removes the partial files of dir but keep (a name, or NULL). */
static void remove_parts(const char *dir, const char *keep)
{
	size_t slen = strlen(PART_SUFFIX);
	struct dirent *e;
	DIR *d = opendir(dir);
	if (d == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *p;
		if (strncmp(e->d_name, "snapshot-", 9) != 0 || len <= slen ||
		    strcmp(e->d_name + len - slen, PART_SUFFIX) != 0 ||
		    (keep != NULL && strcmp(e->d_name, keep) == 0)) {
			continue;
		}
		p = path_join(dir, e->d_name);
		if (p != NULL) {
			unlink(p);
			raft_free(p);
		}
	}
	closedir(d);
}

int raft_snapshot_receiver_open(const char *dir, raft_index index,
				raft_term term,
				struct raft_snapshot_receiver **out,
				uint64_t *have, char *errmsg, size_t errmsg_len)
{
	struct raft_snapshot_receiver *r;
	char name[80], part[96];
	struct stat st;
	int rv;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(errmsg, errmsg_len, "create snapshot dir %s: %s", dir,
			 strerror(errno));
		return errno_code(errno);
	}
	raft_snapshot_path(NULL, index, term, name, sizeof(name));
	snprintf(part, sizeof(part), "%s%s", name, PART_SUFFIX);
	remove_parts(dir, part);
	r = raft_calloc(1, sizeof(*r));
	if (r == NULL) {
		goto err_nomem;
	}
	r->fd = -1;
	r->index = index;
	r->term = term;
	r->dir = path_join(dir, "");
	r->path = path_join(dir, name);
	r->part_path = path_join(dir, part);
	if (r->dir == NULL || r->path == NULL || r->part_path == NULL) {
		receiver_free(r);
		goto err_nomem;
	}
	r->dir[strlen(r->dir) - 1] = '\0';
	r->fd =
	    open(r->part_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (r->fd < 0 || fstat(r->fd, &st) != 0) {
		rv = errno_code(errno);
		snprintf(errmsg, errmsg_len, "open snapshot %s: %s",
			 r->part_path, strerror(errno));
		receiver_free(r);
		return rv;
	}
	*have = (uint64_t)st.st_size;
	*out = r;
	return 0;

err_nomem:
	snprintf(errmsg, errmsg_len, "receive snapshot in %s: %s", dir,
		 raft_strerror(RAFT_ENOMEM));
	return RAFT_ENOMEM;
}

int raft_snapshot_receiver_write(struct raft_snapshot_receiver *r,
				 const void *data, size_t len, char *errmsg,
				 size_t errmsg_len)
{
	if (write_all(r->fd, data, len) != 0) {
		int e = errno;
		snprintf(errmsg, errmsg_len, "write snapshot %s: %s",
			 r->part_path, strerror(e));
		return errno_code(e);
	}
	return 0;
}

int raft_snapshot_receiver_commit(struct raft_snapshot_receiver *r, char *path,
				  size_t path_len,
				  struct raft_snapshot_meta *meta, char *errmsg,
				  size_t errmsg_len)
{
	struct raft_snapshot_reader *reader;
	int rv;
	if (fsync(r->fd) != 0) {
		rv = errno_code(errno);
		snprintf(errmsg, errmsg_len, "write snapshot %s: %s",
			 r->part_path, strerror(errno));
		receiver_free(r);
		return rv;
	}
	close(r->fd);
	r->fd = -1;
	/* Checked before it takes the final name: a bad transfer must not
	 * replace a good file of the same snapshot. */
	rv = raft_snapshot_reader_open(r->part_path, &reader, errmsg,
				       errmsg_len);
	if (rv == 0) {
		const struct raft_snapshot_meta *m =
		    raft_snapshot_reader_meta(reader);
		if (m->index != r->index || m->term != r->term) {
			snprintf(errmsg, errmsg_len,
				 "snapshot %s: holds index %llu term %llu, "
				 "not what was announced",
				 r->path, (unsigned long long)m->index,
				 (unsigned long long)m->term);
			rv = RAFT_ECORRUPT;
		} else if (meta != NULL) {
			rv = raft_configuration_copy(&m->conf, &meta->conf);
			meta->index = m->index;
			meta->term = m->term;
			if (rv != 0) {
				snprintf(errmsg, errmsg_len,
					 "read snapshot %s: %s", r->path,
					 raft_strerror(rv));
			}
		}
		raft_snapshot_reader_close(reader);
	}
	if (rv == RAFT_ECORRUPT) {
		unlink(r->part_path);
	}
	if (rv == 0 &&
	    (rename(r->part_path, r->path) != 0 || fsync_dir(r->dir) != 0)) {
		rv = errno_code(errno);
		snprintf(errmsg, errmsg_len, "finish snapshot %s: %s", r->path,
			 strerror(errno));
		if (meta != NULL) {
			raft_configuration_close(&meta->conf);
		}
	}
	if (rv == 0) {
		snprintf(path, path_len, "%s", r->path);
	}
	receiver_free(r);
	return rv;
}

void raft_snapshot_receiver_close(struct raft_snapshot_receiver *r)
{
	if (r != NULL) {
		receiver_free(r);
	}
}
