/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mp: pools.  Create, activate, deactivate, destroy and rename; the
 * registry of active pools; parameters, properties and devices of an
 * active pool.  Callers (mpctl) serialize the management operations with
 * one lock; each active pool protects its own state with mp->lock.
 *
 * Implemented in three files sharing mp_private.h: mp.c (lifecycle),
 * mp_registry.c (the active pools) and mp_props.c (parameters, properties,
 * devices and spares of an active pool).
 *
 * Lock order: mpctl's management lock, then mp_pools_lock (the registry),
 * then mp->lock, then an MDC's lock, then a space map's lock.
 */
#ifndef MPOOL_MP_H
#define MPOOL_MP_H

#include <linux/list.h>
#include <linux/mutex.h>

#include "mpool_ioctl.h"
#include "mcache.h"
#include "mdc.h"
#include "pd.h"
#include "pmd.h"
#include "pmd_obj.h"
#include "sb.h"
#include "smap.h"

/**
 * struct mp_dev - a device of an active pool (one per media class)
 * @present:  the slot holds an open device
 * @pd:       the device
 * @sb:       its superblock as last written or read
 * @smap:     its free-space map
 * @optiosz:  optimal I/O size, bytes, as userland measured it at activation
 *            (pd_prop.pdp_optiosz, clamped); reported as mpr_optimal_wrsz
 */
struct mp_dev {
	bool		present;
	struct pd_dev	pd;
	struct sb_info	sb;
	struct smap	smap;
	u32		optiosz;
};

/**
 * struct mpool - an active pool
 * @list:   in the registry, under mp_pools_lock
 * @name:   pool name (also the device node's)
 * @poolid: pool uuid
 * @lock:   protects @st, @dev and appends to @mdc0
 * @st:     the state MDC-0 describes
 * @dev:    devices by media class
 * @mdc0:   MDC-0
 * @mdcn:   MDC-1..N; @mdcn[i - 1] is MDC-i
 * @objs:   client objects (pmd_obj.h has their locking)
 * @mc:     mcache maps (mcache.c has their locking)
 * @owner:  the device node presenting this pool (opaque here; set by mpctl)
 */
struct mpool {
	struct list_head	list;
	char			name[MPOOL_NAMESZ_MAX];
	u8			poolid[16];
	struct mutex		lock;	/* see above */
	struct pmd_state	st;
	struct mp_dev		dev[MP_MED_NUMBER];
	struct mdc		mdc0;
	struct mdc		*mdcn;
	struct mp_objtab	objs;
	struct mc_pool		mc;
	void			*owner;
};

/* Zone size of media class @c (which must have a device). */
static inline u64 mp_class_zone(struct mpool *mp, u8 c)
{
	return (u64)mp->dev[c].sb.dev.zonepg * OMF_BLK_SIZE;
}

/* The devices a management command names, copied in by mpctl. */
struct mp_devlist {
	int		n;
	char		*path[MP_MED_NUMBER];
	struct pd_prop	prop[MP_MED_NUMBER];
};

int mp_name_check(const char *name, size_t size);
int mp_name_ref_check(const char *name, size_t size);
int mp_devlist_match(struct mpool *mp, const struct mp_devlist *dl);

int mp_create(struct mpool_params *params, u32 flags, const struct mp_devlist *dl);
int mp_activate(struct mpool_params *params, u32 flags, const struct mp_devlist *dl,
		struct mpool **mpp);
void mp_deactivate(struct mpool *mp);
int mp_destroy(const char *name, u32 flags, const struct mp_devlist *dl);
int mp_rename(const char *newname, u32 flags, const struct mp_devlist *dl);

struct mpool *mp_find(const char *name);
int mp_fenced(struct mpool *mp);
int mp_list_props(struct mpioc_prop *props, u32 max);

void mp_params_get(struct mpool *mp, struct mpool_params *params);
int mp_params_set(struct mpool *mp, struct mpool_params *params);
void mp_props_get(struct mpool *mp, struct mpioc_prop *prop);
int mp_devprops_get(struct mpool *mp, const char *name, struct mpool_devprops *dp);
u32 mp_mclass_get(struct mpool *mp, struct mpool_mclass_xprops *xv, u32 max);
int mp_drive_add(struct mpool *mp, u32 flags, const char *path, const struct pd_prop *prop);
int mp_spare_set(struct mpool *mp, const char *devname, u32 pct);

#endif /* MPOOL_MP_H */
