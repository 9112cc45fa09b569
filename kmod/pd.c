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
 *    (mblock and mlog data), any size, one bio at a time, waited for.
 *  - pd_read_async(): asynchronous reads into kernel pages (readahead),
 *    every bio in flight at once, completion reported through a pd_aio.
 * Nothing here locks: callers keep a device open for as long as they use
 * it, and order their I/O themselves.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "compat.h"
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

static int pd_io(struct pd_dev *pd, blk_opf_t opf, void *buf, size_t len, u64 off)
{
	unsigned int nr = DIV_ROUND_UP(offset_in_page(buf) + len, PAGE_SIZE);
	struct bio *bio;
	size_t done = 0;
	int rc;

	if (!len || !IS_ALIGNED(off | len, pd->lbs) || off + len > pd->size)
		return -EINVAL;

	bio = bio_alloc(pd->bdev, nr, opf, GFP_NOIO);
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
 * Transfers of any size, in bios of up to BIO_MAX_VECS pages.
 *
 *  - pd_rw_iter(): ioctls moving user memory.  One bio at a time, waited
 *    for, its pinned user pages released (dirtied, for reads) in process
 *    context before the next.
 *  - pd_read_async(): kernel pages (an ITER_BVEC over page-cache folios,
 *    for readahead).  Nothing is pinned: every bio is submitted at once,
 *    freed as it completes, and a pd_aio calls done() after the last.
 *
 * Bios in flight belong to the block layer, which chains a request's bios
 * through bi_next: nothing here keeps a list of submitted bios.
 */

void pd_aio_init(struct pd_aio *aio, void (*done)(struct pd_aio *aio, int rc))
{
	atomic_set(&aio->pending, 1);
	aio->status = BLK_STS_OK;
	aio->done = done;
}

static void pd_aio_put(struct pd_aio *aio)
{
	if (atomic_dec_and_test(&aio->pending))
		aio->done(aio, blk_status_to_errno(READ_ONCE(aio->status)));
}

static void pd_aio_status(struct pd_aio *aio, blk_status_t status)
{
	if (status)
		cmpxchg(&aio->status, BLK_STS_OK, status);
}

static void pd_endio_async(struct bio *bio)
{
	struct pd_aio *aio = bio->bi_private;

	pd_aio_status(aio, bio->bi_status);
	bio_put(bio);
	pd_aio_put(aio);
}

/*
 * Read kernel pages at @off asynchronously: @aio (pd_aio_init()) has its
 * done() called when the transfer is over, whatever this returns.  The
 * caller keeps the pages and the range it reads valid until then.
 */
int pd_read_async(struct pd_dev *pd, struct iov_iter *iter, u64 off, struct pd_aio *aio)
{
	struct blk_plug plug;
	int rc = 0;

	if (!iov_iter_is_bvec(iter)) {
		rc = -EINVAL;
		goto out;
	}

	blk_start_plug(&plug);
	while (iov_iter_count(iter)) {
		struct bio *bio;

		bio = bio_alloc(pd->bdev, bio_iov_vecs_to_alloc(iter, BIO_MAX_VECS),
				REQ_OP_READ, GFP_NOIO);
		bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
		bio->bi_end_io = pd_endio_async;
		bio->bi_private = aio;
		rc = bio_iov_iter_get_pages(bio, iter);
		if (rc) {
			bio_put(bio);
			break;
		}
		off += bio->bi_iter.bi_size;
		atomic_inc(&aio->pending);
		submit_bio(bio);
	}
	blk_finish_plug(&plug);
out:
	pd_aio_status(aio, errno_to_blk_status(rc));
	pd_aio_put(aio);
	return rc;
}

/*
 * Direct I/O between user memory and the device at @off: nothing passes
 * through the page cache.  The caller has checked alignment and bounds.
 */
int pd_rw_iter(struct pd_dev *pd, bool write, struct iov_iter *iter, u64 off, bool fua)
{
	blk_opf_t opf = write ? REQ_OP_WRITE | REQ_SYNC : REQ_OP_READ;
	int rc = 0;

	if (write && fua)
		opf |= REQ_FUA;

	while (iov_iter_count(iter) && !rc) {
		struct bio *bio;
		u32 len;

		bio = bio_alloc(pd->bdev, bio_iov_vecs_to_alloc(iter, BIO_MAX_VECS), opf,
				GFP_KERNEL);
		bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
		rc = bio_iov_iter_get_pages(bio, iter);
		if (rc) {
			bio_put(bio);
			break;
		}
		len = bio->bi_iter.bi_size;
		rc = submit_bio_wait(bio);
		bio_release_pages(bio, !write);
		bio_put(bio);
		off += len;
	}
	return rc;
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
