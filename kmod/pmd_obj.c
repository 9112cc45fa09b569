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
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uuid.h>

#include "mp.h"
#include "pmd_obj.h"

static void obj_release(struct kref *ref)
{
	kfree(container_of(ref, struct mp_obj, ref));
}

void obj_put(struct mp_obj *obj)
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

static u64 obj_bytes(struct mpool *mp, const struct mp_obj *obj)
{
	return (u64)obj->zcnt * mp_class_zone(mp, obj->mclass);
}

/* Usage counters follow committed objects. */
static void obj_stats(struct mpool *mp, const struct mp_obj *obj, bool add)
{
	struct mp_objtab *t = &mp->objs;
	s64 sign = add ? 1 : -1;

	spin_lock(&t->stats_lock);
	if (objid_type(obj->objid) == OBJ_TYPE_MBLOCK) {
		t->mblock_alen += sign * obj_bytes(mp, obj);
		t->mblock_wlen += sign * obj->wlen;
		t->mblock_cnt += sign;
	} else {
		t->mlog_alen += sign * obj_bytes(mp, obj);
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

static void obj_pack(const struct mp_obj *obj, struct omf_obj *o)
{
	memset(o, 0, sizeof(*o));
	o->objid = obj->objid;
	o->zaddr = obj->zaddr;
	o->zcnt = obj->zcnt;
	o->mclass = obj->mclass;
	o->spare = obj->spare;
	o->wlen = obj->wlen;
	o->gen = obj->gen;
	memcpy(o->uuid, obj->uuid, sizeof(o->uuid));
}

/* Table lookup: a referenced object, or NULL. */
static struct mp_obj *obj_lookup(struct mpool *mp, u64 objid)
{
	struct mp_obj *obj;

	xa_lock(&mp->objs.objs);
	obj = xa_load(&mp->objs.objs, objid);
	if (obj)
		kref_get(&obj->ref);
	xa_unlock(&mp->objs.objs);
	return obj;
}

/* Replay one record of MDC-@slot into the table, at activation. */
int obj_replay(struct mpool *mp, u8 slot, u16 type, const void *rec, u16 len)
{
	struct mp_objtab *t = &mp->objs;
	struct mp_obj *obj;
	struct omf_obj o;
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
		obj = kzalloc(sizeof(*obj), GFP_KERNEL);
		if (!obj)
			return -ENOMEM;
		kref_init(&obj->ref);
		init_rwsem(&obj->lock);
		obj->objid = o.objid;
		obj->mclass = o.mclass;
		obj->spare = o.spare;
		obj->zaddr = o.zaddr;
		obj->zcnt = o.zcnt;
		obj->wlen = o.wlen;
		obj->gen = o.gen;
		memcpy(obj->uuid, o.uuid, sizeof(obj->uuid));
		obj->committed = true;
		rc = smap_reserve(sm, o.zaddr, o.zcnt);
		if (rc) {
			kfree(obj);
			return -EBADMSG;
		}
		rc = xa_insert(&t->objs, o.objid, obj, GFP_KERNEL);
		if (rc) {
			smap_free(sm, o.zaddr, o.zcnt, o.spare);
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
		obj = objid_slot(objid) == slot ? xa_load(&t->objs, objid) : NULL;
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
			if (gen < obj->gen)
				pr_warn_ratelimited("pool %s: mlog 0x%llx: generation went back from %llu to %llu; keeping the later record\n",
						    mp->name, objid, obj->gen, gen);
			obj->gen = gen;
			return 0;
		}
		obj_stats(mp, obj, false);
		xa_erase(&t->objs, objid);
		smap_free(obj_smap(mp, obj->mclass), obj->zaddr, obj->zcnt, obj->spare);
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

/* Compaction of MDC-n: the checkpoint, then every committed object of the slot. */
int obj_snapshot(void *arg, struct mdc_writer *w)
{
	struct mpool *mp = arg;
	u8 slot = w->mdc->index;
	unsigned long index = 0;
	u8 rec[OMF_REC_MAX];
	int rc;

	rc = mdc_put(w, OMF_REC_OIDCKPT, rec,
		     omf_oid_pack(READ_ONCE(mp->objs.ckpt[slot]), 0, rec));

	while (!rc) {
		struct mp_obj *obj;
		struct omf_obj o;

		xa_lock(&mp->objs.objs);
		obj = xa_find(&mp->objs.objs, &index, ULONG_MAX, XA_PRESENT);
		if (obj)
			kref_get(&obj->ref);
		xa_unlock(&mp->objs.objs);
		if (!obj)
			break;

		/*
		 * A commit or delete in this slot waits on this MDC's lock, which
		 * we hold: it lands after the snapshot, in the same order.
		 */
		if (objid_slot(obj->objid) == slot && obj->committed && !obj->dead) {
			obj_pack(obj, &o);
			rc = mdc_put(w, OMF_REC_OBJ, rec, omf_obj_pack(&o, rec));
		}
		obj_put(obj);
		index++;
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

static struct mp_obj *obj_new(u64 objid, u8 mclass, bool spare, u64 zaddr, u32 zcnt)
{
	struct mp_obj *obj = kzalloc(sizeof(*obj), GFP_KERNEL);

	if (!obj)
		return NULL;
	kref_init(&obj->ref);
	init_rwsem(&obj->lock);
	obj->objid = objid;
	obj->mclass = mclass;
	obj->spare = spare;
	obj->zaddr = zaddr;
	obj->zcnt = zcnt;
	if (objid_type(objid) == OBJ_TYPE_MLOG)
		generate_random_uuid(obj->uuid);
	return obj;
}

/* A new, uncommitted object; returned with a reference for the caller. */
int obj_alloc(struct mpool *mp, u8 type, u8 mclass, bool spare, u32 zcnt,
	      struct mp_obj **objp)
{
	struct smap *sm = obj_smap(mp, mclass);
	struct mp_obj *obj;
	u64 objid, zaddr;
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
	rc = obj_new_id(mp, type, slot, &objid);
	if (rc)
		goto out_free;

	obj = obj_new(objid, mclass, spare, zaddr, zcnt);
	if (!obj) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = xa_insert(&mp->objs.objs, objid, obj, GFP_KERNEL);
	if (rc) {
		kfree(obj);
		goto out_free;
	}
	kref_get(&obj->ref);
	*objp = obj;
	return 0;

out_free:
	smap_free(sm, zaddr, zcnt, spare);
	return rc;
}

/* The object @objid of @type, referenced; ERR_PTR on a bad or unknown id. */
struct mp_obj *obj_get(struct mpool *mp, u64 objid, u8 type)
{
	struct mp_obj *obj;

	if (objid_type(objid) != type || !obj_mdc(mp, objid))
		return ERR_PTR(-EINVAL);
	obj = obj_lookup(mp, objid);
	return obj ?: ERR_PTR(-ENOENT);
}

/* The caller holds obj->lock exclusively for all of the below. */

/*
 * As in 1.9.0, a command finds an object only in the state it acts on:
 * commit and abort see uncommitted objects, delete and erase committed
 * ones.  Anything else is ENOENT, except erase of an uncommitted mlog,
 * which 1.9.0 finds and then refuses with EINVAL.
 */

int obj_commit(struct mpool *mp, struct mp_obj *obj)
{
	struct omf_obj o;
	u8 rec[OMF_REC_MAX];
	int rc;

	if (obj->dead || obj->committed)
		return -ENOENT;

	/* The data first: durable before the record that makes it visible. */
	if (objid_type(obj->objid) == OBJ_TYPE_MBLOCK && obj->wlen) {
		rc = pd_flush(&mp->dev[obj->mclass].pd);
		if (rc)
			return rc;
	}
	obj_pack(obj, &o);
	rc = mdc_append(obj_mdc(mp, obj->objid), OMF_REC_OBJ, rec, omf_obj_pack(&o, rec));
	if (rc)
		return rc;
	obj->committed = true;
	obj_stats(mp, obj, true);
	return 0;
}

static void obj_remove(struct mpool *mp, struct mp_obj *obj)
{
	obj->dead = true;
	xa_erase(&mp->objs.objs, obj->objid);
	smap_free(obj_smap(mp, obj->mclass), obj->zaddr, obj->zcnt, obj->spare);
	obj_put(obj);	/* the table's reference */
}

int obj_abort(struct mpool *mp, struct mp_obj *obj)
{
	if (obj->dead || obj->committed)
		return -ENOENT;
	obj_remove(mp, obj);
	return 0;
}

int obj_delete(struct mpool *mp, struct mp_obj *obj)
{
	u8 rec[32];
	int rc;

	if (obj->dead || !obj->committed)
		return -ENOENT;
	rc = mdc_append(obj_mdc(mp, obj->objid), OMF_REC_OBJ_DELETE, rec,
			omf_oid_pack(obj->objid, 0, rec));
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
int obj_erase(struct mpool *mp, struct mp_obj *obj, u64 mingen)
{
	u8 rec[32];
	u64 gen;
	int rc;

	if (obj->dead)
		return -ENOENT;
	if (!obj->committed || obj->gen == U64_MAX)
		return -EINVAL;
	gen = max(obj->gen + 1, mingen);
	rc = mdc_append(obj_mdc(mp, obj->objid), OMF_REC_OBJ_ERASE, rec,
			omf_oid_pack(obj->objid, gen, rec));
	if (!rc)
		obj->gen = gen;
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
	rc = xa_insert(&mp->objs.objs, objid, obj, GFP_KERNEL);
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
