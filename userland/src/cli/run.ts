/**
 * Every command returns data; this wrapper prints it (human text, or JSON
 * with --json) and turns errors into a message naming the problem and a
 * non-zero exit status. Output goes through `io`, so that the CLI can also
 * run in-process (runCli in program.ts).
 */
import { MpoolError } from '../sys/errors.js';
import { toJson } from './format.js';

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

export function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError) return 2;
  if (e instanceof MpoolError) return Math.min(Math.max(e.errno, 1), 125);
  return 1;
}

/** The -v logger: one line to stderr per step, or nothing. */
export function verboseLog(verbose: boolean | undefined): (message: string) => void {
  return verbose ? (m) => io.err(`mpool: ${m}\n`) : () => undefined;
}

export async function runCommand(json: boolean, action: () => Rendered | Promise<Rendered>): Promise<void> {
  try {
    const r = await action();
    const text = json ? toJson(r.data) : r.text;
    if (text !== '') io.out(`${text}\n`);
    if (r.status) io.exit(r.status);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    if (json) {
      const detail = err instanceof MpoolError ? err.toJSON() : { message: err.message };
      io.out(`${toJson({ error: detail })}\n`);
    }
    io.err(`mpool: ${err.message}\n`);
    io.exit(exitCodeFor(err));
  }
}
