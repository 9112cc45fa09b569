/**
 * Persistence, boot 2 of 2: everything boot 1 set is back after a reboot.
 * Then superblock corruption on the same disks: copy 0 damaged is repaired
 * from copy 1; both damaged fails activation cleanly and changes nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolParams } from '../../../../userland/src/lib/params.js';
import { Pool } from '../../../../userland/src/lib/pool.js';
import { Pools } from '../../../../userland/src/lib/pools.js';
import {
  ensureLoaded,
  errorOf,
  kernelFailuresSince,
  kernelLogSince,
  markKernelLog,
  readDevice,
  readState,
  writeDevice,
} from '../../helpers.js';

const NAME = 'persist0';
const DEVICES = ['/dev/vda', '/dev/vdb'];
const pools = new Pools();
let before: { params: PoolParams };

beforeAll(() => {
  ensureLoaded();
  before = readState<{ params: PoolParams }>();
});

afterAll(() => {
  if (pools.list().some((p) => p.name === NAME)) pools.deactivate(NAME);
  pools.destroy(NAME, { force: true, devices: DEVICES });
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('persistence: after the reboot', () => {
  it('scan finds the pool, inactive, on both devices', () => {
    const found = pools.scan().pools.find((p) => p.name === NAME);
    expect(found).toBeDefined();
    expect(found!.uuid).toBe(before.params.uuid);
    expect(found!.active).toBe(false);
    expect(found!.devices.map((d) => d.path).sort()).toEqual(DEVICES);
  });

  it('activates by name with every parameter as it was', () => {
    const marker = markKernelLog('persist-2');
    const params = pools.activate(NAME);
    expect(params).toEqual(before.params);
    const st = statSync(`/dev/mpool/${NAME}`);
    expect({ mode: st.mode & 0o777, uid: st.uid, gid: st.gid }).toEqual({ mode: 0o640, uid: 1234, gid: 4321 });
    const pool = Pool.open(NAME);
    try {
      expect(pool.params()).toEqual(before.params);
      expect(pool.mediaClasses().map((c) => c.mclass)).toEqual(['staging', 'capacity']);
    } finally {
      pool.close();
    }
    expect(kernelFailuresSince(marker)).toEqual([]);
  });

  it('deactivates and activates again by uuid', () => {
    pools.deactivate(NAME);
    expect(pools.activate(before.params.uuid)).toEqual(before.params);
    pools.deactivate(NAME);
  });
});

describe('superblock corruption', () => {
  it('zeroed copy 0: activation uses copy 1 and rewrites copy 0', () => {
    const good = readDevice('/dev/vda', 0, 4096);
    writeDevice('/dev/vda', 0, Buffer.alloc(4096));
    const marker = markKernelLog('sb-zero');
    expect(pools.activate(NAME, { devices: DEVICES }).uuid).toBe(before.params.uuid);
    expect(kernelLogSince(marker)).toContain('vda: superblock copy 0 rewritten from copy 1');
    const repaired = readDevice('/dev/vda', 0, 4096);
    expect(repaired.subarray(0, 56)).toEqual(good.subarray(0, 56)); // magic, name, uuid
    pools.deactivate(NAME);
  });

  it('flipped bytes in copy 0: detected by its checksum, recovered from copy 1', () => {
    const sb = readDevice('/dev/vda', 0, 4096);
    sb[100] = sb[100]! ^ 0xff; // zonetot, inside the crc2 range
    writeDevice('/dev/vda', 0, sb);
    const marker = markKernelLog('sb-flip');
    pools.activate(NAME, { devices: DEVICES });
    expect(kernelLogSince(marker)).toContain('superblock copy 0 is unusable');
    expect(readDevice('/dev/vda', 0, 4096)[100]).toBe(sb[100]! ^ 0xff);
    pools.deactivate(NAME);
  });

  it('both copies bad: activation fails with EBADMSG and writes nothing', () => {
    const area = readDevice('/dev/vda', 0, 1 << 20);
    const damaged = Buffer.from(area);
    damaged[10] = damaged[10]! ^ 0x55; // name, inside the crc1 range of copy 0
    damaged[8192 + 10] = damaged[8192 + 10]! ^ 0x55; // the same in copy 1
    writeDevice('/dev/vda', 0, damaged);
    const marker = markKernelLog('sb-both');

    const e = errorOf(() => pools.activate(NAME, { devices: DEVICES }));
    expect(e.code).toBe('EBADMSG');
    expect(existsSync(`/dev/mpool/${NAME}`)).toBe(false);
    expect(pools.list().map((p) => p.name)).not.toContain(NAME);
    expect(sha(readDevice('/dev/vda', 0, 1 << 20))).toBe(sha(damaged));
    expect(kernelLogSince(marker)).toContain('vda: both superblock copies are corrupt');
    expect(kernelFailuresSince(marker)).toEqual([]);

    // Put the bytes back: the pool is whole again.
    writeDevice('/dev/vda', 0, area);
    expect(pools.activate(NAME, { devices: DEVICES }).uuid).toBe(before.params.uuid);
    pools.deactivate(NAME);
  });
});
