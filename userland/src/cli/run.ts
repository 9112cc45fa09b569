/**
 * Every command returns data; this wrapper prints it (human text, or JSON
 * with the global --json) and turns errors into a message naming the
 * problem and the errno, and an exit status: 2 for a usage error, 1 for any
 * other failure. Output goes through `io`, so that the CLI can also run
 * in-process (runCli in program.ts).
 */
import type { Command } from 'commander';
import { MpoolError } from '../sys/errors.js';
import { toJson, toJsonLine } from './format.js';

/** A usage error: bad arguments, caught before any system call. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Rendered {
  /** The data, printed as is under --json. */
  data: unknown;
  /** The human form; nothing is printed when empty. */
  text: string;
  /** Exit status for a partial failure that still has output (default 0). */
  status?: number;
  /** The command printed its output itself, as it went (mpool stats --watch): print nothing more. */
  streamed?: boolean;
}

export interface CliIo {
  out(s: string): void;
  /** Binary data for stdout (object reads); text through latin1 when absent. */
  outBytes?(b: Uint8Array): void;
  err(s: string): void;
  exit(status: number): void;
}

const processIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  outBytes: (b) => void process.stdout.write(b),
  err: (s) => void process.stderr.write(s),
  exit: (status) => {
    process.exitCode = status;
  },
};

let io: CliIo = processIo;

export function currentIo(): CliIo {
  return io;
}

/** Swap the output channels; returns the previous ones. */
export function setIo(next: CliIo): CliIo {
  const prev = io;
  io = next;
  return prev;
}

/** Write binary data to the CLI's stdout. */
export function writeBytes(b: Uint8Array): void {
  if (io.outBytes) io.outBytes(b);
  else io.out(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'));
}

/** Exit status of a usage error: bad arguments, caught before any system call (commander's own too). */
export const EXIT_USAGE = 2;
/** Exit status of every other failure; the errno is in the message and the JSON error, not here. */
export const EXIT_FAILURE = 1;

export function exitCodeFor(e: unknown): number {
  return e instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}

/** The -v logger: one line to stderr per step, or nothing. */
export function verboseLog(verbose: boolean | undefined): (message: string) => void {
  return verbose ? (m) => io.err(`mpool: ${m}\n`) : () => undefined;
}

/** The program's own options, which every command takes (before or after its name). */
export interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
}

/** What a command's action gets: the global options, and the -v logger. */
export interface CommandContext {
  json: boolean;
  verbose: boolean;
  log: (message: string) => void;
}

export interface RunOptions {
  /** The command prints JSON lines (mpool stats --watch): a --json error is one line too. */
  jsonLines?: boolean;
}

/** Run a command's action with the global options of `cmd`; print its data, or its error. */
export async function runCommand(
  cmd: Command,
  action: (ctx: CommandContext) => Rendered | Promise<Rendered>,
  opts: RunOptions = {},
): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const json = g.json ?? false;
  const verbose = g.verbose ?? false;
  try {
    const r = await action({ json, verbose, log: verboseLog(verbose) });
    const text = r.streamed ? '' : json ? toJson(r.data) : r.text;
    if (text !== '') io.out(`${text}\n`);
    if (r.status) io.exit(r.status);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e), { cause: e });
    if (json) {
      const detail = err instanceof MpoolError ? err.toJSON() : { message: err.message };
      io.out(`${(opts.jsonLines ? toJsonLine : toJson)({ error: detail })}\n`);
    }
    io.err(`mpool: ${err.message}\n`);
    io.exit(exitCodeFor(err));
  }
}
