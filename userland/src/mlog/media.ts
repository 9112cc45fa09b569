/**
 * The page device an mlog is framed on, and its geometry. The kernel side
 * (MPIOC_MLOG_READ/WRITE for pages, MPIOC_MLOG_FIND/PROPS for uuid, gen,
 * capacity and sector size) implements MlogMedia; host tests use the
 * in-memory one (memory.ts).
 */
import { EINVAL, mlogError } from './errors.js';
import { LOG_BLOCK_HEADER_LEN, LOG_RECORD_DESC_LEN, MLOG_UUID_LEN } from './format.js';

/** The unit of every read and write: the kernel takes whole, aligned 4 KiB pages. */
export const MLOG_PAGE_SIZE = 4096;
/** The most a flush writes, and the most one read fetches: 1 MiB (upstream's append/read buffers). */
export const MLOG_FLUSH_MAX = 1 << 20;
/** Sector sizes mpool supports for log blocks. */
export const MLOG_SECTOR_SIZES: readonly number[] = [512, 4096];

/**
 * Raw page I/O on one mlog. Offsets and lengths of read and write are
 * multiples of MLOG_PAGE_SIZE, at most MLOG_FLUSH_MAX, within capacity.
 * A failed call throws (an MpoolError carrying errno, ideally).
 */
export interface MlogMedia {
  /** Bytes per log block: the device sector size, 512 or 4096. */
  readonly sectorSize: number;
  /** Bytes of the mlog; a multiple of MLOG_PAGE_SIZE. */
  readonly capacity: number;
  /** The mlog's uuid: the magic of every log block it writes. */
  readonly uuid: Uint8Array;
  /** The mlog's generation, as the kernel reports it; MLOG_ERASE raises it. */
  readonly gen: bigint;
  read(off: number, buf: Uint8Array): void;
  write(off: number, buf: Uint8Array): void;
  /**
   * Memory for the append buffer that write() takes without a copy (the
   * kernel's mlogs: whole aligned pages); a plain Uint8Array if absent.
   */
  allocBuffer?(length: number): Uint8Array;
}

/** The numbers the framing derives from a medium. */
export interface MlogGeometry {
  readonly sectorSize: number;
  readonly totalSectors: number;
  readonly sectorsPerPage: number;
  /** Sectors in MLOG_FLUSH_MAX: the most one flush set or one read covers. */
  readonly sectorsPerFlush: number;
}

export function geometryOf(media: MlogMedia): MlogGeometry {
  const { sectorSize: s, capacity } = media;
  if (!MLOG_SECTOR_SIZES.includes(s)) throw mlogError(EINVAL, 'mlog open', `sector size ${s}: only 512 and 4096 are supported`);
  if (!Number.isSafeInteger(capacity) || capacity <= 0 || capacity % MLOG_PAGE_SIZE !== 0)
    throw mlogError(EINVAL, 'mlog open', `capacity ${capacity}: not a positive multiple of ${MLOG_PAGE_SIZE}`);
  if (media.uuid.length !== MLOG_UUID_LEN) throw mlogError(EINVAL, 'mlog open', `uuid of ${media.uuid.length} bytes`);
  if (media.gen < 0n || media.gen > 0xffffffffffffffffn) throw mlogError(EINVAL, 'mlog open', `generation ${media.gen}`);
  return {
    sectorSize: s,
    totalSectors: capacity / s,
    sectorsPerPage: MLOG_PAGE_SIZE / s,
    sectorsPerFlush: MLOG_FLUSH_MAX / s,
  };
}

/** Payload bytes one log block holds when a single record chunk fills it. */
export function blockPayloadMax(sectorSize: number): number {
  return sectorSize - LOG_BLOCK_HEADER_LEN - LOG_RECORD_DESC_LEN;
}

/** The largest record an empty mlog of this geometry takes (upstream's mlog_append_dmax on an empty log). */
export function maxRecordLength(geo: MlogGeometry): number {
  return geo.totalSectors * blockPayloadMax(geo.sectorSize);
}

/**
 * The same medium seen at another generation: what the framing needs after
 * MLOG_ERASE when the binding's media object keeps the old gen.
 */
export function withGeneration(media: MlogMedia, gen: bigint): MlogMedia {
  return {
    sectorSize: media.sectorSize,
    capacity: media.capacity,
    uuid: media.uuid,
    gen,
    read: (off, buf) => media.read(off, buf),
    write: (off, buf) => media.write(off, buf),
  };
}
