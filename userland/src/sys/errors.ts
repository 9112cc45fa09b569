/** Typed errors: every failure of a system call carries its errno, name, operation and path. */
import { ERRNOS } from '../gen/errno.js';

/** The symbolic name of an errno ("ENOENT"), or "E<n>" if unknown. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  return ERRNOS.get(n)?.name ?? `E${n}`;
}

/** The C library's message for an errno, in lower case ("no such file or directory"). */
export function errnoMessage(errno: number): string {
  const n = Math.abs(errno);
  const m = ERRNOS.get(n)?.message;
  return m ? m[0]!.toLowerCase() + m.slice(1) : `unknown error ${n}`;
}

export interface MpoolErrorInit {
  errno: number;
  op: string;
  path?: string | undefined;
  /** A sentence naming the problem, when we know more than the errno says. */
  detail?: string | undefined;
  /** The error this one explains or wraps, kept as `cause`. */
  cause?: unknown;
}

export class MpoolError extends Error {
  override readonly name = 'MpoolError';
  /** Positive errno value, e.g. 2. */
  readonly errno: number;
  /** Symbolic errno, e.g. "ENOENT". */
  readonly code: string;
  /** What was being done: "open", "ioctl MPIOC_PROP_GET", ... */
  readonly op: string;
  readonly path: string | undefined;

  constructor(init: MpoolErrorInit) {
    const code = errnoName(init.errno);
    const where = init.path ? ` ${init.path}` : '';
    const why = init.detail ?? errnoMessage(init.errno);
    super(`${init.op}${where}: ${why} (${code})`, init.cause === undefined ? undefined : { cause: init.cause });
    this.errno = Math.abs(init.errno);
    this.code = code;
    this.op = init.op;
    this.path = init.path;
  }

  /** A plain object for --json output. */
  toJSON(): { errno: number; code: string; op: string; path?: string; message: string } {
    return { errno: this.errno, code: this.code, op: this.op, ...(this.path ? { path: this.path } : {}), message: this.message };
  }
}

export function isMpoolError(e: unknown, code?: string): e is MpoolError {
  return e instanceof MpoolError && (code === undefined || e.code === code);
}
