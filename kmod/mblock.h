/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mblock: write-once objects of one zone.  Allocate, append writes, commit
 * (then immutable and readable), abort, delete, find, read.
 */
#ifndef MPOOL_MBLOCK_H
#define MPOOL_MBLOCK_H

#include <linux/uio.h>

#include "mpool_ioctl.h"

struct mpool;
struct mp_obj;
struct pd_dev;

/**
 * struct mblock_pin - a committed mblock held for a map (mblock_pin())
 * @obj:   the pinned object
 * @pd:    the device its zone is on
 * @start: where its data starts on @pd, bytes
 * @wlen:  its written length, bytes (a multiple of the page size)
 */
struct mblock_pin {
	struct mp_obj	*obj;
	struct pd_dev	*pd;
	u64		start;
	u64		wlen;
};

int mblock_alloc(struct mpool *mp, u8 mclass, bool spare, u64 *objid,
		 struct mblock_props_ex *props);
int mblock_find(struct mpool *mp, u64 objid, struct mblock_props_ex *props);
int mblock_commit(struct mpool *mp, u64 objid);
int mblock_abort(struct mpool *mp, u64 objid);
int mblock_delete(struct mpool *mp, u64 objid);
int mblock_write(struct mpool *mp, u64 objid, const struct iovec __user *uiov, u16 iovcnt);
int mblock_read(struct mpool *mp, u64 objid, const struct iovec __user *uiov, u16 iovcnt,
		s64 offset);
int mblock_pin(struct mpool *mp, u64 objid, struct mblock_pin *pin);
void mblock_unpin(struct mblock_pin *pin);

#endif /* MPOOL_MBLOCK_H */
