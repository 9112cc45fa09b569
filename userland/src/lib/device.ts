/**
 * Devices as the kernel wants them described (struct pd_prop): userland
 * measures the block device, proposes the zone geometry, and the kernel
 * checks it. The computation is pure (computePdProp); measureDevice() does
 * the system calls.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DevicePhysIf, MPOOL_MBSIZE_MB_DEFAULT, MpMediaClassp, PdCmdOpt, PdDevtype, PdState } from '../gen/constants.js';
import { PdProp, type PdProp as PdPropValue } from '../gen/structs.js';
import { MpoolError } from '../sys/errors.js';
import * as sys from '../sys/libc.js';
import { EINVAL, ENOENT, ENOTBLK } from './errno.js';

export const PAGE_4K = 4096;
export const MBLOCK_MIB_MIN = 1;
export const MBLOCK_MIB_MAX = 64;
export const OPTIO_MIN = 4096;
export const OPTIO_MAX = 131072;

/** What userland learns about a block device. */
export interface DeviceMeasurement {
  /** The path as given. */
  path: string;
  /** Kernel name of the device ("vdb", "nvme0n1p2"): the basename pools report. */
  name: string;
  sizeBytes: bigint;
  logicalBlockSize: number;
  physicalBlockSize: number;
  /** BLKIOOPT; 0 if the device has no preference. */
  optimalIoSize: number;
  /** Bytes; 0 if the device cannot discard. */
  discardGranularity: number;
  fua: boolean;
  /** Model string from sysfs, "" if none. */
  model: string;
}

export type MediaClass = 'staging' | 'capacity';

export const MEDIA_CLASSES: readonly MediaClass[] = ['staging', 'capacity'];

export function mclassNumber(c: MediaClass): number {
  return c === 'staging' ? MpMediaClassp.MP_MED_STAGING : MpMediaClassp.MP_MED_CAPACITY;
}

/** The class of a number from the kernel or a superblock; null for none/unknown (0xff). */
export function mclassName(n: number): MediaClass | null {
  return n === MpMediaClassp.MP_MED_STAGING ? 'staging' : n === MpMediaClassp.MP_MED_CAPACITY ? 'capacity' : null;
}

/** How the host reaches a device, guessed from its kernel name. */
export function physIfFor(name: string): number {
  if (/^vd[a-z]/.test(name)) return DevicePhysIf.DEVICE_PHYS_IF_VIRTUAL;
  if (/^nvme/.test(name)) return DevicePhysIf.DEVICE_PHYS_IF_NVME;
  if (/^sd[a-z]/.test(name)) return DevicePhysIf.DEVICE_PHYS_IF_SATA;
  if (/^loop/.test(name)) return DevicePhysIf.DEVICE_PHYS_IF_TEST;
  return DevicePhysIf.DEVICE_PHYS_IF_UNKNOWN;
}

/** Zone size in 4 KiB pages for an mblock size in MiB. */
export function zonePagesForMiB(mib: number): number {
  if (!Number.isInteger(mib) || mib < MBLOCK_MIB_MIN || mib > MBLOCK_MIB_MAX) {
    throw new RangeError(`mblock size ${mib} MiB is out of range ${MBLOCK_MIB_MIN}..${MBLOCK_MIB_MAX}`);
  }
  return (mib * 1024 * 1024) / PAGE_4K;
}

export function clampOptimalIo(bytes: number): number {
  if (bytes === 0) return OPTIO_MAX;
  return Math.min(Math.max(bytes, OPTIO_MIN), OPTIO_MAX);
}

export interface GeometryOptions {
  mclass: MediaClass;
  /** Zone size in 4 KiB pages; default: MPOOL_MBSIZE_MB_DEFAULT MiB. */
  zonePages?: number;
}

/** The pd_prop for a measured device: pure, so it can be tested without devices. */
export function computePdProp(m: DeviceMeasurement, opts: GeometryOptions): PdPropValue {
  const zonepg = opts.zonePages ?? zonePagesForMiB(MPOOL_MBSIZE_MB_DEFAULT);
  if (!Number.isInteger(zonepg) || zonepg <= 0) throw new RangeError(`zone size of ${zonepg} pages is not valid`);
  if (!Number.isInteger(Math.log2(m.logicalBlockSize))) {
    throw new RangeError(`${m.path}: logical block size ${m.logicalBlockSize} is not a power of two`);
  }
  const zoneBytes = BigInt(zonepg) * BigInt(PAGE_4K);
  const zonetot = m.sizeBytes / zoneBytes;
  const p = PdProp.zero();
  p.pdp_didstr = truncateUtf8(m.model.trim(), 63);
  p.pdp_devtype = PdDevtype.PD_DEV_TYPE_BLOCK_STD;
  p.pdp_devstate = PdState.PD_DEV_STATE_AVAIL;
  p.pdp_phys_if = physIfFor(m.name);
  p.pdp_mclassp = mclassNumber(opts.mclass);
  p.pdp_fua = m.fua ? 1 : 0;
  p.pdp_cmdopt = BigInt(PdCmdOpt.PD_CMD_SECTOR_UPDATABLE | (m.discardGranularity > 0 ? PdCmdOpt.PD_CMD_DISCARD : 0));
  p.pdp_zparam.dvb_zonepg = zonepg;
  p.pdp_zparam.dvb_zonetot = Number(zonetot > 0xffffffffn ? 0xffffffffn : zonetot);
  p.pdp_discard_granularity = m.discardGranularity;
  p.pdp_sectorsz = Math.log2(m.logicalBlockSize);
  p.pdp_optiosz = clampOptimalIo(m.optimalIoSize);
  p.pdp_devsz = m.sizeBytes;
  return p;
}

function truncateUtf8(s: string, max: number): string {
  let out = s;
  while (Buffer.byteLength(out) > max) out = out.slice(0, -1);
  return out;
}

/** The bytes of one pd_prop, or of a vector of them, as the kernel reads them. */
export function encodePdProps(props: readonly PdPropValue[]): Buffer {
  const buf = Buffer.alloc(props.length * PdProp.size);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  props.forEach((p, i) => PdProp.encode(dv, i * PdProp.size, p));
  return buf;
}

/** The dpaths string: newline separated, NUL terminated. */
export function encodeDevicePaths(paths: readonly string[]): Buffer {
  return Buffer.from(`${paths.join('\n')}\0`, 'utf8');
}

/** Major and minor from a (glibc-encoded) st_rdev. */
export function splitDevno(rdev: number | bigint): { major: number; minor: number } {
  const d = BigInt(rdev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}

/** Fail unless `path` is a block device: ENOENT or ENOTBLK, with the path. */
export function checkBlockDevice(path: string, op = 'open'): { major: number; minor: number } {
  let st;
  try {
    st = statSync(path, { bigint: true });
  } catch (e) {
    const errno = typeof (e as { errno?: unknown }).errno === 'number' ? Math.abs((e as { errno: number }).errno) : ENOENT;
    throw new MpoolError({ errno, op, path, detail: errno === ENOENT ? 'no such device' : undefined, cause: e });
  }
  if (!st.isBlockDevice()) throw new MpoolError({ errno: ENOTBLK, op, path, detail: 'not a block device' });
  return splitDevno(st.rdev);
}

function readSysfs(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The sysfs directory of a block device, and the one holding its queue/ (the disk's, for a partition). */
function sysfsDirs(major: number, minor: number, fallbackName: string): { name: string; dir: string; queueDir: string } {
  let dir: string;
  try {
    dir = realpathSync(`/sys/dev/block/${major}:${minor}`);
  } catch {
    dir = `/sys/class/block/${fallbackName}`;
  }
  const name = basename(dir);
  const queueDir = readSysfs(join(dir, 'partition')) !== null ? join(dirname(dir), 'queue') : join(dir, 'queue');
  return { name, dir, queueDir };
}

/** Measure a block device: size and block sizes by ioctl, the rest from sysfs. */
export function measureDevice(path: string): DeviceMeasurement {
  const { major, minor } = checkBlockDevice(path, 'open');
  let fallback = basename(path);
  try {
    fallback = basename(realpathSync(path));
  } catch {
    /* keep the given name */
  }
  const { name, dir, queueDir } = sysfsDirs(major, minor, fallback);
  const fd = sys.open(path, sys.O_RDONLY);
  try {
    const sizeBytes = sys.blockDeviceSize(fd, path);
    const logicalBlockSize = sys.blockDeviceU32(fd, sys.BLKSSZGET, 'BLKSSZGET', path);
    const physicalBlockSize = sys.blockDeviceU32(fd, sys.BLKPBSZGET, 'BLKPBSZGET', path);
    const optimalIoSize = sys.blockDeviceU32(fd, sys.BLKIOOPT, 'BLKIOOPT', path);
    const discardGranularity = Number(readSysfs(join(queueDir, 'discard_granularity')) ?? '0') || 0;
    const fua = (readSysfs(join(queueDir, 'fua')) ?? '0') === '1';
    const model = readSysfs(join(dir, 'device', 'model')) ?? '';
    return { path, name, sizeBytes, logicalBlockSize, physicalBlockSize, optimalIoSize, discardGranularity, fua, model };
  } finally {
    sys.close(fd, path);
  }
}

/** measureDevice + computePdProp. */
export function devicePdProp(path: string, opts: GeometryOptions): { measurement: DeviceMeasurement; prop: PdPropValue } {
  try {
    const measurement = measureDevice(path);
    return { measurement, prop: computePdProp(measurement, opts) };
  } catch (e) {
    if (e instanceof RangeError) throw new MpoolError({ errno: EINVAL, op: 'measure', path, detail: e.message, cause: e });
    throw e;
  }
}
