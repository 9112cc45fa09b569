/**
 * Mlogs, kernel side: allocation, commit, erase (a new generation), and raw
 * page I/O inside a committed mlog. Writes are FUA: durable on return. The
 * record framing (userland/src/mlog/) runs over kernelMlogMedia()
 * (lib/mlog-media.ts).
 *
 *   const ml = pool.mlogs;
 *   const { id } = ml.alloc({ capacity: 4n << 20n });
 *   ml.commit(id);
 *   ml.writePages(id, 0, page);           // whole pages at a page offset
 *   const gen = ml.erase(id);             // generation + 1 (or more)
 */
import { LAYOUT, MpiocMlog, MpiocMlogId, MpiocMlogIo, type MlogPropsEx } from '../gen/structs.js';
import { MpoolError } from '../sys/errors.js';
import type { IoSegment } from '../sys/iovec.js';
import * as rt from '../uapi/runtime.js';
import type { AlignedBuffer } from './aligned.js';
import { mclassName, mclassNumber, type MediaClass } from './device.js';
import { EINVAL } from './errno.js';
import { readData, writeData } from './objio.js';
import { objectIdHex } from './objects.js';
import { PoolObjects, type ObjectHints } from './pool-objects.js';
import { formatUuid } from './uuid.js';

/* The fields of an MLOG_READ/WRITE argument, from the generated LAYOUT. */
const IO = LAYOUT.mpioc_mlog_io.fields;

/** enum mlog_state bit 0. */
export const MLOG_STATE_COMMITTED = 1;

export interface MlogProps {
  id: bigint;
  idHex: string;
  /** The log's magic, stamped in every log block header: text form. */
  uuid: string;
  /** The same 16 bytes, as the kernel gave them. */
  uuidBytes: Uint8Array;
  /** Generation: 0 at alloc, raised by every erase. */
  gen: bigint;
  /** Bytes: whole zones. */
  capacity: bigint;
  /** Bytes per sector of the device (log2 from the kernel). */
  sectorSize: number;
  totalSectors: number;
  zoneCount: number;
  mclass: MediaClass | null;
  committed: boolean;
  /** enum mlog_state bits. */
  state: number;
}

export interface MlogAllocOptions {
  /** Bytes wanted (rounded up to whole zones by the kernel); 0 or absent: one zone. */
  capacity?: bigint | number;
  mclass?: MediaClass;
  spare?: boolean;
}

export interface MlogCommitResult {
  gen: bigint;
  state: number;
}

export function fromMlogProps(p: MlogPropsEx): MlogProps {
  const b = p.lpx_props;
  return {
    id: b.lpr_objid,
    idHex: objectIdHex(b.lpr_objid),
    uuid: formatUuid(b.lpr_uuid),
    uuidBytes: Uint8Array.from(b.lpr_uuid),
    gen: b.lpr_gen,
    capacity: b.lpr_alloc_cap,
    sectorSize: 2 ** p.lpx_secshift,
    totalSectors: p.lpx_totsec,
    zoneCount: p.lpx_zonecnt,
    mclass: mclassName(b.lpr_mclassp),
    committed: b.lpr_iscommitted !== 0,
    state: p.lpx_state,
  };
}

const IO_HINTS = {
  'ENOENT:uncommitted': 'is not committed: mlogs take I/O after commit',
  EINVAL: 'the I/O was refused: the pool must be open for writing (for a write), and the pages aligned and within capacity',
};

export class Mlogs extends PoolObjects<MlogProps> {
  protected readonly kind = 'mlog';

  /** MLOG_ALLOC: a new, uncommitted mlog of whole zones. */
  alloc(opts: MlogAllocOptions = {}): MlogProps {
    const mclass = opts.mclass ?? 'capacity';
    const cap = BigInt(opts.capacity ?? 0);
    if (cap < 0n) throw new MpoolError({ errno: EINVAL, op: 'mlog alloc', path: this.pool.path, detail: `capacity ${cap} is negative` });
    const hints = { ENODEV: `the pool has no ${mclass} device`, ENOSPC: `not enough free zones in the ${mclass} class for ${cap} bytes` };
    return this.call('alloc', undefined, hints, () => {
      const value = {
        ...MpiocMlog.zero(),
        ml_cap: { lcp_captgt: cap, lcp_spare: opts.spare ? 1 : 0, lcp_rsvd1: new Uint8Array(7) },
        ml_mclassp: mclassNumber(mclass),
      };
      return fromMlogProps(this.ioctl('MPIOC_MLOG_ALLOC', MpiocMlog, value).ml_props);
    });
  }

  /** MLOG_FIND. */
  find(id: bigint): MlogProps {
    return this.#query('MPIOC_MLOG_FIND', 'find', id);
  }

  /** MLOG_PROPS (the same answer as find, through the other command). */
  props(id: bigint): MlogProps {
    return this.#query('MPIOC_MLOG_PROPS', 'props', id);
  }

  #query(cmd: 'MPIOC_MLOG_FIND' | 'MPIOC_MLOG_PROPS', op: string, id: bigint): MlogProps {
    return this.call(op, id, undefined, () => fromMlogProps(this.ioctl(cmd, MpiocMlog, { ...MpiocMlog.zero(), ml_objid: id }).ml_props));
  }

  #idCmd(
    cmd: 'MPIOC_MLOG_COMMIT' | 'MPIOC_MLOG_ABORT' | 'MPIOC_MLOG_DELETE' | 'MPIOC_MLOG_ERASE',
    op: string,
    id: bigint,
    gen: bigint,
    hints: ObjectHints,
  ): MlogCommitResult {
    return this.call(op, id, hints, () => {
      const out = this.ioctl(cmd, MpiocMlogId, { ...MpiocMlogId.zero(), mi_objid: id, mi_gen: gen });
      return { gen: out.mi_gen, state: out.mi_state };
    });
  }

  /** MLOG_COMMIT: the mlog persists and takes I/O from now on. */
  commit(id: bigint): MlogCommitResult {
    return this.#idCmd('MPIOC_MLOG_COMMIT', 'commit', id, 0n, { 'ENOENT:committed': 'is already committed' });
  }

  abort(id: bigint): void {
    this.#idCmd('MPIOC_MLOG_ABORT', 'abort', id, 0n, { 'ENOENT:committed': 'is committed: delete it instead' });
  }

  delete(id: bigint): void {
    this.#idCmd('MPIOC_MLOG_DELETE', 'delete', id, 0n, { 'ENOENT:uncommitted': 'is not committed: abort it instead' });
  }

  /** MLOG_ERASE: a new generation, max(gen + 1, minGen); returns it. */
  erase(id: bigint, minGen = 0n): bigint {
    return this.#idCmd('MPIOC_MLOG_ERASE', 'erase', id, minGen, {
      EINVAL: 'cannot be erased: it is not committed, or its generation is already 2^64-1 and cannot grow',
    }).gen;
  }

  /** One MLOG_READ/WRITE ioctl of exactly these segments, unchecked (op 0 read, 1 write). */
  ioRaw(id: bigint, offset: number, write: boolean, segs: readonly IoSegment[], cmd: 'MPIOC_MLOG_READ' | 'MPIOC_MLOG_WRITE' = write ? 'MPIOC_MLOG_WRITE' : 'MPIOC_MLOG_READ'): void {
    // One segment, what the framing's flushes and reads are: the argument's fields written in place.
    if (segs.length === 1) {
      this.oneSegmentIoctl(cmd, segs[0]!.address, segs[0]!.length, (dv, iov) => {
        rt.putU64(dv, IO.mi_objid.offset, id, 'mpioc_mlog_io.mi_objid');
        rt.putS64(dv, IO.mi_off.offset, BigInt(offset), 'mpioc_mlog_io.mi_off');
        rt.putU8(dv, IO.mi_op.offset, write ? 1 : 0, 'mpioc_mlog_io.mi_op');
        rt.putU16(dv, IO.mi_iovc.offset, 1, 'mpioc_mlog_io.mi_iovc');
        rt.putU64(dv, IO.mi_iov.offset, iov, 'mpioc_mlog_io.mi_iov');
      });
      return;
    }
    this.iovecIoctl(cmd, MpiocMlogIo, segs, (iov) => ({
      ...MpiocMlogIo.zero(),
      mi_objid: id,
      mi_off: BigInt(offset),
      mi_op: write ? 1 : 0,
      mi_iovc: segs.length,
      mi_iov: iov,
    }));
  }

  /** Whole pages at a page offset into `buf`; zero-copy when buf is aligned. */
  readPages(id: bigint, offset: number, buf: Uint8Array | AlignedBuffer): void {
    this.pageIo('read', id, offset, buf, IO_HINTS, (bytes) => readData(bytes, this.limits, (segs, at) => this.ioRaw(id, offset + at, false, segs)));
  }

  /** Whole pages from `buf` at a page offset; durable on return. */
  writePages(id: bigint, offset: number, buf: Uint8Array | AlignedBuffer): void {
    this.pageIo('write', id, offset, buf, IO_HINTS, (bytes) => {
      writeData(bytes, this.limits, false, (segs, at) => this.ioRaw(id, offset + at, true, segs), 'mlog write');
    });
  }
}

export { KernelMlogMedia, kernelMlogMedia } from './mlog-media.js';
