/**
 * The reaper: its knobs and their ranges, every counter in sysfs moving as
 * the operations say, and eviction under real memory pressure in the 2 GiB
 * guest (a balloon of locked memory): COLD goes first, within a tick or
 * two of free memory crossing the low mark, then WARM, HOT last; PINNED
 * never; nothing with reap_mempct=100; data still right afterwards.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McacheAdvice, McacheMap } from '../../../userland/src/lib/mcache.js';
import type { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import {
  committed, ctlStat, DEFAULTS, dropPool, freshPool, kernelReclaimed, knob, meminfoMiB, PAGE, pattern, poolParam, poolStat,
  populate, reapload, residentOf, restoreKnobs, setKnob, sha256, sleep, TEMPS, vmstat, ZONE, type Load, type Temp,
} from './fixtures.js';

const NAME = 'reap';
const MIN_FREE = '/proc/sys/vm/min_free_kbytes';
let pool: Pool;
let marker: string;

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('reaper');
  pool = freshPool(NAME);
});

afterAll(() => {
  restoreKnobs();
  dropPool(pool);
  expect(kernelFailuresSince(marker)).toEqual([]);
});

describe('knobs', () => {
  it('defaults: reap_mempct 40 (MemAvailable at load <= 32 GiB), reap_ttl 10 s, reap_debug 0', () => {
    expect({ reap_mempct: knob('reap_mempct'), reap_ttl: knob('reap_ttl'), reap_debug: knob('reap_debug') }).toEqual(DEFAULTS);
    expect(ctlStat('reap_ttl_cur')).toBe(DEFAULTS.reap_ttl);
  });

  it('out of range or not a number is EINVAL and changes nothing; the edges are accepted', () => {
    const bad: [string, string | number][] = [
      ['reap_mempct', 4], ['reap_mempct', 101], ['reap_mempct', 0], ['reap_mempct', -1], ['reap_mempct', 'abc'], ['reap_mempct', ''],
      ['reap_ttl', 99], ['reap_ttl', 0], ['reap_ttl', 'x'], ['reap_ttl', '4294967296'],
      ['reap_debug', 4], ['reap_debug', -1], ['reap_debug', '1.5'],
    ];
    for (const [k, v] of bad) {
      expect([k, v, setKnob(k, v)]).toEqual([k, v, 'EINVAL']);
      expect(knob(k)).toBe(DEFAULTS[k as keyof typeof DEFAULTS]);
    }
    const good: [string, number][] = [['reap_mempct', 5], ['reap_mempct', 100], ['reap_ttl', 100], ['reap_ttl', 4294967295], ['reap_debug', 3], ['reap_debug', 0]];
    for (const [k, v] of good) {
      expect(setKnob(k, v)).toBeNull();
      expect(knob(k)).toBe(v);
    }
    restoreKnobs();
  });
});

describe('counters', () => {
  it("a pool's parameters are 1.9.0's files and match its params", () => {
    const p = pool.params();
    expect({
      uid: Number(poolParam(NAME, 'uid')), gid: Number(poolParam(NAME, 'gid')), mode: parseInt(poolParam(NAME, 'mode'), 8),
      ra: Number(poolParam(NAME, 'ra')), label: poolParam(NAME, 'label'), vma: Number(poolParam(NAME, 'vma')), type: poolParam(NAME, 'type'),
    }).toEqual({ uid: p.uid, gid: p.gid, mode: p.mode, ra: p.readaheadPages, label: p.label, vma: p.vmaSizeMax, type: p.utype });
    expect(poolParam(NAME, 'mode')).toMatch(/^0[0-7]+$/);
  });

  it('mblock and mlog bytes and ops, read and written', () => {
    const before = Object.fromEntries(
      ['mb_read_ops', 'mb_read_bytes', 'mb_write_ops', 'mb_write_bytes', 'ml_read_ops', 'ml_read_bytes', 'ml_write_ops', 'ml_write_bytes'].map((k) => [k, poolStat(NAME, k)]),
    );
    const { id } = pool.mblocks.alloc({ mclass: 'capacity' });
    pool.mblocks.write(id, pattern(16, 1));
    pool.mblocks.write(id, pattern(4, 2));
    pool.mblocks.commit(id);
    const back = pool.mblocks.read(id, 0, 8 * PAGE);
    expect(sha256(back)).toBe(sha256(pattern(16, 1).subarray(0, 8 * PAGE)));
    const ml = pool.mlogs.alloc({ capacity: 1n << 20n });
    pool.mlogs.commit(ml.id);
    pool.mlogs.writePages(ml.id, 0, pattern(2, 3));
    const page = new Uint8Array(2 * PAGE);
    pool.mlogs.readPages(ml.id, 0, page);
    const delta = (k: string): number => poolStat(NAME, k) - before[k]!;
    expect({
      mbw: delta('mb_write_ops'), mbwb: delta('mb_write_bytes'), mbr: delta('mb_read_ops'), mbrb: delta('mb_read_bytes'),
      mlw: delta('ml_write_ops'), mlwb: delta('ml_write_bytes'), mlr: delta('ml_read_ops'), mlrb: delta('ml_read_bytes'),
    }).toEqual({ mbw: 2, mbwb: 20 * PAGE, mbr: 1, mbrb: 8 * PAGE, mlw: 1, mlwb: 2 * PAGE, mlr: 1, mlrb: 2 * PAGE });
    pool.mlogs.delete(ml.id);
    pool.mblocks.delete(id);
  });

  it('maps, resident pages by advice, major and minor faults and readahead pages, per pool and in all', async () => {
    const ctl0 = { maps: ctlStat('maps'), major: ctlStat('faults_major'), minor: ctlStat('faults_minor'), ra: ctlStat('ra_pages') };
    const pool0 = { major: poolStat(NAME, 'faults_major'), minor: poolStat(NAME, 'faults_minor'), ra: poolStat(NAME, 'ra_pages') };
    const w = [committed(pool, pattern(16, 10)), committed(pool, pattern(16, 11))];
    const maps = (['cold', 'pinned'] as McacheAdvice[]).map((advice) => pool.mcache.map(w.map((x) => x.id), { advice }));
    try {
      expect(poolStat(NAME, 'maps')).toBe(2);
      expect(ctlStat('maps')).toBe(ctl0.maps + 2);
      // Faults one page at a time (1.9.0's default): each reads the media.
      for (let p = 0; p < 4; p++) expect(maps[0]!.view(0)[p * PAGE + 1]).toBe(pattern(16, 10)[p * PAGE + 1]);
      expect(poolStat(NAME, 'faults_major') - pool0.major).toBe(4);
      expect(poolStat(NAME, 'pages_cold')).toBe(4);
      expect(Number(maps[0]!.residency().resident)).toBe(4);
      // The same pages from the other map: in its own page cache, so major again.
      for (let p = 0; p < 4; p++) void maps[1]!.view(1)[p * PAGE];
      expect(poolStat(NAME, 'pages_pinned')).toBe(4);
      // Drop the PTEs, touch again: served from the page cache, minor.
      maps[0]!.madvise(0, 0, 4 * PAGE, 'dontneed');
      for (let p = 0; p < 4; p++) void maps[0]!.view(0)[p * PAGE];
      expect(poolStat(NAME, 'faults_minor') - pool0.minor).toBeGreaterThanOrEqual(1);
      expect(poolStat(NAME, 'faults_major') - pool0.major).toBe(8);
      // WILLNEED: readahead pages, the pool's ra (32) of each mblock at most.
      maps[0]!.madvise(1, 0, 16 * PAGE, 'willneed');
      const t0 = Date.now();
      while (poolStat(NAME, 'pages_cold') < 4 + 16 && Date.now() - t0 < 10_000) await sleep(20);
      expect(poolStat(NAME, 'ra_pages') - pool0.ra).toBe(16);
      expect(poolStat(NAME, 'pages_cold')).toBe(20);
      // The module's counters include this pool's.
      expect(ctlStat('faults_major') - ctl0.major).toBe(8);
      expect(ctlStat('ra_pages') - ctl0.ra).toBe(16);
      expect(ctlStat('pages_cold')).toBeGreaterThanOrEqual(20);
    } finally {
      for (const m of maps) m.close();
    }
    // Released maps: gone from maps and pages, their events kept.
    expect(poolStat(NAME, 'maps')).toBe(0);
    expect(poolStat(NAME, 'pages_cold') + poolStat(NAME, 'pages_pinned')).toBe(0);
    expect(poolStat(NAME, 'faults_major') - pool0.major).toBe(8);
    expect(ctlStat('maps')).toBe(ctl0.maps);
    for (const x of w) pool.mblocks.delete(x.id);
  });
});

describe('under memory pressure', () => {
  /** Map sizes in mblocks of 4 MiB: HOT is the biggest, so that it alone keeps the pressure on. */
  const SIZES: Record<Temp, number> = { cold: 6, warm: 6, hot: 16, pinned: 6 };
  const maps = new Map<Temp, McacheMap>();
  const sums = new Map<Temp, string[]>();

  /*
   * The guest's watermarks are high for its size (min_free_kbytes ~44 MiB):
   * lower them so that the balloon can leave 48 MiB free without the
   * kernel's own reclaim starting. Restored after.
   */
  let minFree = '';

  beforeAll(async () => {
    minFree = readFileSync(MIN_FREE, 'utf8').trim();
    writeFileSync(MIN_FREE, '8192\n');
    pool.setParams({ readaheadPages: 32 });
    let seed = 100;
    // HOT last: it is the youngest when the pressure starts.
    for (const t of ['cold', 'warm', 'pinned', 'hot'] as Temp[]) {
      const ws = Array.from({ length: SIZES[t] }, () => committed(pool, pattern(ZONE / PAGE, seed++)));
      sums.set(t, ws.map((w) => sha256(w.data)));
      maps.set(t, pool.mcache.map(ws.map((w) => w.id), { advice: t }));
    }
  }, 600_000);

  afterAll(() => {
    for (const m of maps.values()) m.close();
    if (minFree) writeFileSync(MIN_FREE, `${minFree}\n`);
  });

  const resident = (): Record<Temp, number> => residentOf(NAME);
  const full = (t: Temp): number => (SIZES[t] * ZONE) / PAGE;

  async function populateAll(): Promise<void> {
    for (const t of ['cold', 'warm', 'pinned', 'hot'] as Temp[]) await populate(maps.get(t)!, 32 * PAGE);
    for (const t of TEMPS) expect([t, resident()[t]]).toEqual([t, full(t)]);
  }

  it('reap_mempct=100: a balloon leaving 48 MiB free evicts nothing', async () => {
    expect(setKnob('reap_mempct', 100)).toBeNull();
    await populateAll();
    const c0 = { passes: ctlStat('reap_passes'), pages: ctlStat('reap_pages'), mblocks: ctlStat('reap_mblocks') };
    const v0 = vmstat();
    const balloon = await reapload(['balloon', '48']);
    try {
      await sleep(3000);
      const r = resident();
      const reclaimed = kernelReclaimed(v0, vmstat());
      console.log(`mempct=100: balloon ${JSON.stringify(balloon.first)}, resident ${JSON.stringify(r)}, kernel reclaimed ${reclaimed} pages`);
      expect(ctlStat('reap_urgency')).toBe(0);
      expect({ passes: ctlStat('reap_passes'), pages: ctlStat('reap_pages'), mblocks: ctlStat('reap_mblocks') }).toEqual(c0);
      // The kernel's own reclaim stayed small, so that the test means something: under 256
      // pages on the stock kernels. Under the debug kernel, KASAN's quarantine and kmemleak's
      // metadata grow into the 48 MiB the balloon leaves and kswapd wakes: 1175 and 1493 pages
      // in two runs (2026-12-04), none of them the maps'. Whatever it took, the maps lost no
      // more than that in all; an eighth of them (4352 pages) is the most the test allows.
      const mapped = TEMPS.reduce((n, t) => n + full(t), 0);
      expect(reclaimed).toBeLessThan(mapped / 8);
      const lost = TEMPS.reduce((n, t) => n + full(t) - r[t], 0);
      expect(lost).toBeLessThanOrEqual(reclaimed);
    } finally {
      await balloon.stop();
    }
  });

  it('at the default knobs, COLD falls within a tick or two of free memory crossing the low mark, then WARM, HOT last; PINNED stays; the data is intact', async () => {
    expect(setKnob('reap_mempct', 100)).toBeNull();
    await populateAll();
    const c0 = { passes: ctlStat('reap_passes'), pages: ctlStat('reap_pages'), mblocks: ctlStat('reap_mblocks') };
    const poolPages0 = poolStat(NAME, 'reap_pages');
    const v0 = vmstat();
    // The default, 40: mcache may hold 40% of free + mcache memory (lwm 6000 basis points).
    expect(setKnob('reap_mempct', DEFAULTS.reap_mempct)).toBeNull();
    const lwm = (100 - DEFAULTS.reap_mempct) * 100;
    // Sample from before the balloon starts: it takes seconds to fill, and the reaper acts meanwhile.
    const t0 = Date.now();
    const started = reapload(['balloon', '48']);
    const samples: { t: number; freepct: number; urgency: number; ttl: number; r: Record<Temp, number> }[] = [];
    let crossed = -1;
    let balloon: Load | undefined;
    const fell: Partial<Record<Temp, number>> = {};
    try {
      while (Date.now() - t0 < 90_000) {
        const r = resident();
        const tracked = r.cold + r.warm + r.hot;
        const free = meminfoMiB('MemFree') * 256;
        const freepct = 10000 - Math.floor((tracked * 10000) / (free + tracked));
        const s = { t: Date.now() - t0, freepct, urgency: ctlStat('reap_urgency'), ttl: ctlStat('reap_ttl_cur'), r };
        samples.push(s);
        if (crossed < 0 && freepct < lwm) crossed = s.t;
        for (const t of TEMPS) if (fell[t] === undefined && r[t] < full(t) * 0.9) fell[t] = s.t;
        if (r.hot < full('hot') * 0.5) break;
        await sleep(50);
      }
    } finally {
      balloon = await started;
      await balloon.stop();
      expect(setKnob('reap_mempct', 100)).toBeNull();
    }
    const reclaimed = kernelReclaimed(v0, vmstat());
    const curve = samples.filter((_, i) => i % 10 === 0 || samples[i - 1]?.r.cold !== samples[i]!.r.cold || samples[i - 1]?.r.warm !== samples[i]!.r.warm).map((s) => `${s.t}ms u=${s.urgency} ttl=${Math.round(s.ttl / 1000)}ms c=${s.r.cold} w=${s.r.warm} h=${s.r.hot} p=${s.r.pinned}`);
    console.log(`balloon ${JSON.stringify(balloon!.first)}; crossed lwm at ${crossed} ms; fell (to < 90%): ${JSON.stringify(fell)}; kernel reclaimed ${reclaimed} pages\n${curve.join('\n')}`);

    expect(crossed).toBeGreaterThanOrEqual(0);
    expect(fell.cold).toBeDefined();
    // Within two ticks (333 ms each) and one pass of the worker.
    expect(fell.cold! - crossed).toBeLessThanOrEqual(1000);
    expect(fell.warm).toBeDefined();
    expect(fell.warm!).toBeGreaterThanOrEqual(fell.cold!);
    expect(fell.hot).toBeDefined();
    // HOT waits 100 TTLs to COLD's 1: seconds after WARM, with COLD and WARM gone by then.
    expect(fell.hot! - fell.warm!).toBeGreaterThanOrEqual(2000);
    const atHot = samples.find((s) => s.t === fell.hot)!;
    expect(atHot.r.cold + atHot.r.warm).toBeLessThan((full('cold') + full('warm')) * 0.2);
    // PINNED: nothing the reaper did; at most what the kernel's LRU took.
    expect(full('pinned') - resident().pinned).toBeLessThanOrEqual(reclaimed);
    expect(ctlStat('reap_passes')).toBeGreaterThan(c0.passes);
    expect(ctlStat('reap_mblocks')).toBeGreaterThan(c0.mblocks);
    const evicted = ctlStat('reap_pages') - c0.pages;
    expect(evicted).toBeGreaterThanOrEqual(full('cold') * 0.9 + full('warm') * 0.9 + full('hot') * 0.5 - reclaimed);
    expect(poolStat(NAME, 'reap_pages') - poolPages0).toBe(evicted);

    // Read back through the maps after the eviction: faults from the media
    // (with readahead: one page per fault would take minutes under KASAN).
    for (const t of TEMPS) {
      const m = maps.get(t)!;
      m.madvise(0, 0, Infinity, 'sequential');
      const want = sums.get(t)!;
      for (let i = 0; i < m.count; i++) expect([t, i, sha256(m.view(i))]).toEqual([t, i, want[i]]);
    }
  }, 300_000);
});
