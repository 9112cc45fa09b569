/** mpool set <mpname> p=v...: change parameters of an active pool (persistent). */
import { Command } from 'commander';
import { withPool } from '../../lib/pool.js';
import { poolName } from '../args.js';
import { paramsHelp, parseParams, SET_KEYS } from '../params.js';
import { runCommand, UsageError } from '../run.js';

export function setCommand(): Command {
  return new Command('set')
    .description('set parameters of an active mpool')
    .argument('<mpname>', 'pool name')
    .argument('[params...]', 'key=value parameters (below)')
    .addHelpText('after', `${paramsHelp(SET_KEYS)}\n\nExamples:\n  mpool set mp1 uid=root mode=0640\n  mpool set mp1 spare_pct_capacity=10`)
    .action(async (name: string, params: string[], _opts: Record<string, never>, cmd: Command) => {
      await runCommand(cmd, ({ log }) => {
        poolName(name);
        const p = parseParams(params, SET_KEYS);
        if (Object.keys(p).length === 0) throw new UsageError(`nothing to set; parameters: ${SET_KEYS.join(', ')}`);
        log(`setting ${params.join(' ')} on mpool ${name}`);
        const out = withPool(name, { write: true }, (pool) => pool.setParams(p));
        log(`parameters set for mpool ${name}`);
        return { data: out, text: '' };
      });
    });
}
