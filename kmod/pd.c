// SPDX-License-Identifier: GPL-2.0-only
/*
 * pd: pool device I/O.
 *
 * Devices are always opened read-write and exclusive, with a holder that
 * identifies who has them: an active pool, or one management operation.
 * A device in use by anything else (a file system, another pool, a
 * management operation in flight) therefore fails to open with EBUSY.
 *
 * Three kinds of I/O, each with its own rules:
 *  - pd_read()/pd_write(): synchronous and small (superblocks, metadata
 *    blocks), one bio.  Buffers must be kmalloc'ed or page-backed kernel
 *    memory, aligned to the device's logical block size, and the length a
 *    multiple of it.
 *  - pd_rw_iter(): direct transfers between user memory and the device
 *    (mblock and mlog data), any size, waited for.
 *  - pd_read_async(): asynchronous reads into kernel pages (readahead),
 *    completion reported through the transfer's end().
 * Both go through one submission path, with up to rwconc_max bios of a
 * transfer in flight at once (see "Transfers" below).  Beyond a transfer's
 * own lock nothing here locks: callers keep a device open for as long as
 * they use it, and order their I/O themselves.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "compat.h"
#include "init.h"
#include "pd.h"

int pd_open(struct pd_dev *pd, const char *path, void *holder)
{
	const char *base;
	int rc;

	memset(pd, 0, sizeof(*pd));
	rc = mpool_bdev_open(path, holder, &pd->bdev, &pd->handle);
	if (rc)
		return rc;

	pd->size = bdev_nr_bytes(pd->bdev);
	pd->lbs = bdev_logical_block_size(pd->bdev);
	base = strrchr(path, '/');
	strscpy(pd->name, base ? base + 1 : path, sizeof(pd->name));
	return 0;
}

/*
 * True if @a and @b share media: the same device, or a disk and one of its
 * partitions.  Opens with one holder do not exclude each other, so a pool
 * asks this before it takes a second device.
 */
bool pd_overlaps(const struct pd_dev *a, const struct pd_dev *b)
{
	if (a->bdev->bd_disk != b->bdev->bd_disk)
		return false;
	return a->bdev == b->bdev || !bdev_is_partition(a->bdev) || !bdev_is_partition(b->bdev);
}

void pd_close(struct pd_dev *pd)
{
	if (!pd->bdev)
		return;
	mpool_bdev_close(pd->bdev, pd->handle);
	pd->bdev = NULL;
	pd->handle = NULL;
}

/*
 * Two bio sets, so that metadata never waits for data:
 *  - pd_meta_bs: superblocks and metadata blocks (pd_read(), pd_write()),
 *    with rsvd_bios_max bios in reserve.  A metadata write under memory
 *    pressure takes one of them: it neither fails nor waits for memory,
 *    only, at worst, for another metadata bio to complete.
 *  - pd_data_bs: object data moved by ioctls, with the per-bio state of a
 *    transfer in the front pad.  Its reserve is the block layer's usual
 *    BIO_POOL_SIZE, for forward progress: a transfer that finds no memory
 *    for its next bio first frees every bio it holds (pd_xfer_reap()),
 *    then waits for the reserve, so that no waiter holds what another one
 *    waits for.
 *  - pd_ra_bs: the same for mcache reads, whose bios are freed as they
 *    complete.  A set of their own, because an ioctl's transfer can fault
 *    on an mcache map while it holds data bios (a user buffer in a map):
 *    the read that serves the fault must not wait for those.
 */
static struct bio_set pd_meta_bs;
static struct bio_set pd_data_bs;
static struct bio_set pd_ra_bs;

/**
 * struct pd_bio - a bio of a transfer
 * @xfer: its transfer
 * @node: on the transfer's @done list once completed (pinned pages only)
 * @bio:  the bio; last, as the bio set allocates the pad in front of it
 *
 * The completed list has a node of its own: the block layer owns a bio's
 * bi_next from submission until completion, and nothing here relies on
 * what it leaves there.
 */
struct pd_bio {
	struct pd_xfer		*xfer;
	struct llist_node	node;
	struct bio		bio;
};

int pd_init(void)
{
	int rc;

	rc = bioset_init(&pd_meta_bs, mpool_rsvd_bios_max, 0, BIOSET_NEED_BVECS);
	if (rc)
		return rc;
	rc = bioset_init(&pd_data_bs, BIO_POOL_SIZE, offsetof(struct pd_bio, bio),
			 BIOSET_NEED_BVECS);
	if (rc)
		goto out_meta;
	rc = bioset_init(&pd_ra_bs, BIO_POOL_SIZE, offsetof(struct pd_bio, bio), 0);
	if (rc)
		goto out_data;
	return 0;

out_data:
	bioset_exit(&pd_data_bs);
out_meta:
	bioset_exit(&pd_meta_bs);
	return rc;
}

void pd_exit(void)
{
	bioset_exit(&pd_ra_bs);
	bioset_exit(&pd_data_bs);
	bioset_exit(&pd_meta_bs);
}

static int pd_io(struct pd_dev *pd, blk_opf_t opf, void *buf, size_t len, u64 off)
{
	unsigned int nr = DIV_ROUND_UP(offset_in_page(buf) + len, PAGE_SIZE);
	struct bio *bio;
	size_t done = 0;
	int rc;

	if (!len || nr > BIO_MAX_VECS || !IS_ALIGNED(off | len, pd->lbs) || off + len > pd->size)
		return -EINVAL;

	bio = bio_alloc_bioset(pd->bdev, nr, opf, GFP_NOIO, &pd_meta_bs);
	bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;

	while (done < len) {
		void *p = buf + done;
		size_t chunk = min_t(size_t, len - done, PAGE_SIZE - offset_in_page(p));

		if (bio_add_page(bio, virt_to_page(p), chunk, offset_in_page(p)) != chunk) {
			bio_put(bio);
			return -EIO;
		}
		done += chunk;
	}

	rc = submit_bio_wait(bio);
	bio_put(bio);
	return rc;
}

int pd_read(struct pd_dev *pd, void *buf, size_t len, u64 off)
{
	return pd_io(pd, REQ_OP_READ, buf, len, off);
}

/* With @fua the data is durable when this returns. */
int pd_write(struct pd_dev *pd, void *buf, size_t len, u64 off, bool fua)
{
	blk_opf_t opf = REQ_OP_WRITE | REQ_SYNC;

	if (fua)
		opf |= REQ_FUA;
	return pd_io(pd, opf, buf, len, off);
}

/*
 * Transfers: one submission path, pd_xfer_submit(), for both kinds.
 *
 *  - pd_rw_iter(): an ioctl moving user memory, waited for.  Its pages are
 *    pinned by the bios; completed bios wait on the transfer's @done list,
 *    and the submitter releases their pages (dirtied, for a read) in
 *    process context once the whole transfer is over.
 *  - pd_read_async(): kernel pages (an ITER_BVEC over page-cache folios,
 *    for mcache readahead).  Nothing is pinned: each bio is freed as it
 *    completes, and end() runs after the last one.
 *
 * Up to rwconc_max bios of a transfer are in flight at once, each of at
 * most chunk_size_kb.  The first error is the transfer's; submission stops
 * there, and the bios already in flight are waited for and freed.
 *
 * Lifetime: @inflight counts the bios in flight plus one, the submitter's,
 * dropped when it has submitted everything.  Whoever brings it to zero
 * ends the transfer.  It changes only under @lock, and a waiter checks it
 * under @lock too, so a completion is done with the transfer (which may
 * live on the waiter's stack) by the time the waiter sees it.
 */

void pd_xfer_init(struct pd_xfer *x, void (*end)(struct pd_xfer *x, int rc))
{
	spin_lock_init(&x->lock);
	init_waitqueue_head(&x->wait);
	x->inflight = 1;
	x->err = 0;
	x->pinned = false;
	init_llist_head(&x->done);
	x->end = end;
}

/*
 * Drop a count of @x, with @err (0 or a negative errno) as what it saw.
 * Everything this needs of @x is read under the lock: once it is dropped,
 * the waiter of a synchronous transfer may have returned.
 */
static void pd_xfer_put(struct pd_xfer *x, int err)
{
	void (*end)(struct pd_xfer *x, int rc);
	unsigned long flags;

	spin_lock_irqsave(&x->lock, flags);
	if (err && !x->err)
		x->err = err;
	err = x->err;
	/* Only an asynchronous transfer has an end, and nobody waits for it. */
	end = --x->inflight == 0 ? x->end : NULL;
	wake_up(&x->wait);
	spin_unlock_irqrestore(&x->lock, flags);

	if (end)
		end(x, err);
}

static void pd_xfer_endio(struct bio *bio)
{
	struct pd_bio *pb = container_of(bio, struct pd_bio, bio);
	struct pd_xfer *x = pb->xfer;
	int err = blk_status_to_errno(bio->bi_status);

	if (x->pinned)
		llist_add(&pb->node, &x->done);
	else
		bio_put(bio);
	pd_xfer_put(x, err);
}

/*
 * Wait until @x->inflight is at most @n: the submitter's own count is in
 * it until pd_xfer_put() drops it, so while submitting, 1 means that no
 * bio is in flight.
 */
static void pd_xfer_wait(struct pd_xfer *x, unsigned int n)
{
	spin_lock_irq(&x->lock);
	wait_event_lock_irq(x->wait, x->inflight <= n, x->lock);
	spin_unlock_irq(&x->lock);
}

/* Release the pages of @x's completed bios and free them.  Process context. */
static void pd_xfer_reap(struct pd_xfer *x, bool dirty)
{
	struct pd_bio *pb, *next;

	llist_for_each_entry_safe(pb, next, llist_del_all(&x->done), node) {
		bio_release_pages(&pb->bio, dirty);
		bio_put(&pb->bio);
	}
}

/* A bio of @nr_vecs for @x: never fails, may wait (see pd_data_bs). */
static struct bio *pd_xfer_bio(struct pd_dev *pd, struct pd_xfer *x, unsigned int nr_vecs,
			       blk_opf_t opf, gfp_t gfp)
{
	struct bio_set *bs = x->pinned ? &pd_data_bs : &pd_ra_bs;
	struct bio *bio;

	bio = bio_alloc_bioset(pd->bdev, nr_vecs, opf, gfp & ~__GFP_DIRECT_RECLAIM, bs);
	if (!bio) {
		if (x->pinned) {
			pd_xfer_wait(x, 1);
			pd_xfer_reap(x, !op_is_write(opf));
		}
		bio = bio_alloc_bioset(pd->bdev, nr_vecs, opf, gfp, bs);
	}
	container_of(bio, struct pd_bio, bio)->xfer = x;
	bio->bi_end_io = pd_xfer_endio;
	return bio;
}

/*
 * Submit @iter at byte @off of @pd as bios of @x; returns the first error
 * met while submitting.  The caller still holds its count in @x->inflight.
 * Bios are whole pages (a chunk_size_kb that is not is rounded down), so
 * that every one starts and ends on a logical block of the device.
 */
static int pd_xfer_submit(struct pd_dev *pd, struct pd_xfer *x, blk_opf_t opf,
			  struct iov_iter *iter, u64 off, gfp_t gfp)
{
	unsigned int conc = READ_ONCE(mpool_rwconc_max);
	size_t chunk = max_t(size_t, round_down((size_t)READ_ONCE(mpool_chunk_size_kb) << 10,
						PAGE_SIZE), PAGE_SIZE);
	unsigned int max_vecs = min_t(size_t, BIO_MAX_VECS, chunk >> PAGE_SHIFT);
	struct blk_plug plug;
	int rc = 0;

	blk_start_plug(&plug);
	while (iov_iter_count(iter)) {
		size_t left = iov_iter_count(iter);
		unsigned int nr_vecs;
		struct bio *bio;

		pd_xfer_wait(x, conc);
		if (READ_ONCE(x->err))
			break;

		iov_iter_truncate(iter, chunk);
		nr_vecs = bio_iov_vecs_to_alloc(iter, max_vecs);
		bio = pd_xfer_bio(pd, x, nr_vecs, opf, gfp);
		bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
		rc = bio_iov_iter_get_pages(bio, iter);
		iov_iter_reexpand(iter, left - bio->bi_iter.bi_size);
		if (rc) {
			bio_put(bio);
			break;
		}
		off += bio->bi_iter.bi_size;

		spin_lock_irq(&x->lock);
		x->inflight++;
		spin_unlock_irq(&x->lock);
		submit_bio(bio);
	}
	blk_finish_plug(&plug);
	return rc;
}

/*
 * Read kernel pages at @off asynchronously: @x (pd_xfer_init() with an
 * end) has its end called when the transfer is over, whatever this
 * returns.  The caller keeps the pages and the vector valid until then.
 */
int pd_read_async(struct pd_dev *pd, struct iov_iter *iter, u64 off, struct pd_xfer *x)
{
	int rc = -EINVAL;

	if (iov_iter_is_bvec(iter) && x->end)
		rc = pd_xfer_submit(pd, x, REQ_OP_READ, iter, off, GFP_NOIO);
	pd_xfer_put(x, rc);
	return rc;
}

/*
 * Direct I/O between user memory and the device at @off: nothing passes
 * through the page cache.  The caller has checked alignment and bounds.
 * Returns when every bio has completed; with @fua a write is durable then.
 */
int pd_rw_iter(struct pd_dev *pd, bool write, struct iov_iter *iter, u64 off, bool fua)
{
	blk_opf_t opf = write ? REQ_OP_WRITE | REQ_SYNC : REQ_OP_READ;
	struct pd_xfer x;
	int rc;

	if (write && fua)
		opf |= REQ_FUA;

	pd_xfer_init(&x, NULL);
	x.pinned = true;
	rc = pd_xfer_submit(pd, &x, opf, iter, off, GFP_KERNEL);
	pd_xfer_put(&x, rc);
	pd_xfer_wait(&x, 0);
	pd_xfer_reap(&x, !write);
	return x.err;
}

int pd_flush(struct pd_dev *pd)
{
	return blkdev_issue_flush(pd->bdev);
}

/* Drop the device's page cache, so that buffered readers see our writes. */
void pd_invalidate(struct pd_dev *pd)
{
	invalidate_bdev(pd->bdev);
}
