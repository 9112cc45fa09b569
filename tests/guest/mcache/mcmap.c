// SPDX-License-Identifier: GPL-2.0-only
/*
 * mcmap: a plain C client of the mcache ABI (uapi/mpool_ioctl.h, built
 * unchanged), for the map tests that need what Node cannot do: fork,
 * threads, mremap, a fault that kills the process.
 *
 *   mcmap <cmd> <pool node> <ids> [arg]
 *
 * <ids> is a comma list of hex mblock ids, or @file with one per line.
 * Each command creates a map of <ids>, mmaps its whole region read-only and
 * shared, and prints one JSON object on stdout.  "sum" values are FNV-1a
 * 64 of each mblock's written bytes, read through the map.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpool_ioctl.h"

struct map {
	int			fd;
	struct mpioc_vma	vma;
	uint64_t		*ids;
	uint64_t		*wlen;
	uint32_t		n;
	uint8_t			*base;
};

static void die(const char *what)
{
	printf("{\"error\":\"%s\",\"errno\":%d}\n", what, errno);
	exit(3);
}

struct idv {
	uint64_t	*v;
	uint32_t	n, cap;
};

static void idv_push(struct idv *ids, const char *hex)
{
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? ids->cap * 2 : 1024;
		ids->v = realloc(ids->v, ids->cap * sizeof(*ids->v));
		if (!ids->v)
			die("realloc");
	}
	ids->v[ids->n++] = strtoull(hex, NULL, 16);
}

static uint32_t parse_ids(const char *spec, uint64_t **idsp)
{
	struct idv ids = { 0 };
	char *copy, *tok, *save;
	char line[64];

	if (spec[0] == '@') {
		FILE *f = fopen(spec + 1, "r");

		if (!f)
			die("ids file");
		while (fgets(line, sizeof(line), f))
			idv_push(&ids, line);
		fclose(f);
	} else {
		copy = strdup(spec);
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			idv_push(&ids, tok);
		free(copy);
	}
	*idsp = ids.v;
	return ids.n;
}

static void map_open(struct map *m, const char *node, const char *spec)
{
	uint32_t i;

	memset(m, 0, sizeof(*m));
	m->fd = open(node, O_RDWR);
	if (m->fd < 0)
		die("open");
	m->n = parse_ids(spec, &m->ids);
	m->wlen = calloc(m->n, sizeof(*m->wlen));
	for (i = 0; i < m->n; i++) {
		struct mpioc_mblock mb = { .mb_objid = m->ids[i] };

		if (i && m->ids[i] == m->ids[i - 1]) {
			m->wlen[i] = m->wlen[i - 1];
			continue;
		}
		if (ioctl(m->fd, MPIOC_MB_FIND, &mb))
			die("MB_FIND");
		m->wlen[i] = mb.mb_props.mbx_props.mpr_write_len;
	}
	m->vma.im_advice = MPC_VMA_WARM;
	m->vma.im_mbidc = m->n;
	m->vma.im_mbidv = (__u64 *)m->ids;
	if (ioctl(m->fd, MPIOC_VMA_CREATE, &m->vma))
		die("VMA_CREATE");
	m->base = mmap(NULL, m->vma.im_len, PROT_READ, MAP_SHARED | MAP_NORESERVE, m->fd,
		       m->vma.im_offset);
	if (m->base == MAP_FAILED)
		die("mmap");
}

static uint64_t fnv(const uint8_t *p, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint64_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void print_sums(const struct map *m, const uint8_t *base)
{
	uint32_t i;

	printf("\"sums\":[");
	for (i = 0; i < m->n; i++)
		printf("%s\"%016llx\"", i ? "," : "",
		       (unsigned long long)fnv(base + i * m->vma.im_bktsz, m->wlen[i]));
	printf("]");
}

static int cmd_sum(struct map *m)
{
	printf("{\"bktsz\":%llu,\"len\":%llu,\"offset\":%lld,",
	       (unsigned long long)m->vma.im_bktsz, (unsigned long long)m->vma.im_len,
	       (long long)m->vma.im_offset);
	print_sums(m, m->base);
	printf("}\n");
	return 0;
}

/* Read one byte at an offset of the map: a hole kills us with SIGBUS. */
static int cmd_touch(struct map *m, const char *arg)
{
	uint64_t off = strtoull(arg, NULL, 0);
	volatile uint8_t v = m->base[off];

	printf("{\"value\":%u}\n", v);
	return 0;
}

/* Touch, say ready, wait for the flag file, touch again (revoked: SIGBUS). */
static int cmd_wait_touch(struct map *m, const char *flag)
{
	volatile uint8_t v = m->base[0];

	printf("{\"ready\":true,\"value\":%u}\n", v);
	fflush(stdout);
	while (access(flag, F_OK))
		usleep(20 * 1000);
	v = m->base[0];
	printf("{\"value\":%u}\n", v);
	return 0;
}

/* Fork, the child execs true (dropping its copy of the map), the parent reads on. */
static int cmd_fork_exec(struct map *m)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	printf("{\"execStatus\":%d,", status);
	print_sums(m, m->base);
	printf("}\n");
	return 0;
}

/* Read everything, say so, and hold the map until the flag file exists. */
static int cmd_hold(struct map *m, const char *flag)
{
	printf("{\"ready\":true,");
	print_sums(m, m->base);
	printf("}\n");
	fflush(stdout);
	while (access(flag, F_OK))
		usleep(20 * 1000);
	return 0;
}

/* The child sees the same pages, and the map outlives the parent's unmap. */
static int cmd_fork(struct map *m)
{
	uint8_t *nofork;
	int go[2], status;
	pid_t pid;
	char buf;

	nofork = mmap(NULL, m->vma.im_len, PROT_READ, MAP_SHARED, m->fd, m->vma.im_offset);
	if (nofork == MAP_FAILED || madvise(nofork, m->vma.im_len, MADV_DONTFORK))
		die("dontfork");
	if (pipe(go))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		char path[64], line[512];
		int absent = 1;
		FILE *f;

		if (read(go[0], &buf, 1) != 1)
			_exit(4);
		/* The parent has unmapped both and closed its fd. */
		snprintf(path, sizeof(path), "/proc/self/maps");
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			unsigned long lo;

			if (sscanf(line, "%lx-", &lo) == 1 && lo == (unsigned long)nofork)
				absent = 0;
		}
		if (f)
			fclose(f);
		printf("{\"child\":true,\"dontforkAbsent\":%s,", absent ? "true" : "false");
		print_sums(m, m->base);
		printf("}\n");
		fflush(stdout);
		_exit(0);
	}
	munmap(m->base, m->vma.im_len);
	munmap(nofork, m->vma.im_len);
	close(m->fd);
	if (write(go[1], "x", 1) != 1)
		die("write");
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	printf("{\"child\":false,\"childStatus\":%d}\n", status);
	return 0;
}

static int cmd_vm(struct map *m)
{
	uint64_t len = m->vma.im_len;
	int e_grow, e_dontunmap, e_wr, e_ex, e_none, e_mmapw, e_mmapx, e_priv;
	uint8_t *moved, *dst, *p;

	errno = 0;
	e_grow = mremap(m->base, len, len * 2, 0) == MAP_FAILED ? errno : 0;
	errno = 0;
	e_dontunmap = mremap(m->base, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP) == MAP_FAILED ?
		      errno : 0;
	e_wr = mprotect(m->base, len, PROT_READ | PROT_WRITE) ? errno : 0;
	e_ex = mprotect(m->base, len, PROT_READ | PROT_EXEC) ? errno : 0;
	e_none = mprotect(m->base, len, PROT_NONE) ? errno : 0;
	if (!e_none)
		e_none = mprotect(m->base, len, PROT_READ) ? errno : 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, m->vma.im_offset);
	e_mmapw = p == MAP_FAILED ? errno : 0;
	p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED, m->fd, m->vma.im_offset);
	e_mmapx = p == MAP_FAILED ? errno : 0;
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, m->fd, m->vma.im_offset);
	e_priv = p == MAP_FAILED ? errno : 0;
	if (p != MAP_FAILED)
		munmap(p, len);

	/* Move the map elsewhere: the same pages show at the new address. */
	dst = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	moved = mremap(m->base, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (moved == MAP_FAILED)
		die("mremap move");
	printf("{\"grow\":%d,\"dontunmap\":%d,\"mprotectWrite\":%d,\"mprotectExec\":%d,"
	       "\"noneThenRead\":%d,\"mmapWrite\":%d,\"mmapExec\":%d,\"mmapPrivate\":%d,",
	       e_grow, e_dontunmap, e_wr, e_ex, e_none, e_mmapw, e_mmapx, e_priv);
	print_sums(m, moved);
	printf("}\n");
	return 0;
}

struct worker {
	struct map	*m;
	int		idx;
	int		nthreads;
	uint64_t	same;	/* every bucket, all threads alike */
	uint64_t	mine;	/* pages idx, idx + n, ...: disjoint */
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	const struct map *m = w->m;
	uint64_t pg, i, x = 0, y = 0;

	for (i = 0; i < m->n; i++) {
		const uint8_t *b = m->base + i * m->vma.im_bktsz;

		x ^= fnv(b, m->wlen[i]) + i;
		for (pg = w->idx; pg * 4096 < m->wlen[i]; pg += w->nthreads)
			y ^= fnv(b + pg * 4096, 4096) + pg + (i << 32);
	}
	w->same = x;
	w->mine = y;
	return NULL;
}

static int cmd_threads(struct map *m, const char *arg)
{
	int n = atoi(arg), t, alike = 1;
	struct worker *w = calloc(n, sizeof(*w));
	pthread_t *tid = calloc(n, sizeof(*tid));
	uint64_t disjoint = 0;

	for (t = 0; t < n; t++) {
		w[t] = (struct worker){ .m = m, .idx = t, .nthreads = n };
		if (pthread_create(&tid[t], NULL, worker_run, &w[t]))
			die("pthread_create");
	}
	for (t = 0; t < n; t++) {
		pthread_join(tid[t], NULL);
		alike &= w[t].same == w[0].same;
		disjoint ^= w[t].mine;
	}
	printf("{\"threads\":%d,\"alike\":%s,\"disjoint\":\"%016llx\",", n, alike ? "true" : "false",
	       (unsigned long long)disjoint);
	print_sums(m, m->base);
	printf("}\n");
	return 0;
}

static sigjmp_buf reader_jmp;
static volatile int reader_faults;

static void on_segv(int sig __attribute__((unused)))
{
	reader_faults++;
	siglongjmp(reader_jmp, 1);
}

static void *reader_run(void *arg)
{
	struct map *m = arg;
	volatile uint64_t sink = 0;
	uint64_t pg;

	if (sigsetjmp(reader_jmp, 1))
		return NULL;
	for (;;)
		for (pg = 0; pg * 4096 < m->wlen[0]; pg++)
			sink += m->base[pg * 4096];
	return NULL;
}

/* munmap (or exit) while another thread faults the map. */
static int cmd_unmap_race(struct map *m, const char *arg)
{
	struct sigaction sa = { .sa_handler = on_segv };
	pthread_t tid;

	sigaction(SIGSEGV, &sa, NULL);
	if (pthread_create(&tid, NULL, reader_run, m))
		die("pthread_create");
	usleep(200 * 1000);
	if (!strcmp(arg, "exit")) {
		printf("{\"exit\":true}\n");
		fflush(stdout);
		_exit(0);
	}
	if (munmap(m->base, m->vma.im_len))
		die("munmap");
	pthread_join(tid, NULL);
	printf("{\"unmapped\":true,\"readerFaults\":%d}\n", reader_faults);
	return 0;
}

/* The pool's fd closed: the map goes on working. */
static int cmd_close_fd(struct map *m)
{
	close(m->fd);
	printf("{\"closed\":true,");
	print_sums(m, m->base);
	printf("}\n");
	return 0;
}

/* MADV_POPULATE_READ over a hole is EFAULT; WILLNEED over one is fine. */
static int cmd_advise(struct map *m)
{
	uint64_t tail = m->vma.im_bktsz * m->n;
	int e_pop_hole, e_pop_data, e_will;

	e_will = madvise(m->base, m->vma.im_len, MADV_WILLNEED) ? errno : 0;
	e_pop_data = madvise(m->base, m->wlen[0], MADV_POPULATE_READ) ? errno : 0;
	e_pop_hole = madvise(m->base + tail, 4096, MADV_POPULATE_READ) ? errno : 0;
	printf("{\"willneed\":%d,\"populateData\":%d,\"populateHole\":%d}\n", e_will, e_pop_data,
	       e_pop_hole);
	return 0;
}

/* Commands that take no argument ignore @arg. */
static int run_sum(struct map *m, const char *arg) { (void)arg; return cmd_sum(m); }
static int run_fork(struct map *m, const char *arg) { (void)arg; return cmd_fork(m); }
static int run_fork_exec(struct map *m, const char *arg) { (void)arg; return cmd_fork_exec(m); }
static int run_vm(struct map *m, const char *arg) { (void)arg; return cmd_vm(m); }
static int run_close_fd(struct map *m, const char *arg) { (void)arg; return cmd_close_fd(m); }
static int run_advise(struct map *m, const char *arg) { (void)arg; return cmd_advise(m); }

static const struct {
	const char	*name;
	int		(*run)(struct map *m, const char *arg);
} cmds[] = {
	{ "sum", run_sum },
	{ "touch", cmd_touch },
	{ "fork", run_fork },
	{ "fork-exec", run_fork_exec },
	{ "vm", run_vm },
	{ "threads", cmd_threads },
	{ "unmap-race", cmd_unmap_race },
	{ "hold", cmd_hold },
	{ "wait-touch", cmd_wait_touch },
	{ "close-fd", run_close_fd },
	{ "advise", run_advise },
};

int main(int argc, char **argv)
{
	const typeof(cmds[0]) *c;
	struct map m;
	const char *cmd, *arg;

	if (argc < 4) {
		fprintf(stderr, "usage: mcmap <cmd> <pool node> <ids> [arg]\n");
		return 2;
	}
	cmd = argv[1];
	arg = argc > 4 ? argv[4] : "";
	map_open(&m, argv[2], argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (c = cmds; c < cmds + sizeof(cmds) / sizeof(cmds[0]); c++)
		if (!strcmp(cmd, c->name))
			return c->run(&m, arg);
	fprintf(stderr, "mcmap: unknown command %s\n", cmd);
	return 2;
}
