/**
 * Hard power cuts, the guest's side (the host's is tests/vm/hardcut.ts).
 *
 * The host boots the guest on the same disk images again and again. In
 * each boot, `prepare` creates the pool (first boot) or activates it and
 * checks it against every earlier boot (later boots); then several `work`
 * processes run seeded workloads on the pool at once, until the host kills
 * QEMU at a random moment. The last boot only checks, then deactivates.
 *
 * The acknowledgement log lives outside the guest: each worker appends to
 * ack-c<cycle>-w<worker>.log in the results share, a 9p mount with
 * cache=none, so a write() has reached the host's file when it returns,
 * and the worker goes on only after it has. Two kinds of line:
 *   A <op> <id>   MB_ALLOC or MLOG_ALLOC of operation <op> returned <id> (hex)
 *   D <op>        operation <op> returned: acknowledged
 * A worker runs its operations one at a time, so after a cut its last
 * D line says how many were acknowledged, and the next one was in flight
 * (tests/crash/workload.ts, expectationAt: what the contract allows).
 *
 * Objects of the cycle that was cut are judged by the contract. Objects of
 * older cycles are no longer touched by anyone: they must hold exactly
 * what the check after their own cut saw ("settled.json").
 *
 *   tsx tests/crash/hardcut.ts prepare <share>   create, or activate and check (plan.json says
 *                                                which; with "final" it deactivates after)
 *   tsx tests/crash/hardcut.ts work <share> <w>  run worker w's workload of this cycle
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from '../../userland/src/lib/pool.js';
import { Pools } from '../../userland/src/lib/pools.js';
import { Performer } from './perform.js';
import { observe } from './runner.js';
import {
  expectationAt,
  INITIAL_PARAMS,
  judge,
  mblockData,
  mlogRecord,
  randomWorkload,
  type MlogContents,
  type Op,
  type TrackedParams,
} from './workload.js';

/** What the host hands every boot (plan.json in the share). */
export interface CutPlan {
  pool: string;
  device: string;
  seed: number;
  workers: number;
  /** Operations each worker's workload holds (a cut usually comes first). */
  opsPerWorker: number;
  /** The cycle this boot runs (1, 2, ...); the cycles before it were cut. */
  cycle: number;
  /** Run no workload: check, deactivate, stop. */
  final: boolean;
}

/** What `prepare` or `final` leaves in check.json. */
export interface CutCheck {
  /** The cycle that was cut and is judged now (0: nothing was, first boot). */
  cycle: number;
  violations: string[];
  /** Operations acknowledged by each worker of that cycle. */
  acked: number[];
  /** The in-flight operation, per worker, and whether the image shows it applied (null: no op in flight, or nothing to tell). */
  inFlight: { worker: number; op: string; applied: boolean | null }[];
  objectsChecked: number;
  mlogsChecked: number;
  activateMs: number;
}

/** What the check after a cut saw, for the cycles no one touches any more. */
interface Settled {
  /** Key "c<cycle>w<worker>:<name>" -> sha256 of contents, or null (absent). */
  mblocks: Record<string, string | null>;
  mlogs: Record<string, { gen: string; records: string[] } | null>;
  params: TrackedParams;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const shaOf = (op: Op & { kind: 'commit' }): string => sha256(mblockData(op.seed, op.bytes));
const recShaOf = (op: Op & { kind: 'mlappend' }): string => sha256(mlogRecord(op.seed, op.bytes));

/** The workload of one worker in one cycle. Only worker 0 changes the pool's parameters, which all share. */
export function workloadOf(plan: Pick<CutPlan, 'seed' | 'opsPerWorker'>, cycle: number, worker: number): Op[] {
  const ops = randomWorkload((plan.seed * 7919 + cycle * 31 + worker) >>> 0, plan.opsPerWorker, { maxLive: 24, maxLogs: 2 });
  return worker === 0 ? ops : ops.filter((op) => op.kind !== 'params');
}

const keyOf = (cycle: number, worker: number, name: string): string => `c${cycle}w${worker}:${name}`;
export const ackFile = (cycle: number, worker: number): string => `ack-c${cycle}-w${worker}.log`;

/** A worker's acknowledgement log, parsed: operations acknowledged, and the id each alloc returned. */
export function parseAcks(text: string): { acked: number; ids: Map<number, bigint> } {
  let acked = 0;
  const ids = new Map<number, bigint>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    if (f[0] === 'A' && f.length === 3) ids.set(Number(f[1]), BigInt(`0x${f[2]}`));
    else if (f[0] === 'D' && f.length === 2) acked = Math.max(acked, Number(f[1]) + 1);
  }
  return { acked, ids };
}

function readPlan(share: string): CutPlan {
  return JSON.parse(readFileSync(join(share, 'plan.json'), 'utf8')) as CutPlan;
}

function readAcks(share: string, cycle: number, worker: number): { acked: number; ids: Map<number, bigint> } {
  const p = join(share, ackFile(cycle, worker));
  return parseAcks(existsSync(p) ? readFileSync(p, 'utf8') : '');
}

/** Every object the cycles before `cycle` named and got an id for: key -> id, mblocks and mlogs apart. */
function knownIds(share: string, plan: CutPlan, upTo: number): { mblocks: Map<string, bigint>; mlogs: Map<string, bigint> } {
  const mblocks = new Map<string, bigint>();
  const mlogs = new Map<string, bigint>();
  for (let c = 1; c <= upTo; c++) {
    for (let w = 0; w < plan.workers; w++) {
      const ops = workloadOf(plan, c, w);
      for (const [i, id] of readAcks(share, c, w).ids) {
        const op = ops[i];
        if (op === undefined) continue;
        if (op.kind === 'mlcreate') mlogs.set(keyOf(c, w, op.log), id);
        else if ('obj' in op) mblocks.set(keyOf(c, w, op.obj), id);
      }
    }
  }
  return { mblocks, mlogs };
}

/** Only the entries of `m` whose key starts with `prefix`, with the prefix taken off. */
function scoped<V>(m: ReadonlyMap<string, V>, prefix: string): Map<string, V> {
  const out = new Map<string, V>();
  for (const [k, v] of m) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}

const sameParams = (a: TrackedParams, b: TrackedParams): boolean => a.label === b.label && a.readaheadPages === b.readaheadPages && a.mode === b.mode;

/** Activate the pool a cut left behind and judge it; returns the check and what it saw. */
function checkAfterCut(share: string, plan: CutPlan): CutCheck {
  const cut = plan.cycle - 1;
  const settledPath = join(share, 'settled.json');
  const settled: Settled = existsSync(settledPath)
    ? (JSON.parse(readFileSync(settledPath, 'utf8')) as Settled)
    : { mblocks: {}, mlogs: {}, params: { ...INITIAL_PARAMS } };
  const violations: string[] = [];
  const t0 = Date.now();
  const pools = new Pools();
  pools.activate(plan.pool, { devices: [plan.device] });
  const activateMs = Date.now() - t0;
  const ids = knownIds(share, plan, cut);
  const obs = observe(plan.pool, ids.mblocks, ids.mlogs);
  for (const p of obs.problems) violations.push(p);

  // No id handed out before the cut comes back after it, acknowledged or not.
  for (const [k, id] of ids.mblocks) if (id === obs.freshId) violations.push(`MB_ALLOC after the cut returned ${k}'s id 0x${id.toString(16)}`);
  for (const [k, id] of ids.mlogs) if (id === obs.freshMlogId) violations.push(`MLOG_ALLOC after the cut returned ${k}'s id 0x${id.toString(16)}`);

  // Older cycles: exactly as settled.
  for (const [k, want] of Object.entries(settled.mblocks)) {
    const got = obs.present.get(k) ?? null;
    if (got !== want) violations.push(`${k}: ${want === null ? 'absent' : `sha256 ${want.slice(0, 12)}`} after its own cut, now ${got === null ? 'absent' : `sha256 ${got.slice(0, 12)}`}`);
  }
  for (const [k, want] of Object.entries(settled.mlogs)) {
    const got = obs.mlogs.get(k);
    const same = got === undefined ? want === null : want !== null && String(got.gen) === want.gen && got.records.join() === want.records.join();
    if (!same) violations.push(`mlog ${k} changed after its own cut: was ${want === null ? 'absent' : `gen ${want.gen}, ${want.records.length} records`}, now ${got === undefined ? 'absent' : `gen ${got.gen}, ${got.records.length} records`}`);
  }

  // The cycle that was cut: the contract, worker by worker.
  const acked: number[] = [];
  const inFlight: CutCheck['inFlight'] = [];
  let params = settled.params;
  const paramsAllowed: TrackedParams[] = [];
  for (let w = 0; w < plan.workers; w++) {
    const ops = workloadOf(plan, cut, w);
    const a = readAcks(share, cut, w);
    acked.push(a.acked);
    const exp = expectationAt(ops, a.acked, shaOf, recShaOf);
    const prefix = keyOf(cut, w, '');
    const present = scoped(obs.present, prefix);
    const mlogs = scoped(obs.mlogs, prefix);
    // Parameters are judged below, across cycles: expectationAt starts each workload from INITIAL_PARAMS.
    for (const p of judge(exp, { present, params: exp.params[0]!, mlogs })) violations.push(`worker ${w}: ${p}`);
    if (w === 0) {
      for (const op of ops.slice(0, a.acked)) if (op.kind === 'params') params = op.params;
      paramsAllowed.push(params);
      const next = ops[a.acked];
      if (next?.kind === 'params') paramsAllowed.push(next.params);
    }
    const f = exp.inFlight;
    if (f === undefined) continue;
    let applied: boolean | null = null;
    if (f.kind === 'commit' && a.ids.has(a.acked)) applied = present.has(f.obj);
    else if (f.kind === 'delete') applied = !present.has(f.obj);
    else if (f.kind === 'params') applied = obs.params.label === f.params.label;
    else if (f.kind === 'mlappend' || f.kind === 'mlerase') {
      const got = mlogs.get(f.log);
      const before = exp.mlogs.get(f.log)?.allowed[0];
      if (got && before) applied = f.kind === 'mlerase' ? got.gen > before.gen : got.records.length > before.records.length;
    }
    inFlight.push({ worker: w, op: `${f.kind} ${'obj' in f ? f.obj : 'log' in f ? f.log : ''}`.trim(), applied });
  }
  if (cut >= 1 && !paramsAllowed.some((p) => sameParams(p, obs.params))) {
    violations.push(`params ${JSON.stringify(obs.params)}, want ${paramsAllowed.map((p) => JSON.stringify(p)).join(' or ')}`);
  }

  // What this image holds is what every later check must find.
  const next: Settled = { mblocks: {}, mlogs: {}, params: obs.params };
  for (const k of ids.mblocks.keys()) next.mblocks[k] = obs.present.get(k) ?? null;
  for (const k of ids.mlogs.keys()) {
    const m: MlogContents | undefined = obs.mlogs.get(k);
    next.mlogs[k] = m === undefined ? null : { gen: String(m.gen), records: [...m.records] };
  }
  writeFileSync(settledPath, JSON.stringify(next));
  return { cycle: cut, violations, acked, inFlight, objectsChecked: ids.mblocks.size, mlogsChecked: ids.mlogs.size, activateMs };
}

function prepare(share: string): void {
  const plan = readPlan(share);
  let check: CutCheck;
  if (plan.cycle === 1) {
    new Pools().create(plan.pool, plan.device, { force: true, mblockSize: 1, mdc0Capacity: 1, mdcnCapacity: 1, mdcCount: 4, ...INITIAL_PARAMS });
    check = { cycle: 0, violations: [], acked: [], inFlight: [], objectsChecked: 0, mlogsChecked: 0, activateMs: 0 };
  } else {
    check = checkAfterCut(share, plan);
  }
  writeFileSync(join(share, 'check.json'), JSON.stringify(check, null, 1));
  console.log(`hardcut: cycle ${check.cycle} checked: ${check.objectsChecked} mblocks, ${check.mlogsChecked} mlogs, ${check.violations.length} violation(s)`);
  if (plan.final) new Pools().deactivate(plan.pool);
}

/** One worker: its workload, one operation at a time, each acknowledged outside the guest. */
function work(share: string, worker: number): void {
  const plan = readPlan(share);
  const ops = workloadOf(plan, plan.cycle, worker);
  const ack = openSync(join(share, ackFile(plan.cycle, worker)), 'a');
  const say = (line: string): void => {
    writeSync(ack, `${line}\n`);
  };
  const pool = Pool.open(plan.pool, { write: true });
  const run = new Performer(pool);
  try {
    for (const [i, op] of ops.entries()) {
      run.perform(op, (id) => say(`A ${i} ${id.toString(16)}`));
      say(`D ${i}`);
    }
  } finally {
    run.close();
    pool.close();
  }
  closeSync(ack);
}

function main(argv: string[]): number {
  const [cmd, share, arg] = argv;
  if (share === undefined) {
    console.error('usage: hardcut.ts prepare|work <share> [worker]');
    return 2;
  }
  if (cmd === 'prepare') prepare(share);
  else if (cmd === 'work') work(share, Number(arg));
  else {
    console.error(`hardcut.ts: no command "${cmd}"`);
    return 2;
  }
  return 0;
}

if (process.argv[1]?.endsWith('crash/hardcut.ts')) process.exitCode = main(process.argv.slice(2));
