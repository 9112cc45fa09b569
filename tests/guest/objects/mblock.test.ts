/**
 * Mblocks through the library and raw ioctls: every MB_* command on its
 * happy path and on each error the kernel documents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlignedBuffer } from '../../../userland/src/lib/aligned.js';
import { clampOptimalIo, measureDevice } from '../../../userland/src/lib/device.js';
import { Mblocks } from '../../../userland/src/lib/mblock.js';
import { makeObjectId, objectIdHex, OBJ_TYPE_MBLOCK, parseObjectId } from '../../../userland/src/lib/objects.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { DISK_A, dropPool, failure, freshPool, PAGE, random, sha256, ZONE } from './fixtures.js';

const NAME = 'objmb';
let pool: Pool;
let marker: string;

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('objects-mblock');
  pool = freshPool(NAME);
});

afterAll(() => dropPool(pool));

/** An id of the right type and slot that was never handed out. */
const UNKNOWN = makeObjectId({ uniq: 0xfffffn, type: OBJ_TYPE_MBLOCK, slot: 1 });

describe('mblock happy path', () => {
  it('alloc: an uncommitted mblock of one zone, with an mblock id', () => {
    const p = pool.mblocks.alloc();
    const parts = parseObjectId(p.id);
    expect(parts.type).toBe(OBJ_TYPE_MBLOCK);
    expect(parts.slot).toBeGreaterThanOrEqual(1);
    expect(parts.uniq).toBeGreaterThanOrEqual(256n);
    expect(p).toMatchObject({
      mclass: 'capacity',
      capacity: BigInt(ZONE),
      written: 0n,
      committed: false,
      zoneCount: 1,
      // 1.9.0: the device's optimal I/O size (BLKIOOPT, 4..128 KiB; 128 KiB for 0).
      optimalWriteSize: BigInt(clampOptimalIo(measureDevice(DISK_A).optimalIoSize)),
    });
    expect(p.idHex).toBe(objectIdHex(p.id));
    expect(pool.mblocks.find(p.id)).toEqual(p);
    const q = pool.mblocks.alloc();
    expect(q.id).not.toBe(p.id);
    pool.mblocks.abort(p.id);
    pool.mblocks.abort(q.id);
  });

  it('write (copied, zero-copy and in pieces), commit, read back byte for byte', () => {
    const mb = pool.mblocks;
    const { id } = mb.alloc();
    const a = random(3 * PAGE);
    const b = AlignedBuffer.from(random(2 * PAGE));
    const c = [random(1000), random(PAGE), random(3 * PAGE - 1000)];
    expect(mb.write(id, a)).toBe(3 * PAGE);
    expect(mb.write(id, b)).toBe(2 * PAGE);
    expect(mb.write(id, c)).toBe(4 * PAGE);
    expect(mb.find(id)).toMatchObject({ written: BigInt(9 * PAGE), committed: false });
    mb.commit(id);
    expect(mb.find(id)).toMatchObject({ written: BigInt(9 * PAGE), committed: true });
    const all = Buffer.concat([a, b.bytes, ...c]);
    b.free();
    expect(sha256(mb.read(id))).toBe(sha256(all));
    // Unaligned ranges are cut out of whole pages.
    expect(Buffer.from(mb.read(id, 5000, 10_000))).toEqual(all.subarray(5000, 15_000));
    const into = AlignedBuffer.alloc(2 * PAGE);
    mb.readInto(id, 3 * PAGE, into);
    expect(Buffer.from(into.bytes)).toEqual(all.subarray(3 * PAGE, 5 * PAGE));
    into.free();
    mb.delete(id);
    expect(failure(() => mb.find(id)).code).toBe('ENOENT');
  });

  it('a whole zone in one call, chunked by a lowered per-ioctl limit; not a page more', () => {
    const mb = new Mblocks(pool, { maxBytes: 1 << 20, maxIovecs: 1024 });
    const { id } = mb.alloc();
    const data = random(ZONE);
    expect(mb.write(id, data)).toBe(ZONE);
    const more = failure(() => mb.write(id, random(PAGE)));
    expect(more.code).toBe('EINVAL');
    expect(more.message).toContain(objectIdHex(id));
    mb.commit(id);
    expect(sha256(mb.read(id, 0, ZONE))).toBe(sha256(data));
    mb.delete(id);
  });

  it('pad: a short tail is zero-filled on request, refused otherwise', () => {
    const mb = pool.mblocks;
    const { id } = mb.alloc();
    expect(failure(() => mb.write(id, random(100))).code).toBe('EINVAL');
    const d = random(PAGE + 100);
    expect(mb.write(id, d, { pad: true })).toBe(2 * PAGE);
    mb.commit(id);
    const back = mb.read(id);
    expect(back.length).toBe(2 * PAGE);
    expect(Buffer.from(back.subarray(0, d.length))).toEqual(Buffer.from(d));
    expect(back.subarray(d.length).every((x) => x === 0)).toBe(true);
    mb.delete(id);
  });

  it('1024 iovecs of one page each fill a zone in one ioctl', () => {
    const mb = pool.mblocks;
    const { id } = mb.alloc();
    const buf = AlignedBuffer.from(random(ZONE));
    mb.writeRaw(id, Array.from({ length: 1024 }, (_, i) => ({ address: buf.address + BigInt(i * PAGE), length: PAGE })));
    mb.commit(id);
    expect(sha256(mb.read(id))).toBe(sha256(buf.bytes));
    buf.free();
    mb.delete(id);
  });
});

describe('mblock errors', () => {
  let page: AlignedBuffer;
  beforeAll(() => {
    page = AlignedBuffer.alloc(2 * PAGE);
  });
  afterAll(() => page.free());

  it('write after commit is EALREADY; read before commit is ENOENT (1.9.0), and the message says why', () => {
    const mb = pool.mblocks;
    const { id } = mb.alloc();
    mb.write(id, random(PAGE));
    const r = failure(() => mb.read(id, 0, PAGE));
    expect(r.code).toBe('ENOENT');
    expect(r.message).toContain(objectIdHex(id));
    expect(r.message).toContain('not committed');
    mb.commit(id);
    const w = failure(() => mb.write(id, random(PAGE)));
    expect(w.code).toBe('EALREADY');
    expect(w.message).toContain(`mblock ${objectIdHex(id)}`);
    mb.delete(id);
  });

  it('commit twice, abort of a committed one, delete of an uncommitted one: ENOENT as in 1.9.0, with the state named', () => {
    const mb = pool.mblocks;
    const { id } = mb.alloc();
    const d = failure(() => mb.delete(id));
    expect(d).toMatchObject({ code: 'ENOENT' });
    expect(d.message).toContain('is not committed: abort it instead');
    mb.commit(id); // an empty mblock commits
    const c = failure(() => mb.commit(id));
    expect(c.code).toBe('ENOENT');
    expect(c.message).toContain('is already committed');
    const a = failure(() => mb.abort(id));
    expect(a.code).toBe('ENOENT');
    expect(a.message).toContain('is committed: delete it instead');
    mb.delete(id);
    expect(failure(() => mb.delete(id)).code).toBe('ENOENT');
  });

  it('an unknown id is ENOENT for every command', () => {
    const mb = pool.mblocks;
    const seg = [{ address: page.address, length: PAGE }];
    expect(failure(() => mb.find(UNKNOWN))).toMatchObject({ code: 'ENOENT' });
    expect(failure(() => mb.find(UNKNOWN)).message).toContain(objectIdHex(UNKNOWN));
    expect(failure(() => mb.commit(UNKNOWN)).code).toBe('ENOENT');
    expect(failure(() => mb.abort(UNKNOWN)).code).toBe('ENOENT');
    expect(failure(() => mb.delete(UNKNOWN)).code).toBe('ENOENT');
    expect(failure(() => mb.writeRaw(UNKNOWN, seg)).code).toBe('ENOENT');
    expect(failure(() => mb.readRaw(UNKNOWN, 0, seg)).code).toBe('ENOENT');
  });

  it('an mlog id (the root MDC log 0x201) or a bad slot is EINVAL', () => {
    const mb = pool.mblocks;
    for (const id of [0x201n, 0x1201n, makeObjectId({ uniq: 300n, type: OBJ_TYPE_MBLOCK, slot: 200 })]) {
      expect(failure(() => mb.find(id)).code).toBe('EINVAL');
      expect(failure(() => mb.commit(id)).code).toBe('EINVAL');
      expect(failure(() => mb.delete(id)).code).toBe('EINVAL');
    }
    expect(failure(() => mb.find(0x201n)).message).toContain('is an mlog id, not an mblock id');
  });

  it('iovecs: unaligned base, unaligned or zero length, none, more than 1024: EINVAL, nothing written', () => {
    const mb = pool.mblocks;
    const { id } = mb.alloc();
    const a = page.address;
    const cases = [
      [{ address: a + 512n, length: PAGE }],
      [{ address: a, length: 512 }],
      [{ address: a, length: PAGE + 512 }],
      [{ address: a, length: 0 }],
      [],
      Array.from({ length: 1025 }, () => ({ address: a, length: PAGE })),
      [{ address: a, length: PAGE }, { address: a + 8n, length: PAGE }],
    ];
    for (const segs of cases) expect(failure(() => mb.writeRaw(id, segs)).code, JSON.stringify(segs.slice(0, 2), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toBe('EINVAL');
    expect(mb.find(id).written).toBe(0n);
    mb.abort(id);
  });

  it('beyond the capacity is EINVAL; reads past the written length or unaligned are EINVAL', () => {
    const mb = pool.mblocks;
    const { id } = mb.alloc();
    const big = AlignedBuffer.alloc(ZONE + PAGE);
    expect(failure(() => mb.writeRaw(id, [{ address: big.address, length: ZONE + PAGE }])).code).toBe('EINVAL');
    mb.writeRaw(id, [{ address: big.address, length: ZONE - PAGE }]);
    expect(failure(() => mb.writeRaw(id, [{ address: big.address, length: 2 * PAGE }])).code).toBe('EINVAL');
    mb.writeRaw(id, [{ address: big.address, length: PAGE }]);
    expect(mb.find(id).written).toBe(BigInt(ZONE));
    big.free();
    mb.commit(id);
    const seg = [{ address: page.address, length: PAGE }];
    expect(failure(() => mb.readRaw(id, ZONE, seg)).code).toBe('EINVAL');
    expect(failure(() => mb.readRaw(id, 512, seg)).code).toBe('EINVAL');
    expect(failure(() => mb.readRaw(id, ZONE - PAGE, [{ address: page.address, length: 2 * PAGE }])).code).toBe('EINVAL');
    mb.readRaw(id, ZONE - PAGE, seg);
    mb.delete(id);
  });

  it('no staging device: alloc in the staging class is ENODEV', () => {
    const r = failure(() => pool.mblocks.alloc({ mclass: 'staging' }));
    expect(r.code).toBe('ENODEV');
    expect(r.message).toContain('no staging device');
  });

  it('a read-only open finds and reads, and cannot alloc, write, commit, abort or delete (EINVAL)', () => {
    const mb = pool.mblocks;
    const { id } = mb.alloc();
    const data = random(PAGE);
    mb.write(id, data);
    const open = mb.alloc();
    mb.commit(id);
    const ro = Pool.open(NAME);
    try {
      const rmb = ro.mblocks;
      expect(rmb.find(id).committed).toBe(true);
      expect(Buffer.from(rmb.read(id))).toEqual(Buffer.from(data));
      expect(failure(() => rmb.alloc()).code).toBe('EINVAL');
      expect(failure(() => rmb.write(open.id, random(PAGE))).code).toBe('EINVAL');
      expect(failure(() => rmb.commit(open.id)).code).toBe('EINVAL');
      expect(failure(() => rmb.abort(open.id)).code).toBe('EINVAL');
      expect(failure(() => rmb.delete(id)).code).toBe('EINVAL');
    } finally {
      ro.close();
    }
    expect(mb.find(open.id)).toMatchObject({ written: 0n, committed: false });
    expect(mb.find(id).committed).toBe(true);
    mb.abort(open.id);
    mb.delete(id);
  });

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
