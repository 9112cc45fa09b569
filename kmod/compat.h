/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few driver-core interfaces that changed between the kernels we build
 * for (6.1 onwards).  Kbuild probes the target's headers and defines the
 * MPOOL_HAVE_* symbols; every difference is absorbed here.
 */
#ifndef MPOOL_COMPAT_H
#define MPOOL_COMPAT_H

#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/uio.h>

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

/* 6.3 made the device argument of the uevent callback const. */
#ifdef MPOOL_HAVE_CONST_UEVENT
#define MPOOL_UEVENT_CONST const
#else
#define MPOOL_UEVENT_CONST
#endif

/*
 * Exclusive read-write open of a block device by path, and its close.  The
 * call changed three times (Kbuild probes which one the headers have):
 *   6.1..6.4  blkdev_get_by_path(path, FMODE_EXCL | ..., holder),
 *             blkdev_put(bdev, mode);
 *   6.5..6.6  blkdev_get_by_path(path, blk_mode_t, holder, hops),
 *             blkdev_put(bdev, holder)  (6.7 still has it beside the next);
 *   6.7..6.8  bdev_open_by_path() -> struct bdev_handle, bdev_release();
 *   6.9..     bdev_file_open_by_path() -> struct file, fput() or (6.10)
 *             bdev_fput().
 * Only the first and the last are built and tested here (Debian's 6.1 and
 * 6.12); the middle two follow the kernel's history.  @handle is what the
 * close needs: the file, the bdev_handle, the holder, or nothing.
 */
#if defined(MPOOL_HAVE_BDEV_FILE_OPEN)
static inline int mpool_bdev_open(const char *path, void *holder,
				  struct block_device **bdev, void **handle)
{
	struct file *f = bdev_file_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
						 holder, NULL);

	if (IS_ERR(f))
		return PTR_ERR(f);
	*bdev = file_bdev(f);
	*handle = f;
	return 0;
}

/*
 * fput() of a block device file defers the release, and with it the
 * exclusive claim, to task work: a close and a reopen within one ioctl
 * (create, then activate) would find the device still claimed.  6.10's
 * bdev_fput() gives the claim back at once.
 */
static inline void mpool_bdev_close(struct block_device *bdev, void *handle)
{
#ifdef MPOOL_HAVE_BDEV_FPUT
	bdev_fput(handle);
#else
	fput(handle);
#endif
}
#elif defined(MPOOL_HAVE_BDEV_HANDLE)
static inline int mpool_bdev_open(const char *path, void *holder,
				  struct block_device **bdev, void **handle)
{
	struct bdev_handle *h = bdev_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
						  holder, NULL);

	if (IS_ERR(h))
		return PTR_ERR(h);
	*bdev = h->bdev;
	*handle = h;
	return 0;
}

static inline void mpool_bdev_close(struct block_device *bdev, void *handle)
{
	bdev_release(handle);
}
#elif defined(MPOOL_HAVE_BLKDEV_PUT_HOLDER)
static inline int mpool_bdev_open(const char *path, void *holder,
				  struct block_device **bdev, void **handle)
{
	struct block_device *b = blkdev_get_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
						    holder, NULL);

	if (IS_ERR(b))
		return PTR_ERR(b);
	*bdev = b;
	*handle = holder;
	return 0;
}

static inline void mpool_bdev_close(struct block_device *bdev, void *handle)
{
	blkdev_put(bdev, handle);
}
#else
#define MPOOL_BDEV_MODE (FMODE_READ | FMODE_WRITE | FMODE_EXCL)

static inline int mpool_bdev_open(const char *path, void *holder,
				  struct block_device **bdev, void **handle)
{
	struct block_device *b = blkdev_get_by_path(path, MPOOL_BDEV_MODE, holder);

	if (IS_ERR(b))
		return PTR_ERR(b);
	*bdev = b;
	*handle = NULL;
	return 0;
}

static inline void mpool_bdev_close(struct block_device *bdev, void *handle)
{
	blkdev_put(bdev, MPOOL_BDEV_MODE);
}
#endif

/*
 * CRC32C, the raw update: seeded by the caller, no final inversion.
 * lib/crc32.c's __crc32c_le() is built into every kernel from 6.1 to 6.13
 * (CONFIG_CRC32, which the block layer selects), so the module needs no
 * libcrc32c, a module some configurations leave out and insmod would not
 * pull in.  6.14 replaced it with crc32c() in <linux/crc32.h>.
 */
#include <linux/crc32.h>
#define mpool_crc32c(crc, p, len)	__crc32c_le(crc, p, len)

/* 6.2 named the iov_iter directions. */
#ifndef ITER_SOURCE
#define ITER_SOURCE	WRITE	/* data flows from the iterator */
#define ITER_DEST	READ	/* data flows into the iterator */
#endif

/* 6.3 made vm_flags const: changes go through vm_flags_set/clear(). */
#include <linux/mm.h>
#ifndef MPOOL_HAVE_VM_FLAGS_SET
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * A reference on @f unless its last one is gone already (its release is
 * pending).  The caller keeps the struct file itself from being freed.
 * get_file_rcu() did this up to 6.6 and then changed its argument;
 * f_count stays an atomic_long_t up to 6.12.
 */
static inline bool mpool_file_tryget(struct file *f)
{
	return atomic_long_inc_not_zero(&f->f_count);
}

#endif /* MPOOL_COMPAT_H */
