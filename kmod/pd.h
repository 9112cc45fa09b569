/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pd: pool devices.  Opening block devices exclusively; synchronous reads
 * and writes of kernel buffers, direct transfers of user memory and
 * asynchronous reads of kernel pages, with bios, FUA and cache flushes.
 */
#ifndef MPOOL_PD_H
#define MPOOL_PD_H

#include <linux/blkdev.h>
#include <linux/types.h>
#include <linux/uio.h>

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
 * struct pd_aio - one transfer, split into as many bios as it takes
 * @pending: bios in flight, plus one the submitter holds until it is done
 * @status:  the first error
 * @done:    called once, when every bio has completed; may run in
 *           interrupt context
 */
struct pd_aio {
	atomic_t	pending;
	blk_status_t	status;
	void		(*done)(struct pd_aio *aio, int rc);
};

void pd_aio_init(struct pd_aio *aio, void (*done)(struct pd_aio *aio, int rc));
int pd_read_async(struct pd_dev *pd, struct iov_iter *iter, u64 off, struct pd_aio *aio);
int pd_rw_iter(struct pd_dev *pd, bool write, struct iov_iter *iter, u64 off, bool fua);
int pd_flush(struct pd_dev *pd);
void pd_invalidate(struct pd_dev *pd);

#endif /* MPOOL_PD_H */
