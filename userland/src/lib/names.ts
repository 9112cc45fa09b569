/**
 * Pool names, one rule in the kernel (kmod/mp.c, mp_name_check) and here:
 * 1..31 bytes of [A-Za-z0-9_.-] (ASCII only), not starting with '.' or '-',
 * and not "mpoolctl", the control device's own name. Checked here too, so
 * that a bad name is reported before any system call, with the rule spelled
 * out. Commands that only refer to an existing pool (deactivate, destroy)
 * take any 1..31-byte name, so that a pool an older module let in can
 * still be taken down.
 */
import { MPC_DEV_CTLNAME, MPOOL_NAMESZ_MAX } from '../gen/constants.js';
import { MpoolError } from '../sys/errors.js';
import { EINVAL, ENAMETOOLONG } from './errno.js';

export const POOL_NAME_MAX = MPOOL_NAMESZ_MAX - 1;

export interface NameProblem {
  /** The errno the kernel would answer: EINVAL or ENAMETOOLONG. */
  errno: number;
  message: string;
}

/** Why `name` cannot even refer to a pool (empty, too long, a NUL), or null. */
export function poolRefProblem(name: string): NameProblem | null {
  if (name.length === 0) return { errno: EINVAL, message: 'a pool name cannot be empty' };
  if (Buffer.byteLength(name) > POOL_NAME_MAX) {
    return { errno: ENAMETOOLONG, message: `pool name "${name}" is too long: at most ${POOL_NAME_MAX} bytes` };
  }
  if (name.includes('\0')) return { errno: EINVAL, message: `pool name ${JSON.stringify(name)} contains a NUL byte` };
  return null;
}

/** Why `name` is not a valid pool name, or null if it is. */
export function poolNameProblem(name: string): NameProblem | null {
  const ref = poolRefProblem(name);
  if (ref) return ref;
  if (name.startsWith('-') || name.startsWith('.')) {
    return { errno: EINVAL, message: `pool name "${name}" cannot start with '${name[0]}'` };
  }
  if (name === MPC_DEV_CTLNAME) return { errno: EINVAL, message: `pool name "${name}" is reserved for the control device` };
  const bad = /[^A-Za-z0-9_.-]/.exec(name);
  if (bad) {
    return { errno: EINVAL, message: `pool name ${JSON.stringify(name)} contains ${JSON.stringify(bad[0])}: use only A-Z a-z 0-9 _ . -` };
  }
  return null;
}

export function isValidPoolName(name: string): boolean {
  return poolNameProblem(name) === null;
}

/** Throw an MpoolError (EINVAL or ENAMETOOLONG) for a bad name. */
export function checkPoolName(name: string, op: string): void {
  const p = poolNameProblem(name);
  if (p) throw new MpoolError({ errno: p.errno, op, detail: p.message });
}

/** The same for a name that only refers to an existing pool (deactivate, destroy). */
export function checkPoolRef(name: string, op: string): void {
  const p = poolRefProblem(name);
  if (p) throw new MpoolError({ errno: p.errno, op, detail: p.message });
}

const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** True if `s` is a uuid (with or without dashes) rather than a pool name. */
export function looksLikeUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** The canonical lower-case dashed form of a uuid string. */
export function canonicalUuid(s: string): string {
  const h = s.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
