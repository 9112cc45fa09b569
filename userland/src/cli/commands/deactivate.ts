/** mpool deactivate {<mpname>|<UUID>}. */
import { Command } from 'commander';
import { Pools } from '../../lib/pools.js';
import { existingPoolRef } from '../args.js';
import { runCommand, verboseLog } from '../run.js';

export function deactivateCommand(): Command {
  return new Command('deactivate')
    .description('deactivate an active mpool by <mpname> or <UUID>')
    .argument('<mpool>', 'pool name or uuid')
    .option('--json', 'print the pool deactivated as JSON')
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
      const { verbose } = cmd.optsWithGlobals<{ verbose?: boolean }>();
      await runCommand(opts.json ?? false, () => {
        existingPoolRef(ref);
        const log = verboseLog(verbose);
        const out = new Pools({ log }).deactivate(ref);
        log(`mpool ${out.name} now inactive`);
        return { data: out, text: '' };
      });
    });
}
