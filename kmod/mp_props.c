// SPDX-License-Identifier: GPL-2.0-only
/*
 * mp_props: what an active pool says about itself and what may change in
 * it while it is active.  Parameters (PARAMS_GET/SET, and the checks and
 * defaults create and activate share), properties and usage, device and
 * media class properties, adding a device (drive add) and the spare
 * percent of a media class.
 *
 * Every change is made durable in MDC-0 first and applied in memory only
 * once its record is written, so a failed append changes nothing.  Drive
 * add writes the new device's superblock before the DEVICE record that
 * makes it part of the pool: a crash in between leaves a device whose
 * superblock names a pool that does not list it: activation refuses it
 * (ENXIO) when it is given.
 *
 * Locking: everything here runs under mp->lock, which protects the pool's
 * metadata state (mp->st), its devices (mp->dev) and appends to MDC-0.
 * The usage counters of the objects are read under mp->objs.stats_lock,
 * taken after mp->lock is dropped.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "init.h"
#include "mp_private.h"

/* Parameters */

#define MP_UID_DEFAULT		0
#define MP_GID_DEFAULT		6
#define MP_MODE_DEFAULT		0660

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
int mp_params_check(const struct mpool_params *p)
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

/* Resolve create's defaults in place (KEEP -> default). */
void mp_params_defaults(struct mpool_params *p)
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

/* The node's owner and the label, where @p does not say "keep". */
void mp_cfg_merge(struct pmd_pool_cfg *cfg, const struct mpool_params *p)
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

/*
 * The optimal I/O size 1.9.0 reports for mblocks of a device: what userland
 * measured (BLKIOOPT), clamped to 4 KiB..128 KiB in whole pages, and
 * 128 KiB when the device reports none.  Clients size their writes by it.
 */
#define MP_OPTIOSZ_MIN		SZ_4K
#define MP_OPTIOSZ_MAX		SZ_128K

u32 mp_optiosz(const struct pd_prop *prop)
{
	u32 sz = prop->pdp_optiosz ?: MP_OPTIOSZ_MAX;

	return round_down(clamp_t(u32, sz, MP_OPTIOSZ_MIN, MP_OPTIOSZ_MAX), MP_OPTIOSZ_MIN);
}

/* Callers hold mp->lock. */
static void mp_params_fill(struct mpool *mp, struct mpool_params *p)
{
	const struct pmd_pool_cfg *cfg = &mp->st.pool;
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
	if (mp_fenced(mp))
		p->mp_stat = MPOOL_STAT_FAULTED;
	p->mp_spare_cap = mp->st.spare[MP_MED_CAPACITY];
	p->mp_spare_stg = mp->st.spare[MP_MED_STAGING];
	p->mp_mdc_captgt = cfg->mdc_captgt;
	p->mp_oidv[0] = cfg->oid[0];
	p->mp_oidv[1] = cfg->oid[1];
	p->mp_ra_pages_max = cfg->ra_pages_max;
	/* What VMA_CREATE enforces: this module's, whatever create stored. */
	p->mp_vma_size_max = mpool_xvm_size_max;
	for (c = 0; c < MP_MED_NUMBER; c++)
		if (mp->dev[c].present)
			p->mp_mblocksz[c] = mp_zone_bytes(mp->dev[c].sb.dev.zonepg) >> 20;
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
	struct pmd_pool_cfg cfg;
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
	u64 zone = mp_zone_bytes(d->sb.dev.zonepg);
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
	x->mc_devtype = d->sb.dev.devtype;
	x->mc_mclass = c;
	x->mc_sectorsz = d->sb.dev.sectorsz;
	x->mc_spare = mp->st.spare[c];
	x->mc_zonepg = d->sb.dev.zonepg;
	x->mc_features = d->sb.dev.features;
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

/* Devices */

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
		memcpy(&dp->pdp_devid, d->sb.dev.devid, sizeof(dp->pdp_devid));
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
	rc = pmd_log_device(&mp->mdc0, &sb.dev);
	if (rc) {
		sb_erase(&pd);
		goto out_smap;
	}
	rc = pmd_dev_set(&mp->st, &sb.dev);
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
