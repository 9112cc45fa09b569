// SPDX-License-Identifier: GPL-2.0-only
/*
 * mcache: maps of committed mblocks into user address space.
 *
 * Layout (as in 1.9.0).  A map of N mblocks gets a region r >= 1 of its
 * pool; its mmap offset is r << xvm_size_max.  Mblock i occupies bucket i,
 * [i * bktsz, i * bktsz + wlen_i), where bktsz is the written length of the
 * largest mblock rounded up to a power of two (one page if all are empty).
 * The rest of each bucket, and everything past N buckets, is a hole: an
 * access there is SIGBUS, never zeros.
 *
 * Address space.  Each map has an inode of its own, on this module's
 * pseudo file system, and a file over it; i_size is N * bktsz.  The pool
 * node's mmap hands the VMA over to that file (vma_set_file()), so the
 * page cache, readahead, fault-around, truncation, reclaim, migration and
 * memcg charging are the kernel's own, per map, and the device node's
 * inode is never touched.  Pages are read through pd.c, asynchronously.
 *
 * Lifetime.  A map is born with one reference on its file, kept by its
 * pool's table.  Every VMA holds one more.  The first mmap gives the birth
 * reference up, so from then on the map lives exactly as long as a VMA
 * shows it, and the last munmap (exit, ...) releases it before it returns
 * to user space: pages truncated, reads in flight waited for, mblocks
 * unpinned, region given back.  A map that was never mmapped goes with
 * MPIOC_VMA_DESTROY or the last close of its pool's node.  While it lives
 * it pins its mblocks (MB_DELETE is EBUSY) and keeps its pool busy (a
 * plain deactivate is EBUSY).  A forced deactivate or destroy revokes it:
 * i_size 0, PTEs zapped, pages truncated, reads waited for, mblocks
 * unpinned; later faults are SIGBUS and the pool's commands ENODEV.
 *
 * Reaper.  Every listed map is on mc_maps, which the reaper (reaper.c)
 * walks: each tick sums the maps' resident pages by advice, from their own
 * address spaces, and under pressure mcache_reap_pass() drops the pages of
 * each mblock idle for longer than the TTL times its map's multiplier.
 * An mblock's age is its bucket's @atime: set at CREATE and by every fault
 * on it (at most every MC_ATIME_GRAIN_NS), U64_MAX once evicted until its
 * next fault.  A page mapped into a process takes no fault, so a hot
 * mblock looks idle until an eviction unmaps it: a second chance, as in
 * 1.9.0.  Eviction runs only in the reaper's worker, never in reclaim or
 * in a fault, and the fault path never sleeps for the reaper's sake.
 *
 * Locking.  mc_lock (a mutex) covers every pool's table (struct mc_pool),
 * mc_maps and the retired counters, each map's @mp, @mapped, @unpinned and
 * @node, and the birth reference.  Table
 * entries are not references: a lookup takes one on the map's file with
 * mpool_file_tryget(), which fails once the last VMA is gone and the
 * release is pending (the release takes mc_lock before the map is freed,
 * so the struct file is still there).  Nothing on the fault path takes
 * mc_lock or the pool node's io_lock.  Order: mmap_lock, mc_lock, then
 * the mapping's invalidate_lock, i_mmap_rwsem and folio locks.  @revoked
 * changes under the mapping's invalidate_lock held exclusively; every
 * ->read_folio() and ->readahead() runs with it held shared.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bvec.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/fadvise.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/wait_bit.h>

#include "compat.h"
#include "init.h"
#include "mblock.h"
#include "mcache.h"
#include "mp.h"
#include "pd.h"

#define MCACHE_FS_MAGIC		0x6d63616368650001ULL	/* "mcache", 1 */

/* Most pages one asynchronous read of a readahead carries. */
#define MC_RA_BATCH_MAX		256

/* A fault moves its mblock's atime only if it is older than this. */
#define MC_ATIME_GRAIN_NS	(10 * NSEC_PER_MSEC)

/* atime of an mblock the reaper evicted, until its next fault. */
#define MC_ATIME_EVICTED	U64_MAX

/* The reaper leaves alone a map with fewer resident pages than this. */
#define MC_REAP_MIN_PAGES	32

/* Maps the reaper takes out at once, and its pause after each batch (us). */
#define MC_REAP_BATCH		5
#define MC_REAP_PAUSE_MIN	300
#define MC_REAP_PAUSE_MAX	700

/* Readahead pages of a map its advice puts under duress (see mc_ra_pages()). */
#define MC_RA_DURESS_PAGES	8

/**
 * struct mc_bucket - one mblock of a map
 * @mb:    the mblock, pinned
 * @atime: local_clock() of its last fault, or MC_ATIME_EVICTED
 */
struct mc_bucket {
	struct mblock_pin	mb;
	u64			atime;
};

/**
 * struct mc_map - one map
 * @mp:       its pool; NULL once revoked or released
 * @file:     its file; the inode's i_private is this map
 * @region:   its region in @mp (0: none)
 * @advice:   enum mpc_vma_advice given at CREATE
 * @mbidc:    mblocks (buckets)
 * @bkt_shift: log2 of the bucket size in pages
 * @mapped:   mmapped once: the birth reference is gone
 * @unpinned: the mblocks are unpinned (revoked or released)
 * @revoked:  the pool left; nothing may be read any more
 * @inflight: asynchronous reads not yet completed
 * @node:     on mc_maps while the map is in its pool's table
 * @cnt:      event counters (enum mc_counter)
 * @bkt:      the mblocks, by bucket
 */
struct mc_map {
	struct mpool		*mp;
	struct file		*file;
	u32			region;
	u32			advice;
	u32			mbidc;
	u8			bkt_shift;
	bool			mapped;
	bool			unpinned;
	bool			revoked;
	atomic_t		inflight;
	struct list_head	node;
	atomic_long_t		cnt[MC_NR_COUNTERS];
	struct mc_bucket	bkt[];
};

/**
 * struct mc_read - pages of one mblock read in one transfer
 * @xfer: the transfer (pd.c)
 * @map:  whose pages
 * @wait: the waiter of a synchronous read; NULL for readahead
 * @n:    pages in @bv
 * @bv:   one vector per page, in index order
 */
struct mc_read {
	struct pd_xfer		xfer;
	struct mc_map		*map;
	struct completion	*wait;
	unsigned int		n;
	struct bio_vec		*bv;
};

static DEFINE_MUTEX(mc_lock);
static struct vfsmount *mc_mnt;

/* Under mc_lock: every listed map, and the counters of those gone. */
static LIST_HEAD(mc_maps);
static u64 mc_retired[MC_NR_COUNTERS];

/* The reaper's urgency as readahead sees it (mcache_ra_duress()). */
static unsigned int mc_urgency;

static u64 mc_region_bytes(void)
{
	return 1ULL << mpool_xvm_size_max;
}

static pgoff_t mc_bkt_pages(const struct mc_map *map)
{
	return (pgoff_t)1 << map->bkt_shift;
}

/* Pages of the map that can hold data: N buckets. */
static pgoff_t mc_map_pages(const struct mc_map *map)
{
	return (pgoff_t)map->mbidc << map->bkt_shift;
}

/* Written pages of bucket @b from page @index of it on; 0 in a hole. */
static pgoff_t mc_valid_pages(const struct mc_map *map, pgoff_t index)
{
	pgoff_t b = index >> map->bkt_shift;
	pgoff_t in = index & (mc_bkt_pages(map) - 1);
	pgoff_t wpages;

	if (b >= map->mbidc)
		return 0;
	wpages = map->bkt[b].mb.wlen >> PAGE_SHIFT;
	return in < wpages ? wpages - in : 0;
}

static struct mc_map *mc_file_map(struct file *file)
{
	return file_inode(file)->i_private;
}

static void mc_count(struct mc_map *map, enum mc_counter c, long n)
{
	atomic_long_add(n, &map->cnt[c]);
}

/* Page @index of @map is in use now: its mblock is young again. */
static void mc_touch(struct mc_map *map, pgoff_t index)
{
	pgoff_t b = index >> map->bkt_shift;
	u64 now, at;

	if (b >= map->mbidc)
		return;
	now = local_clock();
	at = READ_ONCE(map->bkt[b].atime);
	/* An evicted mblock's U64_MAX is "in the future": always replaced. */
	if (at == MC_ATIME_EVICTED || now - at >= MC_ATIME_GRAIN_NS)
		WRITE_ONCE(map->bkt[b].atime, now);
}

/*
 * Readahead pages of @map: its pool's ra, except under the reaper's
 * duress (1.9.0): 8 pages for COLD maps from urgency 1500 on, for WARM
 * ones past 3000; HOT and PINNED keep theirs.  Caller holds mc_lock.
 */
static unsigned int mc_ra_pages(const struct mc_map *map, const struct mpool *mp)
{
	unsigned int ra = READ_ONCE(mp->st.pool.ra_pages_max);
	bool duress;

	lockdep_assert_held(&mc_lock);
	switch (map->advice) {
	case MPC_VMA_COLD:
		duress = mc_urgency >= 1500;
		break;
	case MPC_VMA_WARM:
		duress = mc_urgency > 3000;
		break;
	default:
		duress = false;
	}
	return duress ? min_t(unsigned int, ra, MC_RA_DURESS_PAGES) : ra;
}

/* Reading pages */

static void mc_read_done(struct pd_xfer *xfer, int rc)
{
	struct mc_read *rd = container_of(xfer, struct mc_read, xfer);
	struct mc_map *map = rd->map;
	unsigned int i;

	/* A page left !uptodate makes its fault read it again, or SIGBUS. */
	for (i = 0; i < rd->n; i++) {
		struct folio *folio = page_folio(rd->bv[i].bv_page);

		if (!rc)
			folio_mark_uptodate(folio);
		folio_unlock(folio);
	}

	if (rd->wait) {
		complete(rd->wait);
		return;
	}
	kfree(rd);
	if (atomic_dec_and_test(&map->inflight))
		wake_up_var(&map->inflight);
}

/* Submit @rd, whose pages start at page @index of the map. */
static void mc_read_submit(struct mc_read *rd, pgoff_t index)
{
	const struct mblock_pin *mb = &rd->map->bkt[index >> rd->map->bkt_shift].mb;
	u64 off = mb->start + ((u64)(index & (mc_bkt_pages(rd->map) - 1)) << PAGE_SHIFT);
	struct iov_iter iter;

	iov_iter_bvec(&iter, ITER_DEST, rd->bv, rd->n, (size_t)rd->n << PAGE_SHIFT);
	pd_xfer_init(&rd->xfer, mc_read_done);
	if (!rd->wait) {
		atomic_inc(&rd->map->inflight);
		mc_count(rd->map, MC_RA_PAGES, rd->n);
	}
	pd_read_async(mb->pd, &iter, off, &rd->xfer);
}

/*
 * The page cache's read of one folio (a fault's, or a retry after a failed
 * readahead): synchronous, and allocating nothing, so that a fault fails
 * only for the reasons the media gives.
 */
static int mc_read_folio(struct file *file, struct folio *folio)
{
	struct mc_map *map = folio->mapping->host->i_private;
	DECLARE_COMPLETION_ONSTACK(done);
	struct mc_read rd = { .map = map, .wait = &done, .n = 1 };
	struct bio_vec bv;

	if (READ_ONCE(map->revoked) || !mc_valid_pages(map, folio->index)) {
		folio_unlock(folio);
		return -EIO;
	}

	bvec_set_page(&bv, &folio->page, PAGE_SIZE, 0);
	rd.bv = &bv;
	mc_read_submit(&rd, folio->index);
	wait_for_completion_io(&done);
	return 0;
}

/*
 * Readahead: runs of consecutive pages of one mblock go out as one
 * transfer each, and the completion unlocks them.  A page in a hole, or
 * one that could not be given a transfer, is unlocked as it is (not up to
 * date): a fault on it is SIGBUS in a hole, and reads it again otherwise.
 */
static void mc_readahead(struct readahead_control *rac)
{
	struct mc_map *map = rac->mapping->host->i_private;
	struct mc_read *rd = NULL;
	pgoff_t first = 0, cap = 0;
	struct folio *folio;

	while ((folio = readahead_folio(rac))) {
		pgoff_t index = folio->index;
		pgoff_t valid = READ_ONCE(map->revoked) ? 0 : mc_valid_pages(map, index);

		if (rd && (!valid || index != first + rd->n || rd->n == cap)) {
			mc_read_submit(rd, first);
			rd = NULL;
		}
		if (!valid) {
			folio_unlock(folio);
			continue;
		}
		if (!rd) {
			cap = min3(valid, (pgoff_t)readahead_count(rac), (pgoff_t)MC_RA_BATCH_MAX);
			rd = kmalloc(sizeof(*rd) + cap * sizeof(rd->bv[0]), GFP_KERNEL);
			if (!rd) {
				folio_unlock(folio);
				continue;
			}
			rd->map = map;
			rd->wait = NULL;
			rd->n = 0;
			rd->bv = (struct bio_vec *)(rd + 1);
			first = index;
		}
		bvec_set_page(&rd->bv[rd->n++], &folio->page, PAGE_SIZE, 0);
	}
	if (rd)
		mc_read_submit(rd, first);
}

static const struct address_space_operations mc_aops = {
	.read_folio	= mc_read_folio,
	.readahead	= mc_readahead,
	.dirty_folio	= noop_dirty_folio,
	.migrate_folio	= filemap_migrate_folio,
};

/* Faults */

/*
 * A hole is SIGBUS before the page cache is asked for anything.  A fault
 * is major, as the core counts it, when it read the media or was retried.
 */
static vm_fault_t mc_fault(struct vm_fault *vmf)
{
	struct mc_map *map = mc_file_map(vmf->vma->vm_file);
	vm_fault_t ret;

	if (!mc_valid_pages(map, vmf->pgoff))
		return VM_FAULT_SIGBUS;
	mc_touch(map, vmf->pgoff);
	ret = filemap_fault(vmf);
	if (!(ret & (VM_FAULT_ERROR | VM_FAULT_RETRY)))
		mc_count(map, (ret & VM_FAULT_MAJOR) || (vmf->flags & FAULT_FLAG_TRIED) ?
			 MC_FAULTS_MAJOR : MC_FAULTS_MINOR, 1);
	return ret;
}

/*
 * Fault-around maps only pages that are up to date, never a hole's.  It
 * may run under RCU (and on 6.4+ under the VMA lock alone): nothing here
 * sleeps.
 */
static vm_fault_t mc_fault_around(struct vm_fault *vmf, pgoff_t start, pgoff_t end)
{
	struct mc_map *map = mc_file_map(vmf->vma->vm_file);
	vm_fault_t ret;

	mc_touch(map, vmf->pgoff);
	ret = filemap_map_pages(vmf, start, end);
	/* The retry of a fault that dropped its lock to read is a major one. */
	if (ret & VM_FAULT_NOPAGE)
		mc_count(map, vmf->flags & FAULT_FLAG_TRIED ? MC_FAULTS_MAJOR : MC_FAULTS_MINOR, 1);
	return ret;
}

static const struct vm_operations_struct mc_vm_ops = {
	.fault		= mc_fault,
	.map_pages	= mc_fault_around,
};

/*
 * WILLNEED reads ahead what is written of each mblock the range touches,
 * at most the pool's ra pages of each (f_ra.ra_pages); holes are skipped.
 * Other advice has no meaning here, as in 1.9.0.
 */
static int mc_map_fadvise(struct file *file, loff_t off, loff_t len, int advice)
{
	struct mc_map *map = mc_file_map(file);
	pgoff_t index, last, end = mc_map_pages(map);

	if (advice != POSIX_FADV_WILLNEED)
		return -EOPNOTSUPP;
	if (off < 0 || len < 0)
		return -EINVAL;
	if (!file->f_ra.ra_pages || off >= (loff_t)end << PAGE_SHIFT)
		return 0;

	index = off >> PAGE_SHIFT;
	last = (!len || len > ((loff_t)end << PAGE_SHIFT) - off) ?
	       end - 1 : (off + len - 1) >> PAGE_SHIFT;

	while (index <= last) {
		pgoff_t next = (index | (mc_bkt_pages(map) - 1)) + 1;
		pgoff_t valid = mc_valid_pages(map, index);

		if (valid) {
			DEFINE_READAHEAD(ractl, file, &file->f_ra, file->f_mapping, index);

			mc_touch(map, index);
			/* Exactly these pages: no window that could reach a hole. */
			page_cache_ra_unbounded(&ractl, min3(valid, last - index + 1,
							     (pgoff_t)file->f_ra.ra_pages), 0);
		}
		index = next;
	}
	return 0;
}

static void mc_unpin(struct mc_map *map)
{
	u32 i;

	lockdep_assert_held(&mc_lock);
	if (map->unpinned)
		return;
	for (i = 0; i < map->mbidc; i++)
		mblock_unpin(&map->bkt[i].mb);
	map->unpinned = true;
}

/* Drop every page, and wait until no read of the map is in flight. */
static void mc_drain(struct mc_map *map)
{
	truncate_inode_pages(map->file->f_mapping, 0);
	wait_var_event(&map->inflight, !atomic_read(&map->inflight));
}

/*
 * Take @map out of its pool's table and off mc_maps, if it is still
 * there; its counters go to its pool's and the module's retired ones.
 */
static void mc_unlist(struct mc_map *map)
{
	int i;

	lockdep_assert_held(&mc_lock);
	if (!list_empty(&map->node)) {
		list_del_init(&map->node);
		for (i = 0; i < MC_NR_COUNTERS; i++) {
			long v = atomic_long_read(&map->cnt[i]);

			mc_retired[i] += v;
			if (map->mp)
				map->mp->mc.retired[i] += v;
		}
	}
	if (map->mp && map->region)
		xa_cmpxchg(&map->mp->mc.maps, map->region, map, NULL, 0);
	map->mp = NULL;
}

/*
 * The last reference to the map's file is gone: no VMA shows it and no
 * command uses it.  Runs before the munmap (or exit, or DESTROY) that
 * dropped it returns to user space.
 */
static int mc_map_release(struct inode *inode, struct file *file)
{
	struct mc_map *map = inode->i_private;

	mc_drain(map);

	mutex_lock(&mc_lock);
	mc_unlist(map);
	mc_unpin(map);
	mutex_unlock(&mc_lock);

	inode->i_private = NULL;
	kvfree(map);
	return 0;
}

static const struct file_operations mc_map_fops = {
	.owner		= THIS_MODULE,
	.release	= mc_map_release,
	.fadvise	= mc_map_fadvise,
	.llseek		= noop_llseek,
};

/* /proc/<pid>/maps shows a map as its dentry's name, as it is. */
static char *mc_dname(struct dentry *dentry, char *buf, int buflen)
{
	int len = dentry->d_name.len + 1;

	if (len > buflen)
		return ERR_PTR(-ENAMETOOLONG);
	return memcpy(buf + buflen - len, dentry->d_name.name, len);
}

static const struct dentry_operations mc_dops = {
	.d_dname	= mc_dname,
};

static int mc_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, MCACHE_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &mc_dops;
	return 0;
}

static struct file_system_type mc_fs_type = {
	.name			= "mpool_mcache",
	.init_fs_context	= mc_init_fs_context,
	.kill_sb		= kill_anon_super,
};

/* The map's inode and file: "mpool-mcache:<pool>:<region>". */
static struct file *mc_file_new(struct mc_map *map, const char *pool)
{
	struct inode *inode;
	struct file *file;
	char name[MPOOL_NAMESZ_MAX + 32];

	/* The file's last fput() drops a module reference: take it here. */
	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENODEV);
	inode = alloc_anon_inode(mc_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		module_put(THIS_MODULE);
		return ERR_CAST(inode);
	}
	inode->i_mapping->a_ops = &mc_aops;
	inode->i_private = map;
	i_size_write(inode, (loff_t)mc_map_pages(map) << PAGE_SHIFT);

	snprintf(name, sizeof(name), "mpool-mcache:%s:%u", pool, map->region);
	file = alloc_file_pseudo(inode, mc_mnt, name, O_RDONLY, &mc_map_fops);
	if (IS_ERR(file)) {
		iput(inode);
		module_put(THIS_MODULE);
	}
	return file;
}

/* MPIOC_VMA_CREATE */

/*
 * Pin every mblock of @ids into @map and size its buckets: E2BIG if N
 * buckets do not fit one region.  On failure the pins taken are dropped.
 */
static int mc_map_pin(struct mpool *mp, struct mc_map *map, const u64 *ids)
{
	u64 maxlen = 0;
	u32 i;
	int rc;

	for (i = 0; i < map->mbidc; i++) {
		rc = mblock_pin(mp, ids[i], &map->bkt[i].mb);
		if (rc)
			goto out_unpin;
		maxlen = max(maxlen, map->bkt[i].mb.wlen);
		map->bkt[i].atime = local_clock();
	}

	map->bkt_shift = maxlen ? order_base_2(maxlen >> PAGE_SHIFT) : 0;
	if (((u64)map->mbidc << map->bkt_shift << PAGE_SHIFT) > mc_region_bytes()) {
		rc = -E2BIG;
		goto out_unpin;
	}
	return 0;

out_unpin:
	while (i--)
		mblock_unpin(&map->bkt[i].mb);
	return rc;
}

int mcache_create(struct mpool *mp, struct mpioc_vma *v)
{
	u32 n = v->im_mbidc, region;
	struct mc_map *map;
	struct file *file;
	u64 *ids;
	int rc;

	if (!n || v->im_advice > MPC_VMA_PINNED)
		return -EINVAL;
	/* Every bucket is a page at least: more cannot fit one region. */
	if (n > mc_region_bytes() >> PAGE_SHIFT)
		return -E2BIG;

	ids = vmemdup_user(v->im_mbidv, array_size(n, sizeof(*ids)));
	if (IS_ERR(ids))
		return PTR_ERR(ids);

	map = kvzalloc(struct_size(map, bkt, n), GFP_KERNEL_ACCOUNT);
	if (!map) {
		rc = -ENOMEM;
		goto out_ids;
	}
	map->mbidc = n;
	map->advice = v->im_advice;
	atomic_set(&map->inflight, 0);
	INIT_LIST_HEAD(&map->node);
	rc = mc_map_pin(mp, map, ids);
	if (rc)
		goto out_map;

	/* Reserve a region (xvm_max of them at most) while the file is made. */
	mutex_lock(&mc_lock);
	if (mp->mc.dead)
		rc = -ENODEV;
	else
		rc = xa_alloc(&mp->mc.maps, &region, NULL, XA_LIMIT(1, mpool_xvm_max),
			      GFP_KERNEL);
	mutex_unlock(&mc_lock);
	if (rc)
		goto out_unpin;
	map->region = region;

	file = mc_file_new(map, mp->name);
	if (IS_ERR(file)) {
		rc = PTR_ERR(file);
		mutex_lock(&mc_lock);
		xa_release(&mp->mc.maps, region);
		mutex_unlock(&mc_lock);
		goto out_unpin;
	}
	map->file = file;

	/* From here on the file's release undoes everything. */
	mutex_lock(&mc_lock);
	map->mp = mp;
	file->f_ra.ra_pages = mc_ra_pages(map, mp);
	xa_store(&mp->mc.maps, region, map, GFP_KERNEL);
	list_add_tail(&map->node, &mc_maps);
	mutex_unlock(&mc_lock);

	v->im_bktsz = (u64)PAGE_SIZE << map->bkt_shift;
	v->im_offset = (s64)region << mpool_xvm_size_max;
	v->im_len = mc_region_bytes();
	v->im_rsvd = 0;
	kvfree(ids);
	return 0;

out_unpin:
	mutex_lock(&mc_lock);
	mc_unpin(map);
	mutex_unlock(&mc_lock);
out_map:
	kvfree(map);
out_ids:
	kvfree(ids);
	return rc == -EBUSY ? -ENOSPC : rc;
}

/*
 * The live map whose region holds byte @off of @mp's mmap offsets, with a
 * reference on its file (fput() it), or NULL.  Caller holds mc_lock.
 */
static struct mc_map *mc_lookup(struct mpool *mp, u64 off)
{
	struct mc_map *map;
	u64 region = off >> mpool_xvm_size_max;

	lockdep_assert_held(&mc_lock);
	if (mp->mc.dead || !region || region > mpool_xvm_max)
		return NULL;
	map = xa_load(&mp->mc.maps, region);
	if (!map || !mpool_file_tryget(map->file))
		return NULL;
	return map;
}

static struct mc_map *mc_get(struct mpool *mp, s64 off)
{
	struct mc_map *map;

	if (off < 0)
		return NULL;
	mutex_lock(&mc_lock);
	map = mc_lookup(mp, off);
	mutex_unlock(&mc_lock);
	return map;
}

/* DESTROY frees a map that was never mmapped; anything else is a no-op (1.9.0). */
int mcache_destroy(struct mpool *mp, const struct mpioc_vma *v)
{
	struct file *birth = NULL;
	struct mc_map *map;

	if (v->im_offset < 0)
		return 0;
	mutex_lock(&mc_lock);
	map = mc_lookup(mp, v->im_offset);
	if (map && !map->mapped) {
		mc_unlist(map);
		map->mapped = true;	/* the birth reference is ours to drop */
		birth = map->file;
	}
	mutex_unlock(&mc_lock);

	if (map)
		fput(map->file);
	if (birth)
		fput(birth);
	return 0;
}

/* PURGE: drop every page of the map, mapped or not; the next touch reads the media. */
int mcache_purge(struct mpool *mp, const struct mpioc_vma *v)
{
	struct mc_map *map = mc_get(mp, v->im_offset);

	if (!map)
		return -ENOENT;
	/* EBUSY only means a page was busy for a moment: 0, as in 1.9.0. */
	invalidate_inode_pages2(map->file->f_mapping);
	fput(map->file);
	return 0;
}

/* VRSS: the map's size and the pages of it in the page cache, in pages. */
int mcache_vrss(struct mpool *mp, struct mpioc_vma *v)
{
	struct mc_map *map = mc_get(mp, v->im_offset);

	if (!map)
		return -ENOENT;
	v->im_vssp = mc_map_pages(map);
	v->im_rssp = READ_ONCE(map->file->f_mapping->nrpages);
	v->im_rsvd = 0;
	fput(map->file);
	return 0;
}

/*
 * mmap of a pool node: the range must lie inside one live region.  The VMA
 * moves over to the map's file, read-only for good: PROT_WRITE or
 * PROT_EXEC is EACCES (1.9.0 dropped them silently), and so is a later
 * mprotect() that asks for them.  It cannot grow, and stays out of core
 * dumps.  Faults read one page at a time until madvise() says otherwise
 * (VM_RAND_READ, 1.9.0's behaviour); readahead is the pool's ra.
 */
int mcache_mmap(struct mpool * const *poolp, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	struct mc_map *map = NULL;
	struct mpool *mp;
	u64 off, in;
	int rc = 0;

	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EACCES;
	if (vma->vm_pgoff > (U64_MAX >> PAGE_SHIFT))
		return -EINVAL;
	off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	in = off & (mc_region_bytes() - 1);
	if (len > mc_region_bytes() - in)
		return -EINVAL;

	mutex_lock(&mc_lock);
	mp = READ_ONCE(*poolp);
	if (mp)
		map = mc_lookup(mp, off);
	if (!map) {
		rc = mp ? -EINVAL : -ENODEV;
		goto out_unlock;
	}

	vma_set_file(vma, map->file);
	vma->vm_pgoff = in >> PAGE_SHIFT;
	vma->vm_ops = &mc_vm_ops;
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_RAND_READ);
	vm_flags_clear(vma, VM_MAYWRITE | VM_MAYEXEC | VM_SEQ_READ);
	map->file->f_ra.ra_pages = mc_ra_pages(map, mp);

	/* The VMA holds the file now: the birth reference is not needed. */
	if (!map->mapped) {
		map->mapped = true;
		fput(map->file);
	}
	fput(map->file);	/* mc_lookup()'s */
out_unlock:
	mutex_unlock(&mc_lock);
	return rc;
}

/* posix_fadvise() on a pool node: WILLNEED goes to the map at that offset. */
int mcache_fadvise(struct mpool * const *poolp, loff_t off, loff_t len, int advice)
{
	struct mc_map *map = NULL;
	struct mpool *mp;
	loff_t base;
	int rc;

	if (off < 0 || len < 0)
		return -EINVAL;
	mutex_lock(&mc_lock);
	mp = READ_ONCE(*poolp);
	if (mp)
		map = mc_lookup(mp, off);
	mutex_unlock(&mc_lock);
	if (!map)
		return mp ? -EINVAL : -ENODEV;

	/* mc_map_fadvise() clips the range to the map, which fits its region. */
	base = (loff_t)map->region << mpool_xvm_size_max;
	rc = mc_map_fadvise(map->file, off - base, len, advice);
	fput(map->file);
	return rc;
}

/* Counters */

static void mc_stats_add(struct mc_stats *st, struct mc_map *map)
{
	int i;

	st->maps++;
	st->pages[map->advice] += READ_ONCE(map->file->f_mapping->nrpages);
	for (i = 0; i < MC_NR_COUNTERS; i++)
		st->cnt[i] += atomic_long_read(&map->cnt[i]);
}

/* The counters of @mp's maps, or of every map if @mp is NULL. */
void mcache_stats(struct mpool *mp, struct mc_stats *st)
{
	struct mc_map *map;

	memset(st, 0, sizeof(*st));
	mutex_lock(&mc_lock);
	memcpy(st->cnt, mp ? mp->mc.retired : mc_retired, sizeof(st->cnt));
	list_for_each_entry(map, &mc_maps, node)
		if (!mp || map->mp == mp)
			mc_stats_add(st, map);
	mutex_unlock(&mc_lock);
}

/* The reaper's side */

static const unsigned int mc_ttl_mult[MC_NR_ADVICE] = {
	[MPC_VMA_COLD] = 1, [MPC_VMA_WARM] = 10, [MPC_VMA_HOT] = 100,
};

/*
 * Evict every mblock of @map idle for longer than @ttl_ns times its
 * advice's multiplier, until fewer than MC_REAP_MIN_PAGES of it are left.
 * invalidate_inode_pages2_range() unmaps the pages from every process and
 * waits for reads in flight (their folios are locked); a page busy for a
 * moment stays, which is harmless.  Returns the pages it dropped.
 */
static u64 mc_map_reap(struct mc_map *map, u64 now, u64 ttl_ns)
{
	struct address_space *mapping = map->file->f_mapping;
	u64 age = ttl_ns * mc_ttl_mult[map->advice];
	u64 evicted = 0, mblocks = 0;
	u32 i;

	for (i = 0; i < map->mbidc; i++) {
		pgoff_t first = (pgoff_t)i << map->bkt_shift;
		pgoff_t wpages = map->bkt[i].mb.wlen >> PAGE_SHIFT;
		u64 at = READ_ONCE(map->bkt[i].atime);
		unsigned long before, after;

		if (READ_ONCE(mapping->nrpages) < MC_REAP_MIN_PAGES || READ_ONCE(map->revoked))
			break;
		if (!wpages || at == MC_ATIME_EVICTED || now < at || now - at <= age)
			continue;
		WRITE_ONCE(map->bkt[i].atime, MC_ATIME_EVICTED);
		if (!filemap_range_has_page(mapping, (loff_t)first << PAGE_SHIFT,
					    ((loff_t)(first + wpages) << PAGE_SHIFT) - 1))
			continue;

		before = READ_ONCE(mapping->nrpages);
		invalidate_inode_pages2_range(mapping, first, first + wpages - 1);
		after = READ_ONCE(mapping->nrpages);
		if (before > after)
			evicted += before - after;
		mblocks++;
		cond_resched();
	}
	mc_count(map, MC_REAP_MBLOCKS, mblocks);
	mc_count(map, MC_REAP_PAGES, evicted);
	return evicted;
}

/*
 * One eviction pass over every map that is not PINNED and holds at least
 * MC_REAP_MIN_PAGES pages, oldest-visited first: the maps go out of
 * mc_lock in batches, each map with a reference on its file, and back to
 * the tail of mc_maps, so the next pass starts where this one ended.  A
 * map released meanwhile is simply skipped (its tryget fails).  Runs in
 * the reaper's worker only.  Returns the pages evicted.
 */
u64 mcache_reap_pass(u64 ttl_ns)
{
	struct mc_map *batch[MC_REAP_BATCH];
	size_t todo, n, i;
	u64 evicted = 0;

	mutex_lock(&mc_lock);
	todo = list_count_nodes(&mc_maps);
	mutex_unlock(&mc_lock);

	while (todo) {
		n = 0;
		mutex_lock(&mc_lock);
		while (todo && n < MC_REAP_BATCH && !list_empty(&mc_maps)) {
			struct mc_map *map = list_first_entry(&mc_maps, struct mc_map, node);

			list_move_tail(&map->node, &mc_maps);
			todo--;
			if (map->advice == MPC_VMA_PINNED || READ_ONCE(map->revoked) ||
			    READ_ONCE(map->file->f_mapping->nrpages) < MC_REAP_MIN_PAGES ||
			    !mpool_file_tryget(map->file))
				continue;
			batch[n++] = map;
		}
		if (list_empty(&mc_maps))
			todo = 0;
		mutex_unlock(&mc_lock);

		for (i = 0; i < n; i++) {
			evicted += mc_map_reap(batch[i], local_clock(), ttl_ns);
			/*
			 * Ours may be the last reference (the last munmap
			 * came meanwhile): release the map here, at once, so
			 * that its mblocks are unpinned now and not after a
			 * delayed fput.  The release takes only mc_lock, which
			 * this worker does not hold.
			 */
			__fput_sync(batch[i]->file);
		}
		if (n)
			usleep_range(MC_REAP_PAUSE_MIN, MC_REAP_PAUSE_MAX);
	}
	return evicted;
}

/* The reaper's urgency changed: cap or restore each map's readahead. */
void mcache_ra_duress(unsigned int urgency)
{
	struct mc_map *map;

	mutex_lock(&mc_lock);
	mc_urgency = urgency;
	list_for_each_entry(map, &mc_maps, node)
		WRITE_ONCE(map->file->f_ra.ra_pages, mc_ra_pages(map, map->mp));
	mutex_unlock(&mc_lock);
}

/* Pools */

void mcache_pool_init(struct mc_pool *mc)
{
	xa_init_flags(&mc->maps, XA_FLAGS_ALLOC1);
	mc->dead = false;
}

/* A map that lives is an open of its pool. */
bool mcache_pool_busy(struct mpool *mp)
{
	bool busy;

	mutex_lock(&mc_lock);
	busy = !xa_empty(&mp->mc.maps);
	mutex_unlock(&mc_lock);
	return busy;
}

/* The pool's node was closed for the last time: maps never mmapped go. */
void mcache_pool_idle(struct mpool *mp)
{
	struct mc_map *map;
	unsigned long r;

	mutex_lock(&mc_lock);
	xa_for_each(&mp->mc.maps, r, map) {
		if (map->mapped)
			continue;
		mc_unlist(map);
		map->mapped = true;	/* the birth reference is ours to drop */
		fput(map->file);	/* deferred: the release runs after we unlock */
	}
	mutex_unlock(&mc_lock);
}

/*
 * The pool is leaving (its node no longer presents it): revoke every map.
 * A forced deactivate is the only way here with maps live.
 */
void mcache_pool_detach(struct mpool *mp)
{
	struct mc_map *map;
	unsigned long r;
	unsigned int n = 0;

	mutex_lock(&mc_lock);
	mp->mc.dead = true;
	xa_for_each(&mp->mc.maps, r, map) {
		struct address_space *mapping = map->file->f_mapping;

		filemap_invalidate_lock(mapping);
		WRITE_ONCE(map->revoked, true);
		i_size_write(mapping->host, 0);
		filemap_invalidate_unlock(mapping);
		unmap_mapping_range(mapping, 0, 0, 1);
		mc_drain(map);
		mc_unpin(map);
		mc_unlist(map);
		if (!map->mapped) {
			map->mapped = true;
			fput(map->file);
		}
		n++;
	}
	xa_destroy(&mp->mc.maps);
	mutex_unlock(&mc_lock);

	if (n)
		pr_warn("pool %s: %u mcache map(s) revoked\n", mp->name, n);
}

int mcache_init(void)
{
	mc_mnt = kern_mount(&mc_fs_type);
	return PTR_ERR_OR_ZERO(mc_mnt);
}

void mcache_exit(void)
{
	/* Every map holds a module reference: none is left. */
	kern_unmount(mc_mnt);
}
