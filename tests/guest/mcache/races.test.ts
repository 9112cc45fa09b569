/**
 * mcache maps under what processes do to them (the note's section 6): fork,
 * mremap and mprotect, 16 threads faulting, munmap or exit during faults,
 * faults racing PURGE, the pool fd closed, a forced destroy and an I/O
 * error under a live map, rmmod, and the module's map limits.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, insmod, kernelFailuresSince, markKernelLog, rmmod, run } from '../helpers.js';
import { committed, DISK_B, dropPool, failure, fnv, freshPool, hexIds, mapLines, MCMAP, mcmap, mcmapAsync, PAGE, pattern, pools, sh, sha256, ZONE, type Written } from './fixtures.js';

const NAME = 'mcraces';
let pool: Pool;
let marker: string;
let data: Written[];

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('mcache-races');
  pool = freshPool(NAME);
  data = [committed(pool, pattern(64, 1)), committed(pool, pattern(17, 2)), committed(pool, pattern(ZONE / PAGE, 3))];
});

afterAll(() => dropPool(pool));

const ids = (): bigint[] => data.map((w) => w.id);

const CGROUP = '/sys/fs/cgroup';

/** cgroup v2 mounted (here if need be) with the memory controller available. */
function memoryController(): boolean {
  if (!existsSync(`${CGROUP}/cgroup.controllers`)) run('mount', ['-t', 'cgroup2', 'none', CGROUP]);
  return existsSync(`${CGROUP}/cgroup.controllers`) && readFileSync(`${CGROUP}/cgroup.controllers`, 'utf8').split(/\s+/).includes('memory');
}
const sums = (): string[] => data.map((w) => fnv(w.data));
const EFAULT = 14;
const EINVAL = 22;
const EACCES = 13;

describe('processes and the VM', () => {
  it('fork: the child sees the same pages, after the parent unmapped and closed; a DONTFORK mapping is absent in the child', async () => {
    const r = await mcmap('fork', pool.path, ids());
    expect(r.status).toBe(0);
    const child = r.out.find((o) => o.child === true);
    const parent = r.out.find((o) => o.child === false);
    expect(child).toMatchObject({ dontforkAbsent: true, sums: sums() });
    expect(parent).toMatchObject({ childStatus: 0 });
    // Both sides gone: the mblocks are free to delete (checked with a fresh one).
    const w = committed(pool, pattern(1, 50));
    expect((await mcmap('fork', pool.path, [w.id])).status).toBe(0);
    pool.mblocks.delete(w.id);
  });

  it('mremap grow is EFAULT, MREMAP_DONTUNMAP EINVAL, a move works; mprotect to write or exec is EACCES, NONE then READ works; mmap PROT_WRITE/EXEC is EACCES, MAP_PRIVATE works', async () => {
    const r = await mcmap('vm', pool.path, ids());
    expect(r.status).toBe(0);
    expect(r.out[0]).toEqual({
      grow: EFAULT,
      dontunmap: EINVAL,
      mprotectWrite: EACCES,
      mprotectExec: EACCES,
      noneThenRead: 0,
      mmapWrite: EACCES,
      mmapExec: EACCES,
      mmapPrivate: 0,
      sums: sums(),
    });
  });

  it('16 threads faulting the same and disjoint pages all read the right data', async () => {
    const r = await mcmap('threads', pool.path, ids(), '16');
    expect(r.status).toBe(0);
    const one = await mcmap('threads', pool.path, ids(), '1');
    expect(r.out[0]).toMatchObject({ threads: 16, alike: true, sums: sums() });
    expect((r.out[0] as { disjoint: string }).disjoint).toBe((one.out[0] as { disjoint: string }).disjoint);
  });

  it('munmap, or exit, while another thread faults: clean, and the map is released (delete works right after)', async () => {
    const w = committed(pool, pattern(256, 60));
    const u = await mcmap('unmap-race', pool.path, [w.id]);
    expect(u.status).toBe(0);
    expect(u.out[0]).toMatchObject({ unmapped: true });
    pool.mblocks.delete(w.id);
    const x = committed(pool, pattern(256, 61));
    const e = await mcmap('unmap-race', pool.path, [x.id], 'exit');
    expect(e.status).toBe(0);
    pool.mblocks.delete(x.id);
  });

  it('the pool fd closed while mapped: the map keeps working', async () => {
    const r = await mcmap('close-fd', pool.path, ids());
    expect(r.out[0]).toMatchObject({ closed: true, sums: sums() });
  });

  it('faults racing PURGE: no SIGBUS, the right data, refaults from the media', async () => {
    const map = pool.mcache.map(ids());
    try {
      const child = mcmapAsync('threads', pool.path, ids(), '4');
      let purges = 0;
      let done = false;
      void child.exited.then(() => (done = true));
      while (!done) {
        map.purge();
        purges++;
        await new Promise((r) => setTimeout(r, 5));
      }
      const line = JSON.parse(await child.nextLine()) as { alike: boolean; sums: string[] };
      expect(line).toMatchObject({ alike: true, sums: sums() });
      expect(purges).toBeGreaterThan(0);
      expect(sha256(map.view(2))).toBe(sha256(data[2]!.data));
    } finally {
      map.close();
    }
  });

  it('two mmaps of one map in one process, and in two, are independent', async () => {
    const v = pool.mcache.create(ids());
    const a = pool.mcache.map(ids());
    const b = pool.mcache.map(ids());
    try {
      expect(mapLines(NAME).length).toBeGreaterThanOrEqual(2);
      expect(sha256(a.view(1))).toBe(sha256(b.view(1)));
      a.close();
      expect(sha256(b.view(1))).toBe(sha256(data[1]!.data));
      expect((await mcmap('sum', pool.path, ids())).out[0]!.sums).toEqual(sums());
    } finally {
      a.close();
      b.close();
      pool.mcache.destroy(v.offset);
    }
  });
});

describe('memory', () => {
  // The debug kernel is built without memcg: reported skipped there.
  it.runIf(memoryController())("page-cache pages are charged to the faulting task's cgroup (cgroup v2 memory.stat file)", async () => {
    const cg = CGROUP;
    writeFileSync(`${cg}/cgroup.subtree_control`, '+memory\n');
    const dir = `${cg}/mctest`;
    if (!existsSync(dir)) mkdirSync(dir);
    const flag = `/tmp/mcache-hold-${process.pid}`;
    rmSync(flag, { force: true });
    const bytes = data.reduce((n, w) => n + w.data.length, 0);
    const child = spawn('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec ${MCMAP} hold ${pool.path} ${hexIds(ids())} ${flag}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((res) => child.stdout.once('data', (d: Buffer) => res(d.toString())));
    expect(JSON.parse(line)).toMatchObject({ ready: true, sums: sums() });
    const stat = readFileSync(`${dir}/memory.stat`, 'utf8');
    const file = Number(/^file (\d+)/m.exec(stat)?.[1] ?? 0);
    writeFileSync(flag, 'go');
    await new Promise((res) => child.on('exit', res));
    rmSync(flag, { force: true });
    expect(file).toBeGreaterThanOrEqual(bytes);
    rmdirSync(dir);
  });

  it('compaction and drop_caches with the map mapped: the data and the residency stay', () => {
    const map = pool.mcache.map(ids());
    try {
      data.forEach((w, i) => expect(sha256(map.view(i))).toBe(sha256(w.data)));
      const before = map.residency().resident;
      const migrated = (): number => Number(/^pgmigrate_success (\d+)/m.exec(readFileSync('/proc/vmstat', 'utf8'))?.[1] ?? 0);
      const m0 = migrated();
      writeFileSync('/proc/sys/vm/compact_memory', '1\n');
      writeFileSync('/proc/sys/vm/drop_caches', '3\n');
      console.log(`compaction: ${migrated() - m0} pages migrated in the guest`);
      expect(map.residency().resident).toBe(before);
      data.forEach((w, i) => expect(sha256(map.view(i))).toBe(sha256(w.data)));
    } finally {
      map.close();
    }
  });
});

describe('pool teardown under a live map', () => {
  it('forced destroy revokes it: the next fault is SIGBUS, commands on the old fd ENODEV; the map holds the module until it is unmapped', async () => {
    const flag = `/tmp/mcache-go-${process.pid}`;
    rmSync(flag, { force: true });
    const child = mcmapAsync('wait-touch', pool.path, ids(), flag);
    expect(JSON.parse(await child.nextLine())).toMatchObject({ ready: true });
    const old = pool;
    old.close();
    expect(failure(() => pools.deactivate(NAME)).code).toBe('EBUSY');
    const reopened = Pool.open(NAME);
    pools.destroy(NAME, { force: true });
    expect(failure(() => reopened.mcache.residency(1n << 30n)).code).toBe('ENODEV');
    reopened.close();
    // No pool and no open node left, but the child's revoked map is alive: rmmod must wait.
    expect(run('rmmod', ['mpool']).status).not.toBe(0);
    writeFileSync(flag, 'go');
    const end = await child.exited;
    expect(end.signal).toBe('SIGBUS');
    rmSync(flag, { force: true });
    rmmod();
    insmod();
    pool = freshPool(NAME);
    data = [committed(pool, pattern(64, 1)), committed(pool, pattern(17, 2)), committed(pool, pattern(ZONE / PAGE, 3))];
  });
});

describe('media errors', () => {
  it('an I/O error under a fault is SIGBUS; once the media answers again the same page reads', async () => {
    // A pool on a device-mapper device whose table can be switched to "error".
    dropPool(pool);
    const dev = '/dev/mapper/mcerr';
    try {
      const sectors = sh('blockdev', ['--getsz', DISK_B]).trim();
      // device-mapper is a module on Debian's kernel, built in on the debug one.
      if (!existsSync('/dev/mapper/control')) sh('modprobe', ['dm-mod']);
      run('dmsetup', ['remove', '--noudevsync', 'mcerr']);
      sh('dmsetup', ['create', '--noudevsync', 'mcerr', '--table', `0 ${sectors} linear ${DISK_B} 0`]);
      if (!existsSync(dev)) sh('dmsetup', ['mknodes', 'mcerr']);
      pools.create('mcerr', dev, { mblockSize: 4 });
      const p = Pool.open('mcerr', { write: true });
      const w = committed(p, pattern(8, 70));
      const swap = (table: string): void => {
        sh('dmsetup', ['suspend', '--noudevsync', 'mcerr']);
        sh('dmsetup', ['load', 'mcerr', '--table', table]);
        sh('dmsetup', ['resume', '--noudevsync', 'mcerr']);
      };
      swap(`0 ${sectors} error`);
      expect((await mcmap('touch', p.path, [w.id], String(PAGE))).signal).toBe('SIGBUS');
      swap(`0 ${sectors} linear ${DISK_B} 0`);
      const ok = await mcmap('touch', p.path, [w.id], String(PAGE));
      expect(ok.out[0]).toEqual({ value: w.data[PAGE] });
      p.close();
      pools.destroy('mcerr', { force: true, devices: [dev] });
    } finally {
      run('dmsetup', ['remove', '--noudevsync', 'mcerr']);
      pool = freshPool(NAME);
      data = [committed(pool, pattern(64, 1)), committed(pool, pattern(17, 2)), committed(pool, pattern(ZONE / PAGE, 3))];
    }
  });
});

describe('module limits', () => {
  it('xvm_size_max=27: PARAMS_GET says 27, regions are 128 MiB, 33 full mblocks are E2BIG; xvm_max=1024 bounds live maps (ENOSPC)', () => {
    pool.close();
    pools.deactivate(NAME);
    rmmod();
    insmod(['xvm_size_max=27', 'xvm_max=1024']);
    try {
      pools.activate(NAME);
      pool = Pool.open(NAME, { write: true });
      expect(pool.params().vmaSizeMax).toBe(27);
      const full = data[2]!.id;
      const v = pool.mcache.create(new Array<bigint>(32).fill(full));
      expect(v.regionLength).toBe(1n << 27n);
      expect(v.offset % (1n << 27n)).toBe(0n);
      pool.mcache.destroy(v.offset);
      expect(failure(() => pool.mcache.create(new Array<bigint>(33).fill(full))).code).toBe('E2BIG');
      const made = [];
      for (let i = 0; i < 1024; i++) made.push(pool.mcache.create([data[0]!.id]).offset);
      expect(failure(() => pool.mcache.create([data[0]!.id])).code).toBe('ENOSPC');
      for (const o of made) pool.mcache.destroy(o);
      const again = pool.mcache.create([data[0]!.id]);
      pool.mcache.destroy(again.offset);
    } finally {
      pool.close();
      pools.deactivate(NAME);
      rmmod();
      insmod();
      pools.activate(NAME);
      pool = Pool.open(NAME, { write: true });
    }
  });

  it('left no kernel warnings', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
