/** Helpers for tests that run inside the guest, as root, with the module built. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { scanKernelLog, type KernelFinding } from '../vm/verdict.js';

export const KO = process.env.MPOOL_KO ?? '';

export function moduleLoaded(): boolean {
  return /^mpool /m.test(readFileSync('/proc/modules', 'utf8'));
}

export function insmod(params: string[] = []): void {
  if (!KO) throw new Error('MPOOL_KO is not set: run guest tests through tests/vm/suite.ts');
  execFileSync('insmod', [KO, ...params], { stdio: 'pipe' });
}

export function rmmod(): void {
  execFileSync('rmmod', ['mpool'], { stdio: 'pipe' });
}

export function ensureLoaded(): void {
  if (!moduleLoaded()) insmod();
}

/** Run a command, returning status and output instead of throwing. */
export function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Write a marker into the kernel log; kernelLogSince() returns what follows it. */
export function markKernelLog(tag: string): string {
  const marker = `mpool-test: ${tag} ${process.hrtime.bigint()}`;
  writeFileSync('/dev/kmsg', `${marker}\n`);
  return marker;
}

export function kernelLogSince(marker: string): string {
  const log = execFileSync('dmesg', { encoding: 'utf8' });
  const i = log.lastIndexOf(marker);
  return i < 0 ? log : log.slice(i + marker.length);
}

export function kernelFailuresSince(marker: string): KernelFinding[] {
  return scanKernelLog(kernelLogSince(marker));
}

export { errorOf } from '../expect-error.js';

export const exists = existsSync;

/** State handed from one boot of a multi-boot suite to the next (see tests/vm/suite.ts). */
export function readState<T>(): T {
  const share = process.env.MPOOL_SHARE ?? '';
  return JSON.parse(readFileSync(`${share}/state.json`, 'utf8'), (_k, v: unknown) =>
    typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
  ) as T;
}

export function writeState(state: unknown): void {
  const share = process.env.MPOOL_SHARE ?? '';
  writeFileSync(
    `${share}/state-out.json`,
    JSON.stringify(state, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v), 2),
  );
}

/** Read or write raw device bytes with O_DIRECT, bypassing every cache. */
export function readDevice(path: string, offset: number, length: number): Buffer {
  if (offset % 4096 || length % 4096) throw new Error('readDevice: 4 KiB alignment');
  return execFileSync('dd', [`if=${path}`, 'bs=4096', `skip=${offset / 4096}`, `count=${length / 4096}`, 'iflag=direct', 'status=none']);
}

export function writeDevice(path: string, offset: number, data: Buffer): void {
  if (offset % 4096 || data.length % 4096) throw new Error('writeDevice: 4 KiB alignment');
  execFileSync('dd', [`of=${path}`, 'bs=4096', `seek=${offset / 4096}`, 'oflag=direct', 'conv=fsync,notrunc', 'status=none'], { input: data });
}

/**
 * Run a command without blocking the event loop. Guest tests spawn with
 * this, not spawnSync: under KASAN a child node process can take tens of
 * seconds, and a blocked vitest worker misses its 60 s RPC deadline.
 */
export function runAsync(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', rejectRun);
    child.on('close', (status) => resolveRun({ status, stdout, stderr }));
  });
}
