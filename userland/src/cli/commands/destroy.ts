/** mpool destroy {<mpname>|<UUID>}: deactivate if needed, then erase the superblocks. */
import { Command } from 'commander';
import { Pools } from '../../lib/pools.js';
import { existingPoolRef } from '../args.js';
import { runCommand } from '../run.js';

export function destroyCommand(): Command {
  return new Command('destroy')
    .description('deactivate and destroy an mpool by <mpname> or <UUID>')
    .argument('<mpool>', 'pool name or uuid')
    .option('-f, --force', 'tear down an active pool even while it is open')
    .action(async (ref: string, opts: { force?: boolean }, cmd: Command) => {
      await runCommand(cmd, ({ log }) => {
        existingPoolRef(ref);
        const out = new Pools({ log }).destroy(ref, { force: opts.force ?? false });
        log(`mpool ${out.name} destroyed`);
        return { data: out, text: '' };
      });
    });
}
