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
 *
 * Locking: the object's rwsem, shared by I/O, exclusive for state changes.
 * pmd_obj.c finds, locks and releases the object for every command here
 * (pmd_obj.h).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>

#include "mlog.h"
#include "mp.h"
#include "pmd_obj.h"

static u8 mlog_state(bool committed)
{
	return committed ? MLOG_STATE_COMMITTED : 0;
}

static void mlog_props_fill(struct mpool *mp, const struct mp_obj *obj, void *props)
{
	struct mp_dev *d = &mp->dev[obj->rec.mclass];
	u64 cap = obj_capacity(mp, obj);
	struct mlog_props_ex *p = props;

	memset(p, 0, sizeof(*p));
	memcpy(&p->lpx_props.lpr_uuid, obj->rec.uuid, sizeof(p->lpx_props.lpr_uuid));
	p->lpx_props.lpr_objid = obj->rec.objid;
	p->lpx_props.lpr_alloc_cap = cap;
	p->lpx_props.lpr_gen = obj->rec.gen;
	p->lpx_props.lpr_mclassp = obj->rec.mclass;
	p->lpx_props.lpr_iscommitted = obj->committed;
	p->lpx_secshift = d->sb.dev.sectorsz;
	p->lpx_totsec = min_t(u64, cap >> d->sb.dev.sectorsz, U32_MAX);
	p->lpx_zonecnt = obj->rec.zcnt;
	p->lpx_state = mlog_state(obj->committed);
}

int mlog_alloc(struct mpool *mp, u8 mclass, const struct mlog_capacity *cap, u64 *objid,
	       struct mlog_props_ex *props)
{
	u64 zone, zcnt;

	if (mclass >= MP_MED_NUMBER || !mp->dev[mclass].present)
		return -ENODEV;
	zone = mp_class_zone(mp, mclass);
	/* Count zones in 64 bits: no capacity may wrap to a small log. */
	zcnt = max_t(u64, 1, div64_u64(cap->lcp_captgt, zone) + !!(cap->lcp_captgt % zone));
	if (zcnt > mp->dev[mclass].sb.dev.zonetot)
		return -ENOSPC;

	return obj_alloc(mp, OBJ_TYPE_MLOG, mclass, cap->lcp_spare, zcnt, mlog_props_fill, props,
			 objid);
}

int mlog_find(struct mpool *mp, u64 objid, struct mlog_props_ex *props)
{
	return obj_find(mp, objid, OBJ_TYPE_MLOG, mlog_props_fill, props);
}

/* A state change; @gen and @state, if given, get the log's state after it. */
static int mlog_change(struct mpool *mp, u64 objid, enum obj_op op, u64 mingen, u64 *gen,
		       u8 *state)
{
	struct obj_after after;
	int rc;

	rc = obj_change(mp, objid, OBJ_TYPE_MLOG, op, mingen, gen ? &after : NULL);
	if (gen && after.found) {
		*gen = after.gen;
		*state = mlog_state(after.committed);
	}
	return rc;
}

int mlog_commit(struct mpool *mp, u64 objid, u64 *gen, u8 *state)
{
	return mlog_change(mp, objid, OBJ_OP_COMMIT, 0, gen, state);
}

int mlog_abort(struct mpool *mp, u64 objid)
{
	return mlog_change(mp, objid, OBJ_OP_ABORT, 0, NULL, NULL);
}

int mlog_delete(struct mpool *mp, u64 objid)
{
	return mlog_change(mp, objid, OBJ_OP_DELETE, 0, NULL, NULL);
}

int mlog_erase(struct mpool *mp, u64 objid, u64 mingen, u64 *gen, u8 *state)
{
	return mlog_change(mp, objid, OBJ_OP_ERASE, mingen, gen, state);
}

/* Raw page I/O inside a committed mlog; every write is FUA. */
int mlog_rw(struct mpool *mp, u64 objid, bool write, const struct iovec __user *uiov,
	    u16 iovcnt, s64 offset)
{
	return obj_rw(mp, objid, OBJ_TYPE_MLOG, write, uiov, iovcnt, offset);
}
