/**
 * Regression tests for the pool-level bugs a hostile-input run found
 * (issue "Fix first"): each reproducer failed on the module before the fix.
 *
 *   - DRV_ADD of a device the pool already has, under any name: EEXIST;
 *   - a failed MP_DESTROY changes nothing (the pool stays active);
 *   - the name "mpoolctl" is refused up front, with a clean kernel log;
 *   - names that are not names (".", "..", Latin-1 bytes) are EINVAL.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MpMgmtFlags } from '../../../userland/src/gen/constants.js';
import { MpiocMpool } from '../../../userland/src/gen/structs.js';
import { encodeDevicePaths, encodePdProps } from '../../../userland/src/lib/device.js';
import { toMpoolParams } from '../../../userland/src/lib/params.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { IOCTLS } from '../../../userland/src/gen/ioctl.js';
import * as sys from '../../../userland/src/sys/libc.js';
import { viewOf } from '../../../userland/src/uapi/runtime.js';
import { ensureLoaded, errorOf, kernelFailuresSince, kernelLogSince, markKernelLog } from '../helpers.js';
import { cleanup, codeOf, CTL, DISK_A, DISK_B, MB, pdProp, pools, rawMpool } from './fixtures.js';

const FORCE = 1 << MpMgmtFlags.MP_FLAGS_FORCE;
const ALIAS_NODE = '/tmp/vda-alias';
const ALIAS_LINK = '/tmp/vda-link';
let marker: string;

/** MP_CREATE with the pool name given as raw bytes (the codec encodes strings as UTF-8). */
function createWithNameBytes(name: Uint8Array): string {
  const placeholder = 'NAMEPLACEHOLDER';
  const paths = encodeDevicePaths([DISK_A]);
  const props = encodePdProps([pdProp(DISK_A)]);
  const buf = Buffer.alloc(MpiocMpool.size);
  MpiocMpool.encode(viewOf(buf), 0, {
    ...MpiocMpool.zero(),
    mp_params: toMpoolParams(placeholder),
    mp_dpathc: 1,
    mp_dpathssz: paths.length,
    mp_dpaths: sys.addressOf(paths),
    mp_pd_prop: sys.addressOf(props),
  });
  // Find the encoded name by its content, not by a hand-written offset.
  const at = buf.indexOf(Buffer.from(`${placeholder}\0`));
  expect(at).toBeGreaterThanOrEqual(0);
  buf.fill(0, at, at + placeholder.length);
  Buffer.from(name).copy(buf, at);
  const fd = sys.open(CTL, sys.O_RDWR);
  try {
    sys.ioctl(fd, IOCTLS.MPIOC_MP_CREATE.request, buf, 'MPIOC_MP_CREATE', CTL);
    return 'OK';
  } catch (e) {
    return (e as { code: string }).code;
  } finally {
    sys.close(fd);
    void paths.length;
    void props.length;
  }
}

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('pools-hostile');
  cleanup();
  // Two more names for /dev/vda: a symlink, and a second node with its numbers.
  rmSync(ALIAS_NODE, { force: true });
  rmSync(ALIAS_LINK, { force: true });
  const [major, minor] = readFileSync('/sys/block/vda/dev', 'utf8').trim().split(':');
  execFileSync('mknod', [ALIAS_NODE, 'b', major!, minor!]);
  expect(statSync(ALIAS_NODE).rdev).toBe(statSync(DISK_A).rdev);
  symlinkSync(DISK_A, ALIAS_LINK);
});

afterAll(() => {
  cleanup();
  rmSync(ALIAS_NODE, { force: true });
  rmSync(ALIAS_LINK, { force: true });
});

describe('DRV_ADD of a device the pool already has', () => {
  it('is EEXIST by path, by another node with the same numbers, and through a symlink, force or not; the pool activates again', () => {
    pools.create('own', DISK_A, { mblockSize: MB });
    const pool = Pool.open('own', { write: true });
    try {
      for (const path of [DISK_A, ALIAS_NODE, ALIAS_LINK]) {
        for (const force of [true, false]) {
          const e = errorOf(() => pool.addDevice(path, { force, mblockSize: MB }));
          expect(e.code, `${path} force=${force}`).toBe('EEXIST');
          expect(e.message).toContain('already a device of pool "own"');
        }
      }
      const props = pool.props();
      expect(props.devices).toEqual([{ name: 'vda', path: '/dev/vda', mclass: 'capacity' }]);
      expect(props.mediaClasses.map((c) => c.mclass)).toEqual(['capacity']);
      expect(codeOf(() => pool.mblocks.alloc({ mclass: 'staging' }))).toBe('ENODEV');
    } finally {
      pool.close();
    }
    pools.deactivate('own');
    pools.activate('own');
    expect(pools.list().map((p) => p.name)).toEqual(['own']);
    // A real second device still joins.
    pools.add('own', DISK_B, { mblockSize: MB, force: true });
    const again = Pool.open('own');
    expect(again.props().devices.map((d) => d.name).sort()).toEqual(['vda', 'vdb']);
    again.close();
    pools.destroy('own', { force: true });
  });
});

describe('a failed MP_DESTROY changes nothing', () => {
  it('naming another disk, a missing path or half the devices of an active pool is refused, and the pool stays active with its node', () => {
    pools.create('keep', DISK_A, { mblockSize: MB });
    const node = '/dev/mpool/keep';
    for (const flags of [0, FORCE]) {
      expect(codeOf(() => rawMpool('MPIOC_MP_DESTROY', { name: 'keep', paths: [DISK_B], flags })), `flags ${flags}`).toBe('EINVAL');
      expect(codeOf(() => rawMpool('MPIOC_MP_DESTROY', { name: 'keep', paths: ['/dev/nonexistent'], props: [pdProp(DISK_A)], flags }))).toBe('ENOENT');
      expect(codeOf(() => rawMpool('MPIOC_MP_DESTROY', { name: 'keep', paths: [DISK_A, DISK_B], flags }))).toBe('EINVAL');
      expect(pools.list().map((p) => p.name)).toEqual(['keep']);
      expect(existsSync(node)).toBe(true);
    }
    // Open and not forced: EBUSY, still active.
    const pool = Pool.open('keep');
    expect(codeOf(() => rawMpool('MPIOC_MP_DESTROY', { name: 'keep', paths: [DISK_A] }))).toBe('EBUSY');
    pool.close();
    expect(existsSync(node)).toBe(true);
    // Another name for the pool's own device is its device.
    rawMpool('MPIOC_MP_DESTROY', { name: 'keep', paths: [ALIAS_NODE], props: [pdProp(DISK_A)] });
    expect(pools.list()).toEqual([]);
    expect(existsSync(node)).toBe(false);
    expect(pools.scanPools([DISK_A]).pools).toEqual([]);
  });

  it('a staging pool is destroyed only when both its devices are named', () => {
    pools.create('two', DISK_A, { mblockSize: MB, stagingDevice: DISK_B, stagingMblockSize: MB });
    expect(codeOf(() => rawMpool('MPIOC_MP_DESTROY', { name: 'two', paths: [DISK_A] }))).toBe('EINVAL');
    expect(pools.list().map((p) => p.name)).toEqual(['two']);
    rawMpool('MPIOC_MP_DESTROY', { name: 'two', paths: [DISK_B, DISK_A] });
    expect(pools.list()).toEqual([]);
  });
});

describe('names', () => {
  it('"mpoolctl" is EINVAL up front, by the library and by the kernel, and the kernel log stays clean', () => {
    const m = markKernelLog('mpoolctl-name');
    const lib = errorOf(() => pools.create('mpoolctl', DISK_A, { mblockSize: MB }));
    expect(lib.code).toBe('EINVAL');
    expect(lib.message).toContain('reserved for the control device');
    expect(codeOf(() => rawMpool('MPIOC_MP_CREATE', { name: 'mpoolctl', paths: [DISK_A] }))).toBe('EINVAL');
    const log = kernelLogSince(m);
    expect(log).not.toMatch(/duplicate filename|kobject_add_internal failed|Call Trace/);
    expect(kernelFailuresSince(m)).toEqual([]);
    expect(pools.scanPools([DISK_A]).pools).toEqual([]);
    expect(existsSync('/dev/mpoolctl')).toBe(true);
  });

  it('".", "..", a leading "." and Latin-1 bytes are EINVAL in the kernel; nothing is created', () => {
    const bad: Uint8Array[] = [
      Buffer.from('.'),
      Buffer.from('..'),
      Buffer.from('.hidden'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from([0xe9, 0x74, 0xe9]),
      Buffer.from([0x61, 0xc0]),
    ];
    for (const name of bad) {
      expect(createWithNameBytes(name), Buffer.from(name).toString('hex')).toBe('EINVAL');
      expect(pools.scanPools([DISK_A]).pools).toEqual([]);
    }
    expect(pools.list()).toEqual([]);
    // The rule's edges still pass: '_' first, '.' and '-' after it.
    expect(createWithNameBytes(Buffer.from('_a.b-c'))).toBe('OK');
    pools.destroy('_a.b-c', { force: true });
  });
});

describe('kernel log', () => {
  it('has no failure since the suite began', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
