// SPDX-License-Identifier: GPL-2.0-only
/*
 * mblock: write-once objects.
 *
 * An mblock is one zone.  Writes append at its written length, straight
 * from the caller's pages to the device; reads are allowed once it is
 * committed, and commit makes it immutable.  As in 1.9.0, a read of an
 * uncommitted mblock is ENOENT (it is not found among the committed ones)
 * and a write after commit EALREADY.  Every transfer is page aligned, made of
 * at most MPIOC_KIOV_MAX iovecs and at most rwsz_max_mb MiB.
 *
 * Locking: the object's rwsem, shared by reads, exclusive for writes and
 * state changes (pmd_obj.h).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "init.h"
#include "mblock.h"
#include "mp.h"
#include "pmd_obj.h"

/*
 * Copy in and check a user iovec array: 1..MPIOC_KIOV_MAX entries, each
 * page aligned and a non-zero multiple of the page size, at most
 * rwsz_max_mb MiB in all.  On success the caller frees *iovp.
 */
int mpool_import_iov(int dir, const struct iovec __user *uiov, u16 iovcnt,
		     struct iovec **iovp, struct iov_iter *iter, size_t *len)
{
	struct iovec *iov = NULL;
	ssize_t n;
	u16 i;

	*iovp = NULL;
	if (!iovcnt || iovcnt > MPIOC_KIOV_MAX || !uiov)
		return -EINVAL;

	/* No fast array: the copy is always ours to check and to free. */
	n = import_iovec(dir, uiov, iovcnt, 0, &iov, iter);
	if (n < 0)
		return n;

	for (i = 0; i < iovcnt; i++) {
		if (!iov[i].iov_len || !PAGE_ALIGNED(iov[i].iov_len) ||
		    !PAGE_ALIGNED((unsigned long)iov[i].iov_base)) {
			kfree(iov);
			return -EINVAL;
		}
	}
	if ((u64)n > ((u64)mpool_rwsz_max_mb << 20)) {
		kfree(iov);
		return -EINVAL;
	}
	*iovp = iov;
	*len = n;
	return 0;
}

static void mblock_props_fill(struct mpool *mp, struct mp_obj *obj, struct mblock_props_ex *p)
{
	u64 cap = (u64)obj->zcnt * mp_class_zone(mp, obj->mclass);

	memset(p, 0, sizeof(*p));
	p->mbx_props.mpr_objid = obj->objid;
	p->mbx_props.mpr_alloc_cap = min_t(u64, cap, U32_MAX);
	p->mbx_props.mpr_write_len = obj->wlen;
	p->mbx_props.mpr_optimal_wrsz = mp->dev[obj->mclass].optiosz;
	p->mbx_props.mpr_mclassp = obj->mclass;
	p->mbx_props.mpr_iscommitted = obj->committed;
	p->mbx_zonecnt = obj->zcnt;
}

int mblock_alloc(struct mpool *mp, u8 mclass, bool spare, u64 *objid,
		 struct mblock_props_ex *props)
{
	struct mp_obj *obj;
	int rc;

	rc = obj_alloc(mp, OBJ_TYPE_MBLOCK, mclass, spare, 1, &obj);
	if (rc)
		return rc;
	*objid = obj->objid;
	mblock_props_fill(mp, obj, props);
	obj_put(obj);
	return 0;
}

int mblock_find(struct mpool *mp, u64 objid, struct mblock_props_ex *props)
{
	struct mp_obj *obj = obj_get(mp, objid, OBJ_TYPE_MBLOCK);
	int rc = 0;

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	down_read(&obj->lock);
	if (obj->dead)
		rc = -ENOENT;
	else
		mblock_props_fill(mp, obj, props);
	up_read(&obj->lock);
	obj_put(obj);
	return rc;
}

static int mblock_change(struct mpool *mp, u64 objid,
			 int (*change)(struct mpool *mp, struct mp_obj *obj))
{
	struct mp_obj *obj = obj_get(mp, objid, OBJ_TYPE_MBLOCK);
	int rc;

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	down_write(&obj->lock);
	rc = change(mp, obj);
	up_write(&obj->lock);
	obj_put(obj);
	return rc;
}

int mblock_commit(struct mpool *mp, u64 objid)
{
	return mblock_change(mp, objid, obj_commit);
}

int mblock_abort(struct mpool *mp, u64 objid)
{
	return mblock_change(mp, objid, obj_abort);
}

int mblock_delete(struct mpool *mp, u64 objid)
{
	return mblock_change(mp, objid, obj_delete);
}

static u64 mblock_offset(struct mpool *mp, struct mp_obj *obj)
{
	return obj->zaddr * mp_class_zone(mp, obj->mclass);
}

int mblock_write(struct mpool *mp, u64 objid, const struct iovec __user *uiov, u16 iovcnt)
{
	struct mp_obj *obj = obj_get(mp, objid, OBJ_TYPE_MBLOCK);
	struct iov_iter iter;
	struct iovec *iov;
	size_t len;
	int rc;

	if (IS_ERR(obj))
		return PTR_ERR(obj);

	rc = mpool_import_iov(ITER_SOURCE, uiov, iovcnt, &iov, &iter, &len);
	if (rc)
		goto out_put;

	down_write(&obj->lock);
	if (obj->dead)
		rc = -ENOENT;
	else if (obj->committed)
		rc = -EALREADY;
	else if (obj->wlen + len > (u64)obj->zcnt * mp_class_zone(mp, obj->mclass))
		rc = -EINVAL;
	else
		rc = pd_rw_iter(&mp->dev[obj->mclass].pd, true, &iter,
				mblock_offset(mp, obj) + obj->wlen, false);
	if (!rc)
		obj->wlen += len;
	up_write(&obj->lock);
	kfree(iov);
out_put:
	obj_put(obj);
	return rc;
}

int mblock_read(struct mpool *mp, u64 objid, const struct iovec __user *uiov, u16 iovcnt,
		s64 offset)
{
	struct mp_obj *obj = obj_get(mp, objid, OBJ_TYPE_MBLOCK);
	struct iov_iter iter;
	struct iovec *iov;
	size_t len;
	int rc;

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	if (offset < 0 || !PAGE_ALIGNED(offset)) {
		rc = -EINVAL;
		goto out_put;
	}

	rc = mpool_import_iov(ITER_DEST, uiov, iovcnt, &iov, &iter, &len);
	if (rc)
		goto out_put;

	down_read(&obj->lock);
	if (obj->dead || !obj->committed)
		rc = -ENOENT;
	else if (offset + len > obj->wlen)
		rc = -EINVAL;
	else
		rc = pd_rw_iter(&mp->dev[obj->mclass].pd, false, &iter,
				mblock_offset(mp, obj) + offset, false);
	up_read(&obj->lock);
	kfree(iov);
out_put:
	obj_put(obj);
	return rc;
}
