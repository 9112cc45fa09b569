/** mpool get [<mpname>...]: the parameters of active pools. */
import { Command } from 'commander';
import type { PoolParams } from '../../lib/params.js';
import { Pools } from '../../lib/pools.js';
import { MpoolError } from '../../sys/errors.js';
import { poolName } from '../args.js';
import { table, toYaml } from '../format.js';
import { idResolver } from '../ids.js';
import { runCommand } from '../run.js';

interface Options {
  noheadings?: boolean;
  numeric?: boolean;
  yaml?: boolean;
}

const ENXIO = 6;

export function paramsRows(list: readonly PoolParams[], numeric: boolean, verbose: boolean): { headers: string[]; rows: string[][] } {
  const ids = idResolver();
  const uid = (n: number): string => (numeric ? undefined : ids.userName(n)) ?? String(n);
  const gid = (n: number): string => (numeric ? undefined : ids.groupName(n)) ?? String(n);
  const headers = ['MPOOL', 'LABEL', 'UID', 'GID', 'MODE', 'RA', 'STGSZ', 'CAPSZ', 'STGSP', 'CAPSP'];
  if (verbose) headers.push('VMA', 'TYPE', 'UUID');
  const rows = list.map((p) => {
    const r = [
      p.name,
      p.label,
      uid(p.uid),
      gid(p.gid),
      p.mode.toString(8).padStart(4, '0'),
      String(p.readaheadPages),
      String(p.mblockSize.staging),
      String(p.mblockSize.capacity),
      String(p.spareStaging),
      String(p.spareCapacity),
    ];
    if (verbose) r.push(String(p.vmaSizeMax), p.utype, p.uuid);
    return r;
  });
  return { headers, rows };
}

export function getCommand(): Command {
  return new Command('get')
    .description('get the parameters of all or the given active mpools')
    .argument('[mpname...]', 'only these pools')
    .option('-H, --noheadings', 'omit the column headings')
    .option('-N, --numeric', 'print uid and gid as numbers')
    .option('-Y, --yaml', 'print YAML')
    .action(async (names: string[], opts: Options, cmd: Command) => {
      await runCommand(cmd, ({ verbose }) => {
        names.forEach(poolName);
        let list = new Pools().listProps().map((p) => p.params);
        if (names.length > 0) {
          const missing = names.filter((n) => !list.some((p) => p.name === n));
          if (missing.length > 0) {
            throw new MpoolError({ errno: ENXIO, op: 'get', detail: `no active pool named ${missing.map((n) => `"${n}"`).join(', ')}` });
          }
          list = list.filter((p) => names.includes(p.name));
        }
        const { headers, rows } = paramsRows(list, opts.numeric ?? false, verbose);
        const text = opts.yaml
          ? toYaml('mpools', rows.map((r) => Object.fromEntries(headers.map((h, i) => [h.toLowerCase(), r[i]]))))
          : list.length === 0 && (opts.noheadings ?? false)
            ? ''
            : table(headers, rows, { noHeadings: opts.noheadings ?? false });
        return { data: list, text };
      });
    });
}
