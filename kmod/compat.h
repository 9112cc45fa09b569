/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few driver-core interfaces that changed between the kernels we build
 * for (6.1 onwards).  Kbuild probes the target's headers and defines the
 * MPOOL_HAVE_* symbols; every difference is absorbed here.
 */
#ifndef MPOOL_COMPAT_H
#define MPOOL_COMPAT_H

#include <linux/device.h>

/* 6.2 made the device argument of the devnode callbacks const. */
#ifdef MPOOL_HAVE_CONST_DEVNODE
#define MPOOL_DEVNODE_CONST const
#else
#define MPOOL_DEVNODE_CONST
#endif

/* 6.4 dropped the owner argument of class_create(). */
#ifdef MPOOL_HAVE_CLASS_CREATE_NAME
#define mpool_class_create(name) class_create(name)
#else
#define mpool_class_create(name) class_create(THIS_MODULE, name)
#endif

#endif /* MPOOL_COMPAT_H */
