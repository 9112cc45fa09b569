/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sb: the two superblock copies on every pool device.
 */
#ifndef MPOOL_SB_H
#define MPOOL_SB_H

#include "omf.h"
#include "pd.h"

int sb_read(struct pd_dev *pd, struct sb_info *sb, int *copy);
int sb_present(struct pd_dev *pd);
int sb_write(struct pd_dev *pd, const struct sb_info *sb);
int sb_erase(struct pd_dev *pd);
u32 sb_zones(u32 zonepg);

#endif /* MPOOL_SB_H */
