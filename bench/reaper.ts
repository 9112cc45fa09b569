/**
 * The reaper benchmark, inside the guest (after bench/mcache.ts, in the
 * same VM run): the reaper on (reap_mempct at its default) against off
 * (100), rounds interleaved, under the same balloon of locked memory.
 *
 * Workload: HOT maps (1/5 of the data) and COLD maps (4/5), 640 MiB in
 * all, 2.5x the memory the balloon leaves free; reapload (C, 4 threads)
 * reads one byte of a page chosen by Zipf(0.99) over every page, the
 * hottest ranks in the HOT maps, for a fixed time. Each round starts cold
 * (VMA_PURGE of every map), then reads ahead (WILLNEED) free memory + 64
 * MiB of the COLD maps, so that the load starts where memory is full of
 * cold pages and the HOT ones must push them out. Per round: ops/s, p99 and p99.99 latency of a
 * touch (a fault or not), major faults, kswapd scans and allocation
 * stalls (/proc/vmstat), pages the reaper evicted, and HOT vs COLD
 * residency sampled every second.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { McacheMap } from '../userland/src/lib/mcache.js';
import { Pool } from '../userland/src/lib/pool.js';
import { Pools } from '../userland/src/lib/pools.js';

const DEV = '/dev/vda';
const NAME = 'rpbench';
const MiB = 1 << 20;
const MBLOCK = 32 * MiB;
const MAP_MBLOCKS = 2; // 64 MiB maps
const HOT_MAPS = 2;
const COLD_MAPS = 8;
const LEAVE_MIB = 256;
const ROUNDS = 5;
const SECONDS = 30;
const THREADS = 4;
const THETA = 0.99;
const SYS = '/sys/class/mpool';
const MIN_FREE = '/proc/sys/vm/min_free_kbytes';
const REAPLOAD = join(process.env.MPOOL_HELPERS ?? '', 'reapload');

export interface ReaperRound {
  reaper: 'on' | 'off';
  opsPerSec: number;
  p50us: number;
  p99us: number;
  p9999us: number;
  majflt: number;
  pgscanKswapd: number;
  allocstall: number;
  reapPages: number;
  /** [seconds, hot pages, cold pages, reaper urgency, MemFree MiB], every second. */
  residency: [number, number, number, number, number][];
}

export interface ReaperBench {
  rounds: ReaperRound[];
  workingSetMiB: number;
  freeMiB: number;
  summary: Record<string, { on: Stat; off: Stat; ratio: number }>;
}

interface Stat {
  median: number;
  min: number;
  max: number;
}

const stat = (v: number[]): Stat => {
  const s = [...v].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function vmstat(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of readFileSync('/proc/vmstat', 'utf8').split('\n')) {
    const [k, v] = l.split(' ');
    if (k && v) out[k] = Number(v);
  }
  return out;
}

const sum = (v: Record<string, number>, re: RegExp): number => Object.entries(v).reduce((n, [k, x]) => (re.test(k) ? n + x : n), 0);
const poolStat = (name: string): number => Number(readFileSync(`${SYS}/${NAME}/stats/${name}`, 'utf8'));
const ctlStat = (name: string): number => Number(readFileSync(`${SYS}/mpoolctl/stats/${name}`, 'utf8'));
const memFreeMiB = (): number => Number(/^MemFree:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? NaN) / 1024;
const setKnob = (name: string, v: number): void => writeFileSync(`${SYS}/mpoolctl/parameters/${name}`, `${v}\n`);

const RA = 32 * 4096;

/**
 * WILLNEED over the maps in order until LEAVE_MIB + 64 MiB have been read
 * ahead (more than fits), then wait for the reads to settle.
 */
async function fill(maps: McacheMap[]): Promise<void> {
  let left = (LEAVE_MIB + 64) * MiB;
  for (const m of maps) {
    for (let i = 0; i < m.count && left > 0; i++) {
      for (let off = 0; off < m.written(i) && left > 0; off += RA, left -= RA) m.madvise(i, off, RA, 'willneed');
    }
  }
  let prev = -1;
  for (;;) {
    await sleep(500);
    const cur = poolStat('pages_hot') + poolStat('pages_cold');
    if (cur === prev) return;
    prev = cur;
  }
}

/** Start reapload; resolves its first stdout line, and its exit with the last. */
function start(args: string[]): { first: Promise<string>; done: Promise<string>; stdin: NodeJS.WritableStream } {
  const child = spawn(REAPLOAD, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  let resolveFirst: (s: string) => void = () => {};
  const first = new Promise<string>((r) => (resolveFirst = r));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (out.includes('\n')) resolveFirst(out.slice(0, out.indexOf('\n')));
  });
  const done = new Promise<string>((r, j) =>
    child.on('exit', (c) => (c === 0 ? r(out.trim().split('\n').pop() ?? '') : j(new Error(`reapload ${args[0]} exited ${c}`)))),
  );
  return { first, done, stdin: child.stdin };
}

export async function runReaperBench(): Promise<ReaperBench> {
  const pools = new Pools();
  const minFree = readFileSync(MIN_FREE, 'utf8').trim();
  // The guest's watermarks are ~44 MiB: lower them so only the balloon sets the pressure.
  writeFileSync(MIN_FREE, '8192\n');
  const defMempct = Number(readFileSync(`${SYS}/mpoolctl/parameters/reap_mempct`, 'utf8'));
  pools.create(NAME, DEV, { force: true, mblockSize: MBLOCK / MiB });
  const pool = Pool.open(NAME, { write: true });
  const rounds: ReaperRound[] = [];
  try {
    const chunk = new Uint8Array(MBLOCK);
    const regions: { hot: boolean; arg: string; map: McacheMap }[] = [];
    for (let m = 0; m < HOT_MAPS + COLD_MAPS; m++) {
      const ids: bigint[] = [];
      for (let i = 0; i < MAP_MBLOCKS; i++) {
        chunk.fill((m * MAP_MBLOCKS + i) & 0xff);
        const { id } = pool.mblocks.alloc({ mclass: 'capacity' });
        pool.mblocks.write(id, chunk);
        pool.mblocks.commit(id);
        ids.push(id);
      }
      const hot = m < HOT_MAPS;
      // Mapped here too: a map lives as long as a VMA shows it, and reapload comes and goes.
      const map = pool.mcache.map(ids, { advice: hot ? 'hot' : 'cold' });
      regions.push({ hot, map, arg: `0x${map.offset.toString(16)}:${map.length}` });
    }
    const workingSetMiB = ((HOT_MAPS + COLD_MAPS) * MAP_MBLOCKS * MBLOCK) / MiB;

    for (let round = 0; round < ROUNDS * 2; round++) {
      const on = round % 2 === 0;
      setKnob('reap_mempct', on ? defMempct : 100);
      for (const r of regions) r.map.purge();
      writeFileSync('/proc/sys/vm/drop_caches', '3\n');
      const balloon = start(['balloon', String(LEAVE_MIB)]);
      await balloon.first;
      // Memory full of COLD pages from the start (faults under TCG are too
      // slow to fill it within a round); HOT comes in through the load.
      await fill(regions.filter((r) => !r.hot).map((r) => r.map));
      const v0 = vmstat();
      const reap0 = poolStat('reap_pages');
      const t0 = Date.now();
      const load = start(['zipf', pool.path, String(SECONDS), String(THREADS), String(THETA), ...regions.map((r) => r.arg)]);
      const residency: ReaperRound['residency'] = [];
      let finished = false;
      const result = load.done.finally(() => (finished = true));
      while (!finished) {
        residency.push([(Date.now() - t0) / 1000, poolStat('pages_hot'), poolStat('pages_cold'), ctlStat('reap_urgency'), memFreeMiB()]);
        await Promise.race([sleep(1000), result.catch(() => undefined)]);
      }
      const z = JSON.parse(await result) as { opsPerSec: number; p50us: number; p99us: number; p9999us: number; majflt: number };
      const v1 = vmstat();
      balloon.stdin.end();
      await balloon.done;
      rounds.push({
        reaper: on ? 'on' : 'off',
        opsPerSec: z.opsPerSec,
        p50us: z.p50us,
        p99us: z.p99us,
        p9999us: z.p9999us,
        majflt: z.majflt,
        pgscanKswapd: (v1.pgscan_kswapd ?? 0) - (v0.pgscan_kswapd ?? 0),
        allocstall: sum(v1, /^allocstall/) - sum(v0, /^allocstall/),
        reapPages: poolStat('reap_pages') - reap0,
        residency,
      });
      const last = rounds[rounds.length - 1]!;
      console.log(`reaper ${last.reaper}: ${last.opsPerSec.toFixed(0)} ops/s, p99 ${last.p99us} us, p99.99 ${last.p9999us} us, majflt ${last.majflt}, kswapd scans ${last.pgscanKswapd}, stalls ${last.allocstall}, reaped ${last.reapPages}`);
    }
    const of = (k: keyof ReaperRound, on: boolean): number[] => rounds.filter((r) => (r.reaper === 'on') === on).map((r) => r[k] as number);
    const summary: ReaperBench['summary'] = {};
    for (const k of ['opsPerSec', 'p50us', 'p99us', 'p9999us', 'majflt', 'pgscanKswapd', 'allocstall', 'reapPages'] as const) {
      const a = stat(of(k, true));
      const b = stat(of(k, false));
      summary[k] = { on: a, off: b, ratio: b.median ? a.median / b.median : NaN };
    }
    for (const r of regions) r.map.close();
    return { rounds, workingSetMiB, freeMiB: LEAVE_MIB, summary };
  } finally {
    setKnob('reap_mempct', defMempct);
    writeFileSync(MIN_FREE, `${minFree}\n`);
    pool.close();
    pools.destroy(NAME, { force: true });
  }
}
