/**
 * Finding pools by their superblocks: every block device in /proc/partitions
 * (or an explicit list of paths, which may be regular files), both copies
 * read with O_DIRECT, grouped by pool uuid. No libblkid.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isMpoolError } from '../sys/errors.js';
import * as sys from '../sys/libc.js';
import type { MediaClass } from './device.js';
import {
  chooseSuperblock,
  hasMagic,
  SB_AREA,
  SB_COPY_OFFSETS,
  type Superblock,
  type SuperblockCopy,
} from './superblock.js';
import { ENOMEDIUM, ENXIO } from './errno.js';

/** A device or file that holds a readable superblock. */
export interface ScannedDevice {
  path: string;
  /** Device uuid, from the superblock. */
  devid: string;
  mclass: MediaClass;
  holdsMdc0: boolean;
  /** Which superblock copy was valid and used: 0, or 1 when copy 0 is damaged. */
  copyUsed: 0 | 1;
  /** Zone size, 4 KiB pages. */
  zonePages: number;
  sb: Superblock;
}

/** A device that carries the mpool magic but no superblock we can use. */
export interface ScanProblem {
  path: string;
  /** The pool it claims to belong to, if the header was readable. */
  poolName?: string;
  poolUuid?: string;
  /** Format version, when known (1: mpool 1.9.0). */
  version?: number;
  message: string;
}

/** A device that could not be read at all. */
export interface ScanError {
  path: string;
  code: string;
  message: string;
}

export interface ScannedPool {
  name: string;
  uuid: string;
  devices: Omit<ScannedDevice, 'sb'>[];
  active: boolean;
}

export interface ScanResult {
  pools: ScannedPool[];
  problems: ScanProblem[];
  errors: ScanError[];
}

/** Block device names from the text of /proc/partitions, skipping empty ones (size 0). */
export function parsePartitions(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s*$/.exec(line);
    if (!m) continue;
    const blocks = Number(m[3]);
    const name = m[4]!;
    if (blocks === 0) continue;
    // An extended partition's container is one block: nothing to find there.
    if (blocks === 1) continue;
    names.push(name);
  }
  return names;
}

/** /dev paths of the block devices worth reading. */
export function blockDevicePaths(partitions = readFileSync('/proc/partitions', 'utf8'), exists = existsSync): string[] {
  return parsePartitions(partitions)
    .map((n) => `/dev/${n}`)
    .filter((p) => exists(p));
}

export type DeviceRead =
  | { kind: 'pool'; device: ScannedDevice }
  | { kind: 'problem'; problem: ScanProblem }
  | { kind: 'none' }
  | { kind: 'error'; error: ScanError };

function openForScan(path: string): { fd: number; direct: boolean } {
  try {
    return { fd: sys.open(path, sys.O_RDONLY | sys.O_DIRECT), direct: true };
  } catch (e) {
    // Some file systems (tmpfs) refuse O_DIRECT; a regular file read is fine there.
    if (isMpoolError(e, 'EINVAL')) return { fd: sys.open(path, sys.O_RDONLY), direct: false };
    throw e;
  }
}

/** Read both superblock copies of one device or file. */
export function readSuperblockCopies(path: string): [Uint8Array, Uint8Array] {
  const { fd } = openForScan(path);
  const map = sys.anonymousMapping(2 * SB_AREA);
  try {
    const out: Uint8Array[] = [];
    SB_COPY_OFFSETS.forEach((pos, i) => {
      let n: number;
      try {
        n = sys.pread(fd, map, i * SB_AREA, SB_AREA, BigInt(pos), path);
      } catch (e) {
        // Past the end of a small device, O_DIRECT reads can fail instead of returning 0.
        if (i > 0 && isMpoolError(e, 'EINVAL')) n = 0;
        else throw e;
      }
      out.push(Uint8Array.from(map.bytes.subarray(i * SB_AREA, i * SB_AREA + n)));
    });
    return [out[0]!, out[1]!];
  } finally {
    map.unmap();
    sys.close(fd, path);
  }
}

/** Classify one device: part of a pool, damaged, not an mpool device, or unreadable. */
export function readDevice(path: string): DeviceRead {
  let copies: [Uint8Array, Uint8Array];
  try {
    copies = readSuperblockCopies(path);
  } catch (e) {
    // Drives without a medium (empty card readers, CD drives) are not errors.
    if (isMpoolError(e) && (e.errno === ENOMEDIUM || e.errno === ENXIO)) return { kind: 'none' };
    if (isMpoolError(e)) return { kind: 'error', error: { path, code: e.code, message: e.message } };
    throw e;
  }
  return classify(path, copies[0], copies[1]);
}

/** Pure part of readDevice(). */
export function classify(path: string, copy0: Uint8Array, copy1: Uint8Array): DeviceRead {
  const r = chooseSuperblock(copy0, copy1);
  if (r.ok) {
    const sb = r.sb;
    if (sb.mclass === null) throw new Error('unreachable: a valid superblock has a media class');
    return {
      kind: 'pool',
      device: {
        path,
        devid: sb.deviceUuid,
        mclass: sb.mclass,
        holdsMdc0: sb.holdsMdc0,
        copyUsed: r.copyUsed,
        zonePages: sb.zonePages,
        sb,
      },
    };
  }
  if (!hasMagic(r)) return { kind: 'none' };
  return { kind: 'problem', problem: problemOf(path, r.copies) };
}

function problemOf(path: string, copies: [SuperblockCopy, SuperblockCopy]): ScanProblem {
  // Prefer the copy that got furthest: it says the most about the device.
  const bad = copies.filter((c): c is Extract<SuperblockCopy, { ok: false }> => !c.ok && c.problem !== 'no-magic');
  const best = bad.find((c) => c.problem === 'unsupported-version') ?? bad.find((c) => c.poolName !== undefined) ?? bad[0];
  const p: ScanProblem = { path, message: best ? best.message : 'damaged superblocks' };
  if (best?.poolName !== undefined) p.poolName = best.poolName;
  if (best?.poolUuid !== undefined) p.poolUuid = best.poolUuid;
  if (best?.version !== undefined) p.version = best.version;
  if (bad.length === 2 && bad.every((c) => c.problem !== 'unsupported-version')) {
    p.message = `both superblock copies are damaged: ${bad.map((c) => c.message).join('; ')}`;
  }
  return p;
}

export interface ActiveRef {
  name: string;
  uuid: string;
}

/**
 * Group devices by pool uuid (pure). A pool is active if an active pool has
 * its uuid: an active pool of the same name and another uuid is another pool
 * (names are unique among active pools only, so an inactive pool may share one).
 */
export function groupPools(reads: readonly DeviceRead[], active: readonly ActiveRef[]): ScanResult {
  const byUuid = new Map<string, { name: string; devices: ScannedDevice[] }>();
  const problems: ScanProblem[] = [];
  const errors: ScanError[] = [];
  for (const r of reads) {
    if (r.kind === 'pool') {
      const g = byUuid.get(r.device.sb.poolUuid) ?? { name: r.device.sb.poolName, devices: [] };
      g.devices.push(r.device);
      byUuid.set(r.device.sb.poolUuid, g);
    } else if (r.kind === 'problem') {
      problems.push(r.problem);
    } else if (r.kind === 'error') {
      errors.push(r.error);
    }
  }
  const pools: ScannedPool[] = [];
  for (const [uuid, g] of byUuid) {
    // The device holding MDC-0 names the pool; then the newest superblock.
    const namer = [...g.devices].sort((a, b) => Number(b.holdsMdc0) - Number(a.holdsMdc0) || b.sb.gen - a.sb.gen)[0]!;
    const devices = [...g.devices]
      .sort((a, b) => Number(b.holdsMdc0) - Number(a.holdsMdc0) || a.path.localeCompare(b.path))
      .map(({ sb: _sb, ...d }) => d);
    const name = namer.sb.poolName;
    pools.push({ name, uuid, devices, active: active.some((a) => a.uuid === uuid) });
  }
  pools.sort((a, b) => a.name.localeCompare(b.name) || a.uuid.localeCompare(b.uuid));
  return { pools, problems, errors };
}

/** Read every given path (default: every block device) and group what is found. */
export function scanDevices(paths: readonly string[] = blockDevicePaths(), active: readonly ActiveRef[] = []): ScanResult {
  return groupPools(paths.map(readDevice), active);
}
