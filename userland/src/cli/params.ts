/**
 * key=value parameters of the pool commands, as upstream mpool took them:
 * parsed and range-checked here, before any system call, so a bad value is
 * a usage error that names the key and what it accepts.
 */
import { MBLOCK_MIB_MAX, MBLOCK_MIB_MIN } from '../lib/device.js';
import { LABEL_MAX, MODE_MAX, RA_PAGES_MAX, SPARE_PCT_MAX } from '../lib/params.js';
import { idResolver, type IdResolver } from './ids.js';
import { UsageError } from './run.js';

/** Everything a command can take as key=value. */
export interface ParsedParams {
  uid?: number;
  gid?: number;
  mode?: number;
  label?: string;
  /** Capacity mblock size, MiB (mblocksz=, upstream's capsz=). */
  mblockSize?: number;
  /** Staging mblock size, MiB (stgsz=). */
  stagingMblockSize?: number;
  stagingDevice?: string;
  readaheadPages?: number;
  spareCapacity?: number;
  spareStaging?: number;
  mdc0Capacity?: number;
  mdcnCapacity?: number;
  mdcCount?: number;
}

interface ParamSpec {
  /** What it accepts, for messages and help: "1..64 (MiB)". */
  accepts: string;
  help: string;
  hidden?: boolean;
  field: keyof ParsedParams;
  parse(value: string, ids: IdResolver): number | string;
}

const ID_MAX = 0xfffffffe;

function int(key: string, v: string, lo: number, hi: number, unit = ''): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`${key}=${v}: not a number; ${key} takes ${lo}..${hi}${unit}`);
  const n = Number(v);
  if (n < lo || n > hi) throw new UsageError(`${key}=${v}: out of range; ${key} takes ${lo}..${hi}${unit}`);
  return n;
}

function id(key: 'uid' | 'gid', v: string, ids: IdResolver): number {
  if (/^\d+$/.test(v)) return int(key, v, 0, ID_MAX);
  const n = key === 'uid' ? ids.user(v) : ids.group(v);
  if (n === undefined) {
    throw new UsageError(`${key}=${v}: no such ${key === 'uid' ? 'user' : 'group'}; ${key} takes a name or a number 0..${ID_MAX}`);
  }
  return n;
}

const mib = (key: string) => (v: string) => int(key, v, MBLOCK_MIB_MIN, MBLOCK_MIB_MAX, ' (MiB)');

export const PARAM_SPECS = {
  uid: { accepts: 'a user name or number', help: 'owner of /dev/mpool/<name>', field: 'uid', parse: (v, ids) => id('uid', v, ids) },
  gid: { accepts: 'a group name or number', help: 'group of /dev/mpool/<name>', field: 'gid', parse: (v, ids) => id('gid', v, ids) },
  mode: {
    accepts: 'octal 0..0777',
    help: 'permission bits of /dev/mpool/<name>',
    field: 'mode',
    parse: (v) => {
      if (!/^(0o)?[0-7]{1,4}$/.test(v)) throw new UsageError(`mode=${v}: not an octal mode; mode takes octal 0..0777`);
      const n = parseInt(v.replace(/^0o/, ''), 8);
      if (n > MODE_MAX) throw new UsageError(`mode=${v}: out of range; mode takes octal 0..0777`);
      return n;
    },
  },
  label: {
    accepts: `1..${LABEL_MAX} printable characters`,
    help: 'free-form label',
    field: 'label',
    parse: (v) => {
      if (v.length === 0 || Buffer.byteLength(v) > LABEL_MAX || !/^[\x20-\x7e]+$/.test(v)) {
        throw new UsageError(`label=${v}: label takes 1..${LABEL_MAX} printable ASCII characters`);
      }
      return v;
    },
  },
  mblocksz: { accepts: `${MBLOCK_MIB_MIN}..${MBLOCK_MIB_MAX} (MiB)`, help: 'capacity mblock (zone) size', field: 'mblockSize', parse: mib('mblocksz') },
  capsz: { accepts: `${MBLOCK_MIB_MIN}..${MBLOCK_MIB_MAX} (MiB)`, help: 'upstream name of mblocksz', field: 'mblockSize', parse: mib('capsz'), hidden: true },
  stgdev: {
    accepts: 'a block device path',
    help: 'staging device',
    field: 'stagingDevice',
    parse: (v) => {
      if (v.length === 0) throw new UsageError('stgdev=: stgdev takes a block device path');
      return v;
    },
  },
  stgsz: { accepts: `${MBLOCK_MIB_MIN}..${MBLOCK_MIB_MAX} (MiB)`, help: 'staging mblock (zone) size', field: 'stagingMblockSize', parse: mib('stgsz') },
  ra: { accepts: `0..${RA_PAGES_MAX} (pages)`, help: 'mcache readahead ceiling', field: 'readaheadPages', parse: (v) => int('ra', v, 0, RA_PAGES_MAX, ' (pages)') },
  spare_pct_capacity: {
    accepts: `0..${SPARE_PCT_MAX} (%)`,
    help: 'spare space of the capacity class',
    field: 'spareCapacity',
    parse: (v) => int('spare_pct_capacity', v, 0, SPARE_PCT_MAX, ' (%)'),
  },
  spare_pct_staging: {
    accepts: `0..${SPARE_PCT_MAX} (%)`,
    help: 'spare space of the staging class',
    field: 'spareStaging',
    parse: (v) => int('spare_pct_staging', v, 0, SPARE_PCT_MAX, ' (%)'),
  },
  mdc0cap: { accepts: '0..65535 (MiB)', help: 'MDC-0 capacity', field: 'mdc0Capacity', hidden: true, parse: (v) => int('mdc0cap', v, 0, 0xffff, ' (MiB)') },
  mdcncap: { accepts: '0..65535 (MiB)', help: 'MDC-1..N capacity', field: 'mdcnCapacity', hidden: true, parse: (v) => int('mdcncap', v, 0, 0xffff, ' (MiB)') },
  mdcnum: { accepts: '0..65535', help: 'number of MDCs', field: 'mdcCount', hidden: true, parse: (v) => int('mdcnum', v, 0, 0xffff) },
} satisfies Record<string, ParamSpec>;

export type ParamKey = keyof typeof PARAM_SPECS;

const SPECS: Readonly<Record<string, ParamSpec | undefined>> = PARAM_SPECS;

export const CREATE_KEYS: readonly ParamKey[] = [
  'uid', 'gid', 'mode', 'label', 'mblocksz', 'capsz', 'stgdev', 'stgsz', 'ra',
  'spare_pct_capacity', 'spare_pct_staging', 'mdc0cap', 'mdcncap', 'mdcnum',
];
export const ADD_KEYS: readonly ParamKey[] = ['stgdev', 'stgsz'];
export const ACTIVATE_KEYS: readonly ParamKey[] = ['uid', 'gid', 'mode', 'label'];
export const SET_KEYS: readonly ParamKey[] = ['uid', 'gid', 'mode', 'label', 'ra', 'spare_pct_capacity', 'spare_pct_staging'];

function visible(keys: readonly ParamKey[]): ParamKey[] {
  return keys.filter((k) => !SPECS[k]?.hidden);
}

/** Parse key=value arguments; only `allowed` keys are accepted. */
export function parseParams(args: readonly string[], allowed: readonly ParamKey[], ids: IdResolver = idResolver()): ParsedParams {
  const out: ParsedParams = {};
  const seen = new Map<keyof ParsedParams, string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      throw new UsageError(`"${arg}": expected key=value; parameters: ${visible(allowed).join(', ')}`);
    }
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    const spec = SPECS[key];
    if (!spec || !(allowed as readonly string[]).includes(key)) {
      throw new UsageError(`unknown parameter "${key}"; this command takes: ${visible(allowed).join(', ')}`);
    }
    const prev = seen.get(spec.field);
    if (prev !== undefined) throw new UsageError(`${key}= given twice${prev !== key ? ` (also as ${prev}=)` : ''}`);
    seen.set(spec.field, key);
    const v = spec.parse(value, ids);
    (out as Record<string, number | string>)[spec.field] = v;
  }
  return out;
}

/** Help lines for the parameters a command takes. */
export function paramsHelp(allowed: readonly ParamKey[]): string {
  const keys = visible(allowed);
  const width = Math.max(...keys.map((k) => k.length)) + 1;
  return ['', 'Parameters (key=value):', ...keys.map((k) => `  ${`${k}=`.padEnd(width + 1)} ${SPECS[k]!.accepts}: ${SPECS[k]!.help}`)].join('\n');
}
