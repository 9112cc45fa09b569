/**
 * Mlogs through the library and raw ioctls: alloc, commit, abort, delete,
 * find/props, erase, raw page I/O and kernelMlogMedia, with their errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlignedBuffer } from '../../../userland/src/lib/aligned.js';
import { kernelMlogMedia, MLOG_STATE_COMMITTED } from '../../../userland/src/lib/mlog.js';
import { makeObjectId, objectIdHex, OBJ_TYPE_MLOG, parseObjectId, readRwszMax } from '../../../userland/src/lib/objects.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { dropPool, failure, freshPool, PAGE, random, sha256, ZONE } from './fixtures.js';

const NAME = 'objml';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let pool: Pool;
let marker: string;

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('objects-mlog');
  pool = freshPool(NAME);
});

afterAll(() => dropPool(pool));

describe('mlog happy path', () => {
  it('the root MDC mlogs 0x201 and 0x1201 exist, committed', () => {
    for (const id of [0x201n, 0x1201n]) {
      const p = pool.mlogs.find(id);
      expect(p).toMatchObject({ id, committed: true, state: MLOG_STATE_COMMITTED, mclass: 'capacity' });
      expect(p.capacity).toBeGreaterThan(0n);
      expect(pool.mlogs.props(id)).toEqual(p);
    }
  });

  it('alloc rounds the capacity up to whole zones; gen 0, uncommitted, a uuid', () => {
    const p = pool.mlogs.alloc({ capacity: ZONE + 1 });
    expect(parseObjectId(p.id).type).toBe(OBJ_TYPE_MLOG);
    expect(p).toMatchObject({ capacity: BigInt(2 * ZONE), gen: 0n, committed: false, state: 0, zoneCount: 2, mclass: 'capacity' });
    expect([512, 4096]).toContain(p.sectorSize);
    expect(p.totalSectors).toBe((2 * ZONE) / p.sectorSize);
    expect(p.uuid).toMatch(UUID_RE);
    expect(p.uuidBytes.some((b) => b !== 0)).toBe(true);
    expect(pool.mlogs.alloc({ capacity: 0 }).capacity).toBe(BigInt(ZONE));
    const other = pool.mlogs.alloc();
    expect(other.uuid).not.toBe(p.uuid);
    expect(pool.mlogs.find(p.id)).toEqual(p);
    pool.mlogs.abort(p.id);
    expect(failure(() => pool.mlogs.find(p.id)).code).toBe('ENOENT');
  });

  it('commit, then page I/O round trips; writes are durable on return', () => {
    const ml = pool.mlogs;
    const { id } = ml.alloc({ capacity: ZONE });
    const buf = AlignedBuffer.from(random(3 * PAGE));
    expect(failure(() => ml.writePages(id, 0, buf)).code).toBe('ENOENT'); // uncommitted, as 1.9.0
    const r = failure(() => ml.readPages(id, 0, buf));
    expect(r.code).toBe('ENOENT');
    expect(r.message).toContain('is not committed');
    expect(ml.commit(id)).toEqual({ gen: 0n, state: MLOG_STATE_COMMITTED });
    ml.writePages(id, PAGE, buf);
    const copy = random(2 * PAGE); // not aligned: bounced
    ml.writePages(id, ZONE - 2 * PAGE, copy);
    const back = new Uint8Array(3 * PAGE);
    ml.readPages(id, PAGE, back);
    expect(sha256(back)).toBe(sha256(buf.bytes));
    const tail = AlignedBuffer.alloc(2 * PAGE);
    ml.readPages(id, ZONE - 2 * PAGE, tail);
    expect(Buffer.from(tail.bytes)).toEqual(Buffer.from(copy));
    tail.free();
    buf.free();
    expect(ml.find(id)).toMatchObject({ committed: true, gen: 0n });
    ml.delete(id);
    expect(failure(() => ml.find(id)).code).toBe('ENOENT');
  });

  it('mi_op decides the direction, whichever command carried it', () => {
    const ml = pool.mlogs;
    const { id } = ml.alloc();
    ml.commit(id);
    const data = AlignedBuffer.from(random(PAGE));
    ml.ioRaw(id, 0, true, [{ address: data.address, length: PAGE }], 'MPIOC_MLOG_READ');
    const got = AlignedBuffer.alloc(PAGE);
    ml.ioRaw(id, 0, false, [{ address: got.address, length: PAGE }], 'MPIOC_MLOG_WRITE');
    expect(Buffer.from(got.bytes)).toEqual(Buffer.from(data.bytes));
    data.free();
    got.free();
    ml.delete(id);
  });

  it('erase: gen + 1, or the minimum asked for, whichever is higher', () => {
    const ml = pool.mlogs;
    const { id } = ml.alloc();
    ml.commit(id);
    expect(ml.erase(id)).toBe(1n);
    expect(ml.erase(id, 10n)).toBe(10n);
    expect(ml.erase(id, 3n)).toBe(11n);
    expect(ml.find(id).gen).toBe(11n);
    expect(ml.props(id).gen).toBe(11n);
    ml.delete(id);
  });

  it('kernelMlogMedia: geometry from the kernel; unaligned reads and writes keep the bytes around them', () => {
    const ml = pool.mlogs;
    const { id } = ml.alloc();
    ml.commit(id);
    const base = random(4 * PAGE);
    ml.writePages(id, 0, base);
    const media = kernelMlogMedia(pool, id);
    const p = ml.find(id);
    expect(media).toMatchObject({ id, capacity: ZONE, sectorSize: p.sectorSize, gen: 0n });
    expect(Buffer.from(media.uuid)).toEqual(Buffer.from(p.uuidBytes));
    const expected = Buffer.from(base);
    const patches: [number, number][] = [
      [100, 50], // inside one page
      [PAGE - 10, 20], // across a page boundary
      [PAGE * 2, 512], // aligned start, short
      [PAGE + 7, 2 * PAGE], // three pages, both ends partial
    ];
    for (const [off, len] of patches) {
      const d = random(len);
      media.write(off, d);
      expected.set(d, off);
    }
    const got = new Uint8Array(4 * PAGE);
    media.read(0, got);
    expect(Buffer.from(got)).toEqual(expected);
    const piece = new Uint8Array(333);
    media.read(PAGE - 100, piece);
    expect(Buffer.from(piece)).toEqual(expected.subarray(PAGE - 100, PAGE + 233));
    expect(failure(() => media.read(ZONE - 10, new Uint8Array(20))).code).toBe('EINVAL');
    ml.delete(id);
  });
});

describe('mlog errors', () => {
  it('commit twice, abort of a committed one, delete of an uncommitted one: ENOENT (1.9.0); erase of an uncommitted one: EINVAL', () => {
    const ml = pool.mlogs;
    const { id } = ml.alloc();
    expect(failure(() => ml.delete(id)).code).toBe('ENOENT');
    expect(failure(() => ml.erase(id)).code).toBe('EINVAL');
    ml.commit(id);
    expect(failure(() => ml.commit(id))).toMatchObject({ code: 'ENOENT', message: expect.stringContaining('is already committed') });
    expect(failure(() => ml.abort(id))).toMatchObject({ code: 'ENOENT', message: expect.stringContaining('is committed: delete it instead') });
    ml.delete(id);
    const unknown = makeObjectId({ uniq: 0xfffffn, type: OBJ_TYPE_MLOG, slot: 1 });
    for (const f of [() => ml.find(unknown), () => ml.props(unknown), () => ml.commit(unknown), () => ml.abort(unknown), () => ml.delete(unknown), () => ml.erase(unknown)]) {
      const r = failure(f);
      expect(r.code).toBe('ENOENT');
      expect(r.message).toContain(objectIdHex(unknown));
    }
  });

  it('an mblock id given to an mlog command is EINVAL', () => {
    const mb = pool.mblocks.alloc();
    const ml = pool.mlogs;
    expect(failure(() => ml.find(mb.id)).code).toBe('EINVAL');
    expect(failure(() => ml.find(mb.id)).message).toContain('is an mblock id, not an mlog id');
    expect(failure(() => ml.commit(mb.id)).code).toBe('EINVAL');
    expect(failure(() => ml.erase(mb.id)).code).toBe('EINVAL');
    expect(failure(() => ml.readPages(mb.id, 0, new Uint8Array(PAGE))).code).toBe('EINVAL');
    pool.mblocks.abort(mb.id);
  });

  it('I/O outside the capacity, unaligned, with bad iovecs or over rwsz_max: EINVAL', () => {
    const ml = pool.mlogs;
    const rwsz = readRwszMax();
    const cap = rwsz + 2 * ZONE;
    const { id } = ml.alloc({ capacity: cap });
    ml.commit(id);
    const big = AlignedBuffer.alloc(rwsz + PAGE);
    const a = big.address;
    const seg = [{ address: a, length: PAGE }];
    expect(failure(() => ml.ioRaw(id, cap, true, seg)).code).toBe('EINVAL');
    expect(failure(() => ml.ioRaw(id, cap - PAGE, true, [{ address: a, length: 2 * PAGE }])).code).toBe('EINVAL');
    expect(failure(() => ml.ioRaw(id, 512, false, seg)).code).toBe('EINVAL');
    expect(failure(() => ml.ioRaw(id, 0, true, [{ address: a + 512n, length: PAGE }])).code).toBe('EINVAL');
    expect(failure(() => ml.ioRaw(id, 0, true, [{ address: a, length: 100 }])).code).toBe('EINVAL');
    expect(failure(() => ml.ioRaw(id, 0, true, [])).code).toBe('EINVAL');
    expect(failure(() => ml.ioRaw(id, 0, true, Array.from({ length: 1025 }, () => ({ address: a, length: PAGE })))).code).toBe('EINVAL');
    // rwsz_max in one ioctl is fine, a page more is not (the mlog is big enough for both).
    ml.ioRaw(id, 0, true, [{ address: a, length: rwsz }]);
    expect(failure(() => ml.ioRaw(id, 0, true, [{ address: a, length: rwsz + PAGE }])).code).toBe('EINVAL');
    expect(failure(() => ml.ioRaw(id, 0, false, [{ address: a, length: rwsz + PAGE }])).code).toBe('EINVAL');
    // The library splits what one ioctl cannot carry.
    big.bytes.set(random(rwsz + PAGE));
    ml.writePages(id, PAGE, big);
    const back = AlignedBuffer.alloc(rwsz + PAGE);
    ml.readPages(id, PAGE, back);
    expect(sha256(back.bytes)).toBe(sha256(big.bytes));
    back.free();
    big.free();
    ml.delete(id);
  });

  it('no staging device: ENODEV; more zones than the device has: ENOSPC', () => {
    expect(failure(() => pool.mlogs.alloc({ mclass: 'staging' })).code).toBe('ENODEV');
    expect(failure(() => pool.mlogs.alloc({ capacity: 1n << 40n })).code).toBe('ENOSPC');
  });

  it('a read-only open finds and reads; writes (even carried by MLOG_READ) and changes are EINVAL', () => {
    const ml = pool.mlogs;
    const { id } = ml.alloc();
    ml.commit(id);
    const data = random(PAGE);
    ml.writePages(id, 0, data);
    const ro = Pool.open(NAME);
    const buf = AlignedBuffer.alloc(PAGE);
    try {
      const r = ro.mlogs;
      expect(r.find(id).committed).toBe(true);
      r.readPages(id, 0, buf);
      expect(Buffer.from(buf.bytes)).toEqual(Buffer.from(data));
      expect(failure(() => r.writePages(id, 0, buf)).code).toBe('EINVAL');
      expect(failure(() => r.ioRaw(id, 0, true, [{ address: buf.address, length: PAGE }], 'MPIOC_MLOG_READ')).code).toBe('EINVAL');
      expect(failure(() => r.alloc()).code).toBe('EINVAL');
      expect(failure(() => r.erase(id)).code).toBe('EINVAL');
      expect(failure(() => r.delete(id)).code).toBe('EINVAL');
    } finally {
      buf.free();
      ro.close();
    }
    expect(ml.find(id).gen).toBe(0n);
    ml.delete(id);
  });

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
