/**
 * The mpool command line: one file per command under commands/. program()
 * builds it; runCli() runs it in-process with the output captured (tests,
 * embedding); main.ts runs it for the binary.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { activateCommand } from './commands/activate.js';
import { addCommand } from './commands/add.js';
import { createCommand } from './commands/create.js';
import { deactivateCommand } from './commands/deactivate.js';
import { destroyCommand } from './commands/destroy.js';
import { getCommand } from './commands/get.js';
import { listCommand } from './commands/list.js';
import { mblockCommand } from './commands/mblock.js';
import { mcacheCommand } from './commands/mcache.js';
import { mlogCommand } from './commands/mlog.js';
import { reaperCommand } from './commands/reaper.js';
import { renameCommand } from './commands/rename.js';
import { scanCommand } from './commands/scan.js';
import { setCommand } from './commands/set.js';
import { statsCommand } from './commands/stats.js';
import { currentIo, EXIT_FAILURE, EXIT_USAGE, setIo, type CliIo } from './run.js';

/** Throw instead of exiting, and write through the CLI's io; on every command. */
function configure(cmd: Command): Command {
  cmd.exitOverride();
  // Subcommand help lists --json and -v too.
  cmd.configureHelp({ showGlobalOptions: true });
  cmd.configureOutput({
    writeOut: (s) => currentIo().out(s),
    writeErr: (s) => currentIo().err(s),
  });
  cmd.commands.forEach(configure);
  return cmd;
}

const HELP_AFTER = `
JSON:
  --json goes before or after the command (mpool --json list, mpool list --json).
  Every 64-bit value is a string of decimal digits, whatever its size.
  A failure prints { "error": { "code", "errno", "message", ... } }.

Exit status:
  0  success
  ${EXIT_FAILURE}  failure: the message ends with the errno name, e.g. "(ENOENT)"
  ${EXIT_USAGE}  usage error: bad arguments or options, refused before any system call`;

export function program(): Command {
  const p = new Command('mpool')
    .description('create and manage object storage media pools')
    .version(VERSION, '-V, --version', 'print the version')
    .option('-v, --verbose', 'say what is being done, on stderr')
    .option('--json', 'print the data (or the error) as JSON, on every command that prints data')
    .addHelpText('after', HELP_AFTER)
    .addCommand(createCommand())
    .addCommand(addCommand())
    .addCommand(activateCommand())
    .addCommand(deactivateCommand())
    .addCommand(destroyCommand())
    .addCommand(listCommand())
    .addCommand(getCommand())
    .addCommand(setCommand())
    .addCommand(renameCommand())
    .addCommand(scanCommand())
    .addCommand(mblockCommand())
    .addCommand(mlogCommand())
    .addCommand(mcacheCommand())
    .addCommand(statsCommand())
    .addCommand(reaperCommand());
  return configure(p);
}

/** Exit status for an error commander raised itself: 0 for help and version, 2 for bad usage. */
export function commanderStatus(e: CommanderError): number {
  return e.exitCode === 0 ? 0 : EXIT_USAGE;
}

/** Parse and run `args` (without "node mpool"); returns the exit status. */
export async function runArgs(args: readonly string[]): Promise<number> {
  let status = 0;
  const outer = currentIo();
  const prev = setIo({
    out: (s) => outer.out(s),
    outBytes: (b) => (outer.outBytes ? outer.outBytes(b) : outer.out(Buffer.from(b).toString('latin1'))),
    err: (s) => outer.err(s),
    exit: (s) => {
      status = s;
    },
  });
  try {
    await program().parseAsync([...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    status = commanderStatus(e);
  } finally {
    setIo(prev);
  }
  return status;
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes: text and binary output in order. */
  stdoutBytes: Buffer;
}

/** Run the CLI in-process with its output captured. */
export async function runCli(args: readonly string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const bytes: Buffer[] = [];
  const io: CliIo = {
    out: (s) => {
      stdout += s;
      bytes.push(Buffer.from(s));
    },
    outBytes: (b) => {
      bytes.push(Buffer.from(b));
      stdout += Buffer.from(b).toString('latin1');
    },
    err: (s) => {
      stderr += s;
    },
    exit: () => undefined,
  };
  const prev = setIo(io);
  try {
    const status = await runArgs(args);
    return { status, stdout, stderr, stdoutBytes: Buffer.concat(bytes) };
  } finally {
    setIo(prev);
  }
}
