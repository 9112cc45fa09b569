/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pd: pool devices.  Opening block devices exclusively; synchronous reads
 * and writes of kernel buffers, direct transfers of user memory and
 * asynchronous reads of kernel pages, with bios, FUA and cache flushes.
 */
#ifndef MPOOL_PD_H
#define MPOOL_PD_H

#include <linux/blkdev.h>
#include <linux/llist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>

/**
 * struct pd_dev - an open pool device
 * @bdev:   the block device
 * @handle: what the open returned, for the close (kernel-version specific)
 * @name:   basename of the path it was opened by ("vdb")
 * @size:   bytes
 * @lbs:    logical block size
 */
struct pd_dev {
	struct block_device	*bdev;
	void			*handle;
	char			name[32];
	u64			size;
	unsigned int		lbs;
};

int pd_open(struct pd_dev *pd, const char *path, void *holder);
void pd_close(struct pd_dev *pd);
bool pd_overlaps(const struct pd_dev *a, const struct pd_dev *b);

int pd_read(struct pd_dev *pd, void *buf, size_t len, u64 off);
int pd_write(struct pd_dev *pd, void *buf, size_t len, u64 off, bool fua);
/**
 * struct pd_xfer - one transfer, in as many bios as it takes (pd.c)
 * @lock:     protects @inflight and @err
 * @wait:     where the submitter waits for room, and for the end
 * @inflight: bios in flight, plus one the submitter holds until it is done
 * @err:      the first error (a negative errno): a bio's or the submitter's
 * @pinned:   the bios pin user pages: the submitter frees them (@done)
 * @done:     completed bios of a pinned transfer
 * @end:      an asynchronous transfer's completion, called once after its
 *            last bio, maybe in interrupt context; NULL for pd_rw_iter()
 */
struct pd_xfer {
	spinlock_t		lock;	/* @inflight, @err */
	struct wait_queue_head	wait;
	unsigned int		inflight;
	int			err;
	bool			pinned;
	struct llist_head	done;
	void			(*end)(struct pd_xfer *x, int rc);
};

int pd_init(void);
void pd_exit(void);
void pd_xfer_init(struct pd_xfer *x, void (*end)(struct pd_xfer *x, int rc));
int pd_read_async(struct pd_dev *pd, struct iov_iter *iter, u64 off, struct pd_xfer *x);
int pd_rw_iter(struct pd_dev *pd, bool write, struct iov_iter *iter, u64 off, bool fua);
int pd_flush(struct pd_dev *pd);
void pd_invalidate(struct pd_dev *pd);

#endif /* MPOOL_PD_H */
