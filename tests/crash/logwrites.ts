/**
 * A reader and replayer of the dm-log-writes on-disk log (the format of
 * drivers/md/dm-log-writes.c, Documentation/admin-guide/device-mapper/
 * log-writes.rst), for power-cut tests: Debian ships the target but not
 * xfstests' replay-log.
 *
 * Layout, all little-endian, in units of the data device's logical block
 * size ("sectorsize", at least 512):
 *
 *   block 0      super: magic u64, version u64, nr_entries u64, sectorsize u32
 *   block 1..    entries, one after another: a header block
 *                  { sector u64, nr_sectors u64, flags u64, data_len u64 }
 *                then, unless it is a DISCARD or a MARK, nr_sectors blocks of
 *                the data written. A MARK carries its text (data_len bytes)
 *                in the header block, after the 32-byte header.
 *
 * `sector` and `nr_sectors` count sectorsize units of the data device.
 * Entries are logged in completion order; a write that is neither FUA nor a
 * flush is logged only when the flush after it completes, so a prefix of the
 * log is a state the device could have been left in by a power cut.
 *
 * Pure code: sources and targets are small interfaces, with file-descriptor
 * and in-memory implementations; nothing here needs root or a kernel.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync, ftruncateSync } from 'node:fs';

export const LOG_MAGIC = 0x6a736677736872n;
export const LOG_VERSION = 1n;

export const LOG_FLUSH = 1;
export const LOG_FUA = 2;
export const LOG_DISCARD = 4;
export const LOG_MARK = 8;
export const LOG_METADATA = 16;

const HEADER_BYTES = 32;
const SUPER_BYTES = 28;

export interface LogSuper {
  nrEntries: number;
  sectorSize: number;
}

export interface LogEntry {
  /** Position in the log, from 0. */
  index: number;
  /** Byte offset of the write on the data device. */
  offset: number;
  /** Bytes written (or discarded) on the data device; 0 for a mark or an empty flush. */
  length: number;
  flags: number;
  /** The text of a MARK entry. */
  mark?: string;
  /** Byte offset of the data in the log (writes only). */
  dataPos: number;
}

export interface ParsedLog {
  super: LogSuper;
  entries: LogEntry[];
}

/** Where the log is read from: a log device, a file, or a buffer. */
export interface LogSource {
  /** Exactly `length` bytes at `position`, or throw. */
  read(position: number, length: number): Buffer;
}

/** Where a replay writes: a device, a file, or a buffer. */
export interface ReplayTarget {
  write(offset: number, data: Buffer): void;
  /** A discard: the range reads as zeros afterwards (the conservative reading). */
  discard(offset: number, length: number): void;
}

export class LogFormatError extends Error {
  override name = 'LogFormatError';
}

export function bufferSource(buf: Buffer): LogSource {
  return {
    read(position, length) {
      if (position < 0 || position + length > buf.length) {
        throw new LogFormatError(`log is truncated: ${length} bytes at ${position}, the log has ${buf.length}`);
      }
      return buf.subarray(position, position + length);
    },
  };
}

export function fdSource(fd: number, what = 'log'): LogSource {
  return {
    read(position, length) {
      const out = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, position + done);
        if (n <= 0) throw new LogFormatError(`${what} is truncated: ${length} bytes at ${position}, got ${done}`);
        done += n;
      }
      return out;
    },
  };
}

function u64(b: Buffer, off: number, what: string): number {
  const v = b.readBigUInt64LE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new LogFormatError(`${what} ${v} is out of range`);
  return Number(v);
}

export function parseSuper(src: LogSource): LogSuper {
  const b = src.read(0, SUPER_BYTES);
  const magic = b.readBigUInt64LE(0);
  if (magic !== LOG_MAGIC) throw new LogFormatError(`bad log magic 0x${magic.toString(16)}`);
  const version = b.readBigUInt64LE(8);
  if (version !== LOG_VERSION) throw new LogFormatError(`log version ${version} is not ${LOG_VERSION}`);
  const nrEntries = u64(b, 16, 'nr_entries');
  const sectorSize = b.readUInt32LE(24);
  if (sectorSize < 512 || sectorSize > 65536 || (sectorSize & (sectorSize - 1)) !== 0) {
    throw new LogFormatError(`sector size ${sectorSize} is not a power of two in 512..65536`);
  }
  return { nrEntries, sectorSize };
}

/** Read the super and every entry header (not the data). */
export function parseLog(src: LogSource): ParsedLog {
  const sup = parseSuper(src);
  const ss = sup.sectorSize;
  const entries: LogEntry[] = [];
  let pos = ss;
  for (let index = 0; index < sup.nrEntries; index++) {
    const h = src.read(pos, ss);
    const sector = u64(h, 0, `entry ${index} sector`);
    const nrSectors = u64(h, 8, `entry ${index} nr_sectors`);
    const flags = u64(h, 16, `entry ${index} flags`);
    const dataLen = u64(h, 24, `entry ${index} data_len`);
    pos += ss;
    const e: LogEntry = { index, offset: sector * ss, length: nrSectors * ss, flags, dataPos: pos };
    if (flags & LOG_MARK) {
      if (dataLen > ss - HEADER_BYTES) throw new LogFormatError(`entry ${index}: mark of ${dataLen} bytes does not fit its block`);
      e.mark = h.subarray(HEADER_BYTES, HEADER_BYTES + dataLen).toString('utf8');
      e.length = 0;
    } else if (dataLen !== 0) {
      // Inline data was only ever used for DAX, gone from the target since 5.x.
      throw new LogFormatError(`entry ${index}: inline data (data_len ${dataLen}) is not supported`);
    } else if (!(flags & LOG_DISCARD)) {
      pos += e.length;
    }
    entries.push(e);
  }
  return { super: sup, entries };
}

export function describeEntry(e: LogEntry): string {
  const f: string[] = [];
  if (e.flags & LOG_FLUSH) f.push('FLUSH');
  if (e.flags & LOG_FUA) f.push('FUA');
  if (e.flags & LOG_DISCARD) f.push('DISCARD');
  if (e.flags & LOG_MARK) f.push('MARK');
  if (e.flags & LOG_METADATA) f.push('META');
  const what = e.mark !== undefined ? `mark "${e.mark}"` : e.length > 0 ? `${e.length} bytes at ${e.offset}` : 'no data';
  return `entry ${e.index} [${f.join('|') || 'WRITE'}] ${what}`;
}

export type CrashPointMode = 'flush' | 'all';

/**
 * Entries after which a power cut is simulated (the replay applies entries
 * 0..i inclusive): every FLUSH, FUA and MARK entry ('flush'), or every
 * entry ('all'). An empty log has no point; -1 (nothing applied) is not one.
 */
export function crashPoints(entries: readonly LogEntry[], mode: CrashPointMode = 'flush'): number[] {
  return entries.filter((e) => mode === 'all' || (e.flags & (LOG_FLUSH | LOG_FUA | LOG_MARK)) !== 0).map((e) => e.index);
}

/** Whether applying entries (from, to] changes any byte of the device. */
export function writesBetween(entries: readonly LogEntry[], from: number, to: number): boolean {
  for (let i = from + 1; i <= to; i++) if ((entries[i]?.length ?? 0) > 0) return true;
  return false;
}

/** Sorted, merged byte ranges [start, end). */
export class Extents {
  #r: [number, number][] = [];

  add(start: number, end: number): void {
    if (end <= start) return;
    const out: [number, number][] = [];
    let s = start;
    let e = end;
    let placed = false;
    for (const [a, b] of this.#r) {
      if (b < s) out.push([a, b]);
      else if (a > e) {
        if (!placed) {
          out.push([s, e]);
          placed = true;
        }
        out.push([a, b]);
      } else {
        s = Math.min(s, a);
        e = Math.max(e, b);
      }
    }
    if (!placed) out.push([s, e]);
    this.#r = out;
  }

  get ranges(): readonly (readonly [number, number])[] {
    return this.#r;
  }

  get bytes(): number {
    return this.#r.reduce((n, [a, b]) => n + b - a, 0);
  }
}

/**
 * Replays a log onto a target, forwards only: replayTo(i) applies every
 * entry up to and including i not applied yet. `touched` is every byte range
 * the replay has written or discarded so far.
 */
export class Replayer {
  readonly log: ParsedLog;
  readonly touched = new Extents();
  #src: LogSource;
  #target: ReplayTarget;
  #next = 0;
  #deviceBytes: number | undefined;

  constructor(src: LogSource, log: ParsedLog, target: ReplayTarget, opts: { deviceBytes?: number } = {}) {
    this.#src = src;
    this.log = log;
    this.#target = target;
    this.#deviceBytes = opts.deviceBytes;
  }

  /** Index of the last entry applied; -1 before any. */
  get applied(): number {
    return this.#next - 1;
  }

  replayTo(last: number): void {
    if (last >= this.log.entries.length) throw new RangeError(`entry ${last} is past the end of the log (${this.log.entries.length} entries)`);
    if (last < this.applied) throw new RangeError(`replay only goes forwards: entry ${last} is before ${this.applied}`);
    for (; this.#next <= last; this.#next++) {
      const e = this.log.entries[this.#next]!;
      if (e.length === 0) continue;
      if (this.#deviceBytes !== undefined && e.offset + e.length > this.#deviceBytes) {
        throw new LogFormatError(`${describeEntry(e)} is past the end of the ${this.#deviceBytes}-byte device`);
      }
      if (e.flags & LOG_DISCARD) this.#target.discard(e.offset, e.length);
      else {
        // Large writes in pieces, so that memory stays bounded.
        const CHUNK = 4 << 20;
        for (let done = 0; done < e.length; done += CHUNK) {
          const n = Math.min(CHUNK, e.length - done);
          this.#target.write(e.offset + done, this.#src.read(e.dataPos + done, n));
        }
      }
      this.touched.add(e.offset, e.offset + e.length);
    }
  }
}

export function bufferTarget(buf: Buffer): ReplayTarget {
  return {
    write(offset, data) {
      if (offset + data.length > buf.length) throw new RangeError(`write of ${data.length} at ${offset} is past the end`);
      data.copy(buf, offset);
    },
    discard(offset, length) {
      buf.fill(0, offset, offset + length);
    },
  };
}

function writeAll(fd: number, data: Buffer, position: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
}

export function fdTarget(fd: number): ReplayTarget {
  return {
    write(offset, data) {
      writeAll(fd, data, offset);
    },
    discard(offset, length) {
      const zero = Buffer.alloc(Math.min(length, 1 << 20));
      for (let done = 0; done < length; done += zero.length) writeAll(fd, zero.subarray(0, Math.min(zero.length, length - done)), offset + done);
    },
  };
}

/**
 * Make `dest` a sparse file of `size` bytes holding `src`'s bytes in
 * `extents` (zeros elsewhere): a fresh copy of a replayed image, cheap when
 * little of the device was written.
 */
export function copyExtents(srcPath: string, destPath: string, size: number, extents: Extents): void {
  const src = openSync(srcPath, 'r');
  const dest = openSync(destPath, 'w');
  try {
    ftruncateSync(dest, size);
    const src2 = fdSource(src, srcPath);
    const CHUNK = 4 << 20;
    for (const [a, b] of extents.ranges) {
      for (let p = a; p < b; p += CHUNK) writeAll(dest, src2.read(p, Math.min(CHUNK, b - p)), p);
    }
  } finally {
    closeSync(src);
    closeSync(dest);
  }
}

export function fileSize(fd: number): number {
  return fstatSync(fd).size;
}

/* ---- Building logs, for tests of this file and of its users. ---- */

export interface SyntheticEntry {
  /** Data device byte offset (a multiple of the sector size). */
  offset?: number;
  /** The data written; its length a multiple of the sector size. */
  data?: Buffer;
  /** Discarded length (with LOG_DISCARD). */
  discard?: number;
  flags?: number;
  mark?: string;
}

/** A log as dm-log-writes writes it, from a list of entries. */
export function buildLog(entries: readonly SyntheticEntry[], sectorSize = 512, opts: { nrEntries?: number } = {}): Buffer {
  const parts: Buffer[] = [];
  const sup = Buffer.alloc(sectorSize);
  sup.writeBigUInt64LE(LOG_MAGIC, 0);
  sup.writeBigUInt64LE(LOG_VERSION, 8);
  sup.writeBigUInt64LE(BigInt(opts.nrEntries ?? entries.length), 16);
  sup.writeUInt32LE(sectorSize, 24);
  parts.push(sup);
  for (const e of entries) {
    const h = Buffer.alloc(sectorSize);
    let flags = e.flags ?? 0;
    const offset = e.offset ?? 0;
    if (offset % sectorSize) throw new RangeError(`offset ${offset} is not a multiple of ${sectorSize}`);
    let nr = 0;
    if (e.mark !== undefined) {
      flags |= LOG_MARK;
      const t = Buffer.from(e.mark, 'utf8');
      h.writeBigUInt64LE(BigInt(t.length), 24);
      t.copy(h, HEADER_BYTES);
    } else if (e.discard !== undefined) {
      flags |= LOG_DISCARD;
      nr = e.discard / sectorSize;
    } else if (e.data) {
      if (e.data.length % sectorSize) throw new RangeError(`data of ${e.data.length} bytes is not whole sectors`);
      nr = e.data.length / sectorSize;
    }
    h.writeBigUInt64LE(BigInt(offset / sectorSize), 0);
    h.writeBigUInt64LE(BigInt(nr), 8);
    h.writeBigUInt64LE(BigInt(flags), 16);
    parts.push(h);
    if (e.data && e.mark === undefined && e.discard === undefined) parts.push(e.data);
  }
  return Buffer.concat(parts);
}
