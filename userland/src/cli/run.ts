/**
 * Every command returns data; this wrapper prints it (human text, or JSON
 * with --json) and turns errors into a message naming the problem and a
 * non-zero exit status.
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
  /** The human form. */
  text: string;
}

export function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError) return 2;
  if (e instanceof MpoolError) return Math.min(Math.max(e.errno, 1), 125);
  return 1;
}

export async function runCommand(json: boolean, action: () => Rendered | Promise<Rendered>): Promise<void> {
  try {
    const r = await action();
    process.stdout.write(`${json ? toJson(r.data) : r.text}\n`);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    if (json) {
      const detail = err instanceof MpoolError ? err.toJSON() : { message: err.message };
      process.stdout.write(`${toJson({ error: detail })}\n`);
    }
    process.stderr.write(`mpool: ${err.message}\n`);
    process.exitCode = exitCodeFor(err);
  }
}
