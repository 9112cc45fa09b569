// SPDX-License-Identifier: GPL-2.0-only
/*
 * Deliberate faults, for proving that the test harness catches them.  This
 * file is compiled only into test builds (make -C kmod SELFTEST=1); a normal
 * build has no trace of it.
 *
 *   insmod mpool.ko selftest=oops   NULL dereference at load
 *   insmod mpool.ko selftest=warn   WARN() at load
 *   insmod mpool.ko selftest=uaf    use after free at load (KASAN)
 *   insmod mpool.ko selftest=leak   unreferenced allocation (kmemleak)
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "init.h"

static char *selftest = "";
module_param(selftest, charp, 0444);
MODULE_PARM_DESC(selftest, "Deliberate fault at load: oops, warn, uaf or leak (test builds only)");

/* Global and written nowhere, so the compiler cannot prove it is NULL. */
int *mpool_selftest_null;

static noinline int selftest_uaf(void)
{
	int *p = kmalloc(64, GFP_KERNEL);
	int v;

	if (!p)
		return -ENOMEM;
	p[0] = 1;
	kfree(p);
	v = READ_ONCE(p[0]);	/* the fault under test */
	return v == 0x5a5a5a5a ? 1 : 0;
}

static noinline int selftest_leak(void)
{
	void *p = kmalloc(192, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	memset(p, 0xa5, 192);
	pr_warn("selftest: leaking 192 bytes at %p\n", p);
	return 0;		/* the fault under test: p is never freed */
}

int mpool_selftest_run(void)
{
	if (!selftest[0])
		return 0;

	pr_warn("selftest: injecting fault '%s'\n", selftest);

	if (!strcmp(selftest, "oops"))
		return READ_ONCE(*mpool_selftest_null);
	if (!strcmp(selftest, "warn")) {
		WARN(1, "mpool selftest warning\n");
		return 0;
	}
	if (!strcmp(selftest, "uaf"))
		return selftest_uaf() < 0 ? -ENOMEM : 0;
	if (!strcmp(selftest, "leak"))
		return selftest_leak();

	pr_err("selftest: unknown fault '%s'\n", selftest);
	return -EINVAL;
}
