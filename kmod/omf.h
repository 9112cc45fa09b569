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

/* In-memory forms. */

/**
 * struct sb_info - a superblock, decoded
 * @gen:        incremented by every rewrite
 * @flags:      OMF_SB_FLAG_*
 * @mdc0_zaddr: first zone of MDC-0's logs A and B (MDC-0 device only)
 * @mdc0_zcnt:  zones in each of MDC-0's logs
 */
struct sb_info {
	char	name[32];
	u8	poolid[16];
	u32	gen;
	u16	flags;
	u8	devid[16];
	u8	mclass;
	u8	devtype;
	u8	sectorsz;
	u32	zonepg;
	u32	zonetot;
	u64	devsz;
	u64	features;
	u64	mdc0_zaddr[2];
	u32	mdc0_zcnt[2];
};

struct omf_pool {
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

struct omf_device {
	u8	devid[16];
	u8	mclass;
	u8	devtype;
	u8	sectorsz;
	u32	zonepg;
	u32	zonetot;
	u64	devsz;
	u64	features;
};

struct omf_spare {
	u8	mclass;
	u8	pct;
};

struct omf_mdc {
	u16	index;
	u64	zaddr[2];
	u32	zcnt[2];
	u8	devid[16];
};

/* An object as its MDC records it. */
struct omf_obj {
	u64	objid;
	u64	zaddr;
	u32	zcnt;
	u8	mclass;
	u8	spare;
	u64	wlen;		/* mblock: bytes written */
	u64	gen;		/* mlog: generation */
	u8	uuid[16];	/* mlog: the magic its log blocks carry */
};

struct omf_cstart {
	u64	gen;
	u16	major;
	u16	minor;
};

int omf_init(void);
void omf_exit(void);

u32 omf_crc32c(const void *buf, size_t len);

void omf_sb_pack(const struct sb_info *sb, void *area);
int omf_sb_unpack(const void *area, struct sb_info *sb);
bool omf_sb_has_magic(const void *area);

void omf_blk_seal(void *blk, u64 gen, u64 index, const u8 *poolid, u32 logid,
		  u32 prev_crc, u64 nonce, u16 used);
int omf_blk_check(const void *blk, u64 index, const u8 *poolid, u32 logid,
		  u32 prev_crc, u64 *gen, u16 *used);
u32 omf_blk_crc(const void *blk);

int omf_rec_put(void *payload_area, u16 *used, u16 type, const void *rec,
		u16 len);
int omf_rec_next(const void *payload_area, u16 used, u16 *off, u16 *type,
		 const void **rec, u16 *len);

u16 omf_pool_pack(const struct omf_pool *p, void *buf);
int omf_pool_unpack(const void *buf, u16 len, struct omf_pool *p);
u16 omf_device_pack(const struct omf_device *d, void *buf);
int omf_device_unpack(const void *buf, u16 len, struct omf_device *d);
u16 omf_spare_pack(const struct omf_spare *s, void *buf);
int omf_spare_unpack(const void *buf, u16 len, struct omf_spare *s);
u16 omf_mdc_pack(const struct omf_mdc *m, void *buf);
int omf_mdc_unpack(const void *buf, u16 len, struct omf_mdc *m);
u16 omf_cstart_pack(const struct omf_cstart *c, void *buf);
int omf_cstart_unpack(const void *buf, u16 len, struct omf_cstart *c);
u16 omf_cend_pack(u32 count, void *buf);
u16 omf_obj_pack(const struct omf_obj *o, void *buf);
int omf_obj_unpack(const void *buf, u16 len, struct omf_obj *o);
u16 omf_oid_pack(u64 objid, u64 gen, void *buf);
int omf_oid_unpack(const void *buf, u16 len, u64 *objid, u64 *gen);

#endif /* MPOOL_OMF_H */
