// SPDX-License-Identifier: GPL-2.0-only
/*
 * mpfuzz: a structured fuzzer of the mpool ioctl ABI (uapi/mpool_ioctl.h,
 * built unchanged), run as root in the guest.
 *
 *   mpfuzz --seed S --calls N [--procs P] [--devs /dev/vda,/dev/vdb]
 *          [--out DIR] [--timeout SECONDS] [--kill-ms MS]
 *
 * P worker processes share N calls.  Each keeps typed resources: the
 * control fd, pool fds opened read-write, read-only and exclusive, pool
 * names, mblock and mlog ids, and mcache map offsets.  Calls that succeed
 * feed later calls, along with stale, deleted, foreign, wrong-type and
 * mutated ids.  Arguments start sane and are then mutated: fields take
 * boundary and random values, the argument pointer is NULL, unmapped,
 * read-only, unaligned or runs into an unmapped page, counts contradict
 * their buffers and names are unterminated.  Workers create, activate,
 * deactivate, rename and destroy the pools (one per device) under each
 * other.  With --kill-ms, the parent SIGKILLs a random worker about every
 * MS milliseconds (in an ioctl, a fault on a map, or between calls) and
 * starts a replacement that takes over its share of the calls.
 *
 * Invariants checked as it goes:
 *   - a read-only fd never changes anything: a command that needs write
 *     access never succeeds on one;
 *   - an object id is never handed out twice by one pool (pools are told
 *     apart by uuid; the table is shared by the workers).
 *
 * The parent watches /dev/kmsg.  On a kernel report (WARNING, BUG, Oops,
 * KASAN, lockdep, a hung task), a worker killed by a signal, a violation
 * or the timeout, it writes DIR/mpfuzz-repro-<seed>.txt: the seed and the
 * last calls of every worker, the one in flight marked.  With --procs 1
 * the sequence of calls is a function of the seed and of the results.
 *
 * Stdout: one JSON object (totals and per-command calls, successes and
 * errno counts).  Exit: 0 clean, 1 violation, 3 kernel report or a worker
 * killed, 4 timeout, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mpool_ioctl.h"

#define PAGE		4096UL
#define MAX_PROCS	16
#define MAX_DEVS	2
#define NFDS		12
#define NOBJS		96
#define NMAPS		8
#define RING		64
#define ARGMAX		768
#define IDTAB		(1UL << 20)
#define DATA_BYTES	(1UL << 20)
#define ZONE_MIB	4

/* Commands: the ABI's, then the fuzzer's own (opens, maps). */
#define IOCTL_CMDS(X) \
	X(MP_CREATE) X(MP_DESTROY) X(MP_ACTIVATE) X(MP_DEACTIVATE) X(MP_RENAME) \
	X(PARAMS_GET) X(PARAMS_SET) X(MP_MCLASS_GET) X(DRV_ADD) X(DRV_SPARES) \
	X(PROP_GET) X(PROP_SET) X(DEVPROPS_GET) \
	X(MLOG_ALLOC) X(MLOG_COMMIT) X(MLOG_ABORT) X(MLOG_DELETE) X(MLOG_FIND) \
	X(MLOG_READ) X(MLOG_WRITE) X(MLOG_PROPS) X(MLOG_ERASE) \
	X(MB_ALLOC) X(MB_ABORT) X(MB_COMMIT) X(MB_DELETE) X(MB_FIND) X(MB_READ) \
	X(MB_WRITE) \
	X(VMA_CREATE) X(VMA_DESTROY) X(VMA_PURGE) X(VMA_VRSS)

#define ENUM(n) C_##n,
#define NAME(n) #n,
#define NUMBER(n) MPIOC_##n,
enum cmd { IOCTL_CMDS(ENUM) C_OPEN, C_CLOSE, C_MMAP, C_MUNMAP, C_TOUCH, C_RAW, C_NR };
static const char *const cmd_name[C_NR] = {
	IOCTL_CMDS(NAME) "OPEN", "CLOSE", "MMAP", "MUNMAP", "TOUCH", "RAW_IOCTL",
};
static const unsigned long cmd_nr[] = { IOCTL_CMDS(NUMBER) };
#define N_IOCTL	((int)(sizeof(cmd_nr) / sizeof(cmd_nr[0])))

/* Relative weights: the object commands dominate, the lifecycle is rare. */
static const unsigned int cmd_weight[C_NR] = {
	[C_MP_CREATE] = 3, [C_MP_DESTROY] = 2, [C_MP_ACTIVATE] = 3,
	[C_MP_DEACTIVATE] = 2, [C_MP_RENAME] = 1,
	[C_PARAMS_GET] = 10, [C_PARAMS_SET] = 4, [C_MP_MCLASS_GET] = 6,
	[C_DRV_ADD] = 1, [C_DRV_SPARES] = 2,
	[C_PROP_GET] = 10, [C_PROP_SET] = 3, [C_DEVPROPS_GET] = 6,
	[C_MLOG_ALLOC] = 25, [C_MLOG_COMMIT] = 20, [C_MLOG_ABORT] = 6,
	[C_MLOG_DELETE] = 12, [C_MLOG_FIND] = 15, [C_MLOG_READ] = 20,
	[C_MLOG_WRITE] = 25, [C_MLOG_PROPS] = 15, [C_MLOG_ERASE] = 10,
	[C_MB_ALLOC] = 30, [C_MB_ABORT] = 6, [C_MB_COMMIT] = 25,
	[C_MB_DELETE] = 15, [C_MB_FIND] = 20, [C_MB_READ] = 25, [C_MB_WRITE] = 30,
	[C_VMA_CREATE] = 12, [C_VMA_DESTROY] = 6, [C_VMA_PURGE] = 6,
	[C_VMA_VRSS] = 8,
	[C_OPEN] = 12, [C_CLOSE] = 4, [C_MMAP] = 8, [C_MUNMAP] = 4,
	[C_TOUCH] = 12, [C_RAW] = 4,
};

/* Commands a read-only pool fd may carry (mpctl.c's MPC_IOC_RDONLY). */
static int rdonly_ok(enum cmd c)
{
	switch (c) {
	case C_PARAMS_GET: case C_MP_MCLASS_GET: case C_PROP_GET:
	case C_DEVPROPS_GET: case C_MLOG_FIND: case C_MLOG_READ:
	case C_MLOG_PROPS: case C_MB_FIND: case C_MB_READ: case C_VMA_VRSS:
		return 1;
	default:
		return 0;
	}
}

enum fdkind { FD_NONE, FD_CTL, FD_RW, FD_RO, FD_EXCL };
static const char *const kind_name[] = { "none", "ctl", "pool-rw", "pool-ro", "pool-excl" };

struct call {
	uint64_t	seq;
	int32_t		cmd;
	int32_t		fdkind;
	int32_t		ret;		/* INT32_MIN: in flight */
	int32_t		err;
	uint32_t	argsz;
	uint32_t	argoff;		/* where the argument pointer went */
	char		note[56];
	uint8_t		arg[96];
};

struct stats {
	uint64_t	calls[C_NR];
	uint64_t	ok[C_NR];
	uint32_t	err[C_NR][134];
};

struct shared {
	struct stats	st[MAX_PROCS];
	struct call	ring[MAX_PROCS][RING];
	uint64_t	ringpos[MAX_PROCS];
	uint64_t	violations;
	char		violation[4][200];
	int		quiet;		/* set by worker 0: close pool fds, run the lifecycle */
	uint64_t	ids[IDTAB];	/* hash(pool uuid, objid), 0 = empty */
};

static struct shared *sh;

struct pfd {
	int		fd;
	enum fdkind	kind;
	int		have_uuid;
	uint8_t		uuid[16];
};

enum objtype { OBJ_MB, OBJ_ML };
enum objstate { ST_ALLOC, ST_COMMITTED, ST_GONE };

struct obj {
	int		used;
	uint64_t	id;
	enum objtype	type;
	enum objstate	state;
	uint8_t		uuid[16];
	uint64_t	wlen;
};

struct map {
	int		used;
	int		fd;
	int64_t		off;
	uint64_t	len;
	uint64_t	bktsz;
	uint64_t	wlen[4];	/* written bytes of each mblock, as far as known */
	uint8_t		*addr;
};

/* One worker's state. */
static struct {
	int		id;
	uint64_t	rng;
	uint64_t	seq;
	uint64_t	accounted;
	uint64_t	vma_wlen[4];	/* of the ids the last VMA_CREATE named */
	struct pfd	fds[NFDS];
	struct obj	objs[NOBJS];
	struct map	maps[NMAPS];
	uint8_t		*arg;		/* ARGMAX bytes, 64-aligned, inside a RW page */
	uint8_t		*guard;		/* a RW page followed by a PROT_NONE page */
	uint8_t		*ro;		/* a read-only page */
	uint8_t		*none;		/* a PROT_NONE page */
	uint8_t		*data;		/* DATA_BYTES, page-aligned */
	uint8_t		*aux;		/* 64 KiB for vectors, lists and strings */
} w;

static int ndevs;
static char devs[MAX_DEVS][64];
static uint64_t dev_size[MAX_DEVS];
static unsigned int dev_lbs[MAX_DEVS];
static const char *const pool_names[] = { "fz0", "fz1", "fzr0", "fzr1" };
#define NNAMES	4

/* ---- randomness: splitmix64, one stream per worker ---- */

static uint64_t rnd(void)
{
	uint64_t z = (w.rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(unsigned int pct)
{
	return below(100) < pct;
}

static uint64_t boundary(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 7, 8, 255, 256, 511, 512, 4095, 4096, 4097, 65535, 65536,
		1023, 1024, 1025, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL, ~0ULL - 1,
		1ULL << 20, (1ULL << 20) + 1, 1ULL << 32, 1ULL << 40,
	};

	if (chance(15))
		return rnd();
	return v[below(sizeof(v) / sizeof(v[0]))];
}

static uint64_t mix(const uint8_t *uuid, uint64_t id)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ uuid[i]) * 0x100000001b3ULL;
	h ^= id + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h ? h : 1;
}

/* ---- invariants ---- */

static void violation(const char *fmt, ...)
{
	uint64_t n = __atomic_fetch_add(&sh->violations, 1, __ATOMIC_SEQ_CST);
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mpfuzz: worker %d: VIOLATION: %s\n", w.id, msg);
	if (n < 4)
		memcpy(sh->violation[n], msg, sizeof(msg));
}

/* Record a newly handed-out id; a second sighting is a violation. */
static void id_seen(const uint8_t *uuid, uint64_t objid, const char *cmd)
{
	uint64_t key = mix(uuid, objid);
	uint64_t i = key & (IDTAB - 1);
	uint64_t probes;

	for (probes = 0; probes < IDTAB; probes++, i = (i + 1) & (IDTAB - 1)) {
		uint64_t expect = 0;

		if (__atomic_compare_exchange_n(&sh->ids[i], &expect, key, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return;
		if (expect == key) {
			violation("%s handed out id 0x%llx a second time", cmd,
				  (unsigned long long)objid);
			return;
		}
	}
}

/* ---- the ring of recent calls ---- */

static struct call *ring_begin(enum cmd c, enum fdkind k, const void *arg, size_t sz,
			       size_t argoff)
{
	uint64_t pos = sh->ringpos[w.id]++;
	struct call *r = &sh->ring[w.id][pos % RING];

	r->seq = ++w.seq;
	r->cmd = c;
	r->fdkind = k;
	r->ret = INT32_MIN;
	r->err = 0;
	r->argsz = sz;
	r->argoff = argoff;
	r->note[0] = 0;
	memset(r->arg, 0, sizeof(r->arg));
	if (arg)
		memcpy(r->arg, arg, sz < sizeof(r->arg) ? sz : sizeof(r->arg));
	return r;
}

static void account(struct call *r, enum cmd c, int ret, int err)
{
	struct stats *st = &sh->st[w.id];

	w.accounted++;
	r->ret = ret;
	r->err = ret < 0 ? err : 0;
	st->calls[c]++;
	if (ret >= 0)
		st->ok[c]++;
	else
		st->err[c][err > 0 && err < 134 ? err : 0]++;
}

/* ---- memory the pointers point at ---- */

static void *map_or_die(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mpfuzz: mmap");
		exit(2);
	}
	return p;
}

/*
 * `len` bytes with an unmapped page on each side: what the kernel writes
 * past a buffer it was told is larger faults (EFAULT) instead of landing
 * in the fuzzer's own state.
 */
static void *map_guarded(size_t len, int prot)
{
	uint8_t *p = map_or_die(len + 2 * PAGE, PROT_NONE);

	if (mprotect(p + PAGE, len, prot)) {
		perror("mpfuzz: mprotect");
		exit(2);
	}
	return p + PAGE;
}

static void worker_memory(void)
{
	w.guard = map_guarded(PAGE, PROT_READ | PROT_WRITE);
	w.arg = map_guarded(PAGE, PROT_READ | PROT_WRITE);
	w.ro = map_guarded(PAGE, PROT_READ);
	w.none = map_or_die(PAGE, PROT_NONE);
	w.data = map_guarded(DATA_BYTES, PROT_READ | PROT_WRITE);
	w.aux = map_guarded(64 * 1024, PROT_READ | PROT_WRITE);
}

/*
 * Where the argument goes: mostly its own buffer; sometimes NULL, an
 * unmapped page, a read-only copy, an unaligned copy, or a copy whose end
 * runs into an unmapped page.  Returns the pointer; *off tells the ring.
 */
static void *place_arg(size_t sz, uint32_t *off)
{
	uint64_t r = below(100);

	*off = 0;
	if (r < 86)
		return w.arg;
	if (r < 88) {
		*off = 1;
		return NULL;
	}
	if (r < 90) {
		*off = 2;
		return w.none;
	}
	if (r < 93) {
		*off = 3;
		mprotect(w.ro, PAGE, PROT_READ | PROT_WRITE);
		memcpy(w.ro, w.arg, sz);
		mprotect(w.ro, PAGE, PROT_READ);
		return w.ro;
	}
	if (r < 96) {
		size_t shift = 1 + below(7);

		*off = 4;
		memmove(w.arg + 64 + shift, w.arg, sz);
		return w.arg + 64 + shift;
	}
	/* Straddles the guard: the first bytes readable, the rest not. */
	{
		size_t keep = sz > 1 ? 1 + below(sz - 1) : 0;

		*off = 5;
		memcpy(w.guard + PAGE - keep, w.arg, keep);
		return w.guard + PAGE - keep;
	}
}

static const char *const place_name[] = { "own", "NULL", "unmapped", "read-only", "unaligned", "straddling" };

/* A mutation or three: boundary or random values at random offsets. */
static void mutate(uint8_t *p, size_t sz, unsigned int pct)
{
	int n, i;

	if (!chance(pct) || !sz)
		return;
	n = 1 + below(3);
	for (i = 0; i < n; i++) {
		static const size_t widths[] = { 1, 2, 4, 8 };
		size_t wd = widths[below(4)];
		size_t at;
		uint64_t v = boundary();

		if (wd > sz)
			wd = sz;
		at = below(sz - wd + 1) & ~(wd - 1);
		memcpy(p + at, &v, wd);
	}
}

/* A user buffer for `len` bytes of output or input, usually good. */
static void *user_buf(size_t len, int for_output)
{
	uint64_t r = below(100);

	if (len > DATA_BYTES)
		len = DATA_BYTES;
	if (r < 90)
		return w.data + (below(DATA_BYTES / PAGE) * PAGE) % (DATA_BYTES - ((len + PAGE - 1) & ~(PAGE - 1)) + PAGE);
	if (r < 93)
		return NULL;
	if (r < 95)
		return w.none;
	if (r < 97 && for_output)
		return w.ro;
	return w.guard + PAGE - (len < PAGE ? len / 2 : 8);
}

/* ---- resources ---- */

static struct pfd *pick_fd(int want_pool)
{
	int i, n = 0, idx[NFDS];

	for (i = 0; i < NFDS; i++)
		if (w.fds[i].kind != FD_NONE &&
		    (want_pool < 0 || (want_pool ? w.fds[i].kind != FD_CTL : w.fds[i].kind == FD_CTL)))
			idx[n++] = i;
	if (!n || chance(5)) {
		/* Anything open, whatever it is. */
		n = 0;
		for (i = 0; i < NFDS; i++)
			if (w.fds[i].kind != FD_NONE)
				idx[n++] = i;
	}
	if (!n)
		return NULL;
	return &w.fds[idx[below(n)]];
}

static void fd_learn_uuid(struct pfd *p)
{
	struct mpioc_params mp;

	memset(&mp, 0, sizeof(mp));
	p->have_uuid = 0;
	if (ioctl(p->fd, MPIOC_PARAMS_GET, &mp) == 0) {
		memcpy(p->uuid, &mp.mps_params.mp_poolid, 16);
		p->have_uuid = 1;
	}
}

static void fd_close(struct pfd *p)
{
	close(p->fd);
	p->kind = FD_NONE;
	p->fd = -1;
}

static struct obj *pick_obj(struct pfd *p, enum objtype t, int want, uint64_t *id)
{
	int i, n = 0, idx[NOBJS];
	uint64_t r = below(100);
	struct obj *o;

	/*
	 * Usually one of this pool's, of the right type and in the state the
	 * command wants (want < 0: any); else anything, gone ones included.
	 */
	for (i = 0; i < NOBJS; i++) {
		o = &w.objs[i];
		if (o->used && (r >= 80 ||
				(o->type == t && p && p->have_uuid && !memcmp(o->uuid, p->uuid, 16) &&
				 (want < 0 || r >= 65 || (int)o->state == want))))
			idx[n++] = i;
	}
	if (!n) {
		*id = chance(50) ? boundary() : rnd();
		return NULL;
	}
	o = &w.objs[idx[below(n)]];
	*id = o->id;
	if (chance(4))
		*id ^= 1ULL << below(64);	/* a near miss */
	else if (chance(2))
		*id = rnd();
	return *id == o->id ? o : NULL;
}

static void obj_add(struct pfd *p, enum objtype t, uint64_t id, const char *cmd)
{
	int i, slot = -1;

	if (p->have_uuid)
		id_seen(p->uuid, id, cmd);
	for (i = 0; i < NOBJS; i++)
		if (!w.objs[i].used) {
			slot = i;
			break;
		}
	if (slot < 0) {
		/* Full: forget a gone one if there is one, else anything. */
		for (i = 0; i < NOBJS; i++)
			if (w.objs[i].state == ST_GONE) {
				slot = i;
				break;
			}
		if (slot < 0)
			slot = below(NOBJS);
	}
	w.objs[slot].used = 1;
	w.objs[slot].id = id;
	w.objs[slot].type = t;
	w.objs[slot].state = ST_ALLOC;
	w.objs[slot].wlen = 0;
	memcpy(w.objs[slot].uuid, p->uuid, 16);
}

/* ---- device descriptions for the lifecycle commands ---- */

static void fill_pd_prop(struct pd_prop *pp, int d)
{
	uint64_t zone = (uint64_t)ZONE_MIB << 20;

	memset(pp, 0, sizeof(*pp));
	snprintf(pp->pdp_didstr, sizeof(pp->pdp_didstr), "mpfuzz");
	pp->pdp_devtype = PD_DEV_TYPE_BLOCK_STD;
	pp->pdp_devstate = PD_DEV_STATE_AVAIL;
	pp->pdp_phys_if = DEVICE_PHYS_IF_VIRTUAL;
	pp->pdp_mclassp = d == 0 || chance(50) ? MP_MED_CAPACITY : MP_MED_STAGING;
	pp->pdp_cmdopt = PD_CMD_SECTOR_UPDATABLE;
	pp->pdp_zparam.dvb_zonepg = zone / PAGE;
	pp->pdp_zparam.dvb_zonetot = dev_size[d] / zone;
	pp->pdp_sectorsz = dev_lbs[d] == 4096 ? 12 : 9;
	pp->pdp_optiosz = 131072;
	pp->pdp_devsz = dev_size[d];
}

/*
 * The device list of a lifecycle command: the slot's own device mostly,
 * sometimes both, another's, or a path that is not a device; dpathc and
 * dpathssz sometimes disagree with the string, which is sometimes
 * unterminated.
 */
static void fill_devices(int slot, uint32_t *dpathc, uint32_t *dpathssz, uint64_t *dpaths,
			 uint64_t *pdprop, char *note, size_t notesz)
{
	char *s = (char *)w.aux;
	struct pd_prop *pp = (struct pd_prop *)(w.aux + 4096);
	int list[MAX_DEVS], n = 0, i;
	size_t len = 0;
	uint64_t r = below(100);

	if (r < 80 || ndevs < 2) {
		list[n++] = slot % ndevs;
	} else if (r < 90) {
		list[n++] = 0;
		list[n++] = 1;
	} else {
		list[n++] = (slot + 1) % ndevs;
	}
	s[0] = 0;
	for (i = 0; i < n; i++) {
		len += sprintf(s + len, "%s%s", i ? "\n" : "", chance(2) ? "/dev/null" : devs[list[i]]);
		fill_pd_prop(&pp[i], list[i]);
		mutate((uint8_t *)&pp[i], sizeof(pp[i]), 10);
	}
	*dpathc = n;
	*dpathssz = len + 1;
	*dpaths = (uintptr_t)s;
	*pdprop = (uintptr_t)pp;
	if (chance(5)) {
		/* Unterminated, right up to an unmapped page. */
		memcpy(w.guard + PAGE - len, s, len);
		*dpaths = (uintptr_t)(w.guard + PAGE - len);
		*dpathssz = len;
	}
	if (chance(4))
		*dpathc = boundary();
	if (chance(4))
		*dpathssz = boundary();
	if (chance(2))
		*pdprop = chance(50) ? 0 : (uintptr_t)w.none;
	snprintf(note, notesz, "devs %.40s", s);
}

static void fill_name(char *dst, size_t cap, int slot)
{
	uint64_t r = below(100);

	memset(dst, 0, cap);
	if (r < 90) {
		strcpy(dst, pool_names[(slot + (chance(20) ? 2 : 0)) % NNAMES]);
	} else if (r < 94) {
		memset(dst, 'a' + below(26), cap);	/* unterminated */
	} else if (r < 97) {
		strcpy(dst, chance(50) ? "../x" : "a/b");
	} else {
		memset(dst, 'n', MPOOL_NAMESZ_MAX - 1);
	}
}

static void fill_params(struct mpool_params *p, int slot, int create)
{
	memset(p, 0, sizeof(*p));
	p->mp_uid = p->mp_gid = p->mp_mode = 0xffffffffU;
	p->mp_spare_cap = p->mp_spare_stg = MPOOL_SPARES_INVALID;
	p->mp_ra_pages_max = MPOOL_RA_PAGES_INVALID;
	if (create) {
		p->mp_mblocksz[MP_MED_CAPACITY] = ZONE_MIB;
		p->mp_spare_cap = 0;
	} else if (chance(50)) {
		/* A change PARAMS_SET or PROP_SET can make. */
		switch (below(5)) {
		case 0:
			p->mp_mode = chance(80) ? 0600 : boundary();
			break;
		case 1:
			p->mp_ra_pages_max = below(64);
			break;
		case 2:
			snprintf(p->mp_label, sizeof(p->mp_label), "fuzz%llu", (unsigned long long)below(100));
			if (chance(10))
				memset(p->mp_label, 'L', sizeof(p->mp_label));
			break;
		case 3:
			p->mp_spare_cap = below(110);
			break;
		default:
			p->mp_uid = chance(80) ? 0 : boundary();
		}
	}
	fill_name(p->mp_name, sizeof(p->mp_name), slot);
}

/* ---- building one call ---- */

static size_t build_lifecycle(enum cmd c, char *note, size_t notesz)
{
	struct mpioc_mpool *m = (struct mpioc_mpool *)w.arg;
	int slot = below(ndevs);
	uint64_t dp, pp;

	fill_params(&m->mp_params, slot, c == C_MP_CREATE);
	m->mp_flags = chance(30) ? 1U << MP_FLAGS_FORCE : 0;
	if (chance(3))
		m->mp_flags = boundary();
	m->mp_rsvd1 = chance(3) ? boundary() : 0;
	m->mp_rsvd2 = chance(3) ? boundary() : 0;
	if (c == C_MP_DEACTIVATE && chance(90)) {
		m->mp_dpathc = 0;
		m->mp_dpathssz = 0;
		m->mp_dpaths = NULL;
		m->mp_pd_prop = NULL;
		snprintf(note, notesz, "name %.16s", m->mp_params.mp_name);
	} else {
		fill_devices(slot, &m->mp_dpathc, &m->mp_dpathssz, &dp, &pp, note, notesz);
		m->mp_dpaths = (char *)(uintptr_t)dp;
		m->mp_pd_prop = (struct pd_prop *)(uintptr_t)pp;
	}
	return sizeof(*m);
}

/* An iovec vector for `total` bytes, usually sane; *cnt is what to claim. */
static const struct iovec *build_iov(uint64_t total, int for_output, uint16_t *cnt)
{
	struct iovec *v = (struct iovec *)(w.aux + 16384);
	uint64_t n = 1 + below(4), i, left = total;

	if (total < n * PAGE)
		n = 1;
	for (i = 0; i < n; i++) {
		uint64_t len = i + 1 == n ? left : (left / n) & ~(PAGE - 1);

		v[i].iov_base = user_buf(len, for_output);
		v[i].iov_len = len;
		left -= len;
		if (chance(3))
			v[i].iov_len = boundary();
		if (chance(3))
			v[i].iov_base = (uint8_t *)v[i].iov_base + 1 + below(511);
	}
	*cnt = n;
	if (chance(4))
		*cnt = chance(50) ? 0 : (chance(50) ? MPIOC_KIOV_MAX + 1 : n + 1 + below(8));
	if (chance(2))
		return chance(50) ? NULL : (const struct iovec *)w.none;
	if (chance(2)) {
		/* The vector itself runs into the guard page. */
		size_t keep = n * sizeof(*v) / 2;

		memcpy(w.guard + PAGE - keep, v, keep);
		return (const struct iovec *)(w.guard + PAGE - keep);
	}
	return v;
}

static uint64_t io_len(void)
{
	if (chance(5))
		return boundary();
	return PAGE * (1 + below(chance(20) ? 64 : 8));
}

static size_t build_object_cmd(enum cmd c, struct pfd *p, struct obj **op, char *note, size_t notesz)
{
	uint64_t id = 0;
	struct obj *o = NULL;
	enum objtype t = c >= C_MB_ALLOC ? OBJ_MB : OBJ_ML;

	if (c != C_MB_ALLOC && c != C_MLOG_ALLOC) {
		int want = -1;

		if (c == C_MB_WRITE || c == C_MB_COMMIT || c == C_MB_ABORT || c == C_MLOG_COMMIT ||
		    c == C_MLOG_ABORT)
			want = ST_ALLOC;
		else if (c == C_MB_READ || c == C_MB_DELETE || c == C_MLOG_WRITE || c == C_MLOG_READ ||
			 c == C_MLOG_ERASE || c == C_MLOG_DELETE)
			want = ST_COMMITTED;
		o = pick_obj(p, t, want, &id);
	}
	*op = o;
	snprintf(note, notesz, "id 0x%llx%s", (unsigned long long)id, o ? "" : " (not tracked)");

	switch (c) {
	case C_MB_ALLOC: {
		struct mpioc_mblock *m = (struct mpioc_mblock *)w.arg;

		memset(m, 0, sizeof(*m));
		m->mb_mclassp = chance(90) ? MP_MED_CAPACITY : (chance(50) ? MP_MED_STAGING : boundary());
		m->mb_spare = chance(5);
		return sizeof(*m);
	}
	case C_MB_FIND: {
		struct mpioc_mblock *m = (struct mpioc_mblock *)w.arg;

		memset(m, 0, sizeof(*m));
		m->mb_objid = id;
		return sizeof(*m);
	}
	case C_MB_ABORT: case C_MB_COMMIT: case C_MB_DELETE: {
		struct mpioc_mblock_id *m = (struct mpioc_mblock_id *)w.arg;

		m->mi_objid = id;
		return sizeof(*m);
	}
	case C_MB_READ: case C_MB_WRITE: {
		struct mpioc_mblock_rw *m = (struct mpioc_mblock_rw *)w.arg;
		uint64_t len = io_len();

		memset(m, 0, sizeof(*m));
		m->mb_objid = id;
		if (c == C_MB_READ && o && o->wlen >= PAGE && chance(85)) {
			/* Within what was written, mostly. */
			m->mb_offset = below(o->wlen / PAGE) * PAGE;
			if (len > o->wlen - m->mb_offset && chance(80))
				len = PAGE * (1 + below((o->wlen - m->mb_offset) / PAGE));
		} else if (c == C_MB_READ) {
			m->mb_offset = chance(50) ? 0 : boundary();
		}
		m->mb_iov = build_iov(len, c == C_MB_READ, &m->mb_iov_cnt);
		if (c == C_MB_WRITE)
			memset(w.data, (int)(id & 0xff), len < DATA_BYTES ? len : DATA_BYTES);
		return sizeof(*m);
	}
	case C_MLOG_ALLOC: {
		struct mpioc_mlog *m = (struct mpioc_mlog *)w.arg;

		memset(m, 0, sizeof(*m));
		m->ml_cap.lcp_captgt = chance(90) ? (1 + below(16)) * 65536 : boundary();
		m->ml_cap.lcp_spare = chance(5);
		m->ml_mclassp = chance(90) ? MP_MED_CAPACITY : boundary();
		return sizeof(*m);
	}
	case C_MLOG_FIND: case C_MLOG_PROPS: {
		struct mpioc_mlog *m = (struct mpioc_mlog *)w.arg;

		memset(m, 0, sizeof(*m));
		m->ml_objid = id;
		return sizeof(*m);
	}
	case C_MLOG_COMMIT: case C_MLOG_ABORT: case C_MLOG_DELETE: case C_MLOG_ERASE: {
		struct mpioc_mlog_id *m = (struct mpioc_mlog_id *)w.arg;

		memset(m, 0, sizeof(*m));
		m->mi_objid = id;
		m->mi_gen = chance(70) ? below(8) : boundary();
		return sizeof(*m);
	}
	case C_MLOG_READ: case C_MLOG_WRITE: {
		struct mpioc_mlog_io *m = (struct mpioc_mlog_io *)w.arg;
		uint64_t len = chance(80) ? PAGE * (1 + below(4)) : io_len();

		memset(m, 0, sizeof(*m));
		m->mi_objid = id;
		m->mi_op = c == C_MLOG_WRITE ? (chance(95) ? 1 : 0) : (chance(95) ? 0 : 1);
		if (chance(2))
			m->mi_op = boundary();
		m->mi_off = chance(85) ? (int64_t)(below(16) * PAGE) : (int64_t)boundary();
		m->mi_iov = (struct iovec *)build_iov(len, m->mi_op == 0, &m->mi_iovc);
		return sizeof(*m);
	}
	default:
		return 0;
	}
}

static size_t build_vma(enum cmd c, struct pfd *p, char *note, size_t notesz)
{
	struct mpioc_vma *v = (struct mpioc_vma *)w.arg;
	__u64 *ids = (__u64 *)(w.aux + 32768);
	int i, n;

	memset(v, 0, sizeof(*v));
	if (c == C_VMA_CREATE) {
		n = 1 + below(4);
		for (i = 0; i < n; i++) {
			uint64_t id;

			struct obj *o = pick_obj(p, OBJ_MB, ST_COMMITTED, &id);

			ids[i] = id;
			w.vma_wlen[i] = o ? o->wlen : 0;
		}
		v->im_mbidc = n;
		v->im_mbidv = ids;
		v->im_advice = chance(90) ? below(4) : boundary();
		if (chance(4))
			v->im_mbidc = boundary();
		if (chance(3))
			v->im_mbidv = chance(50) ? NULL : (__u64 *)w.none;
		snprintf(note, notesz, "%u ids, first 0x%llx", v->im_mbidc, (unsigned long long)ids[0]);
	} else {
		int m = below(NMAPS);

		v->im_offset = w.maps[m].used && chance(85) ? w.maps[m].off : (int64_t)boundary();
		v->im_advice = below(4);
		snprintf(note, notesz, "offset 0x%llx", (unsigned long long)v->im_offset);
	}
	return sizeof(*v);
}

static size_t build_pool_info(enum cmd c, char *note, size_t notesz)
{
	switch (c) {
	case C_PARAMS_GET: case C_PARAMS_SET: {
		struct mpioc_params *m = (struct mpioc_params *)w.arg;

		fill_params(&m->mps_params, below(ndevs), 0);
		snprintf(note, notesz, "mode %o ra %u", m->mps_params.mp_mode, m->mps_params.mp_ra_pages_max);
		return sizeof(*m);
	}
	case C_MP_MCLASS_GET: {
		struct mpioc_mclass *m = (struct mpioc_mclass *)w.arg;

		m->mcl_cnt = chance(80) ? below(4) : boundary();
		m->mcl_xprops = user_buf(sizeof(struct mpool_mclass_xprops) * 4, 1);
		m->mcl_rsvd1 = 0;
		return sizeof(*m);
	}
	case C_PROP_GET: case C_PROP_SET: {
		struct mpioc_list *m = (struct mpioc_list *)w.arg;
		struct mpioc_prop *pr = (struct mpioc_prop *)(w.aux + 40960);

		m->ls_cmd = chance(85) ? (chance(50) ? MPIOC_LIST_CMD_PROP_GET : MPIOC_LIST_CMD_PROP_LIST)
				       : boundary();
		m->ls_listc = chance(80) ? below(4) : boundary();
		memset(pr, 0, 3 * sizeof(*pr));
		if (c == C_PROP_SET) {
			fill_params(&pr->pr_xprops.ppx_params, below(ndevs), 0);
			pr->pr_xprops.ppx_drive_spares[0] = chance(50) ? MPOOL_SPARES_INVALID : below(101);
			pr->pr_xprops.ppx_drive_spares[1] = chance(50) ? MPOOL_SPARES_INVALID : below(101);
			pr->pr_xprops.ppx_pd_mclassv[0] = MP_MED_INVALID;
			pr->pr_xprops.ppx_pd_mclassv[1] = MP_MED_INVALID;
			mutate((uint8_t *)pr, sizeof(*pr), 10);
		}
		m->ls_listv = chance(90) ? (void *)pr : user_buf(sizeof(*pr), c == C_PROP_GET);
		snprintf(note, notesz, "cmd %u listc %u", m->ls_cmd, m->ls_listc);
		return sizeof(*m);
	}
	case C_DEVPROPS_GET: {
		struct mpioc_devprops *m = (struct mpioc_devprops *)w.arg;

		memset(m, 0, sizeof(*m));
		if (chance(85))
			snprintf(m->dpr_pdname, sizeof(m->dpr_pdname), "%s", devs[below(ndevs)] + 5);
		else
			memset(m->dpr_pdname, 'v', sizeof(m->dpr_pdname));
		snprintf(note, notesz, "%.31s", m->dpr_pdname);
		return sizeof(*m);
	}
	case C_DRV_ADD: case C_DRV_SPARES: {
		struct mpioc_drive *m = (struct mpioc_drive *)w.arg;
		uint64_t dp, pp;

		memset(m, 0, sizeof(*m));
		fill_devices(below(ndevs), &m->drv_dpathc, &m->drv_dpathssz, &dp, &pp, note, notesz);
		m->drv_dpaths = (char *)(uintptr_t)dp;
		m->drv_pd_prop = (struct pd_prop *)(uintptr_t)pp;
		m->drv_rsvd1 = c == C_DRV_SPARES ? below(110) : 0;
		m->drv_flags = chance(20) ? 1U << MP_FLAGS_FORCE : 0;
		return sizeof(*m);
	}
	default:
		return 0;
	}
}

/* ---- what success means for the resources ---- */

static void learn(enum cmd c, struct pfd *p, struct obj *o, const void *res)
{
	int i;

	switch (c) {
	case C_MB_ALLOC:
		obj_add(p, OBJ_MB, ((const struct mpioc_mblock *)res)->mb_objid, cmd_name[c]);
		break;
	case C_MLOG_ALLOC:
		obj_add(p, OBJ_ML, ((const struct mpioc_mlog *)res)->ml_objid, cmd_name[c]);
		break;
	case C_MB_COMMIT: case C_MLOG_COMMIT:
		if (o)
			o->state = ST_COMMITTED;
		break;
	case C_MB_ABORT: case C_MB_DELETE: case C_MLOG_ABORT: case C_MLOG_DELETE:
		if (o)
			o->state = ST_GONE;
		break;
	case C_MB_WRITE:
		if (o) {
			const struct mpioc_mblock_rw *m = res;
			uint64_t sum = 0;

			for (i = 0; i < m->mb_iov_cnt && i < 4; i++)
				sum += ((const struct iovec *)(w.aux + 16384))[i].iov_len;
			o->wlen += sum;
		}
		break;
	case C_VMA_CREATE: {
		const struct mpioc_vma *v = res;
		int m = below(NMAPS);

		for (i = 0; i < NMAPS; i++)
			if (!w.maps[i].used) {
				m = i;
				break;
			}
		if (w.maps[m].used && w.maps[m].addr)
			munmap(w.maps[m].addr, w.maps[m].len);
		w.maps[m].used = 1;
		w.maps[m].fd = p->fd;
		w.maps[m].off = v->im_offset;
		w.maps[m].len = v->im_len;
		w.maps[m].bktsz = v->im_bktsz;
		memcpy(w.maps[m].wlen, w.vma_wlen, sizeof(w.vma_wlen));
		w.maps[m].addr = NULL;
		break;
	}
	default:
		break;
	}
}

/* ---- the fuzzer's own steps: opens, closes, maps ---- */

static sigjmp_buf touch_jmp;
static volatile sig_atomic_t touching;

static void on_fault(int sig)
{
	if (touching)
		siglongjmp(touch_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void step_open(void)
{
	int slot = -1, i, fd, flags;
	enum fdkind k;
	char path[64];
	struct call *r;

	for (i = 0; i < NFDS; i++)
		if (w.fds[i].kind == FD_NONE) {
			slot = i;
			break;
		}
	if (slot < 0) {
		fd_close(&w.fds[below(NFDS)]);
		return;
	}
	k = __atomic_load_n(&sh->quiet, __ATOMIC_SEQ_CST) || chance(15) ? FD_CTL : (chance(60) ? FD_RW : (chance(75) ? FD_RO : FD_EXCL));
	if (k == FD_CTL) {
		snprintf(path, sizeof(path), "%s", MPC_DEV_CTLPATH);
		flags = chance(80) ? O_RDWR : O_RDONLY;
	} else {
		snprintf(path, sizeof(path), "/dev/%s/%s", MPC_DEV_SUBDIR, pool_names[below(NNAMES)]);
		flags = k == FD_RO ? O_RDONLY : O_RDWR;
		if (k == FD_EXCL)
			flags |= O_EXCL | (chance(50) ? O_NONBLOCK : 0);
	}
	r = ring_begin(C_OPEN, k, path, strlen(path) + 1, 0);
	snprintf(r->note, sizeof(r->note), "%.55s", path);
	fd = open(path, flags | O_CLOEXEC);
	account(r, C_OPEN, fd < 0 ? -1 : 0, errno);
	if (fd < 0)
		return;
	w.fds[slot].fd = fd;
	w.fds[slot].kind = k;
	w.fds[slot].have_uuid = 0;
	if (k != FD_CTL)
		fd_learn_uuid(&w.fds[slot]);
}

static void step_close(void)
{
	struct pfd *p = pick_fd(-1);
	struct call *r;
	int i;

	if (!p)
		return;
	r = ring_begin(C_CLOSE, p->kind, NULL, 0, 0);
	/* A live mapping outlives its fd; keep the map, forget the fd. */
	for (i = 0; i < NMAPS; i++)
		if (w.maps[i].used && w.maps[i].fd == p->fd && !w.maps[i].addr)
			w.maps[i].used = 0;
	account(r, C_CLOSE, close(p->fd), errno);
	p->kind = FD_NONE;
	p->fd = -1;
}

static void step_map(enum cmd c)
{
	struct map *m = &w.maps[below(NMAPS)];
	struct call *r;

	if (!m->used)
		return;
	r = ring_begin(c, FD_NONE, NULL, 0, 0);
	snprintf(r->note, sizeof(r->note), "offset 0x%llx len %llu", (unsigned long long)m->off,
		 (unsigned long long)m->len);
	if (c == C_MMAP) {
		void *a;
		uint64_t len = chance(90) ? m->len : boundary();
		int fdok = fcntl(m->fd, F_GETFD) >= 0;

		if (m->addr || !fdok) {
			account(r, c, -1, EBADF);
			return;
		}
		a = mmap(NULL, len, chance(95) ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, m->fd,
			 chance(95) ? m->off : (int64_t)boundary() & ~(int64_t)(PAGE - 1));
		account(r, c, a == MAP_FAILED ? -1 : 0, errno);
		if (a != MAP_FAILED) {
			if (len != m->len) {
				munmap(a, len);
				return;
			}
			m->addr = a;
		}
	} else if (c == C_MUNMAP) {
		if (!m->addr) {
			account(r, c, -1, EINVAL);
			return;
		}
		account(r, c, munmap(m->addr, m->len), errno);
		m->addr = NULL;
		m->used = 0;
	} else {
		volatile uint8_t sink;
		int sig;
		uint64_t at;

		if (!m->addr || !m->len) {
			account(r, c, -1, EINVAL);
			return;
		}
		at = below(m->len / PAGE) * PAGE + below(PAGE);
		if (m->bktsz && chance(80)) {
			/* Inside an mblock's written bytes: this must read. */
			int b = below(4);

			if (m->wlen[b] && (b + 1) * m->bktsz <= m->len)
				at = b * m->bktsz + below(m->wlen[b]);
		}
		touching = 1;
		sig = sigsetjmp(touch_jmp, 1);
		if (!sig)
			sink = m->addr[at];
		touching = 0;
		(void)sink;
		/* SIGBUS past an mblock's written length is the contract. */
		account(r, c, sig ? -1 : 0, sig == SIGBUS ? EFAULT : (sig ? EINVAL : 0));
	}
}

static void step_raw(void)
{
	struct pfd *p = pick_fd(-1);
	unsigned int dir = below(4), nr = below(80), size = below(ARGMAX);
	unsigned long cmd;
	struct call *r;
	uint32_t off;
	void *arg;
	int i;

	if (!p)
		return;
	if (chance(50)) {
		/* A real command number with another size or direction. */
		cmd = cmd_nr[below(N_IOCTL)];
		nr = _IOC_NR(cmd);
		if (chance(50))
			size = _IOC_SIZE(cmd) + (chance(50) ? 8 : -8);
		else
			dir = (_IOC_DIR(cmd) + 1 + below(3)) & 3;
	}
	cmd = _IOC(dir, chance(95) ? MPIOC_MAGIC : below(256), nr, size & 0x3fff);
	for (i = 0; i < ARGMAX; i += 8) {
		uint64_t v = chance(20) ? boundary() : 0;

		memcpy(w.arg + i, &v, 8);
	}
	arg = place_arg(size, &off);
	r = ring_begin(C_RAW, p->kind, w.arg, size, off);
	snprintf(r->note, sizeof(r->note), "cmd 0x%lx", cmd);
	i = ioctl(p->fd, cmd, arg);
	account(r, C_RAW, i, errno);
	if (i == 0 && p->kind == FD_RO) {
		/* Only a known read-only command may succeed here. */
		int k, known = 0;

		for (k = 0; k < N_IOCTL; k++)
			if (cmd_nr[k] == cmd && rdonly_ok(k))
				known = 1;
		if (!known)
			violation("raw ioctl 0x%lx succeeded on a read-only fd", cmd);
	}
}

/* ---- one call of the ABI ---- */

static void step_ioctl(enum cmd c)
{
	int pool_cmd = !(c <= C_MP_RENAME);
	struct pfd *p;
	struct obj *o = NULL;
	struct call *r;
	char note[56] = "";
	size_t sz;
	uint32_t off;
	void *arg;
	int ret, err, i;

	if (c == C_PROP_GET)
		pool_cmd = chance(60);
	p = pick_fd(chance(95) ? pool_cmd : !pool_cmd);
	/* A command that writes mostly goes to a writable fd, when there is one. */
	for (i = 0; p && p->kind == FD_RO && !rdonly_ok(c) && i < 3 && chance(80); i++)
		p = pick_fd(1);
	if (!p)
		return;

	memset(w.arg, 0, ARGMAX);
	if (c <= C_MP_RENAME)
		sz = build_lifecycle(c, note, sizeof(note));
	else if (c <= C_DEVPROPS_GET)
		sz = build_pool_info(c, note, sizeof(note));
	else if (c <= C_MB_WRITE)
		sz = build_object_cmd(c, p, &o, note, sizeof(note));
	else
		sz = build_vma(c, p, note, sizeof(note));
	mutate(w.arg, sz, 12);

	arg = place_arg(sz, &off);
	r = ring_begin(c, p->kind, w.arg, sz, off);
	memcpy(r->note, note, sizeof(r->note));
	ret = ioctl(p->fd, cmd_nr[c], arg);
	err = errno;
	account(r, c, ret, err);
	if (ret < 0)
		return;

	if (p->kind == FD_RO &&
	    (!rdonly_ok(c) || ((c == C_MLOG_READ) && ((struct mpioc_mlog_io *)arg)->mi_op == 1)))
		violation("%s succeeded on a read-only fd (%s)", cmd_name[c], note);
	/* A lifecycle change makes the fds' pools a question again. */
	if (c <= C_MP_RENAME) {
		for (i = 0; i < NFDS; i++)
			if (w.fds[i].kind != FD_NONE && w.fds[i].kind != FD_CTL)
				fd_learn_uuid(&w.fds[i]);
		return;
	}
	if (arg == w.arg || off == 4)
		learn(c, p, o, arg);
}

/* Drop every map and pool fd; keep control fds. */
static void quiesce(void)
{
	int i;

	for (i = 0; i < NMAPS; i++) {
		if (w.maps[i].used && w.maps[i].addr)
			munmap(w.maps[i].addr, w.maps[i].len);
		w.maps[i].used = 0;
		w.maps[i].addr = NULL;
	}
	for (i = 0; i < NFDS; i++)
		if (w.fds[i].kind != FD_NONE && w.fds[i].kind != FD_CTL)
			fd_close(&w.fds[i]);
}

static enum cmd pick_cmd(void)
{
	static unsigned int total;
	unsigned int r, i;

	if (!total)
		for (i = 0; i < C_NR; i++)
			total += cmd_weight[i];
	r = below(total);
	for (i = 0; i < C_NR; i++) {
		if (r < cmd_weight[i])
			return i;
		r -= cmd_weight[i];
	}
	return C_RAW;
}

/*
 * Worker `id` makes calls until it has made `calls` (its share; a
 * replacement for a killed worker, generation `gen`, takes over the count
 * where the killed one left it, with a random stream of its own).
 */
static void worker(int id, uint64_t seed, uint64_t calls, unsigned int gen)
{
	struct sigaction sa;
	unsigned int idle;
	int i;

	for (i = 0; i < C_NR; i++)
		w.accounted += sh->st[id].calls[i];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	w.id = id;
	w.rng = seed * 0x2545f4914f6cdd1dULL + id + gen * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < NFDS; i++)
		w.fds[i].kind = FD_NONE;
	worker_memory();

	for (idle = 0; w.accounted < calls;) {
		enum cmd c = pick_cmd();
		uint64_t before = w.accounted;

		/*
		 * Worker 0 calls a quiet spell now and then: every worker drops
		 * its maps and pool fds and runs only lifecycle commands, so
		 * that deactivate, rename and destroy can succeed at all.
		 */
		if (id == 0 && w.accounted % 2000 == 1999)
			__atomic_store_n(&sh->quiet, 1, __ATOMIC_SEQ_CST);
		if (id == 0 && w.accounted % 2000 == 40)
			__atomic_store_n(&sh->quiet, 0, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&sh->quiet, __ATOMIC_SEQ_CST)) {
			quiesce();
			if (id) {
				usleep(1000);	/* worker 0 has the pools to itself */
				continue;
			}
			c = chance(90) ? (enum cmd)below(C_MP_RENAME + 1) : C_PROP_GET;
			if (!pick_fd(0))
				c = C_OPEN;
		} else if (!pick_fd(1) && chance(70)) {
			/* Keep some pool fds open: most commands need one. */
			c = C_OPEN;
		}
		switch (c) {
		case C_OPEN:
			step_open();
			break;
		case C_CLOSE:
			step_close();
			break;
		case C_MMAP: case C_MUNMAP: case C_TOUCH:
			step_map(c);
			break;
		case C_RAW:
			step_raw();
			break;
		default:
			step_ioctl(c);
		}
		if (w.accounted != before || __atomic_load_n(&sh->quiet, __ATOMIC_SEQ_CST))
			idle = 0;
		else if (++idle > 1000)
			break;		/* nothing to act on, for long: give up */
	}
	if (id == 0)
		__atomic_store_n(&sh->quiet, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i < NMAPS; i++)
		if (w.maps[i].used && w.maps[i].addr)
			munmap(w.maps[i].addr, w.maps[i].len);
	for (i = 0; i < NFDS; i++)
		if (w.fds[i].kind != FD_NONE)
			fd_close(&w.fds[i]);
	exit(0);
}

/* ---- the parent: watch, report ---- */

static const char *errname(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "other";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ENOTTY: return "ENOTTY";
	case EROFS: return "EROFS";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ENOSYS: return "ENOSYS";
	case EMSGSIZE: return "EMSGSIZE";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EOVERFLOW: return "EOVERFLOW";
	case EBADMSG: return "EBADMSG";
	case EUCLEAN: return "EUCLEAN";
	case ESTALE: return "ESTALE";
	case ENODATA: return "ENODATA";
	case EILSEQ: return "EILSEQ";
	case ENOTBLK: return "ENOTBLK";
	case EMLINK: return "EMLINK";
	case ENOLINK: return "ENOLINK";
	case ECANCELED: return "ECANCELED";
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static int kernel_report(const char *line)
{
	static const char *const pat[] = {
		"WARNING:", "BUG:", "Oops", "KASAN", "general protection fault",
		"possible circular locking", "inconsistent lock state",
		"possible recursive locking", "kernel BUG", "INFO: task",
		"rcu: INFO", "self-detected stall", "UBSAN", "refcount_t:",
		"list_add corruption", "list_del corruption", "Call Trace:",
	};
	size_t i;

	for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++)
		if (strstr(line, pat[i]))
			return 1;
	return 0;
}

static void write_repro(const char *dir, uint64_t seed, int procs, uint64_t calls, const char *why,
			const char *kline)
{
	char path[512];
	FILE *f;
	int p, i, b;

	snprintf(path, sizeof(path), "%s/mpfuzz-repro-%llu.txt", dir, (unsigned long long)seed);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	fprintf(f, "# mpfuzz reproducer: %s\n", why);
	if (kline)
		fprintf(f, "# kernel: %s\n", kline);
	fprintf(f, "# rerun: mpfuzz --seed %llu --calls %llu --procs %d --devs ",
		(unsigned long long)seed, (unsigned long long)calls, procs);
	for (i = 0; i < ndevs; i++)
		fprintf(f, "%s%s", i ? "," : "", devs[i]);
	fprintf(f, "\n# the last %d calls of each worker, oldest first; ret ? = in flight\n", RING);
	for (p = 0; p < procs; p++) {
		uint64_t end = sh->ringpos[p];
		uint64_t k = end > RING ? end - RING : 0;

		for (; k < end; k++) {
			const struct call *c = &sh->ring[p][k % RING];

			fprintf(f, "w%d #%llu %s fd=%s arg=%s", p, (unsigned long long)c->seq, cmd_name[c->cmd],
				kind_name[c->fdkind], c->argoff < 6 ? place_name[c->argoff] : "?");
			if (c->ret == INT32_MIN)
				fprintf(f, " ret=? ");
			else
				fprintf(f, " ret=%d %s ", c->ret, c->ret < 0 ? errname(c->err) : "");
			fprintf(f, "[%s] bytes=", c->note);
			for (b = 0; b < (int)c->argsz && b < (int)sizeof(c->arg); b++)
				fprintf(f, "%02x", c->arg[b]);
			fputc('\n', f);
		}
	}
	fclose(f);
	fprintf(stderr, "mpfuzz: reproducer in %s\n", path);
}

static void print_json(uint64_t seed, int procs, uint64_t kills, double secs, int status,
		       const char *why)
{
	uint64_t calls = 0, ok = 0;
	int c, p, e, first = 1;

	for (p = 0; p < procs; p++)
		for (c = 0; c < C_NR; c++) {
			calls += sh->st[p].calls[c];
			ok += sh->st[p].ok[c];
		}
	printf("{\"seed\":%llu,\"procs\":%d,\"calls\":%llu,\"ok\":%llu,\"violations\":%llu,"
	       "\"kills\":%llu,\"seconds\":%.1f,\"status\":%d,\"why\":\"%s\",\"commands\":{",
	       (unsigned long long)seed, procs, (unsigned long long)calls, (unsigned long long)ok,
	       (unsigned long long)sh->violations, (unsigned long long)kills, secs, status, why);
	for (c = 0; c < C_NR; c++) {
		uint64_t n = 0, k = 0;
		int efirst = 1;

		for (p = 0; p < procs; p++) {
			n += sh->st[p].calls[c];
			k += sh->st[p].ok[c];
		}
		printf("%s\"%s\":{\"calls\":%llu,\"ok\":%llu,\"errno\":{", first ? "" : ",", cmd_name[c],
		       (unsigned long long)n, (unsigned long long)k);
		first = 0;
		for (e = 0; e < 134; e++) {
			uint64_t m = 0;

			for (p = 0; p < procs; p++)
				m += sh->st[p].err[c][e];
			if (m) {
				printf("%s\"%s\":%llu", efirst ? "" : ",", errname(e), (unsigned long long)m);
				efirst = 0;
			}
		}
		printf("}}");
	}
	printf("},\"violationText\":[");
	for (e = 0; e < 4 && (uint64_t)e < sh->violations; e++) {
		char *s = sh->violation[e];
		char *q;

		for (q = s; *q; q++)
			if (*q == '"' || *q == '\\')
				*q = '\'';
		printf("%s\"%s\"", e ? "," : "", s);
	}
	printf("]}\n");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void probe_devices(const char *list)
{
	char *s = strdup(list), *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok && ndevs < MAX_DEVS; tok = strtok_r(NULL, ",", &save)) {
		int fd = open(tok, O_RDONLY);

		if (fd < 0 || ioctl(fd, BLKGETSIZE64, &dev_size[ndevs]) ||
		    ioctl(fd, BLKSSZGET, &dev_lbs[ndevs])) {
			fprintf(stderr, "mpfuzz: %s: %s\n", tok, strerror(errno));
			exit(2);
		}
		close(fd);
		snprintf(devs[ndevs++], sizeof(devs[0]), "%s", tok);
	}
	free(s);
	if (!ndevs) {
		fprintf(stderr, "mpfuzz: --devs names no device\n");
		exit(2);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: mpfuzz --seed S --calls N [--procs P] [--devs D1,D2] [--out DIR] [--timeout S] [--kill-ms MS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, calls = 10000;
	int procs = 4, timeout = 3600, i, kfd, alive, status = 0;
	const char *out = ".", *devlist = "/dev/vda,/dev/vdb";
	pid_t pids[MAX_PROCS], killed[MAX_PROCS] = { 0 };
	uint64_t quota[MAX_PROCS], kills = 0;
	unsigned int gens[MAX_PROCS] = { 0 }, kill_ms = 0;
	double next_kill;
	char why[160] = "clean", kline[512] = "";
	double t0;

	for (i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		if (!strcmp(argv[i], "--seed"))
			seed = strtoull(v, NULL, 0);
		else if (!strcmp(argv[i], "--calls"))
			calls = strtoull(v, NULL, 0);
		else if (!strcmp(argv[i], "--procs"))
			procs = atoi(v);
		else if (!strcmp(argv[i], "--devs"))
			devlist = v;
		else if (!strcmp(argv[i], "--out"))
			out = v;
		else if (!strcmp(argv[i], "--timeout"))
			timeout = atoi(v);
		else if (!strcmp(argv[i], "--kill-ms"))
			kill_ms = atoi(v);
		else
			usage();
		i++;
	}
	if (procs < 1 || procs > MAX_PROCS || !calls)
		usage();
	probe_devices(devlist);

	/* Shared, between unmapped pages, like every buffer the workers hand out. */
	sh = mmap(NULL, sizeof(*sh) + 2 * PAGE, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED ||
	    mprotect((uint8_t *)sh + PAGE, sizeof(*sh), PROT_READ | PROT_WRITE)) {
		perror("mpfuzz: shared memory");
		return 2;
	}
	sh = (struct shared *)((uint8_t *)sh + PAGE);
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	fflush(NULL);
	t0 = now();
	for (i = 0; i < procs; i++)
		quota[i] = calls / procs + (i < (int)(calls % procs));
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("mpfuzz: fork");
			return 2;
		}
		if (!pids[i])
			worker(i, seed, quota[i], 0);
	}
	next_kill = t0 + kill_ms / 1000.0;

	for (alive = procs; alive > 0;) {
		char rec[1024];
		ssize_t n;
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);

		if (pid > 0) {
			alive--;
			for (i = 0; i < procs && pids[i] != pid; i++)
				;
			if (i < procs && killed[i] == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
				/* Ours: a replacement takes over the worker's count. */
				uint64_t made = 0;
				int c;

				for (c = 0; c < C_NR; c++)
					made += sh->st[i].calls[c];
				if (made >= quota[i] || status)
					continue;
				fflush(NULL);
				pids[i] = fork();
				if (pids[i] < 0) {
					perror("mpfuzz: fork");
					return 2;
				}
				if (!pids[i])
					worker(i, seed, quota[i], ++gens[i]);
				alive++;
				continue;
			}
			if (WIFSIGNALED(st) && !status) {
				status = 3;
				snprintf(why, sizeof(why), "worker %d killed by signal %d", (int)pid, WTERMSIG(st));
			} else if (WIFEXITED(st) && WEXITSTATUS(st) && !status) {
				status = 3;
				snprintf(why, sizeof(why), "worker %d exited %d", (int)pid, WEXITSTATUS(st));
			}
			continue;
		}
		while (kfd >= 0 && !status && (n = read(kfd, rec, sizeof(rec) - 1)) != 0) {
			if (n < 0) {
				if (errno == EPIPE)
					continue;
				break;
			}
			rec[n] = 0;
			if (kernel_report(rec)) {
				char *msg = strchr(rec, ';');

				status = 3;
				snprintf(why, sizeof(why), "kernel report");
				snprintf(kline, sizeof(kline), "%.500s", msg ? msg + 1 : rec);
				kline[strcspn(kline, "\n")] = 0;
			}
		}
		if (kill_ms && !status && now() >= next_kill) {
			/* SIGKILL one worker, wherever it is: in an ioctl, a fault, between calls. */
			w.rng ^= (uint64_t)(now() * 1e6);
			i = below(procs);
			if (pids[i] > 0 && killed[i] != pids[i] && !kill(pids[i], SIGKILL)) {
				killed[i] = pids[i];
				kills++;
			}
			next_kill = now() + kill_ms * (0.5 + below(1000) / 1000.0) / 1000.0;
		}
		if (!status && now() - t0 > timeout) {
			status = 4;
			snprintf(why, sizeof(why), "timeout after %d s", timeout);
		}
		if (status) {
			write_repro(out, seed, procs, calls, why, kline[0] ? kline : NULL);
			for (i = 0; i < procs; i++)
				kill(pids[i], SIGKILL);
			while (alive > 0 && waitpid(-1, NULL, 0) > 0)
				alive--;
			break;
		}
		usleep(20000);
	}
	if (!status && sh->violations) {
		status = 1;
		snprintf(why, sizeof(why), "%llu invariant violations", (unsigned long long)sh->violations);
		write_repro(out, seed, procs, calls, why, NULL);
	}
	print_json(seed, procs, kills, now() - t0, status, why);
	return status;
}
