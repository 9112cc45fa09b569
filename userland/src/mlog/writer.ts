/**
 * The append side of an mlog: records are laid into log blocks in an
 * append buffer of up to 1 MiB and written out as one flush set, with the
 * same block contents and flush set ids as upstream's mlog_append_data(),
 * mlog_logblocks_flush() and its post-flush handlers.
 *
 * State, in upstream's terms:
 *   wsoff    the block being filled (sector index)
 *   aoff     next free byte in it
 *   asoff    first sector held in the buffer (page aligned), -1 before the first append
 *   cfssoff  byte in the buffer where the unflushed data starts
 *   pfsetid  pfsetid for the first block of the next flush
 *   cfsetid  id of the next flush
 *
 * A flush writes the whole pages from asoff through the page holding wsoff.
 * Each block from the one holding cfssoff through wsoff gets a fresh header:
 * the first with pfsetid, the others with pfsetid = cfsetid; all with
 * cfsetid. A partly filled last block stays in the buffer and is rewritten
 * (same pfsetid, new cfsetid) by the next flush. cfsetid goes up after every
 * flush, failed or not.
 */
import { EFBIG, asMpoolError, mlogError } from './errors.js';
import {
  LOG_BLOCK_HEADER_LEN,
  LOG_BLOCK_VERSION,
  LOG_RECORD_DESC_LEN,
  LOG_RECORD_RLEN_MAX,
  RecordType,
  packDescriptor,
  packHeader,
  putDescriptor,
  putHeaderSetIds,
} from './format.js';
import { MLOG_FLUSH_MAX, MLOG_PAGE_SIZE, blockPayloadMax, type MlogGeometry, type MlogMedia } from './media.js';

export interface WriterStart {
  /** Sector where appending resumes (the first block after the valid ones). */
  readonly wsoff: number;
  readonly pfsetid: number;
  readonly cfsetid: number;
}

/** A cursor over the caller's buffers (an iovec). */
class Source {
  private idx = 0;
  private off = 0;
  constructor(private readonly parts: readonly Uint8Array[]) {}

  copy(dst: Uint8Array, at: number, len: number): void {
    let done = 0;
    while (done < len) {
      const part = this.parts[this.idx];
      if (part === undefined) throw new RangeError('record source ran short');
      const n = Math.min(len - done, part.length - this.off);
      dst.set(this.off === 0 && n === part.length ? part : part.subarray(this.off, this.off + n), at + done);
      done += n;
      this.off += n;
      if (this.off === part.length) {
        this.idx += 1;
        this.off = 0;
      }
    }
  }
}

export class MlogWriter {
  private readonly s: number;
  private readonly geo: MlogGeometry;
  private buf: Uint8Array | null = null;
  /** A view of buf, made once with it: the append path allocates nothing per block. */
  private dv: DataView | null = null;
  /** Bytes of buf that may be non-zero (everything past them is zero). */
  private used = 0;

  private wsoff: number;
  private aoff = LOG_BLOCK_HEADER_LEN;
  private asoff = -1;
  private cfssoff = LOG_BLOCK_HEADER_LEN;
  private pfsetid: number;
  private cfsetid: number;
  private pending = false;

  constructor(
    private readonly media: MlogMedia,
    geo: MlogGeometry,
    start: WriterStart,
  ) {
    this.geo = geo;
    this.s = geo.sectorSize;
    this.wsoff = start.wsoff;
    this.pfsetid = start.pfsetid;
    this.cfsetid = start.cfsetid;
  }

  /** The block being filled. */
  get blockIndex(): number {
    return this.wsoff;
  }

  /** Next free byte in that block. */
  get blockOffset(): number {
    return this.aoff;
  }

  /** First block held in the append buffer, -1 before the first append. */
  get bufferStart(): number {
    return this.asoff;
  }

  /** Flush set ids the next flush will use. */
  get flushSetIds(): { readonly pfsetid: number; readonly cfsetid: number } {
    return { pfsetid: this.pfsetid, cfsetid: this.cfsetid };
  }

  /** Appended data not yet written. */
  get dirty(): boolean {
    return this.pending;
  }

  /** Bytes of records laid so far, headers included (upstream's mlog_len). */
  get length(): number {
    return this.wsoff * this.s + this.aoff;
  }

  get empty(): boolean {
    return this.wsoff === 0 && this.aoff === LOG_BLOCK_HEADER_LEN;
  }

  /**
   * The longest data record an append can take now, or -1 when not even an
   * empty one fits (upstream's mlog_append_dmax). Each further block holds
   * one chunk: its header and one descriptor are overhead.
   */
  room(): number {
    const { totalSectors } = this.geo;
    if (this.wsoff >= totalSectors) return -1;
    const rest = (totalSectors - this.wsoff - 1) * blockPayloadMax(this.s);
    if (this.s - this.aoff < LOG_RECORD_DESC_LEN) return rest > 0 ? rest : -1;
    return this.s - this.aoff - LOG_RECORD_DESC_LEN + rest;
  }

  /** The buffer and offset of block soff when the buffer holds it (asoff <= soff <= wsoff). */
  bufferedBlock(soff: number): { buf: Uint8Array; off: number } | null {
    if (this.buf === null || this.asoff < 0 || soff < this.asoff || soff > this.wsoff) return null;
    return { buf: this.buf, off: (soff - this.asoff) * this.s };
  }

  appendData(parts: readonly Uint8Array[], total: number, sync: boolean, op: string): void {
    const room = this.room();
    if (room < 0 || total > room) {
      this.flushQuietly();
      throw mlogError(EFBIG, op, `log full: ${total} bytes do not fit in ${Math.max(room, 0)}`);
    }
    try {
      this.layData(new Source(parts), total, sync, op);
    } catch (e) {
      this.flushQuietly();
      throw e;
    }
  }

  /** A zero-length marker record, flushed at once. */
  appendMarker(rtype: typeof RecordType.CSTART | typeof RecordType.CEND, op: string): void {
    if (this.room() < 0) {
      this.flushQuietly();
      throw mlogError(EFBIG, op, 'log full');
    }
    this.nextBlockIfFull();
    this.ensureBuffer(op);
    packDescriptor({ tlen: 0, rlen: 0, rtype }, this.bufOrThrow(), this.writePos());
    this.aoff += LOG_RECORD_DESC_LEN;
    this.used = Math.max(this.used, this.writePos());
    this.pending = true;
    this.flush(op);
  }

  /** Write out whatever was appended since the last flush. */
  flush(op: string): void {
    if (!this.pending) return;
    this.pending = false;
    this.flushSet(op);
  }

  private flushQuietly(): void {
    try {
      this.flush('mlog flush');
    } catch {
      // Upstream flushes what it can on the way out of a failed append and keeps the first error.
    }
  }

  private bufOrThrow(): Uint8Array {
    if (this.buf === null) throw new Error('mlog append buffer missing');
    return this.buf;
  }

  private writePos(): number {
    return (this.wsoff - this.asoff) * this.s + this.aoff;
  }

  private blockFull(): boolean {
    return this.s - this.aoff < LOG_RECORD_DESC_LEN;
  }

  /** Upstream's mlog_update_append_idx(): a block with no room for a descriptor is done. */
  private nextBlockIfFull(): void {
    if (this.blockFull()) {
      this.wsoff += 1;
      this.aoff = LOG_BLOCK_HEADER_LEN;
    }
  }

  /**
   * The first append after open starts the buffer at the page holding
   * wsoff. With 512-byte sectors that page may begin with valid blocks: read
   * them, so the page can be written whole (upstream's mlog_populate_abuf()).
   */
  private ensureBuffer(op: string): void {
    if (this.buf !== null) return;
    const buf = this.media.allocBuffer?.(MLOG_FLUSH_MAX) ?? new Uint8Array(MLOG_FLUSH_MAX);
    const lead = this.wsoff % this.geo.sectorsPerPage;
    const asoff = this.wsoff - lead;
    if (lead > 0) {
      const page = buf.subarray(0, MLOG_PAGE_SIZE);
      try {
        this.media.read(asoff * this.s, page);
      } catch (e) {
        throw asMpoolError(e, op);
      }
      page.fill(0, lead * this.s);
      this.cfssoff = lead * this.s + this.aoff;
    }
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.asoff = asoff;
    this.used = MLOG_PAGE_SIZE;
  }

  private layData(src: Source, total: number, sync: boolean, op: string): void {
    let done = 0;
    let first = true;
    for (;;) {
      if (done !== total && this.room() < 0) throw mlogError(EFBIG, op, 'log full');
      this.nextBlockIfFull();
      this.ensureBuffer(op);
      const buf = this.bufOrThrow();
      const dv = this.dv as DataView;
      const pos = this.writePos();
      const fits = Math.min(this.s - this.aoff - LOG_RECORD_DESC_LEN, LOG_RECORD_RLEN_MAX);
      let rlen: number;
      let rtype: number;
      if (total - done <= fits) {
        rlen = total - done;
        rtype = first ? RecordType.DATAFULL : RecordType.DATALAST;
      } else {
        // Even when fits is 0: upstream then writes an empty DATAFIRST and goes on in the next block.
        rlen = fits;
        rtype = first ? RecordType.DATAFIRST : RecordType.DATAMID;
        first = false;
      }
      // total was checked to be a u32 (append), rlen is at most LOG_RECORD_RLEN_MAX.
      putDescriptor(dv, pos, total, rlen, rtype);
      this.pending = true;
      src.copy(buf, pos + LOG_RECORD_DESC_LEN, rlen);
      this.aoff += LOG_RECORD_DESC_LEN + rlen;
      done += rlen;
      this.used = Math.max(this.used, this.writePos());
      const bufferFull = this.wsoff - this.asoff === this.geo.sectorsPerFlush - 1 && this.blockFull();
      if ((sync && done === total) || bufferFull) this.flush(op);
      if (done === total) return;
    }
  }

  /** Upstream's mlog_logblocks_flush(): headers, one write, then the post-flush bookkeeping. */
  private flushSet(op: string): void {
    const buf = this.bufOrThrow();
    const s = this.s;
    const dv = this.dv as DataView;
    const firstSector = this.asoff + Math.floor(this.cfssoff / s);
    // The first block's header is packed (and checked) whole; the others are
    // a copy of it with their own flush set ids: only those differ.
    const first = (firstSector - this.asoff) * s;
    packHeader({ version: LOG_BLOCK_VERSION, magic: this.media.uuid, pfsetid: this.pfsetid, cfsetid: this.cfsetid, gen: this.media.gen }, buf, first);
    for (let at = first + s; at <= (this.wsoff - this.asoff) * s; at += s) {
      buf.copyWithin(at, first, first + LOG_BLOCK_HEADER_LEN);
      putHeaderSetIds(dv, at, this.cfsetid, this.cfsetid);
    }
    const pages = Math.floor((this.wsoff - this.asoff) / this.geo.sectorsPerPage) + 1;
    try {
      this.media.write(this.asoff * s, buf.subarray(0, pages * MLOG_PAGE_SIZE));
    } catch (e) {
      this.afterFailedFlush();
      throw asMpoolError(e, op);
    }
    this.afterFlush(firstSector);
  }

  /** Forget what the failed flush carried: back to where it started. pfsetid stays. */
  private afterFailedFlush(): void {
    const buf = this.bufOrThrow();
    buf.fill(0, this.cfssoff, this.used);
    this.used = this.cfssoff;
    const lead = Math.floor(this.cfssoff / this.s);
    this.wsoff = this.asoff + lead;
    this.aoff = this.cfssoff - lead * this.s;
    this.cfsetid = (this.cfsetid + 1) >>> 0;
  }

  /**
   * After a good flush the next flush set starts at the current block, or at
   * the next one when it is full. Its first block must chain to the block
   * before it: when the flush covered several blocks or filled the last,
   * that is a block of this flush; when it rewrote a single partial block,
   * the block keeps the pfsetid it had.
   */
  private afterFlush(firstSector: number): void {
    const buf = this.bufOrThrow();
    const s = this.s;
    const spanned = this.wsoff > firstSector;
    const full = this.blockFull();
    if (full) {
      this.wsoff += 1;
      this.aoff = LOG_BLOCK_HEADER_LEN;
    }
    if (spanned || full) this.pfsetid = this.cfsetid;
    this.cfsetid = (this.cfsetid + 1) >>> 0;

    // Keep only the page holding wsoff at the front of the buffer.
    const asoff = this.wsoff - (this.wsoff % this.geo.sectorsPerPage);
    const from = (asoff - this.asoff) * s;
    if (from !== 0) {
      if (from < buf.length) buf.copyWithin(0, from, from + MLOG_PAGE_SIZE);
      else buf.fill(0, 0, MLOG_PAGE_SIZE);
    }
    buf.fill(0, MLOG_PAGE_SIZE, Math.max(this.used, MLOG_PAGE_SIZE));
    this.used = MLOG_PAGE_SIZE;
    this.asoff = asoff;
    this.cfssoff = (this.wsoff - asoff) * s + this.aoff;
  }
}
