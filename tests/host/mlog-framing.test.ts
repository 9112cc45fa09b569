/** mlog record framing over an in-memory page device: round trips, flush sets, recovery. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Mlog } from '../../userland/src/mlog/framing.js';
import { LOG_BLOCK_HEADER_LEN, RecordType, packDescriptor, packHeader, unpackHeader } from '../../userland/src/mlog/format.js';
import { withGeneration } from '../../userland/src/mlog/media.js';
import { MemoryMlogMedia } from '../../userland/src/mlog/memory.js';
import { errorOf } from '../expect-error.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Deterministic bytes for record n. */
function record(n: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  let x = (n * 2654435761) >>> 0;
  for (let i = 0; i < len; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Records as "length:sha1": big byte arrays compare fast and print short. */
function digests(recs: readonly Uint8Array[]): string[] {
  return recs.map((r) => `${r.length}:${createHash('sha1').update(r).digest('hex').slice(0, 16)}`);
}

function readAll(log: Mlog): Uint8Array[] {
  log.rewind();
  const out: Uint8Array[] = [];
  for (let r = log.read(); r !== null; r = log.read()) out.push(r);
  return out;
}

function reopenAll(media: MemoryMlogMedia, compaction = false): Uint8Array[] {
  return readAll(Mlog.open(media, { compaction }));
}

describe.each([4096, 512])('round trips, %i-byte sectors', (sectorSize) => {
  const payload = sectorSize - 48;
  const sizes = [0, 1, 7, 8, payload, payload + 1, 2 * payload, 5000, 50_000, 300_000];

  it.each(sizes)('a record of %i bytes, alone in a fresh log', (len) => {
    const media = new MemoryMlogMedia({ sectorSize, capacity: MiB });
    const log = Mlog.open(media);
    const rec = record(len, len);
    log.append(rec, true);
    expect(digests(readAll(log))).toEqual(digests([rec]));
    expect(digests(reopenAll(media))).toEqual(digests([rec]));
  });

  it('all those sizes one after another, async, then closed', () => {
    const media = new MemoryMlogMedia({ sectorSize, capacity: 2 * MiB });
    const log = Mlog.open(media);
    const recs = sizes.map((len, i) => record(i, len));
    for (const r of recs) log.append(r);
    expect(digests(readAll(log))).toEqual(digests(recs));
    log.close();
    expect(digests(reopenAll(media))).toEqual(digests(recs));
  });

  it('the largest record an empty log takes, and not one byte more', () => {
    const capacity = 64 * KiB;
    const media = new MemoryMlogMedia({ sectorSize, capacity });
    const log = Mlog.open(media);
    const max = (capacity / sectorSize) * payload;
    expect(log.room).toBe(max);
    expect(log.maxRecordLength).toBe(max);
    expect(errorOf(() => log.append(new Uint8Array(max + 1))).code).toBe('EFBIG');
    const rec = record(1, max);
    log.append(rec, true);
    expect(log.room).toBe(-1);
    expect(errorOf(() => log.append(new Uint8Array(0))).code).toBe('EFBIG');
    expect(digests(reopenAll(media))).toEqual(digests([rec]));
  });

  it('many small records', () => {
    const media = new MemoryMlogMedia({ sectorSize, capacity: 2 * MiB });
    const log = Mlog.open(media);
    const recs = Array.from({ length: 20_000 }, (_, i) => record(i, i % 41));
    recs.forEach((r, i) => log.append(r, i % 997 === 0));
    log.flush();
    expect(digests(readAll(log))).toEqual(digests(recs));
    expect(digests(reopenAll(media))).toEqual(digests(recs));
  });

  it('reads while appending, across flushes and buffer wrap-arounds', () => {
    const media = new MemoryMlogMedia({ sectorSize, capacity: 4 * MiB });
    const log = Mlog.open(media);
    const recs: Uint8Array[] = [];
    let next = 0;
    for (let i = 0; i < 400; i++) {
      const r = record(i, (i * 977) % 9000);
      recs.push(r);
      log.append(r, i % 3 === 0);
      if (i % 5 === 4) {
        const got = log.read();
        expect(got && digests([got])).toEqual(digests(recs.slice(next, next + 1)));
        next += 1;
      }
    }
    expect(digests(readAll(log))).toEqual(digests(recs));
    expect(digests(reopenAll(media))).toEqual(digests(recs));
  });

  it('flushes on its own when the 1 MiB buffer fills, in whole aligned pages', () => {
    const media = new MemoryMlogMedia({ sectorSize, capacity: 4 * MiB });
    const log = Mlog.open(media);
    const recs = Array.from({ length: 300 }, (_, i) => record(i, 10_000));
    for (const r of recs) log.append(r);
    expect(media.writes.length).toBeGreaterThan(1);
    for (const w of media.writes) {
      expect(w.off % 4096).toBe(0);
      expect(w.data.length % 4096).toBe(0);
      expect(w.data.length).toBeLessThanOrEqual(MiB);
    }
    // A second reader sees a prefix: exactly the records wholly flushed.
    const seen = reopenAll(media);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(recs.length);
    expect(digests(seen)).toEqual(digests(recs.slice(0, seen.length)));
    log.close();
    expect(digests(reopenAll(media))).toEqual(digests(recs));
  });

  it('a record larger than the 1 MiB append buffer, across flush sets', () => {
    const media = new MemoryMlogMedia({ sectorSize, capacity: 4 * MiB });
    const log = Mlog.open(media);
    const recs = [record(1, 100), record(2, 1.5 * MiB), record(3, 100)];
    for (const r of recs) log.append(r);
    expect(media.writes.length).toBeGreaterThan(0);
    expect(digests(readAll(log))).toEqual(digests(recs));
    log.flush();
    expect(digests(reopenAll(media))).toEqual(digests(recs));
  });

  it('reopen continues after the last valid block; the partial block is not reused', () => {
    const media = new MemoryMlogMedia({ sectorSize, capacity: MiB });
    let log = Mlog.open(media);
    log.append(record(1, 10), true);
    expect(log.length).toBe(LOG_BLOCK_HEADER_LEN + 8 + 10);
    log.close();
    log = Mlog.open(media);
    expect(log.length).toBe(sectorSize + LOG_BLOCK_HEADER_LEN);
    expect(log.empty).toBe(false);
    log.append(record(2, 20), true);
    // Block 1 chains to block 0: pfsetid = block 0's cfsetid; cfsetid above it.
    const h0 = unpackHeader(media.sector(0));
    const h1 = unpackHeader(media.sector(1));
    expect(h1.pfsetid).toBe(h0.cfsetid);
    expect(h1.cfsetid).toBe(h0.cfsetid + 1);
    log.append(record(3, 3 * sectorSize), true);
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 10), record(2, 20), record(3, 3 * sectorSize)]));
  });
});

describe('512-byte sectors after reopen', () => {
  it('the first append rewrites the page holding the resume block, earlier blocks unchanged', () => {
    const media = new MemoryMlogMedia({ sectorSize: 512, capacity: 64 * KiB });
    const log = Mlog.open(media);
    log.append(record(1, 600), true); // blocks 0, 1
    log.close();
    const before = media.bytes.slice(0, 1024);
    const log2 = Mlog.open(media);
    expect(log2.length).toBe(2 * 512 + LOG_BLOCK_HEADER_LEN);
    log2.append(record(2, 10), true);
    const w = media.writes.at(-1);
    expect(w && [w.off, w.data.length]).toEqual([0, 4096]);
    expect(media.bytes.subarray(0, 1024)).toEqual(before);
    expect(unpackHeader(media.sector(2))).toMatchObject({ pfsetid: unpackHeader(media.sector(1)).cfsetid });
    // A second page: blocks 8.. start a new page-aligned buffer.
    for (let i = 0; i < 10; i++) log2.append(record(3 + i, 300), i % 4 === 0);
    log2.close();
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 600), record(2, 10), ...Array.from({ length: 10 }, (_, i) => record(3 + i, 300))]));
  });
});

describe('sync and async appends', () => {
  it('async appends stay in memory until a flush; a new reader sees only what was flushed', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    log.append(record(1, 100), true);
    log.append(record(2, 100));
    log.append(record(3, 5000));
    expect(log.dirty).toBe(true);
    expect(media.writes.length).toBe(1);
    expect(digests(readAll(log))).toEqual(digests([record(1, 100), record(2, 100), record(3, 5000)]));
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 100)]));
    log.flush();
    expect(log.dirty).toBe(false);
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 100), record(2, 100), record(3, 5000)]));
    log.flush(); // nothing to do
    expect(media.writes.length).toBe(2);
  });

  it('a sync append carries the async ones before it', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    log.append(record(1, 10));
    log.append(record(2, 10));
    log.append(record(3, 10), true);
    expect(media.writes.length).toBe(1);
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 10), record(2, 10), record(3, 10)]));
  });

  it('appends a list of buffers as one record', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    log.append([record(1, 3000), new Uint8Array(0), record(2, 3000)], true);
    const expected = new Uint8Array(6000);
    expected.set(record(1, 3000));
    expected.set(record(2, 3000), 3000);
    expect(digests(reopenAll(media))).toEqual(digests([expected]));
  });

  it('close flushes; a closed log answers ENOENT', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    log.append(record(1, 10));
    log.close();
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 10)]));
    expect(errorOf(() => log.append(record(2, 1))).code).toBe('ENOENT');
    expect(errorOf(() => log.read()).code).toBe('ENOENT');
    log.close();
  });
});

describe('the upstream chunking quirk', () => {
  it('with exactly 8 bytes left in a block, a record starts with an empty DATAFIRST there', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    // 40 header + 8 + 4040 = 4088: a descriptor still fits, no payload does.
    log.append(record(1, 4040));
    log.append(record(2, 10), true);
    const b0 = media.sector(0);
    expect(Array.from(b0.subarray(4088))).toEqual([10, 0, 0, 0, 0, 0, RecordType.DATAFIRST, 0]);
    const b1 = media.sector(1);
    expect(Array.from(b1.subarray(40, 48))).toEqual([10, 0, 0, 0, 10, 0, RecordType.DATALAST, 0]);
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 4040), record(2, 10)]));
  });

  it('with fewer than 8 bytes left, the next record starts in the next block', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    log.append(record(1, 4043), true); // ends at 4091
    log.append(record(2, 10), true);
    expect(Array.from(media.sector(1).subarray(40, 48))).toEqual([10, 0, 0, 0, 10, 0, RecordType.DATAFULL, 0]);
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 4043), record(2, 10)]));
  });
});

describe('torn and failed flushes', () => {
  it('a last sector that never reached the media ends the log; earlier records are intact', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    log.append(record(1, 100), true);
    log.append(record(2, 100), true);
    log.append(record(3, 10_000), true); // blocks 0..2
    media.tearLastWrite(1);
    const log2 = Mlog.open(media);
    expect(digests(readAll(log2))).toEqual(digests([record(1, 100), record(2, 100)]));
    // Appending goes on at the torn block; the torn record is gone for good.
    log2.append(record(4, 50), true);
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 100), record(2, 100), record(4, 50)]));
  });

  it('a torn rewrite of a partial block leaves the previous version of it', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    log.append(record(1, 100), true);
    log.append(record(2, 100), true); // rewrites block 0
    media.tearLastWrite(1);
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 100)]));
  });

  it('a broken chain (wrong cfsetid) is the end of the log', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    log.append(record(1, 100), true);
    log.append(record(2, 9000), true); // blocks 0..2, one flush set
    const dv = new DataView(media.bytes.buffer);
    dv.setUint32(4096 + 28, 99, true); // block 1's cfsetid: block 2 no longer chains
    const log2 = Mlog.open(media);
    expect(digests(readAll(log2))).toEqual(digests([record(1, 100)]));
    expect(log2.length).toBe(2 * 4096 + LOG_BLOCK_HEADER_LEN);
  });

  it('leftovers of a failed flush past the end never chain onto later flushes', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    log.append(record(1, 100), true); // block 0, cfsetid 1
    log.append(record(2, 12_000), true); // blocks 0..3, cfsetid 2
    // The write of blocks 1..3 landed, block 0's rewrite did not: blocks 1..3 are stale.
    const last = media.writes.at(-1);
    if (!last) throw new Error('no write');
    media.bytes.set(last.before.subarray(0, 4096), 0);
    const log2 = Mlog.open(media);
    expect(digests(readAll(log2))).toEqual(digests([record(1, 100)]));
    // Next flush set id is above the leftovers' (2), so block 2 (pfsetid 2) cannot follow block 1.
    log2.append(record(3, 10), true);
    expect(unpackHeader(media.sector(1))).toMatchObject({ pfsetid: 1, cfsetid: 3 });
    expect(unpackHeader(media.sector(2))).toMatchObject({ pfsetid: 2, cfsetid: 2 });
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 100), record(3, 10)]));
  });

  it('a failed write loses what it carried, raises the flush set id, and the log goes on', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    log.append(record(1, 100), true);
    log.append(record(2, 100));
    media.faults.push('fail');
    const e = errorOf(() => log.append(record(3, 100), true));
    expect(e.code).toBe('EIO');
    expect(digests(readAll(log))).toEqual(digests([record(1, 100)]));
    log.append(record(4, 100), true);
    expect(unpackHeader(media.sector(0)).cfsetid).toBe(3);
    expect(digests(readAll(log))).toEqual(digests([record(1, 100), record(4, 100)]));
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 100), record(4, 100)]));
  });

  it('a record torn in the middle of a multi-block flush is dropped when a new one starts after it', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    log.append(record(1, 6000), true); // blocks 0, 1
    log.append(record(2, 20_000), true); // blocks 1..6
    media.tearLastWrite(2); // blocks 5, 6 lost: record 2 has no end
    const log2 = Mlog.open(media);
    expect(digests(readAll(log2))).toEqual(digests([record(1, 6000)]));
    log2.append(record(3, 30), true); // block 5 starts with DATAFULL after an unfinished record
    expect(digests(reopenAll(media))).toEqual(digests([record(1, 6000), record(3, 30)]));
  });
});

describe('generations', () => {
  it('blocks of an older generation are ignored', () => {
    const media = new MemoryMlogMedia({ gen: 4n });
    const log = Mlog.open(media);
    for (let i = 0; i < 50; i++) log.append(record(i, 500), true);
    expect(media.erase(0n)).toBe(5n);
    expect(Mlog.open(media).empty).toBe(true);
    const fresh = Mlog.openErased(media);
    expect(fresh.gen).toBe(5n);
    fresh.append(record(99, 10), true);
    expect(digests(reopenAll(media))).toEqual(digests([record(99, 10)]));
  });

  it('erase honours the minimum generation; withGeneration views a medium at another one', () => {
    const media = new MemoryMlogMedia();
    Mlog.open(media).append(record(1, 10), true);
    expect(media.erase(10n)).toBe(10n);
    expect(Mlog.open(withGeneration(media, 0n)).read()).toEqual(record(1, 10));
    expect(Mlog.open(media).read()).toBeNull();
  });

  it.each(['zero', 'ones'] as const)('a discarded log reading as %s is empty', (pattern) => {
    const media = new MemoryMlogMedia();
    Mlog.open(media).append(record(1, 10), true);
    media.erase(0n, pattern);
    const log = Mlog.open(media);
    expect(log.empty).toBe(true);
    log.append(record(2, 10), true);
    expect(digests(reopenAll(media))).toEqual(digests([record(2, 10)]));
  });
});

describe('full logs', () => {
  it('EFBIG when full, after flushing what was buffered', () => {
    const media = new MemoryMlogMedia({ capacity: 16 * KiB });
    const log = Mlog.open(media);
    const recs: Uint8Array[] = [];
    let e: ReturnType<typeof errorOf> | null = null;
    for (let i = 0; e === null; i++) {
      const r = record(i, 700);
      if (log.room < r.length) e = errorOf(() => log.append(r));
      else {
        log.append(r);
        recs.push(r);
      }
    }
    expect(e.errno).toBe(27);
    expect(log.dirty).toBe(false);
    expect(digests(reopenAll(media))).toEqual(digests(recs));
    // What still fits, fits.
    const room = log.room;
    expect(room).toBeGreaterThanOrEqual(0);
    log.append(record(1000, room), true);
    expect(log.room).toBe(-1);
    expect(errorOf(() => log.append(new Uint8Array(0))).code).toBe('EFBIG');
    expect(digests(reopenAll(media))).toEqual(digests([...recs, record(1000, room)]));
  });

  it('a log full to its last block reopens full', () => {
    const media = new MemoryMlogMedia({ capacity: 8 * KiB });
    const log = Mlog.open(media);
    log.append(record(1, 2 * 4048), true);
    const log2 = Mlog.open(media);
    expect(log2.room).toBe(-1);
    expect(log2.length).toBe(8 * KiB + LOG_BLOCK_HEADER_LEN);
    expect(digests(readAll(log2))).toEqual(digests([record(1, 2 * 4048)]));
    expect(errorOf(() => log2.append(new Uint8Array(0))).code).toBe('EFBIG');
  });
});

describe('seekRead', () => {
  function threeRecords(): Mlog {
    const log = Mlog.open(new MemoryMlogMedia());
    for (const [i, len] of [10, 20, 30].entries()) log.append(record(i, len), true);
    return log;
  }

  it('skips a record of exactly the given length and reads the next', () => {
    const log = threeRecords();
    expect(log.seekRead(10)).toEqual(record(1, 20));
    expect(log.seekRead(0)).toEqual(record(2, 30));
    expect(log.seekRead(0)).toBeNull();
  });

  it('EOVERFLOW leaves the iterator before a longer record', () => {
    const log = threeRecords();
    const e = errorOf(() => log.seekRead(5));
    expect(e.code).toBe('EOVERFLOW');
    expect(log.read()).toEqual(record(0, 10));
  });

  it('ERANGE leaves the iterator after a shorter record', () => {
    const log = threeRecords();
    expect(errorOf(() => log.seekRead(11)).code).toBe('ERANGE');
    expect(log.read()).toEqual(record(1, 20));
    expect(log.read()).toEqual(record(2, 30));
    expect(errorOf(() => log.seekRead(1)).code).toBe('ERANGE');
  });
});

describe('compaction semantics and corruption', () => {
  it('markers need a compaction log, in order', () => {
    const plain = Mlog.open(new MemoryMlogMedia());
    expect(errorOf(() => plain.appendCstart()).code).toBe('EINVAL');
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media, { compaction: true });
    expect(errorOf(() => log.append(record(1, 1))).code).toBe('EINVAL');
    expect(errorOf(() => log.appendCend()).code).toBe('EINVAL');
    log.appendCstart();
    expect(errorOf(() => log.appendCstart()).code).toBe('EINVAL');
    log.append(record(1, 10), true);
    log.appendCend();
    expect(errorOf(() => log.appendCend()).code).toBe('EINVAL');
    const again = Mlog.open(media, { compaction: true });
    expect([again.hasCstart, again.hasCend]).toEqual([true, true]);
    expect(digests(readAll(again))).toEqual(digests([record(1, 10)]));
    // Markers are no records, and only a compaction open accepts them.
    expect(errorOf(() => Mlog.open(media)).code).toBe('ENODATA');
  });

  it('CSTART without CEND is an interrupted compaction: EMSGSIZE', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media, { compaction: true });
    log.appendCstart();
    log.append(record(1, 10), true);
    expect(errorOf(() => Mlog.open(media, { compaction: true })).code).toBe('EMSGSIZE');
  });

  it('a compacted log must start with CSTART', () => {
    const media = new MemoryMlogMedia();
    Mlog.open(media).append(record(1, 10), true);
    expect(errorOf(() => Mlog.open(media, { compaction: true })).code).toBe('ENODATA');
  });

  it('valid blocks with bad records fail the open with ENODATA', () => {
    const media = new MemoryMlogMedia();
    const log = Mlog.open(media);
    log.append(record(1, 10), true);
    media.bytes[40 + 6] = RecordType.DATAMID;
    expect(errorOf(() => Mlog.open(media)).code).toBe('ENODATA');
    media.bytes[40 + 6] = 9;
    expect(errorOf(() => Mlog.open(media)).code).toBe('ENODATA');
    media.bytes[40 + 6] = RecordType.EOLB;
    expect(errorOf(() => Mlog.open(media)).code).toBe('ENODATA');
    media.bytes[40 + 6] = RecordType.DATAFULL;
    media.bytes[0] = 2; // header version
    expect(errorOf(() => Mlog.open(media)).code).toBe('ENODATA');
  });

  it('checks its media geometry', () => {
    expect(errorOf(() => Mlog.open(new MemoryMlogMedia({ sectorSize: 1024 }))).code).toBe('EINVAL');
    expect(errorOf(() => Mlog.open(new MemoryMlogMedia({ capacity: 5000 }))).code).toBe('EINVAL');
    expect(errorOf(() => Mlog.open(new MemoryMlogMedia({ uuid: new Uint8Array(4) }))).code).toBe('EINVAL');
  });
});

/*
 * The other direction: a log image built block by block with the codec only,
 * laid out as upstream's writer lays it (flush set chaining, a block rewritten
 * by a later flush, a record split with an empty DATAFIRST, markers, a torn
 * record at the end), read by our reader.
 */
describe('reads a log written by someone else', () => {
  it('reads a hand-built upstream image', () => {
    const uuid = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    const gen = 3n;
    const media = new MemoryMlogMedia({ uuid, gen, capacity: 64 * KiB });
    const b = media.bytes;
    const hdr = (n: number, pf: number, cf: number): void =>
      packHeader({ version: 1, magic: uuid, pfsetid: pf, cfsetid: cf, gen }, b, n * 4096);
    const desc = (n: number, off: number, tlen: number, rlen: number, rtype: number): void =>
      packDescriptor({ tlen, rlen, rtype }, b, n * 4096 + off);

    // Block 0 (written by flushes 1 and 2; the last one wins): CSTART, "hi", then a
    // 4022-byte record, then an empty DATAFIRST in the last 8 bytes.
    hdr(0, 0, 2);
    desc(0, 40, 0, 0, RecordType.CSTART);
    desc(0, 48, 2, 2, RecordType.DATAFULL);
    b.set([0x68, 0x69], 56);
    desc(0, 58, 4022, 4022, RecordType.DATAFULL);
    b.set(record(7, 4022), 66);
    desc(0, 4096 - 8, 5000, 0, RecordType.DATAFIRST);
    // Blocks 1 and 2 (flush 2): the rest of the 5000 bytes, then CEND.
    hdr(1, 2, 2);
    desc(1, 40, 5000, 4048, RecordType.DATAMID);
    b.set(record(8, 5000).subarray(0, 4048), 4096 + 48);
    hdr(2, 2, 2);
    desc(2, 40, 5000, 952, RecordType.DATALAST);
    b.set(record(8, 5000).subarray(4048), 2 * 4096 + 48);
    desc(2, 48 + 952, 0, 0, RecordType.CEND);
    // Block 3 (flush 3): one record, then a record torn after its first block.
    hdr(3, 2, 3);
    desc(3, 40, 1, 1, RecordType.DATAFULL);
    b[3 * 4096 + 48] = 0x21;
    desc(3, 49, 9000, 4096 - 57, RecordType.DATAFIRST);
    // Block 4: a stale block of an older generation.
    packHeader({ version: 1, magic: uuid, pfsetid: 3, cfsetid: 4, gen: 2n }, b, 4 * 4096);

    const log = Mlog.open(media, { compaction: true });
    expect([log.hasCstart, log.hasCend]).toEqual([true, true]);
    expect(digests(readAll(log))).toEqual(digests([Uint8Array.of(0x68, 0x69), record(7, 4022), record(8, 5000), Uint8Array.of(0x21)]));
    // Appends resume at block 4, chained to block 3.
    log.append(Uint8Array.of(1), true);
    expect(unpackHeader(media.sector(4))).toMatchObject({ pfsetid: 3, cfsetid: 4, gen: 3n });
    expect(readAll(Mlog.open(media, { compaction: true })).at(-1)).toEqual(Uint8Array.of(1));
  });
});
