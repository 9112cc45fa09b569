// SPDX-License-Identifier: GPL-2.0-only
/*
 * xfer: the data-path bench's C client (bench/xfer.ts drives it in the
 * guest).  The same loop moves the data through mblocks and through raw
 * O_DIRECT, so that the ratio is the kernel's, not a language runtime's.
 * Each command prints one line: MiB/s, then for mbwrite the mblock ids.
 * rawwrite, rawread, mbwrite and mbread end with one more line: the CPU
 * seconds the process used (user + system, every thread), so that a gap
 * between two of them can be told apart as CPU or as waiting.
 *
 *   xfer rawwrite DEV IOSZ TOTAL [SYNC [REC]]
 *                                         O_DIRECT pwrites from 0, then fdatasync;
 *                                         with SYNC, an fdatasync after every
 *                                         SYNC bytes too (one per object); with
 *                                         REC, each object ends as a commit
 *                                         does on a disk without FUA:
 *                                         fdatasync, a REC-byte record write
 *                                         after TOTAL, fdatasync
 *   xfer rawread DEV IOSZ TOTAL THREADS [START]
 *                                         O_DIRECT preads of [START, START +
 *                                         TOTAL) (START 0 by default), split
 *   xfer mbwrite NODE IOSZ TOTAL MBSZ     TOTAL/MBSZ mblocks, written in IOSZ
 *                                         pieces and committed; a third line
 *                                         gives the seconds in commits and
 *                                         in all
 *   xfer mbread NODE IOSZ THREADS MBSZ ID...   every mblock read, split
 *   xfer mbdelete NODE ID...
 *   xfer mbfill NODE COUNT                COUNT mblocks allocated and committed
 *                                         with no data (the metadata bench):
 *                                         prints ops/s, then the p50, p99 and
 *                                         longest commit in µs
 *   xfer mbsmall NODE COUNT SIZE          COUNT times: MB_ALLOC, one SIZE
 *                                         MB_WRITE, MB_COMMIT, MB_DELETE;
 *                                         prints ops/s
 *   xfer filesmall DIR COUNT SIZE         the same on a file system: create,
 *                                         one O_DIRECT SIZE write, fdatasync,
 *                                         close, unlink; prints ops/s
 *
 * Sizes are bytes.  Exit 1 with a message on any error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "mpool_ioctl.h"

#define MIB (1024.0 * 1024.0)

static void die(const char *what)
{
	fprintf(stderr, "xfer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* User + system CPU seconds of this process so far, all threads. */
static double cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		die("getrusage");
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "xfer: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static void *buffer(size_t len)
{
	void *p;
	size_t i;

	if (posix_memalign(&p, 4096, len))
		die("posix_memalign");
	for (i = 0; i < len; i++)
		((unsigned char *)p)[i] = (unsigned char)(i * 131 + 7);
	return p;
}

struct job {
	int		fd;
	int		raw;
	size_t		iosz;
	uint64_t	start;		/* raw: byte offset */
	uint64_t	len;		/* raw: bytes */
	uint64_t	*ids;		/* mblocks */
	int		nids;
	uint64_t	mbsz;
	int		err;
};

static int mb_rw(int fd, unsigned long cmd, uint64_t id, int64_t off, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct mpioc_mblock_rw rw = {
		.mb_objid = id,
		.mb_offset = off,
		.mb_iov_cnt = 1,
		.mb_iov = &iov,
	};

	return ioctl(fd, cmd, &rw);
}

static void *reader(void *arg)
{
	struct job *j = arg;
	void *buf = buffer(j->iosz);
	uint64_t off;
	int i;

	if (j->raw) {
		for (off = 0; off < j->len && !j->err; off += j->iosz)
			if (pread(j->fd, buf, j->iosz, j->start + off) != (ssize_t)j->iosz)
				j->err = errno ?: EIO;
	} else {
		for (i = 0; i < j->nids && !j->err; i++)
			for (off = 0; off < j->mbsz && !j->err; off += j->iosz)
				if (mb_rw(j->fd, MPIOC_MB_READ, j->ids[i], off, buf, j->iosz))
					j->err = errno;
	}
	free(buf);
	return NULL;
}

/* Run @n readers over @jobs; returns seconds. */
static double run_readers(struct job *jobs, int n)
{
	pthread_t t[64];
	double t0 = now();
	int i;

	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, reader, &jobs[i]))
			die("pthread_create");
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < n; i++) {
		if (jobs[i].err) {
			errno = jobs[i].err;
			die("read");
		}
	}
	return now() - t0;
}

static int cmd_rawwrite(char **av)
{
	size_t iosz = num(av[1]);
	uint64_t total = num(av[2]), sync = av[3] ? num(av[3]) : 0, off, nrec = 0;
	size_t rec = sync && av[4] ? num(av[4]) : 0;
	int fd = open(av[0], O_RDWR | O_DIRECT);
	void *buf = buffer(iosz), *recbuf = rec ? buffer(rec) : NULL;
	double t0;

	if (fd < 0)
		die(av[0]);
	t0 = now();
	for (off = 0; off < total; off += iosz) {
		if (pwrite(fd, buf, iosz, off) != (ssize_t)iosz)
			die("pwrite");
		if (!sync || (off + iosz) % sync)
			continue;
		/* The data durable first, then its record (made durable below). */
		if (rec && fdatasync(fd))
			die("fdatasync");
		if (rec && pwrite(fd, recbuf, rec, total + nrec++ * rec) != (ssize_t)rec)
			die("pwrite");
		if (off + iosz < total && fdatasync(fd))
			die("fdatasync");
	}
	if (fdatasync(fd))
		die("fdatasync");
	printf("%.1f\n%.4f\n", total / MIB / (now() - t0), cpu());
	return 0;
}

static int cmd_rawread(char **av)
{
	size_t iosz = num(av[1]);
	uint64_t total = num(av[2]), start = av[4] ? num(av[4]) : 0;
	int n = num(av[3]), i;
	struct job jobs[64];
	int fd = open(av[0], O_RDONLY | O_DIRECT);

	if (fd < 0)
		die(av[0]);
	if (n < 1 || n > 64 || total % ((uint64_t)n * iosz)) {
		fprintf(stderr, "xfer: %d readers cannot split %" PRIu64 " bytes in %zu\n", n, total, iosz);
		return 2;
	}
	for (i = 0; i < n; i++)
		jobs[i] = (struct job){ .fd = fd, .raw = 1, .iosz = iosz,
					.start = start + total / n * i, .len = total / n };
	printf("%.1f\n", total / MIB / run_readers(jobs, n));
	printf("%.4f\n", cpu());
	return 0;
}

static int cmd_mbwrite(char **av)
{
	size_t iosz = num(av[1]);
	uint64_t total = num(av[2]), mbsz = num(av[3]), off, done;
	int fd = open(av[0], O_RDWR);
	void *buf = buffer(iosz);
	uint64_t ids[256];
	double t0, t, commit = 0;
	int n = 0, i;

	if (fd < 0)
		die(av[0]);
	if (total / mbsz > 256) {
		fprintf(stderr, "xfer: at most 256 mblocks\n");
		return 2;
	}
	t0 = now();
	for (done = 0; done < total; done += mbsz) {
		struct mpioc_mblock mb = { .mb_mclassp = MP_MED_CAPACITY };
		struct mpioc_mblock_id mi = { 0 };

		if (ioctl(fd, MPIOC_MB_ALLOC, &mb))
			die("MB_ALLOC");
		for (off = 0; off < mbsz; off += iosz)
			if (mb_rw(fd, MPIOC_MB_WRITE, mb.mb_objid, 0, buf, iosz))
				die("MB_WRITE");
		mi.mi_objid = mb.mb_objid;
		t = now();
		if (ioctl(fd, MPIOC_MB_COMMIT, &mi))
			die("MB_COMMIT");
		commit += now() - t;
		ids[n++] = mb.mb_objid;
	}
	t = now() - t0;
	printf("%.1f\n", total / MIB / t);
	for (i = 0; i < n; i++)
		printf("%s0x%" PRIx64, i ? " " : "", ids[i]);
	printf("\n%.4f %.4f\n%.4f\n", commit, t, cpu());
	return 0;
}

static int cmd_mbread(int ac, char **av)
{
	size_t iosz = num(av[1]);
	int n = num(av[2]), nids = ac - 4, i, k;
	uint64_t mbsz = num(av[3]);
	uint64_t ids[256];
	struct job jobs[64];
	int fd = open(av[0], O_RDONLY);

	if (fd < 0)
		die(av[0]);
	if (n < 1 || n > 64 || nids < n || nids > 256 || nids % n) {
		fprintf(stderr, "xfer: %d readers cannot split %d mblocks\n", n, nids);
		return 2;
	}
	for (i = 0; i < nids; i++)
		ids[i] = num(av[4 + i]);
	for (i = 0, k = 0; i < n; i++, k += nids / n)
		jobs[i] = (struct job){ .fd = fd, .iosz = iosz, .ids = &ids[k],
					.nids = nids / n, .mbsz = mbsz };
	printf("%.1f\n", (double)nids * mbsz / MIB / run_readers(jobs, n));
	printf("%.4f\n", cpu());
	return 0;
}

static int cmd_mbdelete(int ac, char **av)
{
	int fd = open(av[0], O_RDWR), i;

	if (fd < 0)
		die(av[0]);
	for (i = 1; i < ac; i++) {
		struct mpioc_mblock_id mi = { .mi_objid = num(av[i]) };

		if (ioctl(fd, MPIOC_MB_DELETE, &mi))
			die("MB_DELETE");
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmd_mbfill(char **av)
{
	uint64_t count = num(av[1]), i;
	int fd = open(av[0], O_RDWR);
	double t0, *lat;

	if (fd < 0)
		die(av[0]);
	if (!count)
		return 2;
	lat = malloc(count * sizeof(*lat));
	if (!lat)
		die("malloc");
	t0 = now();
	for (i = 0; i < count; i++) {
		struct mpioc_mblock mb = { .mb_mclassp = MP_MED_CAPACITY };
		struct mpioc_mblock_id mi = { 0 };
		double t;

		if (ioctl(fd, MPIOC_MB_ALLOC, &mb))
			die("MB_ALLOC");
		mi.mi_objid = mb.mb_objid;
		t = now();
		if (ioctl(fd, MPIOC_MB_COMMIT, &mi))
			die("MB_COMMIT");
		lat[i] = (now() - t) * 1e6;
	}
	printf("%.1f\n", count / (now() - t0));
	qsort(lat, count, sizeof(*lat), cmp_double);
	printf("%.0f %.0f %.0f\n", lat[count / 2], lat[count * 99 / 100], lat[count - 1]);
	free(lat);
	return 0;
}

static int cmd_mbsmall(char **av)
{
	uint64_t count = num(av[1]), i;
	size_t size = num(av[2]);
	int fd = open(av[0], O_RDWR);
	void *buf = buffer(size);
	double t0;

	if (fd < 0)
		die(av[0]);
	t0 = now();
	for (i = 0; i < count; i++) {
		struct mpioc_mblock mb = { .mb_mclassp = MP_MED_CAPACITY };
		struct mpioc_mblock_id mi = { 0 };

		if (ioctl(fd, MPIOC_MB_ALLOC, &mb))
			die("MB_ALLOC");
		if (mb_rw(fd, MPIOC_MB_WRITE, mb.mb_objid, 0, buf, size))
			die("MB_WRITE");
		mi.mi_objid = mb.mb_objid;
		if (ioctl(fd, MPIOC_MB_COMMIT, &mi))
			die("MB_COMMIT");
		if (ioctl(fd, MPIOC_MB_DELETE, &mi))
			die("MB_DELETE");
	}
	printf("%.1f\n", count / (now() - t0));
	return 0;
}

static int cmd_filesmall(char **av)
{
	uint64_t count = num(av[1]), i;
	size_t size = num(av[2]);
	void *buf = buffer(size);
	char path[4096];
	double t0;

	t0 = now();
	for (i = 0; i < count; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/o%" PRIu64, av[0], i);
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_DIRECT, 0600);
		if (fd < 0)
			die(path);
		if (pwrite(fd, buf, size, 0) != (ssize_t)size)
			die("pwrite");
		if (fdatasync(fd))
			die("fdatasync");
		if (close(fd))
			die("close");
		if (unlink(path))
			die("unlink");
	}
	printf("%.1f\n", count / (now() - t0));
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "rawwrite") && argc >= 5 && argc <= 7)
		return cmd_rawwrite(argv + 2);
	if (!strcmp(cmd, "rawread") && (argc == 6 || argc == 7))
		return cmd_rawread(argv + 2);
	if (!strcmp(cmd, "mbwrite") && argc == 6)
		return cmd_mbwrite(argv + 2);
	if (!strcmp(cmd, "mbread") && argc >= 7)
		return cmd_mbread(argc - 2, argv + 2);
	if (!strcmp(cmd, "mbdelete") && argc >= 3)
		return cmd_mbdelete(argc - 2, argv + 2);
	if (!strcmp(cmd, "mbfill") && argc == 4)
		return cmd_mbfill(argv + 2);
	if (!strcmp(cmd, "mbsmall") && argc == 5)
		return cmd_mbsmall(argv + 2);
	if (!strcmp(cmd, "filesmall") && argc == 5)
		return cmd_filesmall(argv + 2);
	fprintf(stderr, "usage: xfer rawwrite|rawread|mbwrite|mbread|mbdelete|mbfill|mbsmall|filesmall ... (see bench/xfer.c)\n");
	return 2;
}
