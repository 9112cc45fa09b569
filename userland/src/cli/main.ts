/** The mpool command line. One file per command under commands/. */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { listCommand } from './commands/list.js';

export function program(): Command {
  return new Command('mpool')
    .description('manage object storage media pools')
    .version(VERSION, '-V, --version', 'print the version')
    .option('-v, --verbose', 'say more')
    .addCommand(listCommand());
}

await program().parseAsync(process.argv);
