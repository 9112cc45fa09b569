// SPDX-License-Identifier: GPL-2.0-only
/*
 * mp_registry: the active pools.
 *
 * A pool is in the registry from the end of its activation to the start of
 * its deactivation: mp_find() sees only pools that are complete, and an
 * activation, destroy or rename of a pool that is active (by uuid) fails
 * with EBUSY.  The registry holds no reference: mpctl's management lock
 * keeps a pool from going away under a caller of mp_find().
 *
 * Locking: mp_pools_lock (a mutex) protects mp_pools.  mp_list_props()
 * takes each pool's mp->lock under it, which is the documented order
 * (mp.h): mp_pools_lock, then mp->lock.
 */

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "mp_private.h"

static LIST_HEAD(mp_pools);
static DEFINE_MUTEX(mp_pools_lock);

void mp_registry_add(struct mpool *mp)
{
	mutex_lock(&mp_pools_lock);
	list_add_tail(&mp->list, &mp_pools);
	mutex_unlock(&mp_pools_lock);
}

void mp_registry_del(struct mpool *mp)
{
	mutex_lock(&mp_pools_lock);
	list_del_init(&mp->list);
	mutex_unlock(&mp_pools_lock);
}

/* Is the pool with uuid @poolid active? */
bool mp_uuid_active(const u8 *poolid)
{
	struct mpool *mp;
	bool found = false;

	mutex_lock(&mp_pools_lock);
	list_for_each_entry(mp, &mp_pools, list)
		if (!memcmp(mp->poolid, poolid, sizeof(mp->poolid)))
			found = true;
	mutex_unlock(&mp_pools_lock);
	return found;
}

struct mpool *mp_find(const char *name)
{
	struct mpool *mp, *found = NULL;

	mutex_lock(&mp_pools_lock);
	list_for_each_entry(mp, &mp_pools, list)
		if (!strcmp(mp->name, name))
			found = mp;
	mutex_unlock(&mp_pools_lock);
	return found;
}

/* Fill up to @max entries (in the caller's buffer) for every active pool. */
int mp_list_props(struct mpioc_prop *props, u32 max)
{
	struct mpool *mp;
	u32 n = 0;

	mutex_lock(&mp_pools_lock);
	list_for_each_entry(mp, &mp_pools, list) {
		if (n == max)
			break;
		mp_props_get(mp, &props[n++]);
	}
	mutex_unlock(&mp_pools_lock);
	return n;
}
