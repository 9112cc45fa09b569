/** Helpers for tests that run inside the guest, as root, with the module built. */
import { execFileSync, spawnSync } from 'node:child_process';
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
