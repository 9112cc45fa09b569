// SPDX-License-Identifier: GPL-2.0-only
/*
 * mp: pool lifecycle.  Create, activate, deactivate, destroy and rename;
 * the registry of active pools is mp_registry.c, what an active pool
 * reports and changes is mp_props.c (mp_private.h joins the three).
 *
 * Create writes a pool to one device: MDC-1..N, then MDC-0 (the pool's
 * configuration, its device, spares and the MDC locations), then the
 * superblocks, each step durable before the next.  Until the superblocks
 * are written no pool exists; a crash before that leaves only unreferenced
 * zones.  The pool is then activated from media like any other, so create
 * and activate share one path for reading a pool.
 *
 * Activation reads the superblocks of the devices it is given, checks that
 * they describe one pool of the requested name, replays MDC-0, checks the
 * devices against it, rebuilds the space maps from everything MDC-0 says is
 * allocated and loads MDC-1..N.  A device whose superblock copy 0 was
 * unusable gets it rewritten from copy 1.  Only then does the pool enter
 * the registry; deactivation takes it out first.
 *
 * Destroy and rename work on pools that are not active: they read the
 * superblocks, check them, and erase or rewrite them.
 *
 * Locking: mpctl's management lock serializes everything here (mp.h).  A
 * pool being activated is private to its activation until it enters the
 * registry, except mp->lock, taken where the pool's metadata changes
 * (activate's overrides) so that the rules of mp_props.c hold throughout.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uuid.h>

#include "init.h"
#include "mp_private.h"

#define MP_MDC0CAP_MIN		(32ULL << 20)
#define MP_MDCNCAP_MIN		(8ULL << 20)
#define MP_ROOT_OID1		0x201
#define MP_ROOT_OID2		0x1201
#define MP_ZONE_MAX		BIT_ULL(30)

/* Names */

/*
 * A name that refers to a pool: 1..31 bytes, NUL terminated within @size.
 * Enough to find or destroy a pool, whatever name an older module gave it.
 */
int mp_name_ref_check(const char *name, size_t size)
{
	size_t len = strnlen(name, size);

	if (!len)
		return -EINVAL;
	return len < MPOOL_NAMESZ_MAX ? 0 : -ENAMETOOLONG;
}

/* ASCII only: the kernel's isalnum() also accepts Latin-1 letters. */
static bool mp_name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
		return true;
	return !first && (c == '.' || c == '-');
}

/*
 * A name a pool may be given (create, activate, rename): 1..31 bytes of
 * [A-Za-z0-9_.-] whose first byte is not '.' or '-'.  It names the device
 * node and the sysfs directory, so "." and ".." and non-UTF-8 bytes are out.
 */
int mp_name_check(const char *name, size_t size)
{
	size_t len, i;
	int rc;

	rc = mp_name_ref_check(name, size);
	if (rc)
		return rc;
	len = strlen(name);
	for (i = 0; i < len; i++)
		if (!mp_name_char(name[i], i == 0))
			return -EINVAL;
	return 0;
}

/* Devices joining a pool (create, drive add) */

static int mp_dev_check(struct pd_dev *pd, const struct pd_prop *prop)
{
	if (pd->lbs > OMF_BLK_SIZE) {
		pr_err("%s: logical block size %u is above %u\n", pd->name, pd->lbs, OMF_BLK_SIZE);
		return -EINVAL;
	}
	if (prop->pdp_devtype != PD_DEV_TYPE_BLOCK_STD &&
	    prop->pdp_devtype != PD_DEV_TYPE_BLOCK_NVDIMM) {
		pr_err("%s: device type %u is not a block device\n", pd->name, prop->pdp_devtype);
		return -EINVAL;
	}
	return 0;
}

/* Zone geometry from userland's proposal, checked against the device. */
static int mp_geometry(struct pd_dev *pd, const struct pd_prop *prop, u32 *zonepg, u32 *zonetot)
{
	u64 zone = mp_zone_bytes(prop->pdp_zparam.dvb_zonepg);
	u64 fit;

	if (!zone || zone > MP_ZONE_MAX) {
		pr_err("%s: zone of %u pages is out of range\n", pd->name,
		       prop->pdp_zparam.dvb_zonepg);
		return -EINVAL;
	}
	fit = min_t(u64, div64_u64(pd->size, zone), U32_MAX);
	if (prop->pdp_zparam.dvb_zonetot > fit) {
		pr_err("%s: %u zones do not fit in %llu bytes\n", pd->name,
		       prop->pdp_zparam.dvb_zonetot, pd->size);
		return -EINVAL;
	}
	*zonepg = prop->pdp_zparam.dvb_zonepg;
	*zonetot = prop->pdp_zparam.dvb_zonetot ?: fit;
	if (*zonetot <= sb_zones(*zonepg))
		return -ENOSPC;
	return 0;
}

/*
 * A device joining @mp must share no media with those it has.  Opens with
 * one holder do not exclude each other, so the exclusive open alone would
 * let the pool take its own device again (under any name), or a disk and
 * one of its partitions.
 */
static int mp_dev_new_to(const struct mpool *mp, const struct pd_dev *pd, const char *path)
{
	int c;

	for (c = 0; mp && c < MP_MED_NUMBER; c++) {
		if (mp->dev[c].present && pd_overlaps(&mp->dev[c].pd, pd)) {
			pr_err("pool %s: %s is already one of its devices (%s)\n", mp->name,
			       path, mp->dev[c].pd.name);
			return -EEXIST;
		}
	}
	return 0;
}

/*
 * Open a device that is to join a pool (create, or drive add to @mp) for
 * @holder and check it: not already in @mp, usable geometry, and no mpool
 * superblock unless @flags force.  On failure the device is closed again.
 */
int mp_dev_admit(struct pd_dev *pd, const char *path, void *holder,
		 const struct mpool *mp, const struct pd_prop *prop, u32 flags,
		 u32 *zonepg, u32 *zonetot)
{
	int rc;

	rc = pd_open(pd, path, holder);
	if (rc)
		return rc;

	rc = mp_dev_new_to(mp, pd, path) ?: mp_dev_check(pd, prop) ?:
	     mp_geometry(pd, prop, zonepg, zonetot);
	if (!rc)
		rc = sb_present(pd);
	if (rc > 0 && !mp_force(flags)) {
		pr_info("%s already holds an mpool superblock\n", pd->name);
		rc = -EBUSY;
	}
	if (rc < 0) {
		pd_close(pd);
		return rc;
	}
	return 0;
}

void mp_sb_new(struct sb_info *sb, const char *name, const u8 *poolid,
	       struct pd_dev *pd, const struct pd_prop *prop, u8 mclass,
	       u32 zonepg, u32 zonetot)
{
	memset(sb, 0, sizeof(*sb));
	strscpy(sb->name, name, sizeof(sb->name));
	memcpy(sb->poolid, poolid, sizeof(sb->poolid));
	sb->gen = 1;
	generate_random_uuid(sb->dev.devid);
	sb->dev.mclass = mclass;
	sb->dev.devtype = prop->pdp_devtype;
	sb->dev.sectorsz = ilog2(pd->lbs);
	sb->dev.zonepg = zonepg;
	sb->dev.zonetot = zonetot;
	sb->dev.devsz = pd->size;
	sb->dev.features = OMF_FEAT_MLOG | OMF_FEAT_MBLOCK;
}

/* Create */

/* Write an empty MDC (its first complete snapshot) at @zaddr/@zcnt on @pd. */
static int mp_format_mdc(struct pd_dev *pd, u64 zone, const u8 *poolid, u32 index,
			 const u64 zaddr[2], const u32 zcnt[2],
			 mdc_snapshot_fn *snapshot, void *arg)
{
	struct mdc *mdc;
	int rc;

	mdc = kzalloc(sizeof(*mdc), GFP_KERNEL);
	if (!mdc)
		return -ENOMEM;

	rc = mdc_init(mdc, pd, zone, poolid, index, zaddr, zcnt, snapshot, arg);
	if (!rc) {
		rc = mdc_format(mdc);
		mdc_destroy(mdc);
	}
	kfree(mdc);
	return rc;
}

/* Format MDC-1..N, then MDC-0 (which lists them). */
static int mp_format_mdcs(struct pd_dev *pd, const struct sb_info *sb, struct pmd_state *st)
{
	u64 zone = mp_zone_bytes(sb->dev.zonepg);
	int i, rc;

	for (i = 0; i < st->nmdc; i++) {
		rc = mp_format_mdc(pd, zone, sb->poolid, i + 1, st->mdc[i].zaddr,
				   st->mdc[i].zcnt, NULL, NULL);
		if (rc)
			return rc;
	}
	return mp_format_mdc(pd, zone, sb->poolid, 0, sb->mdc0_zaddr, sb->mdc0_zcnt,
			     pmd_snapshot, st);
}

/**
 * struct mp_layout - where create puts the metadata of a new pool
 * @zonepg:  zone size, in OMF_BLK_SIZE pages
 * @zonetot: zones on the device
 * @zone:    zone size, bytes
 * @sbz:     zones the superblocks take, at zone 0
 * @mdc0cap: bytes asked for each of MDC-0's logs
 * @mdcncap: bytes asked for each log of MDC-1..N
 * @z0:      zones in each of MDC-0's logs (right after the superblocks)
 * @zn:      zones in each log of MDC-1..N (from the space map)
 * @nmdc:    MDC-1..N
 */
struct mp_layout {
	u32	zonepg;
	u32	zonetot;
	u64	zone;
	u32	sbz;
	u64	mdc0cap;
	u64	mdcncap;
	u32	z0;
	u32	zn;
	u16	nmdc;
};

/* Size the metadata @params asks for; ENOSPC if it does not fit. */
static int mp_create_layout(const struct mpool_params *params, const struct pd_dev *pd,
			    struct mp_layout *l)
{
	u64 need;

	l->zone = mp_zone_bytes(l->zonepg);
	l->sbz = sb_zones(l->zonepg);
	l->mdc0cap = params->mp_mdc0cap ? (u64)params->mp_mdc0cap << 20 :
					  max(l->zone, MP_MDC0CAP_MIN);
	l->mdcncap = params->mp_mdcncap ? (u64)params->mp_mdcncap << 20 :
					  max(l->zone, MP_MDCNCAP_MIN);
	l->z0 = DIV_ROUND_UP_ULL(l->mdc0cap, l->zone);
	l->zn = DIV_ROUND_UP_ULL(l->mdcncap, l->zone);
	l->nmdc = params->mp_mdcnum ?: MPOOL_MDCNUM_DEFAULT;
	need = l->sbz + 2ULL * l->z0 + 2ULL * l->nmdc * l->zn;
	if (need > l->zonetot) {
		pr_err("%s: %llu zones of metadata do not fit in %u zones\n", pd->name, need,
		       l->zonetot);
		return -ENOSPC;
	}
	return 0;
}

/* MDC-0's first state: the pool's configuration and spares. */
static int mp_create_state(struct pmd_state *st, const struct mpool_params *params,
			   const struct mp_layout *l)
{
	int rc;

	rc = pmd_state_init(st);
	if (rc)
		return rc;

	st->pool = (struct pmd_pool_cfg) {
		.uid = params->mp_uid,
		.gid = params->mp_gid,
		.mode = params->mp_mode,
		.ra_pages_max = params->mp_ra_pages_max,
		.vma_size_max = mpool_xvm_size_max,
		.mdcnum = l->nmdc,
		.mdc_captgt = MPOOL_ROOT_LOG_CAP,
		.oid = { MP_ROOT_OID1, MP_ROOT_OID2 },
		.mdc0cap = l->mdc0cap >> 20,
		.mdcncap = l->mdcncap >> 20,
	};
	memcpy(st->pool.utype, &params->mp_utype, sizeof(st->pool.utype));
	strscpy(st->pool.label, params->mp_label, sizeof(st->pool.label));
	st->have_pool = true;
	st->spare[MP_MED_CAPACITY] = params->mp_spare_cap;
	st->spare[MP_MED_STAGING] = params->mp_spare_stg;
	return 0;
}

/* The new pool's superblock (MDC-0 right after it), and its DEVICE record. */
static int mp_create_sb(struct sb_info *sb, struct pmd_state *st,
			const struct mpool_params *params, struct pd_dev *pd,
			const struct pd_prop *prop, const struct mp_layout *l)
{
	u8 poolid[16];

	generate_random_uuid(poolid);
	mp_sb_new(sb, params->mp_name, poolid, pd, prop, MP_MED_CAPACITY, l->zonepg,
		  l->zonetot);
	sb->flags = OMF_SB_FLAG_MDC0;
	sb->mdc0_zaddr[0] = l->sbz;
	sb->mdc0_zaddr[1] = l->sbz + l->z0;
	sb->mdc0_zcnt[0] = l->z0;
	sb->mdc0_zcnt[1] = l->z0;
	return pmd_dev_set(st, &sb->dev);
}

/*
 * Place MDC-1..N in a space map of the device that holds the superblocks
 * and MDC-0 already; @st lists them.  The map is only for placing them.
 */
static int mp_create_place_mdcs(struct smap *sm, struct pmd_state *st,
				const struct sb_info *sb, const struct mp_layout *l)
{
	u16 i;
	int rc;

	rc = smap_init(sm, l->zonetot, st->spare[MP_MED_CAPACITY]);
	if (rc)
		return rc;
	rc = smap_reserve(sm, 0, l->sbz) ?: smap_reserve(sm, l->sbz, 2 * l->z0);
	for (i = 0; !rc && i < l->nmdc; i++) {
		struct pmd_mdc_rec *m = &st->mdc[i];

		m->index = i + 1;
		m->zcnt[0] = l->zn;
		m->zcnt[1] = l->zn;
		memcpy(m->devid, sb->dev.devid, sizeof(m->devid));
		rc = smap_alloc(sm, l->zn, false, &m->zaddr[0]) ?:
		     smap_alloc(sm, l->zn, false, &m->zaddr[1]);
		st->nmdc = i + 1;
	}
	return rc;
}

int mp_create(struct mpool_params *params, u32 flags, const struct mp_devlist *dl)
{
	const struct pd_prop *prop = &dl->prop[0];
	struct mp_layout l = {};
	struct pmd_state st;
	struct smap sm = {};
	struct sb_info sb;
	struct pd_dev pd;
	int rc;

	if (dl->n != 1 || prop->pdp_mclassp != MP_MED_CAPACITY)
		return -EINVAL;

	rc = mp_params_check(params);
	if (rc)
		return rc;
	mp_params_defaults(params);

	/* The stack address is this operation's holder: unique while we run. */
	rc = mp_dev_admit(&pd, dl->path[0], &pd, NULL, prop, flags, &l.zonepg, &l.zonetot);
	if (rc)
		return rc;

	rc = mp_create_layout(params, &pd, &l);
	if (rc)
		goto out_close;

	rc = mp_create_state(&st, params, &l);
	if (rc)
		goto out_close;

	rc = mp_create_sb(&sb, &st, params, &pd, prop, &l);
	if (rc)
		goto out_state;

	rc = mp_create_place_mdcs(&sm, &st, &sb, &l);
	if (rc)
		goto out_smap;

	/* MDC-1..N, then MDC-0, then the superblocks that make it a pool. */
	rc = mp_format_mdcs(&pd, &sb, &st);
	if (rc)
		goto out_smap;

	rc = sb_write(&pd, &sb);
	if (rc) {
		sb_erase(&pd);
		goto out_smap;
	}

	memcpy(&params->mp_poolid, sb.poolid, sizeof(params->mp_poolid));
	pr_info("created pool %s on %s: %u zones of %llu MiB, %u MDCs\n",
		params->mp_name, pd.name, l.zonetot, l.zone >> 20, l.nmdc);
out_smap:
	smap_destroy(&sm);
out_state:
	pmd_state_free(&st);
out_close:
	pd_close(&pd);
	return rc;
}

/* Reading pools from media (activate, destroy, rename) */

/**
 * struct mp_found - a device named by a management command, and what it holds
 * @pd:   the device, open
 * @sb:   its superblock (valid if @copy >= 0)
 * @copy: the superblock copy @sb came from (sb_read()), or -1 if neither
 *        copy could be used (destroy --force only)
 */
struct mp_found {
	struct pd_dev	pd;
	struct sb_info	sb;
	int		copy;
};

static void mp_close_devices(struct mp_found *f, int n)
{
	while (n-- > 0)
		pd_close(&f[n].pd);
}

/* Say why @pd's superblocks cannot be used; the errno the command returns. */
static int mp_sb_refused(const struct pd_dev *pd, int rc)
{
	switch (rc) {
	case -ENOMSG:
		pr_err("%s holds no mpool superblock\n", pd->name);
		return -EINVAL;
	case -EBADMSG:
		pr_err("%s: both superblock copies are corrupt\n", pd->name);
		break;
	case -EPROTONOSUPPORT:
		pr_err("%s: superblock format is not version %u\n", pd->name, OMF_SB_VERSION);
		break;
	}
	return rc;
}

/*
 * Open every device of @dl for @holder and read its superblock into @f.
 * A device whose superblocks cannot be used fails the whole call, unless
 * @any_content: then only a failure to read the device at all (EIO, ENOMEM)
 * does, and a device with no usable superblock gets @copy -1 (destroy
 * --force erases those too).  On failure no device is left open.
 */
static int mp_read_devices(const struct mp_devlist *dl, void *holder, struct mp_found *f,
			   bool any_content)
{
	int i, rc;

	for (i = 0; i < dl->n; i++) {
		rc = pd_open(&f[i].pd, dl->path[i], holder);
		if (rc) {
			mp_close_devices(f, i);
			return rc;
		}

		rc = sb_read(&f[i].pd, &f[i].sb, &f[i].copy);
		if (!rc)
			continue;
		if (any_content && rc != -EIO && rc != -ENOMEM) {
			f[i].copy = -1;
			continue;
		}
		if (!any_content)
			rc = mp_sb_refused(&f[i].pd, rc);
		mp_close_devices(f, i + 1);
		return rc;
	}
	return 0;
}

/* The given superblocks describe one pool, named @name unless NULL. */
static int mp_check_one_pool(const struct mp_found *f, int n, const char *name)
{
	int i, j;

	for (i = 0; i < n; i++) {
		if (f[i].copy < 0)
			continue;
		if (name && strcmp(f[i].sb.name, name)) {
			pr_err("%s holds pool %s, not %s\n", f[i].pd.name, f[i].sb.name, name);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (f[j].copy < 0)
				continue;
			if (memcmp(f[i].sb.poolid, f[j].sb.poolid, 16)) {
				pr_err("%s and %s belong to different pools\n",
				       f[j].pd.name, f[i].pd.name);
				return -EINVAL;
			}
			if (!memcmp(f[i].sb.dev.devid, f[j].sb.dev.devid, 16) ||
			    f[i].sb.dev.mclass == f[j].sb.dev.mclass) {
				pr_err("%s and %s claim the same device or media class\n",
				       f[j].pd.name, f[i].pd.name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Activate */

struct mp_replay {
	struct mpool	*mp;
	u8		slot;
};

static int mp_mdcn_replay(void *arg, u16 type, const void *rec, u16 len)
{
	struct mp_replay *r = arg;

	return obj_replay(r->mp, r->slot, type, rec, len);
}

static void mp_mdcn_reset(void *arg)
{
	struct mp_replay *r = arg;

	obj_replay_reset(r->mp, r->slot);
}

/* Reserve MDC-1..N's zones and replay each into the object table, read through @win. */
static int mp_load_mdcs(struct mpool *mp, struct mdc_window *win)
{
	struct pmd_state *st = &mp->st;
	int i, c, rc;

	mp->mdcn = kcalloc(st->nmdc, sizeof(*mp->mdcn), GFP_KERNEL);
	if (!mp->mdcn)
		return -ENOMEM;

	for (i = 0; i < st->nmdc; i++) {
		struct pmd_mdc_rec *m = &st->mdc[i];
		struct mp_dev *d = NULL;

		for (c = 0; c < MP_MED_NUMBER; c++)
			if (mp->dev[c].present && !memcmp(mp->dev[c].sb.dev.devid, m->devid, 16))
				d = &mp->dev[c];
		if (m->index != i + 1 || !d) {
			pr_err("pool %s: MDC-%d is %s\n", mp->name, i + 1,
			       d ? "missing from MDC-0" : "on a device not given");
			return d ? -EBADMSG : -ENODEV;
		}
		rc = smap_reserve(&d->smap, m->zaddr[0], m->zcnt[0]) ?:
		     smap_reserve(&d->smap, m->zaddr[1], m->zcnt[1]);
		if (rc) {
			pr_err("pool %s: MDC-%d overlaps other metadata\n", mp->name, i + 1);
			return -EBADMSG;
		}
		rc = mdc_init(&mp->mdcn[i], &d->pd, mp_zone_bytes(d->sb.dev.zonepg), mp->poolid,
			      i + 1, m->zaddr, m->zcnt, obj_snapshot, mp);
		if (!rc) {
			struct mp_replay r = { .mp = mp, .slot = i + 1 };

			rc = mdc_load(&mp->mdcn[i], win, mp_mdcn_replay, mp_mdcn_reset, &r);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* The root MDC's two mlogs (mp_oidv) exist in every pool with an MDC-1. */
static int mp_root_mlogs(struct mpool *mp)
{
	u64 zone = mp_class_zone(mp, MP_MED_CAPACITY);
	u32 zcnt = max_t(u64, 1, DIV_ROUND_UP_ULL(mp->st.pool.mdc_captgt, zone));
	int i, rc = 0;

	if (!mp->st.nmdc)
		return 0;
	for (i = 0; i < 2 && !rc; i++)
		rc = obj_create_committed(mp, mp->st.pool.oid[i], MP_MED_CAPACITY, zcnt);
	if (rc)
		pr_err("pool %s: cannot create the root mlogs: %d\n", mp->name, rc);
	return rc;
}

/*
 * Check MDC-0's device list against the devices we opened.  With FORCE in
 * @flags a device MDC-0 lists may be missing (the pool runs faulted).
 */
static int mp_reconcile(struct mpool *mp, u32 flags)
{
	struct pmd_state *st = &mp->st;
	int i, c;

	for (i = 0; i < st->ndev; i++) {
		struct pmd_dev_rec *r = &st->dev[i];
		struct mp_dev *d = &mp->dev[r->mclass];

		if (!d->present || memcmp(d->sb.dev.devid, r->devid, 16)) {
			pr_err("pool %s: device %pUb (%s) was not given\n", mp->name, r->devid,
			       r->mclass == MP_MED_STAGING ? "staging" : "capacity");
			if (!mp_force(flags))
				return -ENODEV;
			continue;
		}
		if (r->zonepg != d->sb.dev.zonepg || r->zonetot != d->sb.dev.zonetot ||
		    r->sectorsz != d->sb.dev.sectorsz) {
			pr_err("pool %s: %s does not match its metadata\n", mp->name, d->pd.name);
			return -EBADMSG;
		}
	}
	for (c = 0; c < MP_MED_NUMBER; c++) {
		struct mp_dev *d = &mp->dev[c];

		if (d->present && !pmd_dev_find(st, d->sb.dev.devid)) {
			pr_err("pool %s: %s is not one of its devices\n", mp->name, d->pd.name);
			return -ENXIO;
		}
	}
	return 0;
}

/* Apply the uid, gid, mode and label that activate may carry. */
static int mp_activate_overrides(struct mpool *mp, const struct mpool_params *p)
{
	struct pmd_pool_cfg cfg = mp->st.pool;
	int rc;

	mp_cfg_merge(&cfg, p);
	if (!memcmp(&cfg, &mp->st.pool, sizeof(cfg)))
		return 0;

	rc = pmd_log_pool(&mp->mdc0, &cfg);
	if (!rc)
		mp->st.pool = cfg;
	return rc;
}

static struct mpool *mp_alloc(void)
{
	struct mpool *mp;
	int rc;

	mp = kzalloc(sizeof(*mp), GFP_KERNEL);
	if (!mp)
		return ERR_PTR(-ENOMEM);
	mutex_init(&mp->lock);
	INIT_LIST_HEAD(&mp->list);
	obj_table_init(&mp->objs);
	mcache_pool_init(&mp->mc);
	rc = pmd_state_init(&mp->st);
	if (rc) {
		pmd_state_free(&mp->st);
		kfree(mp);
		return ERR_PTR(rc);
	}
	return mp;
}

/* Undo mp_alloc() and everything activation did since: media untouched. */
static void mp_free(struct mpool *mp)
{
	int i;

	obj_table_free(mp);
	if (mp->mdcn) {
		for (i = 0; i < mp->st.nmdc; i++)
			mdc_destroy(&mp->mdcn[i]);
		kfree(mp->mdcn);
	}
	mdc_destroy(&mp->mdc0);
	for (i = 0; i < MP_MED_NUMBER; i++) {
		struct mp_dev *d = &mp->dev[i];

		smap_destroy(&d->smap);
		if (d->present)
			pd_close(&d->pd);
	}
	pmd_state_free(&mp->st);
	kfree(mp);
}

/*
 * The superblocks read describe one pool named @name, whose devices all
 * fit their geometry, exactly one of which holds MDC-0, and which is not
 * active already.
 */
static int mp_check_members(const struct mp_found *f, int n, const char *name)
{
	int i, rc, mdc0 = 0;

	rc = mp_check_one_pool(f, n, name);
	for (i = 0; !rc && i < n; i++) {
		if (f[i].sb.dev.mclass >= MP_MED_NUMBER || f[i].pd.lbs > OMF_BLK_SIZE ||
		    f[i].pd.size < (u64)f[i].sb.dev.zonetot * mp_zone_bytes(f[i].sb.dev.zonepg))
			rc = -EINVAL;
		if (f[i].sb.flags & OMF_SB_FLAG_MDC0)
			mdc0++;
	}
	if (rc)
		return rc;
	if (mdc0 != 1) {
		pr_err("pool %s: %d of the given devices hold MDC-0\n", name, mdc0);
		return -EINVAL;
	}
	return mp_uuid_active(f[0].sb.poolid) ? -EBUSY : 0;
}

/* Hand the devices over to @mp (mp_free() closes them); MDC-0's device. */
static struct mp_dev *mp_adopt_devices(struct mpool *mp, const struct mp_found *f,
				       const struct mp_devlist *dl, const char *name)
{
	struct mp_dev *d0 = NULL;
	int i;

	for (i = 0; i < dl->n; i++) {
		struct mp_dev *d = &mp->dev[f[i].sb.dev.mclass];

		d->present = true;
		d->pd = f[i].pd;
		d->sb = f[i].sb;
		d->optiosz = mp_optiosz(&dl->prop[i]);
		if (d->sb.flags & OMF_SB_FLAG_MDC0)
			d0 = d;
	}
	strscpy(mp->name, name, sizeof(mp->name));
	memcpy(mp->poolid, d0->sb.poolid, sizeof(mp->poolid));
	return d0;
}

/* Replay MDC-0 (on @d0) into mp->st, read through @win; it must describe the pool. */
static int mp_load_mdc0(struct mpool *mp, struct mp_dev *d0, struct mdc_window *win)
{
	int rc;

	rc = mdc_init(&mp->mdc0, &d0->pd, mp_zone_bytes(d0->sb.dev.zonepg), mp->poolid, 0,
		      d0->sb.mdc0_zaddr, d0->sb.mdc0_zcnt, pmd_snapshot, &mp->st);
	if (!rc)
		rc = mdc_load(&mp->mdc0, win, pmd_replay, NULL, &mp->st);
	if (!rc && !mp->st.have_pool)
		rc = -EBADMSG;
	return rc;
}

/* A space map per device, with its superblocks (and MDC-0) reserved. */
static int mp_init_smaps(struct mpool *mp, struct mp_dev *d0)
{
	int c, rc = 0;

	for (c = 0; !rc && c < MP_MED_NUMBER; c++) {
		struct mp_dev *d = &mp->dev[c];

		if (!d->present)
			continue;
		rc = smap_init(&d->smap, d->sb.dev.zonetot, mp->st.spare[c]) ?:
		     smap_reserve(&d->smap, 0, sb_zones(d->sb.dev.zonepg));
		if (!rc && d == d0)
			rc = smap_reserve(&d->smap, d->sb.mdc0_zaddr[0], d->sb.mdc0_zcnt[0]) ?:
			     smap_reserve(&d->smap, d->sb.mdc0_zaddr[1], d->sb.mdc0_zcnt[1]);
	}
	return rc;
}

/* Rewrite every superblock copy 0 that could not be used; a failure is only noted. */
static void mp_repair_sbs(struct mpool *mp, const struct mp_found *f, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct mp_dev *d = &mp->dev[f[i].sb.dev.mclass];

		if (f[i].copy != 1)
			continue;
		d->sb.gen++;
		if (sb_write(&d->pd, &d->sb))
			pr_warn("%s: could not repair superblock copy 0\n", d->pd.name);
		else
			pr_notice("%s: superblock copy 0 rewritten from copy 1\n", d->pd.name);
	}
}

int mp_activate(struct mpool_params *params, u32 flags, const struct mp_devlist *dl,
		struct mpool **mpp)
{
	struct mdc_window win = {};
	struct mp_found *f;
	struct mp_dev *d0;
	struct mpool *mp;
	int rc;

	if (dl->n < 1 || dl->n > MP_MED_NUMBER)
		return -EINVAL;
	rc = mp_params_check(params);
	if (rc)
		return rc;

	f = kcalloc(dl->n, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mp = mp_alloc();
	if (IS_ERR(mp)) {
		rc = PTR_ERR(mp);
		goto out_found;
	}

	rc = mp_read_devices(dl, mp, f, false);
	if (rc)
		goto out_state;
	rc = mp_check_members(f, dl->n, params->mp_name);
	if (rc) {
		mp_close_devices(f, dl->n);
		goto out_state;
	}

	/* The pool owns the devices from here; mp_free() closes them. */
	d0 = mp_adopt_devices(mp, f, dl, params->mp_name);
	rc = mp_load_mdc0(mp, d0, &win);
	if (rc)
		goto out_window;
	rc = mp_reconcile(mp, flags);
	if (rc)
		goto out_window;
	rc = mp_init_smaps(mp, d0);
	if (rc)
		goto out_window;
	rc = mp_load_mdcs(mp, &win);
	mdc_window_free(&win);
	rc = rc ?: obj_reserve_zones(mp);
	if (rc)
		goto out_pool;
	if (mp->dev[MP_MED_CAPACITY].present) {
		rc = mp_root_mlogs(mp);
		if (rc)
			goto out_pool;
	}

	mp_repair_sbs(mp, f, dl->n);

	mutex_lock(&mp->lock);
	rc = mp_activate_overrides(mp, params);
	mutex_unlock(&mp->lock);
	if (rc)
		goto out_pool;

	mp_registry_add(mp);
	mp_params_get(mp, params);
	kfree(f);
	*mpp = mp;
	pr_info("activated pool %s\n", mp->name);
	return 0;

out_window:
	mdc_window_free(&win);
out_pool:
	mp_free(mp);
	goto out_found;
out_state:
	pmd_state_free(&mp->st);
	kfree(mp);
out_found:
	kfree(f);
	return rc;
}

/* Every record is durable already (appends are synchronous): just let go. */
void mp_deactivate(struct mpool *mp)
{
	mp_registry_del(mp);
	pr_info("deactivated pool %s\n", mp->name);
	mp_free(mp);
}

/* Destroy and rename */

/*
 * Check, before an active pool is taken down to be destroyed, that @dl names
 * exactly its devices: each path one of them (by device number, whatever
 * the name), and every device it has named once.  Nothing changes here.
 */
int mp_devlist_match(struct mpool *mp, const struct mp_devlist *dl)
{
	dev_t devt[MP_MED_NUMBER];
	unsigned int named = 0;
	int i, c, rc = 0, present = 0;

	/* Resolve each path once, outside the pool's lock. */
	for (i = 0; i < dl->n; i++) {
		rc = lookup_bdev(dl->path[i], &devt[i]);
		if (rc)
			return rc;
	}

	mutex_lock(&mp->lock);
	for (c = 0; c < MP_MED_NUMBER; c++)
		present += mp->dev[c].present;
	for (i = 0; !rc && i < dl->n; i++) {
		for (c = 0; c < MP_MED_NUMBER; c++)
			if (mp->dev[c].present && mp->dev[c].pd.bdev->bd_dev == devt[i])
				break;
		if (c == MP_MED_NUMBER || (named & BIT(c))) {
			pr_err("pool %s: %s is not one of its devices, or is named twice\n",
			       mp->name, dl->path[i]);
			rc = -EINVAL;
		}
		named |= c < MP_MED_NUMBER ? BIT(c) : 0;
	}
	if (!rc && hweight32(named) != present) {
		pr_err("pool %s: destroy names %u of its %d devices\n", mp->name,
		       hweight32(named), present);
		rc = -EINVAL;
	}
	mutex_unlock(&mp->lock);
	return rc;
}

int mp_destroy(const char *name, u32 flags, const struct mp_devlist *dl)
{
	struct mp_found f[MP_MED_NUMBER];
	int i, rc;

	if (dl->n < 1 || dl->n > MP_MED_NUMBER)
		return -EINVAL;

	/* With FORCE a device whose superblocks are unreadable is erased too. */
	rc = mp_read_devices(dl, f, f, mp_force(flags));
	if (rc)
		return rc;

	rc = mp_check_one_pool(f, dl->n, name);
	for (i = 0; !rc && i < dl->n; i++)
		if (f[i].copy >= 0 && mp_uuid_active(f[i].sb.poolid))
			rc = -EBUSY;
	for (i = 0; !rc && i < dl->n; i++)
		rc = sb_erase(&f[i].pd);
	if (!rc)
		pr_info("destroyed pool %s\n", name);

	mp_close_devices(f, dl->n);
	return rc;
}

int mp_rename(const char *newname, u32 flags, const struct mp_devlist *dl)
{
	struct mp_found f[MP_MED_NUMBER];
	int i, rc;

	if (dl->n < 1 || dl->n > MP_MED_NUMBER)
		return -EINVAL;

	rc = mp_read_devices(dl, f, f, false);
	if (rc)
		return rc;

	rc = mp_check_one_pool(f, dl->n, NULL);
	if (!rc && mp_uuid_active(f[0].sb.poolid))
		rc = -EBUSY;
	for (i = 0; !rc && i < dl->n; i++) {
		strscpy(f[i].sb.name, newname, sizeof(f[i].sb.name));
		f[i].sb.gen++;
		rc = sb_write(&f[i].pd, &f[i].sb);
	}
	if (!rc)
		pr_info("renamed pool on %s to %s\n", f[0].pd.name, newname);

	mp_close_devices(f, dl->n);
	return rc;
}

/*
 * A pool one of whose metadata writes failed takes no more changes: the
 * errno of the first failure in any of its MDCs, 0 if none.  Lockless:
 * an MDC's error is set once and stays until the pool is deactivated.
 */
int mp_fenced(struct mpool *mp)
{
	int i, rc = mdc_error(&mp->mdc0);

	for (i = 0; !rc && i < mp->st.nmdc; i++)
		rc = mdc_error(&mp->mdcn[i]);
	return rc;
}
