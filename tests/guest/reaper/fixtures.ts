/**
 * Shared by the reaper suite: the sysfs counters and knobs, read and
 * written directly (the files are the interface under test), a balloon of
 * locked memory and a page-churning reader (reapload.c, built on the host),
 * and maps populated through WILLNEED.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { McacheMap } from '../../../userland/src/lib/mcache.js';

export { committed, fnv, pattern } from '../mcache/fixtures.js';
export { DISK_A, dropPool, freshPool, PAGE, pools, sha256, ZONE } from '../objects/fixtures.js';

const HELPERS = process.env.MPOOL_HELPERS ?? '';
export const REAPLOAD = join(HELPERS, 'reapload');
export const SYS = '/sys/class/mpool';

export type Temp = 'cold' | 'warm' | 'hot' | 'pinned';
export const TEMPS: readonly Temp[] = ['cold', 'warm', 'hot', 'pinned'];

/** /sys/class/mpool/mpoolctl/stats/<name> (or a pool's), as a number. */
export function ctlStat(name: string): number {
  return Number(readFileSync(`${SYS}/mpoolctl/stats/${name}`, 'utf8').trim());
}

export function poolStat(pool: string, name: string): number {
  return Number(readFileSync(`${SYS}/${pool}/stats/${name}`, 'utf8').trim());
}

export function poolParam(pool: string, name: string): string {
  return readFileSync(`${SYS}/${pool}/parameters/${name}`, 'utf8').trim();
}

export function knob(name: string): number {
  return Number(readFileSync(`${SYS}/mpoolctl/parameters/${name}`, 'utf8').trim());
}

/** Write a knob; the errno name of a refused write, or null. */
export function setKnob(name: string, value: string | number): string | null {
  try {
    writeFileSync(`${SYS}/mpoolctl/parameters/${name}`, `${value}\n`);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

export const DEFAULTS = { reap_mempct: 40, reap_ttl: 10_000_000, reap_debug: 0 } as const;

export function restoreKnobs(): void {
  for (const [k, v] of Object.entries(DEFAULTS)) setKnob(k, v);
}

/** Resident pages of a pool's maps by advice. */
export function residentOf(pool: string): Record<Temp, number> {
  return { cold: poolStat(pool, 'pages_cold'), warm: poolStat(pool, 'pages_warm'), hot: poolStat(pool, 'pages_hot'), pinned: poolStat(pool, 'pages_pinned') };
}

export function meminfoMiB(key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function vmstat(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of readFileSync('/proc/vmstat', 'utf8').split('\n')) {
    const [k, v] = l.split(' ');
    if (k && v) out[k] = Number(v);
  }
  return out;
}

/** Pages the kernel's own reclaim took (kswapd and direct), from two vmstat samples. */
export function kernelReclaimed(a: Record<string, number>, b: Record<string, number>): number {
  const keys = Object.keys(b).filter((k) => /^pgsteal_(kswapd|direct)/.test(k));
  return keys.reduce((n, k) => n + (b[k]! - (a[k] ?? 0)), 0);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A running reapload child: its first stdout line, and stop() (stdin closed) with its last. */
export interface Load {
  child: ChildProcess;
  first: Record<string, unknown>;
  stop(): Promise<Record<string, unknown> | null>;
}

export async function reapload(args: string[]): Promise<Load> {
  const child = spawn(REAPLOAD, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  let wake: (() => void) | null = null;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    wake?.();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (c) => (res(c), wake?.())));
  let done = false;
  void exited.then(() => (done = true));
  while (lines.length === 0 && !done) await new Promise<void>((r) => (wake = r));
  if (lines.length === 0) throw new Error(`reapload ${args[0]} failed: ${stderr}`);
  const first = JSON.parse(lines.shift()!) as Record<string, unknown>;
  return {
    child,
    first,
    async stop() {
      child.stdin!.end();
      await exited;
      const last = lines.pop();
      return last ? (JSON.parse(last) as Record<string, unknown>) : null;
    },
  };
}

/**
 * Read every written page of `map` into the page cache (WILLNEED, a pool
 * ra at a time) and wait until all are resident.
 */
export async function populate(map: McacheMap, raBytes: number): Promise<void> {
  let want = 0;
  for (let i = 0; i < map.count; i++) {
    const w = map.written(i);
    want += w / 4096;
    for (let off = 0; off < w; off += raBytes) map.madvise(i, off, Math.min(raBytes, w - off), 'willneed');
  }
  const t0 = Date.now();
  while (Number(map.residency().resident) < want) {
    if (Date.now() - t0 > 120_000) throw new Error(`populate: ${map.residency().resident} of ${want} pages after 120 s`);
    await sleep(50);
  }
}
