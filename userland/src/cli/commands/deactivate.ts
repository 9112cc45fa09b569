/** mpool deactivate {<mpname>|<UUID>}. */
import { Command } from 'commander';
import { Pools } from '../../lib/pools.js';
import { existingPoolRef } from '../args.js';
import { runCommand } from '../run.js';

export function deactivateCommand(): Command {
  return new Command('deactivate')
    .description('deactivate an active mpool by <mpname> or <UUID>')
    .argument('<mpool>', 'pool name or uuid')
    .action(async (ref: string, _opts: Record<string, never>, cmd: Command) => {
      await runCommand(cmd, ({ log }) => {
        existingPoolRef(ref);
        const out = new Pools({ log }).deactivate(ref);
        log(`mpool ${out.name} now inactive`);
        return { data: out, text: '' };
      });
    });
}
