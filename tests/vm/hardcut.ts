/**
 * Hard power cuts, the host's side: boot the guest on the same disk image
 * again and again, let several processes run seeded workloads on one pool,
 * and SIGKILL QEMU at a random moment while they do. The next boot checks
 * the pool against the acknowledgement logs the workers wrote to the host
 * before going on (tests/crash/hardcut.ts has the guest's side and the
 * rules), then starts the next workload. A last boot checks, deactivates
 * and unloads the module with a clean log.
 *
 * What a kill of QEMU models: every write the guest saw complete is in the
 * image (cache=none, so on the host's disk), every write still in flight
 * may be lost or half done, and nothing of the guest's memory survives.
 * The virtual disk's volatile cache, which a real power cut also loses, is
 * what the dm-log-writes suite covers (tests/guest/crash).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ackFile, workloadOf, type CutCheck, type CutPlan } from '../crash/hardcut.js';
import { prng } from '../crash/workload.js';
import { scanKernelLog } from './verdict.js';
import { boot, buildModule, BUILD, guestKernel, REPO, type GuestKernel } from './vm.js';

export interface HardCutOptions {
  kernel: GuestKernel;
  /** Cuts to make (boots: cuts + 1). */
  cuts: number;
  seed: number;
  workers: number;
  opsPerWorker: number;
  /** A cut comes this long after every worker's first acknowledgement, at most (uniform from 300 ms). */
  maxDelayMs: number;
  log?: (line: string) => void;
}

export interface HardCutResult {
  cuts: number;
  /** Cuts that came while at least one worker still had operations to do. */
  cutsDuringWork: number;
  /** Operations acknowledged over every cycle and worker. */
  acked: number;
  /** In-flight operations after the cuts seen applied / not applied. */
  inFlight: { applied: number; notApplied: number };
  mblocksChecked: number;
  mlogsChecked: number;
  violations: string[];
  /** Kernel reports, any boot. */
  reports: string[];
  /** Activation after each cut, ms. */
  activateMs: number[];
  seconds: number;
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function script(ko: string, plan: CutPlan): string {
  const tsx = `node --import tsx ${q('tests/crash/hardcut.ts')}`;
  const lines = [
    'set -u',
    'share=$(pwd)',
    `echo "guest: kernel $(uname -r), hard power cuts, cycle ${plan.cycle}${plan.final ? ' (final check)' : ''}"`,
    `insmod ${q(ko)} || { dmesg > dmesg.txt; exit 90; }`,
    `cd ${q(REPO)}`,
    `${tsx} prepare "$share" > "$share/prepare.log" 2>&1 || { cat "$share/prepare.log"; cd "$share"; dmesg > dmesg.txt; exit 3; }`,
    'cat "$share/prepare.log"',
  ];
  if (plan.final) {
    lines.push('cd "$share"', 'grep "^mpool " /proc/modules > modules.txt', "rmmod mpool || { echo 'guest: rmmod mpool failed'; exit 91; }", 'dmesg > dmesg.txt', 'exit 0');
    return lines.join('\n');
  }
  lines.push('pids=');
  for (let w = 0; w < plan.workers; w++) lines.push(`${tsx} work "$share" ${w} > "$share/work-${w}.log" 2>&1 & pids="$pids $!"`);
  lines.push(
    'echo "hardcut: workers started"',
    'for p in $pids; do wait "$p" || { echo "hardcut: a worker failed"; tail -n 20 "$share"/work-*.log; dmesg | tail -n 40; exit 4; }; done',
    'echo "hardcut: the workload ended before the cut"',
    'sleep 3600',
  );
  return lines.join('\n');
}

const ackLines = (text: string): number => text.split('\n').filter((l) => l.startsWith('D ')).length;

export async function runHardCuts(o: HardCutOptions): Promise<HardCutResult> {
  const t0 = Date.now();
  const log = o.log ?? (() => undefined);
  const ko = buildModule(o.kernel);
  const share = join(BUILD, 'vm', 'runs', `${o.kernel.lane}-hardcut`);
  const disks = { dir: join(BUILD, 'vm', 'disks', `${o.kernel.lane}-hardcut`), count: 1, sizeMiB: 8192 };
  const rand = prng(o.seed ^ 0xc0ffee);
  const acks: Record<string, string> = {};
  let settled: string | undefined;
  const res: HardCutResult = {
    cuts: 0,
    cutsDuringWork: 0,
    acked: 0,
    inFlight: { applied: 0, notApplied: 0 },
    mblocksChecked: 0,
    mlogsChecked: 0,
    violations: [],
    reports: [],
    activateMs: [],
    seconds: 0,
  };

  for (let cycle = 1; cycle <= o.cuts + 1; cycle++) {
    const final = cycle === o.cuts + 1;
    const plan: CutPlan = { pool: 'hardcut', device: '/dev/vda', seed: o.seed, workers: o.workers, opsPerWorker: o.opsPerWorker, cycle, final };
    const files: Record<string, string> = { 'plan.json': JSON.stringify(plan), ...acks };
    if (settled !== undefined) files['settled.json'] = settled;
    const delayMs = 300 + Math.floor(rand() * (o.maxDelayMs - 300));
    let poll: NodeJS.Timeout | undefined;
    let cutAt: number | null = null;
    const r = await boot({
      kernel: o.kernel,
      share,
      script: script(ko, plan),
      disks: { ...disks, reuse: cycle > 1 },
      files,
      timeoutSec: 900,
      ...(final
        ? {}
        : {
            control: (ctl: { kill(): void }): void => {
              // The clock starts once every worker has an operation acknowledged.
              poll = setInterval(() => {
                const going = [...Array(o.workers).keys()].every((w) => {
                  const p = join(share, ackFile(cycle, w));
                  return existsSync(p) && statSync(p).size > 0;
                });
                if (!going) return;
                clearInterval(poll);
                cutAt = Date.now() + delayMs;
                setTimeout(() => ctl.kill(), delayMs);
              }, 100);
            },
          }),
    });
    clearInterval(poll);
    const where = `cycle ${cycle}`;
    for (const f of scanKernelLog(r.console)) res.reports.push(`${where}: ${f.text}`);
    if (final) {
      if (!r.verdict.ok) res.reports.push(`${where} (final): ${r.verdict.reasons.join('; ')}`);
    } else if (!r.killed) {
      throw new Error(`${where}: the guest stopped before the cut (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}):\n${r.console.slice(-4000)}`);
    }

    const checkPath = join(share, 'check.json');
    if (cycle > 1) {
      if (!existsSync(checkPath)) throw new Error(`${where}: no check.json: the check did not finish:\n${r.console.slice(-4000)}`);
      const c = JSON.parse(readFileSync(checkPath, 'utf8')) as CutCheck;
      for (const v of c.violations) res.violations.push(`after cut ${c.cycle}: ${v}`);
      for (const f of c.inFlight) if (f.applied !== null) res.inFlight[f.applied ? 'applied' : 'notApplied']++;
      res.mblocksChecked += c.objectsChecked;
      res.mlogsChecked += c.mlogsChecked;
      res.activateMs.push(c.activateMs);
      settled = readFileSync(join(share, 'settled.json'), 'utf8');
      log(`  check after cut ${c.cycle}: acked ${c.acked.join('/')}, in flight ${c.inFlight.map((f) => `${f.op}=${f.applied ?? '?'}`).join(', ') || 'none'}, ${c.violations.length} violation(s), activation ${c.activateMs} ms`);
    }
    if (final) break;

    // This cycle's acknowledgements go to every later boot.
    let done = 0;
    let unfinished = false;
    for (let w = 0; w < o.workers; w++) {
      const name = ackFile(cycle, w);
      const p = join(share, name);
      const text = existsSync(p) ? readFileSync(p, 'utf8') : '';
      acks[name] = text;
      const n = ackLines(text);
      done += n;
      if (n < workloadOf(plan, cycle, w).length) unfinished = true;
    }
    res.acked += done;
    res.cuts++;
    if (unfinished) res.cutsDuringWork++;
    log(`cut ${cycle}: ${delayMs} ms into the workload${cutAt === null ? ' (never started?)' : ''}, ${done} operations acknowledged${unfinished ? '' : ', the workload had ended'}`);
  }
  res.seconds = Number(((Date.now() - t0) / 1000).toFixed(1));
  return res;
}

/** Summary line and figures of a run, for run-all and the long run alike. */
export function describeHardCuts(r: HardCutResult): string {
  const ms = [...r.activateMs].sort((a, b) => a - b);
  const median = ms.length > 0 ? ms[Math.floor(ms.length / 2)] : 0;
  return (
    `${r.cuts} hard power cuts (${r.cutsDuringWork} during the workload), ${r.acked} operations acknowledged, ` +
    `${r.mblocksChecked} mblock and ${r.mlogsChecked} mlog checks, in flight seen applied ${r.inFlight.applied} / not ${r.inFlight.notApplied}, ` +
    `${r.violations.length} violation(s), ${r.reports.length} kernel report(s), activation after a cut median ${median} ms, ${r.seconds} s`
  );
}

/** make powercut: MPOOL_CUTS cuts (default 50), MPOOL_CUT_SEED, KERNEL. */
async function main(): Promise<number> {
  const r = await runHardCuts({
    kernel: guestKernel(process.env.KERNEL),
    cuts: Number(process.env.MPOOL_CUTS ?? 50),
    seed: Number(process.env.MPOOL_CUT_SEED ?? 1),
    workers: 4,
    opsPerWorker: 2000,
    maxDelayMs: 8000,
    log: (l) => console.log(l),
  });
  for (const v of r.violations.slice(0, 40)) console.log(`VIOLATION ${v}`);
  for (const v of r.reports.slice(0, 40)) console.log(`KERNEL ${v}`);
  console.log(describeHardCuts(r));
  return r.violations.length === 0 && r.reports.length === 0 ? 0 : 1;
}

if (process.argv[1]?.endsWith('vm/hardcut.ts')) process.exitCode = await main();
