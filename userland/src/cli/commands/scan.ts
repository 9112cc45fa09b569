/** mpool scan [--activate|--deactivate]: find pools by their superblocks. */
import { Command, Option } from 'commander';
import { Pools, type PoolsScanResult } from '../../lib/pools.js';
import { table, toYaml } from '../format.js';
import { currentIo, EXIT_FAILURE, runCommand } from '../run.js';

interface Options {
  activate?: boolean;
  deactivate?: boolean;
  noheadings?: boolean;
  yaml?: boolean;
}

export function scanRows(r: PoolsScanResult): string[][] {
  return r.pools.flatMap((p) =>
    p.devices.map((d) => [
      p.name,
      p.uuid,
      p.active ? 'active' : 'inactive',
      d.path,
      d.mclass,
      d.holdsMdc0 ? 'yes' : 'no',
      String(d.copyUsed),
    ]),
  );
}

export function scanCommand(): Command {
  return new Command('scan')
    .description('find mpools on the block devices; activate or deactivate them all')
    .argument('[device...]', 'read only these devices (default: every block device)')
    .addOption(new Option('-a, --activate', 'activate every inactive mpool found').conflicts('deactivate'))
    .addOption(new Option('-d, --deactivate', 'deactivate every active mpool found').conflicts('activate'))
    .option('-H, --noheadings', 'omit the column headings')
    .option('-Y, --yaml', 'print YAML')
    .action(async (devices: string[], opts: Options, cmd: Command) => {
      await runCommand(cmd, ({ json, log }) => {
        const r = new Pools({ log }).scan({
          activate: opts.activate ?? false,
          deactivate: opts.deactivate ?? false,
          ...(devices.length > 0 ? { paths: devices } : {}),
        });
        if (!json) {
          for (const p of r.problems) {
            const pool = p.poolName !== undefined ? ` (pool "${p.poolName}")` : '';
            currentIo().err(`mpool: ${p.path}${pool}: ${p.message}\n`);
          }
          for (const e of r.errors) log(`${e.path}: ${e.message}`);
        }
        const failed = r.actions.filter((a) => !a.ok);
        let text: string;
        if (opts.activate || opts.deactivate) {
          const lines = r.actions.map((a) =>
            a.ok ? `${a.action}d mpool ${a.name}  ${a.uuid}` : `unable to ${a.action} mpool ${a.name}: ${a.error ?? ''}`,
          );
          lines.push(`${r.activeCount} mpools now active`);
          text = lines.join('\n');
        } else if (opts.yaml) {
          text = toYaml(
            'mpools',
            r.pools.map((p) => ({
              name: p.name,
              uuid: p.uuid,
              active: p.active,
              devices: p.devices.map((d) => `${d.path}:${d.mclass}`).join(','),
            })),
          );
        } else {
          const rows = scanRows(r);
          text = rows.length === 0 && opts.noheadings ? '' : table(['MPOOL', 'UUID', 'STATE', 'DEVICE', 'CLASS', 'MDC0', 'SB'], rows, { noHeadings: opts.noheadings ?? false });
        }
        return { data: r, text, status: failed.length > 0 ? EXIT_FAILURE : 0 };
      });
    });
}
