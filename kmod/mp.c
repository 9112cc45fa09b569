// SPDX-License-Identifier: GPL-2.0-only
/*
 * mp: pool lifecycle and the registry of active pools.
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
 * unusable gets it rewritten from copy 1.
 *
 * Locking: see mp.h.  mp_pools_lock protects mp_pools; each pool's
 * mp->lock protects its metadata state and serializes appends to MDC-0.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uuid.h>

#include "init.h"
#include "mp.h"

static LIST_HEAD(mp_pools);
static DEFINE_MUTEX(mp_pools_lock);

#define MP_KEEP			0xffffffffU
#define MP_SPARE_KEEP		0xff
#define MP_UID_DEFAULT		0
#define MP_GID_DEFAULT		6
#define MP_MODE_DEFAULT		0660
#define MP_MDC0CAP_MIN		(32ULL << 20)
#define MP_MDCNCAP_MIN		(8ULL << 20)
#define MP_ROOT_OID1		0x201
#define MP_ROOT_OID2		0x1201
#define MP_ZONE_MAX		BIT_ULL(30)

static inline u64 mp_zone_bytes(u32 zonepg)
{
	return (u64)zonepg * OMF_BLK_SIZE;
}

static inline bool mp_force(u32 flags)
{
	return flags & BIT(MP_FLAGS_FORCE);
}

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

static bool mp_label_ok(const char *label)
{
	size_t len = strnlen(label, MPOOL_LABELSZ_MAX), i;

	if (len == MPOOL_LABELSZ_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isprint(label[i]))
			return false;
	return true;
}

/* Check the values PARAMS_SET, create and activate may carry; KEEP passes. */
static int mp_params_check(const struct mpool_params *p)
{
	if (p->mp_mode != MP_KEEP && (p->mp_mode & ~0777))
		return -EINVAL;
	if (p->mp_ra_pages_max != MP_KEEP && p->mp_ra_pages_max > MPOOL_RA_PAGES_MAX)
		return -EINVAL;
	if ((p->mp_spare_cap != MP_SPARE_KEEP && p->mp_spare_cap > 100) ||
	    (p->mp_spare_stg != MP_SPARE_KEEP && p->mp_spare_stg > 100))
		return -EINVAL;
	if (!mp_label_ok(p->mp_label))
		return -EINVAL;
	if (p->mp_mdcnum > PMD_MDC_MAX)
		return -EINVAL;
	return 0;
}

/*
 * The optimal I/O size 1.9.0 reports for mblocks of a device: what userland
 * measured (BLKIOOPT), clamped to 4 KiB..128 KiB in whole pages, and
 * 128 KiB when the device reports none.  Clients size their writes by it.
 */
#define MP_OPTIOSZ_MIN		SZ_4K
#define MP_OPTIOSZ_MAX		SZ_128K

static u32 mp_optiosz(const struct pd_prop *prop)
{
	u32 sz = prop->pdp_optiosz ?: MP_OPTIOSZ_MAX;

	return round_down(clamp_t(u32, sz, MP_OPTIOSZ_MIN, MP_OPTIOSZ_MAX), MP_OPTIOSZ_MIN);
}

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
static int mp_dev_admit(struct pd_dev *pd, const char *path, void *holder,
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

static void mp_device_rec(const struct sb_info *sb, struct omf_device *d)
{
	memcpy(d->devid, sb->devid, sizeof(d->devid));
	d->mclass = sb->mclass;
	d->devtype = sb->devtype;
	d->sectorsz = sb->sectorsz;
	d->zonepg = sb->zonepg;
	d->zonetot = sb->zonetot;
	d->devsz = sb->devsz;
	d->features = sb->features;
}

static void mp_sb_new(struct sb_info *sb, const char *name, const u8 *poolid,
		      struct pd_dev *pd, const struct pd_prop *prop, u8 mclass,
		      u32 zonepg, u32 zonetot)
{
	memset(sb, 0, sizeof(*sb));
	strscpy(sb->name, name, sizeof(sb->name));
	memcpy(sb->poolid, poolid, sizeof(sb->poolid));
	sb->gen = 1;
	generate_random_uuid(sb->devid);
	sb->mclass = mclass;
	sb->devtype = prop->pdp_devtype;
	sb->sectorsz = ilog2(pd->lbs);
	sb->zonepg = zonepg;
	sb->zonetot = zonetot;
	sb->devsz = pd->size;
	sb->features = OMF_FEAT_MLOG | OMF_FEAT_MBLOCK;
}

/* Format MDC-1..N: empty logs, each with its first complete snapshot. */
static int mp_format_mdcs(struct pd_dev *pd, u64 zone, const u8 *poolid,
			  struct pmd_state *st)
{
	struct mdc *mdc;
	int i, rc = 0;

	mdc = kzalloc(sizeof(*mdc), GFP_KERNEL);
	if (!mdc)
		return -ENOMEM;

	for (i = 0; i < st->nmdc && !rc; i++) {
		rc = mdc_init(mdc, pd, zone, poolid, i + 1, st->mdc[i].zaddr,
			      st->mdc[i].zcnt, NULL, NULL);
		if (rc)
			break;
		rc = mdc_format(mdc);
		mdc_destroy(mdc);
	}
	kfree(mdc);
	return rc;
}

static int mp_format_mdc0(struct pd_dev *pd, const struct sb_info *sb, struct pmd_state *st)
{
	struct mdc *mdc;
	int rc;

	mdc = kzalloc(sizeof(*mdc), GFP_KERNEL);
	if (!mdc)
		return -ENOMEM;

	rc = mdc_init(mdc, pd, mp_zone_bytes(sb->zonepg), sb->poolid, 0,
		      sb->mdc0_zaddr, sb->mdc0_zcnt, pmd_snapshot, st);
	if (!rc) {
		rc = mdc_format(mdc);
		mdc_destroy(mdc);
	}
	kfree(mdc);
	return rc;
}

/* Resolve create's defaults in place (KEEP -> default). */
static void mp_params_defaults(struct mpool_params *p)
{
	if (p->mp_uid == MP_KEEP)
		p->mp_uid = MP_UID_DEFAULT;
	if (p->mp_gid == MP_KEEP)
		p->mp_gid = MP_GID_DEFAULT;
	if (p->mp_mode == MP_KEEP)
		p->mp_mode = MP_MODE_DEFAULT;
	if (p->mp_ra_pages_max == MP_KEEP)
		p->mp_ra_pages_max = MPOOL_RA_PAGES_MAX;
	if (p->mp_spare_cap == MP_SPARE_KEEP)
		p->mp_spare_cap = MPOOL_SPARES_DEFAULT;
	if (p->mp_spare_stg == MP_SPARE_KEEP)
		p->mp_spare_stg = MPOOL_SPARES_DEFAULT;
	if (!p->mp_label[0])
		strscpy(p->mp_label, MPOOL_LABEL_DEFAULT, sizeof(p->mp_label));
}

int mp_create(struct mpool_params *params, u32 flags, const struct mp_devlist *dl)
{
	const struct pd_prop *prop = &dl->prop[0];
	u64 zone, mdc0cap, mdcncap, need;
	u32 zonepg, zonetot, sbz, z0, zn;
	struct omf_device devrec;
	struct pmd_state st;
	struct smap sm = {};
	struct sb_info sb;
	struct pd_dev pd;
	u16 nmdc, i;
	int rc;

	if (dl->n != 1 || prop->pdp_mclassp != MP_MED_CAPACITY)
		return -EINVAL;

	rc = mp_params_check(params);
	if (rc)
		return rc;
	mp_params_defaults(params);

	/* The stack address is this operation's holder: unique while we run. */
	rc = mp_dev_admit(&pd, dl->path[0], &pd, NULL, prop, flags, &zonepg, &zonetot);
	if (rc)
		return rc;

	zone = mp_zone_bytes(zonepg);
	sbz = sb_zones(zonepg);
	mdc0cap = params->mp_mdc0cap ? (u64)params->mp_mdc0cap << 20 : max(zone, MP_MDC0CAP_MIN);
	mdcncap = params->mp_mdcncap ? (u64)params->mp_mdcncap << 20 : max(zone, MP_MDCNCAP_MIN);
	z0 = DIV_ROUND_UP_ULL(mdc0cap, zone);
	zn = DIV_ROUND_UP_ULL(mdcncap, zone);
	nmdc = params->mp_mdcnum ?: MPOOL_MDCNUM_DEFAULT;
	need = sbz + 2ULL * z0 + 2ULL * nmdc * zn;
	if (need > zonetot) {
		pr_err("%s: %llu zones of metadata do not fit in %u zones\n", pd.name, need,
		       zonetot);
		rc = -ENOSPC;
		goto out_close;
	}

	rc = pmd_state_init(&st);
	if (rc)
		goto out_close;

	st.pool = (struct omf_pool) {
		.uid = params->mp_uid,
		.gid = params->mp_gid,
		.mode = params->mp_mode,
		.ra_pages_max = params->mp_ra_pages_max,
		.vma_size_max = mpool_xvm_size_max,
		.mdcnum = nmdc,
		.mdc_captgt = MPOOL_ROOT_LOG_CAP,
		.oid = { MP_ROOT_OID1, MP_ROOT_OID2 },
		.mdc0cap = mdc0cap >> 20,
		.mdcncap = mdcncap >> 20,
	};
	memcpy(st.pool.utype, &params->mp_utype, sizeof(st.pool.utype));
	strscpy(st.pool.label, params->mp_label, sizeof(st.pool.label));
	st.have_pool = true;
	st.spare[MP_MED_CAPACITY] = params->mp_spare_cap;
	st.spare[MP_MED_STAGING] = params->mp_spare_stg;

	{
		u8 poolid[16];

		generate_random_uuid(poolid);
		mp_sb_new(&sb, params->mp_name, poolid, &pd, prop, MP_MED_CAPACITY,
			  zonepg, zonetot);
	}
	sb.flags = OMF_SB_FLAG_MDC0;
	sb.mdc0_zaddr[0] = sbz;
	sb.mdc0_zaddr[1] = sbz + z0;
	sb.mdc0_zcnt[0] = z0;
	sb.mdc0_zcnt[1] = z0;
	mp_device_rec(&sb, &devrec);
	rc = pmd_dev_set(&st, &devrec);
	if (rc)
		goto out_state;

	rc = smap_init(&sm, zonetot, st.spare[MP_MED_CAPACITY]);
	if (rc)
		goto out_state;
	rc = smap_reserve(&sm, 0, sbz) ?: smap_reserve(&sm, sbz, 2 * z0);
	for (i = 0; !rc && i < nmdc; i++) {
		struct omf_mdc *m = &st.mdc[i];

		m->index = i + 1;
		m->zcnt[0] = zn;
		m->zcnt[1] = zn;
		memcpy(m->devid, sb.devid, sizeof(m->devid));
		rc = smap_alloc(&sm, zn, false, &m->zaddr[0]) ?:
		     smap_alloc(&sm, zn, false, &m->zaddr[1]);
		st.nmdc = i + 1;
	}
	if (rc)
		goto out_smap;

	/* MDC-1..N, then MDC-0, then the superblocks that make it a pool. */
	rc = mp_format_mdcs(&pd, zone, sb.poolid, &st) ?: mp_format_mdc0(&pd, &sb, &st);
	if (rc)
		goto out_smap;

	rc = sb_write(&pd, &sb);
	if (rc) {
		sb_erase(&pd);
		goto out_smap;
	}

	memcpy(&params->mp_poolid, sb.poolid, sizeof(params->mp_poolid));
	pr_info("created pool %s on %s: %u zones of %llu MiB, %u MDCs\n",
		params->mp_name, pd.name, zonetot, zone >> 20, nmdc);
out_smap:
	smap_destroy(&sm);
out_state:
	pmd_state_free(&st);
out_close:
	pd_close(&pd);
	return rc;
}

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

static bool mp_uuid_active(const u8 *poolid)
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

struct mp_replay {
	struct mpool	*mp;
	u8		slot;
};

static int mp_mdcn_replay(void *arg, u16 type, const void *rec, u16 len)
{
	struct mp_replay *r = arg;

	return obj_replay(r->mp, r->slot, type, rec, len);
}

/* The superblocks of the given devices, opened for @holder. */
struct mp_found {
	struct pd_dev	pd;
	struct sb_info	sb;
	int		copy;
};

static int mp_read_devices(const struct mp_devlist *dl, void *holder, struct mp_found *f,
			   bool tolerate)
{
	int i, rc;

	for (i = 0; i < dl->n; i++) {
		rc = pd_open(&f[i].pd, dl->path[i], holder);
		if (rc)
			goto fail;
		rc = sb_read(&f[i].pd, &f[i].sb, &f[i].copy);
		if (rc == -ENOMSG && !tolerate) {
			pr_err("%s holds no mpool superblock\n", f[i].pd.name);
			rc = -EINVAL;
		} else if (rc == -EBADMSG && !tolerate) {
			pr_err("%s: both superblock copies are corrupt\n", f[i].pd.name);
		} else if (rc == -EPROTONOSUPPORT && !tolerate) {
			pr_err("%s: superblock format is not version %u\n", f[i].pd.name,
			       OMF_SB_VERSION);
		}
		if (rc && !(tolerate && rc != -EIO && rc != -ENOMEM)) {
			i++;
			goto fail;
		}
		if (rc)
			f[i].copy = -1;
	}
	return 0;
fail:
	while (i-- > 0)
		pd_close(&f[i].pd);
	return rc;
}

static void mp_close_devices(struct mp_found *f, int n)
{
	while (n-- > 0)
		pd_close(&f[n].pd);
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
			if (!memcmp(f[i].sb.devid, f[j].sb.devid, 16) ||
			    f[i].sb.mclass == f[j].sb.mclass) {
				pr_err("%s and %s claim the same device or media class\n",
				       f[j].pd.name, f[i].pd.name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int mp_load_mdcs(struct mpool *mp, u32 flags)
{
	struct pmd_state *st = &mp->st;
	int i, c, rc;

	mp->mdcn = kcalloc(st->nmdc, sizeof(*mp->mdcn), GFP_KERNEL);
	if (!mp->mdcn)
		return -ENOMEM;

	for (i = 0; i < st->nmdc; i++) {
		struct omf_mdc *m = &st->mdc[i];
		struct mp_dev *d = NULL;

		for (c = 0; c < MP_MED_NUMBER; c++)
			if (mp->dev[c].present && !memcmp(mp->dev[c].sb.devid, m->devid, 16))
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
		rc = mdc_init(&mp->mdcn[i], &d->pd, mp_zone_bytes(d->sb.zonepg), mp->poolid,
			      i + 1, m->zaddr, m->zcnt, obj_snapshot, mp);
		if (!rc) {
			struct mp_replay r = { .mp = mp, .slot = i + 1 };

			rc = mdc_load(&mp->mdcn[i], mp_mdcn_replay, &r);
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

/* Check MDC-0's device list against the devices we opened. */
static int mp_reconcile(struct mpool *mp, u32 flags)
{
	struct pmd_state *st = &mp->st;
	int i, c;

	for (i = 0; i < st->ndev; i++) {
		struct omf_device *r = &st->dev[i];
		struct mp_dev *d = &mp->dev[r->mclass];

		if (!d->present || memcmp(d->sb.devid, r->devid, 16)) {
			pr_err("pool %s: device %pUb (%s) was not given\n", mp->name, r->devid,
			       r->mclass == MP_MED_STAGING ? "staging" : "capacity");
			if (!mp_force(flags))
				return -ENODEV;
			continue;
		}
		if (r->zonepg != d->sb.zonepg || r->zonetot != d->sb.zonetot ||
		    r->sectorsz != d->sb.sectorsz) {
			pr_err("pool %s: %s does not match its metadata\n", mp->name, d->pd.name);
			return -EBADMSG;
		}
	}
	for (c = 0; c < MP_MED_NUMBER; c++) {
		struct mp_dev *d = &mp->dev[c];

		if (d->present && !pmd_dev_find(st, d->sb.devid)) {
			pr_err("pool %s: %s is not one of its devices\n", mp->name, d->pd.name);
			return -ENXIO;
		}
	}
	return 0;
}

/* The node's owner and the label, where @p does not say "keep". */
static void mp_cfg_merge(struct omf_pool *cfg, const struct mpool_params *p)
{
	if (p->mp_uid != MP_KEEP)
		cfg->uid = p->mp_uid;
	if (p->mp_gid != MP_KEEP)
		cfg->gid = p->mp_gid;
	if (p->mp_mode != MP_KEEP)
		cfg->mode = p->mp_mode;
	if (p->mp_label[0])
		strscpy(cfg->label, p->mp_label, sizeof(cfg->label));
}

/* Apply the uid, gid, mode and label that activate may carry. */
static int mp_activate_overrides(struct mpool *mp, const struct mpool_params *p)
{
	struct omf_pool cfg = mp->st.pool;
	int rc;

	mp_cfg_merge(&cfg, p);
	if (!memcmp(&cfg, &mp->st.pool, sizeof(cfg)))
		return 0;

	rc = pmd_log_pool(&mp->mdc0, &cfg);
	if (!rc)
		mp->st.pool = cfg;
	return rc;
}

int mp_activate(struct mpool_params *params, u32 flags, const struct mp_devlist *dl,
		struct mpool **mpp)
{
	struct mp_found *f;
	struct mpool *mp;
	struct mp_dev *d0 = NULL;
	int i, c, rc, mdc0 = 0;

	if (dl->n < 1 || dl->n > MP_MED_NUMBER)
		return -EINVAL;
	rc = mp_params_check(params);
	if (rc)
		return rc;

	mp = kzalloc(sizeof(*mp), GFP_KERNEL);
	f = kcalloc(dl->n, sizeof(*f), GFP_KERNEL);
	if (!mp || !f) {
		rc = -ENOMEM;
		goto out_free;
	}
	mutex_init(&mp->lock);
	INIT_LIST_HEAD(&mp->list);
	obj_table_init(&mp->objs);
	rc = pmd_state_init(&mp->st);
	if (rc)
		goto out_free;

	rc = mp_read_devices(dl, mp, f, false);
	if (rc)
		goto out_free;
	rc = mp_check_one_pool(f, dl->n, params->mp_name);
	for (i = 0; !rc && i < dl->n; i++) {
		if (f[i].sb.mclass >= MP_MED_NUMBER || f[i].pd.lbs > OMF_BLK_SIZE ||
		    f[i].pd.size < (u64)f[i].sb.zonetot * mp_zone_bytes(f[i].sb.zonepg))
			rc = -EINVAL;
		if (f[i].sb.flags & OMF_SB_FLAG_MDC0)
			mdc0++;
	}
	if (!rc && mdc0 != 1) {
		pr_err("pool %s: %d of the given devices hold MDC-0\n", params->mp_name, mdc0);
		rc = -EINVAL;
	}
	if (!rc && mp_uuid_active(f[0].sb.poolid))
		rc = -EBUSY;
	if (rc) {
		mp_close_devices(f, dl->n);
		goto out_free;
	}

	/* The pool owns the devices from here; mp_free() closes them. */
	for (i = 0; i < dl->n; i++) {
		struct mp_dev *d = &mp->dev[f[i].sb.mclass];

		d->present = true;
		d->pd = f[i].pd;
		d->sb = f[i].sb;
		d->optiosz = mp_optiosz(&dl->prop[i]);
		if (d->sb.flags & OMF_SB_FLAG_MDC0)
			d0 = d;
	}
	strscpy(mp->name, params->mp_name, sizeof(mp->name));
	memcpy(mp->poolid, d0->sb.poolid, sizeof(mp->poolid));

	rc = mdc_init(&mp->mdc0, &d0->pd, mp_zone_bytes(d0->sb.zonepg), mp->poolid, 0,
		      d0->sb.mdc0_zaddr, d0->sb.mdc0_zcnt, pmd_snapshot, &mp->st);
	if (!rc)
		rc = mdc_load(&mp->mdc0, pmd_replay, &mp->st);
	if (!rc && !mp->st.have_pool)
		rc = -EBADMSG;
	if (!rc)
		rc = mp_reconcile(mp, flags);
	for (c = 0; !rc && c < MP_MED_NUMBER; c++) {
		struct mp_dev *d = &mp->dev[c];
		u32 sbz;

		if (!d->present)
			continue;
		sbz = sb_zones(d->sb.zonepg);
		rc = smap_init(&d->smap, d->sb.zonetot, mp->st.spare[c]) ?:
		     smap_reserve(&d->smap, 0, sbz);
		if (!rc && d == d0)
			rc = smap_reserve(&d->smap, d->sb.mdc0_zaddr[0], d->sb.mdc0_zcnt[0]) ?:
			     smap_reserve(&d->smap, d->sb.mdc0_zaddr[1], d->sb.mdc0_zcnt[1]);
	}
	if (!rc)
		rc = mp_load_mdcs(mp, flags);
	if (!rc && mp->dev[MP_MED_CAPACITY].present)
		rc = mp_root_mlogs(mp);
	if (rc)
		goto out_pool;

	/* Repair a copy 0 that could not be used. */
	for (i = 0; i < dl->n; i++) {
		struct mp_dev *d = &mp->dev[f[i].sb.mclass];

		if (f[i].copy != 1)
			continue;
		d->sb.gen++;
		if (sb_write(&d->pd, &d->sb))
			pr_warn("%s: could not repair superblock copy 0\n", d->pd.name);
		else
			pr_notice("%s: superblock copy 0 rewritten from copy 1\n", d->pd.name);
	}

	mutex_lock(&mp->lock);
	rc = mp_activate_overrides(mp, params);
	mutex_unlock(&mp->lock);
	if (rc)
		goto out_pool;

	mutex_lock(&mp_pools_lock);
	list_add_tail(&mp->list, &mp_pools);
	mutex_unlock(&mp_pools_lock);

	mp_params_get(mp, params);
	kfree(f);
	*mpp = mp;
	pr_info("activated pool %s\n", mp->name);
	return 0;

out_pool:
	mp_free(mp);
	kfree(f);
	return rc;
out_free:
	if (mp)
		pmd_state_free(&mp->st);
	kfree(mp);
	kfree(f);
	return rc;
}

/* Every record is durable already (appends are synchronous): just let go. */
void mp_deactivate(struct mpool *mp)
{
	mutex_lock(&mp_pools_lock);
	list_del_init(&mp->list);
	mutex_unlock(&mp_pools_lock);

	pr_info("deactivated pool %s\n", mp->name);
	mp_free(mp);
}

/*
 * Check, before an active pool is taken down to be destroyed, that @dl names
 * exactly its devices: each path one of them (by device number, whatever
 * the name), and every device it has named once.  Nothing changes here.
 */
int mp_devlist_match(struct mpool *mp, const struct mp_devlist *dl)
{
	unsigned int named = 0;
	int i, c, rc = 0, present = 0;

	mutex_lock(&mp->lock);
	for (c = 0; c < MP_MED_NUMBER; c++)
		present += mp->dev[c].present;
	for (i = 0; !rc && i < dl->n; i++) {
		for (c = 0; c < MP_MED_NUMBER; c++) {
			if (!mp->dev[c].present)
				continue;
			rc = pd_is_path(&mp->dev[c].pd, dl->path[i]);
			if (rc < 0)
				break;
			if (rc) {
				rc = named & BIT(c) ? -EINVAL : 0;
				named |= BIT(c);
				break;
			}
		}
		if (c == MP_MED_NUMBER) {
			pr_err("pool %s: %s is not one of its devices\n", mp->name, dl->path[i]);
			rc = -EINVAL;
		}
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

/* Callers hold mp->lock. */
static void mp_params_fill(struct mpool *mp, struct mpool_params *p)
{
	const struct omf_pool *cfg = &mp->st.pool;
	int c;

	memset(p, 0, sizeof(*p));
	memcpy(&p->mp_poolid, mp->poolid, sizeof(p->mp_poolid));
	p->mp_uid = cfg->uid;
	p->mp_gid = cfg->gid;
	p->mp_mode = cfg->mode;
	p->mp_stat = MPOOL_STAT_OPTIMAL;
	for (c = 0; c < mp->st.ndev; c++)
		if (!mp->dev[mp->st.dev[c].mclass].present)
			p->mp_stat = MPOOL_STAT_FAULTED;
	p->mp_spare_cap = mp->st.spare[MP_MED_CAPACITY];
	p->mp_spare_stg = mp->st.spare[MP_MED_STAGING];
	p->mp_mdc_captgt = cfg->mdc_captgt;
	p->mp_oidv[0] = cfg->oid[0];
	p->mp_oidv[1] = cfg->oid[1];
	p->mp_ra_pages_max = cfg->ra_pages_max;
	p->mp_vma_size_max = cfg->vma_size_max;
	for (c = 0; c < MP_MED_NUMBER; c++)
		if (mp->dev[c].present)
			p->mp_mblocksz[c] = mp_zone_bytes(mp->dev[c].sb.zonepg) >> 20;
	p->mp_mdc0cap = cfg->mdc0cap;
	p->mp_mdcncap = cfg->mdcncap;
	p->mp_mdcnum = mp->st.nmdc;
	memcpy(&p->mp_utype, cfg->utype, sizeof(p->mp_utype));
	strscpy(p->mp_label, cfg->label, sizeof(p->mp_label));
	strscpy(p->mp_name, mp->name, sizeof(p->mp_name));
}

void mp_params_get(struct mpool *mp, struct mpool_params *p)
{
	mutex_lock(&mp->lock);
	mp_params_fill(mp, p);
	mutex_unlock(&mp->lock);
}

/* Apply every field that is not "keep", durably; fill @p with the result. */
int mp_params_set(struct mpool *mp, struct mpool_params *p)
{
	static const u8 zero_utype[16];
	struct omf_pool cfg;
	u8 spare[MP_MED_NUMBER];
	int c, rc;

	rc = mp_params_check(p);
	if (rc)
		return rc;

	mutex_lock(&mp->lock);
	cfg = mp->st.pool;
	mp_cfg_merge(&cfg, p);
	if (p->mp_ra_pages_max != MP_KEEP)
		cfg.ra_pages_max = p->mp_ra_pages_max;
	if (memcmp(&p->mp_utype, zero_utype, sizeof(zero_utype)))
		memcpy(cfg.utype, &p->mp_utype, sizeof(cfg.utype));

	if (memcmp(&cfg, &mp->st.pool, sizeof(cfg))) {
		rc = pmd_log_pool(&mp->mdc0, &cfg);
		if (rc)
			goto out;
		mp->st.pool = cfg;
	}

	spare[MP_MED_CAPACITY] = p->mp_spare_cap;
	spare[MP_MED_STAGING] = p->mp_spare_stg;
	for (c = 0; c < MP_MED_NUMBER; c++) {
		if (spare[c] == MP_SPARE_KEEP || spare[c] == mp->st.spare[c])
			continue;
		rc = pmd_log_spare(&mp->mdc0, c, spare[c]);
		if (rc)
			goto out;
		mp->st.spare[c] = spare[c];
		if (mp->dev[c].present)
			smap_set_spare(&mp->dev[c].smap, spare[c]);
	}
out:
	mp_params_fill(mp, p);
	mutex_unlock(&mp->lock);
	return rc;
}

static void mp_usage_add(struct mpool_usage *u, struct mp_dev *d)
{
	u64 zone = mp_zone_bytes(d->sb.zonepg);
	struct smap_usage s;

	smap_usage(&d->smap, &s);
	u->mpu_total += s.total * zone;
	u->mpu_usable += s.usable * zone;
	u->mpu_fusable += (s.usable > s.used ? s.usable - s.used : 0) * zone;
	u->mpu_used += s.used * zone;
	u->mpu_spare += s.spare * zone;
	u->mpu_fspare += (s.spare > s.spare_used ? s.spare - s.spare_used : 0) * zone;
}

/* Callers hold mp->lock. */
static void mp_mclass_fill(struct mpool *mp, int c, struct mpool_mclass_xprops *x)
{
	struct mp_dev *d = &mp->dev[c];

	memset(x, 0, sizeof(*x));
	x->mc_devtype = d->sb.devtype;
	x->mc_mclass = c;
	x->mc_sectorsz = d->sb.sectorsz;
	x->mc_spare = mp->st.spare[c];
	x->mc_zonepg = d->sb.zonepg;
	x->mc_features = d->sb.features;
	mp_usage_add(&x->mc_usage, d);
}

void mp_props_get(struct mpool *mp, struct mpioc_prop *prop)
{
	struct mpool_xprops *xp = &prop->pr_xprops;
	int c, i = 0;

	memset(prop, 0, sizeof(*prop));
	mutex_lock(&mp->lock);
	mp_params_fill(mp, &xp->ppx_params);
	for (c = 0; c < MP_MED_NUMBER; c++) {
		xp->ppx_drive_spares[c] = mp->st.spare[c];
		xp->ppx_pd_mclassv[c] = MP_MED_INVALID;
	}
	for (c = 0; c < mp->st.ndev; c++)
		if (!mp->dev[mp->st.dev[c].mclass].present)
			xp->ppx_uacnt[mp->st.dev[c].mclass]++;
	for (c = 0; c < MP_MED_NUMBER; c++) {
		struct mp_dev *d = &mp->dev[c];

		if (!d->present)
			continue;
		xp->ppx_pd_mclassv[i] = c;
		strscpy(xp->ppx_pd_namev[i], d->pd.name, sizeof(xp->ppx_pd_namev[i]));
		i++;
		mp_usage_add(&prop->pr_usage, d);
		mp_mclass_fill(mp, c, &prop->pr_mcxv[prop->pr_mcxc++]);
	}
	mutex_unlock(&mp->lock);

	spin_lock(&mp->objs.stats_lock);
	prop->pr_usage.mpu_mblock_alen = mp->objs.mblock_alen;
	prop->pr_usage.mpu_mblock_wlen = mp->objs.mblock_wlen;
	prop->pr_usage.mpu_mlog_alen = mp->objs.mlog_alen;
	prop->pr_usage.mpu_mblock_cnt = mp->objs.mblock_cnt;
	prop->pr_usage.mpu_mlog_cnt = mp->objs.mlog_cnt;
	prop->pr_usage.mpu_alen = mp->objs.mblock_alen + mp->objs.mlog_alen;
	prop->pr_usage.mpu_wlen = mp->objs.mblock_wlen;
	spin_unlock(&mp->objs.stats_lock);
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

int mp_devprops_get(struct mpool *mp, const char *name, struct mpool_devprops *dp)
{
	int c, rc = -ENOENT;

	mutex_lock(&mp->lock);
	for (c = 0; c < MP_MED_NUMBER; c++) {
		struct mp_dev *d = &mp->dev[c];
		struct mpool_usage u = {};

		if (!d->present || strcmp(d->pd.name, name))
			continue;
		mp_usage_add(&u, d);
		memset(dp, 0, sizeof(*dp));
		memcpy(&dp->pdp_devid, d->sb.devid, sizeof(dp->pdp_devid));
		dp->pdp_mclassp = c;
		dp->pdp_status = PD_STAT_ONLINE;
		dp->pdp_total = u.mpu_total;
		dp->pdp_avail = u.mpu_total;
		dp->pdp_spare = u.mpu_spare;
		dp->pdp_fspare = u.mpu_fspare;
		dp->pdp_usable = u.mpu_usable;
		dp->pdp_fusable = u.mpu_fusable;
		dp->pdp_used = u.mpu_used;
		rc = 0;
	}
	mutex_unlock(&mp->lock);
	return rc;
}

/* Fill up to @max classes if @xv; return how many classes have a device. */
u32 mp_mclass_get(struct mpool *mp, struct mpool_mclass_xprops *xv, u32 max)
{
	u32 n = 0;
	int c;

	mutex_lock(&mp->lock);
	for (c = 0; c < MP_MED_NUMBER; c++) {
		if (!mp->dev[c].present)
			continue;
		if (xv && n < max)
			mp_mclass_fill(mp, c, &xv[n]);
		n++;
	}
	mutex_unlock(&mp->lock);
	return n;
}

int mp_drive_add(struct mpool *mp, u32 flags, const char *path, const struct pd_prop *prop)
{
	u8 c = prop->pdp_mclassp;
	struct omf_device rec;
	struct mp_dev *d;
	struct sb_info sb;
	struct pd_dev pd;
	struct smap sm = {};
	u32 zonepg, zonetot;
	int i, rc;

	if (c >= MP_MED_NUMBER)
		return -EINVAL;

	mutex_lock(&mp->lock);
	d = &mp->dev[c];
	rc = d->present ? -EEXIST : 0;
	for (i = 0; !rc && i < mp->st.ndev; i++)
		if (mp->st.dev[i].mclass == c)
			rc = -EEXIST;
	if (rc)
		goto out_unlock;

	rc = mp_dev_admit(&pd, path, mp, mp, prop, flags, &zonepg, &zonetot);
	if (rc)
		goto out_unlock;

	mp_sb_new(&sb, mp->name, mp->poolid, &pd, prop, c, zonepg, zonetot);
	rc = smap_init(&sm, zonetot, mp->st.spare[c]) ?:
	     smap_reserve(&sm, 0, sb_zones(zonepg));
	if (rc)
		goto out_smap;

	/* Superblock first, then the record that makes it part of the pool. */
	rc = sb_write(&pd, &sb);
	if (rc)
		goto out_smap;
	mp_device_rec(&sb, &rec);
	rc = pmd_log_device(&mp->mdc0, &rec);
	if (rc) {
		sb_erase(&pd);
		goto out_smap;
	}
	rc = pmd_dev_set(&mp->st, &rec);
	if (WARN_ON(rc))
		goto out_smap;

	d->present = true;
	d->pd = pd;
	d->sb = sb;
	d->smap = sm;
	d->optiosz = mp_optiosz(prop);
	pr_info("pool %s: added %s to the %s class\n", mp->name, pd.name,
		c == MP_MED_STAGING ? "staging" : "capacity");
	mutex_unlock(&mp->lock);
	return 0;

out_smap:
	smap_destroy(&sm);
	pd_close(&pd);
out_unlock:
	mutex_unlock(&mp->lock);
	return rc;
}

/* The spare percent of the media class of device @devname. */
int mp_spare_set(struct mpool *mp, const char *devname, u32 pct)
{
	int c, rc = -ENOENT;

	if (pct > 100)
		return -EINVAL;

	mutex_lock(&mp->lock);
	for (c = 0; c < MP_MED_NUMBER; c++) {
		struct mp_dev *d = &mp->dev[c];

		if (!d->present || strcmp(d->pd.name, devname))
			continue;
		rc = mp->st.spare[c] == pct ? 0 : pmd_log_spare(&mp->mdc0, c, pct);
		if (!rc) {
			mp->st.spare[c] = pct;
			smap_set_spare(&d->smap, pct);
		}
		break;
	}
	mutex_unlock(&mp->lock);
	return rc;
}
