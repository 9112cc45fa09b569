/** Pure logic of the object layer: ids, I/O planning, page spans, errors; and CLI usage errors. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../userland/src/cli/program.js';
import { objectIdArg, sizeArg } from '../../userland/src/cli/objargs.js';
import { AlignedBuffer, alignedAddress, alignedBytes } from '../../userland/src/lib/aligned.js';
import { checkPages, pagesOk, writeData } from '../../userland/src/lib/objio.js';
import {
  kindOfId,
  makeObjectId,
  objectError,
  objectIdHex,
  OBJ_TYPE_MBLOCK,
  pageSpan,
  parseObjectId,
  parseObjectIdText,
  planIo,
} from '../../userland/src/lib/objects.js';
import { IOVEC_SIZE, encodeIovecs, type IoSegment } from '../../userland/src/sys/iovec.js';
import { MpoolError } from '../../userland/src/sys/errors.js';

const P = 4096;
const seg = (address: number, length: number): IoSegment => ({ address: BigInt(address), length });
const total = (c: IoSegment[]): number => c.reduce((n, s) => n + s.length, 0);

describe('object ids', () => {
  it('uniq << 12 | type << 8 | slot', () => {
    expect(parseObjectId(0x201n)).toEqual({ uniq: 0n, type: 2, slot: 1 });
    expect(parseObjectId(0x12345103n)).toEqual({ uniq: 0x12345n, type: 1, slot: 3 });
    expect(makeObjectId({ uniq: 0x12345n, type: OBJ_TYPE_MBLOCK, slot: 3 })).toBe(0x12345103n);
    expect(kindOfId(0x1201n)).toBe('mlog');
    expect(kindOfId(0x1101n)).toBe('mblock');
    expect(kindOfId(0x1301n)).toBeNull();
    expect(objectIdHex(0x1201n)).toBe('0x1201');
  });

  it('parses hex and decimal text, refuses the rest', () => {
    expect(parseObjectIdText('0x1201')).toBe(0x1201n);
    expect(parseObjectIdText('4609')).toBe(4609n);
    for (const t of ['', '0', 'x12', '0x', '-1', '1.5', '0x1ffffffffffffffff']) expect(parseObjectIdText(t), t).toBeNull();
  });
});

describe('planIo', () => {
  const limits = { maxBytes: 4 * P, maxIovecs: 3 };

  it('keeps small transfers in one ioctl', () => {
    expect(planIo([seg(0, P), seg(8 * P, 2 * P)], limits)).toEqual([[seg(0, P), seg(8 * P, 2 * P)]]);
  });

  it('cuts a long segment at the byte limit, on page boundaries', () => {
    const plan = planIo([seg(0x10000, 10 * P)], limits);
    expect(plan.map(total)).toEqual([4 * P, 4 * P, 2 * P]);
    expect(plan[1]![0]!.address).toBe(BigInt(0x10000 + 4 * P));
  });

  it('respects the iovec limit', () => {
    const segs = Array.from({ length: 7 }, (_, i) => seg(i * 2 * P, P));
    const plan = planIo(segs, limits);
    expect(plan.map((c) => c.length)).toEqual([3, 3, 1]);
    expect(plan.flat()).toEqual(segs);
  });

  it('1025 pages with the kernel limits: 1024 + 1 iovecs', () => {
    const segs = Array.from({ length: 1025 }, (_, i) => seg(i * P, P));
    expect(planIo(segs, { maxBytes: 32 << 20, maxIovecs: 1024 }).map((c) => c.length)).toEqual([1024, 1]);
  });

  it('a limit that is not whole pages is rounded down; below a page is refused', () => {
    expect(planIo([seg(0, 4 * P)], { maxBytes: 2 * P + 100, maxIovecs: 8 }).map(total)).toEqual([2 * P, 2 * P]);
    expect(() => planIo([seg(0, P)], { maxBytes: 100, maxIovecs: 8 })).toThrow(RangeError);
  });
});

describe('pages', () => {
  it('pageSpan covers a byte range with whole pages', () => {
    expect(pageSpan(0, P)).toEqual({ start: 0, length: P });
    expect(pageSpan(100, 50)).toEqual({ start: 0, length: P });
    expect(pageSpan(P - 1, 2)).toEqual({ start: 0, length: 2 * P });
    expect(pageSpan(3 * P + 7, 2 * P)).toEqual({ start: 3 * P, length: 3 * P });
  });

  it('AlignedBuffer is whole, aligned pages; plain buffers are bounced', () => {
    const b = AlignedBuffer.alloc(100);
    expect(b.length).toBe(P);
    expect(b.address % BigInt(P)).toBe(0n);
    expect(alignedAddress(b.bytes)).toBe(b.address);
    expect(alignedAddress(b.bytes.subarray(0, 100))).toBeNull();
    b.free();
    expect(b.freed).toBe(true);
  });

  it('iovecs are 16 bytes: base then length', () => {
    expect(IOVEC_SIZE).toBe(16);
    const buf = encodeIovecs([seg(0x1000, 0x2000)]);
    expect(buf.readBigUInt64LE(0)).toBe(0x1000n);
    expect(buf.readBigUInt64LE(8)).toBe(0x2000n);
  });

  it('alignedBytes: whole pages that start on a page, usable without a bounce', () => {
    for (const n of [1, P, P + 1, 1 << 20]) {
      const b = alignedBytes(n);
      expect(b.length).toBe(Math.ceil(n / P) * P);
      expect(alignedAddress(b)).not.toBeNull();
      expect(b.every((x) => x === 0)).toBe(true);
    }
  });

  it('iovecs go into a reusable buffer when it is large enough, else into a new one', () => {
    const into = Buffer.alloc(2 * IOVEC_SIZE, 0xff);
    const one = encodeIovecs([seg(0x3000, P)], into);
    expect(one.buffer).toBe(into.buffer);
    expect(one.length).toBe(IOVEC_SIZE);
    expect(one.readBigUInt64LE(0)).toBe(0x3000n);
    const three = encodeIovecs([seg(0x1000, P), seg(0x2000, P), seg(0x3000, P)], into);
    expect(three.buffer).not.toBe(into.buffer);
    expect(three.length).toBe(3 * IOVEC_SIZE);
  });

  it('pagesOk lets through exactly what checkPages does', () => {
    for (const [off, len] of [[0, P], [P, 3 * P], [1, P], [0, 0], [0, P + 1], [-P, P], [0.5, P], [0, Number.MAX_SAFE_INTEGER + 1]] as const) {
      let threw = false;
      try {
        checkPages('op', 'what', off, len);
      } catch (e) {
        threw = e instanceof MpoolError;
      }
      expect(pagesOk(off, len)).toBe(!threw);
    }
  });
});

describe('writeData', () => {
  const limits = { maxBytes: 2 * P, maxIovecs: 1024 };

  it('aligned data goes as is, in planned chunks', () => {
    const b = AlignedBuffer.alloc(5 * P);
    const calls: [IoSegment[], number][] = [];
    expect(writeData(b, limits, false, (s, at) => calls.push([s, at]), 'w')).toBe(5 * P);
    expect(calls.map(([s, at]) => [s[0]!.address - b.address, total(s), at])).toEqual([
      [0n, 2 * P, 0],
      [BigInt(2 * P), 2 * P, 2 * P],
      [BigInt(4 * P), P, 4 * P],
    ]);
    b.free();
  });

  it('other data is bounced in chunks of the limit; a short tail needs pad', () => {
    const parts = [new Uint8Array(3000), new Uint8Array(P * 3 - 3000)];
    const calls: number[] = [];
    expect(writeData(parts, limits, false, (s, at) => calls.push(total(s), at), 'w')).toBe(3 * P);
    expect(calls).toEqual([2 * P, 0, P, 2 * P]);
    expect(() => writeData(new Uint8Array(10), limits, false, () => undefined, 'w')).toThrow(/not a whole number/);
    expect(writeData(new Uint8Array(10), limits, true, () => undefined, 'w')).toBe(P);
    expect(() => writeData([], limits, true, () => undefined, 'w')).toThrow(/nothing to write/);
  });
});

describe('objectError', () => {
  it('names the object in hex and the problem', () => {
    const e = new MpoolError({ errno: 114, op: 'ioctl MPIOC_MB_WRITE' });
    let got: unknown;
    try {
      objectError(e, { kind: 'mblock', op: 'write', id: 0x1101n, hints: { EALREADY: 'is committed' } });
    } catch (x) {
      got = x;
    }
    expect(got).toBeInstanceOf(MpoolError);
    expect((got as MpoolError).message).toBe('mblock write: mblock 0x1101: is committed (EALREADY)');
    try {
      objectError(new MpoolError({ errno: 22, op: 'x' }), { kind: 'mblock', op: 'find', id: 0x201n });
    } catch (x) {
      got = x;
    }
    expect((got as MpoolError).message).toContain('0x201 is an mlog id, not an mblock id');
  });
});

describe('CLI arguments', () => {
  it('ids and sizes', () => {
    expect(objectIdArg('0x1101', 'props')).toBe(0x1101n);
    expect(() => objectIdArg(undefined, 'props')).toThrow('props needs an object id');
    expect(sizeArg('8M', 'x')).toBe(8n << 20n);
    expect(sizeArg('4096', 'x')).toBe(4096n);
    expect(sizeArg('1GiB', 'x')).toBe(1n << 30n);
    expect(() => sizeArg('1.5M', 'x')).toThrow('is not a size');
  });

  it('usage errors exit 2 before any system call', async () => {
    const cases: [string[], string][] = [
      [['mblock', 'mp1', 'frob'], 'unknown mblock action "frob"'],
      [['mblock', 'mp1', 'props'], 'props needs an object id'],
      [['mblock', 'mp1', 'read', 'zz'], '"zz" is not an object id'],
      [['mblock', 'bad/name', 'alloc'], 'invalid pool name'],
      [['mlog', 'mp1', 'alloc', '--capacity', 'lots'], '--capacity "lots" is not a size'],
      [['mlog', 'mp1', 'dump', '0x201', '--json'], '--json does not apply'],
      [['mlog', 'mp1', 'list'], 'unknown mlog action "list"'],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(msg);
    }
  });

  it('without the module: the pool node is missing (ENOENT, exit 1)', async () => {
    const r = await runCli(['mblock', 'nopool', 'props', '0x1101', '--json']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'ENOENT', errno: 2, op: 'open', path: '/dev/mpool/nopool' } });
    expect(r.stderr).toBe('mpool: open /dev/mpool/nopool: no active pool named "nopool" (ENOENT)\n');
  });
});

describe('objectError with a wrong-type id', () => {
  it('says so, over the call-specific hint', () => {
    try {
      objectError(new MpoolError({ errno: 22, op: 'x' }), { kind: 'mblock', op: 'commit', id: 0x1201n, hints: { EINVAL: 'is already committed' } });
    } catch (x) {
      expect((x as MpoolError).message).toBe('mblock commit: mblock 0x1201: 0x1201 is an mlog id, not an mblock id (EINVAL)');
    }
    expect.assertions(1);
  });

  it('keeps the kernel error as its cause', () => {
    const kernel = new MpoolError({ errno: 2, op: 'ioctl MPIOC_MB_FIND' });
    let caught: unknown;
    try {
      objectError(kernel, { kind: 'mblock', op: 'find', id: 0x1101n });
    } catch (x) {
      caught = x;
    }
    expect(caught).toBeInstanceOf(MpoolError);
    expect((caught as MpoolError).cause).toBe(kernel);
    expect((caught as MpoolError).message).toBe('mblock find: mblock 0x1101: no mblock 0x1101 in this pool (never committed, aborted or deleted) (ENOENT)');
  });
});
