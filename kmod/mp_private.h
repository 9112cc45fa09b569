/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mp internals: private to mp.c (pool lifecycle), mp_registry.c (the active
 * pools) and mp_props.c (parameters, properties and devices of an active
 * pool).  Nothing outside those three files includes this header; the
 * interface of the pool component is mp.h.
 */
#ifndef MPOOL_MP_PRIVATE_H
#define MPOOL_MP_PRIVATE_H

#include <linux/bits.h>

#include "mp.h"

/* A params field left as it is (create: given its default). */
#define MP_KEEP			0xffffffffU
#define MP_SPARE_KEEP		0xff

static inline u64 mp_zone_bytes(u32 zonepg)
{
	return (u64)zonepg * OMF_BLK_SIZE;
}

static inline bool mp_force(u32 flags)
{
	return flags & BIT(MP_FLAGS_FORCE);
}

/* mp.c: devices joining a pool (create, drive add). */
int mp_dev_admit(struct pd_dev *pd, const char *path, void *holder,
		 const struct mpool *mp, const struct pd_prop *prop, u32 flags,
		 u32 *zonepg, u32 *zonetot);
void mp_sb_new(struct sb_info *sb, const char *name, const u8 *poolid,
	       struct pd_dev *pd, const struct pd_prop *prop, u8 mclass,
	       u32 zonepg, u32 zonetot);

/* mp_registry.c: the active pools. */
void mp_registry_add(struct mpool *mp);
void mp_registry_del(struct mpool *mp);
bool mp_uuid_active(const u8 *poolid);

/* mp_props.c: parameters. */
int mp_params_check(const struct mpool_params *p);
void mp_params_defaults(struct mpool_params *p);
void mp_cfg_merge(struct pmd_pool_cfg *cfg, const struct mpool_params *p);
u32 mp_optiosz(const struct pd_prop *prop);

#endif /* MPOOL_MP_PRIVATE_H */
