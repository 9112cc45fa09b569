/**
 * The mcache benchmark, inside the guest (bench/run.ts starts it after
 * bench/guest.ts, in the same VM run). The pool is on /dev/vda; the
 * baseline is ext4 on /dev/vdb, a disk of the same size and kind. Rounds
 * interleave (map, ext4, map, ext4, ...); each figure is the median with
 * its min and max, and the ratio is of the medians.
 *
 *   1. kernel memory per mapped object: one map of N mblocks, and maps of
 *      32, vs N per-object mmaps of ext4 files (Δ of the kernel memory
 *      charged to the benchmark's own cgroup across the mapping step, and
 *      the VMAs of each kind in /proc/self/maps);
 *   2. cold sequential read through a map (after VMA_PURGE and
 *      drop_caches, MADV_SEQUENTIAL) vs an mmap of a same-size ext4 file,
 *      readahead matched (pool ra=32 pages, read_ahead_kb=128);
 *   3. hot re-read (the pages cached, a second mmap) vs the same file;
 *   4. random 4 KiB faults, cold, MADV_RANDOM on both.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import type { McacheMap } from '../userland/src/lib/mcache.js';
import { Pool } from '../userland/src/lib/pool.js';
import { Pools } from '../userland/src/lib/pools.js';
import * as sys from '../userland/src/sys/libc.js';
import { now, stat, type BenchRow } from './stat.js';

const POOL_DEV = '/dev/vda';
const FILE_DEV = '/dev/vdb';
const MNT = '/mnt/mcbench';
const MiB = 1 << 20;
const PAGE = sys.pageSize;
const MBLOCK = 32 * MiB;
const NMB = 8; // 256 MiB of data
const ROUNDS = 5;
const OBJECTS = 16384;
const RANDOM_FAULTS = 4096;

export type McacheRow = BenchRow;


function dropCaches(): void {
  writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

const CGROUP = '/sys/fs/cgroup';
const BENCH_CG = `${CGROUP}/mcbench`;

/**
 * Run this process in a cgroup of its own, so that the kernel memory it
 * causes is counted apart from everything else the guest does.
 */
function enterCgroup(): void {
  if (!existsSync(`${CGROUP}/cgroup.controllers`)) execFileSync('mount', ['-t', 'cgroup2', 'none', CGROUP]);
  writeFileSync(`${CGROUP}/cgroup.subtree_control`, '+memory\n');
  mkdirSync(BENCH_CG, { recursive: true });
  writeFileSync(`${BENCH_CG}/cgroup.procs`, `${process.pid}\n`);
}

/**
 * Kernel memory charged to this process's cgroup (memory.stat "kernel":
 * slab, vmalloc, large kmallocs, page tables...), bytes.
 */
function kernelBytes(): number {
  return Number(/^kernel (\d+)/m.exec(readFileSync(`${BENCH_CG}/memory.stat`, 'utf8'))?.[1] ?? NaN);
}

/** Lines of /proc/self/maps that contain `name`: the VMAs of one kind of mapping. */
function vmaCount(name: string): number {
  return readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes(name)).length;
}

/** Touch one byte of every page; returns MB/s. */
function touchAll(bytes: Uint8Array): number {
  let sink = 0;
  const t0 = now();
  for (let i = 0; i < bytes.length; i += PAGE) sink += bytes[i]!;
  const secs = now() - t0;
  if (sink < 0) throw new Error('unreachable');
  return bytes.length / MiB / secs;
}

/** Touch `order` pages (indices); returns faults per second. */
function touchPages(bytes: Uint8Array, order: readonly number[]): number {
  let sink = 0;
  const t0 = now();
  for (const p of order) sink += bytes[p * PAGE]!;
  const secs = now() - t0;
  if (sink < 0) throw new Error('unreachable');
  return order.length / secs;
}

function randomPages(n: number, max: number, seed: number): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.push(x % max);
  }
  return out;
}

export function runMcacheBench(): McacheRow[] {
  const pools = new Pools();
  enterCgroup();
  execFileSync('modprobe', ['ext4']);
  execFileSync('mkfs.ext4', ['-q', '-F', FILE_DEV]);
  mkdirSync(MNT, { recursive: true });
  execFileSync('mount', ['-t', 'ext4', FILE_DEV, MNT]);
  writeFileSync('/sys/block/vdb/queue/read_ahead_kb', '128\n');

  pools.create('mcbench', POOL_DEV, { force: true, mblockSize: MBLOCK / MiB });
  const pool = Pool.open('mcbench', { write: true });
  pool.setParams({ readaheadPages: 32 });

  // The same 256 MiB in 8 mblocks and in one ext4 file.
  const chunk = new Uint8Array(MBLOCK);
  const ids: bigint[] = [];
  const fd = openSync(`${MNT}/data`, 'w');
  for (let m = 0; m < NMB; m++) {
    for (let i = 0; i < MBLOCK; i += 8) chunk[i] = (m * 131 + i / 8) & 0xff;
    const { id } = pool.mblocks.alloc();
    pool.mblocks.write(id, chunk);
    pool.mblocks.commit(id);
    ids.push(id);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  // Small objects for the memory figure: one 4 KiB mblock, and as many 4 KiB files.
  const small = pool.mblocks.alloc().id;
  pool.mblocks.write(small, chunk.subarray(0, PAGE));
  pool.mblocks.commit(small);
  mkdirSync(`${MNT}/small`, { recursive: true });
  for (let i = 0; i < OBJECTS; i++) writeFileSync(`${MNT}/small/${i}`, chunk.subarray(0, PAGE));
  execFileSync('sync');

  const fileFd = sys.open(`${MNT}/data`, sys.O_RDONLY);
  const fileLen = NMB * MBLOCK;
  const samples = {
    memOne: [] as number[], memMaps32: [] as number[], memExt4: [] as number[],
    vmaOne: [] as number[], vmaMaps32: [] as number[], vmaExt4: [] as number[],
    coldMap: [] as number[], coldFile: [] as number[],
    hotMap: [] as number[], hotFile: [] as number[],
    randMap: [] as number[], randFile: [] as number[],
  };

  for (let round = 0; round < ROUNDS; round++) {
    // 1. Memory per mapped object.
    {
      const ids1 = new Array<bigint>(OBJECTS).fill(small);
      const ids32 = new Array<bigint>(32).fill(small);
      let m0 = kernelBytes();
      const one = pool.mcache.map(ids1);
      samples.memOne.push((kernelBytes() - m0) / OBJECTS);
      samples.vmaOne.push(vmaCount('mpool-mcache:mcbench:'));
      one.close();

      m0 = kernelBytes();
      const maps: McacheMap[] = [];
      for (let i = 0; i < OBJECTS / 32; i++) maps.push(pool.mcache.map(ids32));
      samples.memMaps32.push((kernelBytes() - m0) / OBJECTS);
      samples.vmaMaps32.push(vmaCount('mpool-mcache:mcbench:'));
      for (const m of maps) m.close();

      m0 = kernelBytes();
      const files: sys.Mapping[] = [];
      for (let i = 0; i < OBJECTS; i++) {
        const f = sys.open(`${MNT}/small/${i}`, sys.O_RDONLY);
        files.push(sys.mmap(PAGE, sys.PROT_READ, sys.MAP_SHARED, f, 0n));
        sys.close(f);
      }
      samples.memExt4.push((kernelBytes() - m0) / OBJECTS);
      samples.vmaExt4.push(vmaCount(`${MNT}/small/`));
      for (const f of files) f.unmap();
    }

    // 2-4. Reads, map then file, each cold from the media.
    const map = pool.mcache.map(ids, { advice: 'warm' });
    const file = sys.mmap(fileLen, sys.PROT_READ, sys.MAP_SHARED, fileFd, 0n);
    try {
      map.purge();
      dropCaches();
      map.madvise(0, 0, Infinity, 'sequential');
      samples.coldMap.push(touchAll(viewAll(map)));
      dropCaches();
      sys.madvise(file, 0, fileLen, sys.MADV_SEQUENTIAL);
      samples.coldFile.push(touchAll(file.bytes));

      // Hot: everything cached; a second mmap of the same map / file.
      const again = sys.mmap(map.length, sys.PROT_READ, sys.MAP_SHARED, pool.fd, map.offset);
      samples.hotMap.push(touchAll(again.bytes));
      again.unmap();
      const fileAgain = sys.mmap(fileLen, sys.PROT_READ, sys.MAP_SHARED, fileFd, 0n);
      samples.hotFile.push(touchAll(fileAgain.bytes));
      fileAgain.unmap();

      // Random 4 KiB faults, cold: the file's pages unmapped first, or
      // drop_caches could not drop them (VMA_PURGE unmaps the map's itself).
      const order = randomPages(RANDOM_FAULTS, fileLen / PAGE, 7 + round);
      map.purge();
      dropCaches();
      map.madvise(0, 0, Infinity, 'random');
      samples.randMap.push(touchPages(viewAll(map), order.map((p) => bucketPage(map, p))));
      sys.madvise(file, 0, fileLen, sys.MADV_DONTNEED);
      dropCaches();
      sys.madvise(file, 0, fileLen, sys.MADV_RANDOM);
      samples.randFile.push(touchPages(file.bytes, order));
    } finally {
      map.close();
      file.unmap();
    }
  }

  sys.close(fileFd);
  pool.close();
  pools.destroy('mcbench', { force: true });
  execFileSync('umount', [MNT]);

  const row = (name: string, unit: string, better: 'higher' | 'lower', a: number[], b: number[], baseline: string): McacheRow => {
    const mp = stat(a);
    const base = stat(b);
    return { name, unit, better, mpool: mp, base, ratio: mp.median / base.median, baseline };
  };
  return [
    row(`kernel bytes per mapped object, one map of ${OBJECTS}`, 'B', 'lower', samples.memOne, samples.memExt4, `${OBJECTS} ext4 mmaps`),
    row('kernel bytes per mapped object, maps of 32', 'B', 'lower', samples.memMaps32, samples.memExt4, `${OBJECTS} ext4 mmaps`),
    row(`VMAs for ${OBJECTS} objects, one map`, 'VMAs', 'lower', samples.vmaOne, samples.vmaExt4, 'ext4 mmaps'),
    row(`VMAs for ${OBJECTS} objects, maps of 32`, 'VMAs', 'lower', samples.vmaMaps32, samples.vmaExt4, 'ext4 mmaps'),
    row('cold sequential read MiB/s (MADV_SEQUENTIAL, ra 128 KiB)', 'MiB/s', 'higher', samples.coldMap, samples.coldFile, 'ext4 file mmap'),
    row('hot re-read MiB/s (cached, second mmap)', 'MiB/s', 'higher', samples.hotMap, samples.hotFile, 'ext4 file mmap'),
    row(`random 4 KiB faults/s, cold (${RANDOM_FAULTS} pages, MADV_RANDOM)`, 'faults/s', 'higher', samples.randMap, samples.randFile, 'ext4 file mmap'),
  ];
}

/** The whole mapped range (all buckets), for touching every page. */
function viewAll(map: McacheMap): Uint8Array {
  const first = map.view(0);
  return new Uint8Array(first.buffer, first.byteOffset, map.length);
}

/** Page `p` of the data (as in the file) at its place in the map: buckets are mblock-sized here. */
function bucketPage(map: McacheMap, p: number): number {
  const per = MBLOCK / PAGE;
  return Math.floor(p / per) * (map.bucketSize / PAGE) + (p % per);
}
