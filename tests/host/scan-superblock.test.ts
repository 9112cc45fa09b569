/**
 * Superblock parsing and scanning, against buffers and sparse files built
 * here with the generated OmfSb codec (the layout of uapi/mpool_omf.h, the
 * header the kernel writes with), and against a superblock the kernel
 * itself wrote (tests/host/fixtures/, captured by the pools suite).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, ftruncateSync, closeSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUT, OmfSb, OMF_FEAT_MBLOCK, OMF_FEAT_MLOG, OMF_SB_AREA, OMF_SB_FLAG_MDC0, OMF_SB_MAGIC, OMF_SB_USED, OMF_SB_VERSION } from '../../userland/src/gen/omf.js';
import { runCli } from '../../userland/src/cli/program.js';
import { Pools } from '../../userland/src/lib/pools.js';
import { blockDevicePaths, classify, groupPools, parsePartitions, readDevice, scanDevices } from '../../userland/src/lib/scan.js';
import { chooseSuperblock, crc32cOf, parseSuperblock, sealSuperblock, sealSuperblockHeader, superblockZones } from '../../userland/src/lib/superblock.js';
import { viewOf } from '../../userland/src/uapi/runtime.js';

const MiB = 1024 * 1024;

interface SbFields {
  name: string;
  poolUuid: string;
  version?: number;
  gen?: number;
  mdc0?: boolean;
  devUuid: string;
  mclass?: number;
  zonepg?: number;
  zonetot?: number;
  devsz?: bigint;
  mdc0a?: [bigint, number];
  mdc0b?: [bigint, number];
}

const hex = (u: string): Buffer => Buffer.from(u.replace(/-/g, ''), 'hex');

/** A 4096-byte superblock copy, encoded with the generated codec and sealed as the kernel seals it. */
function encodeSb(f: SbFields): Buffer {
  const b = Buffer.alloc(OMF_SB_AREA);
  const zonepg = f.zonepg ?? 8192; // 32 MiB
  const devsz = f.devsz ?? 8n << 30n;
  const zonetot = f.zonetot ?? Number(devsz / BigInt(zonepg * 4096));
  const mdc0 = f.mdc0 ?? true;
  const [az, an] = mdc0 ? (f.mdc0a ?? [1n, 1]) : [0n, 0];
  const [bz, bn] = mdc0 ? (f.mdc0b ?? [2n, 1]) : [0n, 0];
  OmfSb.encode(viewOf(b), 0, {
    ...OmfSb.zero(),
    magic: OMF_SB_MAGIC,
    name: f.name,
    poolid: hex(f.poolUuid),
    version: f.version ?? OMF_SB_VERSION,
    gen: f.gen ?? 1,
    flags: mdc0 ? OMF_SB_FLAG_MDC0 : 0,
    used: OMF_SB_USED,
    devid: hex(f.devUuid),
    mclass: f.mclass ?? 1,
    devtype: 2,
    sectorsz: 9,
    zonepg,
    zonetot,
    devsz,
    features: BigInt(OMF_FEAT_MLOG | OMF_FEAT_MBLOCK),
    mdc0_zaddr_a: az,
    mdc0_zcnt_a: an,
    mdc0_zaddr_b: bz,
    mdc0_zcnt_b: bn,
  });
  sealSuperblock(b);
  return b;
}

/** An mpool 1.9.0 superblock as far as libblkid reads it: version 1, crc1 valid, the rest not ours. */
function encodeV1(name: string, poolUuid: string): Buffer {
  const b = Buffer.alloc(OMF_SB_AREA);
  OmfSb.encode(viewOf(b), 0, { ...OmfSb.zero(), magic: OMF_SB_MAGIC, name, poolid: hex(poolUuid), version: 1, gen: 7 });
  sealSuperblockHeader(b);
  // Past the shared header, 1.9.0's bytes mean nothing to us.
  b.fill(0xa5, LAYOUT.omf_sb.fields.flags.offset, 200);
  return b;
}

const P1 = '11111111-2222-4333-8444-555555555555';
const P2 = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const D1 = '01010101-0202-4303-8404-050505050505';
const D2 = '06060606-0707-4808-8909-0a0a0a0a0a0a';

function corrupt(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] = c[at]! ^ 0xff;
  return c;
}

describe('CRC32C', () => {
  it('is the Castagnoli CRC (check value of "123456789")', () => {
    expect(crc32cOf(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('superblock parser', () => {
  const good = encodeSb({ name: 'mp1', poolUuid: P1, devUuid: D1, gen: 5 });

  it('decodes every field of a valid copy', () => {
    const r = parseSuperblock(good);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.sb).toMatchObject({
      poolName: 'mp1',
      poolUuid: P1,
      version: 2,
      gen: 5,
      holdsMdc0: true,
      deviceUuid: D1,
      mclass: 'capacity',
      devtype: 2,
      sectorShift: 9,
      zonePages: 8192,
      zoneCount: 256,
      deviceSize: 8n << 30n,
      features: 3n,
      mdc0: { a: { zone: 1n, zones: 1 }, b: { zone: 2n, zones: 1 } },
    });
  });

  it('a staging device without MDC-0 has no MDC-0 logs', () => {
    const r = parseSuperblock(encodeSb({ name: 'mp1', poolUuid: P1, devUuid: D2, mclass: 0, mdc0: false }));
    expect(r.ok && r.sb.mclass === 'staging' && r.sb.mdc0 === null && !r.sb.holdsMdc0).toBe(true);
  });

  it('no magic is "not an mpool device"', () => {
    expect(parseSuperblock(Buffer.alloc(4096))).toMatchObject({ ok: false, problem: 'no-magic' });
    expect(parseSuperblock(Buffer.alloc(0))).toMatchObject({ ok: false, problem: 'no-magic' });
  });

  it('a damaged header fails crc1; damage after it fails crc2', () => {
    expect(parseSuperblock(corrupt(good, 20))).toMatchObject({ ok: false, problem: 'bad-crc1', poolName: 'mp1' });
    expect(parseSuperblock(corrupt(good, 100))).toMatchObject({ ok: false, problem: 'bad-crc2', poolUuid: P1 });
    expect(parseSuperblock(corrupt(good, 253))).toMatchObject({ ok: false, problem: 'bad-crc2' });
  });

  it('bytes past the 256 used are not covered: a change there is harmless', () => {
    expect(parseSuperblock(corrupt(good, 300)).ok).toBe(true);
  });

  it('version 1 is mpool 1.9.0, identified and refused', () => {
    const r = parseSuperblock(encodeV1('old', P2));
    expect(r).toMatchObject({ ok: false, problem: 'unsupported-version', version: 1, poolName: 'old', poolUuid: P2 });
    if (!r.ok) expect(r.message).toMatch(/version 1 \(mpool 1\.9\.0\) is not supported/);
    expect(parseSuperblock(encodeSb({ name: 'x', poolUuid: P1, devUuid: D1, version: 3 }))).toMatchObject({
      problem: 'unsupported-version',
      version: 3,
    });
  });

  it('refuses insane geometry with valid checksums', () => {
    const cases: Partial<SbFields>[] = [
      { zonepg: 0, zonetot: 10 },
      { zonetot: 1 }, // only the superblock zone
      { devsz: 1n << 20n, zonetot: 256 }, // zones beyond the device
      { mclass: 7 },
      { mdc0a: [0n, 1] }, // MDC-0 over the superblocks
      { mdc0b: [300n, 1] }, // beyond zonetot
      { mdc0a: [1n, 0] }, // empty log
    ];
    for (const c of cases) {
      const r = parseSuperblock(encodeSb({ name: 'g', poolUuid: P1, devUuid: D1, ...c }));
      expect(r, JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toMatchObject({ ok: false, problem: 'bad-geometry' });
    }
  });

  it('superblock zones: ceil(16 KiB / zone)', () => {
    expect(superblockZones(8192)).toBe(1);
    expect(superblockZones(4)).toBe(1);
    expect(superblockZones(1)).toBe(4);
  });

  it('uses copy 0 when valid, copy 1 when copy 0 is damaged, and neither when both are', () => {
    const c1 = encodeSb({ name: 'mp1', poolUuid: P1, devUuid: D1, gen: 4 });
    expect(chooseSuperblock(good, c1)).toMatchObject({ ok: true, copyUsed: 0, sb: { gen: 5 } });
    expect(chooseSuperblock(corrupt(good, 100), c1)).toMatchObject({ ok: true, copyUsed: 1, sb: { gen: 4 } });
    expect(chooseSuperblock(Buffer.alloc(4096), c1)).toMatchObject({ ok: true, copyUsed: 1 });
    expect(chooseSuperblock(corrupt(good, 100), corrupt(c1, 30)).ok).toBe(false);
  });

  it('classify() names a damaged device and its pool, and ignores devices without magic', () => {
    expect(classify('/x', Buffer.alloc(4096), Buffer.alloc(4096))).toEqual({ kind: 'none' });
    const r = classify('/x', corrupt(good, 100), corrupt(good, 100));
    expect(r).toMatchObject({ kind: 'problem', problem: { path: '/x', poolName: 'mp1', poolUuid: P1 } });
    if (r.kind === 'problem') expect(r.problem.message).toMatch(/both superblock copies are damaged/);
    expect(classify('/y', encodeV1('old', P2), Buffer.alloc(0))).toMatchObject({
      kind: 'problem',
      problem: { version: 1, poolName: 'old' },
    });
  });
});

describe('/proc/partitions', () => {
  const text = [
    'major minor  #blocks  name',
    '',
    ' 254        0    8388608 vda',
    ' 254       16    8388608 vdb',
    ' 254       17          1 vdb1',
    '   7        0          0 loop0',
    '   1        0          0 ram0',
    ' 259        0  976762584 nvme0n1',
    '',
  ].join('\n');

  it('lists devices with a size, skipping empty loop/ram devices and extended-partition stubs', () => {
    expect(parsePartitions(text)).toEqual(['vda', 'vdb', 'nvme0n1']);
  });

  it('keeps only names that exist under /dev', () => {
    expect(blockDevicePaths(text, (p) => p !== '/dev/nvme0n1')).toEqual(['/dev/vda', '/dev/vdb']);
  });
});

describe('scan over sparse files', () => {
  let dir: string;
  const file = (n: string): string => join(dir, n);

  /** A sparse file of `size` bytes with the given copies at 0 and 8192. */
  function image(name: string, size: number, copy0?: Buffer, copy1?: Buffer): string {
    const p = file(name);
    const fd = openSync(p, 'w');
    ftruncateSync(fd, size);
    if (copy0) writeSync(fd, copy0, 0, copy0.length, 0);
    if (copy1) writeSync(fd, copy1, 0, copy1.length, 8192);
    closeSync(fd);
    return p;
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mpool-scan-'));
    const cap = encodeSb({ name: 'mp1', poolUuid: P1, devUuid: D1 });
    const stg = encodeSb({ name: 'mp1', poolUuid: P1, devUuid: D2, mclass: 0, mdc0: false });
    image('cap.img', 64 * MiB, cap, cap);
    image('stg.img', 64 * MiB, stg, stg);
    const other = encodeSb({ name: 'other', poolUuid: P2, devUuid: D1, gen: 9 });
    image('other.img', 64 * MiB, corrupt(other, 100), other); // copy 0 damaged
    image('blank.img', 64 * MiB);
    image('v1.img', 64 * MiB, encodeV1('old', P2), encodeV1('old', P2));
    image('tiny.img', 4096, encodeSb({ name: 'tiny', poolUuid: P1, devUuid: D1 })); // no room for copy 1
    writeFileSync(file('empty.img'), '');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads both copies with O_DIRECT into aligned memory and classifies each file', () => {
    expect(readDevice(file('cap.img'))).toMatchObject({ kind: 'pool', device: { mclass: 'capacity', holdsMdc0: true, copyUsed: 0 } });
    expect(readDevice(file('other.img'))).toMatchObject({ kind: 'pool', device: { copyUsed: 1, sb: { gen: 9 } } });
    expect(readDevice(file('blank.img'))).toEqual({ kind: 'none' });
    expect(readDevice(file('empty.img'))).toEqual({ kind: 'none' });
    expect(readDevice(file('tiny.img'))).toMatchObject({ kind: 'pool', device: { copyUsed: 0 } });
    expect(readDevice(file('missing.img'))).toMatchObject({ kind: 'error', error: { code: 'ENOENT' } });
  });

  it('groups devices by pool uuid, MDC-0 holder first, and reports what it cannot use', () => {
    const r = scanDevices(
      ['cap.img', 'stg.img', 'other.img', 'blank.img', 'v1.img', 'missing.img'].map(file),
      [{ name: 'other', uuid: 'not-this' }],
    );
    expect(r.pools).toEqual([
      {
        name: 'mp1',
        uuid: P1,
        active: false,
        devices: [
          { path: file('cap.img'), devid: D1, mclass: 'capacity', holdsMdc0: true, copyUsed: 0, zonePages: 8192 },
          { path: file('stg.img'), devid: D2, mclass: 'staging', holdsMdc0: false, copyUsed: 0, zonePages: 8192 },
        ],
      },
      {
        name: 'other',
        uuid: P2,
        active: false, // an active pool of this name has another uuid: another pool
        devices: [{ path: file('other.img'), devid: D1, mclass: 'capacity', holdsMdc0: true, copyUsed: 1, zonePages: 8192 }],
      },
    ]);
    expect(r.problems).toEqual([
      { path: file('v1.img'), poolName: 'old', poolUuid: P2, version: 1, message: 'superblock format version 1 (mpool 1.9.0) is not supported' },
    ]);
    expect(r.errors).toMatchObject([{ path: file('missing.img'), code: 'ENOENT' }]);
  });

  it('marks a pool active by uuid', () => {
    const r = groupPools([readDevice(file('cap.img'))], [{ name: 'renamed', uuid: P1 }]);
    expect(r.pools[0]?.active).toBe(true);
  });

  it('Pools finds an inactive pool by name or uuid, and names the problem otherwise', () => {
    const paths = ['cap.img', 'stg.img', 'other.img'].map(file);
    const pools = new Pools({ scanPaths: () => paths, ctlPath: join(dir, 'no-ctl') });
    expect(pools.find('mp1', 'activate').uuid).toBe(P1);
    expect(pools.find(P2.toUpperCase(), 'activate').name).toBe('other');
    const e = (() => {
      try {
        pools.find('nope', 'activate');
      } catch (err) {
        return err as { code: string; message: string };
      }
      throw new Error('expected a failure');
    })();
    expect(e.code).toBe('ENOENT');
    expect(e.message).toContain('no pool named "nope" found on any device');
  });

  it('mpool scan --json <files> prints pools, problems and errors', async () => {
    const r = await runCli(['scan', '--json', file('cap.img'), file('stg.img'), file('v1.img')]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(j).sort()).toEqual(['actions', 'activeCount', 'errors', 'pools', 'problems']);
    expect(j).toMatchObject({
      pools: [{ name: 'mp1', uuid: P1, active: false, devices: [{ mclass: 'capacity', holdsMdc0: true }, { mclass: 'staging' }] }],
      problems: [{ version: 1, poolName: 'old' }],
      actions: [],
      activeCount: 0,
    });
  });

  it('mpool scan prints one row per device, and warns about unusable superblocks on stderr', async () => {
    const r = await runCli(['scan', file('cap.img'), file('stg.img'), file('v1.img')]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^MPOOL\s+UUID\s+STATE\s+DEVICE\s+CLASS\s+MDC0\s+SB$/);
    expect(lines[1]).toMatch(new RegExp(`^mp1\\s+${P1}\\s+inactive\\s+\\S+cap\\.img\\s+capacity\\s+yes\\s+0$`));
    expect(lines[2]).toMatch(/staging\s+no\s+0$/);
    expect(r.stderr).toContain('v1.img (pool "old"): superblock format version 1 (mpool 1.9.0) is not supported');
    const h = await runCli(['scan', '-H', file('blank.img')]);
    expect(h.stdout).toBe('');
  });
});
