/**
 * Reading (and resealing) a pool's metadata logs from the disk, for the
 * tests that damage or fence them (docs/format.md, "Metadata logs"): block
 * and record checksums, the records of a block, a log's valid blocks, and
 * where MDC-1..N live according to MDC-0.
 *
 * The block and record headers come from the generated codecs. The MDC
 * record's payload (index u16, 6 bytes zero, log A first zone u64, log A
 * zones u32, log B zones u32, log B first zone u64, device uuid) is read at
 * the offsets docs/format.md gives: the header that would generate it is
 * kernel-private (kmod/omf.c, struct omf_rec_mdc).
 */
import { LAYOUT, OMF_BLK_MAGIC, OMF_BLK_SIZE, OMF_REC_ALIGN, OMF_REC_MDC, OmfBlkHdr, OmfRecHdr } from '../../userland/src/gen/omf.js';
import { crc32cOf, parseSuperblock, SB_AREA } from '../../userland/src/lib/superblock.js';
import { readAt } from './pools/fixtures.js';

export const BLK = OMF_BLK_SIZE;
export const HDR = OmfBlkHdr.size;
export const REC = OmfRecHdr.size;
/** The block header's fields, where the compiler put them. */
export const BLK_FIELDS = LAYOUT.omf_blk_hdr.fields;
const CRC_AT = BLK_FIELDS.crc.offset;
const PREV_CRC_AT = BLK_FIELDS.prev_crc.offset;
const POOLID = LAYOUT.omf_sb.fields.poolid;

export const align = (n: number): number => Math.ceil(n / OMF_REC_ALIGN) * OMF_REC_ALIGN;
export const dvOf = (b: Buffer): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** CRC32C of a block with its crc field zero. */
export function blockCrc(blk: Buffer): number {
  const copy = Buffer.from(blk);
  copy.writeUInt32LE(0, CRC_AT);
  return crc32cOf(copy);
}

/** CRC32C of a record's type and length, then its payload. */
export function recordCrc(blk: Buffer, at: number, len: number): number {
  return crc32cOf(Buffer.concat([blk.subarray(at, at + 4), blk.subarray(at + REC, at + REC + len)]));
}

export interface RecordRef {
  at: number;
  type: number;
  len: number;
}

/** Records of one block: their offsets, types and payload lengths, up to the end marker or the bytes used. */
export function records(blk: Buffer): RecordRef[] {
  const used = OmfBlkHdr.decode(dvOf(blk), 0).used;
  const out: RecordRef[] = [];
  for (let at = HDR; at + REC <= Math.min(BLK, HDR + used); ) {
    const h = OmfRecHdr.decode(dvOf(blk), at);
    if (h.type === 0 || at + REC + h.len > BLK) break;
    out.push({ at, type: h.type, len: h.len });
    at += REC + align(h.len);
  }
  return out;
}

/** Reseal blocks from..: each block's CRC, and each next block's link to it. */
export function reseal(blocks: Buffer[], from: number): void {
  for (let i = from; i < blocks.length; i++) {
    if (i > 0) blocks[i]!.writeUInt32LE(blocks[i - 1]!.readUInt32LE(CRC_AT), PREV_CRC_AT);
    blocks[i]!.writeUInt32LE(blockCrc(blocks[i]!), CRC_AT);
  }
}

/** The geometry and identity of a pool, from its first device's superblock. */
export function poolGeometry(disk: string): { zoneBytes: number; zoneCount: number; poolid: Buffer; mdc0: { a: number; b: number } | null } {
  const area = readAt(disk, 0, SB_AREA);
  const r = parseSuperblock(area);
  if (!r.ok) throw new Error(`${disk}: the superblock does not parse: ${r.message}`);
  const zoneBytes = r.sb.zonePages * 4096;
  const mdc0 = r.sb.mdc0 ? { a: Number(r.sb.mdc0.a.zone) * zoneBytes, b: Number(r.sb.mdc0.b.zone) * zoneBytes } : null;
  return { zoneBytes, zoneCount: r.sb.zoneCount, poolid: Buffer.from(area.subarray(POOLID.offset, POOLID.offset + POOLID.size)), mdc0 };
}

/** The valid blocks of the log starting at byte `start`, reading at most `maxBytes`. */
export function validBlocks(disk: string, start: number, maxBytes: number): Buffer[] {
  const head = readAt(disk, start, maxBytes);
  const out: Buffer[] = [];
  let prev = 0;
  for (let i = 0; (i + 1) * BLK <= head.length; i++) {
    const b = head.subarray(i * BLK, (i + 1) * BLK);
    const x = OmfBlkHdr.decode(dvOf(b), 0);
    if (x.magic !== OMF_BLK_MAGIC || x.index !== BigInt(i) || x.prev_crc !== prev || x.crc !== blockCrc(b)) break;
    prev = x.crc;
    out.push(Buffer.from(b));
  }
  return out;
}

export interface MdcLocation {
  index: number;
  /** Byte offsets of logs A and B on the device, and their sizes. */
  a: { start: number; bytes: number };
  b: { start: number; bytes: number };
}

/** Where MDC-1..N live: the MDC records of MDC-0's active log (the later record of an index wins). */
export function mdcLocations(disk: string): MdcLocation[] {
  const g = poolGeometry(disk);
  if (g.mdc0 === null) throw new Error(`${disk} does not hold MDC-0`);
  const logs = [g.mdc0.a, g.mdc0.b].map((start) => validBlocks(disk, start, Math.min(g.zoneBytes, 4 << 20)));
  const gen = (l: Buffer[]): bigint => (l.length > 0 ? OmfBlkHdr.decode(dvOf(l[0]!), 0).gen : -1n);
  const active = gen(logs[0]!) >= gen(logs[1]!) ? logs[0]! : logs[1]!;
  const found = new Map<number, MdcLocation>();
  for (const blk of active) {
    for (const r of records(blk)) {
      if (r.type !== OMF_REC_MDC) continue;
      const p = r.at + REC;
      const index = blk.readUInt16LE(p);
      found.set(index, {
        index,
        a: { start: Number(blk.readBigUInt64LE(p + 8)) * g.zoneBytes, bytes: blk.readUInt32LE(p + 16) * g.zoneBytes },
        b: { start: Number(blk.readBigUInt64LE(p + 24)) * g.zoneBytes, bytes: blk.readUInt32LE(p + 20) * g.zoneBytes },
      });
    }
  }
  return [...found.values()].sort((x, y) => x.index - y.index);
}
