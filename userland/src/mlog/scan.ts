/**
 * Opening an mlog: find its logical end and check every record before it,
 * the way upstream's mlog_read_and_validate() does, so that a log one side
 * writes opens the same on the other.
 *
 * Block i is valid when its magic is the mlog's uuid, its gen the mlog's
 * gen, and its pfsetid the cfsetid of block i-1 (0 for block 0). The first
 * block breaking that is the logical end of log. A failed flush may have
 * left blocks of this generation past the end; the scan goes on for up to
 * one flush set (1 MiB) past it and remembers the largest cfsetid seen, so
 * the next flush set id is above any of them and those leftovers can never
 * chain onto the log.
 */
import { ENODATA, asMpoolError, mlogError } from './errors.js';
import {
  LOG_RECORD_DESC_LEN,
  RecordType,
  headerCfsetid,
  headerLength,
  headerMatches,
  headerPfsetid,
  unpackDescriptor,
} from './format.js';
import { MLOG_PAGE_SIZE, type MlogGeometry, type MlogMedia } from './media.js';

export interface ScanResult {
  /** Valid blocks: where appending resumes. */
  readonly validBlocks: number;
  /** pfsetid for the first block of the next flush set. */
  readonly pfsetid: number;
  /** cfsetid for the next flush set. */
  readonly cfsetid: number;
  /** No valid block (upstream's test: the chain ended at flush set id 0). */
  readonly empty: boolean;
  readonly cstart: boolean;
  readonly cend: boolean;
}

interface RecordState {
  midrec: boolean;
  cstart: boolean;
  cend: boolean;
}

const OP = 'mlog open';

function corrupt(block: number, why: string): Error {
  return mlogError(ENODATA, OP, `log block ${block}: ${why}`);
}

/**
 * Check the records of one valid block. chunkStart is the first sector of
 * the 1 MiB read holding it: upstream accepts CSTART only as the first
 * record of a block of the first read, and so do we.
 */
function checkRecords(
  buf: Uint8Array,
  off: number,
  sectorSize: number,
  block: number,
  chunkStart: number,
  compaction: boolean,
  st: RecordState,
): void {
  let recoff = headerLength(buf, off);
  if (recoff < 0) throw corrupt(block, 'unknown log block header version');
  let recnum = 0;
  while (sectorSize - recoff >= LOG_RECORD_DESC_LEN) {
    const d = unpackDescriptor(buf, off + recoff);
    switch (d.rtype) {
      case RecordType.CSTART:
        if (!compaction || chunkStart !== 0 || recnum !== 0) throw corrupt(block, 'compaction start marker out of place');
        st.cstart = true;
        st.midrec = false;
        break;
      case RecordType.CEND:
        if (!compaction || !st.cstart || st.cend || st.midrec) throw corrupt(block, 'compaction end marker out of place');
        st.cend = true;
        break;
      case RecordType.EOLB:
        if (st.midrec || recnum === 0) throw corrupt(block, 'end of block marker out of place');
        return;
      case RecordType.DATAFULL:
        // Mid-record only as the first record of a block: the record before was torn.
        if (st.midrec && recnum !== 0) throw corrupt(block, 'whole record inside another record');
        st.midrec = false;
        break;
      case RecordType.DATAFIRST:
        if (st.midrec && recnum !== 0) throw corrupt(block, 'record start inside another record');
        st.midrec = true;
        break;
      case RecordType.DATAMID:
        if (!st.midrec) throw corrupt(block, 'record middle outside a record');
        break;
      case RecordType.DATALAST:
        if (!st.midrec) throw corrupt(block, 'record end outside a record');
        st.midrec = false;
        break;
      default:
        throw corrupt(block, `unknown record type ${d.rtype}`);
    }
    recnum += 1;
    recoff += LOG_RECORD_DESC_LEN + d.rlen;
    // Stricter than upstream, which stops silently: a writer never lets a chunk cross its block.
    if (recoff > sectorSize) throw corrupt(block, 'record runs past the end of its block');
  }
}

export function scanLog(media: MlogMedia, geo: MlogGeometry, compaction: boolean): ScanResult {
  const s = geo.sectorSize;
  const uuid = media.uuid;
  const gen = media.gen;
  const st: RecordState = { midrec: false, cstart: false, cend: false };
  const chunk = new Uint8Array(Math.min(geo.sectorsPerFlush, geo.totalSectors) * s);

  let valid = 0;
  let fsetidmax = 0;
  let pfsetid = 0;
  let leol = -1;
  let start = 0;
  let remaining = geo.totalSectors;

  while (remaining > 0) {
    const n = Math.min(geo.sectorsPerFlush, remaining);
    const bytes = Math.ceil((n * s) / MLOG_PAGE_SIZE) * MLOG_PAGE_SIZE;
    const buf = chunk.subarray(0, bytes);
    try {
      media.read(start * s, buf);
    } catch (e) {
      throw asMpoolError(e, OP);
    }
    for (let i = 0; i < n; i++) {
      const sector = start + i;
      const off = i * s;
      const ours = headerMatches(buf, off, uuid, gen);
      if (leol < 0 && ours && headerPfsetid(buf, off) === fsetidmax) {
        fsetidmax = headerCfsetid(buf, off);
        checkRecords(buf, off, s, sector, start, compaction, st);
        valid += 1;
        continue;
      }
      if (leol < 0) {
        leol = sector;
        pfsetid = fsetidmax;
      }
      if (ours) fsetidmax = Math.max(fsetidmax, headerCfsetid(buf, off));
    }
    remaining -= n;
    const end = start + n;
    // Past the end, a failed flush reached at most one flush set further.
    if (leol >= 0) remaining = Math.min(remaining, geo.sectorsPerFlush - (end - leol));
    start = end;
  }
  if (leol < 0) pfsetid = fsetidmax;
  return {
    validBlocks: valid,
    pfsetid,
    cfsetid: (fsetidmax + 1) >>> 0,
    empty: pfsetid === 0,
    cstart: st.cstart,
    cend: st.cend,
  };
}
