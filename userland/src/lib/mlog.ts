/**
 * Mlogs, kernel side: allocation, commit, erase (a new generation), and raw
 * page I/O inside a committed mlog. Writes are FUA: durable on return. The
 * record framing (userland/src/mlog/) runs over kernelMlogMedia().
 *
 *   const ml = pool.mlogs;
 *   const { id } = ml.alloc({ capacity: 4n << 20n });
 *   ml.commit(id);
 *   ml.writePages(id, 0, page);           // whole pages at a page offset
 *   const gen = ml.erase(id);             // generation + 1 (or more)
 */
import { IOCTLS } from '../gen/ioctl.js';
import { MpiocMlog, MpiocMlogId, MpiocMlogIo, type MlogPropsEx } from '../gen/structs.js';
import { MpoolError } from '../sys/errors.js';
import { encodeIovecs, type IoSegment } from '../sys/iovec.js';
import * as sys from '../sys/libc.js';
import { ioctlStruct } from '../uapi/ioctl.js';
import { AlignedBuffer, PAGE_SIZE } from './aligned.js';
import { mclassName, mclassNumber, type MediaClass } from './device.js';
import { EINVAL } from './errno.js';
import { checkPages, readData, writeData } from './objio.js';
import { checkObjectId, ioLimits, objectContext, objectError, objectIdHex, pageSpan, type IoLimits, type ObjectErrorContext } from './objects.js';
import type { Pool } from './pool.js';
import { formatUuid } from './uuid.js';

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

export class Mlogs {
  readonly pool: Pool;
  readonly limits: IoLimits;

  constructor(pool: Pool, limits: IoLimits = ioLimits()) {
    this.pool = pool;
    this.limits = limits;
  }

  #ctx(op: string, id?: bigint, hints?: ObjectErrorContext['hints']): ObjectErrorContext {
    return objectContext('mlog', op, this.pool.path, (x) => this.find(x), id, hints);
  }

  /** MLOG_ALLOC: a new, uncommitted mlog of whole zones. */
  alloc(opts: MlogAllocOptions = {}): MlogProps {
    const mclass = opts.mclass ?? 'capacity';
    const cap = BigInt(opts.capacity ?? 0);
    if (cap < 0n) throw new MpoolError({ errno: EINVAL, op: 'mlog alloc', path: this.pool.path, detail: `capacity ${cap} is negative` });
    try {
      const out = ioctlStruct(
        this.pool.fd,
        IOCTLS.MPIOC_MLOG_ALLOC,
        MpiocMlog,
        {
          ...MpiocMlog.zero(),
          ml_cap: { lcp_captgt: cap, lcp_spare: opts.spare ? 1 : 0, lcp_rsvd1: new Uint8Array(7) },
          ml_mclassp: mclassNumber(mclass),
        },
        this.pool.path,
      );
      return fromMlogProps(out.ml_props);
    } catch (e) {
      objectError(e, this.#ctx('alloc', undefined, { ENODEV: `the pool has no ${mclass} device`, ENOSPC: `not enough free zones in the ${mclass} class for ${cap} bytes` }));
    }
  }

  /** MLOG_FIND. */
  find(id: bigint): MlogProps {
    checkObjectId(id, 'mlog', 'find', this.pool.path);
    try {
      const out = ioctlStruct(this.pool.fd, IOCTLS.MPIOC_MLOG_FIND, MpiocMlog, { ...MpiocMlog.zero(), ml_objid: id }, this.pool.path);
      return fromMlogProps(out.ml_props);
    } catch (e) {
      objectError(e, this.#ctx('find', id));
    }
  }

  /** MLOG_PROPS (the same answer as find, through the other command). */
  props(id: bigint): MlogProps {
    checkObjectId(id, 'mlog', 'props', this.pool.path);
    try {
      const out = ioctlStruct(this.pool.fd, IOCTLS.MPIOC_MLOG_PROPS, MpiocMlog, { ...MpiocMlog.zero(), ml_objid: id }, this.pool.path);
      return fromMlogProps(out.ml_props);
    } catch (e) {
      objectError(e, this.#ctx('props', id));
    }
  }

  #idCmd(
    cmd: 'MPIOC_MLOG_COMMIT' | 'MPIOC_MLOG_ABORT' | 'MPIOC_MLOG_DELETE' | 'MPIOC_MLOG_ERASE',
    op: string,
    id: bigint,
    gen: bigint,
    hints: ObjectErrorContext['hints'],
  ): MlogCommitResult {
    checkObjectId(id, 'mlog', op, this.pool.path);
    try {
      const out = ioctlStruct(this.pool.fd, IOCTLS[cmd], MpiocMlogId, { ...MpiocMlogId.zero(), mi_objid: id, mi_gen: gen }, this.pool.path);
      return { gen: out.mi_gen, state: out.mi_state };
    } catch (e) {
      objectError(e, this.#ctx(op, id, hints));
    }
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
    const iov = encodeIovecs(segs);
    ioctlStruct(
      this.pool.fd,
      IOCTLS[cmd],
      MpiocMlogIo,
      { ...MpiocMlogIo.zero(), mi_objid: id, mi_off: BigInt(offset), mi_op: write ? 1 : 0, mi_iovc: segs.length, mi_iov: sys.addressOf(iov) },
      this.pool.path,
    );
    void iov.length;
  }

  /** Whole pages at a page offset into `buf`; zero-copy when buf is aligned. */
  readPages(id: bigint, offset: number, buf: Uint8Array | AlignedBuffer): void {
    const bytes = buf instanceof AlignedBuffer ? buf.bytes : buf;
    checkObjectId(id, 'mlog', 'read', this.pool.path);
    checkPages('mlog read', `mlog ${objectIdHex(id)}`, offset, bytes.length, this.pool.path);
    try {
      readData(bytes, this.limits, (segs, at) => this.ioRaw(id, offset + at, false, segs));
    } catch (e) {
      objectError(e, this.#ctx('read', id, IO_HINTS));
    }
  }

  /** Whole pages from `buf` at a page offset; durable on return. */
  writePages(id: bigint, offset: number, buf: Uint8Array | AlignedBuffer): void {
    const bytes = buf instanceof AlignedBuffer ? buf.bytes : buf;
    checkObjectId(id, 'mlog', 'write', this.pool.path);
    checkPages('mlog write', `mlog ${objectIdHex(id)}`, offset, bytes.length, this.pool.path);
    try {
      writeData(bytes, this.limits, false, (segs, at) => this.ioRaw(id, offset + at, true, segs), 'mlog write');
    } catch (e) {
      objectError(e, this.#ctx('write', id, IO_HINTS));
    }
  }
}

/** The MlogMedia interface of userland/src/mlog/media.ts, restated so this file does not depend on it. */
export interface KernelMlogMedia {
  readonly id: bigint;
  readonly sectorSize: number;
  readonly capacity: number;
  readonly uuid: Uint8Array;
  readonly gen: bigint;
  read(off: number, buf: Uint8Array): void;
  write(off: number, buf: Uint8Array): void;
}

/**
 * An MlogMedia over MLOG_READ/WRITE of a committed mlog. Geometry, uuid
 * and generation are read once, now (make a new one after an erase).
 * Reads and writes of any offset and length work: partial pages are read,
 * patched and written back whole.
 */
export function kernelMlogMedia(pool: Pool, id: bigint): KernelMlogMedia {
  const mlogs = pool.mlogs;
  const p = mlogs.find(id);
  const capacity = Number(p.capacity);
  const check = (op: string, off: number, len: number): void => {
    if (!Number.isSafeInteger(off) || off < 0 || off + len > capacity) {
      throw new MpoolError({ errno: EINVAL, op: `mlog ${op}`, path: pool.path, detail: `mlog ${p.idHex}: ${len} bytes at ${off} are outside its ${capacity} bytes` });
    }
  };
  return {
    id,
    sectorSize: p.sectorSize,
    capacity,
    uuid: p.uuidBytes,
    gen: p.gen,
    read(off: number, buf: Uint8Array): void {
      check('read', off, buf.length);
      if (buf.length === 0) return;
      const span = pageSpan(off, buf.length);
      if (span.start === off && span.length === buf.length) {
        mlogs.readPages(id, off, buf);
        return;
      }
      const tmp = AlignedBuffer.alloc(span.length);
      try {
        mlogs.readPages(id, span.start, tmp);
        buf.set(tmp.bytes.subarray(off - span.start, off - span.start + buf.length));
      } finally {
        tmp.free();
      }
    },
    write(off: number, buf: Uint8Array): void {
      check('write', off, buf.length);
      if (buf.length === 0) return;
      const span = pageSpan(off, buf.length);
      if (span.start === off && span.length === buf.length) {
        mlogs.writePages(id, off, buf);
        return;
      }
      const tmp = AlignedBuffer.alloc(span.length);
      try {
        const end = span.start + span.length;
        // Only the partial first and last pages need their old contents.
        if (off !== span.start) mlogs.readPages(id, span.start, tmp.bytes.subarray(0, PAGE_SIZE));
        if ((off + buf.length) % PAGE_SIZE !== 0 && (span.length > PAGE_SIZE || off === span.start)) {
          mlogs.readPages(id, end - PAGE_SIZE, tmp.bytes.subarray(span.length - PAGE_SIZE, span.length));
        }
        tmp.bytes.set(buf, off - span.start);
        mlogs.writePages(id, span.start, tmp);
      } finally {
        tmp.free();
      }
    },
  };
}
