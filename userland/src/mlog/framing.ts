/**
 * Record framing of an mlog, compatible with upstream libmpool 1.9.0: the
 * kernel gives raw page I/O only, and this is what turns it into a log of
 * records. Synchronous and pure over an MlogMedia.
 *
 *   const log = Mlog.open(media);            // scans, finds the end of log
 *   log.append(bytes);                       // buffered
 *   log.append(bytes, true);                 // and everything before it, on media
 *   log.rewind(); for (let r; (r = log.read()) !== null;) ...
 *
 * Erasing is the kernel's (MPIOC_MLOG_ERASE raises the generation); after it
 * make a new Mlog on the medium at the new generation (Mlog.openErased).
 */
import { MpoolError } from '../sys/errors.js';
import { EINVAL, EMSGSIZE, ENODATA, ENOENT, mlogError } from './errors.js';
import { RecordType } from './format.js';
import { geometryOf, maxRecordLength, type MlogGeometry, type MlogMedia } from './media.js';
import { MlogReader } from './reader.js';
import { scanLog } from './scan.js';
import { MlogWriter, type WriterStart } from './writer.js';

export { MlogReader } from './reader.js';
export { MlogWriter } from './writer.js';
export type { MlogGeometry, MlogMedia } from './media.js';

export interface MlogOpenOptions {
  /**
   * Compaction semantics (MLOG_OF_COMPACT_SEM), for the mlogs of an MDC: a
   * non-empty log must start with CSTART (else ENODATA), and one holding
   * CSTART without CEND fails with EMSGSIZE. Data appends need CSTART first.
   */
  readonly compaction?: boolean;
}

export type MlogData = Uint8Array | readonly Uint8Array[];

export class Mlog {
  readonly media: MlogMedia;
  readonly geometry: MlogGeometry;
  /** The generation this instance reads and writes; fixed for its life. */
  readonly gen: bigint;
  readonly compaction: boolean;
  private readonly writer: MlogWriter;
  private readonly reader: MlogReader;
  private cstart: boolean;
  private cend: boolean;
  private open = true;

  private constructor(media: MlogMedia, geo: MlogGeometry, start: WriterStart, compaction: boolean, cstart: boolean, cend: boolean) {
    this.media = media;
    this.geometry = geo;
    this.gen = media.gen;
    this.compaction = compaction;
    this.cstart = cstart;
    this.cend = cend;
    this.writer = new MlogWriter(media, geo, start);
    this.reader = new MlogReader(media, geo, this.writer);
  }

  /**
   * Open a committed mlog: read it whole, stop at its logical end, and
   * check every record before it (upstream's mlog_open()). Corrupt records
   * are ENODATA; see MlogOpenOptions for the compaction checks.
   */
  static open(media: MlogMedia, options: MlogOpenOptions = {}): Mlog {
    const geo = geometryOf(media);
    const compaction = options.compaction ?? false;
    const scan = scanLog(media, geo, compaction);
    if (!scan.empty && compaction) {
      if (!scan.cstart) throw mlogError(ENODATA, 'mlog open', 'compacted log does not start with CSTART');
      if (!scan.cend) throw mlogError(EMSGSIZE, 'mlog open', 'CSTART without CEND: interrupted compaction');
    }
    const start = { wsoff: scan.validBlocks, pfsetid: scan.pfsetid, cfsetid: scan.cfsetid };
    return new Mlog(media, geo, start, compaction, scan.cstart, scan.cend);
  }

  /**
   * The state right after MLOG_ERASE, without reading the medium: every
   * block on it carries an older generation, so the log is empty and the
   * flush set ids start over (upstream's in-place reset after erase).
   */
  static openErased(media: MlogMedia, options: MlogOpenOptions = {}): Mlog {
    const geo = geometryOf(media);
    return new Mlog(media, geo, { wsoff: 0, pfsetid: 0, cfsetid: 1 }, options.compaction ?? false, false, false);
  }

  /** No record at all (upstream's mlog_empty()). */
  get empty(): boolean {
    this.check('mlog empty');
    return this.writer.empty;
  }

  /** Bytes the log uses, block headers and descriptors included (upstream's mlog_len()). */
  get length(): number {
    this.check('mlog len');
    return this.writer.length;
  }

  /** The longest record an append takes now; -1 when the log is full. */
  get room(): number {
    this.check('mlog room');
    return this.writer.room();
  }

  /** The largest record an empty log of this size takes. */
  get maxRecordLength(): number {
    return maxRecordLength(this.geometry);
  }

  /** Appended data that a flush has not written yet. */
  get dirty(): boolean {
    return this.writer.dirty;
  }

  get hasCstart(): boolean {
    return this.cstart;
  }

  get hasCend(): boolean {
    return this.cend;
  }

  /**
   * Append one record (the concatenation of `data` when it is a list).
   * Without sync it stays in the 1 MiB append buffer until a flush, a sync
   * append, a marker, close, or the buffer filling. EFBIG when it does not
   * fit (what was buffered is flushed first).
   */
  append(data: MlogData, sync = false): void {
    const op = 'mlog append';
    this.check(op);
    const parts: readonly Uint8Array[] = data instanceof Uint8Array ? [data] : data;
    const total = parts.reduce((n, p) => n + p.length, 0);
    if (this.compaction && !this.cstart) throw mlogError(EINVAL, op, 'compacted log: append CSTART first');
    if (total > 0xffffffff) throw mlogError(EINVAL, op, `record of ${total} bytes: tlen is a u32`);
    this.writer.appendData(parts, total, sync, op);
  }

  /** Write out what is buffered (upstream's mlog_flush(), mpool_mlog_sync()). */
  flush(): void {
    this.check('mlog flush');
    this.writer.flush('mlog flush');
  }

  /** Append the compaction start marker, flushed. Only in a compaction log, once, first. */
  appendCstart(): void {
    const op = 'mlog append cstart';
    this.check(op);
    if (!this.compaction || this.cstart) throw mlogError(EINVAL, op, this.compaction ? 'CSTART already present' : 'not a compaction log');
    this.writer.appendMarker(RecordType.CSTART, op);
    this.cstart = true;
  }

  /** Append the compaction end marker, flushed. After CSTART, once. */
  appendCend(): void {
    const op = 'mlog append cend';
    this.check(op);
    if (!this.compaction || !this.cstart || this.cend)
      throw mlogError(EINVAL, op, !this.compaction ? 'not a compaction log' : this.cend ? 'CEND already present' : 'CEND before CSTART');
    this.writer.appendMarker(RecordType.CEND, op);
    this.cend = true;
  }

  /** Start reading again at the first record. */
  rewind(): void {
    this.check('mlog rewind');
    this.reader.rewind();
  }

  /**
   * The next data record (a copy), or null at the end of the log. Records
   * still in the append buffer are read too. After an error other than
   * EOVERFLOW the iterator needs a rewind (EINVAL until then).
   */
  read(): Uint8Array | null {
    this.check('mlog read');
    return this.reader.next('mlog read');
  }

  /**
   * Upstream's mpool_mlog_seek_read(): when skip > 0, first skip the next
   * record, which must be exactly skip bytes (EOVERFLOW when longer, the
   * iterator not moved; ERANGE when shorter or missing, the iterator past
   * it); then read the record after it.
   */
  seekRead(skip: number): Uint8Array | null {
    const op = 'mlog seek read';
    this.check(op);
    if (!Number.isSafeInteger(skip) || skip < 0) throw mlogError(EINVAL, op, `skip ${skip}`);
    if (skip > 0) this.reader.skip(skip, op);
    return this.reader.next(op);
  }

  /** Flush what is buffered and release the log; any later call is ENOENT. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.writer.flush('mlog close');
  }

  get isOpen(): boolean {
    return this.open;
  }

  private check(op: string): void {
    if (!this.open) throw new MpoolError({ errno: ENOENT, op, detail: 'mlog is closed' });
  }
}
