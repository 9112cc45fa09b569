/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mcache: maps of committed mblocks into user address space.  One map
 * (MPIOC_VMA_CREATE) lays N mblocks out in one region of the pool's mmap
 * offsets; one mmap of the pool node then shows them all, read-only, with
 * page faults served from the media through the page cache.
 */
#ifndef MPOOL_MCACHE_H
#define MPOOL_MCACHE_H

#include <linux/fs.h>
#include <linux/mm_types.h>
#include <linux/xarray.h>

#include "mpool_ioctl.h"

struct mpool;

/**
 * struct mc_pool - the maps of one active pool
 * @maps: region -> struct mc_map, for every map not yet released (a
 *        reserved entry while a CREATE builds its map)
 * @dead: the pool is leaving: no map may be created or mmapped
 *
 * Both under mcache.c's one lock (see there).
 */
struct mc_pool {
	struct xarray	maps;
	bool		dead;
};

int mcache_init(void);
void mcache_exit(void);

void mcache_pool_init(struct mc_pool *mc);
bool mcache_pool_busy(struct mpool *mp);
void mcache_pool_idle(struct mpool *mp);
void mcache_pool_detach(struct mpool *mp);

int mcache_create(struct mpool *mp, struct mpioc_vma *v);
int mcache_destroy(struct mpool *mp, const struct mpioc_vma *v);
int mcache_purge(struct mpool *mp, const struct mpioc_vma *v);
int mcache_vrss(struct mpool *mp, struct mpioc_vma *v);

/*
 * mmap and fadvise of a pool node.  They run under mmap_lock or with no
 * lock at all, so they may not take the node's io_lock (a command holding
 * it can fault on user memory).  They read the node's pool pointer at
 * @poolp under mcache's lock instead: the node clears it before
 * mcache_pool_detach(), which takes that lock, and the pool is freed only
 * after.
 */
int mcache_mmap(struct mpool * const *poolp, struct vm_area_struct *vma);
int mcache_fadvise(struct mpool * const *poolp, loff_t off, loff_t len, int advice);

#endif /* MPOOL_MCACHE_H */
