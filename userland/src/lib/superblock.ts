/**
 * Reading superblocks (docs/format.md, format version 2). Pure: bytes in,
 * a verdict out. The CLI never writes superblocks; the kernel does.
 */
import crc32c from 'crc-32/crc32c.js';
import { formatUuid } from './uuid.js';
import { mclassName, type MediaClass } from './device.js';

export const SB_MAGIC = 0x7665446c6f6f706dn; // "mpoolDev"
export const SB_VERSION = 2;
/** mpool 1.9.0's format: identified, never read. */
export const SB_VERSION_190 = 1;
/** Byte offsets of the two copies on a device. */
export const SB_COPY_OFFSETS = [0, 8192] as const;
export const SB_AREA = 4096;
export const SB_USED = 256;
/** Bytes the superblock zones must cover: copy 0, a gap, copy 1, a gap. */
export const SB_RESERVED_BYTES = 16384;

/** Field offsets, from docs/format.md. */
export const SB = {
  magic: 0,
  name: 8,
  nameLen: 32,
  poolUuid: 40,
  version: 56,
  gen: 58,
  crc1: 62,
  flags: 66,
  usedLen: 68,
  devUuid: 72,
  mclass: 88,
  devtype: 89,
  sectorShift: 90,
  zonepg: 96,
  zonetot: 100,
  devsz: 104,
  features: 112,
  mdc0aZone: 120,
  mdc0aZones: 128,
  mdc0bZone: 136,
  mdc0bZones: 144,
  crc2: 252,
} as const;

export const SB_FLAG_MDC0 = 0x1;

/** CRC32C as the format uses it (initial ~0, final xor ~0). */
export function crc32cOf(bytes: Uint8Array): number {
  return crc32c.buf(bytes) >>> 0;
}

export interface MdcLogLocation {
  /** First zone of the log. */
  zone: bigint;
  /** Zones in the log. */
  zones: number;
}

export interface Superblock {
  poolName: string;
  poolUuid: string;
  version: number;
  gen: number;
  holdsMdc0: boolean;
  deviceUuid: string;
  mclass: MediaClass | null;
  mclassNumber: number;
  devtype: number;
  /** log2 of the logical block size. */
  sectorShift: number;
  zonePages: number;
  zoneCount: number;
  /** Device size in bytes when the pool was made or resized. */
  deviceSize: bigint;
  features: bigint;
  mdc0: { a: MdcLogLocation; b: MdcLogLocation } | null;
}

export type SuperblockProblem =
  | 'no-magic'
  | 'short-read'
  | 'bad-crc1'
  | 'unsupported-version'
  | 'bad-crc2'
  | 'bad-geometry';

export type SuperblockCopy =
  | { ok: true; sb: Superblock }
  | { ok: false; problem: SuperblockProblem; message: string; version?: number; poolName?: string; poolUuid?: string };

function cstring(b: Uint8Array): string {
  const end = b.indexOf(0);
  return Buffer.from(b.subarray(0, end < 0 ? b.length : end)).toString('utf8');
}

/** Superblock zones for a zone of `zonePages` 4 KiB pages: ceil(16384 / zone bytes). */
export function superblockZones(zonePages: number): number {
  return Math.ceil(SB_RESERVED_BYTES / (zonePages * 4096));
}

/** Check and decode one 4096-byte (at least 256-byte) superblock copy. */
export function parseSuperblock(bytes: Uint8Array): SuperblockCopy {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || dv.getBigUint64(SB.magic, true) !== SB_MAGIC) {
    return { ok: false, problem: 'no-magic', message: 'no mpool superblock' };
  }
  if (bytes.length < SB_USED) return { ok: false, problem: 'short-read', message: `only ${bytes.length} bytes could be read` };
  const head = {
    poolName: cstring(bytes.subarray(SB.name, SB.name + SB.nameLen)),
    poolUuid: formatUuid(bytes.subarray(SB.poolUuid, SB.poolUuid + 16)),
  };
  if (crc32cOf(bytes.subarray(0, SB.crc1)) !== dv.getUint32(SB.crc1, true)) {
    return { ok: false, problem: 'bad-crc1', message: 'superblock header checksum mismatch', ...head };
  }
  const version = dv.getUint16(SB.version, true);
  if (version !== SB_VERSION) {
    const message =
      version === SB_VERSION_190
        ? 'superblock format version 1 (mpool 1.9.0) is not supported'
        : `superblock format version ${version} is not supported (this release reads version ${SB_VERSION})`;
    return { ok: false, problem: 'unsupported-version', message, version, ...head };
  }
  if (crc32cOf(bytes.subarray(0, SB.crc2)) !== dv.getUint32(SB.crc2, true)) {
    return { ok: false, problem: 'bad-crc2', message: 'superblock checksum mismatch', version, ...head };
  }
  const flags = dv.getUint16(SB.flags, true);
  const holdsMdc0 = (flags & SB_FLAG_MDC0) !== 0;
  const mclassNumber = dv.getUint8(SB.mclass);
  const sb: Superblock = {
    ...head,
    version,
    gen: dv.getUint32(SB.gen, true),
    holdsMdc0,
    deviceUuid: formatUuid(bytes.subarray(SB.devUuid, SB.devUuid + 16)),
    mclass: mclassName(mclassNumber),
    mclassNumber,
    devtype: dv.getUint8(SB.devtype),
    sectorShift: dv.getUint8(SB.sectorShift),
    zonePages: dv.getUint32(SB.zonepg, true),
    zoneCount: dv.getUint32(SB.zonetot, true),
    deviceSize: dv.getBigUint64(SB.devsz, true),
    features: dv.getBigUint64(SB.features, true),
    mdc0: holdsMdc0
      ? {
          a: { zone: dv.getBigUint64(SB.mdc0aZone, true), zones: dv.getUint32(SB.mdc0aZones, true) },
          b: { zone: dv.getBigUint64(SB.mdc0bZone, true), zones: dv.getUint32(SB.mdc0bZones, true) },
        }
      : null,
  };
  const bad = geometryProblem(sb);
  if (bad) return { ok: false, problem: 'bad-geometry', message: bad, version, ...head };
  return { ok: true, sb };
}

/** Why the geometry of a checksummed superblock is not sane, or null. */
export function geometryProblem(sb: Superblock): string | null {
  if (sb.zonePages <= 0) return 'zone size is 0';
  const sbz = superblockZones(sb.zonePages);
  if (sb.zoneCount <= sbz) return `${sb.zoneCount} zones leave no room after the superblock zones`;
  const zoneBytes = BigInt(sb.zonePages) * 4096n;
  if (BigInt(sb.zoneCount) * zoneBytes > sb.deviceSize) return `${sb.zoneCount} zones do not fit in ${sb.deviceSize} bytes`;
  if (sb.mclass === null) return `unknown media class ${sb.mclassNumber}`;
  if (sb.mdc0) {
    for (const [which, log] of [['A', sb.mdc0.a], ['B', sb.mdc0.b]] as const) {
      if (log.zones === 0 || log.zone < BigInt(sbz) || log.zone + BigInt(log.zones) > BigInt(sb.zoneCount)) {
        return `MDC-0 log ${which} (zones ${log.zone}+${log.zones}) is outside the device`;
      }
    }
  }
  return null;
}

export type SuperblockRead =
  | { ok: true; sb: Superblock; copyUsed: 0 | 1; copies: [SuperblockCopy, SuperblockCopy] }
  | { ok: false; copies: [SuperblockCopy, SuperblockCopy] };

/** Copy 0 if valid, else copy 1. */
export function chooseSuperblock(copy0: Uint8Array, copy1: Uint8Array): SuperblockRead {
  const copies: [SuperblockCopy, SuperblockCopy] = [parseSuperblock(copy0), parseSuperblock(copy1)];
  if (copies[0].ok) return { ok: true, sb: copies[0].sb, copyUsed: 0, copies };
  if (copies[1].ok) return { ok: true, sb: copies[1].sb, copyUsed: 1, copies };
  return { ok: false, copies };
}

/** True if either copy carries the mpool magic (valid or not). */
export function hasMagic(read: SuperblockRead): boolean {
  return read.copies.some((c) => c.ok || c.problem !== 'no-magic');
}
