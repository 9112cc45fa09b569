/**
 * An mlog medium in memory, for host tests: it checks what the kernel
 * checks on MLOG_READ/WRITE (whole aligned pages, at most 1 MiB, inside the
 * mlog), records the writes, and can fail or tear them.
 */
import { MpoolError } from '../sys/errors.js';
import { EINVAL, EIO } from './errors.js';
import { MLOG_FLUSH_MAX, MLOG_PAGE_SIZE, type MlogMedia } from './media.js';

export interface MemoryMlogMediaOptions {
  /** Bytes; default 1 MiB. */
  readonly capacity?: number;
  /** 512 or 4096; default 4096. */
  readonly sectorSize?: number;
  /** Default: 16 bytes 0x00..0x0f. */
  readonly uuid?: Uint8Array;
  /** Default 0 (a freshly allocated mlog). */
  readonly gen?: bigint;
}

export interface RecordedWrite {
  readonly off: number;
  readonly data: Uint8Array;
  /** What the range held before. */
  readonly before: Uint8Array;
}

/**
 * What to do with the next write: 'fail' throws EIO and changes nothing;
 * a number keeps only that many leading bytes of it (a torn write) and
 * reports success, as a crash after a partial write would look on reopen.
 */
export type WriteFault = 'fail' | number;

/** What a discarded (erased) mlog reads as: upstream says anything may come back. */
export type DiscardPattern = 'keep' | 'zero' | 'ones';

export class MemoryMlogMedia implements MlogMedia {
  readonly sectorSize: number;
  readonly capacity: number;
  readonly uuid: Uint8Array;
  gen: bigint;
  /** The whole mlog; tests may poke it. */
  readonly bytes: Uint8Array;
  readonly writes: RecordedWrite[] = [];
  readonly reads: { off: number; length: number }[] = [];
  /** Faults applied to the next writes, in order. */
  readonly faults: WriteFault[] = [];

  constructor(options: MemoryMlogMediaOptions = {}) {
    this.capacity = options.capacity ?? 1 << 20;
    this.sectorSize = options.sectorSize ?? 4096;
    this.uuid = options.uuid ?? Uint8Array.from({ length: 16 }, (_, i) => i);
    this.gen = options.gen ?? 0n;
    this.bytes = new Uint8Array(this.capacity);
  }

  read(off: number, buf: Uint8Array): void {
    this.check('mlog read', off, buf.length);
    this.reads.push({ off, length: buf.length });
    buf.set(this.bytes.subarray(off, off + buf.length));
  }

  write(off: number, buf: Uint8Array): void {
    this.check('mlog write', off, buf.length);
    const fault = this.faults.shift();
    if (fault === 'fail') throw new MpoolError({ errno: EIO, op: 'mlog write', detail: 'injected write failure' });
    const data = buf.slice();
    this.writes.push({ off, data, before: this.bytes.slice(off, off + buf.length) });
    this.bytes.set(fault === undefined ? data : data.subarray(0, fault), off);
  }

  /** MLOG_ERASE: generation max(gen + 1, minGen); the blocks are discarded. */
  erase(minGen = 0n, discard: DiscardPattern = 'keep'): bigint {
    this.gen = this.gen + 1n > minGen ? this.gen + 1n : minGen;
    if (discard === 'zero') this.bytes.fill(0);
    if (discard === 'ones') this.bytes.fill(0xff);
    return this.gen;
  }

  /** Undo the last n sectors of the last write: as if they never reached the media. */
  tearLastWrite(sectors: number): void {
    const w = this.writes.at(-1);
    if (w === undefined) throw new Error('no write to tear');
    const keep = Math.max(0, w.data.length - sectors * this.sectorSize);
    this.bytes.set(w.before.subarray(keep), w.off + keep);
  }

  /** Copy of sector n. */
  sector(n: number): Uint8Array {
    return this.bytes.slice(n * this.sectorSize, (n + 1) * this.sectorSize);
  }

  private check(op: string, off: number, len: number): void {
    const bad =
      !Number.isSafeInteger(off) ||
      off < 0 ||
      off % MLOG_PAGE_SIZE !== 0 ||
      len <= 0 ||
      len % MLOG_PAGE_SIZE !== 0 ||
      len > MLOG_FLUSH_MAX ||
      off + len > this.capacity;
    if (bad) throw new MpoolError({ errno: EINVAL, op, detail: `unaligned or out of range I/O: offset ${off}, ${len} bytes` });
  }
}
