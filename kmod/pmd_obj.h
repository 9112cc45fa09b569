/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pmd_obj: client objects (mblocks and mlogs) and their metadata: object
 * ids, the in-memory object table, and the records MDC-1..N keep about
 * them.  mblock.c and mlog.c build on it.
 */
#ifndef MPOOL_PMD_OBJ_H
#define MPOOL_PMD_OBJ_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "mdc.h"
#include "pmd.h"

struct mpool;

#define OBJ_TYPE_MBLOCK		1
#define OBJ_TYPE_MLOG		2

/* Object ids: uniquifier << 12 | type << 8 | MDC slot (1..255). */
static inline u64 objid_make(u64 uniq, u8 type, u8 slot)
{
	return uniq << 12 | (u64)(type & 0xf) << 8 | slot;
}

static inline u8 objid_type(u64 objid)
{
	return (objid >> 8) & 0xf;
}

static inline u8 objid_slot(u64 objid)
{
	return objid & 0xff;
}

static inline u64 objid_uniq(u64 objid)
{
	return objid >> 12;
}

/* Uniquifiers are checkpointed in blocks of this many: none is ever reused. */
#define OBJ_UNIQ_BLOCK		256

/**
 * struct mp_obj - one mblock or mlog
 * @ref:       the table holds one reference, every user one more
 * @lock:      shared by reads of its data, exclusive for everything else
 * @objid:     object id
 * @mclass:    media class of its zones
 * @spare:     allocated from spare space
 * @zaddr:     first zone
 * @zcnt:      zones
 * @wlen:      mblock: bytes written
 * @gen:       mlog: generation
 * @uuid:      mlog: its magic
 * @committed: recorded in its MDC
 * @dead:      aborted or deleted; gone from the table
 */
struct mp_obj {
	struct kref		ref;
	struct rw_semaphore	lock;	/* see above */
	u64			objid;
	u8			mclass;
	bool			spare;
	u64			zaddr;
	u32			zcnt;
	u64			wlen;
	u64			gen;
	u8			uuid[16];
	bool			committed;
	bool			dead;
};

/**
 * struct mp_objtab - the objects of a pool
 * @objs:      objid -> object; its own lock covers lookups
 * @oid_lock:  protects @next_uniq and @ckpt, and orders checkpoints
 * @next_uniq: next uniquifier, by MDC slot
 * @ckpt:      highest uniquifier checkpointed, by MDC slot
 * @rr:        next slot to allocate in
 * @stats_lock: protects the counters below
 */
struct mp_objtab {
	struct xarray		objs;
	struct mutex		oid_lock;	/* see above */
	u64			next_uniq[PMD_MDC_MAX + 1];
	u64			ckpt[PMD_MDC_MAX + 1];
	atomic_t		rr;
	spinlock_t		stats_lock;	/* see above */
	u64			mblock_alen;
	u64			mblock_wlen;
	u64			mlog_alen;
	u32			mblock_cnt;
	u32			mlog_cnt;
};

void obj_table_init(struct mp_objtab *t);
void obj_table_free(struct mpool *mp);

int obj_replay(struct mpool *mp, u8 slot, u16 type, const void *rec, u16 len);
mdc_snapshot_fn obj_snapshot;

int obj_alloc(struct mpool *mp, u8 type, u8 mclass, bool spare, u32 zcnt,
	      struct mp_obj **objp);
struct mp_obj *obj_get(struct mpool *mp, u64 objid, u8 type);
void obj_put(struct mp_obj *obj);
int obj_commit(struct mpool *mp, struct mp_obj *obj);
int obj_abort(struct mpool *mp, struct mp_obj *obj);
int obj_delete(struct mpool *mp, struct mp_obj *obj);
int obj_erase(struct mpool *mp, struct mp_obj *obj, u64 mingen);
int obj_create_committed(struct mpool *mp, u64 objid, u8 mclass, u32 zcnt);

#endif /* MPOOL_PMD_OBJ_H */
