/**
 * make bench: one VM run of bench/guest.ts on a 4 GiB virtual disk; prints
 * each measurement with its baseline and the ratio, medians with min and
 * max of interleaved rounds. BENCH=ops,xfer runs those parts only;
 * MPOOL_BENCH_ROUNDS=N counts N rounds (default 5) after each warm-up.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatVerdict } from '../tests/vm/verdict.js';
import type { McacheRow } from './mcache.js';
import type { OpsRow } from './ops.js';
import type { BenchRow } from './stat.js';
import type { ReaperBench } from './reaper.js';
import type { XferRow } from './xfer.js';
import { META_COUNTS, type MetaStage } from './meta.js';
import { buildHelpers, HELPERS } from '../tests/vm/suite.js';
import { boot, buildModule, BUILD, REPO, stockKernel } from '../tests/vm/vm.js';

const kernel = stockKernel();
const ko = buildModule(kernel);
buildHelpers('reaper');
execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-pthread', `-I${join(REPO, 'uapi')}`, '-o', join(HELPERS, 'xfer'), join(REPO, 'bench/xfer.c')]);
const only = process.env.BENCH ?? '';
// Interleaved rounds each part counts after its warm-up (the guest reads it too).
const ROUNDS = Number(process.env.MPOOL_BENCH_ROUNDS ?? 5);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`bench: MPOOL_BENCH_ROUNDS=${process.env.MPOOL_BENCH_ROUNDS} is not a positive integer`);
const parts = only ? only.split(',') : ['ops', 'mcache', 'reaper', 'xfer', 'meta'];
const share = join(BUILD, 'vm', 'runs', 'bench');
const metaShare = join(BUILD, 'vm', 'runs', 'bench-meta');
const guestScript = (which: string): string =>
  `insmod ${ko} || exit 90\ncd ${REPO} && MPOOL_SHARE="$OLDPWD" MPOOL_HELPERS=${HELPERS} MPOOL_BENCH_ONLY=${which} MPOOL_BENCH_META=${META_COUNTS.join(',')} MPOOL_BENCH_ROUNDS=${ROUNDS} node --import tsx bench/guest.ts\nrc=$?\ncd - >/dev/null; rmmod mpool; dmesg > dmesg.txt; exit $rc`;
const fail = (r: Awaited<ReturnType<typeof boot>>): never => {
  console.log(`bench: FAILED\n${formatVerdict(r.verdict)}\n${r.console.split('\n').slice(-30).join('\n')}`);
  process.exit(1);
};
// Nothing of an earlier run is read back as this one's.
for (const d of [share, metaShare]) rmSync(d, { recursive: true, force: true });
// Everything but the metadata bench: two 4 GiB disks.
const first = parts.filter((p) => p !== 'meta');
let r: Awaited<ReturnType<typeof boot>> | undefined;
if (first.length) {
  r = await boot({
    kernel,
    share,
    disks: { dir: join(BUILD, 'vm', 'disks', 'bench'), count: 2, sizeMiB: 4096 },
    script: guestScript(first.join(',')),
    timeoutSec: 3600,
  });
  if (!r.verdict.ok) fail(r);
}
// The metadata bench: one sparse disk with a 1 MiB zone for every object, and room for the logs.
if (parts.includes('meta')) {
  r = await boot({
    kernel,
    share: metaShare,
    disks: { dir: join(BUILD, 'vm', 'disks', 'bench-meta'), count: 1, sizeMiB: Math.max(...META_COUNTS) + 8192 },
    script: guestScript('meta'),
    timeoutSec: 3 * 3600,
  });
  if (!r.verdict.ok) fail(r);
}
if (!r) throw new Error(`bench: nothing to run in BENCH=${only}`);
const read = <T>(f: string): T | null => {
  const at = [share, metaShare].map((d) => join(d, f)).find((p) => existsSync(p));
  return at ? (JSON.parse(readFileSync(at, 'utf8')) as T) : null;
};
/** One row: the mpool side (named `side`), the baseline, the ratio, and the target when there is one. */
const printRow = (row: BenchRow & { target?: string }, side: string): void => {
  const f = (s: BenchRow['mpool']): string => `${s.median.toFixed(1)} [${s.min.toFixed(1)}..${s.max.toFixed(1)}] ${row.unit}`;
  const target = row.target ? `; target ${row.target}` : '';
  console.log(`  ${row.name}\n    ${side} ${f(row.mpool)}  ${row.baseline} ${f(row.base)}  ratio ${row.ratio.toFixed(2)} (${row.better} is better${target})`);
};
const ops = read<OpsRow[]>('ops.json') ?? [];
if (ops.length) console.log(`ops: ${r.accel} guest, ${kernel.version}; medians [min..max] of ${ops[0]!.mpool.samples.length} interleaved rounds, same disk, same run`);
for (const row of ops) printRow(row, 'mpool');
const mc = read<McacheRow[]>('mcache.json') ?? [];
if (mc.length) console.log(`mcache: medians [min..max] of ${mc[0]?.mpool.samples.length ?? 0} interleaved rounds; baseline on a second disk of the same size in the same run`);
for (const row of mc) printRow(row, 'map');
const rp = read<ReaperBench>('reaper.json');
if (rp) {
  const n = rp.rounds.length / 2;
  console.log(`reaper on (reap_mempct default) vs off (100): medians [min..max] of ${n} interleaved rounds; working set ${rp.workingSetMiB} MiB, balloon leaving ${rp.freeMiB} MiB free`);
  for (const [k, v] of Object.entries(rp.summary)) {
    const f = (s: { median: number; min: number; max: number }): string => `${s.median.toFixed(1)} [${s.min.toFixed(1)}..${s.max.toFixed(1)}]`;
    console.log(`  ${k}: on ${f(v.on)}  off ${f(v.off)}  ratio ${v.ratio === null || Number.isNaN(v.ratio) ? '-' : v.ratio.toFixed(2)}`);
  }
  for (const round of rp.rounds.slice(0, 2)) {
    const curve = round.residency.filter((_, i) => i % 4 === 0).map(([t, h, c, u, f]) => `${t.toFixed(0)}s hot ${(h / 256).toFixed(0)}M cold ${(c / 256).toFixed(0)}M urgency ${u} free ${f.toFixed(0)}M`);
    console.log(`  residency, reaper ${round.reaper}: ${curve.join(', ')}`);
  }
}
const xf = read<XferRow[]>('xfer.json');
if (xf?.length) {
  const n = xf[0]!.shapes[Object.keys(xf[0]!.shapes)[0]!]!.stat.samples.length;
  console.log(`xfer: MiB/s, medians [min..max] of ${n} interleaved rounds; raw O_DIRECT on the other half of the same disk; shapes rwconc_max/chunk_size_kb`);
  const f = (s: { median: number; min: number; max: number }): string => `${s.median.toFixed(0)} [${s.min.toFixed(0)}..${s.max.toFixed(0)}]`;
  for (const row of xf) {
    const shapes = Object.entries(row.shapes).map(
      ([k, v]) =>
        `${k}: ${f(v.stat)} ${v.ratio.toFixed(2)}x, ${v.cpuMsPerMiB.median.toFixed(2)} CPU ms/MiB${v.commitShare === undefined ? '' : ` (commits ${(v.commitShare * 100).toFixed(0)}%)`}`,
    );
    const base = row.baseline ? ` (${row.baseline})` : '';
    console.log(`  ${row.name}: raw${base} ${f(row.raw)}, ${row.rawCpuMsPerMiB.median.toFixed(2)} CPU ms/MiB; ${shapes.join('; ')}`);
  }
}
const meta = read<MetaStage[]>('meta.json');
if (meta?.length) {
  console.log(`meta: mblocks with no data; activation (s) vs an O_DIRECT sequential read of the bytes it read, medians [min..max] of ${meta[0]!.activation.samples.length} interleaved rounds`);
  const f = (s: { median: number; min: number; max: number }): string => `${s.median.toFixed(3)} [${s.min.toFixed(3)}..${s.max.toFixed(3)}]`;
  for (const m of meta) {
    console.log(
      `  ${m.objects} objects: fill ${m.fill.opsPerSec.toFixed(0)}/s (commit p50 ${m.fill.commitUs.p50} µs, p99 ${m.fill.commitUs.p99}, max ${m.fill.commitUs.max}); ` +
        `activation ${f(m.activation)} vs read ${f(m.baseline)} = ${m.ratio.toFixed(2)}x of ${(m.readBytes / (1 << 20)).toFixed(1)} MiB; ${m.slabBytesPerObject.toFixed(0)} slab bytes/object; ` +
        `${m.compactions.count} compactions (largest ${m.compactions.maxBlocks} blocks, median ${m.compactions.medianUs} µs, max ${m.compactions.maxUs} µs)`,
    );
  }
}
// Every part's results, under the date, for the README's tables.
const day = new Date().toISOString().slice(0, 10);
mkdirSync(join(BUILD, 'bench'), { recursive: true });
writeFileSync(
  join(BUILD, 'bench', `${day}.json`),
  JSON.stringify({ date: day, kernel: kernel.version, accel: r.accel, note: 'TCG guest, ratios only', ops, mcache: mc, reaper: rp, xfer: xf, meta }, null, 2),
);
