/**
 * I/O errors under a pool, by kind of write (kmod/mdc.c, kmod/mpctl.c):
 *
 *   - a failed data write or read is EIO to that call only, and the pool
 *     goes on once the device answers again;
 *   - a failed metadata write (an MDC append: the commit record of an
 *     mblock with no data; the OID checkpoint that every 256th id needs)
 *     is EIO to its call and fences the pool: every later change is EROFS,
 *     even with the device back, reads go on, and the pool's health is
 *     "faulted" in the library and in `mpool list`, until it is
 *     deactivated; activated again, it holds its last durable state;
 *   - a failed MDC-0 compaction (the log it writes is unwritable) fences it
 *     the same way, and the log it compacted stays the durable one.
 *
 * The pool sits on a device-mapper device over the first 2 GiB of
 * /dev/vdb whose table is switched between linear and error.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../userland/src/cli/program.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { readSuperblockCopies } from '../../../userland/src/lib/scan.js';
import { chooseSuperblock } from '../../../userland/src/lib/superblock.js';
import { ensureLoaded, kernelLogSince, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { cleanup, DISK_B, dmCreate, dmRemove, dmSwap, failure, pools, random, reactivated, sha256 } from './fixtures.js';

const NAME = 'objioerr';
const DM = 'objioerr';
const SECTORS = (2048 * 1024 * 1024) / 512;
const LINEAR = `0 ${SECTORS} linear ${DISK_B} 0`;
let DEV: string;
let pool: Pool;
let marker: string;

const media = (state: 'linear' | 'error'): void => dmSwap(DM, state === 'linear' ? LINEAR : `0 ${SECTORS} error`);

async function listedHealth(): Promise<string | undefined> {
  const r = await runCli(['list', '--json']);
  return (JSON.parse(r.stdout) as { name: string; health: string }[]).find((p) => p.name === NAME)?.health;
}

const reactivate = (): void => void (pool = reactivated(pool, NAME, DEV));

beforeAll(() => {
  ensureLoaded();
  cleanup();
  marker = markKernelLog('objects-ioerror');
  DEV = dmCreate(DM, LINEAR);
  pools.create(NAME, DEV, { mblockSize: 4 });
  pool = Pool.open(NAME, { write: true });
});

afterAll(() => {
  try {
    media('linear');
    pool.close();
    pools.destroy(NAME, { force: true, devices: [DEV] });
  } finally {
    dmRemove(DM);
  }
});

describe('I/O errors under a pool', () => {
  const data = random(64 * 1024);
  let kept: bigint;
  let lostId: bigint;

  it('a failed data write or read is EIO to that call only; the pool goes on when the device answers', () => {
    const mb = pool.mblocks;
    kept = mb.alloc().id;
    mb.write(kept, data);
    mb.commit(kept);
    const id = mb.alloc().id;
    media('error');
    try {
      expect(failure(() => mb.write(id, data)).code).toBe('EIO');
      expect(failure(() => mb.read(kept, 0, data.length)).code).toBe('EIO');
    } finally {
      media('linear');
    }
    expect(pool.params().health).toBe('optimal');
    mb.write(id, data);
    mb.commit(id);
    expect(sha256(mb.read(id, 0, data.length))).toBe(sha256(data));
    expect(sha256(mb.read(kept, 0, data.length))).toBe(sha256(data));
    mb.delete(id);
  });

  it('a failed MDC append fences the pool: EROFS for every change, reads go on, health "faulted"', async () => {
    const mb = pool.mblocks;
    const lost = mb.alloc().id; // committed with no data: the commit is one MDC append, no flush
    lostId = lost;
    const ml = pool.mlogs.alloc().id;
    const mark = markKernelLog('objects-ioerror-append');
    media('error');
    let commit = '';
    try {
      commit = failure(() => mb.commit(lost)).code;
    } finally {
      media('linear');
    }
    expect(commit).toBe('EIO');
    expect(kernelLogSince(mark)).toMatch(/MDC-\d+: block write failed \(-5\): the pool takes no more changes/);
    // The device answers again; the pool still refuses every change.
    const refused = {
      alloc: failure(() => mb.alloc()).code,
      commit: failure(() => mb.commit(lost)).code,
      write: failure(() => mb.write(lost, data)).code,
      delete: failure(() => mb.delete(kept)).code,
      mlogAlloc: failure(() => pool.mlogs.alloc()).code,
      mlogCommit: failure(() => pool.mlogs.commit(ml)).code,
      params: failure(() => pool.setParams({ label: 'after' })).code,
    };
    expect(refused).toEqual({ alloc: 'EROFS', commit: 'EROFS', write: 'EROFS', delete: 'EROFS', mlogAlloc: 'EROFS', mlogCommit: 'EROFS', params: 'EROFS' });
    expect(failure(() => mb.alloc()).message).toMatch(/takes no more changes: a metadata write failed/);
    expect(sha256(mb.read(kept, 0, data.length))).toBe(sha256(data));
    expect(mb.find(kept).committed).toBe(true);
    expect(pool.params().health).toBe('faulted');
    expect(await listedHealth()).toBe('faulted');
  });

  it('deactivated and activated again, it holds its last durable state and takes changes', async () => {
    reactivate();
    const mb = pool.mblocks;
    expect(pool.params().health).toBe('optimal');
    expect(await listedHealth()).toBe('optimal');
    expect(sha256(mb.read(kept, 0, data.length))).toBe(sha256(data));
    // Its commit never reached the media: uncommitted, it is gone.
    expect(failure(() => mb.find(lostId)).code).toBe('ENOENT');
    const id = mb.alloc().id;
    mb.write(id, data);
    mb.commit(id);
    expect(sha256(mb.read(id, 0, data.length))).toBe(sha256(data));
  });

  it('a failed OID checkpoint (every 256th id) fences it the same way; no id is handed out twice', () => {
    const mb = pool.mblocks;
    const seen = new Set<bigint>();
    media('error');
    let code = 'OK';
    let allocs = 0;
    try {
      for (; allocs < 300 && code === 'OK'; allocs++) {
        code = failure(() => seen.add(mb.alloc().id)).code;
      }
    } finally {
      media('linear');
    }
    // Ids come from the checkpointed block without a write, until the next block is needed.
    expect(code).toBe('EIO');
    expect(allocs).toBeLessThanOrEqual(257);
    expect(failure(() => mb.alloc()).code).toBe('EROFS');
    reactivate();
    for (let i = 0; i < 300; i++) {
      const id = pool.mblocks.alloc().id;
      expect(seen.has(id), `id 0x${id.toString(16)} handed out twice`).toBe(false);
      seen.add(id);
    }
  });

  it('a failed MDC-0 compaction fences it; the log it compacted stays the durable one', async () => {
    const read = chooseSuperblock(...readSuperblockCopies(DEV));
    if (!read.ok || !read.sb.mdc0) throw new Error('no superblock with MDC-0 on the device');
    // MDC-0 has not compacted yet here: log A is active, so compaction writes log B.
    const zoneSectors = (read.sb.zonePages * 4096) / 512;
    const from = Number(read.sb.mdc0.b.zone) * zoneSectors;
    const len = read.sb.mdc0.b.zones * zoneSectors;
    const mark = markKernelLog('objects-ioerror-compaction');
    dmSwap(DM, [`0 ${from} linear ${DISK_B} 0`, `${from} ${len} error`, `${from + len} ${SECTORS - from - len} linear ${DISK_B} ${from + len}`].join('\n'));
    let last = '';
    let code = 'OK';
    try {
      // Each PARAMS_SET is one MDC-0 record; the log fills, and the append that finds it full compacts.
      // The loop yields every second: under the debug kernel it runs for a minute, and a
      // worker that blocks that long misses vitest's 60 s RPC timeout ("onTaskUpdate").
      const blocks = read.sb.mdc0.a.zones * read.sb.zonePages;
      let yielded = Date.now();
      for (let i = 0; i < blocks + 16 && code === 'OK'; i++) {
        if (Date.now() - yielded > 1000) {
          await yieldToLoop();
          yielded = Date.now();
        }
        code = failure(() => pool.setParams({ label: `c${i}` })).code;
        if (code === 'OK') last = `c${i}`;
      }
    } finally {
      media('linear');
    }
    expect(code).toBe('EIO');
    expect(kernelLogSince(mark)).toMatch(/MDC-0: block write failed \(-5\)/);
    expect(failure(() => pool.setParams({ label: 'after' })).code).toBe('EROFS');
    expect(failure(() => pool.mblocks.alloc()).code).toBe('EROFS');
    expect(pool.params().health).toBe('faulted');
    reactivate();
    expect(pool.params()).toMatchObject({ label: last, health: 'optimal' });
    pool.setParams({ label: 'healthy' });
    expect(pool.params().label).toBe('healthy');
  });

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
