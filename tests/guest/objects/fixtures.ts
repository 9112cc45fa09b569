/**
 * Shared by the objects suite: a pool with small (4 MiB) zones on /dev/vda,
 * made fresh for each file and force-destroyed after it, and data helpers.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Pool } from '../../../userland/src/lib/pool.js';
import { isMpoolError } from '../../../userland/src/sys/errors.js';
import { cleanup, DISK_A, pools } from '../pools/fixtures.js';

export { cleanup, DISK_A, DISK_B, pools, codeOf } from '../pools/fixtures.js';

/** Zone (= mblock) size of the suite's pools, MiB. */
export const ZONE_MIB = 4;
export const ZONE = ZONE_MIB << 20;
export const PAGE = 4096;

/** Create `name` on /dev/vda (after wiping any leftovers) and open it read-write. */
export function freshPool(name: string, opts: { stagingDevice?: string } = {}): Pool {
  cleanup();
  pools.create(name, DISK_A, { mblockSize: ZONE_MIB, ...(opts.stagingDevice ? { stagingDevice: opts.stagingDevice, stagingMblockSize: ZONE_MIB } : {}) });
  return Pool.open(name, { write: true });
}

/** Close (if open) and force-destroy; never throws. */
export function dropPool(pool: Pool | undefined): void {
  try {
    pool?.close();
  } catch {
    /* already closed */
  }
  try {
    cleanup();
  } catch (e) {
    if (!isMpoolError(e)) throw e;
  }
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** `n` random bytes. */
export function random(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

/** The MpoolError code and message of a call expected to fail. */
export function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isMpoolError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  return { code: 'OK', message: '' };
}

/** Close `pool`, deactivate and activate it again on `device`, and open it read-write. */
export function reactivated(pool: Pool, name: string, device: string): Pool {
  pool.close();
  pools.deactivate(name);
  pools.activate(name, { devices: [device] });
  return Pool.open(name, { write: true });
}

/** Run a command; its stdout, or an error with its stderr. */
function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** A device-mapper device `name` with `table` (device-mapper is a module on Debian's kernel). */
export function dmCreate(name: string, table: string): string {
  if (!existsSync('/dev/mapper/control')) sh('modprobe', ['dm-mod']);
  spawnSync('dmsetup', ['remove', '--noudevsync', name]);
  sh('dmsetup', ['create', '--noudevsync', name, '--table', table]);
  const dev = `/dev/mapper/${name}`;
  if (!existsSync(dev)) sh('dmsetup', ['mknodes', name]);
  return dev;
}

/** Switch the table of `name` (suspend, load, resume). */
export function dmSwap(name: string, table: string): void {
  sh('dmsetup', ['suspend', '--noudevsync', name]);
  sh('dmsetup', ['load', name, '--table', table]);
  sh('dmsetup', ['resume', '--noudevsync', name]);
}

export function dmRemove(name: string): void {
  spawnSync('dmsetup', ['remove', '--noudevsync', name]);
}
