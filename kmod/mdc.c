// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdc: metadata containers, on the log format of docs/format.md.
 *
 * Appends.  Every append writes one new block holding the record, with
 * FUA, after the last valid block; a block is never rewritten.  So an
 * append is durable when mdc_append() returns, and a torn write only ever
 * damages a block that was never acknowledged.
 *
 * Compaction.  When the active log is full, the other log is rewritten
 * from block 0 with a generation above both: CSTART, the live state (the
 * owner's snapshot callback), CEND.  Until the CEND block is durable the
 * old log stays the active one on media; after it, the new one wins by
 * generation.  Either way a crash leaves one complete log.
 *
 * Load.  A log is scanned from block 0 to its first invalid block.  The
 * active log is the complete one with the higher generation; its records,
 * from the snapshot on, are replayed to the owner in order (mdc_load()
 * says how it avoids reading a log twice).
 *
 * Locking: mdc->lock covers the logs and the block buffer.  The snapshot
 * callback runs under it and must not append.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/error-injection.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mdc.h"
#include "omf.h"

#define MDC_PAYLOAD(blk)	((void *)(blk) + sizeof(struct omf_blk_hdr))

int mdc_init(struct mdc *mdc, struct pd_dev *pd, u64 zone_bytes, const u8 *poolid,
	     u32 index, const u64 zaddr[2], const u32 zcnt[2],
	     mdc_snapshot_fn *snapshot, void *arg)
{
	int i;

	memset(mdc, 0, sizeof(*mdc));
	mdc->blk = kmalloc(OMF_BLK_SIZE, GFP_KERNEL);
	if (!mdc->blk)
		return -ENOMEM;

	mutex_init(&mdc->lock);
	mdc->pd = pd;
	mdc->zone_bytes = zone_bytes;
	memcpy(mdc->poolid, poolid, sizeof(mdc->poolid));
	mdc->index = index;
	mdc->nonce = get_random_u64();
	mdc->snapshot = snapshot;
	mdc->arg = arg;
	for (i = 0; i < 2; i++) {
		mdc->log[i].zaddr = zaddr[i];
		mdc->log[i].capacity = div64_u64(zcnt[i] * zone_bytes, OMF_BLK_SIZE);
		mdc->log[i].logid = 2 * index + i;
	}
	return 0;
}

void mdc_destroy(struct mdc *mdc)
{
	kfree(mdc->blk);
	mdc->blk = NULL;
}

static u64 mdc_blk_offset(struct mdc *mdc, struct mdc_log *log, u64 index)
{
	return log->zaddr * mdc->zone_bytes + index * OMF_BLK_SIZE;
}

/* Seal and write mdc->blk as the next block of @log. */
static int mdc_write_blk(struct mdc *mdc, struct mdc_log *log, u16 used)
{
	u32 crc;
	int rc;

	if (mdc->error)
		return -EROFS;
	if (log->nblocks >= log->capacity)
		return -EFBIG;

	crc = omf_blk_seal(mdc->blk, log->gen, log->nblocks, mdc->poolid, log->logid,
			   log->last_crc, mdc->nonce, used);
	rc = pd_write(mdc->pd, mdc->blk, OMF_BLK_SIZE,
		      mdc_blk_offset(mdc, log, log->nblocks), true);
	if (rc) {
		pr_err("MDC-%u: block write failed (%d): the pool takes no more changes until it is activated again\n",
		       mdc->index, rc);
		WRITE_ONCE(mdc->error, rc);
		return rc;
	}

	log->last_crc = crc;
	log->nblocks++;
	return 0;
}

/* Add a record to the block being built; write the block when it is full. */
int mdc_put(struct mdc_writer *w, u16 type, const void *rec, u16 len)
{
	struct mdc *mdc = w->mdc;
	int rc;

	rc = omf_rec_put(MDC_PAYLOAD(mdc->blk), &w->used, type, rec, len);
	if (rc == -ENOSPC) {
		rc = mdc_write_blk(mdc, w->log, w->used);
		if (rc)
			return rc == -EFBIG ? -ENOSPC : rc;
		memset(mdc->blk, 0, OMF_BLK_SIZE);
		w->used = 0;
		rc = omf_rec_put(MDC_PAYLOAD(mdc->blk), &w->used, type, rec, len);
	}
	if (!rc)
		w->count++;
	return rc;
}

/* Write CSTART, the live state and CEND to log @t with generation @gen. */
static int mdc_rewrite(struct mdc *mdc, int t, u64 gen)
{
	struct mdc_log *log = &mdc->log[t];
	struct mdc_cstart_rec cs = {
		.gen = gen, .major = OMF_RECORDS_MAJOR, .minor = OMF_RECORDS_MINOR
	};
	struct mdc_writer w = { .mdc = mdc, .log = log };
	u8 rec[16];
	int rc;

	log->gen = gen;
	log->nblocks = 0;
	log->last_crc = 0;
	log->complete = false;
	memset(mdc->blk, 0, OMF_BLK_SIZE);

	rc = mdc_put(&w, OMF_REC_CSTART, rec, omf_cstart_pack(&cs, rec));
	if (!rc && mdc->snapshot)
		rc = mdc->snapshot(mdc->arg, &w);
	if (!rc)
		rc = mdc_put(&w, OMF_REC_CEND, rec, omf_cend_pack(w.count, rec));
	if (!rc)
		rc = mdc_write_blk(mdc, log, w.used);
	if (rc) {
		pr_err("MDC-%u: writing log %d failed: %d\n", mdc->index, t, rc);
		return rc == -EFBIG ? -ENOSPC : rc;
	}

	log->complete = true;
	mdc->active = t;
	return 0;
}

/* First content of a new MDC: log A, above whatever generation was there. */
int mdc_format(struct mdc *mdc)
{
	int rc;

	mutex_lock(&mdc->lock);
	rc = mdc_rewrite(mdc, 0, 1);
	mutex_unlock(&mdc->lock);
	return rc;
}

/*
 * The message gives the time the rewrite took: the commit that triggered
 * the compaction waits that long (the metadata bench reports it by object
 * count).
 */
static int mdc_compact_locked(struct mdc *mdc)
{
	int t = !mdc->active;
	u64 start = ktime_get_ns();
	int rc;

	rc = mdc_rewrite(mdc, t, max(mdc->log[0].gen, mdc->log[1].gen) + 1);
	if (!rc) {
		mdc->compactions++;
		pr_info("MDC-%u compacted into log %c, generation %llu, %llu blocks in %llu us\n",
			mdc->index, 'A' + t, mdc->log[t].gen, mdc->log[t].nblocks,
			div_u64(ktime_get_ns() - start, NSEC_PER_USEC));
	}
	return rc;
}

int mdc_compact(struct mdc *mdc)
{
	int rc;

	mutex_lock(&mdc->lock);
	rc = mdc_compact_locked(mdc);
	mutex_unlock(&mdc->lock);
	return rc;
}

/* Append one record, durably; compact first if the active log is full. */
int mdc_append(struct mdc *mdc, u16 type, const void *rec, u16 len)
{
	struct mdc_log *log;
	u16 used = 0;
	int rc, tries;

	mutex_lock(&mdc->lock);
	for (tries = 0; tries < 2; tries++) {
		log = &mdc->log[mdc->active];
		memset(mdc->blk, 0, OMF_BLK_SIZE);
		used = 0;
		rc = omf_rec_put(MDC_PAYLOAD(mdc->blk), &used, type, rec, len);
		if (rc)
			break;
		rc = mdc_write_blk(mdc, log, used);
		if (rc != -EFBIG)
			break;
		rc = mdc_compact_locked(mdc);
		if (rc)
			break;
		rc = -EFBIG;
	}
	mutex_unlock(&mdc->lock);
	return rc == -EFBIG ? -ENOSPC : rc;
}

ALLOW_ERROR_INJECTION(mdc_append, ERRNO);

/*
 * A log is read a window of blocks at a time, in one bio of up to 1 MiB,
 * rather than a block at a time: with many objects, reading the logs is
 * most of what activation costs (100,000 objects: 25 s a block at a time,
 * under 2 s in windows, TCG guest).  The window is the caller's (struct
 * mdc_window): one activation reads every MDC of its pool through one
 * buffer, allocated, and zeroed by init_on_alloc, once.  It starts at
 * 64 KiB and doubles each time a log runs past the whole of it, up to
 * 1 MiB, and no read goes past what the scan asked for, so a short log is
 * not read to the end of its zones.  The buffer is physically contiguous
 * (pd_read()), so it stays smaller when memory is fragmented, down to one
 * block.
 */
#define MDC_SCAN_BLKS		(BIO_MAX_VECS * PAGE_SIZE / OMF_BLK_SIZE)
#define MDC_SCAN_FIRST		(SZ_64K / OMF_BLK_SIZE)

static void *mdc_window_alloc(u32 blocks)
{
	return kmalloc_array(blocks, OMF_BLK_SIZE, GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY);
}

void mdc_window_free(struct mdc_window *w)
{
	kfree(w->buf);
	memset(w, 0, sizeof(*w));
}

/*
 * Make room for the next read: a first buffer, or twice the current one
 * when the last read filled it (a log that goes on past it).  A larger
 * buffer that memory refuses leaves the current one.
 */
static int mdc_window_room(struct mdc_window *w)
{
	void *buf;
	u32 n;

	if (!w->buf) {
		for (n = MDC_SCAN_FIRST; n > 1; n /= 2) {
			w->buf = mdc_window_alloc(n);
			if (w->buf)
				break;
		}
		if (!w->buf)
			w->buf = kmalloc(OMF_BLK_SIZE, GFP_KERNEL);
		w->size = w->buf ? n : 0;
		return w->buf ? 0 : -ENOMEM;
	}
	if (w->size >= MDC_SCAN_BLKS || w->count < w->size)
		return 0;
	buf = mdc_window_alloc(w->size * 2);
	if (buf) {
		kfree(w->buf);
		w->buf = buf;
		w->size *= 2;
	}
	return 0;
}

/* Block @i of @log, read with the ones after it (below @end) if it is not at hand. */
static const void *mdc_window_get(struct mdc *mdc, struct mdc_log *log,
				  struct mdc_window *w, u64 i, u64 end, int *rc)
{
	u32 n;

	if (i >= w->first && i < w->first + w->count)
		return w->buf + (i - w->first) * OMF_BLK_SIZE;

	*rc = mdc_window_room(w);
	if (*rc)
		return NULL;
	n = min_t(u64, w->size, end - i);
	w->count = 0;
	*rc = pd_read(mdc->pd, w->buf, (size_t)n * OMF_BLK_SIZE, mdc_blk_offset(mdc, log, i));
	/* A bad block further on must not stop a log that ends before it. */
	if (*rc && n > 1) {
		n = 1;
		*rc = pd_read(mdc->pd, w->buf, OMF_BLK_SIZE, mdc_blk_offset(mdc, log, i));
	}
	if (*rc)
		return NULL;
	w->first = i;
	w->count = n;
	return w->buf;
}

/*
 * Scan the first @limit blocks of one log (at most: it ends at its first
 * invalid block).  With @replay, hand every record between the markers and
 * after CEND to it; otherwise only measure the log.  A scan of one block
 * finds the log's generation.
 */
static int mdc_scan(struct mdc *mdc, struct mdc_window *win, struct mdc_log *log,
		    mdc_replay_fn *replay, void *arg, u64 limit)
{
	bool cstart = false;
	int rc;
	u64 i;

	log->gen = 0;
	log->nblocks = 0;
	log->last_crc = 0;
	log->complete = false;

	limit = min(limit, log->capacity);
	/* What the window holds may be another log's. */
	win->count = 0;

	for (i = 0; i < limit; i++) {
		const void *blk, *rec;
		u16 used, off = 0, type, len;
		u32 crc;
		u64 gen;

		blk = mdc_window_get(mdc, log, win, i, limit, &rc);
		if (!blk)
			goto out;
		if (omf_blk_check(blk, i, mdc->poolid, log->logid, log->last_crc,
				  &gen, &used, &crc))
			break;
		if (i > 0 && gen != log->gen)
			break;

		while ((rc = omf_rec_next(MDC_PAYLOAD(blk), used, &off, &type,
					  &rec, &len)) > 0) {
			if (!cstart) {
				struct mdc_cstart_rec cs;

				/* A log starts with CSTART for its own generation. */
				if (type != OMF_REC_CSTART || omf_cstart_unpack(rec, len, &cs) ||
				    cs.gen != gen)
					goto end;
				if (cs.major != OMF_RECORDS_MAJOR) {
					rc = -EPROTONOSUPPORT;
					goto out;
				}
				cstart = true;
				log->gen = gen;
				continue;
			}
			if (type == OMF_REC_CSTART)
				goto end;
			if (type == OMF_REC_CEND) {
				log->complete = true;
				continue;
			}
			if (replay) {
				rc = replay(arg, type, rec, len);
				if (rc)
					goto out;
			}
		}
		if (rc < 0 || !cstart)
			break;

		log->last_crc = crc;
		log->nblocks = i + 1;
		cond_resched();
	}
end:
	rc = 0;
	if (!log->nblocks) {
		log->gen = 0;
		log->complete = false;
	}
out:
	return rc;
}

/*
 * The log to replay is the complete one of the higher generation, and a
 * log's generation is in its first block.  So when the two differ, as
 * they do but after damage, only the newer log is read in full, and once:
 * replayed as it is scanned, it proves complete when its CEND turns up.
 * The older log's first block is all that is read of it (its generation
 * counts for the next compaction).  If the newer log is not complete (a
 * compaction cut short), @reset undoes what the owner took from it, and
 * both logs are measured in full before the complete one is replayed, as
 * when the generations tie.  A replay that fails is the load's error only
 * if its log proves complete, as if it had been measured first.  Without
 * @reset the newer log is measured, then replayed: read twice, but the
 * older one still not.  Every read goes through @win, the caller's.
 */
int mdc_load(struct mdc *mdc, struct mdc_window *win, mdc_replay_fn *replay,
	     mdc_reset_fn *reset, void *arg)
{
	struct mdc_log *a = &mdc->log[0], *b = &mdc->log[1], *c;
	int rc, i;

	mutex_lock(&mdc->lock);
	for (i = 0; i < 2; i++) {
		rc = mdc_scan(mdc, win, &mdc->log[i], NULL, NULL, 1);
		if (rc)
			goto out;
	}

	if (a->gen != b->gen) {
		c = a->gen > b->gen ? a : b;
		rc = mdc_scan(mdc, win, c, reset ? replay : NULL, arg, U64_MAX);
		if (rc && reset) {
			/* The replay failed: the load's error if @c is the log to keep. */
			int err = rc;

			rc = mdc_scan(mdc, win, c, NULL, NULL, U64_MAX);
			if (!rc && c->complete)
				rc = err;
		} else if (!rc && c->complete) {
			mdc->active = c == b;
			if (!reset)
				rc = mdc_scan(mdc, win, c, replay, arg, U64_MAX);
			goto out;
		}
		if (rc)
			goto out;
		/* @c is not complete (a compaction cut short): undo what it gave. */
		if (reset)
			reset(arg);
	}

	for (i = 0; i < 2; i++) {
		rc = mdc_scan(mdc, win, &mdc->log[i], NULL, NULL, U64_MAX);
		if (rc)
			goto out;
	}

	if (a->complete && b->complete && a->gen == b->gen)
		rc = -EBADMSG;
	else if (a->complete && (!b->complete || a->gen > b->gen))
		mdc->active = 0;
	else if (b->complete)
		mdc->active = 1;
	else
		rc = -EBADMSG;
	if (rc) {
		pr_err("MDC-%u: no complete metadata log (generations %llu, %llu)\n",
		       mdc->index, a->gen, b->gen);
		goto out;
	}

	/* The inactive log's generation still counts for the next compaction. */
	rc = mdc_scan(mdc, win, &mdc->log[mdc->active], replay, arg, U64_MAX);
out:
	mutex_unlock(&mdc->lock);
	return rc;
}
