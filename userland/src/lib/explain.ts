/**
 * Kernel errnos are terse and some are ambiguous (EBUSY on create: a
 * superblock, or a device in use?). These helpers turn the errno of a pool
 * management command into an MpoolError whose message names the problem.
 */
import { errnoMessage, isMpoolError, MpoolError } from '../sys/errors.js';

export type ManagementOp =
  | 'create'
  | 'activate'
  | 'deactivate'
  | 'destroy'
  | 'rename'
  | 'add'
  | 'set'
  | 'spares'
  | 'get'
  | 'open';

export interface ExplainContext {
  op: ManagementOp;
  /** The pool, by the name (or uuid) the caller used. */
  pool: string;
  /** The device concerned, if one. */
  device?: string;
  /** All devices handed to the kernel. */
  devices?: readonly string[];
  /** The new name (rename). */
  newName?: string;
  /** Path the error is reported against; default: the device or the control node. */
  path?: string;
  /** Extra explanation for EBUSY on a device, computed by the caller (create, add). */
  busyDetail?: string;
  /** Extra explanation for EEXIST (add: which of its two causes), computed by the caller. */
  existDetail?: string;
}

const ADMIN = 'needs CAP_SYS_ADMIN (run as root)';

function detailFor(code: string, c: ExplainContext): string | undefined {
  const p = `"${c.pool}"`;
  const dev = c.device ?? c.devices?.join(', ') ?? 'the device';
  if (code === 'EPERM') return `${c.op} ${ADMIN}`;
  switch (c.op) {
    case 'create':
      switch (code) {
        case 'EEXIST':
          return `an active pool named ${p} already exists`;
        case 'EBUSY':
          return c.busyDetail ?? `device ${dev} already holds an mpool superblock (use -f to overwrite) or is in use`;
        case 'ENOSPC':
          return `device ${dev} is too small for a pool`;
        case 'ENOENT':
          return `no such device ${dev}`;
        case 'ENOTBLK':
          return `${dev} is not a block device`;
        case 'EINVAL':
          return `the kernel refused the geometry or parameters of pool ${p} on ${dev}`;
        case 'ENAMETOOLONG':
          return `pool name ${p} is too long`;
        default:
          return undefined;
      }
    case 'activate':
      switch (code) {
        case 'EINVAL':
          return `the superblocks on ${dev} do not describe pool ${p}, or the parameters are invalid`;
        case 'ENODEV':
          return `a device of pool ${p} is missing (found ${dev}); use -f to activate without it`;
        case 'EBADMSG':
          return `both superblock copies on ${dev} are damaged`;
        case 'EPROTONOSUPPORT':
          return `${dev} holds a superblock format this module does not read`;
        case 'EEXIST':
          return `another active pool is already named ${p}`;
        case 'EBUSY':
          return `device ${dev} is in use`;
        default:
          return undefined;
      }
    case 'deactivate':
      switch (code) {
        case 'ENXIO':
          return `no active pool named ${p}`;
        case 'EBUSY':
          return `pool ${p} is open; close it first`;
        default:
          return undefined;
      }
    case 'destroy':
      switch (code) {
        case 'EBUSY':
          return `pool ${p} is open; close it first, or use -f to tear it down anyway`;
        case 'EINVAL':
          return `the devices ${dev} do not hold pool ${p}`;
        case 'ENXIO':
          return `no pool ${p}`;
        default:
          return undefined;
      }
    case 'rename':
      switch (code) {
        case 'EBUSY':
          return `pool ${p} is active; deactivate it first`;
        case 'EEXIST':
          return `a pool named "${c.newName ?? ''}" already exists`;
        case 'EINVAL':
          return `the devices ${dev} do not hold pool ${p}, or the new name is invalid`;
        default:
          return undefined;
      }
    case 'add':
      switch (code) {
        case 'EEXIST':
          return c.existDetail ?? `${dev} is already a device of pool ${p} (under this or another name), or the pool already has a device in that media class`;
        case 'EBUSY':
          return c.busyDetail ?? `device ${dev} already holds an mpool superblock (use -f to overwrite) or is in use`;
        case 'ENOSPC':
          return `device ${dev} is too small`;
        case 'EINVAL':
          return `the kernel refused ${dev} as a staging device of pool ${p}`;
        default:
          return undefined;
      }
    case 'open':
      switch (code) {
        case 'ENOENT':
          return `no active pool named ${p}`;
        case 'EBUSY':
        case 'EAGAIN':
          return `pool ${p} is open exclusively, or open and an exclusive open was asked for`;
        default:
          return undefined;
      }
    default:
      return undefined;
  }
}

/** Rethrow `e` as an MpoolError named for the operation; non-MpoolErrors pass through. */
export function explain(e: unknown, c: ExplainContext): never {
  if (!isMpoolError(e)) throw e;
  const detail = detailFor(e.code, c);
  const path = c.path ?? c.device ?? e.path;
  throw new MpoolError({ errno: e.errno, op: c.op, path, detail: detail ?? errnoMessage(e.errno) });
}
