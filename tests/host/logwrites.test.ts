/**
 * The dm-log-writes replayer (tests/crash/logwrites.ts) on synthetic logs
 * laid out as the kernel target lays them out.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildLog,
  bufferSource,
  bufferTarget,
  copyExtents,
  crashPoints,
  describeEntry,
  Extents,
  fdTarget,
  LOG_DISCARD,
  LOG_FLUSH,
  LOG_FUA,
  LOG_MARK,
  LogFormatError,
  parseLog,
  Replayer,
  writesBetween,
} from '../crash/logwrites.js';

const fill = (n: number, byte: number): Buffer => Buffer.alloc(n, byte);

// A small history: two writes, a flush, a mark, a FUA write, a discard, a mark.
const HISTORY = [
  { offset: 4096, data: fill(4096, 0xa1) },
  { offset: 0, data: fill(1024, 0xb2) },
  { flags: LOG_FLUSH },
  { mark: 'op 1' },
  { offset: 8192, data: fill(512, 0xc3), flags: LOG_FUA },
  { offset: 4096, discard: 2048 },
  { mark: 'op 2' },
];

describe('dm-log-writes log parsing', () => {
  it('reads the super, every entry, mark texts and data positions', () => {
    for (const ss of [512, 4096]) {
      const entries = HISTORY.map((e) =>
        e.data ? { ...e, data: fill(Math.max(ss, e.data.length), e.data[0]!) } : e.discard ? { ...e, discard: Math.max(ss, e.discard) } : e,
      );
      const log = parseLog(bufferSource(buildLog(entries, ss)));
      expect(log.super).toEqual({ nrEntries: 7, sectorSize: ss });
      expect(log.entries.map((e) => e.mark ?? null)).toEqual([null, null, null, 'op 1', null, null, 'op 2']);
      expect(log.entries[2]).toMatchObject({ flags: LOG_FLUSH, length: 0 });
      expect(log.entries[3]!.flags & LOG_MARK).toBe(LOG_MARK);
      expect(log.entries[5]).toMatchObject({ flags: LOG_DISCARD, offset: 4096, length: Math.max(ss, 2048) });
      // The first entry's header is block 1; its data follows at block 2.
      expect(log.entries[0]!.dataPos).toBe(2 * ss);
      expect(describeEntry(log.entries[4]!)).toMatch(/\[FUA\] \d+ bytes at 8192/);
    }
  });

  it('crash points: FLUSH, FUA and MARK entries, or every entry', () => {
    const log = parseLog(bufferSource(buildLog(HISTORY)));
    expect(crashPoints(log.entries)).toEqual([2, 3, 4, 6]);
    expect(crashPoints(log.entries, 'all')).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(writesBetween(log.entries, 2, 3)).toBe(false);
    expect(writesBetween(log.entries, 3, 4)).toBe(true);
  });

  it('entries past nr_entries (a stale tail) are not read', () => {
    const buf = buildLog(HISTORY, 512, { nrEntries: 3 });
    expect(parseLog(bufferSource(buf)).entries).toHaveLength(3);
  });

  it('refuses a bad magic, version or sector size, and a truncated log', () => {
    const good = buildLog(HISTORY);
    const bad = (mut: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      mut(b);
      return b;
    };
    expect(() => parseLog(bufferSource(bad((b) => b.writeUInt8(0, 0))))).toThrow(/bad log magic/);
    expect(() => parseLog(bufferSource(bad((b) => b.writeBigUInt64LE(2n, 8))))).toThrow(/version 2/);
    expect(() => parseLog(bufferSource(bad((b) => b.writeUInt32LE(1000, 24))))).toThrow(/sector size 1000/);
    expect(() => parseLog(bufferSource(good.subarray(0, good.length - 600)))).toThrow(LogFormatError);
    expect(() => parseLog(bufferSource(buildLog(HISTORY, 512, { nrEntries: 9 })))).toThrow(/truncated/);
  });
});

describe('replay', () => {
  it('replays to each point, forwards only, with the bytes each prefix leaves', () => {
    const src = bufferSource(buildLog(HISTORY));
    const log = parseLog(src);
    const dev = Buffer.alloc(16384);
    const r = new Replayer(src, log, bufferTarget(dev), { deviceBytes: dev.length });
    expect(r.applied).toBe(-1);

    r.replayTo(0);
    expect(dev.subarray(4096, 8192).every((b) => b === 0xa1)).toBe(true);
    expect(dev[0]).toBe(0);

    r.replayTo(3);
    expect(dev.subarray(0, 1024).every((b) => b === 0xb2)).toBe(true);
    expect(dev[1024]).toBe(0);
    expect(r.touched.ranges).toEqual([
      [0, 1024],
      [4096, 8192],
    ]);

    r.replayTo(6);
    expect(dev.subarray(8192, 8704).every((b) => b === 0xc3)).toBe(true);
    expect(dev.subarray(4096, 6144).every((b) => b === 0)).toBe(true); // discarded
    expect(dev.subarray(6144, 8192).every((b) => b === 0xa1)).toBe(true);
    expect(() => r.replayTo(2)).toThrow(/forwards/);
    expect(() => r.replayTo(7)).toThrow(/past the end/);
  });

  it('refuses a write past the end of the device', () => {
    const src = bufferSource(buildLog([{ offset: 8192, data: fill(4096, 1) }]));
    const r = new Replayer(src, parseLog(src), bufferTarget(Buffer.alloc(16384)), { deviceBytes: 10000 });
    expect(() => r.replayTo(0)).toThrow(/past the end of the 10000-byte device/);
  });

  it('onto a file, then a fresh sparse copy of the touched extents', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logwrites-'));
    try {
      const base = join(dir, 'base.img');
      writeFileSync(base, Buffer.alloc(0));
      const fd = openSync(base, 'r+');
      const src = bufferSource(buildLog(HISTORY));
      const r = new Replayer(src, parseLog(src), fdTarget(fd));
      r.replayTo(6);
      closeSync(fd);
      const copy = join(dir, 'copy.img');
      writeFileSync(copy, fill(20000, 0xee)); // overwritten: the copy starts from zeros
      copyExtents(base, copy, 16384, r.touched);
      expect(statSync(copy).size).toBe(16384);
      const want = Buffer.alloc(16384);
      readFileSync(base).copy(want);
      expect(readFileSync(copy).equals(want)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Extents', () => {
  it('merges overlapping and adjacent ranges, keeps gaps', () => {
    const x = new Extents();
    x.add(10, 20);
    x.add(30, 40);
    x.add(20, 25);
    x.add(5, 6);
    x.add(0, 0);
    expect(x.ranges).toEqual([
      [5, 6],
      [10, 25],
      [30, 40],
    ]);
    x.add(6, 35);
    expect(x.ranges).toEqual([[5, 40]]);
    expect(x.bytes).toBe(35);
  });
});
