// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmd_obj: client objects and their records in MDC-1..N.
 *
 * Lifecycle.  An object is allocated in memory only (zones taken from the
 * space map, an id handed out); nothing about it is on media until it is
 * committed, when an OBJ record goes to the MDC of its slot.  Abort drops
 * an uncommitted object; delete appends OBJ_DELETE first.  After a crash an
 * uncommitted object is simply absent and its zones are free again.
 *
 * Ids.  Each slot (MDC) hands out uniquifiers in blocks of OBJ_UNIQ_BLOCK:
 * before the first id of a block is used, an OIDCKPT record makes the block
 * durable, and activation resumes after the last checkpointed block.  So no
 * id is reused after a crash, even one that was never committed.
 * Uniquifiers 0..255 are reserved in every slot (the root MDC's mlogs are
 * 0x201 and 0x1201).
 *
 * Locking.  The table (an xarray) has its own lock for lookups, which take
 * a reference.  Each object's rwsem is shared by reads of its data and held
 * exclusively for writes and every state change, so an object is never
 * deleted under a reader.  oid_lock orders id allocation and checkpoints.
 * Order: object lock, then oid_lock, then an MDC's lock, then a space
 * map's lock.  The snapshot (compaction) runs under the MDC lock: it takes
 * only the table lock, briefly, to pin each object it writes.
 *
 * Commands.  mblock.c and mlog.c reach their objects through one path
 * (the end of this file): find by id and type with a reference, lock
 * (shared to describe an object or move its data, exclusive to change its
 * state or an mblock's written length), act, unlock, drop the reference.
 * The user iovecs of a transfer are imported here too, for both kinds.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/uuid.h>

#include "compat.h"
#include "init.h"
#include "mp.h"
#include "pmd_obj.h"

static void obj_release(struct kref *ref)
{
	kfree(container_of(ref, struct mp_obj, ref));
}

static void obj_put(struct mp_obj *obj)
{
	kref_put(&obj->ref, obj_release);
}

void obj_table_init(struct mp_objtab *t)
{
	int i;

	xa_init(&t->objs);
	mutex_init(&t->oid_lock);
	spin_lock_init(&t->stats_lock);
	atomic_set(&t->rr, 0);
	for (i = 0; i < 4; i++) {
		atomic64_set(&t->io_ops[i / 2][i % 2], 0);
		atomic64_set(&t->io_bytes[i / 2][i % 2], 0);
	}
	for (i = 0; i <= PMD_MDC_MAX; i++) {
		t->ckpt[i] = 0;
		t->next_uniq[i] = OBJ_UNIQ_BLOCK;
	}
}

/* The pool is going away: drop every object, media untouched. */
void obj_table_free(struct mpool *mp)
{
	struct mp_obj *obj;
	unsigned long id;

	xa_for_each(&mp->objs.objs, id, obj) {
		xa_erase(&mp->objs.objs, id);
		obj_put(obj);
	}
	xa_destroy(&mp->objs.objs);
}

/* Bytes of the zones of @obj. */
u64 obj_capacity(struct mpool *mp, const struct mp_obj *obj)
{
	return (u64)obj->rec.zcnt * mp_class_zone(mp, obj->rec.mclass);
}

/* Where @obj starts on its device, in bytes. */
u64 obj_start(struct mpool *mp, const struct mp_obj *obj)
{
	return obj->rec.zaddr * mp_class_zone(mp, obj->rec.mclass);
}

/* Usage counters follow committed objects. */
static void obj_stats(struct mpool *mp, const struct mp_obj *obj, bool add)
{
	struct mp_objtab *t = &mp->objs;
	s64 sign = add ? 1 : -1;

	spin_lock(&t->stats_lock);
	if (objid_type(obj->rec.objid) == OBJ_TYPE_MBLOCK) {
		t->mblock_alen += sign * obj_capacity(mp, obj);
		t->mblock_wlen += sign * obj->rec.wlen;
		t->mblock_cnt += sign;
	} else {
		t->mlog_alen += sign * obj_capacity(mp, obj);
		t->mlog_cnt += sign;
	}
	spin_unlock(&t->stats_lock);
}

static struct smap *obj_smap(struct mpool *mp, u8 mclass)
{
	if (mclass >= MP_MED_NUMBER || !mp->dev[mclass].present)
		return NULL;
	return &mp->dev[mclass].smap;
}

static struct mp_obj *obj_new(u64 objid, u8 mclass, bool spare, u64 zaddr, u32 zcnt)
{
	struct mp_obj *obj = kzalloc(sizeof(*obj), GFP_KERNEL);

	if (!obj)
		return NULL;
	kref_init(&obj->ref);
	init_rwsem(&obj->lock);
	obj->rec.objid = objid;
	obj->rec.mclass = mclass;
	obj->rec.spare = spare;
	obj->rec.zaddr = zaddr;
	obj->rec.zcnt = zcnt;
	if (objid_type(objid) == OBJ_TYPE_MLOG)
		generate_random_uuid(obj->rec.uuid);
	return obj;
}

/* Table lookup: a referenced object, or NULL. */
static struct mp_obj *obj_lookup(struct mpool *mp, u64 objid)
{
	struct mp_obj *obj;

	xa_lock(&mp->objs.objs);
	obj = xa_load(&mp->objs.objs, objid_key(objid));
	if (obj)
		kref_get(&obj->ref);
	xa_unlock(&mp->objs.objs);
	return obj;
}

/* Give @obj's zones back to its space map. */
static void obj_free_zones(struct mpool *mp, const struct mp_obj *obj)
{
	smap_free(obj_smap(mp, obj->rec.mclass), obj->rec.zaddr, obj->rec.zcnt, obj->rec.spare);
}

/* Replay one record of MDC-@slot into the table, at activation. */
int obj_replay(struct mpool *mp, u8 slot, u16 type, const void *rec, u16 len)
{
	struct mp_objtab *t = &mp->objs;
	struct mp_obj *obj;
	struct pmd_obj_rec o;
	struct smap *sm;
	u64 objid, gen;
	int rc;

	switch (type) {
	case OMF_REC_OBJ:
		rc = omf_obj_unpack(rec, len, &o);
		if (rc)
			return rc;
		sm = obj_smap(mp, o.mclass);
		if (objid_slot(o.objid) != slot || !sm ||
		    (objid_type(o.objid) != OBJ_TYPE_MBLOCK &&
		     objid_type(o.objid) != OBJ_TYPE_MLOG))
			return -EBADMSG;
		obj = obj_new(o.objid, o.mclass, o.spare, o.zaddr, o.zcnt);
		if (!obj)
			return -ENOMEM;
		obj->rec.wlen = o.wlen;
		obj->rec.gen = o.gen;
		memcpy(obj->rec.uuid, o.uuid, sizeof(obj->rec.uuid));
		obj->committed = true;
		/* Its zones are reserved once every MDC is replayed: obj_reserve_zones(). */
		rc = xa_insert(&t->objs, objid_key(o.objid), obj, GFP_KERNEL);
		if (rc) {
			kfree(obj);
			return rc == -EBUSY ? -EBADMSG : rc;
		}
		obj_stats(mp, obj, true);
		t->next_uniq[slot] = max(t->next_uniq[slot], objid_uniq(o.objid) + 1);
		return 0;

	case OMF_REC_OBJ_DELETE:
	case OMF_REC_OBJ_ERASE:
		rc = omf_oid_unpack(rec, len, &objid, &gen);
		if (rc)
			return rc;
		/*
		 * A record about an object this MDC never described names nothing
		 * we could lose: skip it rather than refuse the whole pool.
		 */
		obj = objid_slot(objid) == slot ? xa_load(&t->objs, objid_key(objid)) : NULL;
		if (!obj) {
			pr_warn_ratelimited("pool %s: MDC-%u: %s of unknown object 0x%llx ignored\n",
					    mp->name, slot,
					    type == OMF_REC_OBJ_ERASE ? "erase" : "delete", objid);
			return 0;
		}
		if (type == OMF_REC_OBJ_ERASE) {
			/*
			 * Records are replayed in the order they were acknowledged, so
			 * the last erase is the generation its client last saw, even
			 * when it went backwards (older modules let it wrap).  Keep it,
			 * and say so; the next compaction records it plainly.
			 */
			if (gen < obj->rec.gen)
				pr_warn_ratelimited("pool %s: mlog 0x%llx: generation went back from %llu to %llu; keeping the later record\n",
						    mp->name, objid, obj->rec.gen, gen);
			obj->rec.gen = gen;
			return 0;
		}
		obj_stats(mp, obj, false);
		xa_erase(&t->objs, objid_key(objid));
		obj_put(obj);
		return 0;

	case OMF_REC_OIDCKPT:
		rc = omf_oid_unpack(rec, len, &objid, &gen);
		if (rc)
			return rc;
		t->ckpt[slot] = max(t->ckpt[slot], objid);
		t->next_uniq[slot] = max(t->next_uniq[slot], objid + OBJ_UNIQ_BLOCK);
		return 0;
	}

	pr_err("pool %s: unknown record type %u in MDC-%u\n", mp->name, type, slot);
	return -EBADMSG;
}

/*
 * Undo every obj_replay() of MDC-@slot (mdc_load() replayed a log it then
 * did not keep): the slot's objects leave the table, their usage with
 * them, and its uniquifiers start over.  Nothing else replays into the
 * slot, and nothing uses the table before activation is over.
 */
void obj_replay_reset(struct mpool *mp, u8 slot)
{
	unsigned long first = objid_key(objid_make(0, 0, slot));
	unsigned long last = objid_key(objid_make(OBJID_UNIQ_MAX, 0xf, slot));
	struct mp_objtab *t = &mp->objs;
	struct mp_obj *obj;
	unsigned long key;

	xa_for_each_range(&t->objs, key, obj, first, last) {
		xa_erase(&t->objs, key);
		obj_stats(mp, obj, false);
		obj_put(obj);
	}
	t->next_uniq[slot] = OBJ_UNIQ_BLOCK;
	t->ckpt[slot] = 0;
}

/*
 * After every MDC is replayed, reserve the zones of the objects that are
 * left.  Not during the replay: a zone freed by a delete in one MDC may
 * hold an object recorded in another, and the MDCs are replayed one after
 * the other, so the zone would seem taken twice whenever the later owner's
 * MDC came first.  Two live objects on one zone are corruption: EBADMSG.
 */
int obj_reserve_zones(struct mpool *mp)
{
	XA_STATE(xas, &mp->objs.objs, 0);
	struct mp_obj *obj;
	int rc = 0;

	/*
	 * One walk of the table, where xa_for_each() would descend from its
	 * root again for every object.  The pool is not published yet, so
	 * nothing frees an object under the walk.
	 */
	rcu_read_lock();
	xas_for_each(&xas, obj, ULONG_MAX) {
		if (xas_retry(&xas, obj))
			continue;
		rc = smap_reserve(obj_smap(mp, obj->rec.mclass), obj->rec.zaddr, obj->rec.zcnt);
		if (rc) {
			pr_err("pool %s: object 0x%llx: zones %llu+%u %s\n", mp->name,
			       obj->rec.objid, obj->rec.zaddr, obj->rec.zcnt,
			       rc == -ERANGE ? "lie outside its device" :
			       "overlap other objects or metadata");
			rc = -EBADMSG;
			break;
		}
		if (need_resched()) {
			xas_pause(&xas);
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
	return rc;
}

/*
 * Compaction of MDC-n: the checkpoint, then every committed object of the
 * slot, which are one range of the table (objid_key()).
 */
int obj_snapshot(void *arg, struct mdc_writer *w)
{
	struct mpool *mp = arg;
	u8 slot = w->mdc->index;
	unsigned long index = objid_key(objid_make(0, 0, slot));
	unsigned long last = objid_key(objid_make(OBJID_UNIQ_MAX, 0xf, slot));
	u8 rec[OMF_REC_MAX];
	int rc;

	rc = mdc_put(w, OMF_REC_OIDCKPT, rec,
		     omf_oid_pack(READ_ONCE(mp->objs.ckpt[slot]), 0, rec));

	while (!rc) {
		struct mp_obj *obj;

		xa_lock(&mp->objs.objs);
		obj = xa_find(&mp->objs.objs, &index, last, XA_PRESENT);
		if (obj)
			kref_get(&obj->ref);
		xa_unlock(&mp->objs.objs);
		if (!obj)
			break;

		/*
		 * A commit or delete in this slot waits on this MDC's lock, which
		 * we hold: it lands after the snapshot, in the same order.
		 */
		if (obj->committed && !obj->dead)
			rc = mdc_put(w, OMF_REC_OBJ, rec, omf_obj_pack(&obj->rec, rec));
		obj_put(obj);
		if (index == last)
			break;
		index++;
		cond_resched();
	}
	return rc;
}

static struct mdc *obj_mdc(struct mpool *mp, u64 objid)
{
	u8 slot = objid_slot(objid);

	return slot && slot <= mp->st.nmdc ? &mp->mdcn[slot - 1] : NULL;
}

/* A fresh id in @slot, checkpointing a new block of uniquifiers when needed. */
static int obj_new_id(struct mpool *mp, u8 type, u8 slot, u64 *objid)
{
	struct mp_objtab *t = &mp->objs;
	u8 rec[32];
	u64 uniq;
	int rc = 0;

	mutex_lock(&t->oid_lock);
	uniq = t->next_uniq[slot];
	if (uniq >= t->ckpt[slot] + OBJ_UNIQ_BLOCK) {
		rc = mdc_append(&mp->mdcn[slot - 1], OMF_REC_OIDCKPT, rec,
				omf_oid_pack(uniq, 0, rec));
		if (!rc)
			t->ckpt[slot] = uniq;
	}
	if (!rc) {
		t->next_uniq[slot] = uniq + 1;
		*objid = objid_make(uniq, type, slot);
	}
	mutex_unlock(&t->oid_lock);
	return rc;
}

/*
 * A new, uncommitted object of @zcnt zones: its id in *@objid, described
 * into @props by @fill before it is in the table (before any other command
 * can see it).
 */
int obj_alloc(struct mpool *mp, u8 type, u8 mclass, bool spare, u32 zcnt,
	      obj_fill_fn *fill, void *props, u64 *objid)
{
	struct smap *sm = obj_smap(mp, mclass);
	struct mp_obj *obj;
	u64 id, zaddr;
	u8 slot;
	int rc;

	if (!sm)
		return -ENODEV;
	if (!mp->st.nmdc)
		return -ENOSPC;

	/* Space first: a full pool uses up no ids. */
	rc = smap_alloc(sm, zcnt, spare, &zaddr);
	if (rc)
		return rc;

	slot = (u32)atomic_inc_return(&mp->objs.rr) % mp->st.nmdc + 1;
	rc = obj_new_id(mp, type, slot, &id);
	if (rc)
		goto out_free;

	obj = obj_new(id, mclass, spare, zaddr, zcnt);
	if (!obj) {
		rc = -ENOMEM;
		goto out_free;
	}
	fill(mp, obj, props);
	rc = xa_insert(&mp->objs.objs, objid_key(id), obj, GFP_KERNEL);
	if (rc) {
		kfree(obj);
		goto out_free;
	}
	*objid = id;
	return 0;

out_free:
	smap_free(sm, zaddr, zcnt, spare);
	return rc;
}

/* The object @objid of @type, referenced; ERR_PTR on a bad or unknown id. */
static struct mp_obj *obj_get(struct mpool *mp, u64 objid, u8 type)
{
	struct mp_obj *obj;

	if (objid_type(objid) != type || !obj_mdc(mp, objid))
		return ERR_PTR(-EINVAL);
	obj = obj_lookup(mp, objid);
	return obj ?: ERR_PTR(-ENOENT);
}

/*
 * State changes (which state each one finds its object in: enum obj_op).
 * The caller holds obj->lock exclusively for all of the below.
 */

static int obj_commit(struct mpool *mp, struct mp_obj *obj)
{
	u8 rec[OMF_REC_MAX];
	int rc;

	if (obj->dead || obj->committed)
		return -ENOENT;

	/* The data first: durable before the record that makes it visible. */
	if (objid_type(obj->rec.objid) == OBJ_TYPE_MBLOCK && obj->rec.wlen) {
		rc = pd_flush(&mp->dev[obj->rec.mclass].pd);
		if (rc)
			return rc;
	}
	rc = mdc_append(obj_mdc(mp, obj->rec.objid), OMF_REC_OBJ, rec,
			omf_obj_pack(&obj->rec, rec));
	if (rc)
		return rc;
	obj->committed = true;
	obj_stats(mp, obj, true);
	return 0;
}

static void obj_remove(struct mpool *mp, struct mp_obj *obj)
{
	obj->dead = true;
	xa_erase(&mp->objs.objs, objid_key(obj->rec.objid));
	obj_free_zones(mp, obj);
	obj_put(obj);	/* the table's reference */
}

static int obj_abort(struct mpool *mp, struct mp_obj *obj)
{
	if (obj->dead || obj->committed)
		return -ENOENT;
	obj_remove(mp, obj);
	return 0;
}

static int obj_delete(struct mpool *mp, struct mp_obj *obj)
{
	u8 rec[32];
	int rc;

	if (obj->dead || !obj->committed)
		return -ENOENT;
	if (atomic_read(&obj->pins))
		return -EBUSY;
	rc = mdc_append(obj_mdc(mp, obj->rec.objid), OMF_REC_OBJ_DELETE, rec,
			omf_oid_pack(obj->rec.objid, 0, rec));
	if (rc)
		return rc;
	obj_stats(mp, obj, false);
	obj_remove(mp, obj);
	return 0;
}

/*
 * A new generation for an mlog, max(gen + 1, @mingen): its old content is
 * void.  Generations only grow: at U64_MAX there is no higher one, and the
 * erase is refused with 1.9.0's EINVAL, changing nothing.
 */
static int obj_erase(struct mpool *mp, struct mp_obj *obj, u64 mingen)
{
	u8 rec[32];
	u64 gen;
	int rc;

	if (obj->dead)
		return -ENOENT;
	if (!obj->committed || obj->rec.gen == U64_MAX)
		return -EINVAL;
	gen = max(obj->rec.gen + 1, mingen);
	rc = mdc_append(obj_mdc(mp, obj->rec.objid), OMF_REC_OBJ_ERASE, rec,
			omf_oid_pack(obj->rec.objid, gen, rec));
	if (!rc)
		obj->rec.gen = gen;
	return rc;
}

/* A committed object with a fixed id (the root MDC's mlogs), if missing. */
int obj_create_committed(struct mpool *mp, u64 objid, u8 mclass, u32 zcnt)
{
	struct smap *sm = obj_smap(mp, mclass);
	struct mp_obj *obj;
	u64 zaddr;
	int rc;

	obj = obj_lookup(mp, objid);
	if (obj) {
		obj_put(obj);
		return 0;
	}
	if (!sm || !obj_mdc(mp, objid))
		return -ENODEV;

	rc = smap_alloc(sm, zcnt, false, &zaddr);
	if (rc)
		return rc;
	obj = obj_new(objid, mclass, false, zaddr, zcnt);
	if (!obj) {
		smap_free(sm, zaddr, zcnt, false);
		return -ENOMEM;
	}
	rc = xa_insert(&mp->objs.objs, objid_key(objid), obj, GFP_KERNEL);
	if (rc) {
		smap_free(sm, zaddr, zcnt, false);
		kfree(obj);
		return rc;
	}
	down_write(&obj->lock);
	rc = obj_commit(mp, obj);
	if (rc)
		obj_remove(mp, obj);
	up_write(&obj->lock);
	return rc;
}

/*
 * Commands.  Every command that names an object finds it by id and type
 * (EINVAL for an id of the wrong type or slot, ENOENT for an unknown one),
 * holds a reference for its duration, and takes the object's lock: shared
 * to look or to move data, exclusive to change its state.
 */

static void obj_lock(struct mp_obj *obj, bool excl)
{
	if (excl)
		down_write(&obj->lock);
	else
		down_read(&obj->lock);
}

/* Undo obj_get_locked() (or obj_get() and obj_lock()). */
static void obj_put_locked(struct mp_obj *obj, bool excl)
{
	if (excl)
		up_write(&obj->lock);
	else
		up_read(&obj->lock);
	obj_put(obj);
}

/* The object @objid of @type, referenced and locked; ERR_PTR as obj_get(). */
static struct mp_obj *obj_get_locked(struct mpool *mp, u64 objid, u8 type, bool excl)
{
	struct mp_obj *obj = obj_get(mp, objid, type);

	if (!IS_ERR(obj))
		obj_lock(obj, excl);
	return obj;
}

/*
 * Describe the object @objid of @type: @fill is called with its lock held
 * shared, unless it is gone (ENOENT).
 */
int obj_find(struct mpool *mp, u64 objid, u8 type, obj_fill_fn *fill, void *props)
{
	struct mp_obj *obj = obj_get_locked(mp, objid, type, false);
	int rc = 0;

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	if (obj->dead)
		rc = -ENOENT;
	else
		fill(mp, obj, props);
	obj_put_locked(obj, false);
	return rc;
}

/*
 * Apply @op to the object @objid of @type, its lock held exclusively
 * (@mingen is OBJ_OP_ERASE's).  If @after is not NULL and the object was
 * found, it receives the object's state once @op is done, whatever @op
 * returned; otherwise @after->found is false.
 */
int obj_change(struct mpool *mp, u64 objid, u8 type, enum obj_op op, u64 mingen,
	       struct obj_after *after)
{
	struct mp_obj *obj = obj_get_locked(mp, objid, type, true);
	int rc = -EINVAL;

	if (after)
		after->found = !IS_ERR(obj);
	if (IS_ERR(obj))
		return PTR_ERR(obj);

	switch (op) {
	case OBJ_OP_COMMIT:
		rc = obj_commit(mp, obj);
		break;
	case OBJ_OP_ABORT:
		rc = obj_abort(mp, obj);
		break;
	case OBJ_OP_DELETE:
		rc = obj_delete(mp, obj);
		break;
	case OBJ_OP_ERASE:
		rc = obj_erase(mp, obj, mingen);
		break;
	}
	if (after) {
		after->gen = obj->rec.gen;
		after->committed = obj->committed;
	}
	obj_put_locked(obj, true);
	return rc;
}

/*
 * Copy in and check a user iovec array: 1..MPIOC_KIOV_MAX entries, each
 * page aligned and a non-zero multiple of the page size, at most
 * rwsz_max_mb MiB in all.  Up to UIO_FASTIOV entries land in @fast (one
 * entry always does: since 6.4 a single vector is imported as ITER_UBUF
 * through the caller's array); more are allocated, and *@iovp is then what
 * the caller frees (NULL otherwise).  The checks read the copy the
 * iterator was built from, never user memory again.
 */
static int mpool_import_iov(int dir, const struct iovec __user *uiov, u16 iovcnt,
			    struct iovec *fast, struct iovec **iovp, struct iov_iter *iter,
			    size_t *len)
{
	const struct iovec *seg;
	ssize_t n;
	u16 i;

	*iovp = NULL;
	if (!iovcnt || iovcnt > MPIOC_KIOV_MAX || !uiov)
		return -EINVAL;

	*iovp = fast;
	n = import_iovec(dir, uiov, iovcnt, UIO_FASTIOV, iovp, iter);
	if (n < 0) {
		*iovp = NULL;
		return n;
	}

	seg = *iovp ?: fast;
	for (i = 0; i < iovcnt; i++) {
		if (!seg[i].iov_len || !PAGE_ALIGNED(seg[i].iov_len) ||
		    !PAGE_ALIGNED((unsigned long)seg[i].iov_base))
			goto out_inval;
	}
	if ((u64)n > ((u64)mpool_rwsz_max_mb << 20))
		goto out_inval;
	*len = n;
	return 0;

out_inval:
	kfree(*iovp);
	*iovp = NULL;
	return -EINVAL;
}

/*
 * Set up a transfer between user memory (@uiov, @iovcnt; @dir is
 * ITER_SOURCE to write the object) and the object @objid of @type, at
 * byte @offset of it.  In this order: the object is found, @offset checked
 * (page aligned, not negative), the iovecs imported and checked, and the
 * object's lock taken (@excl: exclusively).  On success obj_io_end() undoes
 * it all; the caller checks the object's state and bounds under the lock.
 */
int obj_io_begin(struct obj_io *io, struct mpool *mp, u64 objid, u8 type, bool excl,
		 int dir, const struct iovec __user *uiov, u16 iovcnt, s64 offset)
{
	int rc;

	io->obj = obj_get(mp, objid, type);
	if (IS_ERR(io->obj))
		return PTR_ERR(io->obj);
	if (offset < 0 || !PAGE_ALIGNED(offset)) {
		rc = -EINVAL;
		goto out_put;
	}
	rc = mpool_import_iov(dir, uiov, iovcnt, io->fast, &io->iov, &io->iter, &io->len);
	if (rc)
		goto out_put;
	io->excl = excl;
	obj_lock(io->obj, excl);
	return 0;

out_put:
	obj_put(io->obj);
	return rc;
}

void obj_io_end(struct obj_io *io)
{
	obj_put_locked(io->obj, io->excl);
	kfree(io->iov);
}

/*
 * Direct I/O of a committed object at byte @offset: a write (FUA, durable
 * on return) or a read.  A read of an mblock stops at its written length,
 * anything else at the object's capacity.  As in 1.9.0 an object that is
 * not committed is ENOENT (it is looked for among the committed ones).
 * Writers of one object serialize among themselves, so the lock is shared.
 */
int obj_rw(struct mpool *mp, u64 objid, u8 type, bool write,
	   const struct iovec __user *uiov, u16 iovcnt, s64 offset)
{
	struct mp_obj *obj;
	struct obj_io io;
	u64 end;
	int rc;

	rc = obj_io_begin(&io, mp, objid, type, false, write ? ITER_SOURCE : ITER_DEST,
			  uiov, iovcnt, offset);
	if (rc)
		return rc;
	obj = io.obj;
	end = type == OBJ_TYPE_MBLOCK && !write ? obj->rec.wlen : obj_capacity(mp, obj);
	if (obj->dead || !obj->committed)
		rc = -ENOENT;
	else if (offset + io.len > end)
		rc = -EINVAL;
	else
		rc = pd_rw_iter(&mp->dev[obj->rec.mclass].pd, write, &io.iter,
				obj_start(mp, obj) + offset, write);
	if (!rc)
		obj_io_account(mp, type, write, io.len);
	obj_io_end(&io);
	return rc;
}

/* A data transfer of @len bytes of an object of @type succeeded. */
void obj_io_account(struct mpool *mp, u8 type, bool write, size_t len)
{
	atomic64_inc(&mp->objs.io_ops[type - 1][write]);
	atomic64_add(len, &mp->objs.io_bytes[type - 1][write]);
}

void obj_io_stats(struct mpool *mp, u8 type, bool write, u64 *ops, u64 *bytes)
{
	*ops = atomic64_read(&mp->objs.io_ops[type - 1][write]);
	*bytes = atomic64_read(&mp->objs.io_bytes[type - 1][write]);
}

/*
 * Pin the committed object @objid of @type for a reader that works outside
 * the command path (an mcache map reads it from the page cache's own
 * callbacks).  The pin holds a reference and makes delete EBUSY, so the
 * object's zones cannot go back to the space map, nor to another object,
 * until obj_unpin().  Pins are taken under the object's lock, shared, and
 * delete checks them under it exclusively: one of the two comes first.
 * Errors are obj_get()'s, and ENOENT for an object that is not committed.
 */
struct mp_obj *obj_pin(struct mpool *mp, u64 objid, u8 type)
{
	struct mp_obj *obj = obj_get_locked(mp, objid, type, false);

	if (IS_ERR(obj))
		return obj;
	if (obj->dead || !obj->committed) {
		obj_put_locked(obj, false);
		return ERR_PTR(-ENOENT);
	}
	atomic_inc(&obj->pins);
	up_read(&obj->lock);
	return obj;
}

/* Undo obj_pin().  The object may have left its pool already (forced destroy). */
void obj_unpin(struct mp_obj *obj)
{
	atomic_dec(&obj->pins);
	obj_put(obj);
}
