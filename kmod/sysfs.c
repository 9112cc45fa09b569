// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysfs: the attributes of the control node and of each pool node (see
 * sysfs.h for the layout).  The groups are the nodes' own (dev.groups),
 * so they appear with the node and go with device_del(), which waits for
 * any show() in progress.
 *
 * Counters are read when a file is read: mcache's by walking its maps
 * (mcache_stats()), the reaper's from its last tick, a pool's I/O from
 * its object table.  A pool's files hold the pool against deactivation
 * while they read it (mpc_dev_pool_get()); once the node no longer
 * presents a pool they are ENODEV.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/sysfs.h>

#include "init.h"
#include "mcache.h"
#include "mp.h"
#include "mpctl.h"
#include "reaper.h"
#include "sysfs.h"

/*
 * Counter indexes.  The first ones are mcache's and shared by both kinds
 * of node; each node kind adds its own after them.
 */
enum {
	ST_MAPS,
	ST_PAGES,				/* + advice */
	ST_CNT = ST_PAGES + MC_NR_ADVICE,	/* + enum mc_counter */
	ST_MC_END = ST_CNT + MC_NR_COUNTERS,

	/* control node */
	ST_REAP_PASSES = ST_MC_END,
	ST_REAP_URGENCY,
	ST_REAP_TTL_CUR,
	ST_REAP_FREEPCT,
	ST_CTL_END,

	/* pool node: + (type - 1) * 4 + write * 2 + bytes */
	ST_IO = ST_MC_END,
	ST_POOL_END = ST_IO + 8,
};

/* Room for either kind's counters. */
#define ST_MAX	ST_POOL_END
static_assert(ST_CTL_END <= ST_MAX);

struct mp_attr {
	struct device_attribute	attr;
	int			idx;
};

static int mp_attr_idx(struct device_attribute *da)
{
	return container_of(da, struct mp_attr, attr)->idx;
}

static void st_fill_mcache(u64 *v, const struct mc_stats *st)
{
	int i;

	v[ST_MAPS] = st->maps;
	for (i = 0; i < MC_NR_ADVICE; i++)
		v[ST_PAGES + i] = st->pages[i];
	for (i = 0; i < MC_NR_COUNTERS; i++)
		v[ST_CNT + i] = st->cnt[i];
}

/* mpoolctl/parameters: the reaper's knobs */

enum { KNOB_MEMPCT, KNOB_TTL, KNOB_DEBUG };

static ssize_t knob_show(struct device *dev, struct device_attribute *da, char *buf)
{
	struct reaper_state rs;
	unsigned int v;

	reaper_state(&rs);
	switch (mp_attr_idx(da)) {
	case KNOB_MEMPCT:
		v = rs.mempct;
		break;
	case KNOB_TTL:
		v = rs.ttl;
		break;
	default:
		v = rs.debug;
	}
	return sysfs_emit(buf, "%u\n", v);
}

/* A value that is not a decimal number, or is out of range, is EINVAL. */
static ssize_t knob_store(struct device *dev, struct device_attribute *da,
			  const char *buf, size_t count)
{
	unsigned int v;
	int rc;

	if (kstrtouint(buf, 10, &v))
		return -EINVAL;
	switch (mp_attr_idx(da)) {
	case KNOB_MEMPCT:
		rc = reaper_set_mempct(v);
		break;
	case KNOB_TTL:
		rc = reaper_set_ttl(v);
		break;
	default:
		rc = reaper_set_debug(v);
	}
	return rc ?: count;
}

#define MP_KNOB(_name, _idx) \
	static struct mp_attr knob_##_name = { __ATTR(_name, 0644, knob_show, knob_store), _idx }

MP_KNOB(reap_mempct, KNOB_MEMPCT);
MP_KNOB(reap_ttl, KNOB_TTL);
MP_KNOB(reap_debug, KNOB_DEBUG);

static struct attribute *ctl_param_attrs[] = {
	&knob_reap_mempct.attr.attr,
	&knob_reap_ttl.attr.attr,
	&knob_reap_debug.attr.attr,
	NULL,
};

static const struct attribute_group ctl_param_group = {
	.name	= "parameters",
	.attrs	= ctl_param_attrs,
};

/* mpoolctl/stats */

static ssize_t ctl_stat_show(struct device *dev, struct device_attribute *da, char *buf)
{
	struct reaper_state rs;
	struct mc_stats st;
	u64 v[ST_MAX];

	mcache_stats(NULL, &st);
	st_fill_mcache(v, &st);
	reaper_state(&rs);
	v[ST_REAP_PASSES] = rs.passes;
	v[ST_REAP_URGENCY] = rs.urgency;
	v[ST_REAP_TTL_CUR] = rs.ttl_cur;
	v[ST_REAP_FREEPCT] = rs.freepct;
	return sysfs_emit(buf, "%llu\n", v[mp_attr_idx(da)]);
}

#define MP_CTL_STAT(_name, _idx) \
	static struct mp_attr ctl_##_name = { __ATTR(_name, 0444, ctl_stat_show, NULL), _idx }

MP_CTL_STAT(maps, ST_MAPS);
MP_CTL_STAT(pages_cold, ST_PAGES + MPC_VMA_COLD);
MP_CTL_STAT(pages_warm, ST_PAGES + MPC_VMA_WARM);
MP_CTL_STAT(pages_hot, ST_PAGES + MPC_VMA_HOT);
MP_CTL_STAT(pages_pinned, ST_PAGES + MPC_VMA_PINNED);
MP_CTL_STAT(faults_major, ST_CNT + MC_FAULTS_MAJOR);
MP_CTL_STAT(faults_minor, ST_CNT + MC_FAULTS_MINOR);
MP_CTL_STAT(ra_pages, ST_CNT + MC_RA_PAGES);
MP_CTL_STAT(reap_mblocks, ST_CNT + MC_REAP_MBLOCKS);
MP_CTL_STAT(reap_pages, ST_CNT + MC_REAP_PAGES);
MP_CTL_STAT(reap_passes, ST_REAP_PASSES);
MP_CTL_STAT(reap_urgency, ST_REAP_URGENCY);
MP_CTL_STAT(reap_ttl_cur, ST_REAP_TTL_CUR);
MP_CTL_STAT(reap_freepct, ST_REAP_FREEPCT);

static struct attribute *ctl_stat_attrs[] = {
	&ctl_maps.attr.attr,
	&ctl_pages_cold.attr.attr,
	&ctl_pages_warm.attr.attr,
	&ctl_pages_hot.attr.attr,
	&ctl_pages_pinned.attr.attr,
	&ctl_faults_major.attr.attr,
	&ctl_faults_minor.attr.attr,
	&ctl_ra_pages.attr.attr,
	&ctl_reap_mblocks.attr.attr,
	&ctl_reap_pages.attr.attr,
	&ctl_reap_passes.attr.attr,
	&ctl_reap_urgency.attr.attr,
	&ctl_reap_ttl_cur.attr.attr,
	&ctl_reap_freepct.attr.attr,
	NULL,
};

static const struct attribute_group ctl_stat_group = {
	.name	= "stats",
	.attrs	= ctl_stat_attrs,
};

const struct attribute_group *mpool_ctl_groups[] = {
	&ctl_param_group,
	&ctl_stat_group,
	NULL,
};

/* <pool>/parameters (1.9.0's) */

enum { PP_UID, PP_GID, PP_MODE, PP_RA, PP_LABEL, PP_VMA, PP_TYPE };

static ssize_t pool_param_show(struct device *dev, struct device_attribute *da, char *buf)
{
	struct mpool_params params;
	u32 uid, gid, mode;
	struct mpool *mp;
	ssize_t rc;

	switch (mp_attr_idx(da)) {
	case PP_UID:
	case PP_GID:
	case PP_MODE:
		mpc_dev_owner(dev, &uid, &gid, &mode);
		if (mp_attr_idx(da) == PP_MODE)
			return sysfs_emit(buf, "0%o\n", mode);
		return sysfs_emit(buf, "%u\n", mp_attr_idx(da) == PP_UID ? uid : gid);
	case PP_VMA:
		return sysfs_emit(buf, "%u\n", mpool_xvm_size_max);
	}

	mp = mpc_dev_pool_get(dev);
	if (!mp) {
		rc = -ENODEV;
		goto out_put;
	}
	mp_params_get(mp, &params);
	switch (mp_attr_idx(da)) {
	case PP_RA:
		rc = sysfs_emit(buf, "%u\n", params.mp_ra_pages_max);
		break;
	case PP_LABEL:
		rc = sysfs_emit(buf, "%.*s\n", (int)sizeof(params.mp_label), params.mp_label);
		break;
	default:
		rc = sysfs_emit(buf, "%pUb\n", &params.mp_utype);
	}
out_put:
	mpc_dev_pool_put(dev);
	return rc;
}

#define MP_POOL_PARAM(_name, _idx) \
	static struct mp_attr pp_##_name = { __ATTR(_name, 0444, pool_param_show, NULL), _idx }

MP_POOL_PARAM(uid, PP_UID);
MP_POOL_PARAM(gid, PP_GID);
MP_POOL_PARAM(mode, PP_MODE);
MP_POOL_PARAM(ra, PP_RA);
MP_POOL_PARAM(label, PP_LABEL);
MP_POOL_PARAM(vma, PP_VMA);
MP_POOL_PARAM(type, PP_TYPE);

static struct attribute *pool_param_attrs[] = {
	&pp_uid.attr.attr,
	&pp_gid.attr.attr,
	&pp_mode.attr.attr,
	&pp_ra.attr.attr,
	&pp_label.attr.attr,
	&pp_vma.attr.attr,
	&pp_type.attr.attr,
	NULL,
};

static const struct attribute_group pool_param_group = {
	.name	= "parameters",
	.attrs	= pool_param_attrs,
};

/* <pool>/stats */

static ssize_t pool_stat_show(struct device *dev, struct device_attribute *da, char *buf)
{
	int idx = mp_attr_idx(da);
	struct mc_stats st;
	struct mpool *mp;
	u64 v[ST_MAX];
	ssize_t rc;

	mp = mpc_dev_pool_get(dev);
	if (!mp) {
		rc = -ENODEV;
		goto out_put;
	}
	if (idx >= ST_IO) {
		u64 ops, bytes;
		int io = idx - ST_IO;

		obj_io_stats(mp, io / 4 ? OBJ_TYPE_MLOG : OBJ_TYPE_MBLOCK, io & 2, &ops, &bytes);
		rc = sysfs_emit(buf, "%llu\n", io & 1 ? bytes : ops);
		goto out_put;
	}
	mcache_stats(mp, &st);
	st_fill_mcache(v, &st);
	rc = sysfs_emit(buf, "%llu\n", v[idx]);
out_put:
	mpc_dev_pool_put(dev);
	return rc;
}

#define MP_POOL_STAT(_name, _idx) \
	static struct mp_attr ps_##_name = { __ATTR(_name, 0444, pool_stat_show, NULL), _idx }

MP_POOL_STAT(mb_read_ops, ST_IO + 0);
MP_POOL_STAT(mb_read_bytes, ST_IO + 1);
MP_POOL_STAT(mb_write_ops, ST_IO + 2);
MP_POOL_STAT(mb_write_bytes, ST_IO + 3);
MP_POOL_STAT(ml_read_ops, ST_IO + 4);
MP_POOL_STAT(ml_read_bytes, ST_IO + 5);
MP_POOL_STAT(ml_write_ops, ST_IO + 6);
MP_POOL_STAT(ml_write_bytes, ST_IO + 7);
MP_POOL_STAT(maps, ST_MAPS);
MP_POOL_STAT(pages_cold, ST_PAGES + MPC_VMA_COLD);
MP_POOL_STAT(pages_warm, ST_PAGES + MPC_VMA_WARM);
MP_POOL_STAT(pages_hot, ST_PAGES + MPC_VMA_HOT);
MP_POOL_STAT(pages_pinned, ST_PAGES + MPC_VMA_PINNED);
MP_POOL_STAT(faults_major, ST_CNT + MC_FAULTS_MAJOR);
MP_POOL_STAT(faults_minor, ST_CNT + MC_FAULTS_MINOR);
MP_POOL_STAT(ra_pages, ST_CNT + MC_RA_PAGES);
MP_POOL_STAT(reap_mblocks, ST_CNT + MC_REAP_MBLOCKS);
MP_POOL_STAT(reap_pages, ST_CNT + MC_REAP_PAGES);

static struct attribute *pool_stat_attrs[] = {
	&ps_mb_read_ops.attr.attr,
	&ps_mb_read_bytes.attr.attr,
	&ps_mb_write_ops.attr.attr,
	&ps_mb_write_bytes.attr.attr,
	&ps_ml_read_ops.attr.attr,
	&ps_ml_read_bytes.attr.attr,
	&ps_ml_write_ops.attr.attr,
	&ps_ml_write_bytes.attr.attr,
	&ps_maps.attr.attr,
	&ps_pages_cold.attr.attr,
	&ps_pages_warm.attr.attr,
	&ps_pages_hot.attr.attr,
	&ps_pages_pinned.attr.attr,
	&ps_faults_major.attr.attr,
	&ps_faults_minor.attr.attr,
	&ps_ra_pages.attr.attr,
	&ps_reap_mblocks.attr.attr,
	&ps_reap_pages.attr.attr,
	NULL,
};

static const struct attribute_group pool_stat_group = {
	.name	= "stats",
	.attrs	= pool_stat_attrs,
};

const struct attribute_group *mpool_pool_groups[] = {
	&pool_param_group,
	&pool_stat_group,
	NULL,
};
