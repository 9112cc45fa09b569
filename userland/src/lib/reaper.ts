/**
 * The mcache reaper's knobs, the module parameters in
 * /sys/class/mpool/mpoolctl/parameters/: read them, and set them with the
 * ranges checked here before anything is written (the kernel checks them
 * again: EINVAL from write(2)).
 */
import { join } from 'node:path';
import { MpoolError } from '../sys/errors.js';
import { EACCES, EINVAL, EPERM } from './errno.js';
import { ctlDir, readU64, readUint, sysfsRootOf, U64_MAX, writeValue, type SysfsOptions } from './sysfs.js';

export interface ReaperKnobs {
  /** reap_mempct: reap when mcache pages pass this percent of memory, 5..100; 100 disables the reaper. */
  mempct: number;
  /** reap_ttl: how long an unused map's pages are kept before they may be reaped, microseconds, >= 100. */
  ttlUs: bigint;
  /** reap_debug: reaper logging to the kernel log, 0 (none)..3. */
  debug: number;
}

/** What setReaper changes; a knob left out is kept. */
export interface ReaperUpdate {
  mempct?: number;
  ttlUs?: number | bigint;
  debug?: number;
}

interface KnobSpec {
  file: string;
  min: bigint;
  max: bigint;
  /** The range as messages give it. */
  range: string;
}

/** Each knob's file and range. */
export const REAPER_KNOBS: { readonly [K in keyof ReaperKnobs]: Readonly<KnobSpec> } = {
  mempct: { file: 'reap_mempct', min: 5n, max: 100n, range: '5..100 (percent of memory; 100 disables the reaper)' },
  // The kernel keeps it in an unsigned int.
  ttlUs: { file: 'reap_ttl', min: 100n, max: 0xffffffffn, range: '100..4294967295 (microseconds)' },
  debug: { file: 'reap_debug', min: 0n, max: 3n, range: '0..3' },
};

const KNOB_KEYS = Object.keys(REAPER_KNOBS) as (keyof ReaperKnobs)[];

function paramsDir(root: string): string {
  return join(ctlDir(root), 'parameters');
}

function asBigInt(v: number | bigint): bigint | null {
  if (typeof v === 'bigint') return v;
  return Number.isSafeInteger(v) ? BigInt(v) : null;
}

/** Why an update cannot be written (the first bad knob, by its file name and range), or null. */
export function reaperProblem(u: ReaperUpdate): string | null {
  for (const key of KNOB_KEYS) {
    const v = u[key];
    if (v === undefined) continue;
    const spec = REAPER_KNOBS[key];
    const n = asBigInt(v);
    if (n === null) return `${spec.file}=${v} is not an integer; ${spec.file} takes ${spec.range}`;
    if (n < spec.min || n > spec.max) return `${spec.file}=${v} is out of range; ${spec.file} takes ${spec.range}`;
  }
  return null;
}

/** The knobs in force. */
export function readReaper(opts: SysfsOptions = {}): ReaperKnobs {
  const root = sysfsRootOf(opts);
  const dir = paramsDir(root);
  return {
    mempct: readUint(root, join(dir, REAPER_KNOBS.mempct.file)),
    ttlUs: readU64(root, join(dir, REAPER_KNOBS.ttlUs.file)),
    debug: readUint(root, join(dir, REAPER_KNOBS.debug.file)),
  };
}

/**
 * Set the knobs given, in the order mempct, ttl, debug, each by one write;
 * returns the knobs in force afterwards. All are range-checked first
 * (EINVAL, nothing written); a write the kernel refuses stops there, the
 * knobs written before it keep their new values.
 */
export function setReaper(u: ReaperUpdate, opts: SysfsOptions = {}): ReaperKnobs {
  const root = sysfsRootOf(opts);
  const bad = reaperProblem(u);
  if (bad) throw new MpoolError({ errno: EINVAL, op: 'reaper', path: paramsDir(root), detail: bad });
  for (const key of KNOB_KEYS) {
    const v = u[key];
    if (v === undefined) continue;
    const spec = REAPER_KNOBS[key];
    writeValue(root, join(paramsDir(root), spec.file), v.toString(), (errno) => {
      if (errno === EACCES || errno === EPERM) return `setting ${spec.file} needs root`;
      if (errno === EINVAL) return `the module refused ${spec.file}=${v}; it takes ${spec.range}`;
      return undefined;
    });
  }
  return readReaper(opts);
}
