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

/* Event counters of maps, in pages or events. */
enum mc_counter {
	MC_FAULTS_MAJOR,	/* faults that read the media */
	MC_FAULTS_MINOR,	/* faults served from the page cache */
	MC_RA_PAGES,		/* pages read by readahead */
	MC_REAP_MBLOCKS,	/* mblocks the reaper evicted */
	MC_REAP_PAGES,		/* pages the reaper evicted */
	MC_NR_COUNTERS
};

/* Resident pages are counted by advice: COLD, WARM, HOT, PINNED. */
#define MC_NR_ADVICE	(MPC_VMA_PINNED + 1)

/**
 * struct mc_stats - counters of a pool's maps, or of every map
 * @maps:  live maps
 * @pages: their pages in the page cache, by advice
 * @cnt:   events since the module was loaded (the pool was activated)
 */
struct mc_stats {
	u64	maps;
	u64	pages[MC_NR_ADVICE];
	u64	cnt[MC_NR_COUNTERS];
};

/**
 * struct mc_pool - the maps of one active pool
 * @maps:    region -> struct mc_map, for every map not yet released (a
 *           reserved entry while a CREATE builds its map)
 * @dead:    the pool is leaving: no map may be created or mmapped
 * @retired: the counters of its maps that are gone
 *
 * All under mcache.c's one lock (see there).
 */
struct mc_pool {
	struct xarray	maps;
	bool		dead;
	u64		retired[MC_NR_COUNTERS];
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

void mcache_stats(struct mpool *mp, struct mc_stats *st);

/* For the reaper (reaper.h): one eviction pass, and readahead under duress. */
u64 mcache_reap_pass(u64 ttl_ns);
void mcache_ra_duress(unsigned int urgency);

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
