/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * mpool_omf.h - the on-media structures that both the module and userland
 * read: the superblock, the metadata block header and the record header
 * (docs/format.md, format version 2).  Little-endian and packed.
 *
 * The kernel includes this header from kmod/omf.h, whose omf.c is the only
 * kernel code that touches these bytes; the TypeScript codecs in
 * userland/src/gen/omf.ts are generated from the compiler's view of this
 * file (codegen/), so the superblock reader, the power-cut replayer and the
 * tests share one layout.
 */
#ifndef MPOOL_OMF_LAYOUT_H
#define MPOOL_OMF_LAYOUT_H

#include <linux/types.h>

#ifdef __KERNEL__
#include <linux/build_bug.h>
#elif !defined(__cplusplus)
#include <assert.h>
#endif

#define OMF_SB_MAGIC		0x7665446c6f6f706dULL	/* "mpoolDev" */
#define OMF_SB_VERSION		2
#define OMF_SB_VERSION_190	1	/* mpool 1.9.0: recognised, refused */
#define OMF_SB_AREA		4096	/* bytes read and written per copy */
#define OMF_SB_COPY0		0	/* byte offset of copy 0 */
#define OMF_SB_COPY1		8192	/* byte offset of copy 1 */
#define OMF_SB_RESERVED		16384	/* bytes kept for superblocks */
#define OMF_SB_USED		256	/* bytes of a copy that carry data */
#define OMF_SB_FLAG_MDC0	0x1	/* this device holds MDC-0 */

#define OMF_FEAT_MLOG		0x1
#define OMF_FEAT_MBLOCK		0x2

#define OMF_BLK_SIZE		4096
#define OMF_BLK_MAGIC		0x424c504d		/* "MPLB" */
#define OMF_BLK_VERSION		1
#define OMF_REC_ALIGN		8

/* Metadata record types. */
#define OMF_REC_END		0
#define OMF_REC_CSTART		1
#define OMF_REC_CEND		2
#define OMF_REC_POOL		16
#define OMF_REC_DEVICE		17
#define OMF_REC_SPARE		18
#define OMF_REC_MDC		19
#define OMF_REC_OBJ		32	/* MDC-1..N: an object, committed */
#define OMF_REC_OBJ_DELETE	33
#define OMF_REC_OBJ_ERASE	34
#define OMF_REC_OIDCKPT		35

#define OMF_RECORDS_MAJOR	1
#define OMF_RECORDS_MINOR	0

/*
 * The structures are packed (1-byte alignment), written with #pragma pack so
 * that the same text serves the kernel (which spells it __packed) and
 * userspace (which has no __packed); the static_asserts below pin every
 * offset that matters.
 */
#pragma pack(push, 1)

/*
 * A superblock copy.  Bytes 0..65 (magic, name, pool uuid, version, gen and
 * crc1, the CRC32C of bytes 0..61) are laid out as 1.9.0's, so that libblkid
 * identifies the device; crc2 covers bytes 0..251.
 */
struct omf_sb {
	__le64	magic;
	char	name[32];
	__u8	poolid[16];
	__le16	version;
	__le32	gen;
	__le32	crc1;
	__le16	flags;
	__le32	used;
	__u8	devid[16];
	__u8	mclass;
	__u8	devtype;
	__u8	sectorsz;
	__u8	pad0[5];
	__le32	zonepg;
	__le32	zonetot;
	__le64	devsz;
	__le64	features;
	__le64	mdc0_zaddr_a;
	__le32	mdc0_zcnt_a;
	__le32	pad1;
	__le64	mdc0_zaddr_b;
	__le32	mdc0_zcnt_b;
	__u8	rsvd[104];
	__le32	crc2;
};

/* The header of every 4 KiB metadata block; crc covers bytes 0..55. */
struct omf_blk_hdr {
	__le32	magic;
	__le16	version;
	__le16	used;
	__le64	gen;
	__le64	index;
	__u8	poolid[16];
	__le32	logid;
	__le32	prev_crc;
	__le64	nonce;
	__le32	crc;
	__le32	rsvd;
};

/* The header of one record in a block's payload. */
struct omf_rec_hdr {
	__le16	type;
	__le16	len;
	__le32	crc;
};

#pragma pack(pop)

#define MPOOL_OMF_SIZE(t, n) \
	static_assert(sizeof(struct t) == (n), "format: sizeof(struct " #t ")")
#define MPOOL_OMF_OFFSET(t, f, n) \
	static_assert(__builtin_offsetof(struct t, f) == (n), "format: " #t "." #f)

MPOOL_OMF_SIZE(omf_sb, OMF_SB_USED);
MPOOL_OMF_OFFSET(omf_sb, crc1, 62);
MPOOL_OMF_OFFSET(omf_sb, devid, 72);
MPOOL_OMF_OFFSET(omf_sb, zonepg, 96);
MPOOL_OMF_OFFSET(omf_sb, mdc0_zaddr_a, 120);
MPOOL_OMF_OFFSET(omf_sb, mdc0_zaddr_b, 136);
MPOOL_OMF_OFFSET(omf_sb, crc2, 252);
MPOOL_OMF_SIZE(omf_blk_hdr, 64);
MPOOL_OMF_OFFSET(omf_blk_hdr, crc, 56);
MPOOL_OMF_SIZE(omf_rec_hdr, 8);

#undef MPOOL_OMF_SIZE
#undef MPOOL_OMF_OFFSET

#endif /* MPOOL_OMF_LAYOUT_H */
