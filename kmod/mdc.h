/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mdc: metadata containers.  An MDC is a pair of metadata logs on one
 * device; records are appended to the active log, and when it is full the
 * live state is written to the other log (compaction).  docs/format.md
 * describes the bytes.
 */
#ifndef MPOOL_MDC_H
#define MPOOL_MDC_H

#include <linux/compiler.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "pd.h"

struct mdc;
struct mdc_writer;

/* Called for every record of the live state, in log order, at load. */
typedef int mdc_replay_fn(void *arg, u16 type, const void *rec, u16 len);

/*
 * Undoes every replay call of one load: the log replayed turned out not to
 * be the one to keep.  The owner is left as it was before the load.
 */
typedef void mdc_reset_fn(void *arg);

/* Writes the live state with mdc_put(); called at format and compaction. */
typedef int mdc_snapshot_fn(void *arg, struct mdc_writer *w);

/**
 * struct mdc_log - one log of the pair
 * @zaddr:    first zone
 * @capacity: blocks that fit in its zones
 * @logid:    2 * MDC index + 0 or 1
 * @gen:      generation of the log's content, 0 if it has none
 * @nblocks:  valid blocks
 * @last_crc: crc of the last valid block (the next one chains to it)
 * @complete: holds both compaction markers
 */
struct mdc_log {
	u64	zaddr;
	u64	capacity;
	u32	logid;
	u64	gen;
	u64	nblocks;
	u32	last_crc;
	bool	complete;
};

/**
 * struct mdc - a metadata container
 * @lock:     serializes appends, compaction and load; taken after the
 *            owner's metadata lock, never before it
 * @pd:       the device
 * @zone_bytes: zone size
 * @poolid:   pool uuid, stamped in every block
 * @index:    MDC number
 * @nonce:    random per open, stamped in every block written
 * @log:      the pair
 * @active:   index of the active log
 * @blk:      one block of buffer
 * @snapshot: writes the live state (compaction)
 * @arg:      for @snapshot
 * @compactions: how many times this MDC compacted since it was opened
 * @error:    the first failed block write, 0 if none.  Sticky: once a write
 *            has failed, what the log holds on media is unknown, so nothing
 *            more is written to it (EROFS) until the pool is activated
 *            again.  Set under @lock, read without it (mdc_error()).
 */
struct mdc {
	struct mutex		lock;	/* see above */
	struct pd_dev		*pd;
	u64			zone_bytes;
	u8			poolid[16];
	u32			index;
	u64			nonce;
	struct mdc_log		log[2];
	int			active;
	void			*blk;
	mdc_snapshot_fn		*snapshot;
	void			*arg;
	u32			compactions;
	int			error;
};

struct mdc_writer {
	struct mdc	*mdc;
	struct mdc_log	*log;
	u16		used;
	u32		count;
};

int mdc_init(struct mdc *mdc, struct pd_dev *pd, u64 zone_bytes, const u8 *poolid,
	     u32 index, const u64 zaddr[2], const u32 zcnt[2],
	     mdc_snapshot_fn *snapshot, void *arg);
void mdc_destroy(struct mdc *mdc);

/**
 * struct mdc_window - blocks of a log read ahead in one bio, for mdc_load()
 * @buf:   the blocks (physically contiguous)
 * @size:  blocks that fit in @buf
 * @first: log index of the block at @buf
 * @count: blocks at @buf read from the log being scanned
 *
 * Lent by mdc_load()'s caller, so that one activation reads every MDC of a
 * pool through one buffer.  Start it zeroed; mdc_window_free() when done.
 */
struct mdc_window {
	void	*buf;
	u32	size;
	u64	first;
	u32	count;
};

void mdc_window_free(struct mdc_window *w);

int mdc_format(struct mdc *mdc);
int mdc_load(struct mdc *mdc, struct mdc_window *win, mdc_replay_fn *replay,
	     mdc_reset_fn *reset, void *arg);
int mdc_append(struct mdc *mdc, u16 type, const void *rec, u16 len);

static inline int mdc_error(const struct mdc *mdc)
{
	return READ_ONCE(mdc->error);
}

int mdc_compact(struct mdc *mdc);
int mdc_put(struct mdc_writer *w, u16 type, const void *rec, u16 len);

#endif /* MPOOL_MDC_H */
