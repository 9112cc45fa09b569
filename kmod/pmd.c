// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmd: pool metadata <-> MDC-0 records.
 *
 * Replay applies records in log order; a later record replaces an earlier
 * one with the same key (POOL: the only one; DEVICE: by device uuid;
 * SPARE: by media class; MDC: by index).  The snapshot writes the state
 * back as one record per key, which is what compaction needs.
 *
 * The owner of a pmd_state serializes all access to it (the pool's
 * metadata lock); this file does no locking.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pmd.h"

int pmd_state_init(struct pmd_state *st)
{
	int i;

	memset(st, 0, sizeof(*st));
	st->mdc = kcalloc(PMD_MDC_MAX, sizeof(*st->mdc), GFP_KERNEL);
	if (!st->mdc)
		return -ENOMEM;
	for (i = 0; i < MP_MED_NUMBER; i++)
		st->spare[i] = MPOOL_SPARES_DEFAULT;
	return 0;
}

void pmd_state_free(struct pmd_state *st)
{
	kfree(st->mdc);
	st->mdc = NULL;
}

struct pmd_dev_rec *pmd_dev_find(struct pmd_state *st, const u8 *devid)
{
	int i;

	for (i = 0; i < st->ndev; i++)
		if (!memcmp(st->dev[i].devid, devid, sizeof(st->dev[i].devid)))
			return &st->dev[i];
	return NULL;
}

/* Add or replace a device; one device per media class. */
int pmd_dev_set(struct pmd_state *st, const struct pmd_dev_rec *dev)
{
	struct pmd_dev_rec *d = pmd_dev_find(st, dev->devid);
	int i;

	if (dev->mclass >= MP_MED_NUMBER)
		return -EBADMSG;
	for (i = 0; i < st->ndev; i++)
		if (&st->dev[i] != d && st->dev[i].mclass == dev->mclass)
			return -EBADMSG;
	if (!d) {
		if (st->ndev == PMD_DEV_MAX)
			return -EBADMSG;
		d = &st->dev[st->ndev++];
	}
	*d = *dev;
	return 0;
}

int pmd_replay(void *arg, u16 type, const void *rec, u16 len)
{
	struct pmd_state *st = arg;
	struct pmd_dev_rec dev;
	struct pmd_spare_rec spare;
	struct pmd_mdc_rec mdc;
	int rc;

	switch (type) {
	case OMF_REC_POOL:
		rc = omf_pool_unpack(rec, len, &st->pool);
		if (!rc)
			st->have_pool = true;
		return rc;

	case OMF_REC_DEVICE:
		rc = omf_device_unpack(rec, len, &dev);
		return rc ?: pmd_dev_set(st, &dev);

	case OMF_REC_SPARE:
		rc = omf_spare_unpack(rec, len, &spare);
		if (rc)
			return rc;
		if (spare.mclass >= MP_MED_NUMBER || spare.pct > 100)
			return -EBADMSG;
		st->spare[spare.mclass] = spare.pct;
		return 0;

	case OMF_REC_MDC:
		rc = omf_mdc_unpack(rec, len, &mdc);
		if (rc)
			return rc;
		if (mdc.index < 1 || mdc.index > PMD_MDC_MAX)
			return -EBADMSG;
		st->mdc[mdc.index - 1] = mdc;
		st->nmdc = max_t(u16, st->nmdc, mdc.index);
		return 0;
	}

	pr_err("MDC-0: unknown record type %u\n", type);
	return -EBADMSG;
}

int pmd_snapshot(void *arg, struct mdc_writer *w)
{
	struct pmd_state *st = arg;
	u8 rec[OMF_REC_MAX];
	int i, rc;

	rc = mdc_put(w, OMF_REC_POOL, rec, omf_pool_pack(&st->pool, rec));
	for (i = 0; !rc && i < st->ndev; i++)
		rc = mdc_put(w, OMF_REC_DEVICE, rec, omf_device_pack(&st->dev[i], rec));
	for (i = 0; !rc && i < MP_MED_NUMBER; i++) {
		struct pmd_spare_rec s = { .mclass = i, .pct = st->spare[i] };

		rc = mdc_put(w, OMF_REC_SPARE, rec, omf_spare_pack(&s, rec));
	}
	for (i = 0; !rc && i < st->nmdc; i++)
		rc = mdc_put(w, OMF_REC_MDC, rec, omf_mdc_pack(&st->mdc[i], rec));
	return rc;
}

int pmd_log_pool(struct mdc *mdc0, const struct pmd_pool_cfg *pool)
{
	u8 rec[OMF_REC_MAX];

	return mdc_append(mdc0, OMF_REC_POOL, rec, omf_pool_pack(pool, rec));
}

int pmd_log_device(struct mdc *mdc0, const struct pmd_dev_rec *dev)
{
	u8 rec[OMF_REC_MAX];

	return mdc_append(mdc0, OMF_REC_DEVICE, rec, omf_device_pack(dev, rec));
}

int pmd_log_spare(struct mdc *mdc0, u8 mclass, u8 pct)
{
	struct pmd_spare_rec s = { .mclass = mclass, .pct = pct };
	u8 rec[16];

	return mdc_append(mdc0, OMF_REC_SPARE, rec, omf_spare_pack(&s, rec));
}
