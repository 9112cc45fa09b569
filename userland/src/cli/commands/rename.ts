/** mpool rename {<old>|<oldUUID>} <new>: rename an inactive pool. */
import { Command } from 'commander';
import { Pools } from '../../lib/pools.js';
import { poolName, poolRef } from '../args.js';
import { runCommand } from '../run.js';

export function renameCommand(): Command {
  return new Command('rename')
    .description('rename an inactive mpool from <oldmpname> or <oldUUID> to <newmpname>')
    .argument('<mpool>', 'current pool name or uuid')
    .argument('<newmpname>', 'new pool name')
    .option('-f, --force', 'override safety checks')
    .action(async (ref: string, newName: string, opts: { force?: boolean }, cmd: Command) => {
      await runCommand(cmd, ({ log }) => {
        poolRef(ref);
        poolName(newName);
        const out = new Pools({ log }).rename(ref, newName, { force: opts.force ?? false });
        log(`renamed mpool "${out.oldName}" to "${out.name}"`);
        return { data: out, text: '' };
      });
    });
}
