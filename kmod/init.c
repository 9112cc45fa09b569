// SPDX-License-Identifier: GPL-2.0-only
/*
 * mpool module entry: tunables, and bringing the components up and down in
 * order.  Each component owns its own state; this file only sequences them.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "init.h"
#include "mcache.h"
#include "mpctl.h"
#include "pd.h"
#include "reaper.h"

#define MPOOL_VERSION "0.1.0"

/*
 * Defaults match the 1.9.0 release.  Out-of-range values are clamped with a
 * notice rather than refused, so that a stale modprobe.d line cannot keep
 * the module from loading.
 */
unsigned int mpool_maxunits __read_mostly = 1024;
module_param_named(maxunits, mpool_maxunits, uint, 0444);
MODULE_PARM_DESC(maxunits, "Maximum number of device nodes: the control node plus active pools (8..8192, default 1024)");

unsigned int mpool_rwsz_max_mb __read_mostly = 32;
module_param_named(rwsz_max_mb, mpool_rwsz_max_mb, uint, 0444);
MODULE_PARM_DESC(rwsz_max_mb, "Largest mblock or mlog I/O per ioctl, in MiB (1..128, default 32)");

/*
 * Transfer shaping (pd.c), read at the start of every transfer, so both can
 * change at run time; a write out of range is EINVAL, a load-time value out
 * of range is clamped like the others.  Defaults from `make bench`
 * (README, "Transfer parameters").
 */
static bool mpool_loaded;

struct mpool_param_range {
	const char	*name;
	unsigned int	lo;
	unsigned int	hi;
};

static const struct mpool_param_range mpool_rwconc_range = { "rwconc_max", 1, 32 };
static const struct mpool_param_range mpool_chunk_range = { "chunk_size_kb", 4, 1024 };

static int mpool_param_set_range(const char *val, const struct kernel_param *kp,
				 const struct mpool_param_range *r)
{
	unsigned int v;
	int rc;

	if (mpool_loaded)
		return param_set_uint_minmax(val, kp, r->lo, r->hi);
	rc = kstrtouint(val, 0, &v);
	if (rc)
		return rc;
	if (v < r->lo || v > r->hi) {
		pr_notice("%s=%u is out of range, using %u\n", r->name, v, clamp(v, r->lo, r->hi));
		v = clamp(v, r->lo, r->hi);
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static int mpool_rwconc_set(const char *val, const struct kernel_param *kp)
{
	return mpool_param_set_range(val, kp, &mpool_rwconc_range);
}

static int mpool_chunk_set(const char *val, const struct kernel_param *kp)
{
	return mpool_param_set_range(val, kp, &mpool_chunk_range);
}

static const struct kernel_param_ops mpool_rwconc_ops = {
	.set = mpool_rwconc_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops mpool_chunk_ops = {
	.set = mpool_chunk_set,
	.get = param_get_uint,
};

/*
 * The transfer shape.  Measured (make bench BENCH=xfer, TCG guest, reads of
 * 16 MiB against O_DIRECT on the same disk): one 1 MiB bio at a time 0.54x,
 * eight of 128 KiB 0.45x, eight of 1 MiB 0.94x.  Both earn their keep.
 */
unsigned int mpool_rwconc_max __read_mostly = 8;
module_param_cb(rwconc_max, &mpool_rwconc_ops, &mpool_rwconc_max, 0644);
MODULE_PARM_DESC(rwconc_max, "Bios of one mblock or mlog transfer in flight at once (1..32, default 8; 1 writes 16 MiB at half the speed)");

unsigned int mpool_chunk_size_kb __read_mostly = 1024;
module_param_cb(chunk_size_kb, &mpool_chunk_ops, &mpool_chunk_size_kb, 0644);
MODULE_PARM_DESC(chunk_size_kb, "Largest bio of an mblock or mlog transfer, in KiB (4..1024, default 1024; 128 writes 16 MiB at under half the speed)");

unsigned int mpool_rsvd_bios_max __read_mostly = 16;
module_param_named(rsvd_bios_max, mpool_rsvd_bios_max, uint, 0444);
MODULE_PARM_DESC(rsvd_bios_max, "Bios in reserve for metadata I/O, which never waits for memory (1..1024, default 16)");

unsigned int mpool_xvm_max __read_mostly = 1048576 * 128;
module_param_named(xvm_max, mpool_xvm_max, uint, 0444);
MODULE_PARM_DESC(xvm_max, "Maximum number of mcache maps (1024..2^30, default 2^27)");

unsigned int mpool_xvm_size_max __read_mostly = 30;
module_param_named(xvm_size_max, mpool_xvm_size_max, uint, 0444);
MODULE_PARM_DESC(xvm_size_max, "log2 of the address space of one mcache map (27..32, default 30)");

static void __init mpool_clamp(const char *name, unsigned int *val,
			       unsigned int lo, unsigned int hi)
{
	unsigned int v = clamp(*val, lo, hi);

	if (v != *val)
		pr_notice("%s=%u is out of range, using %u\n", name, *val, v);
	*val = v;
}

static void __init mpool_params_clamp(void)
{
	mpool_clamp("maxunits", &mpool_maxunits, 8, 8192);
	mpool_clamp("rwsz_max_mb", &mpool_rwsz_max_mb, 1, 128);
	mpool_clamp("rsvd_bios_max", &mpool_rsvd_bios_max, 1, 1024);
	mpool_clamp("xvm_max", &mpool_xvm_max, 1024, 1U << 30);
	mpool_clamp("xvm_size_max", &mpool_xvm_size_max, 27, 32);
}

static int __init mpool_init(void)
{
	int rc;

	mpool_params_clamp();

	rc = pd_init();
	if (rc)
		return rc;

	rc = mcache_init();
	if (rc)
		goto out_pd;

	rc = reaper_init();
	if (rc)
		goto out_mcache;

	rc = mpctl_init();
	if (rc)
		goto out_reaper;

	rc = mpool_selftest_run();
	if (rc)
		goto out_mpctl;

	mpool_loaded = true;
	pr_info("version %s loaded\n", MPOOL_VERSION);
	return 0;

out_mpctl:
	mpctl_exit();
out_reaper:
	reaper_exit();
out_mcache:
	mcache_exit();
out_pd:
	pd_exit();
	return rc;
}

static void __exit mpool_exit(void)
{
	mpctl_exit();
	reaper_exit();
	mcache_exit();
	pd_exit();
	pr_info("unloaded\n");
}

module_init(mpool_init);
module_exit(mpool_exit);

MODULE_DESCRIPTION("Object storage media pool (mpool)");
MODULE_AUTHOR("The mpool authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(MPOOL_VERSION);
