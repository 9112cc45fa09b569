// SPDX-License-Identifier: GPL-2.0-only
/*
 * pd: pool device I/O.
 *
 * Devices are always opened read-write and exclusive, with a holder that
 * identifies who has them: an active pool, or one management operation.
 * A device in use by anything else (a file system, another pool, a
 * management operation in flight) therefore fails to open with EBUSY.
 *
 * I/O here is synchronous and small (superblocks and metadata blocks).
 * Buffers must be kmalloc'ed or page-backed kernel memory, aligned to the
 * device's logical block size, and the length a multiple of it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
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

	pd->holder = holder;
	pd->size = bdev_nr_bytes(pd->bdev);
	pd->lbs = bdev_logical_block_size(pd->bdev);
	base = strrchr(path, '/');
	strscpy(pd->name, base ? base + 1 : path, sizeof(pd->name));
	return 0;
}

void pd_close(struct pd_dev *pd)
{
	if (!pd->bdev)
		return;
	mpool_bdev_close(pd->bdev, pd->handle, pd->holder);
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
 * Transfers of any size.  pd_submit() turns an iov_iter into bios of up to
 * BIO_MAX_VECS pages and submits them all, under a plug; a pd_aio counts
 * them and calls its done() once the last completes.  Two users:
 *
 *  - pd_rw_iter(): ioctls moving user memory.  The user pages are pinned
 *    by the bios and released (dirtied, for reads) after completion, in
 *    process context, so the bios are kept on a list until then.
 *  - pd_read_async(): kernel pages (an ITER_BVEC over page-cache folios,
 *    for readahead).  Nothing is pinned; each bio is freed as it completes
 *    and done() runs from the completion of the last.
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

/* Completion of a bio kept for its submitter (pinned user pages). */
static void pd_endio_keep(struct bio *bio)
{
	struct pd_aio *aio = bio->bi_private;

	pd_aio_status(aio, bio->bi_status);
	pd_aio_put(aio);
}

/* Completion of a bio over kernel pages: nothing to release but the bio. */
static void pd_endio_free(struct bio *bio)
{
	struct pd_aio *aio = bio->bi_private;

	pd_aio_status(aio, bio->bi_status);
	bio_put(bio);
	pd_aio_put(aio);
}

static int pd_submit(struct pd_dev *pd, blk_opf_t opf, struct iov_iter *iter, u64 off,
		     struct pd_aio *aio, struct bio_list *keep)
{
	struct blk_plug plug;
	int rc = 0;

	blk_start_plug(&plug);
	while (iov_iter_count(iter)) {
		struct bio *bio;

		bio = bio_alloc(pd->bdev, bio_iov_vecs_to_alloc(iter, BIO_MAX_VECS), opf,
				GFP_NOIO);
		bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
		bio->bi_end_io = keep ? pd_endio_keep : pd_endio_free;
		bio->bi_private = aio;
		rc = bio_iov_iter_get_pages(bio, iter);
		if (rc) {
			bio_put(bio);
			break;
		}
		off += bio->bi_iter.bi_size;
		atomic_inc(&aio->pending);
		if (keep)
			bio_list_add(keep, bio);
		submit_bio(bio);
	}
	blk_finish_plug(&plug);
	return rc;
}

/*
 * Read kernel pages at @off asynchronously: @aio (pd_aio_init()) has its
 * done() called when the transfer is over, whatever this returns.  The
 * caller keeps the pages and the range it reads valid until then.
 */
int pd_read_async(struct pd_dev *pd, struct iov_iter *iter, u64 off, struct pd_aio *aio)
{
	int rc = pd_submit(pd, REQ_OP_READ, iter, off, aio, NULL);

	pd_aio_status(aio, errno_to_blk_status(rc));
	pd_aio_put(aio);
	return rc;
}

struct pd_sync {
	struct pd_aio		aio;
	struct completion	done;
	int			rc;
};

static void pd_sync_done(struct pd_aio *aio, int rc)
{
	struct pd_sync *s = container_of(aio, struct pd_sync, aio);

	s->rc = rc;
	complete(&s->done);
}

/*
 * Direct I/O between user memory and the device at @off, waited for:
 * nothing passes through the page cache.  The caller has checked
 * alignment and bounds.
 */
int pd_rw_iter(struct pd_dev *pd, bool write, struct iov_iter *iter, u64 off, bool fua)
{
	blk_opf_t opf = write ? REQ_OP_WRITE | REQ_SYNC : REQ_OP_READ;
	struct bio_list bios = BIO_EMPTY_LIST;
	struct pd_sync s;
	struct bio *bio;
	int rc;

	if (write && fua)
		opf |= REQ_FUA;

	pd_aio_init(&s.aio, pd_sync_done);
	init_completion(&s.done);
	rc = pd_submit(pd, opf, iter, off, &s.aio, &bios);
	pd_aio_put(&s.aio);
	wait_for_completion_io(&s.done);

	while ((bio = bio_list_pop(&bios))) {
		bio_release_pages(bio, !write);
		bio_put(bio);
	}
	return rc ?: s.rc;
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
