/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Module-wide tunables.  They are set at load time (module parameters),
 * clamped once in mpool_init() and read-only afterwards, except where noted.
 */
#ifndef MPOOL_INIT_H
#define MPOOL_INIT_H

extern unsigned int mpool_maxunits;
extern unsigned int mpool_rwsz_max_mb;
extern unsigned int mpool_rwconc_max;	/* writable at run time */
extern unsigned int mpool_rsvd_bios_max;
extern unsigned int mpool_chunk_size_kb;	/* writable at run time */
extern unsigned int mpool_xvm_max;
extern unsigned int mpool_xvm_size_max;

#ifdef CONFIG_MPOOL_SELFTEST
int mpool_selftest_run(void);
#else
static inline int mpool_selftest_run(void)
{
	return 0;
}
#endif

#endif /* MPOOL_INIT_H */
