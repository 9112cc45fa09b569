/**
 * Activation replays MDC-1..N one after the other. A zone freed by a delete
 * recorded in one MDC and reused by an object recorded in another must not
 * look taken twice, whichever MDC is replayed first (kmod/pmd_obj.c,
 * obj_reserve_zones()). Found by the I/O-error tests: before the fix such a
 * pool failed activation with EBADMSG, and nothing was wrong with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { DISK_A, dropPool, freshPool, random, reactivated, sha256, ZONE } from './fixtures.js';

const NAME = 'objreplay';
let pool: Pool;
let marker: string;

const reactivate = (): void => void (pool = reactivated(pool, NAME, DISK_A));

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('objects-replay');
  pool = freshPool(NAME);
});

afterAll(() => dropPool(pool));

describe('replay across MDCs', () => {
  it('zones freed in one MDC and reused by objects of another: the pool activates with every object', () => {
    const mb = pool.mblocks;
    // One object per MDC, then all deleted: their zones are free again.
    const gone = Array.from({ length: 16 }, () => {
      const id = mb.alloc().id;
      mb.commit(id);
      return id;
    });
    for (const id of gone) mb.delete(id);
    reactivate();
    // A two-zone mlog first shifts which MDC each reused zone lands in.
    const ml = pool.mlogs.alloc({ capacity: 2 * ZONE }).id;
    pool.mlogs.commit(ml);
    const data = random(8192);
    const kept = Array.from({ length: 16 }, () => {
      const id = pool.mblocks.alloc().id;
      pool.mblocks.write(id, data);
      pool.mblocks.commit(id);
      return id;
    });
    reactivate();
    for (const id of kept) expect(sha256(pool.mblocks.read(id, 0, data.length))).toBe(sha256(data));
    expect(pool.mlogs.find(ml).committed).toBe(true);
    for (const id of gone) expect(() => pool.mblocks.find(id)).toThrow(/ENOENT/);
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
