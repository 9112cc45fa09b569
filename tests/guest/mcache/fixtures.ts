/**
 * Shared by the mcache suite: a pool with 4 MiB zones on /dev/vda (and a
 * staging class on /dev/vdb when asked), mblocks of known content, the C
 * client (mcmap.c, built on the host) and a checksum both sides compute.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MediaClass } from '../../../userland/src/lib/device.js';
import type { Pool } from '../../../userland/src/lib/pool.js';

export { DISK_A, DISK_B, dropPool, failure, freshPool, pools, random, sha256, PAGE, ZONE } from '../objects/fixtures.js';

const HELPERS = process.env.MPOOL_HELPERS ?? '';
export const MCMAP = join(HELPERS, 'mcmap');

/** Module default of xvm_size_max: maps are 1 GiB regions. */
export const REGION = 1n << 30n;

/** FNV-1a 64 of `b`, as mcmap prints it. */
export function fnv(b: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const x of b) {
    h ^= BigInt(x);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** Bytes whose every page is distinct (cheap to make, easy to tell apart). */
export function pattern(pages: number, seed: number): Uint8Array {
  const b = new Uint8Array(pages * 4096);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < b.length; i += 8) dv.setUint32(i, (seed * 0x9e3779b1 + i) >>> 0, true), dv.setUint32(i + 4, seed, true);
  return b;
}

export interface Written {
  id: bigint;
  data: Uint8Array;
}

/** A committed mblock holding `data` (whole pages). */
export function committed(pool: Pool, data: Uint8Array, mclass: MediaClass = 'capacity'): Written {
  const { id } = pool.mblocks.alloc({ mclass });
  if (data.length > 0) pool.mblocks.write(id, data);
  pool.mblocks.commit(id);
  return { id, data };
}

export function hexIds(ids: readonly bigint[]): string {
  return ids.map((i) => i.toString(16)).join(',');
}

/** Ids for mcmap: a comma list, or a file when there are many. */
export function idArg(ids: readonly bigint[]): string {
  if (ids.length <= 64) return hexIds(ids);
  const f = `/tmp/mcmap-ids-${process.pid}-${ids.length}`;
  writeFileSync(f, ids.map((i) => i.toString(16)).join('\n') + '\n');
  return `@${f}`;
}

export interface McmapResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  out: Record<string, unknown>[];
  stderr: string;
}

/**
 * Run mcmap to completion; its stdout is JSON lines. Asynchronous on
 * purpose: a child that runs for seconds under the debug kernel must not
 * block the test worker's event loop (vitest's RPC times out after 60 s).
 */
export async function mcmap(cmd: string, node: string, ids: readonly bigint[], arg?: string): Promise<McmapResult> {
  const child = spawn(MCMAP, [cmd, node, idArg(ids), ...(arg === undefined ? [] : [arg])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const { status, signal } = await new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('close', (c, sg) => res({ status: c, signal: sg })),
  );
  const out = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status, signal, out, stderr };
}

/** Start mcmap in the background; `lines` resolves each stdout line as it comes. */
export function mcmapAsync(cmd: string, node: string, ids: readonly bigint[], arg?: string) {
  const child = spawn(MCMAP, [cmd, node, idArg(ids), ...(arg === undefined ? [] : [arg])], { stdio: ['pipe', 'pipe', 'pipe'] });
  let buf = '';
  const waiters: ((l: string) => void)[] = [];
  const lines: string[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (status, signal) => res({ status, signal })));
  return {
    child,
    exited,
    nextLine(): Promise<string> {
      const l = lines.shift();
      return l !== undefined ? Promise.resolve(l) : new Promise((res) => waiters.push(res));
    },
  };
}

/** Lines of /proc/self/maps naming an mcache map of `pool`. */
export function mapLines(pool: string, pid: number | 'self' = 'self'): string[] {
  return readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`mpool-mcache:${pool}:`));
}

export function dropCaches(): void {
  writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, DM_DISABLE_UDEV: '1' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.status} ${r.stderr}`);
  return r.stdout;
}
