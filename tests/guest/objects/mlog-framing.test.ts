/**
 * The record framing (userland/src/mlog/) on real kernel mlogs through
 * openMlog: records of every awkward size, sync and buffered appends,
 * rereads after reopen and after deactivate/activate, erase, a full log,
 * seekRead. Big records are compared by sha256 (toEqual on MiB buffers is
 * very slow under TCG).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openErasedMlog, openMlog } from '../../../userland/src/lib/mlog-open.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import type { Mlog } from '../../../userland/src/mlog/framing.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { dropPool, failure, freshPool, pools, random, sha256, ZONE } from './fixtures.js';

const NAME = 'objframe';
const KiB = 1024;
const SIZES = [0, 1, 4095, 4096, 5000, 100 * KiB, 1536 * KiB];
let pool: Pool;
let marker: string;

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('objects-mlog-framing');
  pool = freshPool(NAME);
});

afterAll(() => dropPool(pool));

interface Rec {
  length: number;
  sha: string;
}

const recOf = (b: Uint8Array): Rec => ({ length: b.length, sha: sha256(b) });

/** Every record from the start, as length and sha256. */
function readAll(log: Mlog): Rec[] {
  log.rewind();
  const out: Rec[] = [];
  for (let r = log.read(); r !== null; r = log.read()) out.push(recOf(r));
  return out;
}

function newMlog(capacity: number): bigint {
  const { id } = pool.mlogs.alloc({ capacity });
  pool.mlogs.commit(id);
  return id;
}

describe('mlog framing on a kernel mlog', () => {
  let id: bigint;
  const written: Rec[] = [];

  it('sync appends of 0 B .. 1.5 MiB read back in order, before and after a reopen', () => {
    id = newMlog(2 * ZONE);
    const log = openMlog(pool, id);
    expect(log.empty).toBe(true);
    expect(log.gen).toBe(0n);
    for (const n of SIZES) {
      const data = random(n);
      log.append(data, true);
      expect(log.dirty).toBe(false);
      written.push(recOf(data));
    }
    expect(readAll(log)).toEqual(written);
    log.close();
    const again = openMlog(pool, id);
    expect(again.empty).toBe(false);
    expect(readAll(again)).toEqual(written);
    again.close();
  });

  it('buffered appends reach the media with flush; a reopen sees the old and the new records', () => {
    const log = openMlog(pool, id);
    const before = log.length;
    for (const n of SIZES) {
      const data = random(n);
      log.append(data);
      written.push(recOf(data));
    }
    // Records still in the append buffer are readable through the handle.
    expect(readAll(log)).toEqual(written);
    log.flush();
    expect(log.dirty).toBe(false);
    expect(log.length).toBeGreaterThan(before);
    // A second handle reads the media only.
    const other = openMlog(pool, id);
    expect(readAll(other)).toEqual(written);
    other.close();
    log.close();
  });

  it('a record given as a list of pieces is one record', () => {
    const pieces = [random(10), random(4096), random(3)];
    const whole = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of pieces) {
      whole.set(p, at);
      at += p.length;
    }
    const log = openMlog(pool, id);
    log.append(pieces, true);
    written.push(recOf(whole));
    log.close();
    const again = openMlog(pool, id);
    expect(readAll(again)).toEqual(written);
    again.close();
  });

  it('after deactivate and activate: the same records, gen and length', () => {
    const log = openMlog(pool, id);
    const length = log.length;
    log.close();
    pool.close();
    pools.deactivate(NAME);
    pools.activate(NAME);
    pool = Pool.open(NAME, { write: true });
    const again = openMlog(pool, id);
    expect(again.gen).toBe(0n);
    expect(again.length).toBe(length);
    expect(readAll(again)).toEqual(written);
    again.close();
  });

  it('seekRead skips a record of exactly the size given; EOVERFLOW (not moved) when longer, ERANGE when shorter', () => {
    const log = openMlog(pool, id);
    log.rewind();
    expect(log.read()?.length).toBe(0);
    expect(recOf(log.seekRead(1)!)).toEqual(written[2]); // skips the 1-byte record
    expect(failure(() => log.seekRead(4000)).code).toBe('EOVERFLOW'); // the next one is 4096
    expect(recOf(log.seekRead(4096)!)).toEqual(written[4]);
    expect(failure(() => log.seekRead(200 * KiB)).code).toBe('ERANGE'); // the next one is 100 KiB
    expect(recOf(log.read()!)).toEqual(written[6]);
    log.rewind();
    expect(recOf(log.seekRead(0)!)).toEqual(written[0]);
    log.close();
  });

  it('erase: the log is empty at a higher gen, old records never come back', () => {
    const gen = pool.mlogs.erase(id);
    expect(gen).toBe(1n);
    const reopened = openMlog(pool, id);
    expect(reopened.gen).toBe(1n);
    expect(reopened.empty).toBe(true);
    expect(reopened.read()).toBeNull();
    reopened.close();
    const log = openErasedMlog(pool, id);
    expect(log.gen).toBe(1n);
    const fresh = random(5000);
    log.append(fresh, true);
    log.close();
    const again = openMlog(pool, id);
    expect(readAll(again)).toEqual([recOf(fresh)]);
    again.close();
    pool.mlogs.delete(id);
    expect(failure(() => openMlog(pool, id)).code).toBe('ENOENT');
  });

  it('a full log: EFBIG, what fitted stays readable, a record of exactly `room` bytes fits', () => {
    const small = newMlog(ZONE);
    const log = openMlog(pool, small);
    expect(log.maxRecordLength).toBeLessThan(ZONE);
    expect(failure(() => log.append(new Uint8Array(log.maxRecordLength + 1), true)).code).toBe('EFBIG');
    const kept: Rec[] = [];
    let code = 'OK';
    for (let i = 0; i < 8 && code === 'OK'; i++) {
      const data = random(1024 * KiB);
      code = failure(() => log.append(data, true)).code;
      if (code === 'OK') kept.push(recOf(data));
    }
    expect(code).toBe('EFBIG');
    expect(kept.length).toBe(3);
    const room = log.room;
    expect(room).toBeGreaterThanOrEqual(0);
    expect(room).toBeLessThan(1024 * KiB);
    const last = random(room);
    log.append(last, true);
    kept.push(recOf(last));
    expect(failure(() => log.append(random(4096), true)).code).toBe('EFBIG');
    log.close();
    const again = openMlog(pool, small);
    expect(readAll(again)).toEqual(kept);
    again.close();
    pool.mlogs.delete(small);
  });

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
