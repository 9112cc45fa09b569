/**
 * The mblock ioctls the power-cut tests need, on an open pool node: a thin
 * typed layer over the generated codecs, kept apart from the library's
 * Mblocks so that the crash tests check the kernel, not the library's
 * error handling (every call here is one ioctl, nothing is retried).
 */
import { MpMediaClassp } from '../../userland/src/gen/constants.js';
import { IOCTLS } from '../../userland/src/gen/ioctl.js';
import { MpiocMblock, MpiocMblockId, MpiocMblockRw } from '../../userland/src/gen/structs.js';
import { encodeIovecs } from '../../userland/src/sys/iovec.js';
import * as sys from '../../userland/src/sys/libc.js';
import { ioctlStruct } from '../../userland/src/uapi/ioctl.js';

export interface MblockInfo {
  objid: bigint;
  writeLen: number;
  allocCap: number;
  committed: boolean;
}

function info(out: MpiocMblock): MblockInfo {
  const p = out.mb_props.mbx_props;
  return { objid: p.mpr_objid, writeLen: p.mpr_write_len, allocCap: p.mpr_alloc_cap, committed: p.mpr_iscommitted !== 0 };
}

/** One struct iovec over a page-aligned mapping, in the system layer's layout. */
function iovec(map: sys.Mapping, length: number): Buffer {
  return encodeIovecs([{ address: map.address, length }]);
}

export class Mblocks {
  readonly fd: number;
  readonly path: string;

  constructor(fd: number, path: string) {
    this.fd = fd;
    this.path = path;
  }

  alloc(): MblockInfo {
    const out = ioctlStruct(this.fd, IOCTLS.MPIOC_MB_ALLOC, MpiocMblock, { ...MpiocMblock.zero(), mb_mclassp: MpMediaClassp.MP_MED_CAPACITY }, this.path);
    return info(out);
  }

  find(objid: bigint): MblockInfo {
    return info(ioctlStruct(this.fd, IOCTLS.MPIOC_MB_FIND, MpiocMblock, { ...MpiocMblock.zero(), mb_objid: objid }, this.path));
  }

  commit(objid: bigint): void {
    ioctlStruct(this.fd, IOCTLS.MPIOC_MB_COMMIT, MpiocMblockId, { mi_objid: objid }, this.path);
  }

  abort(objid: bigint): void {
    ioctlStruct(this.fd, IOCTLS.MPIOC_MB_ABORT, MpiocMblockId, { mi_objid: objid }, this.path);
  }

  delete(objid: bigint): void {
    ioctlStruct(this.fd, IOCTLS.MPIOC_MB_DELETE, MpiocMblockId, { mi_objid: objid }, this.path);
  }

  /** MB_WRITE (an append) of whole pages. */
  write(objid: bigint, data: Buffer): void {
    if (data.length === 0 || data.length % sys.pageSize) throw new RangeError(`mblock writes are whole pages, not ${data.length} bytes`);
    const map = sys.anonymousMapping(data.length);
    try {
      map.bytes.set(data);
      const iov = iovec(map, data.length);
      ioctlStruct(
        this.fd,
        IOCTLS.MPIOC_MB_WRITE,
        MpiocMblockRw,
        { mb_objid: objid, mb_offset: 0n, mb_rsvd2: 0, mb_rsvd3: 0, mb_iov_cnt: 1, mb_iov: sys.addressOf(iov) },
        this.path,
      );
    } finally {
      map.unmap();
    }
  }

  /** MB_READ of `length` bytes (whole pages) at `offset`. */
  read(objid: bigint, offset: number, length: number): Buffer {
    const map = sys.anonymousMapping(length);
    try {
      const iov = iovec(map, length);
      ioctlStruct(
        this.fd,
        IOCTLS.MPIOC_MB_READ,
        MpiocMblockRw,
        { mb_objid: objid, mb_offset: BigInt(offset), mb_rsvd2: 0, mb_rsvd3: 0, mb_iov_cnt: 1, mb_iov: sys.addressOf(iov) },
        this.path,
      );
      return Buffer.from(map.bytes);
    } finally {
      map.unmap();
    }
  }
}
