/**
 * make bench: one VM run of bench/guest.ts on a 4 GiB virtual disk; prints
 * each measurement with its baseline and the ratio, medians of 3 rounds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatVerdict } from '../tests/vm/verdict.js';
import { boot, buildModule, BUILD, REPO, stockKernel } from '../tests/vm/vm.js';

interface Row {
  name: string;
  mpool: number;
  raw: number;
  ratio: number;
}

const kernel = stockKernel();
const ko = buildModule(kernel);
const share = join(BUILD, 'vm', 'runs', 'bench');
const r = await boot({
  kernel,
  share,
  disks: { dir: join(BUILD, 'vm', 'disks', 'bench'), count: 1, sizeMiB: 4096 },
  script: `insmod ${ko} || exit 90\ncd ${REPO} && MPOOL_SHARE="$OLDPWD" node --import tsx bench/guest.ts\nrc=$?\ncd - >/dev/null; rmmod mpool; dmesg > dmesg.txt; exit $rc`,
  timeoutSec: 1800,
});
if (!r.verdict.ok) {
  console.log(`bench: FAILED\n${formatVerdict(r.verdict)}\n${r.console.split('\n').slice(-30).join('\n')}`);
  process.exit(1);
}
const rows = JSON.parse(readFileSync(join(share, 'bench.json'), 'utf8')) as Row[];
console.log(`bench: ${r.accel} guest, ${kernel.version}; medians of 3 rounds, same disk, same run`);
for (const row of rows) {
  console.log(`  ${row.name}\n    mpool ${row.mpool.toFixed(1)}  raw ${row.raw.toFixed(1)}  ratio ${row.ratio.toFixed(2)}`);
}
