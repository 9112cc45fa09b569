/**
 * MDC-0 compaction: a pool with a 1 MiB MDC-0 (256 blocks per log, one
 * block per change) is driven through several compactions; every change
 * survives, including across deactivate/activate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import { Pools } from '../../../userland/src/lib/pools.js';
import { ensureLoaded, kernelFailuresSince, kernelLogSince, markKernelLog } from '../helpers.js';

const NAME = 'compact0';
const pools = new Pools();

beforeAll(() => ensureLoaded());
afterAll(() => pools.destroy(NAME, { force: true, devices: ['/dev/vda'] }));

describe('MDC-0 compaction', () => {
  it('600 parameter changes through a 256-block log: compacted, nothing lost', () => {
    const marker = markKernelLog('compaction');
    pools.create(NAME, '/dev/vda', { force: true, mblockSize: 1, mdc0Capacity: 1, mdcCount: 2 });
    const pool = Pool.open(NAME, { write: true });
    try {
      for (let i = 0; i < 600; i++) pool.setParams({ label: `change-${i}`, readaheadPages: i % 33 });
      expect(pool.params()).toMatchObject({ label: 'change-599', readaheadPages: 599 % 33 });
    } finally {
      pool.close();
    }
    const compactions = kernelLogSince(marker).match(/MDC-0 compacted into log [AB]/g) ?? [];
    expect(compactions.length).toBeGreaterThanOrEqual(2);

    pools.deactivate(NAME);
    expect(pools.activate(NAME)).toMatchObject({ label: 'change-599', readaheadPages: 599 % 33 });
    expect(kernelFailuresSince(marker)).toEqual([]);
  });

  it('the state survives a compaction followed straight by deactivation', () => {
    const pool = Pool.open(NAME, { write: true });
    try {
      // Fill the active log to its end, so the next change compacts.
      for (let i = 0; i < 300; i++) pool.setParams({ label: `again-${i}` });
    } finally {
      pool.close();
    }
    pools.deactivate(NAME);
    expect(pools.activate(NAME).label).toBe('again-299');
    pools.deactivate(NAME);
  });
});
