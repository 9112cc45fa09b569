/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mlog: append-only logs.  The kernel keeps the log's zones, generation
 * and magic, and moves pages; records are framed in userland.
 */
#ifndef MPOOL_MLOG_H
#define MPOOL_MLOG_H

#include <linux/uio.h>

#include "mpool_ioctl.h"

struct mpool;

int mlog_alloc(struct mpool *mp, u8 mclass, const struct mlog_capacity *cap, u64 *objid,
	       struct mlog_props_ex *props);
int mlog_find(struct mpool *mp, u64 objid, struct mlog_props_ex *props);
int mlog_commit(struct mpool *mp, u64 objid, u64 *gen, u8 *state);
int mlog_abort(struct mpool *mp, u64 objid);
int mlog_delete(struct mpool *mp, u64 objid);
int mlog_erase(struct mpool *mp, u64 objid, u64 mingen, u64 *gen, u8 *state);
int mlog_rw(struct mpool *mp, u64 objid, bool write, const struct iovec __user *uiov,
	    u16 iovcnt, s64 offset);

#endif /* MPOOL_MLOG_H */
