/** mpool list: active pools, LVM style. */
import { Command } from 'commander';
import { Control, type PoolSummary } from '../../lib/control.js';
import { humanSize, table, toYaml } from '../format.js';
import { runCommand } from '../run.js';

interface ListOptions {
  noheadings?: boolean;
  nosuffix?: boolean;
  yaml?: boolean;
}

export function listCommand(): Command {
  return new Command('list')
    .description('list active mpools')
    .argument('[mpname...]', 'only these pools')
    .option('-H, --noheadings', 'omit the column headings')
    .option('-p, --nosuffix', 'print sizes in bytes')
    .option('-Y, --yaml', 'print YAML')
    .action(async (names: string[], opts: ListOptions, cmd: Command) => {
      await runCommand(cmd, () => {
        const ctl = Control.open();
        let pools: PoolSummary[];
        try {
          pools = ctl.listPools();
        } finally {
          ctl.close();
        }
        if (names.length > 0) pools = pools.filter((p) => names.includes(p.name));
        const size = (b: bigint): string => (opts.nosuffix ? b.toString() : humanSize(b));
        const rows = pools.map((p) => [
          p.name,
          size(p.total),
          size(p.used),
          size(p.available),
          `${(p.capacity * 100).toFixed(1)}%`,
          p.label,
          p.health,
        ]);
        const text = opts.yaml
          ? toYaml('mpools', pools.map((p) => ({ ...p, total: p.total.toString(), used: p.used.toString(), available: p.available.toString() })))
          : table(['MPOOL', 'TOTAL', 'USED', 'AVAIL', 'CAPACITY', 'LABEL', 'HEALTH'], rows, { noHeadings: opts.noheadings ?? false });
        return { data: pools, text };
      });
    });
}
