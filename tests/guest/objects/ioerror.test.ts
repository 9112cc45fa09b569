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
 *     deactivated; activated again, it holds its last durable state.
 *
 * The pool sits on a device-mapper device over the first 2 GiB of
 * /dev/vdb whose table is switched between linear and error.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../userland/src/cli/program.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, kernelLogSince, kernelFailuresSince, markKernelLog, run } from '../helpers.js';
import { cleanup, DISK_B, failure, pools, random, sha256 } from './fixtures.js';

const NAME = 'objioerr';
const DM = 'objioerr';
const DEV = `/dev/mapper/${DM}`;
const SECTORS = (2048 * 1024 * 1024) / 512;
let pool: Pool;
let marker: string;

function sh(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function media(state: 'linear' | 'error'): void {
  const t = state === 'linear' ? `0 ${SECTORS} linear ${DISK_B} 0` : `0 ${SECTORS} error`;
  sh('dmsetup', ['suspend', '--noudevsync', DM]);
  sh('dmsetup', ['load', DM, '--table', t]);
  sh('dmsetup', ['resume', '--noudevsync', DM]);
}

async function listedHealth(): Promise<string | undefined> {
  const r = await runCli(['list', '--json']);
  const j = JSON.parse(r.stdout) as { pools?: { name: string; health: string }[] } | { name: string; health: string }[];
  const all = Array.isArray(j) ? j : (j.pools ?? []);
  return all.find((p) => p.name === NAME)?.health;
}

function reactivate(): void {
  pool.close();
  pools.deactivate(NAME);
  pools.activate(NAME, { devices: [DEV] });
  pool = Pool.open(NAME, { write: true });
}

beforeAll(() => {
  ensureLoaded();
  cleanup();
  marker = markKernelLog('objects-ioerror');
  if (!existsSync('/dev/mapper/control')) sh('modprobe', ['dm-mod']);
  run('dmsetup', ['remove', '--noudevsync', DM]);
  sh('dmsetup', ['create', '--noudevsync', DM, '--table', `0 ${SECTORS} linear ${DISK_B} 0`]);
  if (!existsSync(DEV)) sh('dmsetup', ['mknodes', DM]);
  pools.create(NAME, DEV, { mblockSize: 4 });
  pool = Pool.open(NAME, { write: true });
});

afterAll(() => {
  try {
    media('linear');
    pool.close();
    pools.destroy(NAME, { force: true, devices: [DEV] });
  } finally {
    run('dmsetup', ['remove', '--noudevsync', DM]);
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
    let commit;
    try {
      commit = failure(() => mb.commit(lost));
    } finally {
      media('linear');
    }
    expect(commit.code).toBe('EIO');
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

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
