// SPDX-License-Identifier: GPL-2.0-only
/*
 * reaper: the policy that evicts mcache pages early (1.9.0's, see
 * reaper.h).  mcache.c owns the maps and does the eviction; this file
 * decides when, and how old an mblock must be.
 *
 * Every tick (333 ms; 1 s while reaping is off) it reads free memory F
 * (MemFree, as 1.9.0: global, not per memory cgroup) and the resident
 * pages T of COLD, WARM and HOT maps, all in pages, and in basis points:
 *
 *	freepct = 10000 - T * 10000 / (F + T)
 *	lwm     = (100 - reap_mempct) * 100
 *	hwm     = min(lwm * 1.03, 9700)
 *
 * At or above hwm there is no urgency and the TTL is reap_ttl.  Below lwm
 * (or below hwm once reaping) the urgency is x = 10000 - freepct * 10000 /
 * hwm, and the TTL shrinks as the square of it: ttl_cur = min(reap_ttl,
 * reap_ttl * 250000 / x^2), i.e. a quarter at x = 1000 and 1/400 at the
 * worst.  While x > 0 the worker runs eviction passes (mcache_reap_pass())
 * until a pass finds nothing to evict; the next tick starts it again.
 * Readahead of COLD and WARM maps is cut down under duress (mcache.c).
 *
 * It works beside the kernel's reclaim, not instead of it: nothing here
 * runs in reclaim or in a fault, the worker is on its own workqueue (with
 * a rescuer, since it frees memory), and the page cache's LRU still
 * reclaims map pages the reaper left.
 *
 * Locking.  The knobs are single words written by sysfs and read with
 * READ_ONCE().  rp.lock serializes the tick's decision with readers of
 * the state.  The tick and the worker are one work item each, so neither
 * runs twice at once; the worker takes mcache's lock only inside mcache.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "mcache.h"
#include "reaper.h"

#define REAP_TICK_MS		333	/* 1000 / 3, as 1.9.0 */
#define REAP_IDLE_TICK_MS	1000	/* while reap_mempct is 100 */
#define REAP_TTL_DEFAULT	(10 * USEC_PER_SEC)
#define REAP_HWM_MAX		9700
#define REAP_DEBUG_EVERY	3	/* reap_debug logs every 3rd tick */

static struct {
	spinlock_t		lock;	/* see above */
	struct reaper_state	st;
	unsigned int		ticks;
	bool			stopping;
	struct workqueue_struct	*wq;
	struct delayed_work	tick;
	struct work_struct	work;
} rp;

/*
 * 1.9.0's default share: the more memory there is, the more of it mcache
 * may hold, from MemAvailable at load (a 2 GiB machine gets 40).
 */
static unsigned int __init reaper_default_mempct(void)
{
	unsigned long gib = si_mem_available() >> (30 - PAGE_SHIFT);
	unsigned int keep = 60;

	if (gib > 256)
		keep = 10;
	else if (gib > 128)
		keep = 13;
	else if (gib > 64)
		keep = 25;
	else if (gib > 32)
		keep = 40;
	return 100 - keep;
}

/* Decide the urgency and the TTL from free and tracked memory, in pages. */
static void reaper_tune(unsigned long mfree, const u64 *pages)
{
	u64 tracked = pages[MPC_VMA_COLD] + pages[MPC_VMA_WARM] + pages[MPC_VMA_HOT];
	u64 total = mfree + tracked;
	unsigned int freepct, lwm, hwm, ttl, debug;

	freepct = total ? 10000 - div64_u64(tracked * 10000, total) : 10000;
	lwm = (100 - READ_ONCE(rp.st.mempct)) * 100;
	hwm = min(lwm * 103 / 100, REAP_HWM_MAX);
	ttl = READ_ONCE(rp.st.ttl);

	spin_lock(&rp.lock);
	rp.st.freepct = freepct;
	if (freepct >= hwm) {
		rp.st.urgency = 0;
		rp.st.ttl_cur = ttl;
	} else if (freepct < lwm || rp.st.urgency) {
		/* freepct < hwm, so 1 <= x <= 10000 */
		u64 x = 10000 - freepct * 10000 / hwm;

		rp.st.urgency = x;
		rp.st.ttl_cur = min_t(u64, ttl, div64_u64((u64)ttl * 250000, x * x));
	}
	spin_unlock(&rp.lock);

	debug = READ_ONCE(rp.st.debug);
	if (!debug || (debug == 1 && freepct >= hwm) || ++rp.ticks % REAP_DEBUG_EVERY)
		return;
	pr_info("reap: free %lu MiB, tracked %llu MiB (hot %llu, warm %llu, cold %llu), freepct %u, lwm %u, hwm %u, urgency %u, ttl %llu ms\n",
		mfree >> (20 - PAGE_SHIFT), tracked >> (20 - PAGE_SHIFT),
		pages[MPC_VMA_HOT] >> (20 - PAGE_SHIFT), pages[MPC_VMA_WARM] >> (20 - PAGE_SHIFT),
		pages[MPC_VMA_COLD] >> (20 - PAGE_SHIFT), freepct, lwm, hwm,
		READ_ONCE(rp.st.urgency), READ_ONCE(rp.st.ttl_cur) / USEC_PER_MSEC);
}

static unsigned int reaper_urgency(void)
{
	return READ_ONCE(rp.st.urgency);
}

static void reaper_tick(struct work_struct *work)
{
	unsigned int before = reaper_urgency(), after;
	struct mc_stats st;
	struct sysinfo si;

	si_meminfo(&si);
	mcache_stats(NULL, &st);
	reaper_tune(si.freeram, st.pages);

	after = reaper_urgency();
	if (after != before)
		mcache_ra_duress(after);
	if (after)
		queue_work(rp.wq, &rp.work);

	if (!READ_ONCE(rp.stopping))
		queue_delayed_work(rp.wq, &rp.tick,
				   msecs_to_jiffies(READ_ONCE(rp.st.mempct) < REAP_MEMPCT_MAX ?
						    REAP_TICK_MS : REAP_IDLE_TICK_MS));
}

/* Passes while there is urgency and the last pass found something. */
static void reaper_work(struct work_struct *work)
{
	u64 evicted;

	do {
		u64 ttl_ns;

		spin_lock(&rp.lock);
		ttl_ns = rp.st.ttl_cur * NSEC_PER_USEC;
		spin_unlock(&rp.lock);

		evicted = mcache_reap_pass(ttl_ns);
		spin_lock(&rp.lock);
		rp.st.passes++;
		spin_unlock(&rp.lock);
		cond_resched();
	} while (evicted && reaper_urgency() && !READ_ONCE(rp.stopping));
}

void reaper_state(struct reaper_state *st)
{
	spin_lock(&rp.lock);
	*st = rp.st;
	spin_unlock(&rp.lock);
}

/* The knobs: out of range is EINVAL, as in 1.9.0.  Next tick applies them. */
int reaper_set_mempct(unsigned int pct)
{
	if (pct < REAP_MEMPCT_MIN || pct > REAP_MEMPCT_MAX)
		return -EINVAL;
	WRITE_ONCE(rp.st.mempct, pct);
	/* From 1 s to 333 ms at once when reaping is switched back on. */
	mod_delayed_work(rp.wq, &rp.tick, 0);
	return 0;
}

int reaper_set_ttl(unsigned int usecs)
{
	if (usecs < REAP_TTL_MIN)
		return -EINVAL;
	WRITE_ONCE(rp.st.ttl, usecs);
	return 0;
}

int reaper_set_debug(unsigned int level)
{
	if (level > REAP_DEBUG_MAX)
		return -EINVAL;
	WRITE_ONCE(rp.st.debug, level);
	return 0;
}

int __init reaper_init(void)
{
	spin_lock_init(&rp.lock);
	rp.st.mempct = reaper_default_mempct();
	rp.st.ttl = REAP_TTL_DEFAULT;
	rp.st.ttl_cur = rp.st.ttl;
	rp.st.freepct = 10000;
	INIT_DELAYED_WORK(&rp.tick, reaper_tick);
	INIT_WORK(&rp.work, reaper_work);

	rp.wq = alloc_workqueue("mpool_reap", WQ_UNBOUND | WQ_MEM_RECLAIM, 1);
	if (!rp.wq)
		return -ENOMEM;
	queue_delayed_work(rp.wq, &rp.tick, msecs_to_jiffies(REAP_TICK_MS));
	return 0;
}

/* No map is left (each holds a module reference): stop the tick, then the worker. */
void reaper_exit(void)
{
	WRITE_ONCE(rp.stopping, true);
	cancel_delayed_work_sync(&rp.tick);
	cancel_work_sync(&rp.work);
	destroy_workqueue(rp.wq);
}
