/**
 * The module's counters from sysfs: the control device's stats/ (every
 * pool's mcache maps and the reaper) and each active pool's parameters/
 * and stats/. Every value of a stats/ file is a bigint (u64). Counters only
 * grow; gauges are a level now (maps, resident pages, the reaper's state).
 * Rates (per second, numbers) are of counters, between two samples.
 *
 * A missing file or directory is an MpoolError with ENOENT naming it; its
 * message says whether the module is not loaded, the pool is not active,
 * or the loaded module lacks the file (older than this library).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isMpoolError, MpoolError } from '../sys/errors.js';
import { EINVAL } from './errno.js';
import { checkPoolName } from './names.js';
import { readReaper, type ReaperKnobs } from './reaper.js';
import { activePoolNames, ctlDir, readLine, readOctal, readU64, readUint, sysfsRootOf, type SysfsOptions } from './sysfs.js';

export type StatKind = 'counter' | 'gauge';
export type StatUnit = 'maps' | 'pages' | 'faults' | 'passes' | 'mblocks' | 'ops' | 'bytes' | 'basis points' | 'microseconds';

export interface StatInfo<K extends StatKind = StatKind> {
  /** The file in stats/. */
  file: string;
  kind: K;
  unit: StatUnit;
  /** What it counts, for help and docs. */
  help: string;
}

/** mcache counters, the same in the control device's stats (all pools) and in each pool's. */
export interface McacheStats {
  maps: bigint;
  pagesHot: bigint;
  pagesWarm: bigint;
  pagesCold: bigint;
  pagesPinned: bigint;
  faultsMajor: bigint;
  faultsMinor: bigint;
  raPages: bigint;
  reapMblocks: bigint;
  reapPages: bigint;
}

/** /sys/class/mpool/mpoolctl/stats/. */
export interface GlobalCounters extends McacheStats {
  reapPasses: bigint;
  /** 0..10000 basis points. */
  reapUrgency: bigint;
  /** Microseconds: the TTL in force now. */
  reapTtlCur: bigint;
  /** Basis points: free / (free + tracked mcache pages) at the last tick. */
  reapFreepct: bigint;
}

/** mblock and mlog I/O of one pool. */
export interface PoolIoStats {
  mbReadOps: bigint;
  mbReadBytes: bigint;
  mbWriteOps: bigint;
  mbWriteBytes: bigint;
  mlReadOps: bigint;
  mlReadBytes: bigint;
  mlWriteOps: bigint;
  mlWriteBytes: bigint;
}

/** /sys/class/mpool/<pool>/stats/. */
export interface PoolCounters extends PoolIoStats, McacheStats {}

/** /sys/class/mpool/<pool>/parameters/ (read-only). */
export interface PoolSysfsParams {
  uid: number;
  gid: number;
  /** Permission bits of /dev/mpool/<pool> (the file has them in octal, "0660"). */
  mode: number;
  /** Readahead, pages. */
  ra: number;
  label: string;
  /** log2 of a map's region size (xvm_size_max). */
  vma: number;
  /** Pool type, a uuid. */
  type: string;
}

type McacheCounterKey = 'faultsMajor' | 'faultsMinor' | 'raPages' | 'reapMblocks' | 'reapPages';
/** The keys of GlobalCounters that only grow (the rest are gauges). */
export type GlobalCounterKey = McacheCounterKey | 'reapPasses';
/** The keys of PoolCounters that only grow (the rest are gauges). */
export type PoolCounterKey = McacheCounterKey | keyof PoolIoStats;

/** Per-second rates of the counters between two samples. */
export type GlobalRates = Record<GlobalCounterKey, number>;
export type PoolRates = Record<PoolCounterKey, number>;

type Specs<T, C extends keyof T> = { readonly [K in keyof T]-?: Readonly<StatInfo<K extends C ? 'counter' : 'gauge'>> };

const MCACHE: Specs<McacheStats, McacheCounterKey> = {
  maps: { file: 'maps', kind: 'gauge', unit: 'maps', help: 'live mcache maps' },
  pagesHot: { file: 'pages_hot', kind: 'gauge', unit: 'pages', help: 'resident pages of maps advised hot' },
  pagesWarm: { file: 'pages_warm', kind: 'gauge', unit: 'pages', help: 'resident pages of maps advised warm' },
  pagesCold: { file: 'pages_cold', kind: 'gauge', unit: 'pages', help: 'resident pages of maps advised cold' },
  pagesPinned: { file: 'pages_pinned', kind: 'gauge', unit: 'pages', help: 'resident pages of maps advised pinned' },
  faultsMajor: { file: 'faults_major', kind: 'counter', unit: 'faults', help: 'page faults on maps that read the media' },
  faultsMinor: { file: 'faults_minor', kind: 'counter', unit: 'faults', help: 'page faults on maps served from the page cache' },
  raPages: { file: 'ra_pages', kind: 'counter', unit: 'pages', help: 'pages read by readahead' },
  reapMblocks: { file: 'reap_mblocks', kind: 'counter', unit: 'mblocks', help: 'mblocks whose pages the reaper evicted' },
  reapPages: { file: 'reap_pages', kind: 'counter', unit: 'pages', help: 'pages the reaper evicted' },
};

/** Each file of the control device's stats/, in the order they are shown. */
export const GLOBAL_STATS: Specs<GlobalCounters, GlobalCounterKey> = {
  maps: MCACHE.maps,
  pagesHot: MCACHE.pagesHot,
  pagesWarm: MCACHE.pagesWarm,
  pagesCold: MCACHE.pagesCold,
  pagesPinned: MCACHE.pagesPinned,
  faultsMajor: MCACHE.faultsMajor,
  faultsMinor: MCACHE.faultsMinor,
  raPages: MCACHE.raPages,
  reapPasses: { file: 'reap_passes', kind: 'counter', unit: 'passes', help: 'reaper passes' },
  reapMblocks: MCACHE.reapMblocks,
  reapPages: MCACHE.reapPages,
  reapUrgency: { file: 'reap_urgency', kind: 'gauge', unit: 'basis points', help: 'how hard the reaper is reaping, 0..10000' },
  reapTtlCur: { file: 'reap_ttl_cur', kind: 'gauge', unit: 'microseconds', help: 'the TTL in force now' },
  reapFreepct: {
    file: 'reap_freepct',
    kind: 'gauge',
    unit: 'basis points',
    help: 'free / (free + tracked mcache pages) at the last tick',
  },
};

const IO: Specs<PoolIoStats, keyof PoolIoStats> = {
  mbReadOps: { file: 'mb_read_ops', kind: 'counter', unit: 'ops', help: 'mblock reads' },
  mbReadBytes: { file: 'mb_read_bytes', kind: 'counter', unit: 'bytes', help: 'bytes read from mblocks' },
  mbWriteOps: { file: 'mb_write_ops', kind: 'counter', unit: 'ops', help: 'mblock writes' },
  mbWriteBytes: { file: 'mb_write_bytes', kind: 'counter', unit: 'bytes', help: 'bytes written to mblocks' },
  mlReadOps: { file: 'ml_read_ops', kind: 'counter', unit: 'ops', help: 'mlog reads' },
  mlReadBytes: { file: 'ml_read_bytes', kind: 'counter', unit: 'bytes', help: 'bytes read from mlogs' },
  mlWriteOps: { file: 'ml_write_ops', kind: 'counter', unit: 'ops', help: 'mlog writes' },
  mlWriteBytes: { file: 'ml_write_bytes', kind: 'counter', unit: 'bytes', help: 'bytes written to mlogs' },
};

/** Each file of a pool's stats/, in the order they are shown. */
export const POOL_STATS: Specs<PoolCounters, PoolCounterKey> = { ...IO, ...MCACHE };

export interface GlobalStats {
  /** When the sample was read: ms since the epoch, monotonic within a process (performance.timeOrigin + now()). */
  sampledAt: number;
  stats: GlobalCounters;
  reaper: ReaperKnobs;
}

export interface PoolStats {
  name: string;
  sampledAt: number;
  params: PoolSysfsParams;
  stats: PoolCounters;
}

/** The control device's stats and every active pool's. */
export interface StatsSnapshot {
  global: GlobalStats;
  pools: PoolStats[];
}

export interface StatsRates {
  /** Seconds between the two global samples. */
  seconds: number;
  global: GlobalRates;
  /** Pools present in both samples, by name. */
  pools: { name: string; seconds: number; rates: PoolRates }[];
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function readAll<T>(root: string, dir: string, specs: { readonly [K in keyof T]: Readonly<StatInfo> }): { [K in keyof T]: bigint } {
  const out: Partial<Record<keyof T, bigint>> = {};
  for (const key of Object.keys(specs) as (keyof T)[]) {
    out[key] = readU64(root, join(dir, specs[key].file));
  }
  return out as { [K in keyof T]: bigint };
}

/** The control device's stats/ and the reaper's knobs. */
export function readGlobalStats(opts: SysfsOptions = {}): GlobalStats {
  const root = sysfsRootOf(opts);
  const sampledAt = now();
  const stats = readAll<GlobalCounters>(root, join(ctlDir(root), 'stats'), GLOBAL_STATS);
  return { sampledAt, stats, reaper: readReaper(opts) };
}

/** One active pool's parameters/ and stats/, by name. */
export function readPoolStats(name: string, opts: SysfsOptions = {}): PoolStats {
  checkPoolName(name, 'stats');
  const root = sysfsRootOf(opts);
  const dir = join(root, name);
  const p = join(dir, 'parameters');
  const sampledAt = now();
  const stats = readAll<PoolCounters>(root, join(dir, 'stats'), POOL_STATS);
  const params: PoolSysfsParams = {
    uid: readUint(root, join(p, 'uid')),
    gid: readUint(root, join(p, 'gid')),
    mode: readOctal(root, join(p, 'mode')),
    ra: readUint(root, join(p, 'ra')),
    label: readLine(root, join(p, 'label')),
    vma: readUint(root, join(p, 'vma')),
    type: readLine(root, join(p, 'type')),
  };
  return { name, sampledAt, params, stats };
}

/** Global stats and each active pool's; a pool deactivated while it is read is left out. */
export function readStats(opts: SysfsOptions = {}): StatsSnapshot {
  const root = sysfsRootOf(opts);
  const global = readGlobalStats(opts);
  const pools: PoolStats[] = [];
  for (const name of activePoolNames(root)) {
    try {
      pools.push(readPoolStats(name, opts));
    } catch (e) {
      if (isMpoolError(e, 'ENOENT') && !existsSync(join(root, name))) continue;
      throw e;
    }
  }
  return { global, pools };
}

function secondsBetween(prevAt: number, curAt: number): number {
  const s = (curAt - prevAt) / 1000;
  if (!(s > 0)) {
    throw new MpoolError({ errno: EINVAL, op: 'rates', detail: `the second sample must be later than the first (${s} s apart)` });
  }
  return s;
}

/**
 * Per-second rates of every counter. A counter that went down (the module
 * was reloaded, the pool re-activated) started again from 0: its rate is
 * its new value over the interval.
 */
function ratesOf<T, C extends keyof T>(specs: Specs<T, C>, prev: { [K in keyof T]: bigint }, cur: { [K in keyof T]: bigint }, s: number): Record<C, number> {
  const out: Partial<Record<C, number>> = {};
  for (const key of Object.keys(specs) as (keyof T)[]) {
    if (specs[key].kind !== 'counter') continue;
    const a = prev[key];
    const b = cur[key];
    const delta = b >= a ? b - a : b;
    out[key as C] = Number(delta) / s;
  }
  return out as Record<C, number>;
}

export function globalRates(prev: GlobalStats, cur: GlobalStats): GlobalRates {
  return ratesOf(GLOBAL_STATS, prev.stats, cur.stats, secondsBetween(prev.sampledAt, cur.sampledAt));
}

export function poolRates(prev: PoolStats, cur: PoolStats): PoolRates {
  return ratesOf(POOL_STATS, prev.stats, cur.stats, secondsBetween(prev.sampledAt, cur.sampledAt));
}

/** Rates of the global counters and of every pool found in both snapshots. */
export function statsRates(prev: StatsSnapshot, cur: StatsSnapshot): StatsRates {
  const pools: StatsRates['pools'] = [];
  for (const c of cur.pools) {
    const p = prev.pools.find((x) => x.name === c.name);
    if (p) pools.push({ name: c.name, seconds: secondsBetween(p.sampledAt, c.sampledAt), rates: poolRates(p, c) });
  }
  return { seconds: secondsBetween(prev.global.sampledAt, cur.global.sampledAt), global: globalRates(prev.global, cur.global), pools };
}
