/** Pool names, parameter mapping to and from struct mpool_params, and error wording. */
import { describe, expect, it } from 'vitest';
import { MpiocProp, MpoolParams } from '../../userland/src/gen/structs.js';
import { explain } from '../../userland/src/lib/explain.js';
import { canonicalUuid, checkPoolName, looksLikeUuid, poolNameProblem, poolRefProblem } from '../../userland/src/lib/names.js';
import { fromMpoolParams, toCreateParams, toMpoolParams, updateProblem } from '../../userland/src/lib/params.js';
import { fromProp } from '../../userland/src/lib/props.js';
import { MpoolError } from '../../userland/src/sys/errors.js';
import { viewOf } from '../../userland/src/uapi/runtime.js';
import { errorOf } from '../expect-error.js';

describe('pool names', () => {
  it('accepts 1..31 of [A-Za-z0-9_.-] not starting with -', () => {
    for (const ok of ['a', 'mp1', 'A.b_c-d', '0', 'x'.repeat(31), 'a-', '_x', 'a..b', 'mpoolctl2']) expect(poolNameProblem(ok), ok).toBeNull();
  });

  it('refuses the rest with the errno the kernel would give', () => {
    expect(poolNameProblem('')).toMatchObject({ errno: 22, message: 'a pool name cannot be empty' });
    expect(poolNameProblem('x'.repeat(32))).toMatchObject({ errno: 36 });
    expect(poolNameProblem('x'.repeat(32))?.message).toContain('at most 31');
    expect(poolNameProblem('-x')?.message).toContain("cannot start with '-'");
    for (const bad of ['a b', 'a/b', 'é', 'a\0b', 'a:b', '.', '..', '.hidden', '\xff\xfe', '\xe9t\xe9', 'mpoolctl']) expect(poolNameProblem(bad)?.errno, bad).toBe(22);
    expect(poolNameProblem('.')?.message).toContain("cannot start with '.'");
    expect(poolNameProblem('mpoolctl')?.message).toContain('reserved for the control device');
  });

  it('a name that only refers to a pool (deactivate, destroy) needs only 1..31 bytes and no NUL', () => {
    for (const ok of ['.', '..', '\xe9t\xe9', 'mpoolctl', '-x']) expect(poolRefProblem(ok), ok).toBeNull();
    expect(poolRefProblem('')?.errno).toBe(22);
    expect(poolRefProblem('a\0b')?.errno).toBe(22);
    expect(poolRefProblem('x'.repeat(32))?.errno).toBe(36);
  });

  it('checkPoolName throws an MpoolError carrying that errno', () => {
    const e = errorOf(() => checkPoolName('x'.repeat(40), 'create'));
    expect(e.code).toBe('ENAMETOOLONG');
    expect(e.op).toBe('create');
  });

  it('tells uuids from names', () => {
    expect(looksLikeUuid('c02c1dd6-f4a2-4d41-a4ef-3459cad90dbe')).toBe(true);
    expect(looksLikeUuid('C02C1DD6F4A24D41A4EF3459CAD90DBE')).toBe(true);
    expect(looksLikeUuid('mp1')).toBe(false);
    expect(canonicalUuid('C02C1DD6F4A24D41A4EF3459CAD90DBE')).toBe('c02c1dd6-f4a2-4d41-a4ef-3459cad90dbe');
  });
});

describe('parameters', () => {
  it('an empty update keeps everything: the kernel\'s invalid values', () => {
    const p = toMpoolParams('mp1');
    expect(p).toMatchObject({
      mp_name: 'mp1',
      mp_uid: 0xffffffff,
      mp_gid: 0xffffffff,
      mp_mode: 0xffffffff,
      mp_label: '',
      mp_ra_pages_max: 0xffffffff,
      mp_spare_cap: 0xff,
      mp_spare_stg: 0xff,
    });
    expect([...p.mp_utype]).toEqual(new Array(16).fill(0));
  });

  it('sets what is given', () => {
    const p = toMpoolParams('mp1', {
      uid: 1000,
      gid: 6,
      mode: 0o640,
      label: 'db',
      readaheadPages: 0,
      spareCapacity: 10,
      spareStaging: 0,
      utype: 'c02c1dd6-f4a2-4d41-a4ef-3459cad90dbe',
    });
    expect(p).toMatchObject({ mp_uid: 1000, mp_gid: 6, mp_mode: 0o640, mp_label: 'db', mp_ra_pages_max: 0, mp_spare_cap: 10, mp_spare_stg: 0 });
    expect(Buffer.from(p.mp_utype).toString('hex')).toBe('c02c1dd6f4a24d41a4ef3459cad90dbe');
    // And it encodes: every value fits its field.
    MpoolParams.encode(viewOf(Buffer.alloc(MpoolParams.size)), 0, p);
  });

  it('create: zone sizes per class and MDC sizing, 0 meaning default', () => {
    const p = toCreateParams('mp1', { mdcCount: 4 }, 16, 0);
    expect(p.mp_mblocksz).toEqual([0, 16]);
    expect(p).toMatchObject({ mp_mdcnum: 4, mp_mdc0cap: 0, mp_mdcncap: 0, mp_uid: 0xffffffff });
  });

  it('range checks name the field and the range', () => {
    expect(updateProblem({})).toBeNull();
    expect(updateProblem({ mode: 0o1000 })).toBe('mode 1000 is out of range 0..0777');
    expect(updateProblem({ readaheadPages: 33 })).toBe('readahead 33 is out of range 0..32');
    expect(updateProblem({ spareCapacity: 101 })).toBe('capacity spare percent 101 is out of range 0..100');
    expect(updateProblem({ spareStaging: -1 })).toContain('staging spare percent');
    expect(updateProblem({ uid: 0xffffffff })).toContain('uid');
    expect(updateProblem({ label: '' })).toContain('label');
    expect(updateProblem({ label: 'x'.repeat(64) })).toContain('label');
    expect(updateProblem({ utype: 'nope' })).toContain('utype');
  });

  it('decodes struct mpool_params into friendly fields', () => {
    const raw = MpoolParams.zero();
    raw.mp_poolid = Uint8Array.from(Buffer.from('c02c1dd6f4a24d41a4ef3459cad90dbe', 'hex'));
    Object.assign(raw, {
      mp_name: 'mp1',
      mp_label: 'raw',
      mp_uid: 0,
      mp_gid: 6,
      mp_mode: 0o660,
      mp_stat: 1,
      mp_spare_cap: 5,
      mp_spare_stg: 5,
      mp_ra_pages_max: 32,
      mp_vma_size_max: 30,
      mp_mblocksz: [8, 32],
      mp_mdcnum: 16,
      mp_oidv: [7n, 9n],
    });
    expect(fromMpoolParams(raw)).toMatchObject({
      name: 'mp1',
      uuid: 'c02c1dd6-f4a2-4d41-a4ef-3459cad90dbe',
      label: 'raw',
      uid: 0,
      gid: 6,
      mode: 0o660,
      health: 'optimal',
      spareCapacity: 5,
      spareStaging: 5,
      readaheadPages: 32,
      vmaSizeMax: 30,
      mblockSize: { staging: 8, capacity: 32 },
      mdcCount: 16,
      rootMdc: [7n, 9n],
      utype: '00000000-0000-0000-0000-000000000000',
    });
  });

  it('decodes PROP_GET: devices by class, spares, usage, present classes only', () => {
    const raw = MpiocProp.zero();
    raw.pr_xprops.ppx_params.mp_name = 'mp1';
    raw.pr_xprops.ppx_pd_mclassv = [1, 0xff];
    raw.pr_xprops.ppx_pd_namev = ['vda', ''];
    raw.pr_xprops.ppx_drive_spares = Uint8Array.from([0xff, 5]);
    raw.pr_usage.mpu_total = 8n << 30n;
    raw.pr_mcxc = 1;
    raw.pr_mcxv[0]!.mc_mclass = 1;
    raw.pr_mcxv[0]!.mc_zonepg = 8192;
    // Round-trip through the bytes, as the kernel would hand them over.
    const buf = Buffer.alloc(MpiocProp.size);
    MpiocProp.encode(viewOf(buf), 0, raw);
    const p = fromProp(MpiocProp.decode(viewOf(buf), 0));
    expect(p.params.name).toBe('mp1');
    expect(p.devices).toEqual([{ name: 'vda', path: '/dev/vda', mclass: 'capacity' }]);
    expect(p.driveSpares).toEqual({ staging: 0xff, capacity: 5 });
    expect(p.usage.total).toBe(8n << 30n);
    expect(p.mediaClasses).toHaveLength(1);
    expect(p.mediaClasses[0]).toMatchObject({ mclass: 'capacity', zonePages: 8192, zoneSize: 32n << 20n });
  });
});

describe('error wording', () => {
  const kernel = (errno: number): MpoolError => new MpoolError({ errno, op: 'ioctl MPIOC_MP_CREATE', path: '/dev/mpoolctl' });
  const explained = (errno: number, ctx: Parameters<typeof explain>[1]): MpoolError => errorOf(() => explain(kernel(errno), ctx));

  it('EBUSY on create names both possible causes, keeping errno and code', () => {
    const e = explained(16, { op: 'create', pool: 'mp1', device: '/dev/vdb' });
    expect(e.code).toBe('EBUSY');
    expect(e.op).toBe('create');
    expect(e.path).toBe('/dev/vdb');
    expect(e.message).toBe('create /dev/vdb: device /dev/vdb already holds an mpool superblock (use -f to overwrite) or is in use (EBUSY)');
  });

  it('names the pool for the other lifecycle errors', () => {
    expect(explained(17, { op: 'create', pool: 'mp1', device: '/dev/vdb' }).message).toContain('an active pool named "mp1" already exists');
    expect(explained(6, { op: 'deactivate', pool: 'mp1', path: '/dev/mpool/mp1' }).message).toContain('no active pool named "mp1"');
    expect(explained(16, { op: 'destroy', pool: 'mp1' }).message).toContain('use -f to tear it down anyway');
    expect(explained(19, { op: 'activate', pool: 'mp1', devices: ['/dev/vda'] }).message).toContain('missing');
    expect(explained(74, { op: 'activate', pool: 'mp1', devices: ['/dev/vda'] }).message).toContain('both superblock copies');
    expect(explained(17, { op: 'rename', pool: 'a', newName: 'b' }).message).toContain('a pool named "b" already exists');
    expect(explained(1, { op: 'set', pool: 'a' }).message).toContain('CAP_SYS_ADMIN');
  });

  it('keeps the error it explains as its cause', () => {
    const k = kernel(11);
    const e = errorOf(() => explain(k, { op: 'open', pool: 'mp1', path: '/dev/mpool/mp1' }));
    expect(e.cause).toBe(k);
    expect(e.message).toBe('open /dev/mpool/mp1: pool "mp1" is open exclusively, or open and an exclusive open was asked for (EAGAIN)');
    expect(explained(16, { op: 'destroy', pool: 'mp1', devices: ['/dev/vda', '/dev/vdb'] }).cause).toMatchObject({ code: 'EBUSY', op: 'ioctl MPIOC_MP_CREATE' });
    expect(explained(22, { op: 'destroy', pool: 'mp1', devices: ['/dev/vda', '/dev/vdb'] }).message).toContain('the devices /dev/vda, /dev/vdb do not hold pool "mp1"');
  });

  it('an errno with nothing more to say keeps the C library message', () => {
    expect(explained(5, { op: 'create', pool: 'mp1', device: '/dev/vdb' }).message).toBe('create /dev/vdb: input/output error (EIO)');
  });
});
