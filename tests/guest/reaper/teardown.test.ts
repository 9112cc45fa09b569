/**
 * Teardown while the reaper evicts, under pressure: munmap of a map the
 * worker may be holding, a forced destroy of the pool, and rmmod once the
 * pool is gone. The debug lane runs this under KASAN, lockdep and kmemleak.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McacheMap } from '../../../userland/src/lib/mcache.js';
import type { Pool } from '../../../userland/src/lib/pool.js';
import { insmod, kernelFailuresSince, markKernelLog, moduleLoaded, rmmod, run } from '../helpers.js';
import { committed, ctlStat, dropPool, freshPool, PAGE, pattern, pools, reapload, restoreKnobs, setKnob, sleep, ZONE, type Load } from './fixtures.js';

const NAME = 'reaptear';
const MIN_FREE = '/proc/sys/vm/min_free_kbytes';
let pool: Pool;
let marker: string;
let minFree = '';
let maps: McacheMap[] = [];

beforeAll(() => {
  if (!moduleLoaded()) insmod();
  marker = markKernelLog('reaper-teardown');
  minFree = readFileSync(MIN_FREE, 'utf8').trim();
  writeFileSync(MIN_FREE, '8192\n');
  pool = freshPool(NAME);
  pool.setParams({ readaheadPages: 32 });
  let seed = 1;
  for (let m = 0; m < 3; m++) {
    const ws = Array.from({ length: 6 }, () => committed(pool, pattern(ZONE / PAGE, seed++)));
    maps.push(pool.mcache.map(ws.map((w) => w.id), { advice: m === 2 ? 'hot' : 'cold' }));
  }
}, 600_000);

afterAll(() => {
  if (minFree) writeFileSync(MIN_FREE, `${minFree}\n`);
  if (!moduleLoaded()) insmod();
  restoreKnobs();
  dropPool(pool);
  expect(kernelFailuresSince(marker)).toEqual([]);
});

/** The regions of the maps, for reapload: offset:length. */
const regions = (ms: McacheMap[]): string[] => ms.map((m) => `0x${m.offset.toString(16)}:${m.length}`);

async function evicting(): Promise<void> {
  const p0 = ctlStat('reap_pages');
  const t0 = Date.now();
  while (ctlStat('reap_pages') - p0 < 1024) {
    if (Date.now() - t0 > 60_000) throw new Error(`the reaper evicted ${ctlStat('reap_pages') - p0} pages in 60 s`);
    await sleep(50);
  }
}

describe('teardown while the reaper evicts', () => {
  let churn: Load | undefined;
  let balloon: Load | undefined;

  afterAll(async () => {
    await churn?.stop();
    await balloon?.stop();
  });

  it('pressure: every page expires at once (reap_ttl 100 us, reap_mempct 5) while readers fault them back in; each map mmapped three times (1.9.0 relisted a map at each mmap)', async () => {
    expect(setKnob('reap_ttl', 100)).toBeNull();
    expect(setKnob('reap_mempct', 5)).toBeNull();
    balloon = await reapload(['balloon', '200']);
    churn = await reapload(['churn', pool.path, ...regions(maps)]);
    const second = await reapload(['churn', pool.path, ...regions(maps)]);
    await evicting();
    expect(await second.stop()).toMatchObject({ sigbus: 0 });
    await evicting();
  });

  it('munmap of maps mapped and read over and over, each one released at once: its mblocks delete right after', async () => {
    for (let k = 0; k < 8; k++) {
      const w = committed(pool, pattern(64, 100 + k));
      const m = pool.mcache.map([w.id], { advice: 'cold' });
      for (let p = 0; p < 64; p++) void m.view(0)[p * PAGE];
      await sleep(30);
      m.close();
      pool.mblocks.delete(w.id);
    }
    await evicting();
  });

  it('a forced destroy of the pool: the reader gets SIGBUS, the module stays clean', async () => {
    pool.close();
    pools.destroy(NAME, { force: true });
    const end = await churn!.stop();
    churn = undefined;
    expect(end).toMatchObject({ sigbus: 1 });
    // Revoked maps are out of the counters at once; our own mappings go with munmap.
    expect(ctlStat('maps')).toBe(0);
    for (const m of maps) m.close();
    maps = [];
  });

  it('rmmod once the pool is gone (a reference the worker held goes within moments), then a new load', async () => {
    await balloon!.stop();
    balloon = undefined;
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = run('rmmod', ['mpool']).status === 0;
      if (!ok) await sleep(100);
    }
    expect(ok).toBe(true);
    insmod();
    expect(ctlStat('maps')).toBe(0);
    rmmod();
    insmod();
  });
});
