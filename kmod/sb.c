// SPDX-License-Identifier: GPL-2.0-only
/*
 * sb: superblocks.
 *
 * Every pool device carries two copies (bytes 0 and 8192).  Copy 0 is
 * used when it is valid, copy 1 otherwise; the caller repairs copy 0.
 * Writes go copy 0 then copy 1, each with FUA, so that at every instant at
 * least one copy is complete.  After writing we drop the device's page
 * cache so that buffered readers (blkid, the scanner) see the new bytes.
 *
 * Callers serialize access to a device's superblocks (the management lock
 * or the pool's metadata lock); nothing here locks.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/error-injection.h>
#include <linux/kernel.h>
#include <linux/slab.h>

#include "sb.h"

static const u64 sb_offset[2] = { OMF_SB_COPY0, OMF_SB_COPY1 };

/* Zones covered by the superblock area, at least one. */
u32 sb_zones(u32 zonepg)
{
	u64 zone = (u64)zonepg * OMF_BLK_SIZE;

	return zone ? DIV_ROUND_UP_ULL(OMF_SB_RESERVED, zone) : 0;
}

/*
 * Read and check both copies.  Returns 0 and the copy used (0 or 1);
 * -ENOMSG if neither copy has the magic; otherwise copy 0's error
 * (-EBADMSG, -EPROTONOSUPPORT), or an I/O error.
 */
int sb_read(struct pd_dev *pd, struct sb_info *sb, int *copy)
{
	int rc[2] = { -ENOMSG, -ENOMSG };
	void *area;
	int i;

	area = kmalloc(OMF_SB_AREA, GFP_KERNEL);
	if (!area)
		return -ENOMEM;

	for (i = 0; i < 2; i++) {
		rc[i] = pd_read(pd, area, OMF_SB_AREA, sb_offset[i]);
		if (!rc[i])
			rc[i] = omf_sb_unpack(area, sb);
		if (!rc[i]) {
			*copy = i;
			break;
		}
	}
	kfree(area);

	if (i < 2) {
		if (i == 1)
			pr_warn("%s: superblock copy 0 is unusable (%d), using copy 1\n",
				pd->name, rc[0]);
		return 0;
	}
	if (rc[0] == -ENOMSG && rc[1] == -ENOMSG)
		return -ENOMSG;
	return rc[0] != -ENOMSG ? rc[0] : rc[1];
}

/* 1 if either copy carries the mpool magic, valid or not; 0 if neither. */
int sb_present(struct pd_dev *pd)
{
	void *area;
	int i, rc = 0;

	area = kmalloc(OMF_SB_AREA, GFP_KERNEL);
	if (!area)
		return -ENOMEM;

	for (i = 0; i < 2 && !rc; i++) {
		rc = pd_read(pd, area, OMF_SB_AREA, sb_offset[i]);
		if (!rc && omf_sb_has_magic(area))
			rc = 1;
	}
	kfree(area);
	return rc;
}

static int sb_put(struct pd_dev *pd, void *area)
{
	int i, rc = 0;

	for (i = 0; i < 2 && !rc; i++)
		rc = pd_write(pd, area, OMF_SB_AREA, sb_offset[i], true);
	pd_invalidate(pd);
	return rc;
}

/* Write both copies of @sb, copy 0 first. */
int sb_write(struct pd_dev *pd, const struct sb_info *sb)
{
	void *area;
	int rc;

	area = kmalloc(OMF_SB_AREA, GFP_KERNEL);
	if (!area)
		return -ENOMEM;

	omf_sb_pack(sb, area);
	rc = sb_put(pd, area);
	kfree(area);
	if (rc)
		pr_err("%s: superblock write failed: %d\n", pd->name, rc);
	return rc;
}

ALLOW_ERROR_INJECTION(sb_write, ERRNO);

/* Zero both copies: the device no longer belongs to a pool. */
int sb_erase(struct pd_dev *pd)
{
	void *area;
	int rc;

	area = kzalloc(OMF_SB_AREA, GFP_KERNEL);
	if (!area)
		return -ENOMEM;

	rc = sb_put(pd, area);
	kfree(area);
	return rc;
}
