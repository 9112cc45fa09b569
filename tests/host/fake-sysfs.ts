/**
 * A fake /sys/class/mpool in a temp dir: plain files with the module's
 * names and formats (one decimal integer and "\n"; mode in octal; label and
 * type as text). The pool directories are symlinks, as in sysfs.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GLOBAL_FILES = [
  'maps',
  'pages_hot',
  'pages_warm',
  'pages_cold',
  'pages_pinned',
  'faults_major',
  'faults_minor',
  'ra_pages',
  'reap_passes',
  'reap_mblocks',
  'reap_pages',
  'reap_urgency',
  'reap_ttl_cur',
  'reap_freepct',
] as const;

export const POOL_FILES = [
  'mb_read_ops',
  'mb_read_bytes',
  'mb_write_ops',
  'mb_write_bytes',
  'ml_read_ops',
  'ml_read_bytes',
  'ml_write_ops',
  'ml_write_bytes',
  'maps',
  'pages_hot',
  'pages_warm',
  'pages_cold',
  'pages_pinned',
  'faults_major',
  'faults_minor',
  'ra_pages',
  'reap_mblocks',
  'reap_pages',
] as const;

export type GlobalFile = (typeof GLOBAL_FILES)[number];
export type PoolFile = (typeof POOL_FILES)[number];

export interface FakePoolParams {
  uid: number;
  gid: number;
  mode: string;
  ra: number;
  label: string;
  vma: number;
  type: string;
}

export const DEFAULT_POOL_PARAMS: FakePoolParams = {
  uid: 0,
  gid: 6,
  mode: '0660',
  ra: 32,
  label: 'demo',
  vma: 30,
  type: 'c02c1dd6-f4a2-4d41-a4ef-3459cad90dbe',
};

export class FakeSysfs {
  readonly root: string;
  readonly #base: string;

  constructor() {
    this.#base = mkdtempSync(join(tmpdir(), 'mpool-sysfs-'));
    this.root = join(this.#base, 'class/mpool');
    mkdirSync(join(this.root, 'mpoolctl/parameters'), { recursive: true });
    mkdirSync(join(this.root, 'mpoolctl/stats'), { recursive: true });
    this.setKnob('reap_mempct', '80');
    this.setKnob('reap_ttl', '10000000');
    this.setKnob('reap_debug', '0');
    for (const f of GLOBAL_FILES) this.setGlobal(f, 0n);
    this.setGlobal('reap_ttl_cur', 10000000n);
    this.setGlobal('reap_freepct', 10000n);
  }

  get ctl(): string {
    return join(this.root, 'mpoolctl');
  }

  setKnob(name: string, value: string): void {
    writeFileSync(join(this.ctl, 'parameters', name), `${value}\n`);
  }

  setGlobal(name: GlobalFile, value: bigint | number): void {
    writeFileSync(join(this.ctl, 'stats', name), `${value}\n`);
  }

  /** An active pool: its directory under devices/virtual, linked from the class directory. */
  addPool(name: string, params: Partial<FakePoolParams> = {}, stats: Partial<Record<PoolFile, bigint | number>> = {}): string {
    const dir = join(this.#base, 'devices/virtual/mpool', name);
    mkdirSync(join(dir, 'parameters'), { recursive: true });
    mkdirSync(join(dir, 'stats'), { recursive: true });
    const p = { ...DEFAULT_POOL_PARAMS, ...params };
    for (const [k, v] of Object.entries(p)) writeFileSync(join(dir, 'parameters', k), `${v}\n`);
    for (const f of POOL_FILES) this.setPool(name, f, stats[f] ?? 0n, dir);
    symlinkSync(dir, join(this.root, name));
    return dir;
  }

  setPool(name: string, file: PoolFile, value: bigint | number, dir = join(this.root, name)): void {
    writeFileSync(join(dir, 'stats', file), `${value}\n`);
  }

  /** Write raw text to a file under the root (malformed values, removals are the tests' own). */
  write(rel: string, text: string): void {
    writeFileSync(join(this.root, rel), text);
  }

  path(rel: string): string {
    return join(this.root, rel);
  }

  cleanup(): void {
    rmSync(this.#base, { recursive: true, force: true });
  }
}
