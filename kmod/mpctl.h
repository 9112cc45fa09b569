/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mpctl: the character devices.  /dev/mpoolctl (minor 0) takes the pool
 * management commands; /dev/mpool/<name> (one minor per active pool) takes
 * the object commands.  This component owns the device numbers, the device
 * class, file_operations and the ioctl dispatcher.
 */
#ifndef MPOOL_MPCTL_H
#define MPOOL_MPCTL_H

int mpctl_init(void);
void mpctl_exit(void);

#endif /* MPOOL_MPCTL_H */
