/**
 * MDCs on kernel mlogs (userland/src/lib/mdc-open.ts): alloc and commit of
 * the pair, appends, reopen, compaction (cstart/cend) keeping only the new
 * state, an interrupted compaction rolled back, deactivate/activate, the
 * pool's root MDC, delete, and the errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocMdc, deleteMdc, openMdc, openRootMdc, type MdcIds } from '../../../userland/src/lib/mdc-open.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import type { Mdc } from '../../../userland/src/mdc/mdc.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { dropPool, failure, freshPool, pools, ZONE } from './fixtures.js';

const NAME = 'objmdc';
let pool: Pool;
let marker: string;

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('objects-mdc');
  pool = freshPool(NAME);
});

afterAll(() => dropPool(pool));

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function readAll(mdc: Mdc): string[] {
  mdc.rewind();
  const out: string[] = [];
  for (let r = mdc.read(); r !== null; r = mdc.read()) out.push(dec(r));
  return out;
}

describe('MDC on kernel mlogs', () => {
  let ids: MdcIds;
  let mlogsBefore: number;

  it('alloc: two committed mlogs of the capacity asked for, gen 0', () => {
    mlogsBefore = pool.props().usage.mlogCount;
    ids = allocMdc(pool, { capacity: ZONE });
    expect(ids.id1).not.toBe(ids.id2);
    for (const id of [ids.id1, ids.id2]) {
      expect(pool.mlogs.find(id)).toMatchObject({ committed: true, gen: 0n, capacity: BigInt(ZONE), mclass: 'capacity' });
    }
    expect(pool.props().usage.mlogCount - mlogsBefore).toBe(2);
  });

  it('a new pair opens with log 0 active and log 1 erased above it; appends survive a reopen', () => {
    const mdc = openMdc(pool, ids.id1, ids.id2);
    expect(mdc.active).toBe(0);
    expect(mdc.generations).toEqual([0n, 1n]);
    expect(pool.mlogs.find(ids.id2).gen).toBe(1n);
    expect(readAll(mdc)).toEqual([]);
    mdc.append(enc('a'), true);
    mdc.append(enc('b'));
    mdc.append([enc('c'), enc('-'), enc('d')]);
    mdc.sync();
    expect(mdc.usage()).toBeGreaterThan(0);
    expect(readAll(mdc)).toEqual(['a', 'b', 'c-d']);
    mdc.close();
    expect(failure(() => mdc.append(enc('x'))).code).toBe('EINVAL');
    const again = openMdc(pool, ids.id1, ids.id2);
    expect(again.active).toBe(0);
    expect(again.generations).toEqual([0n, 1n]);
    expect(readAll(again)).toEqual(['a', 'b', 'c-d']);
    again.close();
  });

  it('compaction: cstart, a snapshot, cend; only the new state is left, the old log erased above the new one', () => {
    const mdc = openMdc(pool, ids.id1, ids.id2);
    mdc.cstart();
    expect(mdc.active).toBe(1);
    mdc.append(enc('snapshot: a b c-d'));
    mdc.cend();
    expect(readAll(mdc)).toEqual(['snapshot: a b c-d']);
    const [g0, g1] = mdc.generations;
    expect(g1).toBe(1n);
    expect(g0).toBeGreaterThan(g1);
    expect(pool.mlogs.find(ids.id1).gen).toBe(g0);
    mdc.append(enc('after'), true);
    mdc.close();
    const again = openMdc(pool, ids.id1, ids.id2);
    expect(again.active).toBe(1);
    expect(readAll(again)).toEqual(['snapshot: a b c-d', 'after']);
    again.close();
  });

  it('an interrupted compaction (cstart without cend) is rolled back at open', () => {
    const mdc = openMdc(pool, ids.id1, ids.id2);
    mdc.cstart();
    mdc.append(enc('half a snapshot'), true);
    mdc.close();
    const again = openMdc(pool, ids.id1, ids.id2);
    expect(again.active).toBe(1);
    expect(readAll(again)).toEqual(['snapshot: a b c-d', 'after']);
    // The interrupted log was erased above the active one.
    expect(again.generations[0]).toBeGreaterThan(again.generations[1]);
    again.close();
  });

  it('after deactivate and activate: the same active log and records', () => {
    pool.close();
    pools.deactivate(NAME);
    pools.activate(NAME);
    pool = Pool.open(NAME, { write: true });
    const mdc = openMdc(pool, ids.id1, ids.id2);
    expect(mdc.active).toBe(1);
    expect(readAll(mdc)).toEqual(['snapshot: a b c-d', 'after']);
    // A second compaction goes back to log 0.
    mdc.cstart();
    mdc.append(enc('snapshot 2'));
    mdc.cend();
    expect(mdc.active).toBe(0);
    mdc.close();
    const again = openMdc(pool, ids.id1, ids.id2);
    expect(again.active).toBe(0);
    expect(readAll(again)).toEqual(['snapshot 2']);
    again.close();
  });

  it('the root MDC named by the pool parameters opens and keeps records', () => {
    const [r1, r2] = pool.params().rootMdc;
    expect([r1, r2]).toEqual([0x201n, 0x1201n]);
    const root = openRootMdc(pool);
    expect(root.active).toBe(0);
    const before = readAll(root);
    root.append(enc('root record'), true);
    root.close();
    const again = openRootMdc(pool);
    expect(readAll(again)).toEqual([...before, 'root record']);
    again.close();
  });

  it('delete: both mlogs are gone; opening them is ENOENT', () => {
    deleteMdc(pool, ids.id1, ids.id2);
    for (const id of [ids.id1, ids.id2]) expect(failure(() => pool.mlogs.find(id)).code).toBe('ENOENT');
    expect(failure(() => openMdc(pool, ids.id1, ids.id2)).code).toBe('ENOENT');
    expect(failure(() => deleteMdc(pool, ids.id1, ids.id2)).code).toBe('ENOENT');
    expect(pool.props().usage.mlogCount).toBe(mlogsBefore);
  });

  it('errors: the same mlog twice, an uncommitted mlog: EINVAL; no space: ENOSPC and nothing left behind', () => {
    const { id } = pool.mlogs.alloc();
    expect(failure(() => openMdc(pool, id, id)).code).toBe('EINVAL');
    const other = pool.mlogs.alloc();
    expect(failure(() => openMdc(pool, id, other.id)).code).toBe('EINVAL');
    pool.mlogs.abort(id);
    pool.mlogs.abort(other.id);
    const count = pool.props().usage.mlogCount;
    // The first mlog takes most of the free space, the second cannot have it.
    const free = pool.props().usage.freeUsable;
    const half = ((free / BigInt(ZONE) / 2n) + 1n) * BigInt(ZONE);
    expect(failure(() => allocMdc(pool, { capacity: half })).code).toBe('ENOSPC');
    expect(pool.props().usage.mlogCount).toBe(count);
    expect(pool.props().usage.freeUsable).toBe(free);
  });

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
