/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sysfs: the attributes of the device nodes, under /sys/class/mpool/.
 *
 *   mpoolctl/parameters/  reap_mempct, reap_ttl, reap_debug (0644)
 *   mpoolctl/stats/       every map's counters and the reaper's state
 *   <pool>/parameters/    uid, gid, mode, ra, label, vma, type (1.9.0's)
 *   <pool>/stats/         the pool's I/O and mcache counters
 *
 * One value per file, in decimal; README.md gives the units.
 */
#ifndef MPOOL_SYSFS_H
#define MPOOL_SYSFS_H

#include <linux/sysfs.h>

extern const struct attribute_group *mpool_ctl_groups[];
extern const struct attribute_group *mpool_pool_groups[];

#endif /* MPOOL_SYSFS_H */
