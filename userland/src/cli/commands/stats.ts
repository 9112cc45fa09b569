/**
 * mpool stats [<mpname>]: the module's counters from sysfs, totals and
 * rates per second over an interval (two samples), once or, with --watch,
 * every N seconds. With no name: the control device's counters, the
 * reaper's state and knobs, and a line per active pool; with a name, that
 * pool's parameters and counters.
 */
import { Command } from 'commander';
import {
  GLOBAL_STATS,
  poolRates,
  POOL_STATS,
  statsRates,
  type PoolRates,
  type PoolStats,
  type StatInfo,
  type StatsRates,
  type StatsSnapshot,
} from '../../lib/stats.js';
import { PAGE_SIZE } from '../../lib/aligned.js';
import { poolName } from '../args.js';
import { humanSize, table, toJsonLine } from '../format.js';
import { currentIo, runCommand, UsageError, type Rendered } from '../run.js';
import { sysfsPools } from '../sysfs.js';

interface StatsOptions {
  interval?: string;
  watch?: string;
  count?: string;
}

/** setTimeout's limit is 2^31 - 1 ms; a day is plenty. */
const SECONDS_MAX = 86400;

/** A number of seconds > 0 (fractions allowed), at most a day. */
export function secondsArg(flag: string, v: string): number {
  const takes = `${flag} takes a number of seconds > 0, at most ${SECONDS_MAX}`;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(v)) throw new UsageError(`${flag} ${v}: not a number; ${takes}`);
  const n = Number(v);
  if (!(n > 0) || n > SECONDS_MAX) throw new UsageError(`${flag} ${v}: out of range; ${takes}`);
  return n;
}

function countArg(v: string): number {
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < 1) {
    throw new UsageError(`--count ${v}: --count takes a whole number of refreshes >= 1`);
  }
  return Number(v);
}

/** A rate for a table: 0, one decimal below 100, whole from 100. */
export function rateText(n: number): string {
  return n === 0 ? '0' : n >= 100 ? Math.round(n).toString() : n.toFixed(1);
}

const bytesRate = (n: number | undefined): string => (n === undefined ? '-' : `${humanSize(BigInt(Math.round(n)))}/s`);
const numRate = (n: number | undefined): string => (n === undefined ? '-' : rateText(n));

/** Basis points as a percent: 2500 -> "25.00%". */
function bp(v: bigint): string {
  return `${(Number(v) / 100).toFixed(2)}%`;
}

/** Microseconds as seconds: 2500000 -> "2.5 s". */
function usText(v: bigint): string {
  return `${Number(v) / 1e6} s`;
}

/** One row per file: name, total (exact), rate per second (counters only), unit. */
function statRows<T>(
  specs: { readonly [K in keyof T]: Readonly<StatInfo> },
  values: { [K in keyof T]: bigint },
  rates: Partial<Record<keyof T, number>> | undefined,
): string[][] {
  return (Object.keys(specs) as (keyof T)[]).map((k) => {
    const s = specs[k];
    const rate = s.kind === 'counter' ? numRate(rates?.[k]) : '-';
    return [s.file, values[k].toString(), rate, s.unit];
  });
}

const STAT_HEADERS = ['STAT', 'TOTAL', 'PER SEC', 'UNIT'];

function when(seconds: number, at: number): string {
  return `rates over ${seconds.toFixed(2)} s, at ${new Date(at).toISOString()}`;
}

export interface GlobalReport extends StatsSnapshot {
  rates: StatsRates;
}

export interface PoolReport extends PoolStats {
  seconds: number;
  rates: PoolRates;
}

export function renderGlobal(prev: StatsSnapshot, cur: StatsSnapshot): Rendered {
  const rates = statsRates(prev, cur);
  const g = cur.global;
  const k = g.reaper;
  const st = g.stats;
  const reaper =
    `reaper: reap_mempct ${k.mempct}% (${k.mempct >= 100 ? 'off' : 'on'}), reap_ttl ${usText(k.ttlUs)} (in force ${usText(st.reapTtlCur)}), ` +
    `urgency ${bp(st.reapUrgency)}, free ${bp(st.reapFreepct)}, reap_debug ${k.debug}`;
  const poolRows = cur.pools.map((p) => {
    const r = rates.pools.find((x) => x.name === p.name)?.rates;
    const s = p.stats;
    const resident = (s.pagesHot + s.pagesWarm + s.pagesCold + s.pagesPinned) * BigInt(PAGE_SIZE);
    return [
      p.name,
      s.maps.toString(),
      humanSize(resident),
      bytesRate(r?.mbReadBytes),
      bytesRate(r?.mbWriteBytes),
      bytesRate(r?.mlReadBytes),
      bytesRate(r?.mlWriteBytes),
      numRate(r === undefined ? undefined : r.faultsMajor + r.faultsMinor),
      numRate(r?.reapPages),
    ];
  });
  const pools =
    poolRows.length === 0
      ? 'no active pools'
      : table(['MPOOL', 'MAPS', 'RESIDENT', 'MB READ/S', 'MB WRITE/S', 'ML READ/S', 'ML WRITE/S', 'FAULTS/S', 'REAPED PAGES/S'], poolRows);
  const text = [when(rates.seconds, g.sampledAt), table(STAT_HEADERS, statRows(GLOBAL_STATS, st, rates.global)), reaper, '', pools].join('\n');
  const data: GlobalReport = { ...cur, rates };
  return { data, text };
}

export function renderPool(prev: PoolStats, cur: PoolStats): Rendered {
  const rates = poolRates(prev, cur);
  const seconds = (cur.sampledAt - prev.sampledAt) / 1000;
  const p = cur.params;
  const head =
    `mpool ${cur.name}: label ${JSON.stringify(p.label)}, uid ${p.uid}, gid ${p.gid}, mode ${p.mode.toString(8).padStart(4, '0')}, ` +
    `ra ${p.ra} pages, vma ${p.vma} (${humanSize(1n << BigInt(p.vma))} regions), type ${p.type}`;
  const text = [when(seconds, cur.sampledAt), head, table(STAT_HEADERS, statRows(POOL_STATS, cur.stats, rates))].join('\n');
  const data: PoolReport = { ...cur, seconds, rates };
  return { data, text };
}

export type Sleep = (seconds: number) => Promise<void>;

export const realSleep: Sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

let sleep: Sleep = realSleep;

/** Swap how the command waits between two samples (tests change the counters there); returns the previous one. */
export function setStatsSleep(next: Sleep): Sleep {
  const prev = sleep;
  sleep = next;
  return prev;
}

interface Plan {
  interval: number;
  watch: boolean;
  /** Refreshes with watch; undefined: until interrupted. */
  count: number | undefined;
  json: boolean;
}

/** Two samples `interval` apart, rendered; with watch, printed at each refresh instead. */
async function sampled<S>(sample: () => S, render: (prev: S, cur: S) => Rendered, plan: Plan): Promise<Rendered> {
  let prev = sample();
  if (!plan.watch) {
    await sleep(plan.interval);
    return render(prev, sample());
  }
  const io = currentIo();
  for (let i = 0; plan.count === undefined || i < plan.count; i++) {
    await sleep(plan.interval);
    const cur = sample();
    const r = render(prev, cur);
    io.out(plan.json ? `${toJsonLine(r.data)}\n` : `${i > 0 ? '\n' : ''}${r.text}\n`);
    prev = cur;
  }
  return { data: null, text: '', streamed: true };
}

export function statsCommand(): Command {
  return new Command('stats')
    .description('counters of the module (or of one pool) from sysfs: totals and rates per second')
    .argument('[mpname]', 'one active pool; default: the whole module, the reaper and a line per pool')
    .option('-i, --interval <seconds>', 'seconds between the two samples the rates come from (default 1)')
    .option('-w, --watch <seconds>', 'print again every <seconds>, with the rates over the last interval, until interrupted')
    .option('-c, --count <n>', 'with --watch: stop after <n> refreshes')
    .addHelpText(
      'after',
      `
Counters only grow (the PER SEC column); gauges are levels now (PER SEC "-").
With --json: one object; with --watch --json, one object per line.
MPOOL_SYSFS_ROOT, when set, is read instead of /sys/class/mpool.`,
    )
    .action(async (name: string | undefined, o: StatsOptions, cmd: Command) => {
      await runCommand(cmd, async ({ json, log }) => {
        if (name !== undefined) poolName(name);
        if (o.watch !== undefined && o.interval !== undefined) throw new UsageError('--interval and --watch: choose one (--watch <seconds> is the interval)');
        if (o.count !== undefined && o.watch === undefined) throw new UsageError('--count goes with --watch');
        const watch = o.watch === undefined ? undefined : secondsArg('--watch', o.watch);
        const interval = watch ?? (o.interval === undefined ? 1 : secondsArg('--interval', o.interval));
        const count = o.count === undefined ? undefined : countArg(o.count);
        const pools = sysfsPools(log);
        log(`sampling ${name === undefined ? 'the module' : `pool ${name}`} ${interval} s apart`);
        const plan: Plan = { interval, watch: watch !== undefined, count, json };
        return name === undefined ? sampled(() => pools.stats(), renderGlobal, plan) : sampled(() => pools.poolStats(name), renderPool, plan);
      }, { jsonLines: o.watch !== undefined });
    });
}
