/**
 * make bench: one VM run of bench/guest.ts on a 4 GiB virtual disk; prints
 * each measurement with its baseline and the ratio, medians of 3 rounds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatVerdict } from '../tests/vm/verdict.js';
import type { McacheRow } from './mcache.js';
import { boot, buildModule, BUILD, REPO, stockKernel } from '../tests/vm/vm.js';

interface Row {
  name: string;
  mpool: number;
  raw: number;
  ratio: number;
  samples: { mpool: number[]; raw: number[] };
}

const kernel = stockKernel();
const ko = buildModule(kernel);
const share = join(BUILD, 'vm', 'runs', 'bench');
const r = await boot({
  kernel,
  share,
  disks: { dir: join(BUILD, 'vm', 'disks', 'bench'), count: 2, sizeMiB: 4096 },
  script: `insmod ${ko} || exit 90\ncd ${REPO} && MPOOL_SHARE="$OLDPWD" node --import tsx bench/guest.ts\nrc=$?\ncd - >/dev/null; rmmod mpool; dmesg > dmesg.txt; exit $rc`,
  timeoutSec: 3600,
});
if (!r.verdict.ok) {
  console.log(`bench: FAILED\n${formatVerdict(r.verdict)}\n${r.console.split('\n').slice(-30).join('\n')}`);
  process.exit(1);
}
const rows = JSON.parse(readFileSync(join(share, 'bench.json'), 'utf8')) as Row[];
const range = (v: number[]): string => `[${Math.min(...v).toFixed(1)}..${Math.max(...v).toFixed(1)}]`;
console.log(`bench: ${r.accel} guest, ${kernel.version}; medians [min..max] of 3 interleaved rounds, same disk, same run`);
for (const row of rows) {
  console.log(`  ${row.name}\n    mpool ${row.mpool.toFixed(1)} ${range(row.samples.mpool)}  raw ${row.raw.toFixed(1)} ${range(row.samples.raw)}  ratio ${row.ratio.toFixed(2)}`);
}
const mc = JSON.parse(readFileSync(join(share, 'mcache.json'), 'utf8')) as McacheRow[];
console.log(`mcache: medians [min..max] of ${mc[0]?.mpool.samples.length ?? 0} interleaved rounds; baseline on a second disk of the same size in the same run`);
for (const row of mc) {
  const f = (s: McacheRow['mpool']): string => `${s.median.toFixed(1)} [${s.min.toFixed(1)}..${s.max.toFixed(1)}] ${row.unit}`;
  console.log(`  ${row.name}\n    map ${f(row.mpool)}  ${row.baseline} ${f(row.base)}  ratio ${row.ratio.toFixed(2)} (${row.better} is better)`);
}
