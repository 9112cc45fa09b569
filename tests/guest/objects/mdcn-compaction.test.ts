/**
 * MDC-n compaction: a pool with one object MDC of 256 blocks a log, driven
 * through 600+ object records (commits and deletes, one block each, plus
 * id checkpoints). MDC-1 compacts several times; the live objects, their
 * data and the id sequence survive, across deactivate/activate too.
 *
 * Then a compaction cut short: the newer log loses its CEND block and what
 * follows, as if power failed while it was written. Activation replays the
 * newer log as it scans it (kmod/mdc.c, mdc_load), finds no CEND, undoes
 * what it took (obj_replay_reset) and takes the older log: the objects and
 * the usage counts are the older log's, and no id is handed out again.
 */
import { createHash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import { Pools } from '../../../userland/src/lib/pools.js';
import { OMF_REC_CEND } from '../../../userland/src/gen/omf.js';
import { ensureLoaded, kernelFailuresSince, kernelLogSince, markKernelLog } from '../helpers.js';
import { BLK, BLK_FIELDS, mdcLocations, poolGeometry, records, validBlocks } from '../mdclog.js';
import { writeAt } from '../pools/fixtures.js';

const NAME = 'mdcn0';
const POOLID_AT = BLK_FIELDS.poolid.offset;
const pools = new Pools();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function page(seed: number): Uint8Array {
  const b = new Uint8Array(4096);
  for (let i = 0; i < b.length; i++) b[i] = (seed * 31 + i) & 0xff;
  return b;
}

beforeAll(() => ensureLoaded());
afterAll(() => pools.destroy(NAME, { force: true, devices: ['/dev/vda'] }));

describe('MDC-1 compaction', () => {
  it('320 commit/delete cycles through a 256-block MDC: compacted, live objects intact', () => {
    const marker = markKernelLog('mdcn-compaction');
    pools.create(NAME, '/dev/vda', { force: true, mblockSize: 1, mdcnCapacity: 1, mdcCount: 1 });
    const live = new Map<bigint, string>();
    const ids = new Set<bigint>();
    const pool = Pool.open(NAME, { write: true });
    try {
      for (let i = 0; i < 320; i++) {
        const { id } = pool.mblocks.alloc();
        expect(ids.has(id)).toBe(false);
        ids.add(id);
        const data = page(i);
        pool.mblocks.write(id, data);
        pool.mblocks.commit(id);
        if (i % 16 === 0) {
          live.set(id, sha(data)); // keep one in sixteen
        } else {
          pool.mblocks.delete(id);
        }
      }
      for (const [id, digest] of live) expect(sha(pool.mblocks.read(id, 0, 4096))).toBe(digest);
    } finally {
      pool.close();
    }
    const compactions = kernelLogSince(marker).match(/MDC-1 compacted into log [AB]/g) ?? [];
    expect(compactions.length).toBeGreaterThanOrEqual(2);

    pools.deactivate(NAME);
    pools.activate(NAME);
    const again = Pool.open(NAME, { write: true });
    try {
      for (const [id, digest] of live) expect(sha(again.mblocks.read(id, 0, 4096))).toBe(digest);
      // The id sequence resumes past everything handed out before.
      const { id } = again.mblocks.alloc();
      expect(ids.has(id)).toBe(false);
      again.mblocks.abort(id);
      expect(again.props().usage.mblockCount).toBe(live.size);
    } finally {
      again.close();
    }
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});

describe('MDC-1 compaction cut short', () => {
  it('a newer log without its CEND is replayed, undone, and the older log taken: its objects, its usage, no id reused', async () => {
    pools.destroy(NAME, { force: true, devices: ['/dev/vda'] });
    const marker = markKernelLog('mdcn-cut');
    pools.create(NAME, '/dev/vda', { force: true, mblockSize: 1, mdcnCapacity: 1, mdcCount: 1 });
    const [mdc1] = mdcLocations('/dev/vda');
    if (mdc1 === undefined) throw new Error('no MDC-1 record in MDC-0');
    const { poolid } = poolGeometry('/dev/vda');
    // Log B holds a block of this pool once MDC-1 has compacted into it (an earlier pool's blocks may be there).
    const compacted = (): boolean => validBlocks('/dev/vda', mdc1.b.start, BLK).some((blk) => poolid.equals(blk.subarray(POOLID_AT, POOLID_AT + poolid.length)));
    // Commit mblocks (all kept) until the append that finds log A full compacts MDC-1 into log B.
    const pool = Pool.open(NAME, { write: true });
    const handedOut: bigint[] = [];
    let inA: bigint[] = [];
    try {
      let yielded = Date.now();
      for (let i = 0; i < 600 && inA.length === 0; i++) {
        if (Date.now() - yielded > 1000) {
          await yieldToLoop();
          yielded = Date.now();
        }
        const { id } = pool.mblocks.alloc();
        handedOut.push(id);
        // An alloc appends an id checkpoint now and then: if that compacted, every commit so far is in log A.
        if (compacted()) {
          inA = handedOut.slice(0, -1);
          break;
        }
        pool.mblocks.commit(id);
        // The commit that compacted is recorded after CEND in log B, not in log A.
        if (compacted()) inA = handedOut.slice(0, -1);
      }
    } finally {
      pool.close();
    }
    expect(inA.length).toBeGreaterThan(200);
    pools.deactivate(NAME);

    // Log B: CSTART, a snapshot of some blocks, CEND, the record that compacted. Cut it before CEND's block.
    const b = validBlocks('/dev/vda', mdc1.b.start, mdc1.b.bytes);
    const cendAt = b.findIndex((blk) => records(blk).some((r) => r.type === OMF_REC_CEND));
    // The snapshot of 200+ objects takes more than one block, so what is left of B has objects to replay.
    expect(cendAt).toBeGreaterThan(1);
    writeAt('/dev/vda', mdc1.b.start + cendAt * BLK, new Uint8Array((b.length - cendAt) * BLK));

    pools.activate(NAME);
    const again = Pool.open(NAME, { write: true });
    try {
      for (const id of inA) expect(again.mblocks.find(id).committed).toBe(true);
      const usage = again.props().usage;
      expect(usage.mblockCount).toBe(inA.length);
      // The uncommitted or lost last one is gone; a new id is none of those handed out.
      const lost = handedOut.filter((id) => !inA.includes(id));
      for (const id of lost) expect(() => again.mblocks.find(id)).toThrow(/ENOENT|no mblock/);
      const { id } = again.mblocks.alloc();
      expect(handedOut.includes(id)).toBe(false);
      again.mblocks.abort(id);
    } finally {
      again.close();
    }
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
