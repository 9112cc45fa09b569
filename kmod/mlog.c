// SPDX-License-Identifier: GPL-2.0-only
/*
 * mlog: append-only logs, kernel side.
 *
 * An mlog is a run of whole zones with a generation and a magic (uuid).
 * The kernel moves pages in and out of it once it is committed; every
 * write is FUA, so a write is durable when the ioctl returns, which is
 * what userland's sync appends and flushes rely on.  As in 1.9.0, writers
 * of one mlog serialize among themselves (the framing owns the log's
 * layout); the kernel only keeps I/O away from state changes.  Erase gives the log a
 * new generation, recorded in its MDC before it takes effect: records of
 * older generations are then ignored by the framing.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "mblock.h"
#include "mlog.h"
#include "mp.h"
#include "pmd_obj.h"

static u8 mlog_state(const struct mp_obj *obj)
{
	return obj->committed ? MLOG_STATE_COMMITTED : 0;
}

static void mlog_props_fill(struct mpool *mp, struct mp_obj *obj, struct mlog_props_ex *p)
{
	struct mp_dev *d = &mp->dev[obj->mclass];
	u64 cap = (u64)obj->zcnt * mp_class_zone(mp, obj->mclass);

	memset(p, 0, sizeof(*p));
	memcpy(&p->lpx_props.lpr_uuid, obj->uuid, sizeof(p->lpx_props.lpr_uuid));
	p->lpx_props.lpr_objid = obj->objid;
	p->lpx_props.lpr_alloc_cap = cap;
	p->lpx_props.lpr_gen = obj->gen;
	p->lpx_props.lpr_mclassp = obj->mclass;
	p->lpx_props.lpr_iscommitted = obj->committed;
	p->lpx_secshift = d->sb.sectorsz;
	p->lpx_totsec = min_t(u64, cap >> d->sb.sectorsz, U32_MAX);
	p->lpx_zonecnt = obj->zcnt;
	p->lpx_state = mlog_state(obj);
}

int mlog_alloc(struct mpool *mp, u8 mclass, const struct mlog_capacity *cap, u64 *objid,
	       struct mlog_props_ex *props)
{
	struct mp_obj *obj;
	u64 zone, zcnt;
	int rc;

	if (mclass >= MP_MED_NUMBER || !mp->dev[mclass].present)
		return -ENODEV;
	zone = mp_class_zone(mp, mclass);
	/* Count zones in 64 bits: no capacity may wrap to a small log. */
	zcnt = max_t(u64, 1, div64_u64(cap->lcp_captgt, zone) + !!(cap->lcp_captgt % zone));
	if (zcnt > mp->dev[mclass].sb.zonetot)
		return -ENOSPC;

	rc = obj_alloc(mp, OBJ_TYPE_MLOG, mclass, cap->lcp_spare, zcnt, &obj);
	if (rc)
		return rc;
	*objid = obj->objid;
	mlog_props_fill(mp, obj, props);
	obj_put(obj);
	return 0;
}

int mlog_find(struct mpool *mp, u64 objid, struct mlog_props_ex *props)
{
	struct mp_obj *obj = obj_get(mp, objid, OBJ_TYPE_MLOG);
	int rc = 0;

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	down_read(&obj->lock);
	if (obj->dead)
		rc = -ENOENT;
	else
		mlog_props_fill(mp, obj, props);
	up_read(&obj->lock);
	obj_put(obj);
	return rc;
}

static struct mp_obj *mlog_lock(struct mpool *mp, u64 objid)
{
	struct mp_obj *obj = obj_get(mp, objid, OBJ_TYPE_MLOG);

	if (!IS_ERR(obj))
		down_write(&obj->lock);
	return obj;
}

static void mlog_unlock(struct mp_obj *obj)
{
	up_write(&obj->lock);
	obj_put(obj);
}

int mlog_commit(struct mpool *mp, u64 objid, u64 *gen, u8 *state)
{
	struct mp_obj *obj = mlog_lock(mp, objid);
	int rc;

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	rc = obj_commit(mp, obj);
	*gen = obj->gen;
	*state = mlog_state(obj);
	mlog_unlock(obj);
	return rc;
}

int mlog_abort(struct mpool *mp, u64 objid)
{
	struct mp_obj *obj = mlog_lock(mp, objid);
	int rc;

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	rc = obj_abort(mp, obj);
	mlog_unlock(obj);
	return rc;
}

int mlog_delete(struct mpool *mp, u64 objid)
{
	struct mp_obj *obj = mlog_lock(mp, objid);
	int rc;

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	rc = obj_delete(mp, obj);
	mlog_unlock(obj);
	return rc;
}

int mlog_erase(struct mpool *mp, u64 objid, u64 mingen, u64 *gen, u8 *state)
{
	struct mp_obj *obj = mlog_lock(mp, objid);
	int rc;

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	rc = obj_erase(mp, obj, mingen);
	*gen = obj->gen;
	*state = mlog_state(obj);
	mlog_unlock(obj);
	return rc;
}

/* Raw page I/O inside a committed mlog. */
int mlog_rw(struct mpool *mp, u64 objid, bool write, const struct iovec __user *uiov,
	    u16 iovcnt, s64 offset)
{
	struct mp_obj *obj = obj_get(mp, objid, OBJ_TYPE_MLOG);
	struct iov_iter iter;
	struct iovec *iov;
	size_t len;
	u64 base;
	int rc;

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	if (offset < 0 || !PAGE_ALIGNED(offset)) {
		rc = -EINVAL;
		goto out_put;
	}
	rc = mpool_import_iov(write ? ITER_SOURCE : ITER_DEST, uiov, iovcnt, &iov, &iter, &len);
	if (rc)
		goto out_put;

	/* Writes to one mlog are serialized by userland; shared is enough. */
	down_read(&obj->lock);
	base = obj->zaddr * mp_class_zone(mp, obj->mclass);
	if (obj->dead || !obj->committed)
		rc = -ENOENT;	/* 1.9.0 looks among the committed mlogs only */
	else if (offset + len > (u64)obj->zcnt * mp_class_zone(mp, obj->mclass))
		rc = -EINVAL;
	else
		rc = pd_rw_iter(&mp->dev[obj->mclass].pd, write, &iter, base + offset, write);
	up_read(&obj->lock);
	kfree(iov);
out_put:
	obj_put(obj);
	return rc;
}
