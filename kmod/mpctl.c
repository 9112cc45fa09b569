// SPDX-License-Identifier: GPL-2.0-only
/*
 * mpctl: device nodes, file operations and the ioctl dispatcher.
 *
 * Units.  Every device node is a unit: the control unit (minor 0) and one
 * unit per active pool.  A unit embeds its struct device, and the device's
 * reference count is the unit's lifetime: the node holds one reference, every
 * open file holds one, and the release callback frees the unit and gives its
 * minor back.
 *
 * Locking.  mpc.lock (a mutex) protects mpc.units, the minor -> unit map.
 * A slot holds NULL while its unit is being created or torn down, so open()
 * either finds a fully registered unit and takes a reference under the lock,
 * or fails with ENODEV.  Nothing else is shared between ioctls in this file;
 * each command's handler documents the locks of the component it calls.
 *
 * Dispatch.  A command is accepted only if its magic, number, direction and
 * size all match the table below exactly; anything else is ENOTTY.  The
 * argument is copied in for _IOC_WRITE commands (zeroed otherwise), handed
 * to the handler, and copied out for _IOC_READ commands when the handler
 * succeeds.  Handlers see kernel memory only.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cdev.h>
#include <linux/error-injection.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mpool_ioctl.h"
#include "compat.h"
#include "init.h"
#include "mpctl.h"

/* The control node's owner and mode; pool nodes carry their own. */
static unsigned int mpc_ctl_uid;
module_param_named(ctl_uid, mpc_ctl_uid, uint, 0444);
MODULE_PARM_DESC(ctl_uid, "Owner of /dev/mpoolctl (default 0)");

static unsigned int mpc_ctl_gid = 6;
module_param_named(ctl_gid, mpc_ctl_gid, uint, 0444);
MODULE_PARM_DESC(ctl_gid, "Group of /dev/mpoolctl (default 6, disk)");

static unsigned int mpc_ctl_mode = 0664;
module_param_named(ctl_mode, mpc_ctl_mode, uint, 0444);
MODULE_PARM_DESC(ctl_mode, "Permission bits of /dev/mpoolctl (default 0664)");

/**
 * struct mpc_unit - one device node
 * @dev:   the node; its reference count is the unit's lifetime
 * @ctl:   true for /dev/mpoolctl, false for a pool node
 * @uid:   owner of the node
 * @gid:   group of the node
 * @mode:  permission bits of the node
 */
struct mpc_unit {
	struct device	dev;
	bool		ctl;
	kuid_t		uid;
	kgid_t		gid;
	umode_t		mode;
};

static inline struct mpc_unit *dev_to_unit(MPOOL_DEVNODE_CONST struct device *dev)
{
	return container_of(dev, struct mpc_unit, dev);
}

static struct {
	dev_t			devno;	/* first of mpool_maxunits minors */
	struct cdev		cdev;
	struct class		*class;
	struct mpc_unit		*ctl;
	struct mutex		lock;	/* protects units */
	struct idr		units;	/* minor -> unit, NULL while in flux */
} mpc;

/* Command flags: which node accepts a command, and what it requires. */
#define MPC_IOC_CTL	0x1	/* accepted on /dev/mpoolctl */
#define MPC_IOC_POOL	0x2	/* accepted on /dev/mpool/<name> */
#define MPC_IOC_RDONLY	0x4	/* allowed on a file opened read-only */
#define MPC_IOC_ADMIN	0x8	/* needs CAP_SYS_ADMIN */

typedef int mpc_ioc_handler_t(struct mpc_unit *unit, struct file *file, void *arg);

struct mpc_ioc {
	unsigned int		cmd;
	unsigned int		flags;
	mpc_ioc_handler_t	*handler;	/* NULL: not implemented yet */
};

/*
 * PROP_GET.  On the control node it lists every active pool.  Pools cannot
 * be activated by this version of the module yet, so the list it returns is
 * the true one: empty.
 */
static int mpc_prop_get(struct mpc_unit *unit, struct file *file, void *arg)
{
	struct mpioc_list *ls = arg;

	if (!unit->ctl)
		return -EOPNOTSUPP;

	if (ls->ls_cmd != MPIOC_LIST_CMD_PROP_LIST)
		return -EINVAL;

	ls->ls_listc = 0;
	return 0;
}

#define CTL_ADMIN	(MPC_IOC_CTL | MPC_IOC_ADMIN)
#define POOL_ADMIN	(MPC_IOC_POOL | MPC_IOC_ADMIN)
#define POOL_RDONLY	(MPC_IOC_POOL | MPC_IOC_RDONLY)

/*
 * Every command of the 1.9.0 ABI.  Read-only files may
 * issue the commands that change nothing: 1.9.0's list, plus PARAMS_GET and
 * VMA_VRSS, which 1.9.0 refused on a read-only file for no reason.
 */
static const struct mpc_ioc mpc_ioc_table[] = {
	{ MPIOC_MP_CREATE,     CTL_ADMIN,                   NULL },
	{ MPIOC_MP_DESTROY,    CTL_ADMIN,                   NULL },
	{ MPIOC_MP_ACTIVATE,   CTL_ADMIN,                   NULL },
	{ MPIOC_MP_DEACTIVATE, CTL_ADMIN,                   NULL },
	{ MPIOC_MP_RENAME,     CTL_ADMIN,                   NULL },
	{ MPIOC_PARAMS_GET,    POOL_RDONLY,                 NULL },
	{ MPIOC_PARAMS_SET,    POOL_ADMIN,                  NULL },
	{ MPIOC_MP_MCLASS_GET, POOL_RDONLY,                 NULL },
	{ MPIOC_DRV_ADD,       POOL_ADMIN,                  NULL },
	{ MPIOC_DRV_SPARES,    POOL_ADMIN,                  NULL },
	{ MPIOC_PROP_GET,      MPC_IOC_CTL | POOL_RDONLY,   mpc_prop_get },
	{ MPIOC_PROP_SET,      POOL_ADMIN,                  NULL },
	{ MPIOC_DEVPROPS_GET,  POOL_RDONLY,                 NULL },
	{ MPIOC_MLOG_ALLOC,    MPC_IOC_POOL,                NULL },
	{ MPIOC_MLOG_COMMIT,   MPC_IOC_POOL,                NULL },
	{ MPIOC_MLOG_ABORT,    MPC_IOC_POOL,                NULL },
	{ MPIOC_MLOG_DELETE,   MPC_IOC_POOL,                NULL },
	{ MPIOC_MLOG_FIND,     POOL_RDONLY,                 NULL },
	{ MPIOC_MLOG_READ,     POOL_RDONLY,                 NULL },
	{ MPIOC_MLOG_WRITE,    MPC_IOC_POOL,                NULL },
	{ MPIOC_MLOG_PROPS,    POOL_RDONLY,                 NULL },
	{ MPIOC_MLOG_ERASE,    MPC_IOC_POOL,                NULL },
	{ MPIOC_MB_ALLOC,      MPC_IOC_POOL,                NULL },
	{ MPIOC_MB_ABORT,      MPC_IOC_POOL,                NULL },
	{ MPIOC_MB_COMMIT,     MPC_IOC_POOL,                NULL },
	{ MPIOC_MB_DELETE,     MPC_IOC_POOL,                NULL },
	{ MPIOC_MB_FIND,       POOL_RDONLY,                 NULL },
	{ MPIOC_MB_READ,       POOL_RDONLY,                 NULL },
	{ MPIOC_MB_WRITE,      MPC_IOC_POOL,                NULL },
	{ MPIOC_VMA_CREATE,    MPC_IOC_POOL,                NULL },
	{ MPIOC_VMA_DESTROY,   MPC_IOC_POOL,                NULL },
	{ MPIOC_VMA_PURGE,     MPC_IOC_POOL,                NULL },
	{ MPIOC_VMA_VRSS,      POOL_RDONLY,                 NULL },
};

/* Arguments up to this size are copied to the stack, larger ones to the heap. */
#define MPC_IOC_STACK_MAX	128

static const struct mpc_ioc *mpc_ioc_lookup(unsigned int cmd)
{
	unsigned int i;

	if (_IOC_TYPE(cmd) != MPIOC_MAGIC)
		return NULL;

	/* Direction and size are part of cmd: a near miss is another command. */
	for (i = 0; i < ARRAY_SIZE(mpc_ioc_table); i++)
		if (mpc_ioc_table[i].cmd == cmd)
			return &mpc_ioc_table[i];

	return NULL;
}

static long mpc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mpc_unit *unit = file->private_data;
	void __user *uarg = (void __user *)arg;
	u64 stack[MPC_IOC_STACK_MAX / sizeof(u64)];
	const struct mpc_ioc *ioc;
	size_t size;
	void *karg;
	int rc;

	ioc = mpc_ioc_lookup(cmd);
	if (!ioc)
		return -ENOTTY;

	/* 1.9.0 answers EINVAL for a command sent to the wrong kind of node. */
	if (!(ioc->flags & (unit->ctl ? MPC_IOC_CTL : MPC_IOC_POOL)))
		return -EINVAL;

	if (!(file->f_mode & FMODE_WRITE) && !(ioc->flags & MPC_IOC_RDONLY))
		return -EINVAL;

	if ((ioc->flags & MPC_IOC_ADMIN) && !capable(CAP_SYS_ADMIN))
		return -EPERM;

	if (!ioc->handler)
		return -EOPNOTSUPP;

	size = _IOC_SIZE(cmd);
	if (size <= sizeof(stack)) {
		karg = stack;
	} else {
		karg = kmalloc(size, GFP_KERNEL);
		if (!karg)
			return -ENOMEM;
	}

	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		if (copy_from_user(karg, uarg, size)) {
			rc = -EFAULT;
			goto out_free;
		}
	} else {
		memset(karg, 0, size);
	}

	rc = ioc->handler(unit, file, karg);

	if (!rc && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(uarg, karg, size))
		rc = -EFAULT;

out_free:
	if (karg != stack)
		kfree(karg);

	return rc;
}

static int mpc_open(struct inode *inode, struct file *file)
{
	struct mpc_unit *unit;

	mutex_lock(&mpc.lock);
	unit = idr_find(&mpc.units, iminor(inode));
	if (unit)
		get_device(&unit->dev);
	mutex_unlock(&mpc.lock);

	if (!unit)
		return -ENODEV;

	file->private_data = unit;
	return nonseekable_open(inode, file);
}

static int mpc_release(struct inode *inode, struct file *file)
{
	struct mpc_unit *unit = file->private_data;

	put_device(&unit->dev);
	return 0;
}

static const struct file_operations mpc_fops = {
	.owner		= THIS_MODULE,
	.open		= mpc_open,
	.release	= mpc_release,
	.unlocked_ioctl	= mpc_ioctl,
	.llseek		= noop_llseek,
};

static char *mpc_devnode(MPOOL_DEVNODE_CONST struct device *dev, umode_t *mode,
			 kuid_t *uid, kgid_t *gid)
{
	const struct mpc_unit *unit = dev_to_unit(dev);

	if (mode)
		*mode = unit->mode;
	if (uid)
		*uid = unit->uid;
	if (gid)
		*gid = unit->gid;

	/* The control node keeps its own name; pools live under /dev/mpool/. */
	if (unit->ctl)
		return NULL;

	return kasprintf(GFP_KERNEL, "%s/%s", MPC_DEV_SUBDIR, dev_name(dev));
}

static const struct device_type mpc_unit_type = {
	.name		= "mpool_unit",
	.devnode	= mpc_devnode,
};

/* Last reference gone: give the minor back and free the unit. */
static void mpc_unit_release(struct device *dev)
{
	struct mpc_unit *unit = dev_to_unit(dev);

	mutex_lock(&mpc.lock);
	idr_remove(&mpc.units, MINOR(dev->devt));
	mutex_unlock(&mpc.lock);

	kfree(unit);
}

static noinline int mpc_unit_create(const char *name, bool ctl, kuid_t uid,
				    kgid_t gid, umode_t mode,
				    struct mpc_unit **unitp)
{
	struct mpc_unit *unit;
	int minor, rc;

	unit = kzalloc(sizeof(*unit), GFP_KERNEL);
	if (!unit)
		return -ENOMEM;

	unit->ctl = ctl;
	unit->uid = uid;
	unit->gid = gid;
	unit->mode = mode;

	/* Reserve the minor with a NULL slot: not openable until registered. */
	mutex_lock(&mpc.lock);
	minor = idr_alloc(&mpc.units, NULL, ctl ? 0 : 1, ctl ? 1 : mpool_maxunits,
			  GFP_KERNEL);
	mutex_unlock(&mpc.lock);
	if (minor < 0) {
		kfree(unit);
		return minor;
	}

	device_initialize(&unit->dev);
	unit->dev.class = mpc.class;
	unit->dev.type = &mpc_unit_type;
	unit->dev.devt = MKDEV(MAJOR(mpc.devno), minor);
	unit->dev.release = mpc_unit_release;

	/* From here on put_device() frees the unit and the minor. */
	rc = dev_set_name(&unit->dev, "%s", name);
	if (rc)
		goto out_put;

	rc = device_add(&unit->dev);
	if (rc)
		goto out_put;

	mutex_lock(&mpc.lock);
	idr_replace(&mpc.units, unit, minor);
	mutex_unlock(&mpc.lock);

	*unitp = unit;
	return 0;

out_put:
	put_device(&unit->dev);
	return rc;
}

ALLOW_ERROR_INJECTION(mpc_unit_create, ERRNO);

/* Unregister the node; open files keep the unit alive until they close. */
static void mpc_unit_destroy(struct mpc_unit *unit)
{
	mutex_lock(&mpc.lock);
	idr_replace(&mpc.units, NULL, MINOR(unit->dev.devt));
	mutex_unlock(&mpc.lock);

	device_del(&unit->dev);
	put_device(&unit->dev);
}

int mpctl_init(void)
{
	int rc;

	mutex_init(&mpc.lock);
	idr_init(&mpc.units);

	rc = alloc_chrdev_region(&mpc.devno, 0, mpool_maxunits, "mpool");
	if (rc) {
		pr_err("cannot allocate %u device numbers: %d\n", mpool_maxunits, rc);
		return rc;
	}

	mpc.class = mpool_class_create("mpool");
	if (IS_ERR(mpc.class)) {
		rc = PTR_ERR(mpc.class);
		pr_err("cannot create the device class: %d\n", rc);
		goto out_region;
	}

	cdev_init(&mpc.cdev, &mpc_fops);
	mpc.cdev.owner = THIS_MODULE;
	rc = cdev_add(&mpc.cdev, mpc.devno, mpool_maxunits);
	if (rc) {
		pr_err("cannot add the character device: %d\n", rc);
		goto out_class;
	}

	rc = mpc_unit_create(MPC_DEV_CTLNAME, true,
			     make_kuid(&init_user_ns, mpc_ctl_uid),
			     make_kgid(&init_user_ns, mpc_ctl_gid),
			     mpc_ctl_mode & 0777, &mpc.ctl);
	if (rc) {
		pr_err("cannot create %s: %d\n", MPC_DEV_CTLPATH, rc);
		goto out_cdev;
	}

	return 0;

out_cdev:
	cdev_del(&mpc.cdev);
out_class:
	class_destroy(mpc.class);
out_region:
	unregister_chrdev_region(mpc.devno, mpool_maxunits);
	idr_destroy(&mpc.units);
	return rc;
}

void mpctl_exit(void)
{
	/* Module references pin us while any file is open, so no unit is busy. */
	mpc_unit_destroy(mpc.ctl);
	mpc.ctl = NULL;

	cdev_del(&mpc.cdev);
	class_destroy(mpc.class);
	unregister_chrdev_region(mpc.devno, mpool_maxunits);

	WARN_ON(!idr_is_empty(&mpc.units));
	idr_destroy(&mpc.units);
}
