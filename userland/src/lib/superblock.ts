/**
 * Reading superblocks (docs/format.md, format version 2). Pure: bytes in,
 * a verdict out. The CLI never writes superblocks; the kernel does. The
 * layout is the compiler's view of uapi/mpool_omf.h, the header the kernel
 * writes them with (the generated OmfSb codec): no offset is written here.
 */
import crc32c from 'crc-32/crc32c.js';
import { LAYOUT, OMF_SB_AREA, OMF_SB_COPY0, OMF_SB_COPY1, OMF_SB_FLAG_MDC0, OMF_SB_MAGIC, OMF_SB_RESERVED, OMF_SB_USED, OMF_SB_VERSION, OMF_SB_VERSION_190, OmfSb } from '../gen/omf.js';
import { viewOf } from '../uapi/runtime.js';
import { formatUuid } from './uuid.js';
import { mclassName, type MediaClass } from './device.js';

export const SB_MAGIC = OMF_SB_MAGIC;
export const SB_VERSION = OMF_SB_VERSION;
/** mpool 1.9.0's format: identified, never read. */
export const SB_VERSION_190 = OMF_SB_VERSION_190;
/** Byte offsets of the two copies on a device. */
export const SB_COPY_OFFSETS = [OMF_SB_COPY0, OMF_SB_COPY1] as const;
export const SB_AREA = OMF_SB_AREA;
export const SB_USED = OMF_SB_USED;
/** Bytes the superblock zones must cover: copy 0, a gap, copy 1, a gap. */
export const SB_RESERVED_BYTES = OMF_SB_RESERVED;
export const SB_FLAG_MDC0 = OMF_SB_FLAG_MDC0;

/** crc1 covers the bytes before it (1.9.0's header), crc2 the bytes before it. */
const CRC1_AT = LAYOUT.omf_sb.fields.crc1.offset;
const CRC2_AT = LAYOUT.omf_sb.fields.crc2.offset;

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
  const dv = viewOf(bytes);
  if (bytes.length < LAYOUT.omf_sb.fields.magic.size || dv.getBigUint64(LAYOUT.omf_sb.fields.magic.offset, true) !== SB_MAGIC) {
    return { ok: false, problem: 'no-magic', message: 'no mpool superblock' };
  }
  if (bytes.length < SB_USED) return { ok: false, problem: 'short-read', message: `only ${bytes.length} bytes could be read` };
  const o = OmfSb.decode(dv, 0);
  const name = LAYOUT.omf_sb.fields.name;
  const head = { poolName: cstring(bytes.subarray(name.offset, name.offset + name.size)), poolUuid: formatUuid(o.poolid) };
  if (crc32cOf(bytes.subarray(0, CRC1_AT)) !== o.crc1) {
    return { ok: false, problem: 'bad-crc1', message: 'superblock header checksum mismatch', ...head };
  }
  const version = o.version;
  if (version !== SB_VERSION) {
    const message =
      version === SB_VERSION_190
        ? 'superblock format version 1 (mpool 1.9.0) is not supported'
        : `superblock format version ${version} is not supported (this release reads version ${SB_VERSION})`;
    return { ok: false, problem: 'unsupported-version', message, version, ...head };
  }
  if (crc32cOf(bytes.subarray(0, CRC2_AT)) !== o.crc2) {
    return { ok: false, problem: 'bad-crc2', message: 'superblock checksum mismatch', version, ...head };
  }
  const holdsMdc0 = (o.flags & SB_FLAG_MDC0) !== 0;
  const sb: Superblock = {
    ...head,
    version,
    gen: o.gen,
    holdsMdc0,
    deviceUuid: formatUuid(o.devid),
    mclass: mclassName(o.mclass),
    mclassNumber: o.mclass,
    devtype: o.devtype,
    sectorShift: o.sectorsz,
    zonePages: o.zonepg,
    zoneCount: o.zonetot,
    deviceSize: o.devsz,
    features: o.features,
    mdc0: holdsMdc0
      ? { a: { zone: o.mdc0_zaddr_a, zones: o.mdc0_zcnt_a }, b: { zone: o.mdc0_zaddr_b, zones: o.mdc0_zcnt_b } }
      : null,
  };
  const bad = geometryProblem(sb);
  if (bad) return { ok: false, problem: 'bad-geometry', message: bad, version, ...head };
  return { ok: true, sb };
}

/**
 * Seal a superblock copy built with the OmfSb codec: crc1 and crc2 as the
 * kernel computes them. For tests and tools that make images; the CLI
 * never writes superblocks.
 */
export function sealSuperblock(bytes: Uint8Array): void {
  const dv = viewOf(bytes);
  dv.setUint32(CRC1_AT, crc32cOf(bytes.subarray(0, CRC1_AT)), true);
  dv.setUint32(CRC2_AT, crc32cOf(bytes.subarray(0, CRC2_AT)), true);
}

/** Seal only the 1.9.0-shared header (crc1), as a 1.9.0 image would carry it. */
export function sealSuperblockHeader(bytes: Uint8Array): void {
  viewOf(bytes).setUint32(CRC1_AT, crc32cOf(bytes.subarray(0, CRC1_AT)), true);
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
