/** A staging device: DRV_ADD, create with stgdev, and the rollback when the add fails. Leaves no pool. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import * as sys from '../../../userland/src/sys/libc.js';
import { ensureLoaded, errorOf, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { cleanup, DISK_A, DISK_B, ENOTBLK, MB, pools } from './fixtures.js';

let marker: string;

beforeAll(() => {
  ensureLoaded();
  cleanup();
  marker = markKernelLog('pools-staging');
});

afterAll(() => cleanup());

describe('add', () => {
  it('adds a staging device with its own mblock size', () => {
    pools.create('stg1', DISK_A, { mblockSize: MB });
    const p = pools.add('stg1', DISK_B, { mblockSize: 4 });
    expect(p.mblockSize).toEqual({ staging: 4, capacity: MB });
    expect(p.health).toBe('optimal');
  });

  it('the pool reports both devices, both classes, and the staging device\'s props', () => {
    const pool = Pool.open('stg1');
    try {
      const props = pool.props();
      expect(props.devices).toEqual([
        { name: 'vdb', path: '/dev/vdb', mclass: 'staging' },
        { name: 'vda', path: '/dev/vda', mclass: 'capacity' },
      ]);
      expect(props.mediaClasses.map((c) => c.mclass).sort()).toEqual(['capacity', 'staging']);
      const classes = pool.mediaClasses();
      expect(classes).toHaveLength(2);
      expect(classes.find((c) => c.mclass === 'staging')?.zonePages).toBe((4 << 20) / 4096);
      const dev = pool.deviceProps('vdb');
      expect(dev).toMatchObject({ name: 'vdb', mclass: 'staging', status: 'online' });
      expect(dev.total).toBeGreaterThan(0n);
      expect(props.usage.total).toBe(dev.total + pool.deviceProps('vda').total);
    } finally {
      pool.close();
    }
  });

  it('a second staging device is EEXIST', () => {
    const e = errorOf(() => pools.add('stg1', DISK_B));
    expect(e.code).toBe('EEXIST');
    expect(e.message).toContain('already has a staging device');
  });

  it('spares of the staging class: DRV_SPARES, PARAMS_SET and PROP_SET', () => {
    const pool = Pool.open('stg1', { write: true });
    try {
      pool.setSpares('staging', 20);
      expect(pool.params()).toMatchObject({ spareStaging: 20, spareCapacity: 5 });
      expect(pool.setParams({ spareStaging: 30 }).spareStaging).toBe(30);
      expect(pool.setProps({ driveSpares: { staging: 40 } }).driveSpares).toEqual({ staging: 40, capacity: 5 });
    } finally {
      pool.close();
    }
  });

  it('the scan finds both devices, MDC-0 on the capacity one; activation takes both', () => {
    pools.deactivate('stg1');
    const [p] = pools.scanPools([DISK_A, DISK_B]).pools;
    expect(p).toMatchObject({
      name: 'stg1',
      active: false,
      devices: [
        { path: DISK_A, mclass: 'capacity', holdsMdc0: true, copyUsed: 0 },
        { path: DISK_B, mclass: 'staging', holdsMdc0: false, copyUsed: 0 },
      ],
    });
    const a = pools.activate('stg1');
    expect(a).toMatchObject({ health: 'optimal', spareStaging: 40, mblockSize: { staging: 4, capacity: MB } });
  });

  it('destroy erases the superblocks of both devices', () => {
    expect(pools.destroy('stg1').devices.sort()).toEqual([DISK_A, DISK_B]);
    expect(pools.scanPools([DISK_A, DISK_B]).pools).toEqual([]);
  });

  it('a staging device that is not a block device fails in userland, leaving the pool as it was', () => {
    pools.create('stg2', DISK_A, { mblockSize: MB });
    expect(errorOf(() => pools.add('stg2', '/dev/null')).errno).toBe(ENOTBLK);
    const pool = Pool.open('stg2');
    expect(pool.props().devices).toHaveLength(1);
    pool.close();
    pools.destroy('stg2', { force: true });
  });
});

describe('create with a staging device', () => {
  it('creates the pool and adds the device in one call', () => {
    const p = pools.create('stg3', DISK_A, { mblockSize: MB, stagingDevice: DISK_B, stagingMblockSize: 2 });
    expect(p.mblockSize).toEqual({ staging: 2, capacity: MB });
    expect(pools.listProps()[0]?.devices.map((d) => d.mclass)).toEqual(['staging', 'capacity']);
    pools.destroy('stg3');
  });

  it('a missing staging device fails before anything is made', () => {
    expect(errorOf(() => pools.create('stg4', DISK_A, { mblockSize: MB, stagingDevice: '/dev/vdz' })).code).toBe('ENOENT');
    expect(pools.list()).toEqual([]);
    expect(pools.scanPools([DISK_A]).pools).toEqual([]);
  });

  it('when the add fails, the new pool is destroyed again', () => {
    const fd = sys.open(DISK_B, sys.O_RDONLY | sys.O_EXCL);
    try {
      const e = errorOf(() => pools.create('stg5', DISK_A, { mblockSize: MB, stagingDevice: DISK_B }));
      expect(e.code).toBe('EBUSY');
      expect(e.op).toBe('add');
    } finally {
      sys.close(fd);
    }
    expect(pools.list()).toEqual([]);
    expect(pools.scanPools([DISK_A, DISK_B]).pools).toEqual([]);
  });

  it('left nothing in the kernel log', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
