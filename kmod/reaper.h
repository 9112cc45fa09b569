/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * reaper: evicts mcache pages early, before the kernel's own reclaim has
 * to, by each map's advice and each mblock's age.  1.9.0's policy: a tick
 * every 333 ms measures how much of free + mcache memory mcache holds;
 * past the low water mark an urgency grows and the TTL shrinks, and a
 * worker drops the pages of every mblock idle for longer than the TTL
 * times its map's multiplier (COLD 1, WARM 10, HOT 100; PINNED never).
 *
 * The policy lives here; mcache.c does the eviction itself.
 */
#ifndef MPOOL_REAPER_H
#define MPOOL_REAPER_H

#include <linux/types.h>

#define REAP_MEMPCT_MIN		5
#define REAP_MEMPCT_MAX		100	/* reaping off */
#define REAP_TTL_MIN		100	/* microseconds */
#define REAP_DEBUG_MAX		3

/* Urgency is in basis points: 0 (none) .. 10000 (no free memory at all). */
#define REAP_URGENCY_MAX	10000

/**
 * struct reaper_state - what the reaper decided at its last tick
 * @mempct:   knob: the share of free + mcache memory mcache may hold, %
 * @ttl:      knob: the TTL when there is no pressure, microseconds
 * @debug:    knob: 0..3, how much it logs
 * @urgency:  0..10000; 0 means no eviction
 * @freepct:  free / (free + tracked mcache pages), basis points
 * @ttl_cur:  the TTL in force, microseconds
 * @passes:   eviction passes done since load
 */
struct reaper_state {
	unsigned int	mempct;
	unsigned int	ttl;
	unsigned int	debug;
	unsigned int	urgency;
	unsigned int	freepct;
	u64		ttl_cur;
	u64		passes;
};

int reaper_init(void);
void reaper_exit(void);

void reaper_state(struct reaper_state *st);
int reaper_set_mempct(unsigned int pct);
int reaper_set_ttl(unsigned int usecs);
int reaper_set_debug(unsigned int level);

#endif /* MPOOL_REAPER_H */
