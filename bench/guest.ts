/**
 * The benchmark, inside the guest: every mpool figure is measured next to
 * its baseline on the same virtual disk in the same run, in interleaved
 * rounds, and reported as a ratio. Absolute numbers under TCG mean little;
 * ratios do. MPOOL_BENCH_ONLY=ops,xfer runs those parts only (make bench
 * BENCH=ops,xfer).
 *
 *   ops     small objects vs ext4, mlog sync appends vs O_DIRECT + fsync,
 *           the library's cost per call vs a bare koffi ioctl (bench/ops.ts)
 *   mcache  mcache maps vs ext4 mmaps (bench/mcache.ts)
 *   reaper  the reaper on vs off under a balloon (bench/reaper.ts)
 *   xfer    mblock writes and reads of 1, 4 and 16 MiB, by transfer shape,
 *           vs raw O_DIRECT on the other half of the same disk (bench/xfer.ts)
 *   meta    10k, 100k and 1M objects: activation, memory, the fill, MDC
 *           compactions (bench/meta.ts; a boot of its own, on a disk large
 *           enough)
 *
 * Each part writes <part>.json to MPOOL_SHARE; bench/run.ts prints them.
 */
import { writeFileSync } from 'node:fs';
import { runMcacheBench } from './mcache.js';
import { runMetaBench } from './meta.js';
import { runOpsBench } from './ops.js';
import { runReaperBench } from './reaper.js';
import { runXferBench } from './xfer.js';

const only = process.env.MPOOL_BENCH_ONLY?.split(',').filter(Boolean);
const part = (p: string): boolean => !only || only.includes(p);
const out = (file: string, v: unknown): void => writeFileSync(`${process.env.MPOOL_SHARE ?? '.'}/${file}`, JSON.stringify(v, null, 2));

if (part('ops')) {
  const rows = runOpsBench(process.env.MPOOL_HELPERS ?? '');
  out('ops.json', rows);
  for (const o of rows) console.log(`${o.name}: mpool ${o.mpool.median.toFixed(1)}, baseline ${o.base.median.toFixed(1)} ${o.unit}, ratio ${o.ratio.toFixed(2)}`);
}

// mcache maps against ext4 mmaps on a second disk (bench/mcache.ts).
if (part('mcache')) {
  const mc = runMcacheBench();
  out('mcache.json', mc);
  for (const o of mc) console.log(`${o.name}: mpool ${o.mpool.median.toFixed(1)}, ${o.baseline} ${o.base.median.toFixed(1)}, ratio ${o.ratio.toFixed(2)}`);
}

// The reaper on vs off under a balloon (bench/reaper.ts).
if (part('reaper')) {
  const rp = await runReaperBench();
  out('reaper.json', rp);
}

// mblock transfers by shape vs raw O_DIRECT (bench/xfer.ts).
if (part('xfer')) {
  const rows = runXferBench(process.env.MPOOL_HELPERS ?? '');
  out('xfer.json', rows);
}

// Activation, memory and commits with many objects (bench/meta.ts).
if (part('meta')) {
  const stages = runMetaBench(process.env.MPOOL_HELPERS ?? '');
  out('meta.json', stages);
}
