/**
 * What mblocks and mlogs share: object ids, the kernel's per-ioctl I/O
 * limits, splitting a transfer to fit them, and errors that name the object.
 * The planning functions are pure (host-tested); the rest reads sysfs or
 * turns an errno into an MpoolError.
 */
import { readFileSync } from 'node:fs';
import { MPIOC_KIOV_MAX } from '../gen/constants.js';
import { errnoMessage, isMpoolError, MpoolError } from '../sys/errors.js';
import type { IoSegment } from '../sys/iovec.js';
import { PAGE_SIZE } from './aligned.js';
import { EINVAL } from './errno.js';
import { FENCED } from './explain.js';

export type ObjectKind = 'mblock' | 'mlog';

/** Object id fields: uniquifier << 12 | type << 8 | MDC slot (docs/format.md). */
export const OBJ_TYPE_MBLOCK = 1;
export const OBJ_TYPE_MLOG = 2;

export interface ObjectIdParts {
  uniq: bigint;
  type: number;
  slot: number;
}

export function parseObjectId(id: bigint): ObjectIdParts {
  return { uniq: id >> 12n, type: Number((id >> 8n) & 0xfn), slot: Number(id & 0xffn) };
}

export function makeObjectId(p: ObjectIdParts): bigint {
  return (p.uniq << 12n) | (BigInt(p.type & 0xf) << 8n) | BigInt(p.slot & 0xff);
}

export function kindOfId(id: bigint): ObjectKind | null {
  const t = parseObjectId(id).type;
  return t === OBJ_TYPE_MBLOCK ? 'mblock' : t === OBJ_TYPE_MLOG ? 'mlog' : null;
}

/** "0x1101" */
export function objectIdHex(id: bigint): string {
  return `0x${id.toString(16)}`;
}

/** The fields every object's properties start with: its id, and the id in hex. */
export function objectIdFields(id: bigint): { id: bigint; idHex: string } {
  return { id, idHex: objectIdHex(id) };
}

/** An object id from the command line or JSON: hex with 0x, or decimal. */
export function parseObjectIdText(text: string): bigint | null {
  const t = text.trim();
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(t)) return null;
  const v = BigInt(t);
  return v > 0n && v <= 0xffffffffffffffffn ? v : null;
}

/** Checks a caller gets before any ioctl: a u64 id. */
export function checkObjectId(id: bigint, kind: ObjectKind, op: string, path?: string): void {
  if (typeof id !== 'bigint' || id < 0n || id > 0xffffffffffffffffn) {
    throw new MpoolError({ errno: EINVAL, op: `${kind} ${op}`, path, detail: `${String(id)} is not an object id` });
  }
}

/**
 * The module's rwsz_max_mb, in bytes (32 MiB if the parameter cannot be
 * read). Read afresh each call: the module may be reloaded with another
 * value; Mblocks and Mlogs read it once per open pool.
 */
export const RWSZ_MAX_DEFAULT = 32 << 20;

export function readRwszMax(path = '/sys/module/mpool/parameters/rwsz_max_mb'): number {
  let mb = NaN;
  try {
    mb = Number(readFileSync(path, 'utf8').trim());
  } catch {
    /* the default below */
  }
  return Number.isInteger(mb) && mb > 0 ? mb * (1 << 20) : RWSZ_MAX_DEFAULT;
}

/** Limits of one object I/O ioctl. */
export interface IoLimits {
  /** Bytes per ioctl: rwsz_max_mb MiB. */
  maxBytes: number;
  /** iovecs per ioctl: MPIOC_KIOV_MAX. */
  maxIovecs: number;
}

export function ioLimits(maxBytes = readRwszMax()): IoLimits {
  return { maxBytes, maxIovecs: MPIOC_KIOV_MAX };
}

/**
 * Split page-aligned segments into ioctls: each at most `maxBytes` and
 * `maxIovecs` segments, a segment longer than what is left of an ioctl cut
 * at a page boundary. Order and bytes are kept.
 */
export function planIo(segs: readonly IoSegment[], limits: IoLimits): IoSegment[][] {
  const maxBytes = Math.floor(limits.maxBytes / PAGE_SIZE) * PAGE_SIZE;
  if (maxBytes <= 0 || limits.maxIovecs < 1) throw new RangeError('planIo: limits below one page or one iovec');
  // The common case, one segment that one ioctl takes, is its own plan.
  if (segs.length === 1 && segs[0]!.length > 0 && segs[0]!.length <= maxBytes) return [[segs[0]!]];
  const out: IoSegment[][] = [];
  let cur: IoSegment[] = [];
  let curBytes = 0;
  const flush = (): void => {
    if (cur.length > 0) out.push(cur);
    cur = [];
    curBytes = 0;
  };
  for (const s of segs) {
    let address = s.address;
    let left = s.length;
    while (left > 0) {
      if (cur.length === limits.maxIovecs || curBytes === maxBytes) flush();
      const n = Math.min(left, maxBytes - curBytes);
      cur.push({ address, length: n });
      curBytes += n;
      address += BigInt(n);
      left -= n;
    }
  }
  flush();
  return out;
}

/** The whole pages that cover [offset, offset+length): their start and length. */
export function pageSpan(offset: number, length: number): { start: number; length: number } {
  const start = Math.floor(offset / PAGE_SIZE) * PAGE_SIZE;
  const end = Math.ceil((offset + length) / PAGE_SIZE) * PAGE_SIZE;
  return { start, length: end - start };
}

export interface ObjectErrorContext {
  kind: ObjectKind;
  /** "alloc", "write", "read", ... */
  op: string;
  id?: bigint;
  path?: string;
  /**
   * Explanations of this call's errnos, over the general ones. The kernel
   * answers ENOENT for an object that exists but is in the wrong state (as
   * 1.9.0 does): "ENOENT:committed" and "ENOENT:uncommitted" explain those,
   * once `state` has told which it is.
   */
  hints?: Partial<Record<string, string>>;
  /** The object's state now: true committed, false uncommitted, undefined absent. */
  state?: () => boolean | undefined;
}

/**
 * The error context of an object call; with an id, its state is read back
 * through `find` (committed or not) when the kernel answers ENOENT.
 */
export function objectContext(
  kind: ObjectKind,
  op: string,
  path: string,
  find: (id: bigint) => { committed: boolean },
  id?: bigint,
  hints?: ObjectErrorContext['hints'],
): ObjectErrorContext {
  const c: ObjectErrorContext = { kind, op, path };
  if (id !== undefined) {
    c.id = id;
    c.state = () => {
      try {
        return find(id).committed;
      } catch (e) {
        if (isMpoolError(e) && e.code === 'ENOENT') return undefined;
        throw e;
      }
    };
  }
  if (hints) c.hints = hints;
  return c;
}

/** The hint for `code`, looking at the object's state for an ENOENT. */
function stateHint(code: string, c: ObjectErrorContext): string | undefined {
  if (code !== 'ENOENT' || !c.state || !c.hints) return undefined;
  let committed: boolean | undefined;
  try {
    committed = c.state();
  } catch {
    return undefined;
  }
  if (committed === undefined) return undefined;
  return c.hints[`ENOENT:${committed ? 'committed' : 'uncommitted'}`];
}

function generalHint(code: string, c: ObjectErrorContext): string | undefined {
  const what = c.id === undefined ? `the ${c.kind}` : `${c.kind} ${objectIdHex(c.id)}`;
  switch (code) {
    case 'ENOENT':
      return `no ${what} in this pool (never committed, aborted or deleted)`;
    case 'EINVAL':
      if (c.id !== undefined && kindOfId(c.id) !== c.kind) {
        const k = kindOfId(c.id);
        return `${objectIdHex(c.id)} is ${k ? `an ${k}` : 'not an object'} id, not an ${c.kind} id`;
      }
      return undefined;
    case 'EBADF':
    case 'EPERM':
    case 'EACCES':
      return `${c.op} of ${what} needs the pool open for writing`;
    case 'ENODEV':
      return `the pool has no device in the media class asked for`;
    case 'ENOSPC':
      return `no free zone left in the media class asked for`;
    case 'EROFS':
      return `the pool ${FENCED}`;
    case 'EIO':
      return `the device failed the I/O`;
    default:
      return undefined;
  }
}

/** Rethrow a failed object ioctl as an MpoolError naming the object (in hex) and the problem. */
export function objectError(e: unknown, c: ObjectErrorContext): never {
  if (!isMpoolError(e)) throw e;
  // A wrong-type id explains an EINVAL better than the call's own hint.
  const wrongType = e.code === 'EINVAL' && c.id !== undefined && kindOfId(c.id) !== c.kind;
  const hint = wrongType ? generalHint(e.code, c) : (stateHint(e.code, c) ?? c.hints?.[e.code] ?? generalHint(e.code, c));
  const what = c.id === undefined ? c.kind : `${c.kind} ${objectIdHex(c.id)}`;
  throw new MpoolError({
    errno: e.errno,
    op: `${c.kind} ${c.op}`,
    path: c.path,
    detail: `${what}: ${hint ?? errnoMessage(e.errno)}`,
    cause: e,
  });
}
