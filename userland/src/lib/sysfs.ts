/**
 * The module's sysfs files, /sys/class/mpool/{mpoolctl,<pool>}/...: one
 * value per file, read whole and parsed strictly, written in one write(2).
 * Every failure is an MpoolError naming the file; a missing one says which
 * level is missing (the module, the pool, or a file an older module lacks).
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeSync, constants as fsc } from 'node:fs';
import { dirname, join } from 'node:path';
import { MPC_DEV_CTLNAME } from '../gen/constants.js';
import { ERRNOS } from '../gen/errno.js';
import { MpoolError } from '../sys/errors.js';
import { EBADMSG, EIO, ENOENT } from './errno.js';

/** Where the module's class devices are; the control device is `<root>/mpoolctl`. */
export const SYSFS_ROOT = '/sys/class/mpool';

export interface SysfsOptions {
  /** Default /sys/class/mpool; tests point it at a tree of plain files. */
  sysfsRoot?: string;
}

export const U64_MAX = (1n << 64n) - 1n;

export function sysfsRootOf(opts: SysfsOptions = {}): string {
  return opts.sysfsRoot ?? SYSFS_ROOT;
}

/** The control device's directory. */
export function ctlDir(root: string): string {
  return join(root, MPC_DEV_CTLNAME);
}

/** The positive errno of an error Node's fs raised (its `errno` is negative), EIO if it has none. */
export function nodeErrno(e: unknown): number {
  const err = e as { errno?: unknown; code?: unknown };
  if (typeof err.errno === 'number') return Math.abs(err.errno);
  if (typeof err.code === 'string') {
    for (const [n, v] of ERRNOS) if (v.name === err.code) return n;
  }
  return EIO;
}

/**
 * The missing part of `path` under `root`, and why: the module (no root, or
 * no control device), the pool (no device directory), or a directory or
 * file that the loaded module does not have.
 */
function missing(root: string, path: string): { path: string; detail: string } {
  const notLoaded = 'no such directory; is the mpool module loaded?';
  if (!existsSync(root)) return { path: root, detail: notLoaded };
  const device = path.slice(root.length + 1).split('/')[0] ?? '';
  const deviceDir = join(root, device);
  if (!existsSync(deviceDir)) {
    return { path: deviceDir, detail: device === MPC_DEV_CTLNAME ? notLoaded : `no active pool named "${device}"` };
  }
  const parent = dirname(path);
  if (parent !== deviceDir && !existsSync(parent)) {
    return { path: parent, detail: 'no such directory: the loaded mpool module does not have it (older than this library?)' };
  }
  return { path, detail: 'no such file: the loaded mpool module does not have it (older than this library?)' };
}

/**
 * An error of Node's fs on a sysfs file as an MpoolError with its errno,
 * naming the file (for ENOENT, the part that is missing, and why).
 */
export function sysfsError(e: unknown, op: 'read' | 'write', root: string, path: string, detail?: string): MpoolError {
  const errno = nodeErrno(e);
  if (errno === ENOENT && detail === undefined) return new MpoolError({ errno, op, ...missing(root, path), cause: e });
  return new MpoolError({ errno, op, path, detail, cause: e });
}

/** The file's text, whole. */
export function readText(root: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw sysfsError(e, 'read', root, path);
  }
}

function badValue(path: string, text: string, what: string): MpoolError {
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return new MpoolError({ errno: EBADMSG, op: 'read', path, detail: `expected ${what}, read ${JSON.stringify(shown)}` });
}

/** One value and its newline: "123\n" (the newline may be missing; nothing else may be there). */
function oneLine(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** A file holding one unsigned decimal integer up to 2^64 - 1. */
export function readU64(root: string, path: string): bigint {
  const text = readText(root, path);
  const v = oneLine(text);
  if (!/^\d{1,20}$/.test(v)) throw badValue(path, text, 'one decimal integer and a newline');
  const n = BigInt(v);
  if (n > U64_MAX) throw badValue(path, text, 'an integer up to 2^64 - 1');
  return n;
}

/** A file holding one unsigned decimal integer that fits a JS number exactly. */
export function readUint(root: string, path: string): number {
  const n = readU64(root, path);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw badValue(path, `${n}\n`, 'an integer up to 2^53 - 1');
  return Number(n);
}

/** A file holding an octal mode with its leading 0 ("0660\n"). */
export function readOctal(root: string, path: string): number {
  const text = readText(root, path);
  const v = oneLine(text);
  if (!/^[0-7]{1,7}$/.test(v)) throw badValue(path, text, 'an octal number and a newline');
  return parseInt(v, 8);
}

/** A file holding one line of text; the newline is dropped. */
export function readLine(root: string, path: string): string {
  return oneLine(readText(root, path));
}

/**
 * Write `value` to a sysfs file in one write(2), as `echo value > file`
 * would, but never creating the file: O_WRONLY | O_TRUNC, no O_CREAT (a
 * missing knob is ENOENT, not a new file).
 */
export function writeValue(root: string, path: string, value: string, detail?: (errno: number) => string | undefined): void {
  let fd: number;
  try {
    fd = openSync(path, fsc.O_WRONLY | fsc.O_TRUNC);
  } catch (e) {
    throw sysfsError(e, 'write', root, path, detail?.(nodeErrno(e)));
  }
  try {
    const buf = Buffer.from(`${value}\n`, 'utf8');
    const n = writeSync(fd, buf, 0, buf.length, null);
    if (n !== buf.length) throw new MpoolError({ errno: EIO, op: 'write', path, detail: `short write: ${n} of ${buf.length} bytes` });
  } catch (e) {
    if (e instanceof MpoolError) throw e;
    throw sysfsError(e, 'write', root, path, detail?.(nodeErrno(e)));
  } finally {
    closeSync(fd);
  }
}

/** Active pools: every device directory under the root but the control device's, sorted. */
export function activePoolNames(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch (e) {
    throw sysfsError(e, 'read', root, root);
  }
  return names
    .filter((n) => n !== MPC_DEV_CTLNAME)
    .filter((n) => {
      // /sys/class/mpool/<name> is a symlink to the device's directory.
      try {
        return statSync(join(root, n)).isDirectory();
      } catch {
        return false;
      }
    })
    .sort();
}
