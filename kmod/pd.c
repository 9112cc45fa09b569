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
 * Direct I/O between user memory and the device at @off.  The user pages
 * are pinned into bios of up to BIO_MAX_VECS pages, submitted and waited
 * for one after another; nothing passes through the page cache.  The
 * caller has checked alignment and bounds.
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
