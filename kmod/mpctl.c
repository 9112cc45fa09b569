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
 * or fails with ENODEV.  mpc.mgmt serializes the pool management commands
 * (create, activate, deactivate, destroy, rename).  A pool unit's open_lock
 * covers its open count and exclusivity; its io_lock (an rwsem) is held
 * shared by every command on the pool and exclusively while the pool is
 * detached from the unit, so no command ever sees a pool being torn down.
 * Order: mgmt, then open_lock, then io_lock, then the pool's own locks.
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
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mpool_ioctl.h"
#include "compat.h"
#include "init.h"
#include "mblock.h"
#include "mcache.h"
#include "mlog.h"
#include "mp.h"
#include "mpctl.h"
#include "sysfs.h"

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
 * @open_lock:  protects @open_count, @excl and @dead
 * @open_count: open files (pool units)
 * @excl:       opened with O_EXCL
 * @dead:       the pool is gone; opens fail and commands get ENODEV
 * @io_lock:    shared by commands on @pool, exclusive to detach it
 * @pool:       the pool this node presents (NULL for the control node)
 */
struct mpc_unit {
	struct device		dev;
	bool			ctl;
	kuid_t			uid;
	kgid_t			gid;
	umode_t			mode;
	struct mutex		open_lock;	/* see above */
	unsigned int		open_count;
	bool			excl;
	bool			dead;
	struct rw_semaphore	io_lock;
	struct mpool		*pool;
};

static inline struct mpc_unit *dev_to_unit(const struct device *dev)
{
	return container_of(dev, struct mpc_unit, dev);
}

static struct {
	dev_t			devno;	/* first of mpool_maxunits minors */
	struct cdev		cdev;
	struct class		*class;
	struct mpc_unit		*ctl;
	struct mutex		mgmt;	/* serializes pool management */
	struct mutex		lock;	/* protects units */
	struct idr		units;	/* minor -> unit, NULL while in flux */
} mpc;

/* Command flags: which node accepts a command, and what it requires. */
#define MPC_IOC_CTL	0x1	/* accepted on /dev/mpoolctl */
#define MPC_IOC_POOL	0x2	/* accepted on /dev/mpool/<name> */
#define MPC_IOC_RDONLY	0x4	/* allowed on a file opened read-only */
#define MPC_IOC_ADMIN	0x8	/* needs CAP_SYS_ADMIN */

typedef int mpc_ioc_handler_t(struct mpc_unit *unit, struct file *file, unsigned int cmd,
			      void *arg);

typedef void mpc_ioc_undo_t(struct mpc_unit *unit, void *arg);

/*
 * @undo: reverses a successful @handler whose result could not be copied
 *        out (an allocation whose id the caller never learns would leak).
 */
struct mpc_ioc {
	unsigned int		cmd;
	unsigned int		flags;
	mpc_ioc_handler_t	*handler;	/* NULL: not implemented yet */
	mpc_ioc_undo_t		*undo;
};

static int mpc_unit_create(const char *name, bool ctl, kuid_t uid, kgid_t gid,
			   umode_t mode, struct mpool *pool, struct mpc_unit **unitp);
static void mpc_unit_destroy(struct mpc_unit *unit);

/*
 * The device list of a management command: @n newline-separated paths at
 * @upaths (@size bytes) and, if @uprops, @n pd_prop.  On success the
 * caller frees dl->path[0] (the copied buffer).
 */
static int mpc_devlist_get(struct mp_devlist *dl, u32 n, u32 size,
			   const char __user *upaths, const struct pd_prop __user *uprops)
{
	char *buf, *cur;
	u32 i;

	memset(dl, 0, sizeof(*dl));
	if (n < 1 || n > MP_MED_NUMBER)
		return -EDOM;
	if (!upaths || size < 2 || size > n * PATH_MAX)
		return -EINVAL;

	buf = memdup_user_nul(upaths, size);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (uprops && copy_from_user(dl->prop, uprops, n * sizeof(dl->prop[0]))) {
		kfree(buf);
		return -EFAULT;
	}

	cur = buf;
	for (i = 0; i < n; i++) {
		dl->path[i] = strsep(&cur, "\n");
		if (!dl->path[i] || !dl->path[i][0] ||
		    (i && !strcmp(dl->path[i], dl->path[0]))) {
			kfree(buf);
			return -EINVAL;
		}
	}
	dl->path[0] = buf;	/* strsep returned buf first: one allocation */
	dl->n = n;
	return 0;
}

/* Activate and present a pool; the module stays loaded while it is active. */
static int mpc_pool_activate(struct mpool_params *params, u32 flags,
			     const struct mp_devlist *dl)
{
	struct mpc_unit *unit;
	struct mpool *pool;
	int rc;

	if (!try_module_get(THIS_MODULE))
		return -ENODEV;

	rc = mp_activate(params, flags, dl, &pool);
	if (rc)
		goto out_put;

	rc = mpc_unit_create(pool->name, false,
			     make_kuid(&init_user_ns, params->mp_uid),
			     make_kgid(&init_user_ns, params->mp_gid),
			     params->mp_mode & 0777, pool, &unit);
	if (rc) {
		mp_deactivate(pool);
		goto out_put;
	}
	pool->owner = unit;
	return 0;

out_put:
	module_put(THIS_MODULE);
	return rc;
}

/*
 * Detach a pool from its node and deactivate it.  A pool in use (open
 * files, live mcache maps) is EBUSY, unless @force: then files still open
 * on the node get ENODEV from now on, and maps are revoked (SIGBUS).
 */
static int mpc_pool_deactivate(struct mpool *pool, bool force)
{
	struct mpc_unit *unit = pool->owner;

	/* A live mcache map counts as an open file (mcache.h). */
	mutex_lock(&unit->open_lock);
	if (!force && (unit->open_count || mcache_pool_busy(pool))) {
		mutex_unlock(&unit->open_lock);
		return -EBUSY;
	}
	unit->dead = true;
	mutex_unlock(&unit->open_lock);

	/* Wait out every command in flight on the pool, then revoke its maps. */
	down_write(&unit->io_lock);
	WRITE_ONCE(unit->pool, NULL);
	up_write(&unit->io_lock);
	mcache_pool_detach(pool);

	if (force && unit->open_count)
		pr_warn("pool %s: forced down with %u open file(s)\n", pool->name,
			unit->open_count);
	mpc_unit_destroy(unit);
	mp_deactivate(pool);
	module_put(THIS_MODULE);
	return 0;
}

/*
 * A name a pool may take (create, activate, rename): mp_name_check()'s
 * rule, and not the name of the class's own device, whose sysfs directory
 * it would collide with.
 */
static int mpc_pool_name_check(const char *name, size_t size)
{
	int rc = mp_name_check(name, size);

	if (!rc && !strcmp(name, MPC_DEV_CTLNAME))
		rc = -EINVAL;
	return rc;
}

/* MP_CREATE, MP_ACTIVATE, MP_DESTROY and MP_RENAME (control node). */
static int mpc_mp_cmd(struct mpc_unit *unit, struct file *file, unsigned int cmd, void *arg)
{
	struct mpioc_mpool *mpi = arg;
	struct mpool_params *params = &mpi->mp_params;
	bool force = mpi->mp_flags & BIT(MP_FLAGS_FORCE);
	struct mp_devlist dl;
	struct mpool *pool;
	int rc;

	/* Destroy may name a pool an older module let in; the rest set a name. */
	if (cmd == MPIOC_MP_DESTROY)
		rc = mp_name_ref_check(params->mp_name, sizeof(params->mp_name));
	else
		rc = mpc_pool_name_check(params->mp_name, sizeof(params->mp_name));
	if (rc)
		return rc;
	rc = mpc_devlist_get(&dl, mpi->mp_dpathc, mpi->mp_dpathssz, mpi->mp_dpaths,
			     mpi->mp_pd_prop);
	if (rc)
		return rc;
	if (!mpi->mp_pd_prop) {
		rc = -EINVAL;
		goto out_free;
	}

	mutex_lock(&mpc.mgmt);
	pool = mp_find(params->mp_name);
	switch (cmd) {
	case MPIOC_MP_CREATE:
		if (pool) {
			rc = -EEXIST;
			break;
		}
		rc = mp_create(params, mpi->mp_flags, &dl);
		if (rc)
			break;
		rc = mpc_pool_activate(params, 0, &dl);
		if (rc)
			mp_destroy(params->mp_name, BIT(MP_FLAGS_FORCE), &dl);
		break;

	case MPIOC_MP_ACTIVATE:
		/* Already active under this name: nothing to do, as in 1.9.0. */
		if (pool)
			mp_params_get(pool, params);
		else
			rc = mpc_pool_activate(params, mpi->mp_flags, &dl);
		break;

	case MPIOC_MP_DESTROY:
		/*
		 * Check first, act after: an active pool is taken down only if
		 * the devices named are its own, and it may be (idle, or force).
		 */
		if (pool)
			rc = mp_devlist_match(pool, &dl) ?: mpc_pool_deactivate(pool, force);
		if (!rc)
			rc = mp_destroy(params->mp_name, mpi->mp_flags, &dl);
		break;

	case MPIOC_MP_RENAME:
		rc = pool ? -EEXIST : mp_rename(params->mp_name, mpi->mp_flags, &dl);
		break;

	default:
		rc = -ENOTTY;
	}
	mutex_unlock(&mpc.mgmt);

	/* Only the documented fields go back; reserved ones are zero. */
	mpi->mp_rsvd1 = 0;
	mpi->mp_rsvd2 = 0;
out_free:
	kfree(dl.path[0]);
	return rc;
}

static int mpc_mp_deactivate(struct mpc_unit *unit, struct file *file, unsigned int cmd,
			     void *arg)
{
	struct mpioc_mpool *mpi = arg;
	struct mpool *pool;
	int rc;

	rc = mp_name_ref_check(mpi->mp_params.mp_name, sizeof(mpi->mp_params.mp_name));
	if (rc)
		return rc;

	mutex_lock(&mpc.mgmt);
	pool = mp_find(mpi->mp_params.mp_name);
	rc = pool ? mpc_pool_deactivate(pool, false) : -ENXIO;
	mutex_unlock(&mpc.mgmt);
	return rc;
}

static int mpc_params_get(struct mpc_unit *unit, struct file *file, unsigned int cmd,
			  void *arg)
{
	struct mpioc_params *p = arg;

	mp_params_get(unit->pool, &p->mps_params);
	return 0;
}

/*
 * New owner or mode for the node: devtmpfs at the next activation, udev now.
 * The change is already durable when this runs, so the CHANGE event is a
 * notification and cannot fail the command: an event that cannot be sent
 * (kobject_uevent() allocates) is logged, and udev applies the new owner at
 * the node's next event instead.
 */
static void mpc_unit_owner_set(struct mpc_unit *unit, const struct mpool_params *p)
{
	int rc;

	mutex_lock(&unit->open_lock);
	unit->uid = make_kuid(&init_user_ns, p->mp_uid);
	unit->gid = make_kgid(&init_user_ns, p->mp_gid);
	unit->mode = p->mp_mode & 0777;
	mutex_unlock(&unit->open_lock);

	rc = kobject_uevent(&unit->dev.kobj, KOBJ_CHANGE);
	if (rc)
		dev_notice_ratelimited(&unit->dev,
				       "cannot tell udev of the new owner and mode (%d)\n", rc);
}

static int mpc_params_set(struct mpc_unit *unit, struct file *file, unsigned int cmd,
			  void *arg)
{
	struct mpioc_params *p = arg;
	int rc;

	rc = mp_params_set(unit->pool, &p->mps_params);
	if (!rc)
		mpc_unit_owner_set(unit, &p->mps_params);
	return rc;
}

static int mpc_mclass_get(struct mpc_unit *unit, struct file *file, unsigned int cmd,
			  void *arg)
{
	struct mpioc_mclass *m = arg;
	struct mpool_mclass_xprops *xv = NULL;
	u32 max = 0, n;
	int rc = 0;

	if (m->mcl_xprops && m->mcl_cnt) {
		max = min_t(u32, m->mcl_cnt, MP_MED_NUMBER);
		xv = kcalloc(max, sizeof(*xv), GFP_KERNEL);
		if (!xv)
			return -ENOMEM;
	}

	n = mp_mclass_get(unit->pool, xv, max);
	if (xv) {
		n = min(n, max);
		if (copy_to_user(m->mcl_xprops, xv, n * sizeof(*xv)))
			rc = -EFAULT;
		kfree(xv);
	}
	m->mcl_cnt = n;
	m->mcl_rsvd1 = 0;
	return rc;
}

static int mpc_drv_add(struct mpc_unit *unit, struct file *file, unsigned int cmd, void *arg)
{
	struct mpioc_drive *drv = arg;
	struct mp_devlist dl;
	int rc;

	if (drv->drv_dpathc != 1 || !drv->drv_pd_prop)
		return -EINVAL;
	rc = mpc_devlist_get(&dl, 1, drv->drv_dpathssz, drv->drv_dpaths, drv->drv_pd_prop);
	if (rc)
		return rc;

	rc = mp_drive_add(unit->pool, drv->drv_flags, dl.path[0], &dl.prop[0]);
	kfree(dl.path[0]);
	return rc;
}

/*
 * DRV_SPARES, which 1.9.0 defined and never handled: set the spare percent
 * (drv_rsvd1, 0..100) of the media class of the one device named.
 */
static int mpc_drv_spares(struct mpc_unit *unit, struct file *file, unsigned int cmd,
			  void *arg)
{
	struct mpioc_drive *drv = arg;
	struct mp_devlist dl;
	const char *base;
	int rc;

	if (drv->drv_dpathc != 1)
		return -EINVAL;
	rc = mpc_devlist_get(&dl, 1, drv->drv_dpathssz, drv->drv_dpaths, NULL);
	if (rc)
		return rc;

	base = strrchr(dl.path[0], '/');
	rc = mp_spare_set(unit->pool, base ? base + 1 : dl.path[0], drv->drv_rsvd1);
	kfree(dl.path[0]);
	return rc;
}

/*
 * PROP_GET: on the control node, every active pool (PROP_LIST); on a pool
 * node, that pool.  ls_listc is the room at ls_listv in, the count out.
 */
static int mpc_prop_get(struct mpc_unit *unit, struct file *file, unsigned int cmd, void *arg)
{
	struct mpioc_list *ls = arg;
	struct mpioc_prop *props;
	u32 max, n;
	int rc = 0;

	if (!ls->ls_listc)
		return -EINVAL;
	if (unit->ctl && ls->ls_cmd != MPIOC_LIST_CMD_PROP_LIST)
		return -EINVAL;
	if (!unit->ctl && ls->ls_cmd != MPIOC_LIST_CMD_PROP_GET &&
	    ls->ls_cmd != MPIOC_LIST_CMD_PROP_LIST)
		return -EINVAL;

	max = unit->ctl ? min(ls->ls_listc, mpool_maxunits) : 1;
	props = kvcalloc(max, sizeof(*props), GFP_KERNEL);
	if (!props)
		return -ENOMEM;

	if (unit->ctl) {
		n = mp_list_props(props, max);
	} else {
		mp_props_get(unit->pool, props);
		n = 1;
	}

	/* Copy out with no lock held: the user's page may fault. */
	if (n && copy_to_user(ls->ls_listv, props, n * sizeof(*props)))
		rc = -EFAULT;
	ls->ls_listc = n;
	kvfree(props);
	return rc;
}

/*
 * PROP_SET, which 1.9.0 defined and never handled: one mpioc_prop whose
 * ppx_params are applied as PARAMS_SET applies them, and whose
 * ppx_drive_spares set the spare percent per media class (0xff: keep).
 */
static int mpc_prop_set(struct mpc_unit *unit, struct file *file, unsigned int cmd, void *arg)
{
	struct mpioc_list *ls = arg;
	struct mpioc_prop *prop;
	struct mpool_params *p;
	int rc;

	if (ls->ls_listc != 1)
		return -EINVAL;

	prop = memdup_user(ls->ls_listv, sizeof(*prop));
	if (IS_ERR(prop))
		return PTR_ERR(prop);

	p = &prop->pr_xprops.ppx_params;
	p->mp_spare_cap = prop->pr_xprops.ppx_drive_spares[MP_MED_CAPACITY];
	p->mp_spare_stg = prop->pr_xprops.ppx_drive_spares[MP_MED_STAGING];
	rc = mp_params_set(unit->pool, p);
	if (!rc)
		mpc_unit_owner_set(unit, p);
	kfree(prop);
	return rc;
}

static int mpc_devprops_get(struct mpc_unit *unit, struct file *file, unsigned int cmd,
			    void *arg)
{
	struct mpioc_devprops *d = arg;
	char name[PD_NAMESZ_MAX];

	if (strscpy(name, d->dpr_pdname, sizeof(name)) < 0)
		return -ENAMETOOLONG;
	return mp_devprops_get(unit->pool, name, &d->dpr_devprops);
}

/* Mblocks.  The argument structs carry only user pointers and ids here. */

static int mpc_mb_alloc(struct mpc_unit *unit, struct file *file, unsigned int cmd, void *arg)
{
	struct mpioc_mblock *mb = arg;
	u8 mclass = mb->mb_mclassp;
	int rc;

	rc = mblock_alloc(unit->pool, mclass, mb->mb_spare, &mb->mb_objid, &mb->mb_props);
	mb->mb_offset = 0;
	mb->mb_rsvd1 = 0;
	mb->mb_rsvd2 = 0;
	mb->mb_rsvd3 = 0;
	return rc;
}

static void mpc_mb_alloc_undo(struct mpc_unit *unit, void *arg)
{
	const struct mpioc_mblock *mb = arg;

	/* Fails only if someone else committed the id meanwhile: theirs now. */
	mblock_abort(unit->pool, mb->mb_objid);
}

static int mpc_mb_find(struct mpc_unit *unit, struct file *file, unsigned int cmd, void *arg)
{
	struct mpioc_mblock *mb = arg;

	mb->mb_rsvd1 = 0;
	mb->mb_rsvd2 = 0;
	mb->mb_rsvd3 = 0;
	return mblock_find(unit->pool, mb->mb_objid, &mb->mb_props);
}

static int mpc_mb_id(struct mpc_unit *unit, struct file *file, unsigned int cmd, void *arg)
{
	struct mpioc_mblock_id *mi = arg;

	switch (cmd) {
	case MPIOC_MB_COMMIT:
		return mblock_commit(unit->pool, mi->mi_objid);
	case MPIOC_MB_ABORT:
		return mblock_abort(unit->pool, mi->mi_objid);
	case MPIOC_MB_DELETE:
		return mblock_delete(unit->pool, mi->mi_objid);
	}
	return -ENOTTY;
}

static int mpc_mb_rw(struct mpc_unit *unit, struct file *file, unsigned int cmd, void *arg)
{
	struct mpioc_mblock_rw *rw = arg;

	if (cmd == MPIOC_MB_WRITE)
		return mblock_write(unit->pool, rw->mb_objid, rw->mb_iov, rw->mb_iov_cnt);
	return mblock_read(unit->pool, rw->mb_objid, rw->mb_iov, rw->mb_iov_cnt, rw->mb_offset);
}

/* Mlogs */

static int mpc_mlog_alloc(struct mpc_unit *unit, struct file *file, unsigned int cmd,
			  void *arg)
{
	struct mpioc_mlog *ml = arg;
	int rc;

	rc = mlog_alloc(unit->pool, ml->ml_mclassp, &ml->ml_cap, &ml->ml_objid, &ml->ml_props);
	ml->ml_rsvd = 0;
	ml->ml_rsvd2 = 0;
	memset(ml->ml_rsvd1, 0, sizeof(ml->ml_rsvd1));
	return rc;
}

static void mpc_mlog_alloc_undo(struct mpc_unit *unit, void *arg)
{
	const struct mpioc_mlog *ml = arg;

	/* Fails only if someone else committed the id meanwhile: theirs now. */
	mlog_abort(unit->pool, ml->ml_objid);
}

/* MLOG_FIND and MLOG_PROPS, one handler as in 1.9.0. */
static int mpc_mlog_find(struct mpc_unit *unit, struct file *file, unsigned int cmd, void *arg)
{
	struct mpioc_mlog *ml = arg;

	ml->ml_rsvd = 0;
	ml->ml_rsvd2 = 0;
	memset(ml->ml_rsvd1, 0, sizeof(ml->ml_rsvd1));
	return mlog_find(unit->pool, ml->ml_objid, &ml->ml_props);
}

static int mpc_mlog_id(struct mpc_unit *unit, struct file *file, unsigned int cmd, void *arg)
{
	struct mpioc_mlog_id *mi = arg;

	memset(mi->mi_rsvd1, 0, sizeof(mi->mi_rsvd1));
	switch (cmd) {
	case MPIOC_MLOG_COMMIT:
		return mlog_commit(unit->pool, mi->mi_objid, &mi->mi_gen, &mi->mi_state);
	case MPIOC_MLOG_ERASE:
		return mlog_erase(unit->pool, mi->mi_objid, mi->mi_gen, &mi->mi_gen,
				  &mi->mi_state);
	case MPIOC_MLOG_ABORT:
		return mlog_abort(unit->pool, mi->mi_objid);
	case MPIOC_MLOG_DELETE:
		return mlog_delete(unit->pool, mi->mi_objid);
	}
	return -ENOTTY;
}

/*
 * MLOG_READ and MLOG_WRITE: mi_op decides the direction, whichever of the
 * two carried it (as in 1.9.0).  A write needs a file opened for writing,
 * even when it arrives as MLOG_READ.
 */
static int mpc_mlog_rw(struct mpc_unit *unit, struct file *file, unsigned int cmd, void *arg)
{
	struct mpioc_mlog_io *io = arg;

	if (io->mi_op > 1)
		return -EINVAL;
	if (io->mi_op == 1 && !(file->f_mode & FMODE_WRITE))
		return -EINVAL;
	if (io->mi_op == 1 && mp_fenced(unit->pool))
		return -EROFS;
	return mlog_rw(unit->pool, io->mi_objid, io->mi_op == 1, io->mi_iov, io->mi_iovc,
		       io->mi_off);
}

/* mcache maps: mcache.c has the rules. */
static int mpc_vma_cmd(struct mpc_unit *unit, struct file *file, unsigned int cmd, void *arg)
{
	struct mpioc_vma *v = arg;

	switch (cmd) {
	case MPIOC_VMA_CREATE:
		return mcache_create(unit->pool, v);
	case MPIOC_VMA_DESTROY:
		return mcache_destroy(unit->pool, v);
	case MPIOC_VMA_PURGE:
		return mcache_purge(unit->pool, v);
	case MPIOC_VMA_VRSS:
		return mcache_vrss(unit->pool, v);
	}
	return -ENOTTY;
}

static void mpc_vma_create_undo(struct mpc_unit *unit, void *arg)
{
	/* Never mmapped: DESTROY frees it. */
	mcache_destroy(unit->pool, arg);
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
	{ MPIOC_MP_CREATE,     CTL_ADMIN,                   mpc_mp_cmd },
	{ MPIOC_MP_DESTROY,    CTL_ADMIN,                   mpc_mp_cmd },
	{ MPIOC_MP_ACTIVATE,   CTL_ADMIN,                   mpc_mp_cmd },
	{ MPIOC_MP_DEACTIVATE, CTL_ADMIN,                   mpc_mp_deactivate },
	{ MPIOC_MP_RENAME,     CTL_ADMIN,                   mpc_mp_cmd },
	{ MPIOC_PARAMS_GET,    POOL_RDONLY,                 mpc_params_get },
	{ MPIOC_PARAMS_SET,    POOL_ADMIN,                  mpc_params_set },
	{ MPIOC_MP_MCLASS_GET, POOL_RDONLY,                 mpc_mclass_get },
	{ MPIOC_DRV_ADD,       POOL_ADMIN,                  mpc_drv_add },
	{ MPIOC_DRV_SPARES,    POOL_ADMIN,                  mpc_drv_spares },
	{ MPIOC_PROP_GET,      MPC_IOC_CTL | POOL_RDONLY,   mpc_prop_get },
	{ MPIOC_PROP_SET,      POOL_ADMIN,                  mpc_prop_set },
	{ MPIOC_DEVPROPS_GET,  POOL_RDONLY,                 mpc_devprops_get },
	{ MPIOC_MLOG_ALLOC,    MPC_IOC_POOL,                mpc_mlog_alloc, mpc_mlog_alloc_undo },
	{ MPIOC_MLOG_COMMIT,   MPC_IOC_POOL,                mpc_mlog_id },
	{ MPIOC_MLOG_ABORT,    MPC_IOC_POOL,                mpc_mlog_id },
	{ MPIOC_MLOG_DELETE,   MPC_IOC_POOL,                mpc_mlog_id },
	{ MPIOC_MLOG_FIND,     POOL_RDONLY,                 mpc_mlog_find },
	{ MPIOC_MLOG_READ,     POOL_RDONLY,                 mpc_mlog_rw },
	{ MPIOC_MLOG_WRITE,    MPC_IOC_POOL,                mpc_mlog_rw },
	{ MPIOC_MLOG_PROPS,    POOL_RDONLY,                 mpc_mlog_find },
	{ MPIOC_MLOG_ERASE,    MPC_IOC_POOL,                mpc_mlog_id },
	{ MPIOC_MB_ALLOC,      MPC_IOC_POOL,                mpc_mb_alloc, mpc_mb_alloc_undo },
	{ MPIOC_MB_ABORT,      MPC_IOC_POOL,                mpc_mb_id },
	{ MPIOC_MB_COMMIT,     MPC_IOC_POOL,                mpc_mb_id },
	{ MPIOC_MB_DELETE,     MPC_IOC_POOL,                mpc_mb_id },
	{ MPIOC_MB_FIND,       POOL_RDONLY,                 mpc_mb_find },
	{ MPIOC_MB_READ,       POOL_RDONLY,                 mpc_mb_rw },
	{ MPIOC_MB_WRITE,      MPC_IOC_POOL,                mpc_mb_rw },
	{ MPIOC_VMA_CREATE,    MPC_IOC_POOL,                mpc_vma_cmd, mpc_vma_create_undo },
	{ MPIOC_VMA_DESTROY,   MPC_IOC_POOL,                mpc_vma_cmd },
	{ MPIOC_VMA_PURGE,     MPC_IOC_POOL,                mpc_vma_cmd },
	{ MPIOC_VMA_VRSS,      POOL_RDONLY,                 mpc_vma_cmd },
};

/*
 * Whether a pool command changes what the pool holds: what a fenced pool
 * (mp_fenced(): a metadata write failed) refuses with EROFS until it is
 * deactivated.  Reads, maps of committed mblocks and their purges go on.
 */
static bool mpc_ioc_changes(const struct mpc_ioc *ioc)
{
	switch (ioc->cmd) {
	case MPIOC_VMA_CREATE:
	case MPIOC_VMA_DESTROY:
	case MPIOC_VMA_PURGE:
		return false;
	}
	return !(ioc->flags & MPC_IOC_RDONLY);
}

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

/*
 * Run a handler and copy its result out.  A command that changes state and
 * returns data must not act when its result cannot reach the caller: its
 * argument is written back unchanged first, so a read-only or unmapped
 * buffer is EFAULT before anything happens.  Should the buffer go away
 * between that probe and the copy-out (another thread's munmap or
 * mprotect), an allocation is undone; any other change stands, and the
 * caller gets EFAULT (README, "ioctl notes").
 */
static int mpc_ioc_call(struct mpc_unit *unit, struct file *file, const struct mpc_ioc *ioc,
			void *karg, void __user *uarg, size_t size)
{
	bool out = _IOC_DIR(ioc->cmd) & _IOC_READ;
	int rc;

	if (out && !(ioc->flags & MPC_IOC_RDONLY) && copy_to_user(uarg, karg, size))
		return -EFAULT;

	rc = ioc->handler(unit, file, ioc->cmd, karg);
	if (rc || !out)
		return rc;

	if (copy_to_user(uarg, karg, size)) {
		if (ioc->undo)
			ioc->undo(unit, karg);
		return -EFAULT;
	}
	return 0;
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

	if (unit->ctl) {
		rc = mpc_ioc_call(unit, file, ioc, karg, uarg, size);
	} else {
		down_read(&unit->io_lock);
		if (!unit->pool)
			rc = -ENODEV;
		else if (mpc_ioc_changes(ioc) && mp_fenced(unit->pool))
			rc = -EROFS;
		else
			rc = mpc_ioc_call(unit, file, ioc, karg, uarg, size);
		up_read(&unit->io_lock);
	}

out_free:
	if (karg != stack)
		kfree(karg);

	return rc;
}

/*
 * A pool node opened O_EXCL excludes every other open, and an O_EXCL open
 * fails while the node is open: EBUSY, or EWOULDBLOCK with O_NONBLOCK.
 */
static int mpc_pool_open(struct mpc_unit *unit, struct file *file)
{
	bool excl = file->f_flags & O_EXCL;
	int rc = 0;

	mutex_lock(&unit->open_lock);
	if (unit->dead)
		rc = -ENODEV;
	else if (unit->open_count && (excl || unit->excl))
		rc = (file->f_flags & O_NONBLOCK) ? -EWOULDBLOCK : -EBUSY;
	else
		unit->open_count++;
	if (!rc && excl)
		unit->excl = true;
	mutex_unlock(&unit->open_lock);
	return rc;
}

static int mpc_open(struct inode *inode, struct file *file)
{
	struct mpc_unit *unit;
	int rc;

	mutex_lock(&mpc.lock);
	unit = idr_find(&mpc.units, iminor(inode));
	if (unit)
		get_device(&unit->dev);
	mutex_unlock(&mpc.lock);

	if (!unit)
		return -ENODEV;

	if (!unit->ctl) {
		rc = mpc_pool_open(unit, file);
		if (rc) {
			put_device(&unit->dev);
			return rc;
		}
	}

	file->private_data = unit;
	return nonseekable_open(inode, file);
}

/* The last close of a pool node takes the maps never mmapped with it (1.9.0). */
static int mpc_release(struct inode *inode, struct file *file)
{
	struct mpc_unit *unit = file->private_data;
	bool last = false;

	if (!unit->ctl) {
		mutex_lock(&unit->open_lock);
		if (!--unit->open_count) {
			unit->excl = false;
			last = true;
		}
		mutex_unlock(&unit->open_lock);
	}
	if (last) {
		down_read(&unit->io_lock);
		if (unit->pool)
			mcache_pool_idle(unit->pool);
		up_read(&unit->io_lock);
	}
	put_device(&unit->dev);
	return 0;
}

/* Only pool nodes map anything: the control node has no mcache (EINVAL, as 1.9.0). */
static int mpc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mpc_unit *unit = file->private_data;

	if (unit->ctl)
		return -EINVAL;
	return mcache_mmap(&unit->pool, vma);
}

static int mpc_fadvise(struct file *file, loff_t off, loff_t len, int advice)
{
	struct mpc_unit *unit = file->private_data;

	if (unit->ctl)
		return -EINVAL;
	return mcache_fadvise(&unit->pool, off, len, advice);
}

static const struct file_operations mpc_fops = {
	.owner		= THIS_MODULE,
	.open		= mpc_open,
	.release	= mpc_release,
	.unlocked_ioctl	= mpc_ioctl,
	.mmap		= mpc_mmap,
	.fadvise	= mpc_fadvise,
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

/*
 * The udev rule (scripts/udev/) wants DEVUID, DEVGID and DEVMODE in every
 * uevent.  The driver core adds DEVMODE, and DEVUID/DEVGID unless they are
 * root, from mpc_devnode(); add the root ones it leaves out.
 */
static int mpc_uevent(MPOOL_UEVENT_CONST struct device *dev, struct kobj_uevent_env *env)
{
	const struct mpc_unit *unit = dev_to_unit(dev);
	int rc = 0;

	if (uid_eq(unit->uid, GLOBAL_ROOT_UID))
		rc = add_uevent_var(env, "DEVUID=0");
	if (!rc && gid_eq(unit->gid, GLOBAL_ROOT_GID))
		rc = add_uevent_var(env, "DEVGID=0");
	return rc;
}

static const struct device_type mpc_unit_type = {
	.name		= "mpool_unit",
	.devnode	= mpc_devnode,
	.uevent		= mpc_uevent,
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
				    kgid_t gid, umode_t mode, struct mpool *pool,
				    struct mpc_unit **unitp)
{
	struct mpc_unit *unit;
	int minor, rc;

	unit = kzalloc(sizeof(*unit), GFP_KERNEL);
	if (!unit)
		return -ENOMEM;

	unit->ctl = ctl;
	unit->pool = pool;
	mutex_init(&unit->open_lock);
	init_rwsem(&unit->io_lock);
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
	/* Created with the node, before its uevent: udev sees them at once. */
	unit->dev.groups = ctl ? mpool_ctl_groups : mpool_pool_groups;

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

/* A pool node's pool, as a command sees it (under io_lock, shared). */
struct mpool *mpc_dev_pool_get(struct device *dev)
{
	struct mpc_unit *unit = dev_to_unit(dev);

	down_read(&unit->io_lock);
	return unit->pool;
}

void mpc_dev_pool_put(struct device *dev)
{
	up_read(&dev_to_unit(dev)->io_lock);
}

void mpc_dev_owner(struct device *dev, u32 *uid, u32 *gid, u32 *mode)
{
	struct mpc_unit *unit = dev_to_unit(dev);

	mutex_lock(&unit->open_lock);
	*uid = from_kuid(&init_user_ns, unit->uid);
	*gid = from_kgid(&init_user_ns, unit->gid);
	*mode = unit->mode;
	mutex_unlock(&unit->open_lock);
}

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
	mutex_init(&mpc.mgmt);
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
			     mpc_ctl_mode & 0777, NULL, &mpc.ctl);
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
	/*
	 * Open files and active pools hold module references, so no pool unit
	 * is left and the control unit is idle.
	 */
	mpc_unit_destroy(mpc.ctl);
	mpc.ctl = NULL;

	cdev_del(&mpc.cdev);
	class_destroy(mpc.class);
	unregister_chrdev_region(mpc.devno, mpool_maxunits);

	WARN_ON(!idr_is_empty(&mpc.units));
	idr_destroy(&mpc.units);
}
