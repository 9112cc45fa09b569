/**
 * A mutation fuzzer over a real pool's metadata logs (issue 14, hostile
 * disk images). The pool holds mblocks (some deleted), mlogs (one erased),
 * changed parameters and two object MDCs. Its logs are found by their
 * block headers at zone starts; each round damages one log:
 *   - a value:   a boundary or random value at an aligned offset of one
 *                record, header included (type, length), with the record's
 *                CRC, the block's CRC and the chain of the blocks after it
 *                all resealed, so that every check up to the record's
 *                meaning passes (insane zones, ids, lengths, generations,
 *                counts, record types);
 *   - a header:  the same for a block header field (generation, index,
 *                bytes used, log id, version);
 *   - a copy:    a record from elsewhere appended to a block, resealed
 *                (duplicate objects, deletes of the unknown, a second
 *                CSTART);
 *   - a drop:    a record taken out of its block, resealed (no CEND, no
 *                POOL, an object without its MDC);
 *   - flips:     bit flips with no resealing (the log ends there);
 *   - a cut:     the log zeroed from a block on.
 * MP_ACTIVATE then goes straight to the kernel. It must activate (and the
 * pool then takes lookups, reads and a new mblock), or refuse
 * with EBADMSG, EUCLEAN or EPROTONOSUPPORT (ENODEV or ENXIO when the
 * records and the devices given disagree on which devices the pool has),
 * and never oops, hang or leave a report in the log. Seeded: MPOOL_MDC_MUTATE_SEED, MPOOL_MDC_MUTATE_IMAGES.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OMF_BLK_MAGIC, OmfBlkHdr, OmfRecHdr } from '../../../userland/src/gen/omf.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { isMpoolError } from '../../../userland/src/sys/errors.js';
import { prng } from '../../crash/workload.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { align, BLK, BLK_FIELDS, dvOf, HDR, poolGeometry, REC, recordCrc, records, reseal, validBlocks } from '../mdclog.js';
import { activateCode, cleanup, DISK_A, MB, pools, rawMpool, readAt, writeAt } from './fixtures.js';

const NAME = 'mdcmut';
const IMAGES = Number(process.env.MPOOL_MDC_MUTATE_IMAGES ?? 300);
const SEED = Number(process.env.MPOOL_MDC_MUTATE_SEED ?? 20261204);
/**
 * Besides the corruption errnos: ENODEV when MDC-0 lists a device that was
 * not given, ENXIO when a given device (its superblock names the pool) is
 * not among the devices MDC-0 lists, as an interrupted DRV_ADD leaves it.
 */
const ALLOWED = new Set(['OK', 'EBADMSG', 'EUCLEAN', 'EPROTONOSUPPORT', 'ENODEV', 'ENXIO']);
/** Blocks after a log's last valid one saved and restored with it: what an activation may write. */
const SLACK = 32;
const BOUNDARY = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];
const tick = (): Promise<void> => new Promise((res) => setTimeout(res, 0));

interface Log {
  logid: number;
  /** Byte offset of block 0 on the disk. */
  start: number;
  /** Valid blocks. */
  valid: number;
  /** Pristine bytes of blocks 0 .. valid + SLACK - 1. */
  saved: Buffer;
}

function putValue(b: Buffer, at: number, w: number, v: bigint): void {
  const dv = dvOf(b);
  if (w === 8) dv.setBigUint64(at, v & ((1n << 64n) - 1n), true);
  else if (w === 4) dv.setUint32(at, Number(v & 0xffffffffn), true);
  else if (w === 2) dv.setUint16(at, Number(v & 0xffffn), true);
  else dv.setUint8(at, Number(v & 0xffn));
}

/** The logs of the pool: block 0 of a log sits at a zone start and names the pool. */
function findLogs(): Log[] {
  const g = poolGeometry(DISK_A);
  const logs: Log[] = [];
  for (let z = 0; z < g.zoneCount; z++) {
    const h = OmfBlkHdr.decode(dvOf(readAt(DISK_A, z * g.zoneBytes, BLK)), 0);
    if (h.magic !== OMF_BLK_MAGIC || h.index !== 0n || !Buffer.from(h.poolid).equals(g.poolid)) continue;
    const valid = validBlocks(DISK_A, z * g.zoneBytes, Math.min(g.zoneBytes, 1 << 20)).length;
    const saved = readAt(DISK_A, z * g.zoneBytes, Math.min(g.zoneBytes, (valid + SLACK) * BLK));
    logs.push({ logid: h.logid, start: z * g.zoneBytes, valid, saved });
  }
  return logs;
}

type Kind = 'value' | 'header' | 'copy' | 'drop' | 'flips' | 'cut';

/** Damage one log's valid blocks; returns what changed (blocks from `from` on) and how. */
function mutate(log: Log, donor: Buffer[], r: () => number): { blocks: Buffer[]; from: number; kind: Kind; what: string } {
  const blocks = Array.from({ length: log.valid }, (_, i) => Buffer.from(log.saved.subarray(i * BLK, (i + 1) * BLK)));
  const k = Math.floor(r() * log.valid);
  const blk = blocks[k]!;
  const recs = records(blk);
  const pick = r();
  const boundary = (): bigint => (r() < 0.7 ? BOUNDARY[Math.floor(r() * BOUNDARY.length)]! : BigInt(Math.floor(r() * 2 ** 32)));
  if (pick < 0.5 && recs.length > 0) {
    const rec = recs[Math.floor(r() * recs.length)]!;
    let w = [1, 2, 4, 8][Math.floor(r() * 4)]!;
    // The type and length words now and then, the payload mostly; never the
    // record's CRC, which is resealed below.
    let at: number;
    if (r() < 0.2 || rec.len < w) {
      w = Math.min(w, 2);
      at = rec.at + (r() < 0.5 ? 0 : 2);
    } else {
      at = rec.at + REC + (Math.floor(r() * (rec.len - w + 1)) & ~(w - 1));
    }
    putValue(blk, at, w, boundary());
    const h = OmfRecHdr.decode(dvOf(blk), rec.at);
    if (rec.at + REC + h.len <= BLK) blk.writeUInt32LE(recordCrc(blk, rec.at, h.len), rec.at + 4);
    reseal(blocks, k);
    return { blocks, from: k, kind: 'value', what: `block ${k}, record type ${rec.type} +${at - rec.at} (${w} bytes)` };
  }
  if (pick < 0.6) {
    // Every field but the magic, the pool uuid and the CRC (resealed).
    const f = BLK_FIELDS;
    const fields = [f.version, f.used, f.gen, f.index, f.logid, f.nonce, f.rsvd];
    const { offset: at, size: w } = fields[Math.floor(r() * fields.length)]!;
    putValue(blk, at, w, boundary());
    reseal(blocks, k);
    return { blocks, from: k, kind: 'header', what: `block ${k}, header +${at}` };
  }
  if (pick < 0.72 && donor.length > 0) {
    const src = donor[Math.floor(r() * donor.length)]!;
    const srecs = records(src);
    const used = OmfBlkHdr.decode(dvOf(blk), 0).used;
    const end = recs.length > 0 ? recs[recs.length - 1]!.at + REC + align(recs[recs.length - 1]!.len) : HDR;
    const s = srecs[Math.floor(r() * srecs.length)];
    if (s !== undefined && end + REC + align(s.len) <= BLK) {
      src.copy(blk, end, s.at, s.at + REC + align(s.len));
      blk.writeUInt16LE(Math.max(used, end + REC + align(s.len) - HDR), BLK_FIELDS.used.offset);
      reseal(blocks, k);
      return { blocks, from: k, kind: 'copy', what: `block ${k}, a type ${s.type} record appended` };
    }
  }
  if (pick < 0.82 && recs.length > 0) {
    const i = Math.floor(r() * recs.length);
    const rec = recs[i]!;
    const size = REC + align(rec.len);
    blk.copy(blk, rec.at, rec.at + size, BLK);
    blk.fill(0, BLK - size);
    const used = OmfBlkHdr.decode(dvOf(blk), 0).used;
    blk.writeUInt16LE(Math.max(0, used - size), BLK_FIELDS.used.offset);
    reseal(blocks, k);
    return { blocks, from: k, kind: 'drop', what: `block ${k}, record type ${rec.type} dropped` };
  }
  if (pick < 0.94) {
    for (let n = 1 + Math.floor(r() * 6); n > 0; n--) {
      const i = Math.floor(r() * BLK);
      blk[i] = blk[i]! ^ (1 << Math.floor(r() * 8));
    }
    return { blocks, from: k, kind: 'flips', what: `block ${k}` };
  }
  for (let i = k; i < blocks.length; i++) blocks[i]!.fill(0);
  return { blocks, from: k, kind: 'cut', what: `from block ${k}` };
}

const activate = (): string => activateCode(NAME, [DISK_A]);

let logs: Log[] = [];
let marker: string;
let keep: bigint;
/** Every object the pool was given, deleted ones included: what an activated image is asked about. */
const known: { mblocks: bigint[]; mlogs: bigint[] } = { mblocks: [], mlogs: [] };

/**
 * An image that activated is used: every known object looked up (and an
 * mblock's first page read), a new mblock written, committed and deleted.
 * Whatever the damaged records say, these may fail with an errno but must
 * not upset the kernel. Returns the errnos seen.
 */
function exercise(): string[] {
  const seen: string[] = [];
  const note = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      if (!isMpoolError(e)) throw e;
      seen.push(e.code);
    }
  };
  const pool = Pool.open(NAME, { write: true });
  try {
    for (const id of known.mblocks) {
      note(() => {
        const p = pool.mblocks.find(id);
        if (p.committed && p.written > 0n) pool.mblocks.read(id, 0, 4096);
      });
    }
    for (const id of known.mlogs) note(() => pool.mlogs.find(id));
    note(() => {
      const { id } = pool.mblocks.alloc();
      pool.mblocks.write(id, Buffer.alloc(8192, 0xa5));
      pool.mblocks.commit(id);
      pool.mblocks.delete(id);
    });
  } finally {
    pool.close();
  }
  return seen;
}

beforeAll(() => {
  ensureLoaded();
  cleanup();
  marker = markKernelLog('pools-mdc-mutate');
  pools.create(NAME, DISK_A, { mblockSize: MB, mdcCount: 2 });
  const pool = Pool.open(NAME, { write: true });
  try {
    const data = Buffer.alloc(4096, 0x5a);
    const ids: bigint[] = [];
    for (let i = 0; i < 24; i++) {
      const { id } = pool.mblocks.alloc();
      if (i % 3 !== 0) pool.mblocks.write(id, data);
      pool.mblocks.commit(id);
      ids.push(id);
    }
    known.mblocks.push(...ids);
    for (const id of ids.filter((_, i) => i % 4 === 1)) pool.mblocks.delete(id);
    keep = ids[2]!;
    for (let i = 0; i < 3; i++) {
      const { id } = pool.mlogs.alloc({ capacity: 1 << 20 });
      pool.mlogs.commit(id);
      known.mlogs.push(id);
      if (i === 0) pool.mlogs.erase(id);
    }
    for (let i = 0; i < 5; i++) pool.setParams({ label: `mdc-mutate-${i}` });
  } finally {
    pool.close();
  }
  pools.deactivate(NAME);
  logs = findLogs();
});

afterAll(() => cleanup());

describe('mutated metadata logs', () => {
  it(`${IMAGES} images: the kernel refuses or activates, and nothing reports`, async () => {
    // MDC-0's logs (ids 0 and 1) and the object MDCs' (2..5): the active one of each pair has records.
    console.log(`logs: ${logs.map((l) => `${l.logid}@${l.start / BLK}:${l.valid}`).join(', ')}`);
    const live = logs.filter((l) => l.valid > 0);
    expect(live.some((l) => l.logid <= 1)).toBe(true);
    expect(live.length).toBeGreaterThanOrEqual(3);
    const donor = live.flatMap((l) => Array.from({ length: l.valid }, (_, i) => l.saved.subarray(i * BLK, (i + 1) * BLK)));
    const r = prng(SEED);
    const tally = new Map<string, number>();
    const bad: string[] = [];
    for (let i = 0; i < IMAGES; i++) {
      await tick();
      const log = live[Math.floor(r() * live.length)]!;
      const m = mutate(log, donor, r);
      for (let b = m.from; b < m.blocks.length; b++) writeAt(DISK_A, log.start + b * BLK, m.blocks[b]!);
      const code = activate();
      let used = '';
      if (code === 'OK') {
        try {
          const errs = exercise();
          used = errs.length > 0 ? ` (in use: ${[...new Set(errs)].sort().join(',')})` : '';
        } finally {
          rawMpool('MPIOC_MP_DEACTIVATE', { name: NAME });
        }
      }
      const key = `${m.kind} ${code}${used}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      if (!ALLOWED.has(code)) bad.push(`image ${i}: log ${log.logid}, ${m.kind} ${m.what}: ${code}`);
      // Put every log back: an activation may have appended to one or compacted into its twin.
      if (code === 'OK') for (const l of logs) writeAt(DISK_A, l.start, l.saved);
      else for (let b = m.from; b < m.blocks.length; b++) writeAt(DISK_A, log.start + b * BLK, log.saved.subarray(b * BLK, (b + 1) * BLK));
      const k = kernelFailuresSince(marker);
      if (k.length > 0) throw new Error(`image ${i} (log ${log.logid}, ${m.kind} ${m.what}: ${code}) left a kernel report:\n${k.map((f) => f.text).join('\n')}`);
    }
    console.log([...tally.entries()].sort().map(([k, n]) => `${String(n).padStart(4)}  ${k}`).join('\n'));
    expect(bad).toEqual([]);
    const codes = new Set([...tally.keys()].map((k) => k.split(' ')[1]));
    // In use, the only errnos are the plain answers about objects: no EIO from a read out of bounds.
    const inUse = new Set([...tally.keys()].flatMap((k) => /in use: ([A-Z,]+)/.exec(k)?.[1]?.split(',') ?? []));
    expect([...inUse].filter((c) => !['ENOENT', 'EBADMSG', 'EINVAL', 'ENOSPC'].includes(c))).toEqual([]);
    expect(codes.has('OK')).toBe(true);
    expect(codes.has('EBADMSG')).toBe(true);
    // Restored, the pool activates with what it held.
    expect(activate()).toBe('OK');
    const pool = Pool.open(NAME);
    try {
      expect(pool.params().label).toBe('mdc-mutate-4');
      expect(pool.mblocks.find(keep).committed).toBe(true);
    } finally {
      pool.close();
    }
    rawMpool('MPIOC_MP_DEACTIVATE', { name: NAME });
  }, 900_000);
});
