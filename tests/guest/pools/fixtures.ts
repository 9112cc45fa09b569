/**
 * Shared by the pools suite: the two test disks, raw access to them, raw
 * lifecycle ioctls that bypass the library's checks, and cleanup that leaves
 * no pool behind.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { IOCTLS } from '../../../userland/src/gen/ioctl.js';
import { OMF_SB_MAGIC } from '../../../userland/src/gen/omf.js';
import { MpiocMpool, type MpiocMpool as MpiocMpoolValue, type PdProp } from '../../../userland/src/gen/structs.js';
import { computePdProp, encodeDevicePaths, encodePdProps, measureDevice, zonePagesForMiB, type MediaClass } from '../../../userland/src/lib/device.js';
import { toMpoolParams } from '../../../userland/src/lib/params.js';
import { Pools } from '../../../userland/src/lib/pools.js';
import { SB_RESERVED_BYTES } from '../../../userland/src/lib/superblock.js';
import { isMpoolError } from '../../../userland/src/sys/errors.js';
import * as sys from '../../../userland/src/sys/libc.js';
import { viewOf } from '../../../userland/src/uapi/runtime.js';

export const CTL = '/dev/mpoolctl';
export const DISK_A = '/dev/vda';
export const DISK_B = '/dev/vdb';
export const DISKS = [DISK_A, DISK_B] as const;

/**
 * mblock size (MiB) the suite creates pools with: small enough that the
 * metadata fits on a 1 GiB disk too (the default 32 MiB zones need ~1.1 GiB).
 */
export const MB = 8;

export const GiB = 1n << 30n;

/** Size of the first disk; some tests depend on it. */
export function diskBytes(path: string = DISK_A): bigint {
  return existsSync(path) ? measureDevice(path).sizeBytes : 0n;
}

export { EBADMSG, ENOTBLK, EPROTONOSUPPORT } from '../../../userland/src/gen/errno.js';

export const pools = new Pools();

/** The pd_prop the library would send for `path`. */
export function pdProp(path: string, mclass: MediaClass = 'capacity', mib = MB): PdProp {
  return computePdProp(measureDevice(path), { mclass, zonePages: zonePagesForMiB(mib) });
}

export interface RawMpoolArgs {
  name: string;
  paths?: string[];
  props?: PdProp[];
  flags?: number;
  /** Override any field after the struct is built (garbage tests). */
  patch?: Partial<MpiocMpoolValue>;
}

/** A lifecycle ioctl on the control node, straight to the kernel. Returns the struct copied back. */
export function rawMpool(
  cmd: 'MPIOC_MP_CREATE' | 'MPIOC_MP_ACTIVATE' | 'MPIOC_MP_DEACTIVATE' | 'MPIOC_MP_DESTROY' | 'MPIOC_MP_RENAME',
  a: RawMpoolArgs,
): MpiocMpoolValue {
  const paths = a.paths ?? [];
  const props = a.props ?? paths.map((p) => pdProp(p));
  const { buf, keep } = rawMpoolArgument({ ...a, paths, props });
  const fd = sys.open(CTL, sys.O_RDWR);
  try {
    sys.ioctl(fd, IOCTLS[cmd].request, buf, cmd, CTL);
  } finally {
    sys.close(fd);
  }
  // Keep the referenced buffers alive across the call.
  void keep.length;
  return MpiocMpool.decode(viewOf(buf), 0);
}

/** MP_ACTIVATE straight to the kernel: "OK", or the errno's name. */
export function activateCode(name: string, paths: string[]): string {
  try {
    rawMpool('MPIOC_MP_ACTIVATE', { name, paths });
    return 'OK';
  } catch (e) {
    if (isMpoolError(e)) return e.code;
    throw e;
  }
}

/**
 * The struct mpioc_mpool of a lifecycle ioctl, encoded, and the buffers its
 * pointers name (keep them referenced until the call is done): for callers
 * that must issue the ioctl with nothing else in between (fail-nth).
 */
export function rawMpoolArgument(a: RawMpoolArgs): { buf: Buffer; keep: Buffer[] } {
  const paths = a.paths ?? [];
  const props = a.props ?? paths.map((p) => pdProp(p));
  const pathBuf = paths.length > 0 ? encodeDevicePaths(paths) : Buffer.alloc(0);
  const propBuf = encodePdProps(props);
  const value: MpiocMpoolValue = {
    ...MpiocMpool.zero(),
    mp_params: toMpoolParams(a.name),
    mp_flags: a.flags ?? 0,
    mp_dpathc: paths.length,
    mp_dpathssz: pathBuf.length,
    mp_dpaths: sys.addressOf(pathBuf),
    mp_pd_prop: sys.addressOf(propBuf),
    ...a.patch,
  };
  const buf = Buffer.alloc(MpiocMpool.size);
  MpiocMpool.encode(viewOf(buf), 0, value);
  return { buf, keep: [pathBuf, propBuf] };
}

/** Read `length` bytes at `offset` (both multiples of 4096) with O_DIRECT. */
export function readAt(path: string, offset: number, length: number): Buffer {
  const fd = sys.open(path, sys.O_RDONLY | sys.O_DIRECT);
  const map = sys.anonymousMapping(length);
  try {
    const n = sys.pread(fd, map, 0, length, BigInt(offset), path);
    return Buffer.from(map.bytes.subarray(0, n));
  } finally {
    map.unmap();
    sys.close(fd, path);
  }
}

/** Whether `path` starts with a pool superblock's magic (its first copy). */
export function hasSuperblockMagic(path: string): boolean {
  return readAt(path, 0, 4096).readBigUInt64LE(0) === OMF_SB_MAGIC;
}

/** Write whole 4096-byte blocks at `offset` with O_DIRECT, then fsync. */
export function writeAt(path: string, offset: number, data: Uint8Array): void {
  if (offset % 4096 !== 0 || data.length % 4096 !== 0) throw new Error('writeAt: whole 4 KiB blocks only');
  const fd = sys.open(path, sys.O_RDWR | sys.O_DIRECT);
  const map = sys.anonymousMapping(data.length);
  try {
    map.bytes.set(data);
    const n = sys.pwrite(fd, map, 0, data.length, BigInt(offset), path);
    if (n !== data.length) throw new Error(`short write on ${path}: ${n}`);
    sys.fsync(fd, path);
  } finally {
    map.unmap();
    sys.close(fd, path);
  }
}

/** Flip one byte of a device in place (read-modify-write of its block). */
export function flipByte(path: string, at: number): void {
  const block = Math.floor(at / 4096) * 4096;
  const b = readAt(path, block, 4096);
  b[at - block] = b[at - block]! ^ 0xff;
  writeAt(path, block, b);
}

/** Zero the superblock area of a device: it holds no pool afterwards. */
export function wipe(path: string): void {
  writeAt(path, 0, new Uint8Array(SB_RESERVED_BYTES));
}

/** Destroy every active pool (force), then wipe both disks. */
export function cleanup(): void {
  let active: string[] = [];
  try {
    active = pools.list().map((p) => p.name);
  } catch (e) {
    if (!isMpoolError(e, 'ENOENT')) throw e;
  }
  for (const name of active) {
    try {
      pools.destroy(name, { force: true });
    } catch {
      // Fall back to a plain deactivate; the wipe below erases the rest.
      try {
        pools.deactivate(name);
      } catch {
        /* nothing more to do */
      }
    }
  }
  for (const d of DISKS) if (existsSync(d)) wipe(d);
}

/** The MpoolError code, or "OK". */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (e) {
    if (isMpoolError(e)) return e.code;
    throw e;
  }
}

/** /sys/class/mpool/<name>/uevent as key=value pairs. */
export function uevent(name: string): Record<string, string> {
  const text = readFileSync(`/sys/class/mpool/${name}/uevent`, 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** Mode bits and owner of a node. */
export function nodeStat(path: string): { mode: number; uid: number; gid: number; isCharDevice: boolean } {
  const st = statSync(path);
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, isCharDevice: st.isCharacterDevice() };
}
