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

/** What a message is made from: the context, the pool quoted, and the device(s). */
interface Subject {
  c: ExplainContext;
  /** The pool, quoted: "mp1". */
  p: string;
  /** The device, the devices, or "the device". */
  dev: string;
}

type Detail = (s: Subject) => string;

const notPool: Detail = ({ p }) => `no active pool named ${p}`;
const busySuperblock: Detail = ({ c, dev }) =>
  c.busyDetail ?? `device ${dev} already holds an mpool superblock (use -f to overwrite) or is in use`;

const heldExclusively: Detail = ({ p }) => `pool ${p} is open exclusively, or open and an exclusive open was asked for`;

/** op -> errno name -> the sentence naming the problem; EPERM is the same for every op. */
const DETAILS: { readonly [op in ManagementOp]?: Readonly<Partial<Record<string, Detail>>> } = {
  create: {
    EEXIST: ({ p }) => `an active pool named ${p} already exists`,
    EBUSY: busySuperblock,
    ENOSPC: ({ dev }) => `device ${dev} is too small for a pool`,
    ENOENT: ({ dev }) => `no such device ${dev}`,
    ENOTBLK: ({ dev }) => `${dev} is not a block device`,
    EINVAL: ({ p, dev }) => `the kernel refused the geometry or parameters of pool ${p} on ${dev}`,
    ENAMETOOLONG: ({ p }) => `pool name ${p} is too long`,
  },
  activate: {
    EINVAL: ({ p, dev }) => `the superblocks on ${dev} do not describe pool ${p}, or the parameters are invalid`,
    ENODEV: ({ p, dev }) => `a device of pool ${p} is missing (found ${dev}); use -f to activate without it`,
    EBADMSG: ({ p, dev }) => `both superblock copies on ${dev} are damaged, or the metadata of pool ${p} is (the kernel log says which)`,
    EPROTONOSUPPORT: ({ dev }) => `${dev} holds a superblock format this module does not read`,
    EEXIST: ({ p }) => `another active pool is already named ${p}`,
    EBUSY: ({ dev }) => `device ${dev} is in use`,
  },
  deactivate: {
    ENXIO: notPool,
    EBUSY: ({ p }) => `pool ${p} is open; close it first`,
  },
  destroy: {
    EBUSY: ({ p }) => `pool ${p} is open; close it first, or use -f to tear it down anyway`,
    EINVAL: ({ p, dev }) => `the devices ${dev} do not hold pool ${p}`,
    ENXIO: ({ p }) => `no pool ${p}`,
  },
  rename: {
    EBUSY: ({ p }) => `pool ${p} is active; deactivate it first`,
    EEXIST: ({ c }) => `a pool named "${c.newName ?? ''}" already exists`,
    EINVAL: ({ p, dev }) => `the devices ${dev} do not hold pool ${p}, or the new name is invalid`,
  },
  add: {
    EEXIST: ({ c, p, dev }) =>
      c.existDetail ?? `${dev} is already a device of pool ${p} (under this or another name), or the pool already has a device in that media class`,
    EBUSY: busySuperblock,
    ENOSPC: ({ dev }) => `device ${dev} is too small`,
    EINVAL: ({ p, dev }) => `the kernel refused ${dev} as a staging device of pool ${p}`,
  },
  open: {
    ENOENT: notPool,
    EBUSY: heldExclusively,
    EAGAIN: heldExclusively,
  },
};

/** Why a fenced pool (EROFS: a metadata write failed) refuses every change; object commands say it too. */
export const FENCED = 'takes no more changes: a metadata write failed (the kernel log names it); deactivate and activate it again';
const fenced: Detail = ({ p }) => `pool ${p} ${FENCED}`;

function detailFor(code: string, c: ExplainContext): string | undefined {
  if (code === 'EPERM') return `${c.op} ${ADMIN}`;
  if (code === 'EROFS' && (c.op === 'set' || c.op === 'add' || c.op === 'spares')) return fenced({ c, p: `"${c.pool}"`, dev: '' });
  const detail = DETAILS[c.op]?.[code];
  return detail?.({ c, p: `"${c.pool}"`, dev: c.device ?? c.devices?.join(', ') ?? 'the device' });
}

/** Rethrow `e` as an MpoolError named for the operation; non-MpoolErrors pass through. */
export function explain(e: unknown, c: ExplainContext): never {
  if (!isMpoolError(e)) throw e;
  const detail = detailFor(e.code, c);
  const path = c.path ?? c.device ?? e.path;
  throw new MpoolError({ errno: e.errno, op: c.op, path, detail: detail ?? errnoMessage(e.errno), cause: e });
}
