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
#include <linux/uio.h>
#include <linux/xarray.h>

#include "mdc.h"
#include "omf.h"
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

#define OBJID_UNIQ_MAX		(U64_MAX >> 12)

/*
 * The object table's index: slot, type and uniquifier, most significant
 * first.  Ids handed out one after another are neighbours in the table, so
 * its nodes stay full (the id itself, with the slot in its low bits, left
 * most objects a node or two of the table to themselves), and the objects
 * of one slot are one range, which the compaction of its MDC walks alone.
 */
static inline unsigned long objid_key(u64 objid)
{
	static_assert(sizeof(unsigned long) == sizeof(u64));
	return (unsigned long)objid_slot(objid) << 56 |
	       (unsigned long)objid_type(objid) << 52 | objid_uniq(objid);
}

/* Uniquifiers are checkpointed in blocks of this many: none is ever reused. */
#define OBJ_UNIQ_BLOCK		256

/**
 * struct mp_obj - one mblock or mlog
 * @ref:       the table holds one reference, every user one more
 * @lock:      shared by reads of its data, exclusive for everything else
 * @rec:       what its OBJ record says: id, media class, spare, zones, and
 *             an mblock's written length or an mlog's generation and magic
 *             (@rec.spare is 0 or 1)
 * @committed: recorded in its MDC
 * @dead:      aborted or deleted; gone from the table
 * @pins:      readers outside the command path (mcache maps): while it is
 *             not zero, delete is EBUSY, so the zones stay this object's
 */
struct mp_obj {
	struct kref		ref;
	struct rw_semaphore	lock;	/* see above */
	struct pmd_obj_rec	rec;
	bool			committed;
	bool			dead;
	atomic_t		pins;
};

/**
 * struct mp_objtab - the objects of a pool
 * @objs:      objid -> object; its own lock covers lookups
 * @oid_lock:  protects @next_uniq and @ckpt, and orders checkpoints
 * @next_uniq: next uniquifier, by MDC slot
 * @ckpt:      highest uniquifier checkpointed, by MDC slot
 * @rr:        next slot to allocate in
 * @stats_lock: protects the counters below
 * @io_ops:    data transfers done, by [type - 1][write] (atomic, no lock)
 * @io_bytes:  their bytes, likewise
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
	atomic64_t		io_ops[2][2];
	atomic64_t		io_bytes[2][2];
};

void obj_table_init(struct mp_objtab *t);
void obj_table_free(struct mpool *mp);

int obj_replay(struct mpool *mp, u8 slot, u16 type, const void *rec, u16 len);
void obj_replay_reset(struct mpool *mp, u8 slot);
int obj_reserve_zones(struct mpool *mp);
mdc_snapshot_fn obj_snapshot;

int obj_create_committed(struct mpool *mp, u64 objid, u8 mclass, u32 zcnt);
u64 obj_capacity(struct mpool *mp, const struct mp_obj *obj);
u64 obj_start(struct mpool *mp, const struct mp_obj *obj);

/* The commands' path to an object: find, reference, lock, act, release. */

/* Describes @obj into @props (an mblock's or an mlog's properties). */
typedef void obj_fill_fn(struct mpool *mp, const struct mp_obj *obj, void *props);

int obj_alloc(struct mpool *mp, u8 type, u8 mclass, bool spare, u32 zcnt,
	      obj_fill_fn *fill, void *props, u64 *objid);
int obj_find(struct mpool *mp, u64 objid, u8 type, obj_fill_fn *fill, void *props);

/*
 * State changes.  As in 1.9.0, a command finds an object only in the state
 * it acts on: commit and abort see uncommitted objects, delete and erase
 * committed ones.  Anything else is ENOENT, except erase of an uncommitted
 * mlog, which 1.9.0 finds and then refuses with EINVAL.
 */
enum obj_op {
	OBJ_OP_COMMIT,
	OBJ_OP_ABORT,
	OBJ_OP_DELETE,
	OBJ_OP_ERASE,	/* mlogs: a new generation */
};

/**
 * struct obj_after - an object's state as obj_change() left it
 * @found:     the object was found; the fields below are set only if so
 * @gen:       its generation
 * @committed: it is committed
 */
struct obj_after {
	bool	found;
	u64	gen;
	bool	committed;
};

int obj_change(struct mpool *mp, u64 objid, u8 type, enum obj_op op, u64 mingen,
	       struct obj_after *after);

/**
 * struct obj_io - a transfer between user memory and an object
 * @obj:  the object, referenced and locked
 * @iov:  the imported iovec array, if it did not fit @fast (to be freed)
 * @fast: the imported iovecs, up to UIO_FASTIOV of them
 * @iter: over them, for pd_rw_iter()
 * @len:  bytes in all
 * @excl: @obj's lock is held exclusively
 */
struct obj_io {
	struct mp_obj	*obj;
	struct iovec	*iov;
	struct iovec	fast[UIO_FASTIOV];
	struct iov_iter	iter;
	size_t		len;
	bool		excl;
};

int obj_io_begin(struct obj_io *io, struct mpool *mp, u64 objid, u8 type, bool excl,
		 int dir, const struct iovec __user *uiov, u16 iovcnt, s64 offset);
void obj_io_end(struct obj_io *io);
int obj_rw(struct mpool *mp, u64 objid, u8 type, bool write,
	   const struct iovec __user *uiov, u16 iovcnt, s64 offset);

void obj_io_account(struct mpool *mp, u8 type, bool write, size_t len);
void obj_io_stats(struct mpool *mp, u8 type, bool write, u64 *ops, u64 *bytes);

struct mp_obj *obj_pin(struct mpool *mp, u64 objid, u8 type);
void obj_unpin(struct mp_obj *obj);

#endif /* MPOOL_PMD_OBJ_H */
