/**
 * The metadata bench, inside the guest (make bench BENCH=meta): a pool on
 * /dev/vda is filled with mblocks, allocated and committed with no data,
 * up to each count of MPOOL_BENCH_META (default 0,10000,100000,1000000;
 * 0 is the empty pool, what activation costs whatever the count). At each
 * count:
 *   - the fill: alloc + commit per second, and the commit latencies, whose
 *     longest includes the compaction of an MDC holding 1/16 of the objects;
 *   - the compactions during the fill, from the kernel's log: how many, the
 *     blocks of the largest, its time and the median time;
 *   - activation, in interleaved rounds with its baseline: an O_DIRECT
 *     sequential read (1 MiB) of as many bytes as activation read from the
 *     device (from /sys/block/vda/stat), from the start of the device,
 *     where the metadata lives;
 *   - kernel memory per object: slab in use after activation less before
 *     it (the pool deactivated), over the count.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pools } from '../userland/src/lib/pools.js';
import { now, stat, type Stat } from './stat.js';

const DISK = '/dev/vda';
const MiB = 1 << 20;
const ROUNDS = Number(process.env.MPOOL_BENCH_ROUNDS ?? 5);
export const META_COUNTS = (process.env.MPOOL_BENCH_META ?? '0,10000,100000,1000000').split(',').map(Number);

export interface MetaStage {
  objects: number;
  /** While filling from the previous count to this one. */
  fill: { opsPerSec: number; commitUs: { p50: number; p99: number; max: number } };
  /** MDC compactions during the fill (the kernel logs each with its blocks and time). */
  compactions: { count: number; maxBlocks: number; maxUs: number; medianUs: number };
  /** Seconds, pool activation (library call: device scan + MPIOC_MP_ACTIVATE). */
  activation: Stat;
  /** Seconds, the sequential read of the same bytes. */
  baseline: Stat;
  ratio: number;
  /** What activation read from the device. */
  readBytes: number;
  /** Slab bytes an activated pool holds per object (median over rounds; 0 with no objects). */
  slabBytesPerObject: number;
}


/** Sectors read from @dev so far. */
function sectorsRead(dev: string): number {
  return Number(readFileSync(`/sys/block/${dev}/stat`, 'utf8').trim().split(/\s+/)[2]);
}

/** Slab bytes in use, per-CPU deltas folded in first. */
function slabBytes(): number {
  try {
    writeFileSync('/proc/sys/vm/stat_refresh', '1');
  } catch {
    // EINVAL when some counter is negative: folded anyway.
  }
  const kb = /^Slab:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/**
 * The "MDC-n compacted ... N blocks in U us" lines the kernel logged after
 * `since` (seconds of its clock): [blocks, us] each; and the last time stamp.
 */
function compactionsLogged(since: number): { found: [number, number][]; last: number } {
  const log = execFileSync('dmesg', { encoding: 'utf8', maxBuffer: 1 << 26 });
  const found: [number, number][] = [];
  let last = since;
  for (const m of log.matchAll(/^\[\s*(\d+\.\d+)\] (.*)$/gm)) {
    const t = Number(m[1]);
    last = Math.max(last, t);
    const c = /MDC-\d+ compacted into log [AB], generation \d+, (\d+) blocks in (\d+) us/.exec(m[2]!);
    if (c && t > since) found.push([Number(c[1]), Number(c[2])]);
  }
  return { found, last };
}

export function runMetaBench(helpers: string): MetaStage[] {
  const xfer = (...args: (string | number)[]): string[] =>
    execFileSync(join(helpers, 'xfer'), args.map(String), { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n');
  const pools = new Pools();
  // No spare zones: the default keeps 5% back, and 1M objects would not fit.
  pools.create('mbench', DISK, { force: true, mblockSize: 1, spareCapacity: 0 });
  const node = '/dev/mpool/mbench';
  const stages: MetaStage[] = [];
  let have = 0;
  // The kernel log is read once per stage: each read starts where the last one ended.
  let since = compactionsLogged(0).last;
  try {
    for (const count of META_COUNTS) {
      const [ops, lat] = count > have ? xfer('mbfill', node, count - have) : ['0', '0 0 0'];
      const logged = compactionsLogged(since);
      const during = logged.found;
      since = logged.last;
      const us = during.map(([, u]) => u);
      have = count;
      const [p50, p99, max] = lat!.split(' ').map(Number) as [number, number, number];
      console.log(`meta: ${count} objects (${Number(ops).toFixed(0)} commits/s)`);
      const act: number[] = [];
      const base: number[] = [];
      const slab: number[] = [];
      let readBytes = 0;
      for (let round = 0; round <= ROUNDS; round++) {
        pools.deactivate('mbench');
        const s0 = slabBytes();
        const r0 = sectorsRead('vda');
        const t0 = now();
        pools.activate('mbench');
        const secs = now() - t0;
        readBytes = (sectorsRead('vda') - r0) * 512;
        const s1 = slabBytes();
        // The baseline right after, on the same device: the pool does not hold it exclusively for readers.
        const bytes = Math.ceil(readBytes / MiB) * MiB;
        const mibs = Number(xfer('rawread', DISK, MiB, bytes, 1)[0]);
        if (round === 0) continue; // warm-up: the first activation after the fill
        act.push(secs);
        base.push(bytes / MiB / mibs);
        slab.push(count ? (s1 - s0) / count : 0);
      }
      const a = stat(act);
      const b = stat(base);
      stages.push({
        objects: count,
        fill: { opsPerSec: Number(ops), commitUs: { p50, p99, max } },
        compactions: {
          count: during.length,
          maxBlocks: Math.max(0, ...during.map(([b]) => b)),
          maxUs: Math.max(0, ...us),
          medianUs: us.length ? stat(us).median : 0,
        },
        activation: a,
        baseline: b,
        ratio: a.median / b.median,
        readBytes,
        slabBytesPerObject: stat(slab).median,
      });
      console.log(`meta: ${count}: activation ${a.median.toFixed(3)} s, baseline ${b.median.toFixed(3)} s, ${(readBytes / MiB).toFixed(1)} MiB read, ${stat(slab).median.toFixed(0)} slab B/object`);
    }
  } finally {
    pools.destroy('mbench', { force: true });
  }
  return stages;
}
