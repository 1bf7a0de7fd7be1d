/* Unit tests of snapshot files (lib/storage/snapshot.c) in a fresh
 * temporary directory. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raft/log.h"
#include "raft/storage.h"
#include "test.h"

struct snapfile_fixture {
	char dir[64];
	char snaps[96];
	char received[96]; /* where a receiver puts what it gets */
	uint8_t *bytes;	   /* a snapshot file's bytes (malloc) */
	size_t len;
	struct raft_snapshot_meta meta;
	char err[512];
	char path[512];
};

SETUP(snapfile)
{
	raft_log_configure(RAFT_LOG_ERROR, test_log_quiet, NULL);
	strcpy(f->dir, "/tmp/raft-test-snapfile-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(f->dir));
	snprintf(f->snaps, sizeof(f->snaps), "%s/snapshots", f->dir);
	snprintf(f->received, sizeof(f->received), "%s/received", f->dir);
	f->meta.index = 120;
	f->meta.term = 4;
	raft_configuration_init(&f->meta.conf);
	ASSERT_OK(raft_configuration_add(&f->meta.conf, 2, "127.0.0.1:7002",
					 RAFT_VOTER));
}

TEARDOWN(snapfile)
{
	free(f->bytes);
	raft_configuration_close(&f->meta.conf);
	test_dir_remove(f->dir);
}

/* Writes a snapshot of `len` bytes of a known pattern at index. */
static void write_snapshot(struct snapfile_fixture *f, raft_index index,
			   size_t len)
{
	struct raft_snapshot_writer *w;
	uint8_t chunk[1000];
	size_t done = 0, i;
	f->meta.index = index;
	ASSERT_OK(raft_snapshot_writer_open(f->snaps, &f->meta, &w, f->err,
					    sizeof(f->err)));
	while (done < len) {
		size_t n =
		    len - done < sizeof(chunk) ? len - done : sizeof(chunk);
		for (i = 0; i < n; i++) {
			chunk[i] = (uint8_t)((done + i) * 7);
		}
		ASSERT_OK(raft_snapshot_writer_write(w, chunk, n));
		done += n;
	}
	ASSERT_OK(raft_snapshot_writer_commit(w, f->err, sizeof(f->err)));
}

static void latest_of(struct snapfile_fixture *f, const char *dir)
{
	ASSERT_OK(raft_snapshot_latest(dir, f->path, sizeof(f->path), f->err,
				       sizeof(f->err)));
}

static void latest(struct snapfile_fixture *f)
{
	latest_of(f, f->snaps);
}

TEST(snapfile, a_written_snapshot_reads_back_whole)
{
	struct raft_snapshot_reader *r;
	uint8_t buf[777];
	size_t n, total = 0, i;
	write_snapshot(f, 120, 10000);
	latest(f);
	ASSERT_OK(
	    raft_snapshot_reader_open(f->path, &r, f->err, sizeof(f->err)));
	ASSERT_EQ_U64(raft_snapshot_reader_meta(r)->index, 120);
	ASSERT_EQ_U64(raft_snapshot_reader_meta(r)->term, 4);
	ASSERT_EQ_U64(raft_snapshot_reader_meta(r)->conf.n, 1);
	ASSERT_EQ_U64(raft_snapshot_reader_size(r), 10000);
	do {
		ASSERT_OK(raft_snapshot_reader_read(r, buf, sizeof(buf), &n));
		for (i = 0; i < n; i++) {
			ASSERT_EQ_INT(buf[i], (uint8_t)((total + i) * 7));
		}
		total += n;
	} while (n > 0);
	ASSERT_EQ_U64(total, 10000);
	raft_snapshot_reader_close(r);
}

TEST(snapfile, every_flipped_byte_is_detected)
{
	struct raft_snapshot_reader *r;
	struct stat st;
	off_t at;
	int fd;
	write_snapshot(f, 120, 300);
	latest(f);
	ASSERT_EQ_INT(stat(f->path, &st), 0);
	fd = open(f->path, O_RDWR);
	ASSERT_TRUE(fd >= 0);
	for (at = 0; at < st.st_size; at++) {
		uint8_t b;
		ASSERT_EQ_INT(pread(fd, &b, 1, at), 1);
		b ^= 0x20;
		ASSERT_EQ_INT(pwrite(fd, &b, 1, at), 1);
		ASSERT_RV(raft_snapshot_reader_open(f->path, &r, f->err,
						    sizeof(f->err)),
			  RAFT_ECORRUPT);
		b ^= 0x20;
		ASSERT_EQ_INT(pwrite(fd, &b, 1, at), 1);
	}
	close(fd);
	ASSERT_OK(
	    raft_snapshot_reader_open(f->path, &r, f->err, sizeof(f->err)));
	raft_snapshot_reader_close(r);
}

TEST(snapfile, a_torn_file_is_detected)
{
	struct raft_snapshot_reader *r;
	struct stat st;
	write_snapshot(f, 120, 5000);
	latest(f);
	ASSERT_EQ_INT(stat(f->path, &st), 0);
	ASSERT_EQ_INT(truncate(f->path, st.st_size - 1000), 0);
	ASSERT_RV(
	    raft_snapshot_reader_open(f->path, &r, f->err, sizeof(f->err)),
	    RAFT_ECORRUPT);
	ASSERT_STR_CONTAINS(f->err, f->path);
}

TEST(snapfile, latest_falls_back_past_a_corrupt_newer_one)
{
	char newest[512];
	int fd;
	write_snapshot(f, 100, 50);
	write_snapshot(f, 200, 50);
	latest(f);
	ASSERT_STR_CONTAINS(f->path, "00000000000000000200");
	snprintf(newest, sizeof(newest), "%s", f->path);
	fd = open(newest, O_WRONLY);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ_INT(pwrite(fd, "X", 1, 40), 1);
	close(fd);
	latest(f);
	ASSERT_STR_CONTAINS(f->path, "00000000000000000100");
}

TEST(snapfile, no_snapshot_is_not_found)
{
	ASSERT_RV(raft_snapshot_latest(f->snaps, f->path, sizeof(f->path),
				       f->err, sizeof(f->err)),
		  RAFT_ENOTFOUND);
}

TEST(snapfile, an_aborted_writer_leaves_nothing)
{
	struct raft_snapshot_writer *w;
	ASSERT_OK(raft_snapshot_writer_open(f->snaps, &f->meta, &w, f->err,
					    sizeof(f->err)));
	ASSERT_OK(raft_snapshot_writer_write(w, "abc", 3));
	raft_snapshot_writer_abort(w);
	ASSERT_RV(raft_snapshot_latest(f->snaps, f->path, sizeof(f->path),
				       f->err, sizeof(f->err)),
		  RAFT_ENOTFOUND);
}

TEST(snapfile, prune_keeps_the_newest)
{
	char cmd[256];
	FILE *p;
	int count = 0;
	write_snapshot(f, 100, 10);
	write_snapshot(f, 200, 10);
	write_snapshot(f, 300, 10);
	ASSERT_OK(raft_snapshot_prune(f->snaps, 2));
	snprintf(cmd, sizeof(cmd), "ls %s", f->snaps);
	p = popen(cmd, "r");
	ASSERT_NOT_NULL(p);
	while (fgets(f->path, sizeof(f->path), p) != NULL) {
		ASSERT_TRUE(strstr(f->path, "00000000000000000100") == NULL);
		count++;
	}
	pclose(p);
	ASSERT_EQ_INT(count, 2);
}

/* ------------------------------------------------------------------------
 * Receiving: raft_snapshot_receiver_*
 * ------------------------------------------------------------------------ */

/* Writes a snapshot at (index, term 4) of len bytes of the pattern into the
 * snapshots dir and reads its whole file into f->bytes. */
static void sent_snapshot(struct snapfile_fixture *f, raft_index index,
			  size_t len)
{
	struct stat st;
	FILE *in;
	write_snapshot(f, index, len);
	latest(f);
	ASSERT_EQ_INT(stat(f->path, &st), 0);
	free(f->bytes);
	f->len = (size_t)st.st_size;
	f->bytes = malloc(f->len);
	ASSERT_NOT_NULL(f->bytes);
	in = fopen(f->path, "rb");
	ASSERT_NOT_NULL(in);
	ASSERT_EQ_U64(fread(f->bytes, 1, f->len, in), f->len);
	fclose(in);
}

/* The final and the partial file name of the snapshot at (index, term)
 * in dir. */
static void snap_path(char *buf, size_t len, const char *dir, raft_index index,
		      raft_term term, const char *suffix)
{
	snprintf(buf, len, "%s/snapshot-%020llu-%020llu.snap%s", dir,
		 (unsigned long long)index, (unsigned long long)term, suffix);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* The number of files in dir whose name starts with "snapshot-". */
static int count_snapshot_files(const char *dir)
{
	struct dirent *e;
	int n = 0;
	DIR *d = opendir(dir);
	ASSERT_NOT_NULL(d);
	while ((e = readdir(d)) != NULL) {
		n += strncmp(e->d_name, "snapshot-", 9) == 0;
	}
	closedir(d);
	return n;
}

static struct raft_snapshot_receiver *receiver_open(struct snapfile_fixture *f,
						    raft_index index,
						    raft_term term,
						    uint64_t *have)
{
	struct raft_snapshot_receiver *r = NULL;
	if (raft_snapshot_receiver_open(f->received, index, term, &r, have,
					f->err, sizeof(f->err)) != 0) {
		test_fail(__FILE__, __LINE__, "receiver_open: %s", f->err);
	}
	return r;
}

/* Feeds bytes [from, to) of f->bytes in pieces of growing, odd sizes. */
static void feed(struct snapfile_fixture *f, struct raft_snapshot_receiver *r,
		 size_t from, size_t to)
{
	size_t piece = 1;
	while (from < to) {
		size_t n = to - from < piece ? to - from : piece;
		if (raft_snapshot_receiver_write(r, f->bytes + from, n, f->err,
						 sizeof(f->err)) != 0) {
			test_fail(__FILE__, __LINE__, "receiver_write: %s",
				  f->err);
		}
		from += n;
		piece = piece * 3 + 1;
	}
}

/* Asserts that path is a valid snapshot at (index, 4) holding len bytes
 * of the pattern. */
static void assert_reads_back(struct snapfile_fixture *f, const char *path,
			      raft_index index, size_t len)
{
	struct raft_snapshot_reader *r;
	uint8_t buf[1000];
	size_t n, total = 0, i;
	ASSERT_OK(raft_snapshot_reader_open(path, &r, f->err, sizeof(f->err)));
	ASSERT_EQ_U64(raft_snapshot_reader_meta(r)->index, index);
	ASSERT_EQ_U64(raft_snapshot_reader_meta(r)->term, 4);
	ASSERT_EQ_U64(raft_snapshot_reader_size(r), len);
	do {
		ASSERT_OK(raft_snapshot_reader_read(r, buf, sizeof(buf), &n));
		for (i = 0; i < n; i++) {
			ASSERT_EQ_INT(buf[i], (uint8_t)((total + i) * 7));
		}
		total += n;
	} while (n > 0);
	ASSERT_EQ_U64(total, len);
	raft_snapshot_reader_close(r);
}

/* Asserts that committing r fails with RAFT_ECORRUPT and a message
 * holding why, and that no snapshot file is left in the received dir. */
static void assert_commit_refused(struct snapfile_fixture *f,
				  struct raft_snapshot_receiver *r,
				  const char *why)
{
	ASSERT_RV(raft_snapshot_receiver_commit(r, f->path, sizeof(f->path),
						NULL, f->err, sizeof(f->err)),
		  RAFT_ECORRUPT);
	ASSERT_STR_CONTAINS(f->err, why);
	ASSERT_EQ_INT(count_snapshot_files(f->received), 0);
}

TEST(snapfile, received_snapshot_is_committed_whole)
{
	struct raft_snapshot_receiver *r;
	struct raft_snapshot_meta meta;
	char want[512], part[512];
	uint64_t have = 99;
	sent_snapshot(f, 120, 10000);
	r = receiver_open(f, 120, 4, &have);
	ASSERT_EQ_U64(have, 0);
	snap_path(part, sizeof(part), f->received, 120, 4, ".part");
	ASSERT_TRUE(exists(part));
	feed(f, r, 0, f->len);
	raft_configuration_init(&meta.conf);
	ASSERT_OK(raft_snapshot_receiver_commit(r, f->path, sizeof(f->path),
						&meta, f->err, sizeof(f->err)));
	snap_path(want, sizeof(want), f->received, 120, 4, "");
	ASSERT_EQ_STR(f->path, want);
	ASSERT_EQ_U64(meta.index, 120);
	ASSERT_EQ_U64(meta.term, 4);
	ASSERT_EQ_U64(meta.conf.n, 1);
	ASSERT_EQ_U64(meta.conf.servers[0].id, 2);
	ASSERT_EQ_STR(meta.conf.servers[0].address, "127.0.0.1:7002");
	ASSERT_EQ_INT(meta.conf.servers[0].role, RAFT_VOTER);
	raft_configuration_close(&meta.conf);
	assert_reads_back(f, f->path, 120, 10000);
	/* Renamed: no partial file is left. */
	ASSERT_FALSE(exists(part));
	ASSERT_EQ_INT(count_snapshot_files(f->received), 1);
	latest_of(f, f->received);
	ASSERT_EQ_STR(f->path, want);
}

TEST(snapfile, receiver_commit_without_meta)
{
	struct raft_snapshot_receiver *r;
	uint64_t have;
	sent_snapshot(f, 120, 0);
	r = receiver_open(f, 120, 4, &have);
	feed(f, r, 0, f->len);
	ASSERT_OK(raft_snapshot_receiver_commit(r, f->path, sizeof(f->path),
						NULL, f->err, sizeof(f->err)));
	assert_reads_back(f, f->path, 120, 0);
}

TEST(snapfile, receiver_resumes_from_its_partial_file)
{
	struct raft_snapshot_receiver *r;
	size_t half;
	uint64_t have;
	sent_snapshot(f, 120, 5000);
	half = f->len / 2;
	r = receiver_open(f, 120, 4, &have);
	feed(f, r, 0, half);
	raft_snapshot_receiver_close(r);
	/* As after a restart: the bytes kept are where the sender resumes. */
	r = receiver_open(f, 120, 4, &have);
	ASSERT_EQ_U64(have, half);
	raft_snapshot_receiver_close(r);
	r = receiver_open(f, 120, 4, &have);
	ASSERT_EQ_U64(have, half);
	feed(f, r, half, f->len);
	ASSERT_OK(raft_snapshot_receiver_commit(r, f->path, sizeof(f->path),
						NULL, f->err, sizeof(f->err)));
	assert_reads_back(f, f->path, 120, 5000);
	ASSERT_EQ_INT(count_snapshot_files(f->received), 1);
}

TEST(snapfile, receiver_for_another_snapshot_removes_the_old_partial_file)
{
	struct raft_snapshot_receiver *r;
	char old_part[512], new_part[512];
	uint64_t have;
	sent_snapshot(f, 120, 3000);
	r = receiver_open(f, 120, 4, &have);
	feed(f, r, 0, 1000);
	raft_snapshot_receiver_close(r);
	snap_path(old_part, sizeof(old_part), f->received, 120, 4, ".part");
	snap_path(new_part, sizeof(new_part), f->received, 130, 5, ".part");
	ASSERT_TRUE(exists(old_part));
	r = receiver_open(f, 130, 5, &have);
	ASSERT_EQ_U64(have, 0);
	ASSERT_FALSE(exists(old_part));
	ASSERT_TRUE(exists(new_part));
	ASSERT_EQ_INT(count_snapshot_files(f->received), 1);
	raft_snapshot_receiver_close(r);
	/* The same index in another term is another snapshot too. */
	r = receiver_open(f, 130, 6, &have);
	ASSERT_EQ_U64(have, 0);
	ASSERT_FALSE(exists(new_part));
	ASSERT_EQ_INT(count_snapshot_files(f->received), 1);
	raft_snapshot_receiver_close(r);
	/* Back to the first: it starts over. */
	r = receiver_open(f, 120, 4, &have);
	ASSERT_EQ_U64(have, 0);
	raft_snapshot_receiver_close(r);
}

TEST(snapfile, receiver_refuses_a_flipped_byte_and_leaves_nothing)
{
	struct raft_snapshot_receiver *r;
	struct raft_snapshot_meta meta;
	uint64_t have;
	sent_snapshot(f, 120, 5000);
	/* A byte of the state machine's data. */
	f->bytes[f->len / 2] ^= 0x01;
	r = receiver_open(f, 120, 4, &have);
	feed(f, r, 0, f->len);
	raft_configuration_init(&meta.conf);
	strcpy(f->path, "unset");
	ASSERT_RV(raft_snapshot_receiver_commit(r, f->path, sizeof(f->path),
						&meta, f->err, sizeof(f->err)),
		  RAFT_ECORRUPT);
	ASSERT_STR_CONTAINS(f->err, "checksum");
	ASSERT_STR_CONTAINS(f->err, "00000000000000000120");
	ASSERT_EQ_STR(f->path, "unset");
	ASSERT_EQ_U64(meta.conf.n, 0);
	raft_configuration_close(&meta.conf);
	ASSERT_EQ_INT(count_snapshot_files(f->received), 0);
	/* A new transfer starts from nothing. */
	r = receiver_open(f, 120, 4, &have);
	ASSERT_EQ_U64(have, 0);
	raft_snapshot_receiver_close(r);
}

TEST(snapfile, receiver_refuses_a_torn_transfer_and_leaves_nothing)
{
	struct raft_snapshot_receiver *r;
	uint64_t have;
	sent_snapshot(f, 120, 5000);
	r = receiver_open(f, 120, 4, &have);
	feed(f, r, 0, f->len - 1);
	assert_commit_refused(f, r, "00000000000000000120");
	/* Nothing at all. */
	r = receiver_open(f, 120, 4, &have);
	assert_commit_refused(f, r, "too short");
}

TEST(snapfile, receiver_refuses_a_valid_file_of_another_snapshot)
{
	struct raft_snapshot_receiver *r;
	uint64_t have;
	sent_snapshot(f, 120, 1000);
	/* Announced at another index, then in another term. */
	r = receiver_open(f, 121, 4, &have);
	feed(f, r, 0, f->len);
	assert_commit_refused(f, r, "index 120 term 4");
	r = receiver_open(f, 120, 5, &have);
	feed(f, r, 0, f->len);
	assert_commit_refused(f, r, "index 120 term 4");
}

TEST(snapfile, prune_and_latest_leave_partial_files_alone)
{
	struct raft_snapshot_receiver *r;
	char part[512], tmp[512];
	struct stat st;
	uint64_t have;
	int fd;
	write_snapshot(f, 100, 10);
	write_snapshot(f, 200, 10);
	/* A transfer of a newer snapshot under way in the same dir, and a
	 * writer's leftover temporary file. */
	sent_snapshot(f, 300, 2000);
	ASSERT_EQ_INT(unlink(f->path), 0);
	ASSERT_OK(raft_snapshot_receiver_open(f->snaps, 400, 4, &r, &have,
					      f->err, sizeof(f->err)));
	feed(f, r, 0, 1500);
	raft_snapshot_receiver_close(r);
	snap_path(part, sizeof(part), f->snaps, 400, 4, ".part");
	snap_path(tmp, sizeof(tmp), f->snaps, 500, 4, ".tmp");
	fd = open(tmp, O_WRONLY | O_CREAT, 0640);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	ASSERT_OK(raft_snapshot_prune(f->snaps, 1));
	ASSERT_FALSE(exists(tmp));
	ASSERT_EQ_INT(stat(part, &st), 0);
	ASSERT_EQ_U64(st.st_size, 1500);
	ASSERT_EQ_INT(count_snapshot_files(f->snaps), 2);
	latest(f);
	ASSERT_STR_CONTAINS(f->path, "00000000000000000200");
	/* The transfer resumes. */
	ASSERT_OK(raft_snapshot_receiver_open(f->snaps, 400, 4, &r, &have,
					      f->err, sizeof(f->err)));
	ASSERT_EQ_U64(have, 1500);
	raft_snapshot_receiver_close(r);
}

TEST(snapfile, receiver_close_of_null_is_a_no_op)
{
	raft_snapshot_receiver_close(NULL);
}

static const struct test_case snapfile_cases[] = {
    TEST_CASE(snapfile, a_written_snapshot_reads_back_whole),
    TEST_CASE(snapfile, every_flipped_byte_is_detected),
    TEST_CASE(snapfile, a_torn_file_is_detected),
    TEST_CASE(snapfile, latest_falls_back_past_a_corrupt_newer_one),
    TEST_CASE(snapfile, no_snapshot_is_not_found),
    TEST_CASE(snapfile, an_aborted_writer_leaves_nothing),
    TEST_CASE(snapfile, prune_keeps_the_newest),
    TEST_CASE(snapfile, received_snapshot_is_committed_whole),
    TEST_CASE(snapfile, receiver_commit_without_meta),
    TEST_CASE(snapfile, receiver_resumes_from_its_partial_file),
    TEST_CASE(snapfile,
	      receiver_for_another_snapshot_removes_the_old_partial_file),
    TEST_CASE(snapfile, receiver_refuses_a_flipped_byte_and_leaves_nothing),
    TEST_CASE(snapfile, receiver_refuses_a_torn_transfer_and_leaves_nothing),
    TEST_CASE(snapfile, receiver_refuses_a_valid_file_of_another_snapshot),
    TEST_CASE(snapfile, prune_and_latest_leave_partial_files_alone),
    TEST_CASE(snapfile, receiver_close_of_null_is_a_no_op),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(snapfile))
