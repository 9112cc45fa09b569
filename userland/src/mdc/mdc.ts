/**
 * Metadata containers: a pair of mlogs, one active, with compaction,
 * behaving as upstream libmpool 1.9.0's mpool_mdc_*() (src/mpool/mdc.c).
 *
 * Both mlogs are opened with compaction semantics, so each is either empty,
 * complete (CSTART ... CEND ...), or interrupted (CSTART without CEND). The
 * active log is the complete one with the smaller generation; the other is
 * erased to a generation above it. A client compacts by calling cstart()
 * (the other, empty log becomes active, starting with CSTART), appending a
 * fresh snapshot of its state, and cend() (CEND, then the old log is erased
 * to a generation above the new one). A crash anywhere leaves one complete
 * log that open() picks:
 *   before CEND: the new log is interrupted, the old one stays active;
 *   after CEND, before the erase: both complete, the old one has the
 *   smaller generation and stays active, the new one is erased.
 *
 * The kernel side is abstract: MdcBacking gives the two mlogs as page media
 * and performs MPIOC_MLOG_ERASE.
 */
import { MpoolError } from '../sys/errors.js';
import { EINVAL, EMSGSIZE } from '../mlog/errors.js';
import { Mlog, type MlogData } from '../mlog/framing.js';
import { withGeneration, type MlogMedia } from '../mlog/media.js';

/** Which mlog of the pair: 0 is upstream's log1, 1 its log2. */
export type MdcLogIndex = 0 | 1;

export interface MdcBacking {
  /** The two committed mlogs, reporting their current generation. */
  readonly logs: readonly [MlogMedia, MlogMedia];
  /**
   * MPIOC_MLOG_ERASE on one mlog: its generation becomes max(gen + 1,
   * minGen) and its blocks are discarded. Returns the new generation.
   */
  erase(which: MdcLogIndex, minGen: bigint): bigint;
}

/** Errnos of an mlog open that leave the other log in charge (upstream: interrupted compaction, erase in progress). */
const EBUSY = 16;
const RECOVERABLE: readonly number[] = [EMSGSIZE, EBUSY];

type Opened = { log: Mlog; error: null } | { log: null; error: MpoolError };

function openLog(media: MlogMedia): Opened {
  try {
    return { log: Mlog.open(media, { compaction: true }), error: null };
  } catch (e) {
    if (e instanceof MpoolError && RECOVERABLE.includes(e.errno)) return { log: null, error: e };
    throw e;
  }
}

function other(i: MdcLogIndex): MdcLogIndex {
  return i === 0 ? 1 : 0;
}

export class Mdc {
  private readonly backing: MdcBacking;
  private logs: [Mlog, Mlog];
  private activeIndex: MdcLogIndex;
  private valid = true;

  private constructor(backing: MdcBacking, logs: [Mlog, Mlog], active: MdcLogIndex) {
    this.backing = backing;
    this.logs = logs;
    this.activeIndex = active;
  }

  /** Open the pair, recover from an interrupted compaction, and start a never-used pair with CSTART, CEND. */
  static open(backing: MdcBacking): Mdc {
    const op = 'mdc open';
    const opened: Mlog[] = [];
    try {
      const a = openLog(backing.logs[0]);
      if (a.log) opened.push(a.log);
      const b = openLog(backing.logs[1]);
      if (b.log) opened.push(b.log);

      if (a.log === null && b.log === null)
        throw new MpoolError({ errno: EINVAL, op, detail: 'neither mlog holds a complete compaction' });
      if (a.log !== null && b.log !== null && a.log.gen !== 0n && a.log.gen === b.log.gen)
        throw new MpoolError({ errno: EINVAL, op, detail: `both mlogs are at generation ${a.log.gen}` });

      // The active log is the valid one with the smaller generation; on a tie, log 0.
      const active: MdcLogIndex = a.log === null || (b.log !== null && b.log.gen < a.log.gen) ? 1 : 0;
      const alog = active === 0 ? a.log : b.log;
      if (alog === null) throw new Error('mdc open: no active log');
      const inactive = other(active);
      const ilog = inactive === 0 ? a.log : b.log;
      // Log 1 is also erased when its generation equals log 0's (both 0: a new pair).
      const sameGen = inactive === 1 && ilog !== null && ilog.gen === alog.gen;
      let ilogFinal: Mlog;
      if (ilog === null || sameGen || !ilog.empty) {
        const gen = backing.erase(inactive, alog.gen + 1n);
        if (ilog !== null) opened.splice(opened.indexOf(ilog), 1);
        ilogFinal = Mlog.open(withGeneration(backing.logs[inactive], gen), { compaction: true });
        opened.push(ilogFinal);
      } else {
        ilogFinal = ilog;
      }
      if (alog.empty) {
        alog.appendCstart();
        alog.appendCend();
      }
      const logs: [Mlog, Mlog] = active === 0 ? [alog, ilogFinal] : [ilogFinal, alog];
      return new Mdc(backing, logs, active);
    } catch (e) {
      for (const log of opened) {
        try {
          log.close();
        } catch {
          // The open failure is the error to report.
        }
      }
      throw e;
    }
  }

  /** Which log is active. */
  get active(): MdcLogIndex {
    return this.activeIndex;
  }

  /** Generations of log 0 and log 1 as this handle uses them. */
  get generations(): readonly [bigint, bigint] {
    return [this.logs[0].gen, this.logs[1].gen];
  }

  /** Append a record to the active log; see Mlog.append. */
  append(data: MlogData, sync = false): void {
    this.activeLog('mdc append').append(data, sync);
  }

  /** The next record of the active log, or null at its end. */
  read(): Uint8Array | null {
    return this.activeLog('mdc read').read();
  }

  rewind(): void {
    this.activeLog('mdc rewind').rewind();
  }

  /** Write out what the active log buffers. */
  sync(): void {
    this.activeLog('mdc sync').flush();
  }

  /** Bytes used in the active log (upstream's mpool_mdc_usage(): mlog_len of the active log). */
  usage(): number {
    return this.activeLog('mdc usage').length;
  }

  /** Room left in the active log for one record; -1 when full. */
  room(): number {
    return this.activeLog('mdc room').room;
  }

  /**
   * Start a compaction: CSTART in the other (empty) log, which becomes the
   * active one. On failure the handle is closed, as upstream does.
   */
  cstart(): void {
    const op = 'mdc cstart';
    this.activeLog(op);
    const target = other(this.activeIndex);
    this.failClosed(() => this.logs[target].appendCstart());
    this.activeIndex = target;
  }

  /**
   * End a compaction: CEND in the active log, then erase the other to a
   * generation above it. On failure the handle is closed.
   */
  cend(): void {
    const op = 'mdc cend';
    const target = this.activeLog(op);
    const source = other(this.activeIndex);
    this.failClosed(() => {
      target.appendCend();
      const gen = this.backing.erase(source, target.gen + 1n);
      this.logs[source] = Mlog.openErased(withGeneration(this.backing.logs[source], gen), { compaction: true });
    });
  }

  /** Flush both logs and invalidate the handle. */
  close(): void {
    if (!this.valid) throw new MpoolError({ errno: EINVAL, op: 'mdc close', detail: 'mdc is closed' });
    this.valid = false;
    let first: unknown = null;
    for (const log of this.logs) {
      try {
        log.close();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== null) throw first;
  }

  private activeLog(op: string): Mlog {
    if (!this.valid) throw new MpoolError({ errno: EINVAL, op, detail: 'mdc is closed' });
    return this.logs[this.activeIndex];
  }

  private failClosed(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      try {
        this.close();
      } catch {
        // The first failure is the one to report.
      }
      throw e;
    }
  }
}
