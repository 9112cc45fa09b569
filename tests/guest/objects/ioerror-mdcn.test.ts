/**
 * A failed compaction of an object MDC (MDC-1), the counterpart of the
 * MDC-0 case in ioerror.test.ts: an error band covers only MDC-1's log B,
 * found from MDC-0's MDC record; commits and deletes fill log A until the
 * append that finds it full compacts into B. That append is EIO, the pool
 * is fenced (EROFS, health "faulted"), and after reactivation log A still
 * holds every acknowledged commit and delete.
 *
 * Each append is one block (kmod/mdc.c, mdc_append), so a log of N blocks
 * fills after about N records. The pool has one object MDC, and every
 * mblock is deleted right after its commit, so the 4 MiB zones of a 2 GiB
 * device never run out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, kernelFailuresSince, kernelLogSince, markKernelLog } from '../helpers.js';
import { BLK, mdcLocations } from '../mdclog.js';
import { DISK_B, dmCreate, dmRemove, dmSwap, failure, pools, reactivated } from './fixtures.js';

const NAME = 'objmdcn';
const DM = 'objmdcn';
/** The second 2 GiB of /dev/vdb (ioerror.test.ts has the first). */
const BASE = (2048 * 1024 * 1024) / 512;
const SECTORS = (2048 * 1024 * 1024) / 512;
const LINEAR = `0 ${SECTORS} linear ${DISK_B} ${BASE}`;
let DEV: string;
let pool: Pool;
let marker: string;

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('objects-ioerror-mdcn');
  DEV = dmCreate(DM, LINEAR);
  pools.create(NAME, DEV, { force: true, mblockSize: 4, mdcCount: 1, mdcnCapacity: 1 });
  pool = Pool.open(NAME, { write: true });
});

afterAll(() => {
  try {
    dmSwap(DM, LINEAR);
    pool.close();
    pools.destroy(NAME, { force: true, devices: [DEV] });
  } finally {
    dmRemove(DM);
  }
});

describe('I/O errors in an object MDC', () => {
  it('a failed MDC-1 compaction fences the pool; the log it compacted keeps every acknowledged change', () => {
    const [mdc1] = mdcLocations(DEV);
    if (mdc1 === undefined || mdc1.index !== 1) throw new Error(`no MDC-1 record in MDC-0: ${JSON.stringify(mdcLocations(DEV))}`);
    // Log A is active (nothing has compacted yet), so the compaction writes log B.
    const from = mdc1.b.start / 512;
    const len = mdc1.b.bytes / 512;
    dmSwap(DM, [`0 ${from} linear ${DISK_B} ${BASE}`, `${from} ${len} error`, `${from + len} ${SECTORS - from - len} linear ${DISK_B} ${BASE + from + len}`].join('\n'));
    const mark = markKernelLog('objects-ioerror-mdcn-compaction');
    const committed: bigint[] = [];
    const deleted: bigint[] = [];
    let failedAt: { op: 'alloc' | 'commit' | 'delete'; id: bigint } | null = null;
    let code = 'OK';
    try {
      const mb = pool.mblocks;
      for (let i = 0; i < mdc1.a.bytes / BLK + 64 && failedAt === null; i++) {
        // An alloc appends too, now and then: the OID checkpoint of its block of ids.
        let id = 0n;
        code = failure(() => (id = mb.alloc().id)).code;
        if (code !== 'OK') {
          failedAt = { op: 'alloc', id };
          break;
        }
        code = failure(() => mb.commit(id)).code;
        if (code !== 'OK') {
          failedAt = { op: 'commit', id };
          break;
        }
        committed.push(id);
        // Keep every tenth: activation must find them after the failure.
        if (i % 10 === 0) continue;
        code = failure(() => mb.delete(id)).code;
        if (code !== 'OK') failedAt = { op: 'delete', id };
        else deleted.push(id);
      }
    } finally {
      dmSwap(DM, LINEAR);
    }
    expect(failedAt, 'the log never filled').not.toBeNull();
    expect(code).toBe('EIO');
    expect(kernelLogSince(mark)).toMatch(/MDC-1: block write failed \(-5\)/);
    expect(failure(() => pool.mblocks.alloc()).code).toBe('EROFS');
    expect(failure(() => pool.setParams({ label: 'after' })).code).toBe('EROFS');
    expect(pool.params().health).toBe('faulted');

    pool = reactivated(pool, NAME, DEV);
    expect(pool.params().health).toBe('optimal');
    const gone = new Set(deleted);
    for (const id of committed) {
      const s = failure(() => pool.mblocks.find(id)).code;
      // The failed delete did not happen: its mblock is still there.
      expect(s, `mblock 0x${id.toString(16)} (${gone.has(id) ? 'deleted' : 'committed'})`).toBe(gone.has(id) ? 'ENOENT' : 'OK');
    }
    // The failed commit did not happen either.
    if (failedAt!.op === 'commit') expect(failure(() => pool.mblocks.find(failedAt!.id)).code).toBe('ENOENT');
    // And the next change compacts into log B normally.
    const id = pool.mblocks.alloc().id;
    pool.mblocks.commit(id);
    expect(pool.mblocks.find(id).committed).toBe(true);
    console.log(`MDC-1: ${committed.length} commits, ${deleted.length} deletes acknowledged before the failed ${failedAt!.op}`);
  });

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
