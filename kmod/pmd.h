/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pmd: pool metadata, the state MDC-0 holds: the pool's configuration,
 * its devices, the spare percentage of each media class and the locations
 * of MDC-1..N.  This component turns that state into MDC-0 records and
 * back; it does no I/O of its own.
 */
#ifndef MPOOL_PMD_H
#define MPOOL_PMD_H

#include "mpool_ioctl.h"
#include "mdc.h"
#include "omf.h"

#define PMD_DEV_MAX	MP_MED_NUMBER	/* one device per media class */
#define PMD_MDC_MAX	255		/* MDC-1..255 */

/**
 * struct pmd_state - what MDC-0 describes
 * @pool:       configuration (one POOL record)
 * @have_pool:  a POOL record was seen
 * @dev:        devices, by slot; @ndev in use
 * @spare:      spare percent, by media class
 * @mdc:        MDC-1..N locations; @mdc[i - 1] is MDC-i
 * @nmdc:       N
 */
struct pmd_state {
	struct pmd_pool_cfg		pool;
	bool			have_pool;
	struct pmd_dev_rec	dev[PMD_DEV_MAX];
	int			ndev;
	u8			spare[MP_MED_NUMBER];
	struct pmd_mdc_rec		*mdc;
	u16			nmdc;
};

int pmd_state_init(struct pmd_state *st);
void pmd_state_free(struct pmd_state *st);

mdc_replay_fn pmd_replay;
mdc_snapshot_fn pmd_snapshot;

int pmd_log_pool(struct mdc *mdc0, const struct pmd_pool_cfg *pool);
int pmd_log_device(struct mdc *mdc0, const struct pmd_dev_rec *dev);
int pmd_log_spare(struct mdc *mdc0, u8 mclass, u8 pct);

int pmd_dev_set(struct pmd_state *st, const struct pmd_dev_rec *dev);
struct pmd_dev_rec *pmd_dev_find(struct pmd_state *st, const u8 *devid);

#endif /* MPOOL_PMD_H */
