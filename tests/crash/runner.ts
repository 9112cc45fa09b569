/**
 * Power-cut testing in the guest (as root, module loaded):
 *
 *  1. record: a dm-linear slice of the data disk, dm-log-writes over it
 *     logging to the log disk; create a pool on it, run a workload and log
 *     a mark "mpool-crash:<n>" after each acknowledged operation;
 *     deactivate, remove the targets.
 *  2. replay: parse the log; for every crash point (FLUSH/FUA/MARK entry,
 *     or every entry), replay the log up to it into a sparse file in tmpfs,
 *     copy that into a fresh file under a loop device, activate the pool
 *     there and compare what it holds with what the contract allows
 *     (workload.ts expectationAt); deactivate, detach, next point.
 *
 * Consecutive crash points with no write between them leave the same image:
 * it is activated once and judged against each of their expectations.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openMlog } from '../../userland/src/lib/mlog-open.js';
import { Pool } from '../../userland/src/lib/pool.js';
import { parseSuperblock, SB_AREA } from '../../userland/src/lib/superblock.js';
import { Pools } from '../../userland/src/lib/pools.js';
import { isMpoolError } from '../../userland/src/sys/errors.js';
import { scanKernelLog } from '../vm/verdict.js';
import { copyExtents, crashPoints, describeEntry, fdSource, fdTarget, parseLog, Replayer, writesBetween, type CrashPointMode, type LogEntry } from './logwrites.js';
import { DmControl } from './dm.js';
import { Mblocks } from './mblocks.js';
import { Performer } from './perform.js';
import {
  describeOp,
  expectationAt,
  INITIAL_PARAMS,
  judge,
  mblockData,
  MLOG_CAPACITY,
  mlogRecord,
  type MlogContents,
  type Op,
  type TrackedParams,
} from './workload.js';

export const MARK_PREFIX = 'mpool-crash:';

export interface CrashRunOptions {
  /** Pool name. */
  name: string;
  ops: readonly Op[];
  /** The disk the pool's slice is cut from, and where the slice starts. */
  dataDisk: string;
  dataOffset: number;
  /** Size of the pool's device, bytes. */
  deviceBytes: number;
  /** The disk dm-log-writes logs to (its start is overwritten). */
  logDisk: string;
  points: CrashPointMode;
  /** At most this many distinct images are activated (sampled evenly, compaction windows always in). */
  maxImages?: number;
  /** Scratch directory in tmpfs. */
  workDir: string;
  log?: (line: string) => void;
}

export interface Violation {
  entry: number;
  what: string;
  acked: number;
  inFlight?: string;
  problem: string;
}

export interface CrashRunResult {
  name: string;
  ops: number;
  logEntries: number;
  crashPoints: number;
  distinctImages: number;
  imagesChecked: number;
  /** Crash points judged (each point of every image activated). */
  pointsChecked: number;
  /** Crash points before the create returned where no pool was found (allowed). */
  pointsWithoutPool: number;
  mdc0Compactions: number;
  compactionPointsChecked: number;
  /** Crash points inside a commit, delete, PARAMS_SET or mlog op: how many saw it applied, how many not. */
  inFlight: { applied: number; notApplied: number };
  /** The same, for the crash points inside an mlog create, append or erase alone. */
  inFlightMlog: { applied: number; notApplied: number };
  /** Operations of the workload on mlogs. */
  mlogOps: number;
  violations: Violation[];
  seconds: { record: number; replay: number };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const shaOf = (op: Op & { kind: 'commit' }): string => sha256(mblockData(op.seed, op.bytes));
const recShaOf = (op: Op & { kind: 'mlappend' }): string => sha256(mlogRecord(op.seed, op.bytes));

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, DM_DISABLE_UDEV: '1' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`.trim());
  return r.stdout.trim();
}

const dmsetup = (...args: string[]): string => sh('dmsetup', args);

function majMin(path: string): string {
  const rdev = statSync(path).rdev;
  return `${Math.floor(rdev / 256) & 0xfff}:${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}`;
}

function dmNode(name: string): { devnum: string; path: string } {
  const [major, minor] = dmsetup('info', '-c', '--noheadings', '--separator', ':', '-o', 'major,minor', name).split(':');
  return { devnum: `${major}:${minor}`, path: `/dev/dm-${minor}` };
}

function removeTarget(name: string): void {
  if (spawnSync('dmsetup', ['info', name], { env: { ...process.env, DM_DISABLE_UDEV: '1' } }).status === 0) dmsetup('remove', '--noudevsync', name);
}

function kmsg(line: string): void {
  writeFileSync('/dev/kmsg', `${line}\n`);
}

const paramsOf = (p: { label: string; readaheadPages: number; mode: number }): TrackedParams => ({
  label: p.label,
  readaheadPages: p.readaheadPages,
  mode: p.mode,
});

interface Recording {
  objids: Map<string, bigint>;
  /** Workload mlog id -> object id. */
  mlogIds: Map<string, bigint>;
  compactionsLogged: number;
  seconds: number;
}

/** Phase 1: run the workload on the pool under dm-log-writes. */
export async function record(o: CrashRunOptions): Promise<Recording> {
  const t0 = Date.now();
  const log = o.log ?? (() => undefined);
  sh('modprobe', ['dm-log-writes']);
  const slice = `${o.name}-data`;
  const lw = `${o.name}-lw`;
  removeTarget(lw);
  removeTarget(slice);
  // A fresh log: no super, so a failed run leaves nothing that parses.
  const fd = openSync(o.logDisk, 'r+');
  writeFileSync(fd, Buffer.alloc(65536));
  fsyncSync(fd);
  closeSync(fd);
  sh('blockdev', ['--flushbufs', o.logDisk]);

  const sectors = o.deviceBytes / 512;
  dmsetup('create', '--noudevsync', slice, '--table', `0 ${sectors} linear ${majMin(o.dataDisk)} ${o.dataOffset / 512}`);
  dmsetup('create', '--noudevsync', lw, '--table', `0 ${sectors} log-writes ${dmNode(slice).devnum} ${majMin(o.logDisk)}`);
  const dev = dmNode(lw).path;
  const dm = new DmControl();
  const mark = (n: number): void => dm.message(lw, `mark ${MARK_PREFIX}${n}`);

  const marker = `mpool-crash: record ${o.name} ${process.hrtime.bigint()}`;
  kmsg(marker);
  const pools = new Pools();
  const objids = new Map<string, bigint>();
  const mlogIds = new Map<string, bigint>();
  try {
    pools.create(o.name, dev, { force: true, mblockSize: 1, mdc0Capacity: 1, mdcnCapacity: 1, mdcCount: 2, ...INITIAL_PARAMS });
    mark(0);
    const pool = Pool.open(o.name, { write: true });
    const run = new Performer(pool);
    try {
      for (const [i, op] of o.ops.entries()) {
        if (i % 25 === 0) await yieldToEventLoop();
        run.perform(op);
        mark(i + 1);
      }
    } finally {
      run.close();
      pool.close();
      for (const [k, v] of run.objids) objids.set(k, v);
      for (const [k, v] of run.mlogIds) mlogIds.set(k, v);
    }
    pools.deactivate(o.name);
  } finally {
    dm.close();
    removeTarget(lw);
    removeTarget(slice);
  }
  const klog = execFileSync('dmesg', { encoding: 'utf8' });
  const since = klog.slice(Math.max(0, klog.lastIndexOf(marker)));
  const compactionsLogged = (since.match(/MDC-0 compacted into log/g) ?? []).length;
  const seconds = (Date.now() - t0) / 1000;
  log(`${o.name}: recorded ${o.ops.length} operations in ${seconds.toFixed(1)}s, ${compactionsLogged} MDC-0 compaction(s)`);
  return { objids, mlogIds, compactionsLogged, seconds };
}

/** What one activated image holds, for the objects the workload named. */
export interface Observation {
  /** workload id -> sha256 of contents, for the ones MB_FIND sees committed. */
  present: Map<string, string>;
  problems: string[];
  params: TrackedParams;
  /** What MB_ALLOC hands out first after the crash. */
  freshId: bigint;
  /** workload id -> generation and records (sha256), for the mlogs MLOG_FIND sees committed. */
  mlogs: Map<string, MlogContents>;
  /** What MLOG_ALLOC hands out first after the crash. */
  freshMlogId: bigint;
}

/** An mlog's generation and records, read through the framing. */
function readMlog(pool: Pool, obj: string, id: bigint, problems: string[]): MlogContents | null {
  let found;
  try {
    found = pool.mlogs.find(id);
  } catch (e) {
    if (!isMpoolError(e, 'ENOENT')) problems.push(`MLOG_FIND ${obj} (0x${id.toString(16)}): ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
  if (!found.committed) {
    problems.push(`mlog ${obj} (0x${id.toString(16)}) is visible but not committed`);
    return null;
  }
  try {
    const log = openMlog(pool, id);
    try {
      const records: string[] = [];
      for (let r = log.read(); r !== null; r = log.read()) records.push(sha256(Buffer.from(r.buffer, r.byteOffset, r.byteLength)));
      if (log.gen !== found.gen) problems.push(`mlog ${obj}: the framing read gen ${log.gen}, MLOG_FIND says ${found.gen}`);
      return { gen: found.gen, records };
    } finally {
      log.close();
    }
  } catch (e) {
    problems.push(`mlog ${obj} (0x${id.toString(16)}, gen ${found.gen}): open or read through the framing: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}

export function observe(name: string, objids: ReadonlyMap<string, bigint>, mlogIds: ReadonlyMap<string, bigint>): Observation {
  const pool = Pool.open(name, { write: true });
  const problems: string[] = [];
  const present = new Map<string, string>();
  try {
    const mb = new Mblocks(pool.fd, pool.path);
    for (const [obj, id] of objids) {
      let found;
      try {
        found = mb.find(id);
      } catch (e) {
        if (isMpoolError(e, 'ENOENT')) continue;
        problems.push(`MB_FIND ${obj} (0x${id.toString(16)}): ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (!found.committed) {
        problems.push(`${obj} (0x${id.toString(16)}) is visible but not committed`);
        continue;
      }
      try {
        present.set(obj, found.writeLen > 0 ? sha256(mb.read(id, 0, found.writeLen)) : sha256(Buffer.alloc(0)));
      } catch (e) {
        problems.push(`MB_READ ${obj} (${found.writeLen} bytes): ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const mlogs = new Map<string, MlogContents>();
    for (const [obj, id] of mlogIds) {
      const c = readMlog(pool, obj, id, problems);
      if (c !== null) mlogs.set(obj, c);
    }
    // An id handed out before the crash is never handed out again (judged per point).
    const freshId = mb.alloc().objid;
    mb.abort(freshId);
    const freshMlogId = pool.mlogs.alloc({ capacity: MLOG_CAPACITY }).id;
    pool.mlogs.abort(freshMlogId);
    return { present, problems, params: paramsOf(pool.params()), freshId, mlogs, freshMlogId };
  } finally {
    pool.close();
  }
}

function superMdc0(base: string, zoneBlocks?: number): { logA: number; logB: number } | null {
  const fd = openSync(base, 'r');
  try {
    const b = Buffer.alloc(SB_AREA);
    readSync(fd, b, 0, SB_AREA, 0);
    const r = parseSuperblock(b);
    if (!r.ok || !r.sb.mdc0) return null;
    const zoneBytes = (zoneBlocks ?? r.sb.zonePages) * 4096;
    return { logA: Number(r.sb.mdc0.a.zone) * zoneBytes, logB: Number(r.sb.mdc0.b.zone) * zoneBytes };
  } finally {
    closeSync(fd);
  }
}

interface Image {
  /** The last crash point with this image; replay goes up to it. */
  entry: number;
  /** Every crash point (entry index) with this image. */
  points: number[];
  compaction: boolean;
}

function ackedAt(entries: readonly LogEntry[]): number[] {
  const acked: number[] = [];
  let n = -1;
  for (const e of entries) {
    if (e.mark?.startsWith(MARK_PREFIX)) n = Number(e.mark.slice(MARK_PREFIX.length));
    acked.push(n);
  }
  return acked;
}

function sample(images: Image[], max: number | undefined): Image[] {
  if (max === undefined || images.length <= max) return images;
  const keep = new Set<number>();
  images.forEach((im, i) => {
    if (im.compaction) for (let j = Math.max(0, i - 2); j <= Math.min(images.length - 1, i + 3); j++) keep.add(j);
  });
  keep.add(0);
  keep.add(images.length - 1);
  const rest = Math.max(0, max - keep.size);
  const step = images.length / Math.max(1, rest);
  for (let k = 0; k < rest; k++) keep.add(Math.min(images.length - 1, Math.floor(k * step + step / 2)));
  return [...keep].sort((a, b) => a - b).map((i) => images[i]!);
}

/** Phase 2: replay to every crash point and judge each image. */
export async function replayAndCheck(o: CrashRunOptions, rec: Recording): Promise<CrashRunResult> {
  const t0 = Date.now();
  const log = o.log ?? (() => undefined);
  mkdirSync(o.workDir, { recursive: true });
  sh('modprobe', ['loop']);
  sh('blockdev', ['--flushbufs', o.logDisk]);
  const logFd = openSync(o.logDisk, 'r');
  const base = join(o.workDir, `${o.name}-base.img`);
  const scratch = join(o.workDir, `${o.name}-scratch.img`);
  const baseFd = openSync(base, 'w+');
  const violations: Violation[] = [];
  try {
    const src = fdSource(logFd, o.logDisk);
    const parsed = parseLog(src);
    const entries = parsed.entries;
    const acked = ackedAt(entries);
    const created = entries.findIndex((e) => e.mark === `${MARK_PREFIX}0`);
    if (created < 0) throw new Error(`the log has no "${MARK_PREFIX}0" mark: ${entries.length} entries`);
    const points = crashPoints(entries, o.points);

    // MDC-0's logs, from the superblock of the final image (for compaction windows).
    const full = new Replayer(src, parsed, fdTarget(baseFd), { deviceBytes: o.deviceBytes });
    full.replayTo(entries.length - 1);
    const mdc0 = superMdc0(base);
    ftruncateFresh(baseFd);
    const isCompaction = (e: LogEntry): boolean =>
      mdc0 !== null && e.index > created && e.length > 0 && (e.offset === mdc0.logA || e.offset === mdc0.logB);

    const images: Image[] = [];
    let prev = -1;
    for (const p of points) {
      const last = images[images.length - 1];
      let compaction = false;
      for (let i = prev + 1; i <= p; i++) if (isCompaction(entries[i]!)) compaction = true;
      if (last && !writesBetween(entries, prev, p)) {
        last.entry = p;
        last.points.push(p);
        last.compaction ||= compaction;
      } else images.push({ entry: p, points: [p], compaction });
      prev = p;
    }
    const chosen = sample(images, o.maxImages);
    log(`${o.name}: ${entries.length} log entries, ${points.length} crash points, ${images.length} distinct images, checking ${chosen.length}`);

    const replay = new Replayer(src, parsed, fdTarget(baseFd), { deviceBytes: o.deviceBytes });
    const pools = new Pools();
    let pointsChecked = 0;
    let pointsWithoutPool = 0;
    let compactionPointsChecked = 0;
    const inFlight = { applied: 0, notApplied: 0 };
    const inFlightMlog = { applied: 0, notApplied: 0 };
    const markers: { marker: string; image: Image }[] = [];
    for (const image of chosen) {
      await yieldToEventLoop();
      replay.replayTo(image.entry);
      copyExtents(base, scratch, o.deviceBytes, replay.touched);
      const args = ['--find', '--show'];
      if (parsed.super.sectorSize !== 512) args.push('--sector-size', String(parsed.super.sectorSize));
      const loop = sh('losetup', [...args, scratch]);
      const marker = `mpool-crash: check ${o.name} entry ${image.entry} ${process.hrtime.bigint()}`;
      markers.push({ marker, image });
      kmsg(marker);
      const before = violations.length;
      let obs: Observation | null = null;
      let activationError: string | null = null;
      try {
        pools.activate(o.name, { devices: [loop] });
        try {
          obs = observe(o.name, rec.objids, rec.mlogIds);
        } finally {
          pools.deactivate(o.name);
        }
      } catch (e) {
        activationError = e instanceof Error ? e.message : String(e);
      } finally {
        sh('losetup', ['-d', loop]);
      }
      if (image.compaction) compactionPointsChecked += image.points.length;
      for (const p of image.points) {
        const exp = expectationAt(o.ops, acked[p]!, shaOf, recShaOf);
        const v = (problem: string): void => {
          const x: Violation = { entry: p, what: describeEntry(entries[p]!), acked: acked[p]!, problem };
          if (exp.inFlight) x.inFlight = describeOp(exp.inFlight);
          violations.push(x);
        };
        pointsChecked++;
        if (obs === null) {
          if (acked[p]! < 0) pointsWithoutPool++;
          else v(`activation failed: ${activationError}`);
          continue;
        }
        for (const problem of obs.problems) v(problem);
        // No id is ever reused, even one never committed (docs/format.md): ids of acknowledged operations.
        for (const op of o.ops.slice(0, Math.max(0, acked[p]!))) {
          if ('obj' in op && rec.objids.get(op.obj) === obs.freshId) v(`MB_ALLOC after the crash reused ${op.obj}'s id 0x${obs.freshId.toString(16)}`);
          if (op.kind === 'mlcreate' && rec.mlogIds.get(op.log) === obs.freshMlogId) v(`MLOG_ALLOC after the crash reused ${op.log}'s id 0x${obs.freshMlogId.toString(16)}`);
        }
        // Before the create returned, a pool that is there must be the empty, initial one.
        for (const problem of judge(exp, obs)) v(problem);
        // Evidence that crash points fall inside operations: in-flight effects seen both ways.
        const f = exp.inFlight;
        if (f && (f.kind === 'commit' || f.kind === 'delete')) {
          const there = obs.present.has(f.obj);
          inFlight[(f.kind === 'commit') === there ? 'applied' : 'notApplied']++;
        } else if (f?.kind === 'params') {
          inFlight[obs.params.label === f.params.label ? 'applied' : 'notApplied']++;
        } else if (f && (f.kind === 'mlcreate' || f.kind === 'mlappend' || f.kind === 'mlerase')) {
          const got = obs.mlogs.get(f.log);
          const acked = exp.mlogs.get(f.log)?.allowed[0];
          const applied =
            f.kind === 'mlcreate' ? got !== undefined : got !== undefined && acked !== undefined && (f.kind === 'mlerase' ? got.gen > acked.gen : got.records.length > acked.records.length);
          inFlight[applied ? 'applied' : 'notApplied']++;
          inFlightMlog[applied ? 'applied' : 'notApplied']++;
        }
      }
      if (violations.length > before) {
        for (const x of violations.slice(before, before + 3)) log(`  VIOLATION at ${x.what} (acked ${x.acked}${x.inFlight ? `, in flight: ${x.inFlight}` : ''}): ${x.problem}`);
      }
    }

    // The kernel log stays clean at every point: attribute any finding to its image.
    const klog = execFileSync('dmesg', { encoding: 'utf8' });
    markers.forEach(({ marker, image }, i) => {
      const start = klog.indexOf(marker);
      if (start < 0) return;
      const next = markers[i + 1];
      const end = next ? klog.indexOf(next.marker) : klog.length;
      for (const f of scanKernelLog(klog.slice(start, end < 0 ? klog.length : end))) {
        violations.push({ entry: image.entry, what: describeEntry(entries[image.entry]!), acked: acked[image.entry]!, problem: `kernel log: ${f.text.split('\n')[0]}` });
      }
    });

    const seconds = (Date.now() - t0) / 1000;
    const result: CrashRunResult = {
      name: o.name,
      ops: o.ops.length,
      logEntries: entries.length,
      crashPoints: points.length,
      distinctImages: images.length,
      imagesChecked: chosen.length,
      pointsChecked,
      pointsWithoutPool,
      mdc0Compactions: rec.compactionsLogged,
      compactionPointsChecked,
      inFlight,
      inFlightMlog,
      mlogOps: o.ops.filter((op) => 'log' in op).length,
      violations,
      seconds: { record: Number(rec.seconds.toFixed(1)), replay: Number(seconds.toFixed(1)) },
    };
    log(
      `${o.name}: ${pointsChecked} crash points checked (${chosen.length} images of ${images.length}), ` +
        `${violations.length} violation(s), ${compactionPointsChecked} point(s) in MDC-0 compactions, ` +
        `in-flight operations seen applied ${inFlight.applied} / not applied ${inFlight.notApplied} times ` +
        `(mlog ops ${inFlightMlog.applied} / ${inFlightMlog.notApplied}), replay+check ${seconds.toFixed(1)}s`,
    );
    return result;
  } finally {
    closeSync(logFd);
    closeSync(baseFd);
    rmSync(base, { force: true });
    rmSync(scratch, { force: true });
  }
}

function ftruncateFresh(fd: number): void {
  // Back to all zeros: the replay proper starts from an empty device.
  ftruncateSync(fd, 0);
}

/**
 * The work here is synchronous (ioctls, spawnSync); vitest's worker answers
 * its RPCs only between tasks of the event loop, and gives up after 60s.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function runCrashTest(o: CrashRunOptions): Promise<CrashRunResult> {
  return replayAndCheck(o, await record(o));
}
