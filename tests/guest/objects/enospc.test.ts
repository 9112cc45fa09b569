/**
 * A full pool: allocations fail with ENOSPC, the spare space still serves
 * spare allocations, and space comes back after abort and delete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { dropPool, failure, freshPool, PAGE, random, ZONE } from './fixtures.js';

const NAME = 'objfull';
let pool: Pool;
let marker: string;

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('objects-enospc');
  pool = freshPool(NAME);
});

afterAll(() => dropPool(pool));

describe('ENOSPC', () => {
  it('fills the pool, frees space by abort and delete, and allocates again', () => {
    const mb = pool.mblocks;
    const before = pool.props().usage;
    // Most of the space in one big mlog, the rest in mblocks.
    const bigZones = Math.floor(Number(before.freeUsable) / ZONE) - 40;
    const big = pool.mlogs.alloc({ capacity: BigInt(bigZones) * BigInt(ZONE) });
    const ids: bigint[] = [];
    let err = '';
    for (let i = 0; i < 200; i++) {
      const r = failure(() => ids.push(mb.alloc().id));
      if (r.code !== 'OK') {
        err = r.code;
        expect(r.message).toContain('no free zone in the capacity class');
        break;
      }
    }
    expect(err).toBe('ENOSPC');
    expect(ids.length).toBeGreaterThan(0);
    expect(failure(() => pool.mlogs.alloc()).code).toBe('ENOSPC');
    // The spare part of the class is still there for spare allocations.
    const spare = mb.alloc({ spare: true });
    mb.abort(spare.id);

    // Abort gives a zone back.
    mb.abort(ids.pop()!);
    const again = mb.alloc();
    ids.push(again.id);
    expect(failure(() => mb.alloc()).code).toBe('ENOSPC');

    // Committed, then deleted: the zones come back too.
    const a = ids.pop()!;
    const b = ids.pop()!;
    for (const id of [a, b]) {
      mb.write(id, random(PAGE));
      mb.commit(id);
    }
    expect(failure(() => mb.alloc()).code).toBe('ENOSPC');
    mb.delete(a);
    mb.delete(b);
    ids.push(mb.alloc().id, mb.alloc().id);
    expect(failure(() => mb.alloc()).code).toBe('ENOSPC');

    // The big mlog's zones serve mblocks once it is gone.
    pool.mlogs.abort(big.id);
    for (let i = 0; i < 10; i++) ids.push(mb.alloc().id);
    for (const id of ids) mb.abort(id);
    const after = pool.props().usage;
    expect(after.used).toBe(before.used);
  });

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
