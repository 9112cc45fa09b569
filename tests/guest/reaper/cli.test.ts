/** mpool stats and mpool reaper, and the library's readers, against the module's real sysfs files. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../userland/src/cli/program.js';
import type { Pool } from '../../../userland/src/lib/pool.js';
import { Pools } from '../../../userland/src/lib/pools.js';
import { ensureLoaded } from '../helpers.js';
import { committed, ctlStat, DEFAULTS, dropPool, freshPool, knob, PAGE, pattern, poolStat, restoreKnobs } from './fixtures.js';

const NAME = 'reapcli';
let pool: Pool;

beforeAll(() => {
  ensureLoaded();
  pool = freshPool(NAME);
});

afterAll(() => {
  restoreKnobs();
  dropPool(pool);
});

describe('mpool stats', () => {
  it('with no name: the module counters, the reaper, and a line per pool, with rates over the interval', async () => {
    const w = committed(pool, pattern(8, 1));
    const map = pool.mcache.map([w.id], { advice: 'hot' });
    try {
      for (let p = 0; p < 8; p++) void map.view(0)[p * PAGE];
      const r = await runCli(['stats', '--json', '--interval', '0.3']);
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout) as {
        global: { stats: Record<string, string>; reaper: { mempct: number; ttlUs: string; debug: number } };
        pools: { name: string; stats: Record<string, string> }[];
        rates: { seconds: number };
      };
      expect(j.global.stats.maps).toBe(String(ctlStat('maps')));
      expect(j.global.stats.pagesHot).toBe('8');
      expect(j.global.reaper).toEqual({ mempct: DEFAULTS.reap_mempct, ttlUs: String(DEFAULTS.reap_ttl), debug: 0 });
      const mine = j.pools.find((p) => p.name === NAME);
      expect(mine?.stats.mbWriteBytes).toBe(String(8 * PAGE));
      expect(mine?.stats.faultsMajor).toBe(String(poolStat(NAME, 'faults_major')));
      expect(j.rates.seconds).toBeGreaterThan(0.25);
    } finally {
      map.close();
      pool.mblocks.delete(w.id);
    }
  });

  it('with a name: the pool parameters and counters as a table, rates per second; an unknown pool fails with ENOENT', async () => {
    const r = await runCli(['stats', NAME, '--interval', '0.2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/mb_write_bytes\s+\d+/);
    expect(r.stdout).toMatch(/PER SEC/);
    const bad = await runCli(['stats', 'nosuchpool', '--interval', '0.2']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/ENOENT/);
  });

  it('the library reads the same values as the files', () => {
    const pools = new Pools();
    const s = pools.poolStats(NAME);
    expect(s.stats.mbWriteOps).toBe(BigInt(poolStat(NAME, 'mb_write_ops')));
    expect(pool.stats().params.ra).toBe(pool.params().readaheadPages);
  });
});

describe('mpool reaper', () => {
  it('shows and sets the knobs; out of range exits 2 and writes nothing', async () => {
    const set = await runCli(['reaper', '--ttl', '50000', '--debug', '1', '--json']);
    expect(set.status, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ mempct: DEFAULTS.reap_mempct, ttlUs: '50000', debug: 1 });
    expect([knob('reap_ttl'), knob('reap_debug')]).toEqual([50000, 1]);
    const bad = await runCli(['reaper', '--mempct', '4']);
    expect(bad.status).toBe(2);
    expect(knob('reap_mempct')).toBe(DEFAULTS.reap_mempct);
    new Pools().setReaper({ ttlUs: DEFAULTS.reap_ttl, debug: 0 });
    expect([knob('reap_ttl'), knob('reap_debug')]).toEqual([DEFAULTS.reap_ttl, 0]);
  });
});
