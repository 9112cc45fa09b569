/**
 * The on-media format of an mlog, as mpool 1.9.0 defines it (drivers/mpool
 * omf.h: the log block header and record descriptor layouts and the record
 * types). Pure: DataView, little-endian, no I/O.
 *
 * An mlog is a run of log blocks; a log block is one device sector. Each
 * block starts with a 40-byte header, followed back to back by records, each
 * an 8-byte descriptor and its payload. The unused tail of a block is zero,
 * so an all-zero descriptor (type EOLB) reads as "nothing more here".
 *
 *   header, 40 bytes           descriptor, 8 bytes
 *   +0  u16 version (1)        +0 u32 tlen   logical length of the whole record
 *   +2  u8[16] magic (uuid)    +4 u16 rlen   bytes of payload in this chunk
 *   +18 u8[6] pad (zero)       +6 u8  rtype  RecordType
 *   +24 u32 pfsetid            +7 u8  pad (zero)
 *   +28 u32 cfsetid
 *   +32 u64 gen
 */

/** The only log block header version mpool 1.9.0 writes or reads. */
export const LOG_BLOCK_VERSION = 1;
/** Bytes of a log block header. */
export const LOG_BLOCK_HEADER_LEN = 40;
/** Bytes of a record descriptor. */
export const LOG_RECORD_DESC_LEN = 8;
/** The largest payload one descriptor can describe (rlen is a u16). */
export const LOG_RECORD_RLEN_MAX = 0xffff;
/** Bytes of an mlog uuid, the magic of its blocks. */
export const MLOG_UUID_LEN = 16;

/** Record types (enum logrec_type_omf). */
export const RecordType = {
  /** End of log block: the rest of the block is the zero trailer. */
  EOLB: 0,
  /** A whole data record. */
  DATAFULL: 1,
  /** The first chunk of a data record that continues in the next block(s). */
  DATAFIRST: 2,
  /** An interior chunk. */
  DATAMID: 3,
  /** The final chunk. */
  DATALAST: 4,
  /** Compaction start marker. */
  CSTART: 5,
  /** Compaction end marker. */
  CEND: 6,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** The largest valid record type: anything above is corruption. */
export const RECORD_TYPE_MAX = RecordType.CEND;

export interface LogBlockHeader {
  readonly version: number;
  /** The mlog's uuid, 16 bytes. */
  readonly magic: Uint8Array;
  /** Flush set id of the block before this one (0 for block 0). */
  readonly pfsetid: number;
  /** Flush set id of the write that produced this block. */
  readonly cfsetid: number;
  /** Generation of the mlog when the block was written. */
  readonly gen: bigint;
}

export interface RecordDescriptor {
  readonly tlen: number;
  readonly rlen: number;
  readonly rtype: number;
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${name}: ${v} is not a u32`);
}

/** Writes a whole header (pad bytes zeroed) at buf[off]. */
export function packHeader(h: LogBlockHeader, buf: Uint8Array, off = 0): void {
  if (h.version !== LOG_BLOCK_VERSION) throw new RangeError(`log block version ${h.version}: only ${LOG_BLOCK_VERSION} exists`);
  if (h.magic.length !== MLOG_UUID_LEN) throw new RangeError(`log block magic: ${h.magic.length} bytes, expected ${MLOG_UUID_LEN}`);
  checkU32('pfsetid', h.pfsetid);
  checkU32('cfsetid', h.cfsetid);
  if (h.gen < 0n || h.gen > 0xffffffffffffffffn) throw new RangeError(`gen: ${h.gen} is not a u64`);
  const dv = view(buf);
  dv.setUint16(off, h.version, true);
  buf.set(h.magic, off + 2);
  buf.fill(0, off + 18, off + 24);
  dv.setUint32(off + 24, h.pfsetid, true);
  dv.setUint32(off + 28, h.cfsetid, true);
  dv.setBigUint64(off + 32, h.gen, true);
}

export function unpackHeader(buf: Uint8Array, off = 0): LogBlockHeader {
  const dv = view(buf);
  return {
    version: dv.getUint16(off, true),
    magic: buf.slice(off + 2, off + 18),
    pfsetid: dv.getUint32(off + 24, true),
    cfsetid: dv.getUint32(off + 28, true),
    gen: dv.getBigUint64(off + 32, true),
  };
}

/** Where the records of a block start, or -1 when its header version is unknown. */
export function headerLength(buf: Uint8Array, off = 0): number {
  return view(buf).getUint16(off, true) === LOG_BLOCK_VERSION ? LOG_BLOCK_HEADER_LEN : -1;
}

/** True when the header at buf[off] carries this magic and generation. */
export function headerMatches(buf: Uint8Array, off: number, uuid: Uint8Array, gen: bigint): boolean {
  for (let i = 0; i < MLOG_UUID_LEN; i++) if (buf[off + 2 + i] !== uuid[i]) return false;
  return view(buf).getBigUint64(off + 32, true) === gen;
}

export function headerPfsetid(buf: Uint8Array, off: number): number {
  return view(buf).getUint32(off + 24, true);
}

export function headerCfsetid(buf: Uint8Array, off: number): number {
  return view(buf).getUint32(off + 28, true);
}

/** Writes a descriptor (pad byte zeroed) at buf[off]. */
export function packDescriptor(d: RecordDescriptor, buf: Uint8Array, off: number): void {
  checkU32('tlen', d.tlen);
  if (!Number.isInteger(d.rlen) || d.rlen < 0 || d.rlen > LOG_RECORD_RLEN_MAX) throw new RangeError(`rlen: ${d.rlen} is not a u16`);
  if (!Number.isInteger(d.rtype) || d.rtype < 0 || d.rtype > RECORD_TYPE_MAX) throw new RangeError(`rtype: ${d.rtype} is not a record type`);
  putDescriptor(view(buf), off, d.tlen, d.rlen, d.rtype);
}

/**
 * packDescriptor() without its checks or allocations, through a DataView the
 * caller keeps over its buffer: for the append path, whose fields are
 * already known to fit (tlen a u32, rlen a u16, rtype a RecordType).
 */
export function putDescriptor(dv: DataView, off: number, tlen: number, rlen: number, rtype: number): void {
  dv.setUint32(off, tlen, true);
  dv.setUint16(off + 4, rlen, true);
  dv.setUint8(off + 6, rtype);
  dv.setUint8(off + 7, 0);
}

/**
 * The two flush set ids of a header already packed at `off` (every other
 * field of the header stays as it is).
 */
export function putHeaderSetIds(dv: DataView, off: number, pfsetid: number, cfsetid: number): void {
  dv.setUint32(off + 24, pfsetid, true);
  dv.setUint32(off + 28, cfsetid, true);
}

export function unpackDescriptor(buf: Uint8Array, off: number): RecordDescriptor {
  const dv = view(buf);
  return { tlen: dv.getUint32(off, true), rlen: dv.getUint16(off + 4, true), rtype: buf[off + 6] ?? 0 };
}

/** DATAFULL, DATAFIRST, DATAMID or DATALAST. */
export function isDataRecord(rtype: number): boolean {
  return rtype >= RecordType.DATAFULL && rtype <= RecordType.DATALAST;
}
