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

int mblock_alloc(struct mpool *mp, u8 mclass, bool spare, u64 *objid,
		 struct mblock_props_ex *props);
int mblock_find(struct mpool *mp, u64 objid, struct mblock_props_ex *props);
int mblock_commit(struct mpool *mp, u64 objid);
int mblock_abort(struct mpool *mp, u64 objid);
int mblock_delete(struct mpool *mp, u64 objid);
int mblock_write(struct mpool *mp, u64 objid, const struct iovec __user *uiov, u16 iovcnt);
int mblock_read(struct mpool *mp, u64 objid, const struct iovec __user *uiov, u16 iovcnt,
		s64 offset);

#endif /* MPOOL_MBLOCK_H */
