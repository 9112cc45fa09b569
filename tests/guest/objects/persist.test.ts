/**
 * Committed objects survive deactivate/activate byte for byte (sha256);
 * uncommitted ones vanish; usage counts committed objects only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { dropPool, failure, freshPool, PAGE, pools, random, sha256, ZONE } from './fixtures.js';

const NAME = 'objpersist';
let pool: Pool;
let marker: string;

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('objects-persist');
  pool = freshPool(NAME);
});

afterAll(() => dropPool(pool));

interface Kept {
  id: bigint;
  sha: string;
  length: number;
}

describe('persistence across deactivate/activate', () => {
  const mblocks: Kept[] = [];
  let mlog: Kept & { gen: bigint; uuid: string };
  let uncommittedMb: bigint;
  let uncommittedMl: bigint;
  let deleted: bigint;
  let base: { mblockCount: number; mlogCount: number; mblockWritten: bigint };

  it('writes mblocks and an mlog, leaves some uncommitted, deletes one', () => {
    base = pool.props().usage;
    for (const len of [PAGE, 5 * PAGE, ZONE / 2, ZONE]) {
      const data = random(len);
      const { id } = pool.mblocks.alloc();
      pool.mblocks.write(id, data);
      pool.mblocks.commit(id);
      mblocks.push({ id, sha: sha256(data), length: len });
    }
    const gone = pool.mblocks.alloc().id;
    pool.mblocks.write(gone, random(PAGE));
    pool.mblocks.commit(gone);
    pool.mblocks.delete(gone);
    deleted = gone;
    uncommittedMb = pool.mblocks.alloc().id;
    pool.mblocks.write(uncommittedMb, random(2 * PAGE));
    uncommittedMl = pool.mlogs.alloc().id;

    const ml = pool.mlogs.alloc({ capacity: 2 * ZONE });
    pool.mlogs.commit(ml.id);
    const gen = pool.mlogs.erase(ml.id, 7n);
    const data = random(16 * PAGE);
    pool.mlogs.writePages(ml.id, ZONE - 8 * PAGE, data);
    mlog = { id: ml.id, sha: sha256(data), length: data.length, gen, uuid: ml.uuid };
    expect(gen).toBe(7n);

    const u = pool.props().usage;
    expect(u.mblockCount - base.mblockCount).toBe(4);
    expect(u.mlogCount - base.mlogCount).toBe(1);
    expect(u.mblockWritten - base.mblockWritten).toBe(BigInt(mblocks.reduce((n, m) => n + m.length, 0)));
  });

  it('after deactivate and activate: the same bytes, gen and uuid; uncommitted and deleted objects are gone', () => {
    pool.close();
    pools.deactivate(NAME);
    pools.activate(NAME);
    pool = Pool.open(NAME, { write: true });
    for (const m of mblocks) {
      expect(pool.mblocks.find(m.id)).toMatchObject({ committed: true, written: BigInt(m.length), capacity: BigInt(ZONE) });
      expect(sha256(pool.mblocks.read(m.id))).toBe(m.sha);
    }
    const p = pool.mlogs.find(mlog.id);
    expect(p).toMatchObject({ committed: true, gen: mlog.gen, uuid: mlog.uuid, capacity: BigInt(2 * ZONE) });
    const back = new Uint8Array(mlog.length);
    pool.mlogs.readPages(mlog.id, ZONE - 8 * PAGE, back);
    expect(sha256(back)).toBe(mlog.sha);
    expect(failure(() => pool.mblocks.find(uncommittedMb)).code).toBe('ENOENT');
    expect(failure(() => pool.mlogs.find(uncommittedMl)).code).toBe('ENOENT');
    expect(failure(() => pool.mblocks.find(deleted)).code).toBe('ENOENT');
    const u = pool.props().usage;
    expect(u.mblockCount - base.mblockCount).toBe(4);
    expect(u.mlogCount - base.mlogCount).toBe(1);
  });

  it('new ids after activation are never ones handed out before', () => {
    const seen = new Set([...mblocks.map((m) => m.id), mlog.id, uncommittedMb, uncommittedMl, deleted]);
    for (let i = 0; i < 20; i++) {
      const { id } = pool.mblocks.alloc();
      expect(seen.has(id)).toBe(false);
      seen.add(id);
      pool.mblocks.abort(id);
    }
  });

  it('erase and delete persist too', () => {
    pool.mlogs.erase(mlog.id);
    pool.mblocks.delete(mblocks[0]!.id);
    pool.close();
    pools.deactivate(NAME);
    pools.activate(NAME);
    pool = Pool.open(NAME, { write: true });
    expect(pool.mlogs.find(mlog.id).gen).toBe(mlog.gen + 1n);
    expect(failure(() => pool.mblocks.find(mblocks[0]!.id)).code).toBe('ENOENT');
    expect(sha256(pool.mblocks.read(mblocks[1]!.id))).toBe(mblocks[1]!.sha);
  });

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
