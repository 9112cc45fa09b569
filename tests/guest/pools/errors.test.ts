/**
 * The error paths of pool management: names, devices, geometry, superblocks
 * in the way, wrong node, read-only files, garbage arguments, privileges,
 * exclusive opens and busy pools. Leaves no pool.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MpiocListCmd } from '../../../userland/src/gen/constants.js';
import { IOCTLS } from '../../../userland/src/gen/ioctl.js';
import { MpiocDevprops, MpiocList, MpiocMclass, MpiocMpool, MpiocParams, MpoolMclassXprops } from '../../../userland/src/gen/structs.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import * as sys from '../../../userland/src/sys/libc.js';
import { viewOf } from '../../../userland/src/uapi/runtime.js';
import { ensureLoaded, errorOf, kernelFailuresSince, markKernelLog, runAsync } from '../helpers.js';
import { cleanup, CTL, codeOf, DISK_A, DISK_B, ENOTBLK, MB, pdProp, pools, rawMpool } from './fixtures.js';

let marker: string;

beforeAll(() => {
  ensureLoaded();
  cleanup();
  marker = markKernelLog('pools-errors');
});

afterAll(() => cleanup());

describe('names', () => {
  it('the library refuses bad names before any system call', () => {
    expect(errorOf(() => pools.create('', DISK_A)).code).toBe('EINVAL');
    expect(errorOf(() => pools.create('x'.repeat(32), DISK_A)).code).toBe('ENAMETOOLONG');
    expect(errorOf(() => pools.create('-x', DISK_A)).code).toBe('EINVAL');
    expect(errorOf(() => pools.create('a b', DISK_A)).code).toBe('EINVAL');
    expect(errorOf(() => pools.rename('x', 'bad/name')).code).toBe('EINVAL');
    expect(errorOf(() => Pool.open('../mpoolctl')).code).toBe('EINVAL');
  });

  it('so does the kernel, for callers that skip the library', () => {
    const paths = [DISK_A];
    expect(codeOf(() => rawMpool('MPIOC_MP_CREATE', { name: '', paths }))).toBe('EINVAL');
    expect(codeOf(() => rawMpool('MPIOC_MP_CREATE', { name: 'x'.repeat(32), paths }))).toBe('ENAMETOOLONG');
    expect(codeOf(() => rawMpool('MPIOC_MP_CREATE', { name: 'y'.repeat(63), paths }))).toBe('ENAMETOOLONG');
    expect(codeOf(() => rawMpool('MPIOC_MP_CREATE', { name: '-x', paths }))).toBe('EINVAL');
    expect(codeOf(() => rawMpool('MPIOC_MP_CREATE', { name: 'a b', paths }))).toBe('EINVAL');
    expect(codeOf(() => rawMpool('MPIOC_MP_CREATE', { name: 'a/b', paths }))).toBe('EINVAL');
    expect(codeOf(() => rawMpool('MPIOC_MP_DEACTIVATE', { name: 'x'.repeat(40) }))).toBe('ENAMETOOLONG');
    expect(codeOf(() => rawMpool('MPIOC_MP_RENAME', { name: '', paths }))).toBe('EINVAL');
    expect(pools.list()).toEqual([]);
  });
});

describe('devices', () => {
  it('a missing device is ENOENT, in userland and in the kernel', () => {
    const e = errorOf(() => pools.create('e1', '/dev/vdz'));
    expect(e.code).toBe('ENOENT');
    expect(e.path).toBe('/dev/vdz');
    expect(codeOf(() => rawMpool('MPIOC_MP_CREATE', { name: 'e1', paths: ['/dev/nonexistent'], props: [pdProp(DISK_A)] }))).toBe('ENOENT');
  });

  it('a non-block device is ENOTBLK, in userland and in the kernel', () => {
    expect(errorOf(() => pools.create('e1', '/dev/null')).errno).toBe(ENOTBLK);
    expect(errorOf(() => rawMpool('MPIOC_MP_CREATE', { name: 'e1', paths: ['/dev/null'], props: [pdProp(DISK_A)] })).errno).toBe(ENOTBLK);
  });

  it('a device too small for the metadata is ENOSPC', () => {
    const e = errorOf(() => pools.create('e1', DISK_A, { mblockSize: MB, mdc0Capacity: 0xffff }));
    expect(e.code).toBe('ENOSPC');
    expect(e.message).toContain('too small');
  });

  it('geometry the kernel cannot use is EINVAL', () => {
    const zero = pdProp(DISK_A);
    zero.pdp_zparam.dvb_zonepg = 0;
    const tooMany = pdProp(DISK_A);
    tooMany.pdp_zparam.dvb_zonetot += 1;
    const staging = pdProp(DISK_A, 'staging');
    const fileType = pdProp(DISK_A);
    fileType.pdp_devtype = 3;
    for (const [what, prop] of [['zonepg 0', zero], ['zonetot beyond the device', tooMany], ['staging class', staging], ['file device type', fileType]] as const) {
      expect(codeOf(() => rawMpool('MPIOC_MP_CREATE', { name: 'e1', paths: [DISK_A], props: [prop] })), what).toBe('EINVAL');
    }
    expect(pools.list()).toEqual([]);
  });

  it('the same name twice is EEXIST', () => {
    pools.create('dup', DISK_A, { mblockSize: MB });
    const e = errorOf(() => pools.create('dup', DISK_B, { mblockSize: MB }));
    expect(e.code).toBe('EEXIST');
    expect(e.message).toContain('an active pool named "dup" already exists');
    pools.destroy('dup');
  });

  it('a device holding a superblock is EBUSY, naming the pool on it; force overwrites it', () => {
    const old = pools.create('old', DISK_A, { mblockSize: MB });
    pools.deactivate('old');
    const e = errorOf(() => pools.create('new', DISK_A, { mblockSize: MB }));
    expect(e.code).toBe('EBUSY');
    expect(e.path).toBe(DISK_A);
    expect(e.message).toContain(`already holds pool "old" (${old.uuid}); use -f to overwrite it`);
    const p = pools.create('new', DISK_A, { mblockSize: MB, force: true });
    expect(p.uuid).not.toBe(old.uuid);
    expect(pools.scanPools([DISK_A]).pools.map((x) => x.name)).toEqual(['new']);
    pools.destroy('new');
  });

  it('the device of an active pool is EBUSY even with force', () => {
    pools.create('holder', DISK_A, { mblockSize: MB });
    const e = errorOf(() => pools.create('thief', DISK_A, { mblockSize: MB, force: true }));
    expect(e.code).toBe('EBUSY');
    expect(e.message).toContain('in use');
    pools.destroy('holder');
  });

  it('a device open exclusively by someone else is EBUSY, named as in use', () => {
    const fd = sys.open(DISK_B, sys.O_RDONLY | sys.O_EXCL);
    try {
      const e = errorOf(() => pools.create('e2', DISK_B, { mblockSize: MB }));
      expect(e.code).toBe('EBUSY');
      expect(e.message).toContain(`device ${DISK_B} is in use`);
    } finally {
      sys.close(fd);
    }
    expect(pools.list()).toEqual([]);
  });
});

describe('activate', () => {
  it('devices of another pool are EINVAL', () => {
    pools.create('pa', DISK_A, { mblockSize: MB });
    pools.deactivate('pa');
    const e = errorOf(() => pools.activate('pb', { devices: [DISK_A] }));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain('do not describe pool "pb"');
  });

  it('a device without a superblock is EINVAL', () => {
    expect(codeOf(() => rawMpool('MPIOC_MP_ACTIVATE', { name: 'pa', paths: [DISK_B] }))).toBe('EINVAL');
  });

  it('a pool whose staging device is missing: ENODEV, or faulted with force', () => {
    pools.activate('pa');
    pools.add('pa', DISK_B, { mblockSize: MB });
    pools.deactivate('pa');
    const e = errorOf(() => pools.activate('pa', { devices: [DISK_A] }));
    expect(e.code).toBe('ENODEV');
    expect(e.message).toContain('missing');
    const p = pools.activate('pa', { devices: [DISK_A], force: true });
    expect(p.health).toBe('faulted');
    expect(pools.listProps()[0]?.devices).toEqual([{ name: 'vda', path: '/dev/vda', mclass: 'capacity' }]);
    pools.deactivate('pa');
    // Both devices found by the scan: healthy again.
    expect(pools.activate('pa').health).toBe('optimal');
    pools.destroy('pa');
    expect(pools.scanPools([DISK_A, DISK_B]).pools).toEqual([]);
  });
});

describe('nodes and files', () => {
  let name: string;
  beforeAll(() => {
    name = pools.create('nodes', DISK_A, { mblockSize: MB }).name;
  });
  afterAll(() => {
    pools.destroy(name, { force: true });
  });

  it('pool commands on the control node and control commands on a pool node are EINVAL', () => {
    const ctl = sys.open(CTL, sys.O_RDWR);
    try {
      for (const cmd of ['MPIOC_PARAMS_GET', 'MPIOC_PARAMS_SET', 'MPIOC_DRV_ADD', 'MPIOC_DEVPROPS_GET', 'MPIOC_MP_MCLASS_GET', 'MPIOC_PROP_SET'] as const) {
        expect(codeOf(() => sys.ioctl(ctl, IOCTLS[cmd].request, Buffer.alloc(IOCTLS[cmd].size), cmd)), cmd).toBe('EINVAL');
      }
    } finally {
      sys.close(ctl);
    }
    const pool = Pool.open(name, { write: true });
    try {
      for (const cmd of ['MPIOC_MP_CREATE', 'MPIOC_MP_ACTIVATE', 'MPIOC_MP_DEACTIVATE', 'MPIOC_MP_DESTROY', 'MPIOC_MP_RENAME'] as const) {
        expect(codeOf(() => sys.ioctl(pool.fd, IOCTLS[cmd].request, Buffer.alloc(MpiocMpool.size), cmd)), cmd).toBe('EINVAL');
      }
    } finally {
      pool.close();
    }
  });

  it('PROP_GET: the list mode on the control node only; ls_listc 0 is EINVAL', () => {
    const arg = (cmd: number, listc: number, listv: Buffer): Buffer => {
      const b = Buffer.alloc(MpiocList.size);
      MpiocList.encode(viewOf(b), 0, { ls_cmd: cmd, ls_listc: listc, ls_listv: sys.addressOf(listv) });
      return b;
    };
    const room = Buffer.alloc(4096);
    const ctl = sys.open(CTL, sys.O_RDONLY);
    const pool = Pool.open(name);
    try {
      expect(codeOf(() => sys.ioctl(ctl, IOCTLS.MPIOC_PROP_GET.request, arg(MpiocListCmd.MPIOC_LIST_CMD_PROP_GET, 1, room), 'PROP_GET'))).toBe('EINVAL');
      expect(codeOf(() => sys.ioctl(pool.fd, IOCTLS.MPIOC_PROP_GET.request, arg(MpiocListCmd.MPIOC_LIST_CMD_PROP_GET, 0, room), 'PROP_GET'))).toBe('EINVAL');
      expect(codeOf(() => sys.ioctl(ctl, IOCTLS.MPIOC_PROP_GET.request, arg(MpiocListCmd.MPIOC_LIST_CMD_PROP_LIST, 0, room), 'PROP_GET'))).toBe('EINVAL');
      expect(codeOf(() => sys.ioctl(pool.fd, IOCTLS.MPIOC_PROP_GET.request, arg(0, 1, room), 'PROP_GET'))).toBe('EINVAL');
    } finally {
      pool.close();
      sys.close(ctl);
    }
  });

  it('a read-only pool file may read but not change: EINVAL', () => {
    const pool = Pool.open(name);
    try {
      expect(pool.params().name).toBe(name);
      expect(pool.props().params.name).toBe(name);
      expect(pool.mediaClasses()).toHaveLength(1);
      expect(errorOf(() => pool.setParams({ label: 'x' })).code).toBe('EINVAL');
      expect(errorOf(() => pool.setProps({ params: { label: 'x' } })).code).toBe('EINVAL');
      expect(errorOf(() => pool.setSpares('capacity', 1)).code).toBe('EINVAL');
      expect(errorOf(() => pool.addDevice(DISK_B)).code).toBe('EINVAL');
    } finally {
      pool.close();
    }
    const ctl = sys.open(CTL, sys.O_RDONLY);
    try {
      expect(codeOf(() => sys.ioctl(ctl, IOCTLS.MPIOC_MP_CREATE.request, Buffer.alloc(MpiocMpool.size), 'MP_CREATE'))).toBe('EINVAL');
    } finally {
      sys.close(ctl);
    }
  });

  it('the kernel checks PARAMS_SET ranges itself', () => {
    const pool = Pool.open(name, { write: true });
    try {
      const set = (patch: Partial<ReturnType<typeof MpiocParams.zero>['mps_params']>): string => {
        const b = Buffer.alloc(MpiocParams.size);
        const raw = MpiocParams.zero();
        Object.assign(raw.mps_params, {
          mp_name: name,
          mp_uid: 0xffffffff,
          mp_gid: 0xffffffff,
          mp_mode: 0xffffffff,
          mp_ra_pages_max: 0xffffffff,
          mp_spare_cap: 0xff,
          mp_spare_stg: 0xff,
          ...patch,
        });
        MpiocParams.encode(viewOf(b), 0, raw);
        return codeOf(() => sys.ioctl(pool.fd, IOCTLS.MPIOC_PARAMS_SET.request, b, 'PARAMS_SET'));
      };
      expect(set({})).toBe('OK');
      expect(set({ mp_mode: 0o1000 })).toBe('EINVAL');
      expect(set({ mp_ra_pages_max: 33 })).toBe('EINVAL');
      expect(set({ mp_spare_cap: 101 })).toBe('EINVAL');
      expect(set({ mp_spare_stg: 200 })).toBe('EINVAL');
      expect(pool.params()).toMatchObject({ spareCapacity: 5, spareStaging: 5, readaheadPages: 32 });
    } finally {
      pool.close();
    }
  });

  it('O_EXCL and O_NONBLOCK: EBUSY, or EAGAIN when non-blocking', () => {
    const a = Pool.open(name);
    try {
      expect(errorOf(() => Pool.open(name, { exclusive: true })).code).toBe('EBUSY');
      expect(errorOf(() => Pool.open(name, { exclusive: true, nonblock: true })).code).toBe('EAGAIN');
    } finally {
      a.close();
    }
    const x = Pool.open(name, { exclusive: true });
    try {
      expect(errorOf(() => Pool.open(name)).code).toBe('EBUSY');
      expect(errorOf(() => Pool.open(name, { nonblock: true })).code).toBe('EAGAIN');
      expect(errorOf(() => Pool.open(name, { exclusive: true, write: true })).code).toBe('EBUSY');
      expect(x.params().name).toBe(name);
    } finally {
      x.close();
    }
    Pool.open(name, { exclusive: true }).close();
    const b = Pool.open(name, { nonblock: true });
    b.close();
  });

  it('an open pool cannot be deactivated or destroyed without force', () => {
    const pool = Pool.open(name);
    try {
      const d = errorOf(() => pools.deactivate(name));
      expect(d.code).toBe('EBUSY');
      expect(d.message).toContain('is open');
      const e = errorOf(() => pools.destroy(name));
      expect(e.code).toBe('EBUSY');
      expect(e.message).toContain('use -f to tear it down anyway');
      expect(pool.params().name).toBe(name);
    } finally {
      pool.close();
    }
  });
});

describe('forced destroy of a busy pool', () => {
  it('tears it down; files still open get ENODEV', () => {
    pools.create('busy', DISK_A, { mblockSize: MB });
    const pool = Pool.open('busy', { write: true });
    try {
      expect(pools.destroy('busy', { force: true }).name).toBe('busy');
      expect(pools.list()).toEqual([]);
      expect(errorOf(() => pool.params()).code).toBe('ENODEV');
      expect(errorOf(() => pool.setParams({ label: 'x' })).code).toBe('ENODEV');
    } finally {
      pool.close();
    }
    expect(pools.scanPools([DISK_A]).pools).toEqual([]);
  });
});

describe('truncated and garbage arguments', () => {
  it('a size that does not match the command is another command: ENOTTY', () => {
    const ctl = sys.open(CTL, sys.O_RDWR);
    try {
      const req = (info: { request: number; size: number }, size: number): number =>
        ((info.request & ~(0x3fff << 16)) | (size << 16)) >>> 0;
      for (const size of [0, 8, 287, 289]) {
        const r = req(IOCTLS.MPIOC_MP_CREATE, size);
        expect(codeOf(() => sys.ioctl(ctl, r, Buffer.alloc(Math.max(size, 8)), `MP_CREATE size ${size}`)), `size ${size}`).toBe('ENOTTY');
      }
    } finally {
      sys.close(ctl);
    }
  });

  it('bad device lists are refused without side effects', () => {
    const base = { name: 'g1', paths: [DISK_A] };
    // The size stops before the NUL: the kernel must not read past it ("/dev/vd").
    const noNul = Buffer.from(`${DISK_A}\0`).subarray(0, DISK_A.length - 1);
    const unmapped = sys.anonymousMapping(sys.pageSize);
    sys.mprotect(unmapped, 0, sys.pageSize, sys.PROT_NONE);
    try {
      const cases: [string, Parameters<typeof rawMpool>[1], string[]][] = [
        // The brief says EINVAL; the kernel answers EDOM (33) for a count outside 1..2.
        ['dpathc 0', { ...base, patch: { mp_dpathc: 0 } }, ['EINVAL', 'EDOM']],
        ['dpathc 3', { ...base, patch: { mp_dpathc: 3 } }, ['EINVAL', 'EDOM']],
        ['two devices for create', { name: 'g1', paths: [DISK_A, DISK_B] }, ['EINVAL']],
        ['the same path twice', { name: 'g1', paths: [DISK_A, DISK_A] }, ['EINVAL']],
        ['paths not NUL terminated', { ...base, patch: { mp_dpaths: sys.addressOf(noNul), mp_dpathssz: noNul.length } }, ['ENOENT', 'EINVAL']],
        ['NULL dpaths', { ...base, patch: { mp_dpaths: 0n } }, ['EINVAL', 'EFAULT']],
        ['NULL pd_prop', { ...base, patch: { mp_pd_prop: 0n } }, ['EINVAL', 'EFAULT']],
        ['dpathssz 0', { ...base, patch: { mp_dpathssz: 0 } }, ['EINVAL']],
        ['dpathssz 1', { ...base, patch: { mp_dpathssz: 1 } }, ['EINVAL']],
        ['dpathssz 1 MiB', { ...base, patch: { mp_dpathssz: 1 << 20 } }, ['EINVAL', 'EFAULT']],
        ['dpaths unmapped', { ...base, patch: { mp_dpaths: unmapped.address } }, ['EFAULT']],
        ['pd_prop unmapped', { ...base, patch: { mp_pd_prop: unmapped.address } }, ['EFAULT']],
        ['pd_prop kernel address', { ...base, patch: { mp_pd_prop: 0xffffffff81000000n } }, ['EFAULT']],
      ];
      for (const [what, args, codes] of cases) {
        expect(codes, what).toContain(codeOf(() => rawMpool('MPIOC_MP_CREATE', args)));
      }
      // The same device twice in an activate.
      expect(codeOf(() => rawMpool('MPIOC_MP_ACTIVATE', { name: 'g1', paths: [DISK_A, DISK_A] }))).toBe('EINVAL');
    } finally {
      unmapped.unmap();
    }
    expect(pools.list()).toEqual([]);
    expect(pools.scanPools([DISK_A]).pools).toEqual([]);
  });

  it('random garbage in every lifecycle struct fails cleanly', () => {
    // A fixed xorshift sequence: the same garbage on every run.
    let s = 0x9e3779b9;
    const rnd = (): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) & 0xff;
    };
    const ctl = sys.open(CTL, sys.O_RDWR);
    try {
      for (let i = 0; i < 50; i++) {
        const b = Buffer.from(Array.from({ length: MpiocMpool.size }, rnd));
        for (const cmd of ['MPIOC_MP_CREATE', 'MPIOC_MP_ACTIVATE', 'MPIOC_MP_DEACTIVATE', 'MPIOC_MP_DESTROY', 'MPIOC_MP_RENAME'] as const) {
          expect(codeOf(() => sys.ioctl(ctl, IOCTLS[cmd].request, Buffer.from(b), cmd)), `${cmd} #${i}`).not.toBe('OK');
        }
      }
    } finally {
      sys.close(ctl);
    }
    expect(pools.list()).toEqual([]);
  });

  it('pool node commands: unterminated names, short vectors, unmapped buffers', () => {
    pools.create('g2', DISK_A, { mblockSize: MB });
    const pool = Pool.open('g2', { write: true });
    try {
      const dev = Buffer.alloc(MpiocDevprops.size, 0x61); // 'a' * 32, no NUL
      expect(['ENAMETOOLONG', 'ENOENT', 'EINVAL']).toContain(codeOf(() => sys.ioctl(pool.fd, IOCTLS.MPIOC_DEVPROPS_GET.request, dev, 'DEVPROPS_GET')));
      // MCLASS_GET with room for 5 fills the one present class and says 1.
      const room = Buffer.alloc(5 * MpoolMclassXprops.size, 0xee);
      const m = Buffer.alloc(MpiocMclass.size);
      MpiocMclass.encode(viewOf(m), 0, { mcl_xprops: sys.addressOf(room), mcl_cnt: 5, mcl_rsvd1: 0 });
      sys.ioctl(pool.fd, IOCTLS.MPIOC_MP_MCLASS_GET.request, m, 'MCLASS_GET');
      expect(MpiocMclass.decode(viewOf(m), 0).mcl_cnt).toBe(1);
      expect(room.subarray(MpoolMclassXprops.size).every((x) => x === 0xee)).toBe(true);
      MpiocMclass.encode(viewOf(m), 0, { mcl_xprops: 0xffffffff81000000n, mcl_cnt: 1, mcl_rsvd1: 0 });
      expect(codeOf(() => sys.ioctl(pool.fd, IOCTLS.MPIOC_MP_MCLASS_GET.request, m, 'MCLASS_GET'))).toBe('EFAULT');
      // PROP_SET with a vector of 2 or 0, and with a bad pointer.
      const l = Buffer.alloc(MpiocList.size);
      for (const [listc, listv, code] of [[2, 4096n, 'EINVAL'], [0, 4096n, 'EINVAL'], [1, 0n, 'EFAULT']] as const) {
        MpiocList.encode(viewOf(l), 0, { ls_cmd: 0, ls_listc: listc, ls_listv: listv });
        expect(codeOf(() => sys.ioctl(pool.fd, IOCTLS.MPIOC_PROP_SET.request, l, 'PROP_SET')), `listc ${listc}`).toBe(code);
      }
      // DRV_ADD with a zeroed argument: no device.
      expect(codeOf(() => sys.ioctl(pool.fd, IOCTLS.MPIOC_DRV_ADD.request, Buffer.alloc(32), 'DRV_ADD zero'))).toBe('EINVAL');
      expect(pool.params().name).toBe('g2');
    } finally {
      pool.close();
      pools.destroy('g2');
    }
  });
});

describe('privileges', () => {
  it('without CAP_SYS_ADMIN every management command is EPERM; reading is allowed', async () => {
    pools.create('priv', DISK_A, { mblockSize: MB });
    try {
      const script = join(import.meta.dirname, 'noadmin-child.ts');
      const child = await runAsync(
        'setpriv',
        ['--inh-caps=-sys_admin', '--bounding-set=-sys_admin', process.execPath, '--import', 'tsx', script, 'priv'],
        { cwd: join(import.meta.dirname, '../../..') },
      );
      expect(child.status, child.stderr).toBe(0);
      const r = JSON.parse(child.stdout) as Record<string, string>;
      expect(r).toMatchObject({
        MPIOC_MP_CREATE: 'EPERM',
        MPIOC_MP_ACTIVATE: 'EPERM',
        MPIOC_MP_DEACTIVATE: 'EPERM',
        MPIOC_MP_DESTROY: 'EPERM',
        MPIOC_MP_RENAME: 'EPERM',
        MPIOC_PARAMS_SET: 'EPERM',
        MPIOC_DRV_ADD: 'EPERM',
        MPIOC_DRV_SPARES: 'EPERM',
        MPIOC_PROP_SET: 'EPERM',
        list: 'OK',
        params: 'OK',
        props: 'OK',
        mclass: 'OK',
      });
      expect(r.libDeactivate).toContain('needs CAP_SYS_ADMIN');
      expect(pools.list().map((p) => p.name)).toEqual(['priv']);
    } finally {
      pools.destroy('priv');
    }
  });
});

describe('kernel log', () => {
  it('has no warning, oops or leak from all of the above', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
