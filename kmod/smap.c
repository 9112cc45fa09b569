// SPDX-License-Identifier: GPL-2.0-only
/*
 * smap: free-space maps.
 *
 * A bitmap of zones per device, rebuilt at every activation from the
 * metadata (superblock zones, MDC logs, objects) and never written to
 * media.  Each device keeps spare_pct percent of its zones for allocations
 * that ask for spare space; an ordinary allocation fails with ENOSPC once
 * the rest is used.  All state is under the map's spinlock.
 */

#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/slab.h>

#include "smap.h"

static u32 smap_spare_target(const struct smap *sm)
{
	return (u32)div_u64((u64)sm->zonetot * sm->spare_pct, 100);
}

int smap_init(struct smap *sm, u32 zonetot, u8 spare_pct)
{
	memset(sm, 0, sizeof(*sm));
	if (!zonetot || spare_pct > 100)
		return -EINVAL;

	sm->bits = bitmap_zalloc(zonetot, GFP_KERNEL);
	if (!sm->bits)
		return -ENOMEM;

	spin_lock_init(&sm->lock);
	sm->zonetot = zonetot;
	sm->spare_pct = spare_pct;
	return 0;
}

void smap_destroy(struct smap *sm)
{
	bitmap_free(sm->bits);
	sm->bits = NULL;
}

/*
 * Mark zones in use while rebuilding: -ERANGE if they are not on the
 * device, -EEXIST if any is already in use (two owners: bad metadata).
 */
int smap_reserve(struct smap *sm, u64 zaddr, u32 zcnt)
{
	int rc = 0;

	if (!zcnt || zaddr >= sm->zonetot || zcnt > sm->zonetot - zaddr)
		return -ERANGE;

	spin_lock(&sm->lock);
	if (find_next_bit(sm->bits, zaddr + zcnt, zaddr) < zaddr + zcnt) {
		rc = -EEXIST;
	} else {
		bitmap_set(sm->bits, zaddr, zcnt);
		sm->used += zcnt;
	}
	spin_unlock(&sm->lock);
	return rc;
}

/* Find @zcnt contiguous free zones, next fit; charge them to usable or spare. */
int smap_alloc(struct smap *sm, u32 zcnt, bool spare, u64 *zaddr)
{
	u32 stgt, utgt;
	unsigned long at;
	int rc = -ENOSPC;

	if (!zcnt || zcnt > sm->zonetot)
		return -EINVAL;

	spin_lock(&sm->lock);
	stgt = smap_spare_target(sm);
	utgt = sm->zonetot - stgt;

	if (spare) {
		if (sm->used + sm->spare_used + zcnt > sm->zonetot)
			goto out;
	} else if (sm->used + zcnt > utgt) {
		goto out;
	}

	at = bitmap_find_next_zero_area(sm->bits, sm->zonetot, sm->cursor, zcnt, 0);
	if (at >= sm->zonetot)
		at = bitmap_find_next_zero_area(sm->bits, sm->zonetot, 0, zcnt, 0);
	if (at >= sm->zonetot)
		goto out;

	bitmap_set(sm->bits, at, zcnt);
	if (spare)
		sm->spare_used += zcnt;
	else
		sm->used += zcnt;
	sm->cursor = at + zcnt < sm->zonetot ? at + zcnt : 0;
	*zaddr = at;
	rc = 0;
out:
	spin_unlock(&sm->lock);
	return rc;
}

void smap_free(struct smap *sm, u64 zaddr, u32 zcnt, bool spare)
{
	if (WARN_ON(zaddr >= sm->zonetot || zcnt > sm->zonetot - zaddr))
		return;

	spin_lock(&sm->lock);
	bitmap_clear(sm->bits, zaddr, zcnt);
	if (spare)
		sm->spare_used -= min(sm->spare_used, zcnt);
	else
		sm->used -= min(sm->used, zcnt);
	spin_unlock(&sm->lock);
}

void smap_set_spare(struct smap *sm, u8 spare_pct)
{
	spin_lock(&sm->lock);
	sm->spare_pct = min_t(u8, spare_pct, 100);
	spin_unlock(&sm->lock);
}

void smap_usage(struct smap *sm, struct smap_usage *u)
{
	spin_lock(&sm->lock);
	u->total = sm->zonetot;
	u->spare = smap_spare_target(sm);
	u->usable = sm->zonetot - u->spare;
	u->used = sm->used;
	u->spare_used = sm->spare_used;
	spin_unlock(&sm->lock);
}
