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
 * state changes.  pmd_obj.c finds, locks and releases the object for every
 * command here (pmd_obj.h).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>

#include "compat.h"
#include "mblock.h"
#include "mp.h"
#include "pmd_obj.h"

static void mblock_props_fill(struct mpool *mp, const struct mp_obj *obj, void *props)
{
	u64 cap = obj_capacity(mp, obj);
	struct mblock_props_ex *p = props;

	memset(p, 0, sizeof(*p));
	p->mbx_props.mpr_objid = obj->rec.objid;
	p->mbx_props.mpr_alloc_cap = min_t(u64, cap, U32_MAX);
	p->mbx_props.mpr_write_len = obj->rec.wlen;
	p->mbx_props.mpr_optimal_wrsz = mp->dev[obj->rec.mclass].optiosz;
	p->mbx_props.mpr_mclassp = obj->rec.mclass;
	p->mbx_props.mpr_iscommitted = obj->committed;
	p->mbx_zonecnt = obj->rec.zcnt;
}

int mblock_alloc(struct mpool *mp, u8 mclass, bool spare, u64 *objid,
		 struct mblock_props_ex *props)
{
	return obj_alloc(mp, OBJ_TYPE_MBLOCK, mclass, spare, 1, mblock_props_fill, props, objid);
}

int mblock_find(struct mpool *mp, u64 objid, struct mblock_props_ex *props)
{
	return obj_find(mp, objid, OBJ_TYPE_MBLOCK, mblock_props_fill, props);
}

int mblock_commit(struct mpool *mp, u64 objid)
{
	return obj_change(mp, objid, OBJ_TYPE_MBLOCK, OBJ_OP_COMMIT, 0, NULL);
}

int mblock_abort(struct mpool *mp, u64 objid)
{
	return obj_change(mp, objid, OBJ_TYPE_MBLOCK, OBJ_OP_ABORT, 0, NULL);
}

int mblock_delete(struct mpool *mp, u64 objid)
{
	return obj_change(mp, objid, OBJ_TYPE_MBLOCK, OBJ_OP_DELETE, 0, NULL);
}

/* An append: it moves the written length, so the lock is exclusive. */
int mblock_write(struct mpool *mp, u64 objid, const struct iovec __user *uiov, u16 iovcnt)
{
	struct mp_obj *obj;
	struct obj_io io;
	int rc;

	rc = obj_io_begin(&io, mp, objid, OBJ_TYPE_MBLOCK, true, ITER_SOURCE, uiov, iovcnt, 0);
	if (rc)
		return rc;
	obj = io.obj;
	if (obj->dead)
		rc = -ENOENT;
	else if (obj->committed)
		rc = -EALREADY;
	else if (obj->rec.wlen + io.len > obj_capacity(mp, obj))
		rc = -EINVAL;
	else
		rc = pd_rw_iter(&mp->dev[obj->rec.mclass].pd, true, &io.iter,
				obj_start(mp, obj) + obj->rec.wlen, false);
	if (!rc) {
		obj->rec.wlen += io.len;
		obj_io_account(mp, OBJ_TYPE_MBLOCK, true, io.len);
	}
	obj_io_end(&io);
	return rc;
}

int mblock_read(struct mpool *mp, u64 objid, const struct iovec __user *uiov, u16 iovcnt,
		s64 offset)
{
	return obj_rw(mp, objid, OBJ_TYPE_MBLOCK, false, uiov, iovcnt, offset);
}

/*
 * Hold the committed mblock @objid for a reader outside the command path:
 * delete is EBUSY until mblock_unpin().  A committed mblock is immutable,
 * so what @pin says of it stays true for as long as the pin.
 */
int mblock_pin(struct mpool *mp, u64 objid, struct mblock_pin *pin)
{
	struct mp_obj *obj = obj_pin(mp, objid, OBJ_TYPE_MBLOCK);

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	pin->obj = obj;
	pin->pd = &mp->dev[obj->rec.mclass].pd;
	pin->start = obj_start(mp, obj);
	pin->wlen = obj->rec.wlen;
	return 0;
}

void mblock_unpin(struct mblock_pin *pin)
{
	obj_unpin(pin->obj);
	pin->obj = NULL;
}
