// SPDX-License-Identifier: GPL-2.0-only
/*
 * reapload: memory pressure and map load for the reaper suite and bench.
 *
 *   reapload balloon <leave MiB>
 *	Lock anonymous memory until MemFree is about <leave> MiB, print
 *	{"ballooned":MiB,"free":MiB}, then hold it until stdin closes,
 *	taking whatever memory is freed meanwhile (every 100 ms), as a
 *	workload that wants all of it would.
 *
 *   reapload churn <pool node> <offset>:<len> ...
 *	mmap each map region (maps made by someone else) and read every
 *	page of them over and over until stdin closes; a SIGBUS (a revoked
 *	map) is counted, not fatal.  Prints {"ready":true} once mapped and
 *	{"rounds":N,"sigbus":N} at the end.
 *
 *   reapload zipf <pool node> <seconds> <threads> <theta> <offset>:<len> ...
 *	Threads read one byte of a page chosen by a Zipf(theta) rank over
 *	all pages of the maps, in the order given (rank 0 is the first page
 *	of the first map), for <seconds>.  Prints ops, ops/s, latency
 *	percentiles in microseconds and major faults.
 *
 * Nothing here knows the mpool ABI beyond mmap of a pool node.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define MIB		(1UL << 20)

static void die(const char *what)
{
	fprintf(stderr, "reapload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long meminfo_kib(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* stdin reached EOF: the test closed it, or died. */
static int stdin_closed(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char buf[64];

	if (poll(&p, 1, 0) <= 0)
		return 0;
	return read(0, buf, sizeof(buf)) <= 0;
}

/* Take free memory down to @leave KiB, in steps; returns KiB taken. */
static long balloon_fill(long leave)
{
	long freek, total = 0;

	while ((freek = meminfo_kib("MemFree")) > leave + 4096) {
		long step = freek - leave;
		void *p;

		if (step > 64 * 1024)
			step = 64 * 1024;
		p = mmap(NULL, step * 1024, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		total += step;
	}
	return total;
}

static int cmd_balloon(int argc, char **argv)
{
	long leave, total;

	if (argc < 1)
		return 2;
	leave = atol(argv[0]) * 1024;
	total = balloon_fill(leave);
	printf("{\"ballooned\":%ld,\"free\":%ld}\n", total / 1024, meminfo_kib("MemFree") / 1024);
	fflush(stdout);
	while (!stdin_closed()) {
		usleep(100 * 1000);
		total += balloon_fill(leave);
	}
	printf("{\"ballooned\":%ld,\"free\":%ld}\n", total / 1024, meminfo_kib("MemFree") / 1024);
	return 0;
}

struct region {
	uint8_t		*base;
	size_t		len;
};

static int map_regions(const char *node, int argc, char **argv, struct region *r)
{
	int fd = open(node, O_RDONLY), i;

	if (fd < 0)
		die(node);
	for (i = 0; i < argc; i++) {
		char *colon;
		unsigned long long off = strtoull(argv[i], &colon, 0);

		if (*colon != ':')
			return 2;
		r[i].len = strtoull(colon + 1, NULL, 0);
		r[i].base = mmap(NULL, r[i].len, PROT_READ, MAP_SHARED, fd, off);
		if (r[i].base == MAP_FAILED)
			die("mmap map");
	}
	close(fd);
	return 0;
}

static sigjmp_buf churn_jmp;
static volatile sig_atomic_t churn_sigbus;

static void on_sigbus(int sig)
{
	(void)sig;
	churn_sigbus++;
	siglongjmp(churn_jmp, 1);
}

static int cmd_churn(int argc, char **argv)
{
	struct region r[64];
	volatile unsigned long rounds = 0;
	volatile int dead = 0;
	int n = argc - 1, i;

	if (n < 1 || n > 64 || map_regions(argv[0], n, argv + 1, r))
		return 2;
	signal(SIGBUS, on_sigbus);
	printf("{\"ready\":true}\n");
	fflush(stdout);
	while (!stdin_closed()) {
		if (sigsetjmp(churn_jmp, 1))
			dead = 1;	/* revoked: keep waiting for the end */
		if (dead) {
			usleep(20000);
			continue;
		}
		for (i = 0; i < n; i++) {
			volatile uint8_t sink;
			size_t off;

			for (off = 0; off < r[i].len; off += PAGE)
				sink = r[i].base[off];
			(void)sink;
		}
		rounds++;
	}
	printf("{\"rounds\":%lu,\"sigbus\":%d}\n", rounds, (int)churn_sigbus);
	return 0;
}

/* Zipf ranks by Gray et al.'s method (as YCSB), over n items. */
struct zipf {
	double		theta, alpha, zetan, eta;
	uint64_t	n;
};

static void zipf_init(struct zipf *z, uint64_t n, double theta)
{
	double zeta2 = 1 + pow(0.5, theta);
	uint64_t i;

	z->n = n;
	z->theta = theta;
	z->zetan = 0;
	for (i = 1; i <= n; i++)
		z->zetan += 1 / pow((double)i, theta);
	z->alpha = 1 / (1 - theta);
	z->eta = (1 - pow(2.0 / n, 1 - theta)) / (1 - zeta2 / z->zetan);
}

static uint64_t zipf_next(const struct zipf *z, unsigned int *seed)
{
	double u = (double)rand_r(seed) / ((double)RAND_MAX + 1);
	double uz = u * z->zetan;
	uint64_t r;

	if (uz < 1)
		return 0;
	if (uz < 1 + pow(0.5, z->theta))
		return 1;
	r = (uint64_t)(z->n * pow(z->eta * u - z->eta + 1, z->alpha));
	return r < z->n ? r : z->n - 1;
}

/* Latency histogram: 64 powers of two of ns, 16 linear steps in each. */
#define HIST_SUB	16
#define HIST_N		(64 * HIST_SUB)

static unsigned int hist_slot(uint64_t ns)
{
	unsigned int e = ns < HIST_SUB ? 0 : 63 - __builtin_clzll(ns) - 3;
	uint64_t base = e ? 1ULL << (e + 3) : 0;
	uint64_t step = e ? 1ULL << (e - 1) : 1;

	return e * HIST_SUB + (unsigned int)((ns - base) / step) % HIST_SUB;
}

static uint64_t hist_value(unsigned int slot)
{
	unsigned int e = slot / HIST_SUB, s = slot % HIST_SUB;
	uint64_t base = e ? 1ULL << (e + 3) : 0;
	uint64_t step = e ? 1ULL << (e - 1) : 1;

	return base + (uint64_t)(s + 1) * step;
}

struct zworker {
	pthread_t	tid;
	struct region	*r;
	int		nr;
	const struct zipf *z;
	uint64_t	*first;	/* first page index of each region */
	double		until;
	unsigned int	seed;
	uint64_t	ops;
	uint64_t	hist[HIST_N];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *zipf_run(void *arg)
{
	struct zworker *w = arg;
	volatile uint8_t sink;

	while (now_s() < w->until) {
		int k;

		for (k = 0; k < 64; k++) {
			uint64_t page = zipf_next(w->z, &w->seed), t0;
			int i = w->nr - 1;

			while (i > 0 && w->first[i] > page)
				i--;
			t0 = now_ns();
			sink = w->r[i].base[(page - w->first[i]) * PAGE];
			w->hist[hist_slot(now_ns() - t0)]++;
			w->ops++;
		}
	}
	(void)sink;
	return NULL;
}

static double pct(const uint64_t *hist, uint64_t total, double q)
{
	uint64_t want = (uint64_t)ceil(total * q), seen = 0;
	unsigned int s;

	for (s = 0; s < HIST_N; s++) {
		seen += hist[s];
		if (seen >= want)
			return hist_value(s) / 1000.0;
	}
	return hist_value(HIST_N - 1) / 1000.0;
}

static int cmd_zipf(int argc, char **argv)
{
	struct region r[64];
	uint64_t first[64], pages = 0, ops = 0;
	static uint64_t hist[HIST_N];
	struct rusage ru0, ru1;
	struct zworker *w;
	double secs, theta, t0, el;
	int nthreads, n, i, t;
	struct zipf z;

	if (argc < 5)
		return 2;
	secs = atof(argv[1]);
	nthreads = atoi(argv[2]);
	theta = atof(argv[3]);
	n = argc - 4;
	if (n > 64 || nthreads < 1 || map_regions(argv[0], n, argv + 4, r))
		return 2;
	for (i = 0; i < n; i++) {
		first[i] = pages;
		pages += r[i].len / PAGE;
	}
	zipf_init(&z, pages, theta);

	w = calloc(nthreads, sizeof(*w));
	if (!w)
		die("calloc");
	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_s();
	for (t = 0; t < nthreads; t++) {
		w[t] = (struct zworker){ .r = r, .nr = n, .z = &z, .first = first,
					 .until = t0 + secs, .seed = 0x9e3779b9u * (t + 1) };
		if (pthread_create(&w[t].tid, NULL, zipf_run, &w[t]))
			die("pthread_create");
	}
	for (t = 0; t < nthreads; t++) {
		int s;

		pthread_join(w[t].tid, NULL);
		ops += w[t].ops;
		for (s = 0; s < HIST_N; s++)
			hist[s] += w[t].hist[s];
	}
	el = now_s() - t0;
	getrusage(RUSAGE_SELF, &ru1);
	printf("{\"ops\":%llu,\"seconds\":%.3f,\"opsPerSec\":%.1f,\"p50us\":%.2f,\"p99us\":%.2f,\"p9999us\":%.2f,\"majflt\":%ld,\"pages\":%llu}\n",
	       (unsigned long long)ops, el, ops / el, pct(hist, ops, 0.5), pct(hist, ops, 0.99),
	       pct(hist, ops, 0.9999), ru1.ru_majflt - ru0.ru_majflt, (unsigned long long)pages);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	if (argc >= 2 && !strcmp(argv[1], "balloon"))
		rc = cmd_balloon(argc - 2, argv + 2);
	else if (argc >= 2 && !strcmp(argv[1], "churn"))
		rc = cmd_churn(argc - 2, argv + 2);
	else if (argc >= 2 && !strcmp(argv[1], "zipf"))
		rc = cmd_zipf(argc - 2, argv + 2);
	if (rc == 2)
		fprintf(stderr, "usage: reapload balloon <leave MiB> | churn <node> <off>:<len>... | zipf <node> <secs> <threads> <theta> <off>:<len>...\n");
	return rc;
}
