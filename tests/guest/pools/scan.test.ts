/**
 * Finding pools by their superblocks, and what happens when those are
 * damaged: copy-1 fallback (rewritten on activation), both copies bad,
 * an mpool 1.9.0 superblock. Leaves no pool.
 */
import crc32c from 'crc-32/crc32c.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import { writeFileSync } from 'node:fs';
import { measureDevice } from '../../../userland/src/lib/device.js';
import { readDevice } from '../../../userland/src/lib/scan.js';
import { parseSuperblock, SB_AREA, SB_COPY_OFFSETS, SB_RESERVED_BYTES } from '../../../userland/src/lib/superblock.js';
import { ensureLoaded, errorOf, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { cleanup, DISK_A, DISK_B, EBADMSG, EPROTONOSUPPORT, flipByte, MB, pools, readAt, wipe, writeAt } from './fixtures.js';

let marker: string;

beforeAll(() => {
  ensureLoaded();
  cleanup();
  marker = markKernelLog('pools-scan');
});

afterAll(() => cleanup());

describe('the userland superblock reader, against bytes the kernel wrote', () => {
  it('decodes both copies of a new pool to what the kernel reports through its ioctls', () => {
    const params = pools.create('sbread', DISK_A, { mblockSize: MB });
    const bytes = readAt(DISK_A, 0, SB_RESERVED_BYTES);
    const pool = Pool.open('sbread');
    let expected: Record<string, unknown>;
    try {
      const dev = pool.deviceProps('vda');
      const mc = pool.mediaClasses().find((c) => c.mclass === 'capacity')!;
      const m = measureDevice(DISK_A);
      expected = {
        poolName: 'sbread',
        poolUuid: params.uuid,
        version: 2,
        holdsMdc0: true,
        deviceUuid: dev.uuid,
        mclass: 'capacity',
        sectorShift: Math.log2(m.logicalBlockSize),
        zonePages: mc.zonePages,
        zoneCount: Number(dev.total / BigInt(mc.zonePages * 4096)),
        deviceSize: m.sizeBytes,
      };
    } finally {
      pool.close();
    }
    for (const at of SB_COPY_OFFSETS) {
      const r = parseSuperblock(bytes.subarray(at, at + SB_AREA));
      if (!r.ok) throw new Error(`copy at ${at}: ${r.message}`);
      expect(r.sb).toMatchObject(expected);
      expect(r.sb.mdc0!.a.zones).toBeGreaterThan(0);
      expect(r.sb.mdc0!.b.zone).toBe(r.sb.mdc0!.a.zone + BigInt(r.sb.mdc0!.a.zones));
    }
    // Kept for the host test of the same reader (tests/host/fixtures/superblock-kernel.*).
    const share = process.env.MPOOL_SHARE;
    if (share) {
      writeFileSync(`${share}/superblock-kernel.bin`, bytes.subarray(0, SB_COPY_OFFSETS[1] + SB_AREA));
      writeFileSync(`${share}/superblock-kernel.json`, JSON.stringify(expected, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v), 2));
    }
    pools.destroy('sbread', { force: true });
  });
});

describe('scan', () => {
  it('finds nothing on blank disks, and reads every block device by default', () => {
    const r = pools.scan();
    expect(r.pools).toEqual([]);
    expect(r.problems).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.actions).toEqual([]);
  });

  it('finds an active pool as active and an inactive one as inactive', () => {
    const a = pools.create('scan1', DISK_A, { mblockSize: MB });
    const b = pools.create('scan2', DISK_B, { mblockSize: MB });
    pools.deactivate('scan2');
    const r = pools.scan();
    expect(r.pools).toEqual([
      { name: 'scan1', uuid: a.uuid, active: true, devices: [expect.objectContaining({ path: DISK_A, mclass: 'capacity', holdsMdc0: true, copyUsed: 0 })] },
      { name: 'scan2', uuid: b.uuid, active: false, devices: [expect.objectContaining({ path: DISK_B, copyUsed: 0 })] },
    ]);
    expect(r.activeCount).toBe(1);
  });

  it('--activate activates every inactive pool found', () => {
    const r = pools.scan({ activate: true });
    expect(r.actions).toEqual([{ name: 'scan2', uuid: expect.any(String) as string, action: 'activate', ok: true }]);
    expect(r.activeCount).toBe(2);
    expect(pools.list().map((p) => p.name).sort()).toEqual(['scan1', 'scan2']);
  });

  it('--deactivate deactivates every active pool found', () => {
    const r = pools.scan({ deactivate: true });
    expect(r.actions.map((x) => [x.name, x.action, x.ok])).toEqual([
      ['scan1', 'deactivate', true],
      ['scan2', 'deactivate', true],
    ]);
    expect(r.activeCount).toBe(0);
    expect(pools.list()).toEqual([]);
  });

  it('an open pool cannot be deactivated: the action says why, the others go on', () => {
    pools.scan({ activate: true });
    const held = Pool.open('scan1');
    try {
      const r = pools.scan({ deactivate: true });
      expect(r.actions).toEqual([
        expect.objectContaining({ name: 'scan1', ok: false, error: expect.stringContaining('is open') as string }),
        expect.objectContaining({ name: 'scan2', ok: true }),
      ]);
      expect(r.activeCount).toBe(1);
    } finally {
      held.close();
    }
    pools.destroy('scan1');
    pools.destroy('scan2');
  });
});

describe('damaged superblocks', () => {
  it('copy 0 damaged: the scan uses copy 1, activation rewrites copy 0', () => {
    pools.create('dmg1', DISK_A, { mblockSize: MB });
    pools.deactivate('dmg1');
    const before = readAt(DISK_A, 0, 4096);
    flipByte(DISK_A, 100); // after the header: crc2 fails
    const r = pools.scanPools([DISK_A]);
    expect(r.pools).toMatchObject([{ name: 'dmg1', devices: [{ copyUsed: 1 }] }]);
    expect(pools.activate('dmg1').name).toBe('dmg1');
    pools.deactivate('dmg1');
    expect(pools.scanPools([DISK_A]).pools).toMatchObject([{ devices: [{ copyUsed: 0 }] }]);
    // The rewrite is a new generation of the same superblock.
    const after = readAt(DISK_A, 0, 4096);
    expect(after.subarray(0, 56)).toEqual(before.subarray(0, 56));
    expect(after.readUInt32LE(58)).toBeGreaterThan(before.readUInt32LE(58));
  });

  it('a damaged header of copy 0 (crc1) falls back the same way', () => {
    flipByte(DISK_A, 20); // inside the pool name
    expect(pools.scanPools([DISK_A]).pools).toMatchObject([{ name: 'dmg1', devices: [{ copyUsed: 1 }] }]);
    pools.activate('dmg1');
    pools.deactivate('dmg1');
  });

  it('both copies damaged: the scan reports it, activation is EBADMSG, force-destroy erases it', () => {
    flipByte(DISK_A, 100);
    flipByte(DISK_A, 8192 + 100);
    const r = pools.scanPools([DISK_A]);
    expect(r.pools).toEqual([]);
    expect(r.problems).toMatchObject([{ path: DISK_A, poolName: 'dmg1' }]);
    expect(r.problems[0]?.message).toContain('both superblock copies are damaged');
    expect(errorOf(() => pools.activate('dmg1')).code).toBe('ENOENT'); // not found by name any more
    const e = errorOf(() => pools.activate('dmg1', { devices: [DISK_A] }));
    expect(e.errno).toBe(EBADMSG);
    expect(e.message).toContain('both superblock copies');
    // Nothing was written by the failed activation.
    expect(pools.scanPools([DISK_A]).problems).toHaveLength(1);
    expect(errorOf(() => pools.destroy('dmg1', { devices: [DISK_A] })).errno).toBe(EBADMSG);
    pools.destroy('dmg1', { devices: [DISK_A], force: true });
    expect(readDevice(DISK_A)).toEqual({ kind: 'none' });
  });
});

/** An mpool 1.9.0 superblock as libblkid sees one: magic, name, uuid, version 1, crc1. */
function v1Superblock(name: string): Buffer {
  const b = Buffer.alloc(4096);
  b.writeBigUInt64LE(0x7665446c6f6f706dn, 0);
  b.write(name, 8, 'utf8');
  Buffer.from('0123456789abcdef0123456789abcdef', 'hex').copy(b, 40);
  b.writeUInt16LE(1, 56);
  b.writeUInt32LE(3, 58);
  b.writeUInt32LE(crc32c.buf(b.subarray(0, 62)) >>> 0, 62);
  return b;
}

describe('an mpool 1.9.0 device', () => {
  beforeAll(() => {
    writeAt(DISK_B, 0, v1Superblock('legacy'));
    writeAt(DISK_B, 8192, v1Superblock('legacy'));
  });
  afterAll(() => wipe(DISK_B));

  it('is reported by the scan as an unsupported format, not as a pool', () => {
    const r = pools.scanPools([DISK_B]);
    expect(r.pools).toEqual([]);
    expect(r.problems).toEqual([
      {
        path: DISK_B,
        poolName: 'legacy',
        poolUuid: '01234567-89ab-cdef-0123-456789abcdef',
        version: 1,
        message: 'superblock format version 1 (mpool 1.9.0) is not supported',
      },
    ]);
  });

  it('is refused by the kernel: EPROTONOSUPPORT', () => {
    expect(errorOf(() => pools.activate('legacy', { devices: [DISK_B] })).errno).toBe(EPROTONOSUPPORT);
  });

  it('holds a superblock: create needs force, and then overwrites it', () => {
    const e = errorOf(() => pools.create('newer', DISK_B, { mblockSize: MB }));
    expect(e.code).toBe('EBUSY');
    expect(e.message).toContain('version 1 (mpool 1.9.0)');
    pools.create('newer', DISK_B, { mblockSize: MB, force: true });
    expect(pools.scanPools([DISK_B]).pools.map((p) => p.name)).toEqual(['newer']);
    pools.destroy('newer');
  });

  it('left nothing in the kernel log', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
