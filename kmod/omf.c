// SPDX-License-Identifier: GPL-2.0-only
/*
 * omf: packing and unpacking of everything mpool keeps on media.
 *
 * Checksums are the standard CRC32C (initial ~0, final xor ~0), stored as
 * a little-endian word: the function libblkid uses to check the superblock.
 * The kernel's CRC32C library call (mpool_crc32c(), compat.h) is the raw
 * update, seeded by its caller and not inverted, so omf_crc3() seeds it
 * with ~0 and inverts the result.
 * It keeps no state of its own here: no setup, no lock.
 */

#include <linux/kernel.h>
#include <linux/string.h>

#include "compat.h"
#include "omf.h"

/* CRC32C over up to three pieces, as if they were contiguous. */
static u32 omf_crc3(const void *a, size_t alen, const void *b, size_t blen,
		    const void *c, size_t clen)
{
	u32 crc = mpool_crc32c(~0U, a, alen);

	if (blen)
		crc = mpool_crc32c(crc, b, blen);
	if (clen)
		crc = mpool_crc32c(crc, c, clen);
	return ~crc;
}

u32 omf_crc32c(const void *buf, size_t len)
{
	return omf_crc3(buf, len, NULL, 0, NULL, 0);
}

/* Superblock */

bool omf_sb_has_magic(const void *area)
{
	const struct omf_sb *osb = area;

	return le64_to_cpu(osb->magic) == OMF_SB_MAGIC;
}

void omf_sb_pack(const struct sb_info *sb, void *area)
{
	struct omf_sb *osb = area;

	memset(area, 0, OMF_SB_AREA);
	osb->magic = cpu_to_le64(OMF_SB_MAGIC);
	strscpy_pad(osb->name, sb->name, sizeof(osb->name));
	memcpy(osb->poolid, sb->poolid, sizeof(osb->poolid));
	osb->version = cpu_to_le16(OMF_SB_VERSION);
	osb->gen = cpu_to_le32(sb->gen);
	osb->crc1 = cpu_to_le32(omf_crc32c(osb, offsetof(struct omf_sb, crc1)));

	osb->flags = cpu_to_le16(sb->flags);
	osb->used = cpu_to_le32(OMF_SB_USED);
	memcpy(osb->devid, sb->dev.devid, sizeof(osb->devid));
	osb->mclass = sb->dev.mclass;
	osb->devtype = sb->dev.devtype;
	osb->sectorsz = sb->dev.sectorsz;
	osb->zonepg = cpu_to_le32(sb->dev.zonepg);
	osb->zonetot = cpu_to_le32(sb->dev.zonetot);
	osb->devsz = cpu_to_le64(sb->dev.devsz);
	osb->features = cpu_to_le64(sb->dev.features);
	osb->mdc0_zaddr_a = cpu_to_le64(sb->mdc0_zaddr[0]);
	osb->mdc0_zcnt_a = cpu_to_le32(sb->mdc0_zcnt[0]);
	osb->mdc0_zaddr_b = cpu_to_le64(sb->mdc0_zaddr[1]);
	osb->mdc0_zcnt_b = cpu_to_le32(sb->mdc0_zcnt[1]);
	osb->crc2 = cpu_to_le32(omf_crc32c(osb, offsetof(struct omf_sb, crc2)));
}

/*
 * Decode and check one superblock copy.  Returns -ENOMSG without the
 * magic, -EPROTONOSUPPORT for a version we do not read, -EBADMSG for a
 * checksum or sanity failure.
 */
int omf_sb_unpack(const void *area, struct sb_info *sb)
{
	const struct omf_sb *osb = area;
	u16 version;

	if (!omf_sb_has_magic(area))
		return -ENOMSG;
	if (le32_to_cpu(osb->crc1) != omf_crc32c(osb, offsetof(struct omf_sb, crc1)))
		return -EBADMSG;

	version = le16_to_cpu(osb->version);
	if (version != OMF_SB_VERSION)
		return -EPROTONOSUPPORT;
	if (le32_to_cpu(osb->crc2) != omf_crc32c(osb, offsetof(struct omf_sb, crc2)))
		return -EBADMSG;

	memset(sb, 0, sizeof(*sb));
	memcpy(sb->name, osb->name, sizeof(osb->name));
	sb->name[sizeof(sb->name) - 1] = '\0';
	memcpy(sb->poolid, osb->poolid, sizeof(sb->poolid));
	sb->gen = le32_to_cpu(osb->gen);
	sb->flags = le16_to_cpu(osb->flags);
	memcpy(sb->dev.devid, osb->devid, sizeof(sb->dev.devid));
	sb->dev.mclass = osb->mclass;
	sb->dev.devtype = osb->devtype;
	sb->dev.sectorsz = osb->sectorsz;
	sb->dev.zonepg = le32_to_cpu(osb->zonepg);
	sb->dev.zonetot = le32_to_cpu(osb->zonetot);
	sb->dev.devsz = le64_to_cpu(osb->devsz);
	sb->dev.features = le64_to_cpu(osb->features);
	sb->mdc0_zaddr[0] = le64_to_cpu(osb->mdc0_zaddr_a);
	sb->mdc0_zcnt[0] = le32_to_cpu(osb->mdc0_zcnt_a);
	sb->mdc0_zaddr[1] = le64_to_cpu(osb->mdc0_zaddr_b);
	sb->mdc0_zcnt[1] = le32_to_cpu(osb->mdc0_zcnt_b);

	/* The geometry must describe a device this superblock can live on. */
	if (!sb->dev.zonepg || !sb->dev.zonetot ||
	    (u64)sb->dev.zonetot * sb->dev.zonepg * OMF_BLK_SIZE > sb->dev.devsz)
		return -EBADMSG;
	if (sb->flags & OMF_SB_FLAG_MDC0) {
		int i;

		for (i = 0; i < 2; i++)
			if (!sb->mdc0_zcnt[i] ||
			    sb->mdc0_zaddr[i] + sb->mdc0_zcnt[i] > sb->dev.zonetot)
				return -EBADMSG;
	}
	return 0;
}

/* Metadata blocks */

static const u8 omf_zero4[4];

static u32 omf_blk_crc(const void *blk)
{
	const size_t at = offsetof(struct omf_blk_hdr, crc);

	return omf_crc3(blk, at, omf_zero4, sizeof(omf_zero4),
			(const u8 *)blk + at + 4, OMF_BLK_SIZE - at - 4);
}

/* Fill in @blk's header and checksum; returns the checksum (the next block's prev_crc). */
u32 omf_blk_seal(void *blk, u64 gen, u64 index, const u8 *poolid, u32 logid,
		 u32 prev_crc, u64 nonce, u16 used)
{
	struct omf_blk_hdr *h = blk;
	u32 crc;

	h->magic = cpu_to_le32(OMF_BLK_MAGIC);
	h->version = cpu_to_le16(OMF_BLK_VERSION);
	h->used = cpu_to_le16(used);
	h->gen = cpu_to_le64(gen);
	h->index = cpu_to_le64(index);
	memcpy(h->poolid, poolid, sizeof(h->poolid));
	h->logid = cpu_to_le32(logid);
	h->prev_crc = cpu_to_le32(prev_crc);
	h->nonce = cpu_to_le64(nonce);
	h->rsvd = 0;
	crc = omf_blk_crc(blk);
	h->crc = cpu_to_le32(crc);
	return crc;
}

/*
 * Is @blk block @index of log @logid of pool @poolid, following a block
 * whose crc was @prev_crc?  On success returns its generation, the bytes
 * of records it holds and its checksum (verified: the caller need not
 * compute it again to chain the next block to it).
 */
int omf_blk_check(const void *blk, u64 index, const u8 *poolid, u32 logid,
		  u32 prev_crc, u64 *gen, u16 *used, u32 *crc)
{
	const struct omf_blk_hdr *h = blk;

	if (le32_to_cpu(h->magic) != OMF_BLK_MAGIC ||
	    le16_to_cpu(h->version) != OMF_BLK_VERSION ||
	    le64_to_cpu(h->index) != index ||
	    le32_to_cpu(h->logid) != logid ||
	    le32_to_cpu(h->prev_crc) != prev_crc ||
	    memcmp(h->poolid, poolid, sizeof(h->poolid)) ||
	    le16_to_cpu(h->used) > OMF_BLK_PAYLOAD)
		return -ENODATA;
	if (le32_to_cpu(h->crc) != omf_blk_crc(blk))
		return -EBADMSG;

	*gen = le64_to_cpu(h->gen);
	*used = le16_to_cpu(h->used);
	*crc = le32_to_cpu(h->crc);
	return 0;
}

/* Records */

/* Append one record to a block's record area; -ENOSPC if it does not fit. */
int omf_rec_put(void *payload_area, u16 *used, u16 type, const void *rec, u16 len)
{
	struct omf_rec_hdr *rh = payload_area + *used;
	size_t total = sizeof(*rh) + ALIGN(len, OMF_REC_ALIGN);

	if (len > OMF_REC_MAX)
		return -EINVAL;
	if (*used + total > OMF_BLK_PAYLOAD)
		return -ENOSPC;

	rh->type = cpu_to_le16(type);
	rh->len = cpu_to_le16(len);
	memcpy(rh + 1, rec, len);
	memset((u8 *)(rh + 1) + len, 0, ALIGN(len, OMF_REC_ALIGN) - len);
	rh->crc = cpu_to_le32(omf_crc3(rh, 4, rh + 1, len, NULL, 0));
	*used += total;
	return 0;
}

/*
 * Walk the records of a block: returns 1 with the next record, 0 at the end,
 * -EBADMSG on a malformed or corrupt record.
 */
int omf_rec_next(const void *payload_area, u16 used, u16 *off, u16 *type,
		 const void **rec, u16 *len)
{
	const struct omf_rec_hdr *rh;
	u16 l;

	if (*off + sizeof(*rh) > used)
		return 0;

	rh = payload_area + *off;
	*type = le16_to_cpu(rh->type);
	if (*type == OMF_REC_END)
		return 0;

	l = le16_to_cpu(rh->len);
	if (l > OMF_REC_MAX || *off + sizeof(*rh) + l > used)
		return -EBADMSG;
	if (le32_to_cpu(rh->crc) != omf_crc3(rh, 4, rh + 1, l, NULL, 0))
		return -EBADMSG;

	*rec = rh + 1;
	*len = l;
	*off += sizeof(*rh) + ALIGN(l, OMF_REC_ALIGN);
	return 1;
}

/* Record payloads.  A reader accepts a longer payload (a newer minor
 * version may append fields) but never a shorter one.
 */

struct omf_rec_pool {
	__le32	uid;
	__le32	gid;
	__le32	mode;
	__le32	ra_pages_max;
	__le32	vma_size_max;
	__le16	mdcnum;
	__le16	rsvd0;
	__le64	mdc_captgt;
	__le64	oid[2];
	u8	utype[16];
	u8	label[64];
	__le32	mdc0cap;
	__le32	mdcncap;
} __packed;
static_assert(sizeof(struct omf_rec_pool) == 136);

struct omf_rec_device {
	u8	devid[16];
	u8	mclass;
	u8	devtype;
	u8	sectorsz;
	u8	rsvd0;
	__le32	zonepg;
	__le32	zonetot;
	__le32	rsvd1;
	__le64	devsz;
	__le64	features;
} __packed;
static_assert(sizeof(struct omf_rec_device) == 48);

struct omf_rec_spare {
	u8	mclass;
	u8	pct;
	u8	rsvd[6];
} __packed;
static_assert(sizeof(struct omf_rec_spare) == 8);

struct omf_rec_mdc {
	__le16	index;
	__le16	rsvd0;
	__le32	rsvd1;
	__le64	zaddr_a;
	__le32	zcnt_a;
	__le32	zcnt_b;
	__le64	zaddr_b;
	u8	devid[16];
} __packed;
static_assert(sizeof(struct omf_rec_mdc) == 48);

struct omf_rec_cstart {
	__le64	gen;
	__le16	major;
	__le16	minor;
	__le32	rsvd;
} __packed;
static_assert(sizeof(struct omf_rec_cstart) == 16);

struct omf_rec_cend {
	__le32	count;
	__le32	rsvd;
} __packed;

u16 omf_pool_pack(const struct pmd_pool_cfg *p, void *buf)
{
	struct omf_rec_pool *r = buf;

	memset(r, 0, sizeof(*r));
	r->uid = cpu_to_le32(p->uid);
	r->gid = cpu_to_le32(p->gid);
	r->mode = cpu_to_le32(p->mode);
	r->ra_pages_max = cpu_to_le32(p->ra_pages_max);
	r->vma_size_max = cpu_to_le32(p->vma_size_max);
	r->mdcnum = cpu_to_le16(p->mdcnum);
	r->mdc_captgt = cpu_to_le64(p->mdc_captgt);
	r->oid[0] = cpu_to_le64(p->oid[0]);
	r->oid[1] = cpu_to_le64(p->oid[1]);
	memcpy(r->utype, p->utype, sizeof(r->utype));
	strscpy_pad(r->label, p->label, sizeof(r->label));
	r->mdc0cap = cpu_to_le32(p->mdc0cap);
	r->mdcncap = cpu_to_le32(p->mdcncap);
	return sizeof(*r);
}

int omf_pool_unpack(const void *buf, u16 len, struct pmd_pool_cfg *p)
{
	const struct omf_rec_pool *r = buf;

	if (len < sizeof(*r))
		return -EBADMSG;
	p->uid = le32_to_cpu(r->uid);
	p->gid = le32_to_cpu(r->gid);
	p->mode = le32_to_cpu(r->mode);
	p->ra_pages_max = le32_to_cpu(r->ra_pages_max);
	p->vma_size_max = le32_to_cpu(r->vma_size_max);
	p->mdcnum = le16_to_cpu(r->mdcnum);
	p->mdc_captgt = le64_to_cpu(r->mdc_captgt);
	p->oid[0] = le64_to_cpu(r->oid[0]);
	p->oid[1] = le64_to_cpu(r->oid[1]);
	memcpy(p->utype, r->utype, sizeof(p->utype));
	memcpy(p->label, r->label, sizeof(p->label));
	p->label[sizeof(p->label) - 1] = '\0';
	p->mdc0cap = le32_to_cpu(r->mdc0cap);
	p->mdcncap = le32_to_cpu(r->mdcncap);
	return 0;
}

u16 omf_device_pack(const struct pmd_dev_rec *d, void *buf)
{
	struct omf_rec_device *r = buf;

	memset(r, 0, sizeof(*r));
	memcpy(r->devid, d->devid, sizeof(r->devid));
	r->mclass = d->mclass;
	r->devtype = d->devtype;
	r->sectorsz = d->sectorsz;
	r->zonepg = cpu_to_le32(d->zonepg);
	r->zonetot = cpu_to_le32(d->zonetot);
	r->devsz = cpu_to_le64(d->devsz);
	r->features = cpu_to_le64(d->features);
	return sizeof(*r);
}

int omf_device_unpack(const void *buf, u16 len, struct pmd_dev_rec *d)
{
	const struct omf_rec_device *r = buf;

	if (len < sizeof(*r))
		return -EBADMSG;
	memcpy(d->devid, r->devid, sizeof(d->devid));
	d->mclass = r->mclass;
	d->devtype = r->devtype;
	d->sectorsz = r->sectorsz;
	d->zonepg = le32_to_cpu(r->zonepg);
	d->zonetot = le32_to_cpu(r->zonetot);
	d->devsz = le64_to_cpu(r->devsz);
	d->features = le64_to_cpu(r->features);
	return 0;
}

u16 omf_spare_pack(const struct pmd_spare_rec *s, void *buf)
{
	struct omf_rec_spare *r = buf;

	memset(r, 0, sizeof(*r));
	r->mclass = s->mclass;
	r->pct = s->pct;
	return sizeof(*r);
}

int omf_spare_unpack(const void *buf, u16 len, struct pmd_spare_rec *s)
{
	const struct omf_rec_spare *r = buf;

	if (len < sizeof(*r))
		return -EBADMSG;
	s->mclass = r->mclass;
	s->pct = r->pct;
	return 0;
}

u16 omf_mdc_pack(const struct pmd_mdc_rec *m, void *buf)
{
	struct omf_rec_mdc *r = buf;

	memset(r, 0, sizeof(*r));
	r->index = cpu_to_le16(m->index);
	r->zaddr_a = cpu_to_le64(m->zaddr[0]);
	r->zcnt_a = cpu_to_le32(m->zcnt[0]);
	r->zaddr_b = cpu_to_le64(m->zaddr[1]);
	r->zcnt_b = cpu_to_le32(m->zcnt[1]);
	memcpy(r->devid, m->devid, sizeof(r->devid));
	return sizeof(*r);
}

int omf_mdc_unpack(const void *buf, u16 len, struct pmd_mdc_rec *m)
{
	const struct omf_rec_mdc *r = buf;

	if (len < sizeof(*r))
		return -EBADMSG;
	m->index = le16_to_cpu(r->index);
	m->zaddr[0] = le64_to_cpu(r->zaddr_a);
	m->zcnt[0] = le32_to_cpu(r->zcnt_a);
	m->zaddr[1] = le64_to_cpu(r->zaddr_b);
	m->zcnt[1] = le32_to_cpu(r->zcnt_b);
	memcpy(m->devid, r->devid, sizeof(m->devid));
	return 0;
}

u16 omf_cstart_pack(const struct mdc_cstart_rec *c, void *buf)
{
	struct omf_rec_cstart *r = buf;

	memset(r, 0, sizeof(*r));
	r->gen = cpu_to_le64(c->gen);
	r->major = cpu_to_le16(c->major);
	r->minor = cpu_to_le16(c->minor);
	return sizeof(*r);
}

int omf_cstart_unpack(const void *buf, u16 len, struct mdc_cstart_rec *c)
{
	const struct omf_rec_cstart *r = buf;

	if (len < sizeof(*r))
		return -EBADMSG;
	c->gen = le64_to_cpu(r->gen);
	c->major = le16_to_cpu(r->major);
	c->minor = le16_to_cpu(r->minor);
	return 0;
}

struct omf_rec_obj {
	__le64	objid;
	__le64	zaddr;
	__le32	zcnt;
	u8	mclass;
	u8	spare;
	__le16	rsvd0;
	__le64	wlen;
	__le64	gen;
	u8	uuid[16];
} __packed;
static_assert(sizeof(struct omf_rec_obj) == 56);

/* OBJ_DELETE, OBJ_ERASE and OIDCKPT: an object id (or uniquifier) and a generation. */
struct omf_rec_oid {
	__le64	objid;
	__le64	gen;
} __packed;
static_assert(sizeof(struct omf_rec_oid) == 16);

u16 omf_obj_pack(const struct pmd_obj_rec *o, void *buf)
{
	struct omf_rec_obj *r = buf;

	memset(r, 0, sizeof(*r));
	r->objid = cpu_to_le64(o->objid);
	r->zaddr = cpu_to_le64(o->zaddr);
	r->zcnt = cpu_to_le32(o->zcnt);
	r->mclass = o->mclass;
	r->spare = o->spare;
	r->wlen = cpu_to_le64(o->wlen);
	r->gen = cpu_to_le64(o->gen);
	memcpy(r->uuid, o->uuid, sizeof(r->uuid));
	return sizeof(*r);
}

int omf_obj_unpack(const void *buf, u16 len, struct pmd_obj_rec *o)
{
	const struct omf_rec_obj *r = buf;

	if (len < sizeof(*r))
		return -EBADMSG;
	o->objid = le64_to_cpu(r->objid);
	o->zaddr = le64_to_cpu(r->zaddr);
	o->zcnt = le32_to_cpu(r->zcnt);
	o->mclass = r->mclass;
	o->spare = r->spare;
	o->wlen = le64_to_cpu(r->wlen);
	o->gen = le64_to_cpu(r->gen);
	memcpy(o->uuid, r->uuid, sizeof(o->uuid));
	return 0;
}

u16 omf_oid_pack(u64 objid, u64 gen, void *buf)
{
	struct omf_rec_oid *r = buf;

	r->objid = cpu_to_le64(objid);
	r->gen = cpu_to_le64(gen);
	return sizeof(*r);
}

int omf_oid_unpack(const void *buf, u16 len, u64 *objid, u64 *gen)
{
	const struct omf_rec_oid *r = buf;

	if (len < sizeof(*r))
		return -EBADMSG;
	*objid = le64_to_cpu(r->objid);
	*gen = le64_to_cpu(r->gen);
	return 0;
}

u16 omf_cend_pack(u32 count, void *buf)
{
	struct omf_rec_cend *r = buf;

	r->count = cpu_to_le32(count);
	r->rsvd = 0;
	return sizeof(*r);
}
