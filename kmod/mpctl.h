/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mpctl: the character devices.  /dev/mpoolctl (minor 0) takes the pool
 * management commands; /dev/mpool/<name> (one minor per active pool) takes
 * the object commands.  This component owns the device numbers, the device
 * class, file_operations and the ioctl dispatcher.
 */
#ifndef MPOOL_MPCTL_H
#define MPOOL_MPCTL_H

#include <linux/types.h>

struct device;
struct mpool;

int mpctl_init(void);
void mpctl_exit(void);

/*
 * For sysfs.c: the pool a pool node presents, held against deactivation
 * until mpc_dev_pool_put() (NULL once it is gone; put it all the same),
 * and the node's owner and mode.
 */
struct mpool *mpc_dev_pool_get(struct device *dev);
void mpc_dev_pool_put(struct device *dev);
void mpc_dev_owner(struct device *dev, u32 *uid, u32 *gid, u32 *mode);

#endif /* MPOOL_MPCTL_H */
