/**
 * Power cuts, simulated with dm-log-writes (tests/crash/runner.ts): the pool
 * runs a workload on a logged device; the log is replayed to every crash
 * point (every FLUSH, FUA and mark) and the pool, activated from each
 * image, must hold what the crash contract promises (README, "Crash-
 * consistency contract"): committed mblocks intact, uncommitted and deleted
 * ones absent, parameters as last acknowledged, every mlog record appended
 * with sync present and intact and nothing from before an acknowledged
 * erase, MDC-0 compaction losing nothing, a clean kernel log.
 *
 * CI runs a bounded sweep; `make crash-full` (MPOOL_CRASH_FULL=1) runs every
 * sequence of three operations and checks every crash point.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrashTest, type CrashRunOptions, type CrashRunResult } from '../../crash/runner.js';
import { randomWorkload, sequencesWorkload } from '../../crash/workload.js';
import { ensureLoaded } from '../helpers.js';

const FULL = process.env.MPOOL_CRASH_FULL === '1';
const SHARE = process.env.MPOOL_SHARE ?? '';
const MiB = 1 << 20;
const results: CrashRunResult[] = [];

const common = {
  dataDisk: '/dev/vda',
  logDisk: '/dev/vdb',
  deviceBytes: 256 * MiB,
  points: (process.env.MPOOL_CRASH_POINTS === 'all' ? 'all' : 'flush') as CrashRunOptions['points'],
  workDir: '/dev/shm/mpool-crash',
  log: (line: string) => {
    console.log(line);
    // vitest holds a test's output until it ends: progress goes to the share as it happens.
    if (SHARE) appendFileSync(join(SHARE, 'crash-progress.log'), `${line}\n`);
  },
};

beforeAll(() => ensureLoaded());

afterAll(() => {
  const figures: Record<string, number | string> = { 'crash:mode': FULL ? 'full' : 'ci' };
  for (const r of results) {
    figures[`crash:${r.name}:pointsChecked`] = r.pointsChecked;
    figures[`crash:${r.name}:crashPoints`] = r.crashPoints;
    figures[`crash:${r.name}:images`] = `${r.imagesChecked}/${r.distinctImages}`;
    figures[`crash:${r.name}:violations`] = r.violations.length;
    figures[`crash:${r.name}:compactions`] = r.mdc0Compactions;
    figures[`crash:${r.name}:inFlightAppliedNotApplied`] = `${r.inFlight.applied}/${r.inFlight.notApplied}`;
    figures[`crash:${r.name}:mlogOps`] = r.mlogOps;
    figures[`crash:${r.name}:mlogInFlightAppliedNotApplied`] = `${r.inFlightMlog.applied}/${r.inFlightMlog.notApplied}`;
    figures[`crash:${r.name}:seconds`] = Number((r.seconds.record + r.seconds.replay).toFixed(1));
  }
  const points = results.reduce((n, r) => n + r.pointsChecked, 0);
  const violations = results.reduce((n, r) => n + r.violations.length, 0);
  figures['crash:pointsChecked'] = points;
  figures['crash:violations'] = violations;
  console.log(`crash summary: ${points} crash points checked, ${violations} violation(s) (${FULL ? 'full sweep' : 'CI sweep'})`);
  if (SHARE) {
    writeFileSync(join(SHARE, 'figures.json'), JSON.stringify(figures, null, 2));
    writeFileSync(join(SHARE, 'crash-summary.json'), JSON.stringify({ full: FULL, points, violations, runs: results }, null, 2));
  }
});

function check(r: CrashRunResult): void {
  results.push(r);
  const lines = r.violations.slice(0, 20).map((v) => `entry ${v.entry} (${v.what}; ${v.acked} ops acked${v.inFlight ? `, in flight: ${v.inFlight}` : ''}): ${v.problem}`);
  expect(lines).toEqual([]);
  expect(r.pointsChecked).toBeGreaterThan(0);
  // The points are not all between operations: some see an operation half done, some whole.
  expect(r.inFlight.applied).toBeGreaterThan(0);
  expect(r.inFlight.notApplied).toBeGreaterThan(0);
}

describe('power cuts (dm-log-writes)', () => {
  it(
    `every sequence of ${FULL ? 3 : 2} operations over commit/nocommit/abort/delete/params/mlog append/mlog erase`,
    async () => {
      const ops = sequencesWorkload(FULL ? 3 : 2);
      // 7 kinds: 52 operations, ~56 distinct images in CI; 45 of them keep the run near its old time.
      const r = await runCrashTest({ ...common, name: 'crashseq', ops, dataOffset: 0, maxImages: FULL ? undefined : 45 });
      check(r);
      expect(r.mlogOps).toBeGreaterThan(0);
    },
    FULL ? 4 * 3600_000 : 900_000,
  );

  it(
    'a seeded random workload with an MDC-0 compaction',
    async () => {
      const ops = randomWorkload(FULL ? 20261 : 7, FULL ? 300 : 100, { burst: 270, maxLive: 60 });
      const r = await runCrashTest({ ...common, name: 'crashrnd', ops, dataOffset: 1024 * MiB, maxImages: FULL ? undefined : 24 });
      check(r);
      expect(r.mdc0Compactions).toBeGreaterThanOrEqual(1);
      expect(r.compactionPointsChecked).toBeGreaterThan(0);
    },
    FULL ? 8 * 3600_000 : 900_000,
  );
});
