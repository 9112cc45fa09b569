/**
 * Mblocks: write-once objects of one zone. Allocate, append (page-sized
 * writes, straight from user pages to the device), commit (immutable,
 * durable, readable), read, delete; or abort before commit.
 *
 *   const mb = pool.mblocks;
 *   const { id } = mb.alloc({ mclass: 'capacity' });
 *   mb.write(id, data);          // copied through a bounce buffer unless aligned
 *   mb.commit(id);
 *   const back = mb.read(id, 0, data.length);
 */
import { IOCTLS } from '../gen/ioctl.js';
import { LAYOUT, MpiocMblock, MpiocMblockId, MpiocMblockRw, type MblockPropsEx } from '../gen/structs.js';
import { MpoolError } from '../sys/errors.js';
import type { IoSegment } from '../sys/iovec.js';
import { argumentView, ioctlArgument } from '../uapi/ioctl.js';
import * as rt from '../uapi/runtime.js';
import { AlignedBuffer, PAGE_SIZE } from './aligned.js';
import { mclassName, mclassNumber, type MediaClass } from './device.js';
import { EINVAL, ENOENT } from './errno.js';
import { readData, writeData, type IoData } from './objio.js';
import { objectError, objectIdHex, pageSpan } from './objects.js';
import { PoolObjects, type ObjectHints } from './pool-objects.js';

export interface MblockProps {
  id: bigint;
  /** "0x..." */
  idHex: string;
  mclass: MediaClass | null;
  /** Bytes the mblock can hold: one zone. */
  capacity: bigint;
  /** Bytes written so far (whole pages). */
  written: bigint;
  /** The kernel's preferred write size: min(capacity, rwsz_max). */
  optimalWriteSize: bigint;
  committed: boolean;
  zoneCount: number;
}

export interface MblockAllocOptions {
  /** Media class; default capacity. */
  mclass?: MediaClass;
  /** Allocate from the class's spare space. */
  spare?: boolean;
}

export interface MblockWriteOptions {
  /** Zero-pad a total that is not whole pages (default: refuse it with EINVAL). */
  pad?: boolean;
}

/**
 * MblockProps from struct mblock_props_ex's fields, in its order. Written
 * out, not spread from objectIdFields(): on the MB_FIND path a spread cost
 * more than the ioctl itself (bench/ops.ts).
 */
function mblockProps(id: bigint, allocCap: number, writeLen: number, optimalWrsz: number, mclassp: number, isCommitted: number, zoneCount: number): MblockProps {
  return {
    id,
    idHex: objectIdHex(id),
    mclass: mclassName(mclassp),
    capacity: BigInt(allocCap),
    written: BigInt(writeLen),
    optimalWriteSize: BigInt(optimalWrsz),
    committed: isCommitted !== 0,
    zoneCount,
  };
}

export function fromMblockProps(p: MblockPropsEx): MblockProps {
  const b = p.mbx_props;
  return mblockProps(b.mpr_objid, b.mpr_alloc_cap, b.mpr_write_len, b.mpr_optimal_wrsz, b.mpr_mclassp, b.mpr_iscommitted, p.mbx_zonecnt);
}

/*
 * Where the hot paths (find, alloc, one-segment reads and writes) read and
 * write their few fields: offsets from the generated LAYOUT, never written
 * down here. Building and decoding the whole struct (its reserved arrays
 * included) cost more than the ioctl under emulation (bench/ops.ts).
 */
const MB = LAYOUT.mpioc_mblock.fields;
const RW = LAYOUT.mpioc_mblock_rw.fields;
const PX = LAYOUT.mblock_props_ex.fields;
const PR = LAYOUT.mblock_props.fields;
const PROPS_AT = MB.mb_props.offset + PX.mbx_props.offset;

/** The properties of an MB_ALLOC or MB_FIND result, read in place. */
function mblockPropsIn(dv: DataView): MblockProps {
  return mblockProps(
    rt.getU64(dv, PROPS_AT + PR.mpr_objid.offset),
    rt.getU32(dv, PROPS_AT + PR.mpr_alloc_cap.offset),
    rt.getU32(dv, PROPS_AT + PR.mpr_write_len.offset),
    rt.getU32(dv, PROPS_AT + PR.mpr_optimal_wrsz.offset),
    rt.getU32(dv, PROPS_AT + PR.mpr_mclassp.offset),
    rt.getU8(dv, PROPS_AT + PR.mpr_iscommitted.offset),
    rt.getU8(dv, MB.mb_props.offset + PX.mbx_zonecnt.offset),
  );
}

const WRITE_HINTS = {
  EALREADY: 'is committed: mblocks are immutable after commit',
  EINVAL: 'the write does not fit: iovecs must be whole aligned pages, 1..1024 of them, at most rwsz_max_mb MiB, within the mblock capacity',
};

const READ_HINTS = { 'ENOENT:uncommitted': 'is not committed: mblocks are readable after commit' };

export class Mblocks extends PoolObjects<MblockProps> {
  protected readonly kind = 'mblock';

  /** MB_ALLOC: a new, uncommitted mblock. */
  alloc(opts: MblockAllocOptions = {}): MblockProps {
    const mclass = opts.mclass ?? 'capacity';
    const hints = { ENODEV: `the pool has no ${mclass} device`, ENOSPC: `no free zone in the ${mclass} class` };
    return this.call('alloc', undefined, hints, () => {
      const dv = argumentView(MpiocMblock.size);
      rt.putU8(dv, MB.mb_mclassp.offset, mclassNumber(mclass), 'mpioc_mblock.mb_mclassp');
      rt.putU8(dv, MB.mb_spare.offset, opts.spare ? 1 : 0, 'mpioc_mblock.mb_spare');
      return mblockPropsIn(ioctlArgument(this.pool.fd, IOCTLS.MPIOC_MB_ALLOC, this.pool.path));
    });
  }

  /** MB_FIND: the properties of an mblock, committed or not. */
  find(id: bigint): MblockProps {
    return this.call('find', id, undefined, () => {
      rt.putU64(argumentView(MpiocMblock.size), MB.mb_objid.offset, id, 'mpioc_mblock.mb_objid');
      return mblockPropsIn(ioctlArgument(this.pool.fd, IOCTLS.MPIOC_MB_FIND, this.pool.path));
    });
  }

  /** Same as find(). */
  props(id: bigint): MblockProps {
    return this.find(id);
  }

  #idCmd(cmd: 'MPIOC_MB_COMMIT' | 'MPIOC_MB_ABORT' | 'MPIOC_MB_DELETE', op: string, id: bigint, hints: ObjectHints): void {
    this.call(op, id, hints, () => this.ioctl(cmd, MpiocMblockId, { mi_objid: id }));
  }

  /** MB_COMMIT: immutable, durable and readable from now on. */
  commit(id: bigint): void {
    this.#idCmd('MPIOC_MB_COMMIT', 'commit', id, { 'ENOENT:committed': 'is already committed' });
  }

  /** MB_ABORT: drop an uncommitted mblock and its zone. */
  abort(id: bigint): void {
    this.#idCmd('MPIOC_MB_ABORT', 'abort', id, { 'ENOENT:committed': 'is committed: delete it instead' });
  }

  /** MB_DELETE: remove a committed mblock for good. */
  delete(id: bigint): void {
    this.#idCmd('MPIOC_MB_DELETE', 'delete', id, { 'ENOENT:uncommitted': 'is not committed: abort it instead' });
  }

  /**
   * MB_WRITE: append `data` at the written length, in as many ioctls as the
   * kernel's limits need. Returns the bytes appended (padding included).
   */
  write(id: bigint, data: IoData, opts: MblockWriteOptions = {}): number {
    return this.call('write', id, WRITE_HINTS, () => writeData(data, this.limits, opts.pad ?? false, (segs) => this.writeRaw(id, segs), 'mblock write'));
  }

  /** One MB_WRITE of exactly these segments, unchecked: for tests of the kernel's checks. */
  writeRaw(id: bigint, segs: readonly IoSegment[]): void {
    this.#rw('MPIOC_MB_WRITE', id, 0, segs);
  }

  /** One MB_READ of exactly these segments at `offset`, unchecked. */
  readRaw(id: bigint, offset: number, segs: readonly IoSegment[]): void {
    this.#rw('MPIOC_MB_READ', id, offset, segs);
  }

  #rw(cmd: 'MPIOC_MB_WRITE' | 'MPIOC_MB_READ', id: bigint, offset: number, segs: readonly IoSegment[]): void {
    if (segs.length === 1) {
      this.#rwOne(cmd, id, offset, segs[0]!.address, segs[0]!.length);
      return;
    }
    this.iovecIoctl(cmd, MpiocMblockRw, segs, (iov) => ({
      mb_objid: id,
      mb_offset: BigInt(offset),
      mb_rsvd2: 0,
      mb_rsvd3: 0,
      mb_iov_cnt: segs.length,
      mb_iov: iov,
    }));
  }

  #rwOne(cmd: 'MPIOC_MB_WRITE' | 'MPIOC_MB_READ', id: bigint, offset: number, address: bigint, length: number): void {
    this.oneSegmentIoctl(cmd, address, length, (dv, iov) => {
      rt.putU64(dv, RW.mb_objid.offset, id, 'mpioc_mblock_rw.mb_objid');
      rt.putS64(dv, RW.mb_offset.offset, BigInt(offset), 'mpioc_mblock_rw.mb_offset');
      rt.putU16(dv, RW.mb_iov_cnt.offset, 1, 'mpioc_mblock_rw.mb_iov_cnt');
      rt.putU64(dv, RW.mb_iov.offset, iov, 'mpioc_mblock_rw.mb_iov');
    });
  }

  /** MB_READ into `target` (whole pages) from a page-aligned `offset`; zero-copy when target is aligned. */
  readInto(id: bigint, offset: number, target: Uint8Array | AlignedBuffer): void {
    const hints = (): ObjectHints => ({ ...READ_HINTS, EINVAL: `the read (${target.length} bytes at ${offset}) goes past the written length` });
    this.pageIo('read', id, offset, target, hints, (bytes) =>
      // The common case, an AlignedBuffer that one ioctl takes, goes straight to it.
      target instanceof AlignedBuffer && bytes.length <= this.limits.maxBytes
        ? this.#rwOne('MPIOC_MB_READ', id, offset, target.address, bytes.length)
        : readData(bytes, this.limits, (segs, at) => this.readRaw(id, offset + at, segs)),
    );
  }

  /**
   * `length` bytes at `offset` (any alignment; default: from 0 to the
   * written length). Whole pages are read and the range cut out.
   */
  read(id: bigint, offset = 0, length?: number): Uint8Array {
    if (length === undefined) {
      const p = this.find(id);
      // An uncommitted mblock has nothing readable, even when nothing is written yet.
      if (!p.committed) objectError(new MpoolError({ errno: ENOENT, op: 'mblock read' }), this.context('read', id, READ_HINTS));
      length = Number(p.written) - offset;
    }
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new MpoolError({ errno: EINVAL, op: 'mblock read', path: this.pool.path, detail: `mblock ${objectIdHex(id)}: bad range ${length} bytes at ${offset}` });
    }
    if (length === 0) return new Uint8Array(0);
    const span = pageSpan(offset, length);
    if (span.start === offset && span.length === length) {
      const out = new Uint8Array(length);
      this.readInto(id, offset, out);
      return out;
    }
    const out = new Uint8Array(span.length);
    this.readInto(id, span.start, out);
    return out.subarray(offset - span.start, offset - span.start + length);
  }
}

export { AlignedBuffer, PAGE_SIZE };
