/** mpool destroy {<mpname>|<UUID>}: deactivate if needed, then erase the superblocks. */
import { Command } from 'commander';
import { Pools } from '../../lib/pools.js';
import { existingPoolRef } from '../args.js';
import { runCommand, verboseLog } from '../run.js';

export function destroyCommand(): Command {
  return new Command('destroy')
    .description('deactivate and destroy an mpool by <mpname> or <UUID>')
    .argument('<mpool>', 'pool name or uuid')
    .option('-f, --force', 'tear down an active pool even while it is open')
    .option('--json', 'print what was destroyed as JSON')
    .action(async (ref: string, opts: { force?: boolean; json?: boolean }, cmd: Command) => {
      const { verbose } = cmd.optsWithGlobals<{ verbose?: boolean }>();
      await runCommand(opts.json ?? false, () => {
        existingPoolRef(ref);
        const log = verboseLog(verbose);
        const out = new Pools({ log }).destroy(ref, { force: opts.force ?? false });
        log(`mpool ${out.name} destroyed`);
        return { data: out, text: '' };
      });
    });
}
