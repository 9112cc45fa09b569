/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * omf: the on-media format (docs/format.md), and nothing else.  The
 * structures userland reads too (superblock, block and record headers) are
 * declared in uapi/mpool_omf.h, shared with the codegen; record payloads
 * are packed here.  Every conversion between media bytes and their
 * in-memory form lives in omf.c: no other file touches a byte on media.
 */
#ifndef MPOOL_OMF_H
#define MPOOL_OMF_H

#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/uuid.h>

#include "mpool_omf.h"

#define OMF_BLK_PAYLOAD		(OMF_BLK_SIZE - sizeof(struct omf_blk_hdr))

/* The largest record payload this format defines, with room to grow. */
#define OMF_REC_MAX		512

/*
 * Decoded forms.  What the codec below turns media bytes into and back:
 * plain host-endian structures that nothing writes to media as they are.
 * Each is named after the component that owns it (pmd: MDC-0 and the
 * object records; mdc: the compaction marker).
 */

/* One pool device: MDC-0's DEVICE record. */
struct pmd_dev_rec {
	u8	devid[16];
	u8	mclass;
	u8	devtype;
	u8	sectorsz;
	u32	zonepg;
	u32	zonetot;
	u64	devsz;
	u64	features;
};

/**
 * struct sb_info - a superblock, decoded
 * @gen:        incremented by every rewrite
 * @flags:      OMF_SB_FLAG_*
 * @dev:        the device as the pool describes it (MDC-0 records the same)
 * @mdc0_zaddr: first zone of MDC-0's logs A and B (MDC-0 device only)
 * @mdc0_zcnt:  zones in each of MDC-0's logs
 */
struct sb_info {
	char	name[32];
	u8	poolid[16];
	u32	gen;
	u16	flags;
	struct pmd_dev_rec dev;
	u64	mdc0_zaddr[2];
	u32	mdc0_zcnt[2];
};

/* The pool's configuration: MDC-0's POOL record. */
struct pmd_pool_cfg {
	u32	uid;
	u32	gid;
	u32	mode;
	u32	ra_pages_max;
	u32	vma_size_max;
	u16	mdcnum;
	u64	mdc_captgt;
	u64	oid[2];
	u8	utype[16];
	char	label[64];
	u32	mdc0cap;	/* MiB */
	u32	mdcncap;	/* MiB */
};

/* The spare percent of a media class: MDC-0's SPARE record. */
struct pmd_spare_rec {
	u8	mclass;
	u8	pct;
};

/* Where MDC-@index lives: MDC-0's MDC record. */
struct pmd_mdc_rec {
	u16	index;
	u64	zaddr[2];
	u32	zcnt[2];
	u8	devid[16];
};

/* An object as its MDC records it. */
struct pmd_obj_rec {
	u64	objid;
	u64	zaddr;
	u32	zcnt;
	u8	mclass;
	u8	spare;
	u64	wlen;		/* mblock: bytes written */
	u64	gen;		/* mlog: generation */
	u8	uuid[16];	/* mlog: the magic its log blocks carry */
};

/* The CSTART record that opens a compacted log. */
struct mdc_cstart_rec {
	u64	gen;
	u16	major;
	u16	minor;
};

u32 omf_crc32c(const void *buf, size_t len);

void omf_sb_pack(const struct sb_info *sb, void *area);
int omf_sb_unpack(const void *area, struct sb_info *sb);
bool omf_sb_has_magic(const void *area);

u32 omf_blk_seal(void *blk, u64 gen, u64 index, const u8 *poolid, u32 logid,
		 u32 prev_crc, u64 nonce, u16 used);
int omf_blk_check(const void *blk, u64 index, const u8 *poolid, u32 logid,
		  u32 prev_crc, u64 *gen, u16 *used, u32 *crc);

int omf_rec_put(void *payload_area, u16 *used, u16 type, const void *rec,
		u16 len);
int omf_rec_next(const void *payload_area, u16 used, u16 *off, u16 *type,
		 const void **rec, u16 *len);

u16 omf_pool_pack(const struct pmd_pool_cfg *p, void *buf);
int omf_pool_unpack(const void *buf, u16 len, struct pmd_pool_cfg *p);
u16 omf_device_pack(const struct pmd_dev_rec *d, void *buf);
int omf_device_unpack(const void *buf, u16 len, struct pmd_dev_rec *d);
u16 omf_spare_pack(const struct pmd_spare_rec *s, void *buf);
int omf_spare_unpack(const void *buf, u16 len, struct pmd_spare_rec *s);
u16 omf_mdc_pack(const struct pmd_mdc_rec *m, void *buf);
int omf_mdc_unpack(const void *buf, u16 len, struct pmd_mdc_rec *m);
u16 omf_cstart_pack(const struct mdc_cstart_rec *c, void *buf);
int omf_cstart_unpack(const void *buf, u16 len, struct mdc_cstart_rec *c);
u16 omf_cend_pack(u32 count, void *buf);
u16 omf_obj_pack(const struct pmd_obj_rec *o, void *buf);
int omf_obj_unpack(const void *buf, u16 len, struct pmd_obj_rec *o);
u16 omf_oid_pack(u64 objid, u64 gen, void *buf);
int omf_oid_unpack(const void *buf, u16 len, u64 *objid, u64 *gen);

#endif /* MPOOL_OMF_H */
