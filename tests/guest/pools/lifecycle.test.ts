/**
 * Pool lifecycle through the library: create, list, parameters and
 * properties, set, deactivate, activate, rename, destroy; blkid; and ten
 * create/destroy cycles. Runs on /dev/vda and /dev/vdb; leaves no pool.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, errorOf, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { cleanup, DISK_A, DISK_B, diskBytes, GiB, MB, nodeStat, pools, uevent } from './fixtures.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let marker: string;

beforeAll(() => {
  ensureLoaded();
  cleanup();
  marker = markKernelLog('pools-lifecycle');
});

afterAll(() => cleanup());

describe('create', () => {
  it('makes an active pool with the documented defaults and a node under /dev/mpool', () => {
    const p = pools.create('life1', DISK_A, { mblockSize: MB });
    expect(p.name).toBe('life1');
    expect(p.uuid).toMatch(UUID_RE);
    expect(p).toMatchObject({
      uid: 0,
      gid: 6,
      mode: 0o660,
      label: 'raw',
      health: 'optimal',
      readaheadPages: 32,
      spareCapacity: 5,
      spareStaging: 5,
      mblockSize: { staging: 0, capacity: MB },
    });
    expect(p.mdcCount).toBeGreaterThan(0);
    const st = nodeStat('/dev/mpool/life1');
    expect(st).toMatchObject({ isCharDevice: true, mode: 0o660, uid: 0, gid: 6 });
    expect(uevent('life1')).toMatchObject({ DEVNAME: 'mpool/life1', DEVUID: '0', DEVGID: '6', DEVMODE: '0660' });
  });

  it('lists it, with usage and its device', () => {
    const [s] = pools.list().filter((x) => x.name === 'life1');
    expect(s).toBeDefined();
    expect(s!.health).toBe('optimal');
    expect(s!.total).toBeGreaterThan(0n);
    expect(s!.total).toBeLessThanOrEqual(diskBytes());
    expect(s!.available).toBeGreaterThan(0n);
    const props = pools.listProps().find((x) => x.params.name === 'life1');
    expect(props?.devices).toEqual([{ name: 'vda', path: '/dev/vda', mclass: 'capacity' }]);
  });

  it('the node answers PARAMS_GET, PROP_GET, MCLASS_GET and DEVPROPS_GET on a read-only open', () => {
    const pool = Pool.open('life1');
    try {
      const params = pool.params();
      expect(params).toMatchObject({ name: 'life1', label: 'raw', mblockSize: { capacity: MB } });
      const props = pool.props();
      expect(props.params).toEqual(params);
      expect(props.devices).toEqual([{ name: 'vda', path: '/dev/vda', mclass: 'capacity' }]);
      expect(props.driveSpares.capacity).toBe(5);
      expect(props.usage.total).toBeGreaterThan(0n);
      expect(props.usage.usable + props.usage.spare).toBeLessThanOrEqual(props.usage.total);
      expect(props.usage.used).toBeGreaterThan(0n); // superblock zone and MDC logs
      expect(props.mediaClasses).toHaveLength(1);
      const classes = pool.mediaClasses();
      expect(classes).toHaveLength(1);
      expect(classes[0]).toMatchObject({ mclass: 'capacity', zonePages: (MB << 20) / 4096, spare: 5, devtype: 2 });
      const dev = pool.deviceProps('vda');
      expect(dev).toMatchObject({ name: 'vda', mclass: 'capacity', status: 'online' });
      expect(dev.total).toBe(props.usage.total);
      expect(dev.uuid).toMatch(UUID_RE);
      expect(pool.deviceProps('/dev/vda').uuid).toBe(dev.uuid);
      expect(errorOf(() => pool.deviceProps('vdz')).code).toBe('ENOENT');
    } finally {
      pool.close();
    }
  });

  it('with the default 32 MiB zones when none is given (disks of 2 GiB or more)', () => {
    if (diskBytes(DISK_B) < 2n * GiB) return; // 1 GiB cannot hold the default metadata
    const p = pools.create('life32', DISK_B);
    expect(p.mblockSize.capacity).toBe(32);
    pools.destroy('life32');
    expect(existsSync('/dev/mpool/life32')).toBe(false);
  });
});

describe('set', () => {
  it('changes what is given, keeps the rest, and announces the node owner', () => {
    const pool = Pool.open('life1', { write: true });
    try {
      const p = pool.setParams({ label: 'db', mode: 0o640, uid: 1, gid: 2, readaheadPages: 16, spareCapacity: 10 });
      expect(p).toMatchObject({ label: 'db', mode: 0o640, uid: 1, gid: 2, readaheadPages: 16, spareCapacity: 10, spareStaging: 5 });
      expect(pool.setParams({})).toEqual(p);
      expect(uevent('life1')).toMatchObject({ DEVUID: '1', DEVGID: '2', DEVMODE: '0640' });
      const utype = '0fa1c2d3-0000-4000-8000-0123456789ab';
      expect(pool.setParams({ utype }).utype).toBe(utype);
    } finally {
      pool.close();
    }
  });

  it('PROP_SET sets parameters and per-class spares; DRV_SPARES sets a class through its device', () => {
    const pool = Pool.open('life1', { write: true });
    try {
      const props = pool.setProps({ params: { label: 'db2' }, driveSpares: { capacity: 20 } });
      expect(props.params.label).toBe('db2');
      expect(props.params.spareCapacity).toBe(20);
      expect(props.driveSpares.capacity).toBe(20);
      pool.setSpares('capacity', 7);
      expect(pool.params().spareCapacity).toBe(7);
      expect(pool.mediaClasses()[0]?.spare).toBe(7);
      expect(errorOf(() => pool.setSpares('staging', 7)).code).toBe('ENOENT');
    } finally {
      pool.close();
    }
  });

  it('the library refuses out-of-range values before the kernel sees them', () => {
    const pool = Pool.open('life1', { write: true });
    try {
      for (const bad of [{ mode: 0o1000 }, { readaheadPages: 33 }, { spareCapacity: 101 }, { label: '' }]) {
        const e = errorOf(() => pool.setParams(bad));
        expect(e.code, JSON.stringify(bad)).toBe('EINVAL');
        expect(e.op).toBe('set');
      }
    } finally {
      pool.close();
    }
  });
});

describe('deactivate and activate', () => {
  it('deactivate removes the node; a second deactivate is ENXIO', () => {
    expect(pools.deactivate('life1').name).toBe('life1');
    expect(existsSync('/dev/mpool/life1')).toBe(false);
    expect(pools.list().map((p) => p.name)).not.toContain('life1');
    const e = errorOf(() => pools.deactivate('life1'));
    expect(e.code).toBe('ENXIO');
    expect(e.message).toContain('no active pool named "life1"');
  });

  it('activate finds the devices by scanning; parameters set earlier persisted', () => {
    const p = pools.activate('life1');
    expect(p).toMatchObject({ name: 'life1', label: 'db2', mode: 0o640, uid: 1, gid: 2, readaheadPages: 16, spareCapacity: 7 });
    // The node is made with the owner and mode in force.
    expect(nodeStat('/dev/mpool/life1')).toMatchObject({ mode: 0o640, uid: 1, gid: 2 });
  });

  it('activating an active pool is a no-op that answers its parameters', () => {
    const a = pools.activate('life1');
    const b = pools.activate(a.uuid);
    expect(b.uuid).toBe(a.uuid);
    expect(pools.list().filter((p) => p.name === 'life1')).toHaveLength(1);
  });

  it('activate can override uid, gid, mode and label, persistently', () => {
    pools.deactivate('life1');
    const p = pools.activate('life1', { uid: 0, gid: 6, mode: 0o600, label: 'again' });
    expect(p).toMatchObject({ uid: 0, gid: 6, mode: 0o600, label: 'again' });
    pools.deactivate('life1');
    expect(pools.activate('life1')).toMatchObject({ mode: 0o600, label: 'again' });
  });

  it('deactivate and activate by uuid', () => {
    const { uuid } = pools.activate('life1');
    expect(pools.deactivate(uuid)).toEqual({ name: 'life1', uuid });
    expect(pools.activate(uuid.toUpperCase()).name).toBe('life1');
  });
});

describe('rename', () => {
  it('renames an inactive pool; the old name is gone', () => {
    const { uuid } = pools.deactivate('life1');
    expect(pools.rename('life1', 'life2')).toEqual({ oldName: 'life1', name: 'life2', uuid });
    expect(pools.scanPools([DISK_A]).pools).toMatchObject([{ name: 'life2', uuid, active: false }]);
    expect(errorOf(() => pools.activate('life1')).code).toBe('ENOENT');
    expect(pools.activate('life2').uuid).toBe(uuid);
  });

  it('an active pool cannot be renamed: EBUSY', () => {
    const e = errorOf(() => pools.rename('life2', 'life3'));
    expect(e.code).toBe('EBUSY');
    expect(e.message).toContain('deactivate it first');
  });

  it('a name in use by an active pool is EEXIST; rename by uuid works', () => {
    pools.create('taken', DISK_B, { mblockSize: MB });
    const { uuid } = pools.activate('life2');
    pools.deactivate('life2');
    const e = errorOf(() => pools.rename('life2', 'taken'));
    expect(e.code).toBe('EEXIST');
    expect(e.message).toContain('a pool named "taken" already exists');
    expect(pools.rename(uuid, 'life3').name).toBe('life3');
    pools.destroy('taken');
  });
});

describe('destroy', () => {
  it('destroys an inactive pool by uuid: its superblocks are gone', () => {
    const [p] = pools.scanPools([DISK_A]).pools;
    expect(p?.name).toBe('life3');
    expect(pools.destroy(p!.uuid)).toMatchObject({ name: 'life3', devices: [DISK_A] });
    expect(pools.scanPools([DISK_A, DISK_B]).pools).toEqual([]);
  });

  it('destroys an active pool that nobody has open, taking its devices from the kernel', () => {
    pools.create('life4', DISK_A, { mblockSize: MB });
    expect(pools.destroy('life4')).toMatchObject({ name: 'life4', devices: ['/dev/vda'] });
    expect(existsSync('/dev/mpool/life4')).toBe(false);
    expect(pools.list()).toEqual([]);
    expect(pools.scanPools([DISK_A]).pools).toEqual([]);
  });

  it('an unknown pool is ENOENT', () => {
    const e = errorOf(() => pools.destroy('nosuchpool'));
    expect(e.code).toBe('ENOENT');
    expect(e.message).toContain('no pool named "nosuchpool" found');
  });
});

describe('blkid', () => {
  it('identifies the device: TYPE="mpool", the name as LABEL, the pool uuid as UUID', () => {
    const which = spawnSync('which', ['blkid'], { encoding: 'utf8' });
    expect(which.status, 'blkid must be installed in the guest').toBe(0);
    const p = pools.create('blkpool', DISK_A, { mblockSize: MB });
    try {
      const out = execFileSync('blkid', ['-p', DISK_A], { encoding: 'utf8' });
      expect(out).toContain('TYPE="mpool"');
      expect(out).toContain('LABEL="blkpool"');
      expect(out).toContain(`UUID="${p.uuid}"`);
    } finally {
      pools.destroy('blkpool');
    }
    // Destroyed: blkid finds nothing (exit 2).
    expect(spawnSync('blkid', ['-p', DISK_A]).status).not.toBe(0);
  });
});

describe('cycles', () => {
  it('10 create/destroy cycles leave no node, no pool and a clean kernel log', () => {
    const m = markKernelLog('pools-cycles');
    for (let i = 0; i < 10; i++) {
      const name = `cycle${i}`;
      const p = pools.create(name, i % 2 ? DISK_B : DISK_A, { mblockSize: MB, label: `c${i}` });
      expect(p.label).toBe(`c${i}`);
      expect(existsSync(`/dev/mpool/${name}`), `cycle ${i}`).toBe(true);
      if (i % 3 === 0) {
        pools.deactivate(name);
        pools.activate(name);
      }
      pools.destroy(name);
      expect(existsSync(`/dev/mpool/${name}`), `cycle ${i}`).toBe(false);
    }
    expect(pools.list()).toEqual([]);
    expect(pools.scanPools([DISK_A, DISK_B]).pools).toEqual([]);
    expect(kernelFailuresSince(m)).toEqual([]);
  });

  it('left nothing in the kernel log', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
