/** mpool activate {<mpname>|<UUID>} [p=v...]: activate an inactive pool found by its superblocks. */
import { Command } from 'commander';
import { Pools } from '../../lib/pools.js';
import { poolRef } from '../args.js';
import { ACTIVATE_KEYS, paramsHelp, parseParams } from '../params.js';
import { runCommand } from '../run.js';

interface Options {
  force?: boolean;
}

export function activateCommand(): Command {
  return new Command('activate')
    .description('activate an inactive mpool by <mpname> or <UUID>')
    .argument('<mpool>', 'pool name or uuid')
    .argument('[params...]', 'key=value parameters (below)')
    .option('-f, --force', 'activate even with a device missing')
    .addHelpText('after', `${paramsHelp(ACTIVATE_KEYS)}\n\nExamples:\n  mpool activate mp1\n  mpool activate c02c1dd6-f4a2-4d41-a4ef-3459cad90dbe`)
    .action(async (ref: string, params: string[], opts: Options, cmd: Command) => {
      await runCommand(cmd, ({ log }) => {
        poolRef(ref);
        const p = parseParams(params, ACTIVATE_KEYS);
        const out = new Pools({ log }).activate(ref, { ...p, force: opts.force ?? false });
        log(`mpool ${out.name} now active`);
        return { data: out, text: '' };
      });
    });
}
