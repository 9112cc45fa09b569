/**
 * Pool parameters with friendly names, and the mapping to and from the
 * generated struct mpool_params. "Keep" (or "default", at create) is the
 * kernel's invalid value for each field; callers just leave fields out.
 */
import {
  MPOOL_LABEL_INVALID,
  MPOOL_LABELSZ_MAX,
  MPOOL_RA_PAGES_INVALID,
  MPOOL_SPARES_INVALID,
  MpMediaClassp,
  MpoolStatus,
} from '../gen/constants.js';
import { MpoolParams, type MpoolParams as MpoolParamsValue } from '../gen/structs.js';
import { formatUuid, parseUuid } from './uuid.js';

export const ID_KEEP = 0xffffffff;
/** Largest readahead the kernel accepts, in pages. */
export const RA_PAGES_MAX = 32;
export const SPARE_PCT_MAX = 100;
export const MODE_MAX = 0o777;
export const LABEL_MAX = MPOOL_LABELSZ_MAX - 1;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export type PoolHealth = 'optimal' | 'faulted' | 'unknown';

export function healthOf(stat: number): PoolHealth {
  return stat === MpoolStatus.MPOOL_STAT_OPTIMAL ? 'optimal' : stat === MpoolStatus.MPOOL_STAT_FAULTED ? 'faulted' : 'unknown';
}

/** struct mpool_params, as users see it. */
export interface PoolParams {
  name: string;
  uuid: string;
  uid: number;
  gid: number;
  /** Permission bits of /dev/mpool/<name>. */
  mode: number;
  label: string;
  health: PoolHealth;
  /** Spare space per media class, percent. */
  spareCapacity: number;
  spareStaging: number;
  /** Capacity target of user MDCs, bytes. */
  mdcCapacityTarget: bigint;
  /** The two mlogs of the client root MDC. */
  rootMdc: [bigint, bigint];
  /** mcache readahead ceiling, pages. */
  readaheadPages: number;
  /** log2 of the address space of one mcache map. */
  vmaSizeMax: number;
  /** mblock (zone) size per media class, MiB; 0 when the class is absent. */
  mblockSize: { staging: number; capacity: number };
  /** MiB. */
  mdc0Capacity: number;
  /** MiB. */
  mdcnCapacity: number;
  mdcCount: number;
  /** Client-owned type stamp. */
  utype: string;
}

/** What PARAMS_SET, PROP_SET and ACTIVATE can change; a missing field is kept. */
export interface PoolParamsUpdate {
  uid?: number;
  gid?: number;
  mode?: number;
  label?: string;
  readaheadPages?: number;
  spareCapacity?: number;
  spareStaging?: number;
  utype?: string;
}

/** What CREATE takes; a missing field gets the kernel's default. */
export interface PoolCreateParams extends PoolParamsUpdate {
  /** Capacity class mblock (zone) size, MiB; default 32. */
  mblockSize?: number;
  /** Staging class mblock size, MiB (only with a staging device). */
  stagingMblockSize?: number;
  /** MiB; 0 or missing: default. */
  mdc0Capacity?: number;
  /** MiB; 0 or missing: default. */
  mdcnCapacity?: number;
  /** 0 or missing: default. */
  mdcCount?: number;
}

export function fromMpoolParams(p: MpoolParamsValue): PoolParams {
  return {
    name: p.mp_name,
    uuid: formatUuid(p.mp_poolid),
    uid: p.mp_uid,
    gid: p.mp_gid,
    mode: p.mp_mode,
    label: p.mp_label,
    health: healthOf(p.mp_stat),
    spareCapacity: p.mp_spare_cap,
    spareStaging: p.mp_spare_stg,
    mdcCapacityTarget: p.mp_mdc_captgt,
    rootMdc: [p.mp_oidv[0] ?? 0n, p.mp_oidv[1] ?? 0n],
    readaheadPages: p.mp_ra_pages_max,
    vmaSizeMax: p.mp_vma_size_max,
    mblockSize: {
      staging: p.mp_mblocksz[MpMediaClassp.MP_MED_STAGING] ?? 0,
      capacity: p.mp_mblocksz[MpMediaClassp.MP_MED_CAPACITY] ?? 0,
    },
    mdc0Capacity: p.mp_mdc0cap,
    mdcnCapacity: p.mp_mdcncap,
    mdcCount: p.mp_mdcnum,
    utype: formatUuid(p.mp_utype),
  };
}

/** Why an update is out of the kernel's ranges, or null. Checked before any ioctl. */
export function updateProblem(u: PoolParamsUpdate): string | null {
  const id = (v: number | undefined, what: string): string | null =>
    v !== undefined && (!Number.isInteger(v) || v < 0 || v >= ID_KEEP) ? `${what} ${v} is not a valid id` : null;
  const range = (v: number | undefined, what: string, max: number): string | null =>
    v !== undefined && (!Number.isInteger(v) || v < 0 || v > max) ? `${what} ${v} is out of range 0..${max}` : null;
  return (
    id(u.uid, 'uid') ??
    id(u.gid, 'gid') ??
    (u.mode !== undefined && (!Number.isInteger(u.mode) || u.mode < 0 || u.mode > MODE_MAX)
      ? `mode ${u.mode.toString(8)} is out of range 0..0777`
      : null) ??
    range(u.readaheadPages, 'readahead', RA_PAGES_MAX) ??
    range(u.spareCapacity, 'capacity spare percent', SPARE_PCT_MAX) ??
    range(u.spareStaging, 'staging spare percent', SPARE_PCT_MAX) ??
    (u.label !== undefined && (u.label.length === 0 || Buffer.byteLength(u.label) > LABEL_MAX || u.label.includes('\0'))
      ? `label must be 1..${LABEL_MAX} bytes`
      : null) ??
    (u.utype !== undefined && !/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(u.utype)
      ? `utype "${u.utype}" is not a uuid`
      : null)
  );
}

/**
 * struct mpool_params with every field at "keep" (the kernel's invalid
 * values), then the given fields set.
 */
export function toMpoolParams(name: string, u: PoolParamsUpdate = {}): MpoolParamsValue {
  const p = MpoolParams.zero();
  p.mp_name = name;
  p.mp_uid = u.uid ?? ID_KEEP;
  p.mp_gid = u.gid ?? ID_KEEP;
  p.mp_mode = u.mode ?? ID_KEEP;
  p.mp_label = u.label ?? MPOOL_LABEL_INVALID;
  p.mp_ra_pages_max = u.readaheadPages ?? MPOOL_RA_PAGES_INVALID;
  p.mp_spare_cap = u.spareCapacity ?? MPOOL_SPARES_INVALID;
  p.mp_spare_stg = u.spareStaging ?? MPOOL_SPARES_INVALID;
  if (u.utype !== undefined && u.utype !== NIL_UUID) p.mp_utype = parseUuid(u.utype);
  return p;
}

/** struct mpool_params for CREATE: keep-values mean "default". */
export function toCreateParams(name: string, c: PoolCreateParams, capacityMiB: number, stagingMiB: number): MpoolParamsValue {
  const p = toMpoolParams(name, c);
  p.mp_mblocksz[MpMediaClassp.MP_MED_CAPACITY] = capacityMiB;
  p.mp_mblocksz[MpMediaClassp.MP_MED_STAGING] = stagingMiB;
  p.mp_mdc0cap = c.mdc0Capacity ?? 0;
  p.mp_mdcncap = c.mdcnCapacity ?? 0;
  p.mp_mdcnum = c.mdcCount ?? 0;
  return p;
}
