/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * smap: the free-space map of one pool device, in memory only.
 */
#ifndef MPOOL_SMAP_H
#define MPOOL_SMAP_H

#include <linux/spinlock.h>
#include <linux/types.h>

/**
 * struct smap - zones of one device
 * @lock:       protects everything below
 * @bits:       one bit per zone, set when in use
 * @zonetot:    zones on the device
 * @spare_pct:  percent of the zones kept for spare allocations
 * @used:       zones in ordinary use
 * @spare_used: zones allocated from the spare part
 * @cursor:     where the next search starts (next fit)
 */
struct smap {
	spinlock_t	lock;	/* see above */
	unsigned long	*bits;
	u32		zonetot;
	u8		spare_pct;
	u32		used;
	u32		spare_used;
	u32		cursor;
};

/* Zone counts; bytes are zones times the zone size. */
struct smap_usage {
	u32	total;
	u32	usable;		/* total less the spare part */
	u32	used;
	u32	spare;
	u32	spare_used;
};

int smap_init(struct smap *sm, u32 zonetot, u8 spare_pct);
void smap_destroy(struct smap *sm);
int smap_reserve(struct smap *sm, u64 zaddr, u32 zcnt);
int smap_alloc(struct smap *sm, u32 zcnt, bool spare, u64 *zaddr);
void smap_free(struct smap *sm, u64 zaddr, u32 zcnt, bool spare);
void smap_set_spare(struct smap *sm, u8 spare_pct);
void smap_usage(struct smap *sm, struct smap_usage *u);

#endif /* MPOOL_SMAP_H */
