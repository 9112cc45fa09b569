/**
 * The read side of an mlog: one iterator over its data records, from block 0
 * up to where the writer is, as upstream's mlog_read_data_next() walks it.
 * Blocks still in the writer's buffer (appended, maybe not yet flushed) are
 * read from there, the others from the medium, up to 1 MiB at a time.
 * Markers and the zero trailer of each block are skipped.
 *
 * A record whose tail never reached the medium (a torn flush) is not an
 * error: at the end of the log it reads as end of log, and a new record
 * starting a block after it discards it.
 */
import { EINVAL, ENODATA, EOVERFLOW, ERANGE, asMpoolError, mlogError } from './errors.js';
import { LOG_BLOCK_HEADER_LEN, LOG_RECORD_DESC_LEN, RecordType, headerLength, isDataRecord, unpackDescriptor } from './format.js';
import { MLOG_PAGE_SIZE, maxRecordLength, type MlogGeometry, type MlogMedia } from './media.js';
import type { MlogWriter } from './writer.js';

interface LoadedBlock {
  readonly buf: Uint8Array;
  readonly off: number;
  /** The iterator is at the first record of the block. */
  readonly first: boolean;
}

/** What one step of the iterator produced. */
type Step = { kind: 'end' } | { kind: 'record'; length: number; data: Uint8Array | null };

/** Media blocks read ahead: sectors [start, end) are in bytes. */
interface ReadCache {
  readonly start: number;
  readonly end: number;
  readonly bytes: Uint8Array;
}

export class MlogReader {
  private soff = 0;
  private roff = 0;
  private valid = true;
  private cache: ReadCache | null = null;
  private readonly s: number;
  private readonly recordMax: number;

  constructor(
    private readonly media: MlogMedia,
    private readonly geo: MlogGeometry,
    private readonly writer: MlogWriter,
  ) {
    this.s = geo.sectorSize;
    this.recordMax = maxRecordLength(geo);
  }

  /** Back to the first record (upstream's mlog_read_data_init()). */
  rewind(): void {
    this.soff = 0;
    this.roff = 0;
    this.valid = true;
    this.cache = null;
  }

  /** The next data record, a copy; null at the end of the log. */
  next(op: string): Uint8Array | null {
    const step = this.step(op, false, Number.MAX_SAFE_INTEGER);
    return step.kind === 'end' ? null : (step.data ?? new Uint8Array(0));
  }

  /**
   * Skip the next record, which must be exactly `length` bytes long
   * (upstream's mlog_seek_read_data_next()): EOVERFLOW, and the iterator
   * stays before it, when it is longer; ERANGE, past it, when it is shorter
   * or there is none.
   */
  skip(length: number, op: string): void {
    const step = this.step(op, true, length);
    const got = step.kind === 'end' ? 0 : step.length;
    if (got !== length) throw mlogError(ERANGE, op, `the record skipped is ${got} bytes, not ${length}`);
  }

  private step(op: string, skipping: boolean, limit: number): Step {
    if (!this.valid) throw mlogError(EINVAL, op, 'read iterator invalid after an error: rewind');
    try {
      return this.walk(op, skipping, limit);
    } catch (e) {
      const err = asMpoolError(e, op);
      if (err.errno !== EOVERFLOW) this.valid = false;
      throw err;
    }
  }

  private walk(op: string, skipping: boolean, limit: number): Step {
    const w = this.writer;
    if (this.soff > w.blockIndex || (this.soff === w.blockIndex && this.roff > w.blockOffset) || this.roff > this.s)
      throw mlogError(EINVAL, op, 'read position past the end of the log');

    let data: Uint8Array | null = null;
    let copied = 0;
    let recordLen = 0;
    let inRecord = false;
    for (;;) {
      const block = this.load(op);
      if (block === null) return { kind: 'end' };
      if (this.s - this.roff < LOG_RECORD_DESC_LEN) {
        if (this.soff < w.blockIndex) {
          this.soff += 1;
          this.roff = 0;
          continue;
        }
        if (copied > 0) throw mlogError(ENODATA, op, `block ${this.soff}: record cut short at the end of the log`);
        return { kind: 'end' };
      }
      const at = block.off + this.roff;
      const d = unpackDescriptor(block.buf, at);
      if (!isDataRecord(d.rtype)) {
        if (inRecord) throw mlogError(ENODATA, op, `block ${this.soff}: marker inside a record`);
        if (d.rtype > RecordType.CEND) throw mlogError(ENODATA, op, `block ${this.soff}: unknown record type ${d.rtype}`);
        this.roff = d.rtype === RecordType.EOLB ? this.s : this.roff + LOG_RECORD_DESC_LEN + d.rlen;
        continue;
      }
      if (d.rtype === RecordType.DATAFULL || d.rtype === RecordType.DATAFIRST) {
        // Inside a record only at the top of a block: the one before was torn; drop it.
        if (inRecord && !block.first) throw mlogError(ENODATA, op, `block ${this.soff}: record starts inside another`);
        if (d.tlen > this.recordMax) throw mlogError(ENODATA, op, `block ${this.soff}: record of ${d.tlen} bytes cannot fit the log`);
        inRecord = true;
        copied = 0;
        recordLen = d.tlen;
        data = null;
      } else if (!inRecord) {
        throw mlogError(ENODATA, op, `block ${this.soff}: record continues what never started`);
      }
      if (limit < d.tlen) throw mlogError(EOVERFLOW, op, `next record is ${d.tlen} bytes, more than ${limit}`);
      const payload = at + LOG_RECORD_DESC_LEN;
      if (this.roff + LOG_RECORD_DESC_LEN + d.rlen > this.s || copied + d.rlen > recordLen)
        throw mlogError(ENODATA, op, `block ${this.soff}: record chunk does not fit`);
      if (!skipping) {
        data ??= new Uint8Array(recordLen);
        data.set(block.buf.subarray(payload, payload + d.rlen), copied);
      }
      copied += d.rlen;
      this.roff += LOG_RECORD_DESC_LEN + d.rlen;
      if (d.rtype === RecordType.DATAFULL || d.rtype === RecordType.DATALAST) {
        if (copied !== recordLen) throw mlogError(ENODATA, op, `block ${this.soff}: record of ${recordLen} bytes holds ${copied}`);
        return { kind: 'record', length: copied, data };
      }
    }
  }

  /** The block at the iterator, or null at the end of the log. */
  private load(op: string): LoadedBlock | null {
    const w = this.writer;
    const buffered = w.bufferedBlock(this.soff);
    if (this.soff === w.blockIndex || buffered !== null) {
      if (this.roff === 0) this.roff = LOG_BLOCK_HEADER_LEN;
      if (this.soff === w.blockIndex && this.roff === w.blockOffset) return null;
      if (buffered === null) throw mlogError(EINVAL, op, 'read position inside an unbuffered block');
      return { ...buffered, first: this.roff === LOG_BLOCK_HEADER_LEN };
    }
    const off = this.fromMedia(op);
    const hlen = headerLength(this.cacheBytes(), off);
    if (hlen < 0) throw mlogError(ENODATA, op, `block ${this.soff}: unknown log block header version`);
    if (this.roff === 0) this.roff = hlen;
    return { buf: this.cacheBytes(), off, first: this.roff === hlen };
  }

  private cacheBytes(): Uint8Array {
    if (this.cache === null) throw new Error('mlog read cache missing');
    return this.cache.bytes;
  }

  /**
   * Offset of block soff in the read cache, reading up to 1 MiB of whole
   * pages when it is not there. Only blocks before the writer's buffer are
   * read: they never change again.
   */
  private fromMedia(op: string): number {
    const s = this.s;
    const c = this.cache;
    if (c !== null && this.soff >= c.start && this.soff < c.end) return (this.soff - c.start) * s;
    const w = this.writer;
    const limit = w.bufferStart >= 0 ? w.bufferStart : w.blockIndex;
    const start = this.soff - (this.soff % this.geo.sectorsPerPage);
    const n = Math.min(this.geo.sectorsPerFlush, limit - start);
    const bytes = new Uint8Array(Math.ceil((n * s) / MLOG_PAGE_SIZE) * MLOG_PAGE_SIZE);
    this.media.read(start * s, bytes);
    this.cache = { start, end: start + n, bytes };
    return (this.soff - start) * s;
  }
}
