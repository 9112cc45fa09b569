/**
 * MDC-n compaction: a pool with one object MDC of 256 blocks a log, driven
 * through 600+ object records (commits and deletes, one block each, plus
 * id checkpoints). MDC-1 compacts several times; the live objects, their
 * data and the id sequence survive, across deactivate/activate too.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import { Pools } from '../../../userland/src/lib/pools.js';
import { ensureLoaded, kernelFailuresSince, kernelLogSince, markKernelLog } from '../helpers.js';

const NAME = 'mdcn0';
const pools = new Pools();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function page(seed: number): Uint8Array {
  const b = new Uint8Array(4096);
  for (let i = 0; i < b.length; i++) b[i] = (seed * 31 + i) & 0xff;
  return b;
}

beforeAll(() => ensureLoaded());
afterAll(() => pools.destroy(NAME, { force: true, devices: ['/dev/vda'] }));

describe('MDC-1 compaction', () => {
  it('320 commit/delete cycles through a 256-block MDC: compacted, live objects intact', () => {
    const marker = markKernelLog('mdcn-compaction');
    pools.create(NAME, '/dev/vda', { force: true, mblockSize: 1, mdcnCapacity: 1, mdcCount: 1 });
    const live = new Map<bigint, string>();
    const ids = new Set<bigint>();
    const pool = Pool.open(NAME, { write: true });
    try {
      for (let i = 0; i < 320; i++) {
        const { id } = pool.mblocks.alloc();
        expect(ids.has(id)).toBe(false);
        ids.add(id);
        const data = page(i);
        pool.mblocks.write(id, data);
        pool.mblocks.commit(id);
        if (i % 16 === 0) {
          live.set(id, sha(data)); // keep one in sixteen
        } else {
          pool.mblocks.delete(id);
        }
      }
      for (const [id, digest] of live) expect(sha(pool.mblocks.read(id, 0, 4096))).toBe(digest);
    } finally {
      pool.close();
    }
    const compactions = kernelLogSince(marker).match(/MDC-1 compacted into log [AB]/g) ?? [];
    expect(compactions.length).toBeGreaterThanOrEqual(2);

    pools.deactivate(NAME);
    pools.activate(NAME);
    const again = Pool.open(NAME, { write: true });
    try {
      for (const [id, digest] of live) expect(sha(again.mblocks.read(id, 0, 4096))).toBe(digest);
      // The id sequence resumes past everything handed out before.
      const { id } = again.mblocks.alloc();
      expect(ids.has(id)).toBe(false);
      again.mblocks.abort(id);
      expect(again.props().usage.mblockCount).toBe(live.size);
    } finally {
      again.close();
    }
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
