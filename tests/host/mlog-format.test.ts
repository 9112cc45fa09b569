/**
 * The mlog byte format, pinned: the codec, and golden bytes of the log
 * blocks our writer produces, derived by hand from upstream mpool 1.9.0
 * (the seed patch series, drivers/mpool/omf.h, omf.c, mlog_utils.c, mlog.c).
 */
import { describe, expect, it } from 'vitest';
import { Mlog } from '../../userland/src/mlog/framing.js';
import {
  LOG_BLOCK_HEADER_LEN,
  LOG_RECORD_DESC_LEN,
  RecordType,
  headerLength,
  packDescriptor,
  packHeader,
  unpackDescriptor,
  unpackHeader,
} from '../../userland/src/mlog/format.js';
import { MemoryMlogMedia } from '../../userland/src/mlog/memory.js';

const UUID = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);
const GEN = 7n;

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Sector n of the media as hex, with its all-zero tail checked and cut off at `end`. */
function sectorHead(media: MemoryMlogMedia, n: number, end: number): string {
  const s = media.sector(n);
  expect(s.subarray(end).every((b) => b === 0)).toBe(true);
  return hex(s.subarray(0, end));
}

describe('mlog codec', () => {
  it('has upstream sizes and record types', () => {
    // sizeof(struct logblock_header_omf) = 2 + 16 + 6 + 4 + 4 + 8; sizeof(struct logrec_descriptor_omf) = 4 + 2 + 1 + 1.
    expect(LOG_BLOCK_HEADER_LEN).toBe(40);
    expect(LOG_RECORD_DESC_LEN).toBe(8);
    expect(RecordType).toEqual({ EOLB: 0, DATAFULL: 1, DATAFIRST: 2, DATAMID: 3, DATALAST: 4, CSTART: 5, CEND: 6 });
  });

  it('round-trips a header and a descriptor, little-endian', () => {
    const buf = new Uint8Array(64).fill(0xee);
    packHeader({ version: 1, magic: UUID, pfsetid: 0x01020304, cfsetid: 0xfffffffe, gen: 0x1122334455667788n }, buf, 8);
    expect(hex(buf.subarray(8, 48))).toBe(
      '0100' + hex(UUID) + '000000000000' + '04030201' + 'feffffff' + '8877665544332211',
    );
    expect(unpackHeader(buf, 8)).toEqual({
      version: 1,
      magic: UUID,
      pfsetid: 0x01020304,
      cfsetid: 0xfffffffe,
      gen: 0x1122334455667788n,
    });
    expect(headerLength(buf, 8)).toBe(40);
    buf[8] = 2;
    expect(headerLength(buf, 8)).toBe(-1);

    packDescriptor({ tlen: 70000, rlen: 65535, rtype: RecordType.DATAMID }, buf, 0);
    expect(hex(buf.subarray(0, 8))).toBe('70110100' + 'ffff' + '03' + '00');
    expect(unpackDescriptor(buf, 0)).toEqual({ tlen: 70000, rlen: 65535, rtype: 3 });
  });

  it('refuses what upstream cannot represent', () => {
    const buf = new Uint8Array(64);
    expect(() => packHeader({ version: 2, magic: UUID, pfsetid: 0, cfsetid: 1, gen: 0n }, buf)).toThrow(/version/);
    expect(() => packHeader({ version: 1, magic: new Uint8Array(15), pfsetid: 0, cfsetid: 1, gen: 0n }, buf)).toThrow(/magic/);
    expect(() => packDescriptor({ tlen: 1, rlen: 65536, rtype: 1 }, buf, 0)).toThrow(/rlen/);
    expect(() => packDescriptor({ tlen: 1, rlen: 1, rtype: 7 }, buf, 0)).toThrow(/rtype/);
    expect(() => packDescriptor({ tlen: 2 ** 32, rlen: 1, rtype: 1 }, buf, 0)).toThrow(/tlen/);
  });
});

/*
 * Golden bytes. How upstream lays the first record into a fresh mlog whose
 * blocks are 4096-byte sectors (uuid 10..1f, generation 7):
 *
 * - mlog_open() -> mlog_read_and_validate(): block 0 has no header with our
 *   magic, so the logical end is block 0; the flush set ids start at
 *   pfsetid 0 (the chain value before any block) and cfsetid 0 + 1 = 1.
 *   mlog_stat_init_common() puts the append offset just past the header, 40.
 * - mlog_append_data() -> mlog_append_data_internal(): the record fits in
 *   the block (at most 4096 - 40 - 8 = 4048 bytes fit), so one descriptor
 *   of type DATAFULL with tlen = rlen = 5 is packed at byte 40 by
 *   omf_logrec_desc_pack_htole() (u32 tlen, u16 rlen, u8 rtype, pad left 0),
 *   and the 5 payload bytes follow at 48.
 * - sync, so mlog_logblocks_flush(): mlog_logblocks_hdrpack() packs the
 *   header of every block of the flush set with
 *   omf_logblock_header_pack_htole(): u16 version 1, the 16 magic bytes,
 *   6 pad bytes never written (zero: the append page comes from
 *   get_zeroed_page()), u32 pfsetid 0 (first block of the set), u32 cfsetid
 *   1, u64 gen 7. The whole zeroed page is written, so everything after the
 *   payload is zero: that zero tail is the EOLB marker and trailer.
 * - mlog_flush_posthdlr(): a single, not full block was written, so the
 *   next flush set keeps pfsetid 0 and cfsetid becomes 2; the block stays in
 *   the append buffer and the next flush rewrites it in place.
 */
describe('golden log blocks (4096-byte sectors)', () => {
  const header = (pf: string, cf: string): string => '0100' + hex(UUID) + '000000000000' + pf + cf + '0700000000000000';

  it('one small record in a fresh block', () => {
    const media = new MemoryMlogMedia({ uuid: UUID, gen: GEN, capacity: 16 * 4096 });
    const log = Mlog.open(media);
    log.append(new TextEncoder().encode('mpool'), true);

    expect(media.writes.map((w) => [w.off, w.data.length])).toEqual([[0, 4096]]);
    expect(sectorHead(media, 0, 53)).toBe(
      header('00000000', '01000000') +
        '05000000' + '0500' + '01' + '00' + // tlen 5, rlen 5, DATAFULL, pad
        hex(new TextEncoder().encode('mpool')),
    );
    expect(log.length).toBe(53);
  });

  it('a second flush rewrites the block: same pfsetid, next cfsetid', () => {
    const media = new MemoryMlogMedia({ uuid: UUID, gen: GEN, capacity: 16 * 4096 });
    const log = Mlog.open(media);
    log.append(new TextEncoder().encode('mpool'), true);
    log.append(Uint8Array.of(0x78), true);

    expect(media.writes.map((w) => [w.off, w.data.length])).toEqual([
      [0, 4096],
      [0, 4096],
    ]);
    expect(sectorHead(media, 0, 62)).toBe(
      header('00000000', '02000000') + '050000000500' + '0100' + '6d706f6f6c' + '010000000100' + '0100' + '78',
    );
  });

  /*
   * A record larger than one block: mlog_append_data_internal() fills block 0
   * with a DATAFIRST chunk of 4048 bytes (aoff reaches 4096), then
   * mlog_update_append_idx() moves to block 1 (no room for a descriptor), where
   * the DATALAST chunk carries the other 52 bytes; both descriptors repeat
   * tlen 4100. mlog_logblocks_hdrpack() gives block 0 pfsetid 0 and block 1
   * pfsetid = cfsetid = 1 (the set chains to itself after its first block).
   */
  it('a record over two blocks', () => {
    const media = new MemoryMlogMedia({ uuid: UUID, gen: GEN, capacity: 16 * 4096 });
    const log = Mlog.open(media);
    const rec = Uint8Array.from({ length: 4100 }, (_, i) => i & 0xff);
    log.append(rec, true);

    expect(media.writes.map((w) => [w.off, w.data.length])).toEqual([[0, 8192]]);
    const b0 = media.sector(0);
    expect(hex(b0.subarray(0, 48))).toBe(header('00000000', '01000000') + '04100000' + 'd00f' + '02' + '00');
    expect(b0.subarray(48)).toEqual(rec.subarray(0, 4048));
    expect(sectorHead(media, 1, 100)).toBe(
      header('01000000', '01000000') + '04100000' + '3400' + '04' + '00' + hex(rec.subarray(4048)),
    );
    // Next flush set: pfsetid 1 (block 0's set spanned two blocks), cfsetid 2, resuming in block 1.
    log.append(Uint8Array.of(1, 2, 3), true);
    expect(hex(media.sector(1).subarray(24, 32))).toBe('01000000' + '02000000');
    expect(log.length).toBe(4096 + 111);
  });

  /*
   * mlog_append_cstart() / mlog_append_cend() -> mlog_append_marker(): a
   * descriptor with tlen 0, rlen 0 and the marker type, flushed at once.
   */
  it('compaction markers', () => {
    const media = new MemoryMlogMedia({ uuid: UUID, gen: GEN, capacity: 16 * 4096 });
    const log = Mlog.open(media, { compaction: true });
    log.appendCstart();
    expect(sectorHead(media, 0, 48)).toBe(header('00000000', '01000000') + '00000000' + '0000' + '05' + '00');
    log.appendCend();
    expect(sectorHead(media, 0, 56)).toBe(header('00000000', '02000000') + '000000000000' + '0500' + '000000000000' + '0600');
  });
});

/*
 * 512-byte sectors: a log block is a sector, but the kernel takes whole
 * pages. mlog_flush_abuf() writes whole 4 KiB pages from the page holding the
 * flush set; blocks past the last one are zero in the buffer.
 */
describe('golden log blocks (512-byte sectors)', () => {
  it('a 500-byte record: DATAFIRST 464 bytes, DATALAST 36 bytes, one page written', () => {
    const media = new MemoryMlogMedia({ uuid: UUID, gen: GEN, capacity: 16 * 4096, sectorSize: 512 });
    const log = Mlog.open(media);
    const rec = Uint8Array.from({ length: 500 }, (_, i) => (i * 7) & 0xff);
    log.append(rec, true);
    expect(media.writes.map((w) => [w.off, w.data.length])).toEqual([[0, 4096]]);
    const s0 = media.sector(0);
    expect(hex(s0.subarray(0, 48))).toBe(
      '0100' + hex(UUID) + '000000000000' + '00000000' + '01000000' + '0700000000000000' + 'f4010000' + 'd001' + '02' + '00',
    );
    expect(s0.subarray(48)).toEqual(rec.subarray(0, 464));
    const s1 = media.sector(1);
    expect(hex(s1.subarray(0, 48))).toBe(
      '0100' + hex(UUID) + '000000000000' + '01000000' + '01000000' + '0700000000000000' + 'f4010000' + '2400' + '04' + '00',
    );
    expect(s1.subarray(48, 84)).toEqual(rec.subarray(464));
    expect(s1.subarray(84).every((b) => b === 0)).toBe(true);
    for (let n = 2; n < 8; n++) expect(media.sector(n).every((b) => b === 0)).toBe(true);
  });
});
