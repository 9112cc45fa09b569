/** pd_prop from measurements (pure), and the device checks that need no module. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DevicePhysIf, MpMediaClassp, PdCmdOpt, PdDevtype, PdState } from '../../userland/src/gen/constants.js';
import { PdProp } from '../../userland/src/gen/structs.js';
import {
  checkBlockDevice,
  clampOptimalIo,
  computePdProp,
  encodeDevicePaths,
  encodePdProps,
  measureDevice,
  physIfFor,
  splitDevno,
  zonePagesForMiB,
  type DeviceMeasurement,
} from '../../userland/src/lib/device.js';
import { viewOf } from '../../userland/src/uapi/runtime.js';
import { errorOf } from '../expect-error.js';
import { ENOTBLK } from '../../userland/src/gen/errno.js';

const GiB = 1n << 30n;
/** By number: Node's errno table (libuv's) has no name for it. */

const vdb: DeviceMeasurement = {
  path: '/dev/vdb',
  name: 'vdb',
  sizeBytes: 8n * GiB,
  logicalBlockSize: 512,
  physicalBlockSize: 512,
  optimalIoSize: 0,
  discardGranularity: 512,
  fua: false,
  model: '',
};

describe('pd_prop computation', () => {
  it('describes an 8 GiB virtio disk with the default 32 MiB zones', () => {
    const p = computePdProp(vdb, { mclass: 'capacity' });
    expect(p).toMatchObject({
      pdp_didstr: '',
      pdp_devtype: PdDevtype.PD_DEV_TYPE_BLOCK_STD,
      pdp_devstate: PdState.PD_DEV_STATE_AVAIL,
      pdp_phys_if: DevicePhysIf.DEVICE_PHYS_IF_VIRTUAL,
      pdp_mclassp: MpMediaClassp.MP_MED_CAPACITY,
      pdp_fua: 0,
      pdp_cmdopt: BigInt(PdCmdOpt.PD_CMD_SECTOR_UPDATABLE | PdCmdOpt.PD_CMD_DISCARD),
      pdp_zparam: { dvb_zonepg: 8192, dvb_zonetot: 256, dvb_rsvd1: 0n },
      pdp_discard_granularity: 512,
      pdp_sectorsz: 9,
      pdp_optiosz: 131072,
      pdp_devsz: 8n * GiB,
      pdp_rsvd2: 0,
      pdp_rsvd3: 0n,
    });
  });

  it('follows the staging class, zone size, FUA, discard and model', () => {
    const p = computePdProp(
      { ...vdb, name: 'nvme0n1', sizeBytes: 10n * GiB + 12345n, logicalBlockSize: 4096, discardGranularity: 0, fua: true, model: '  Fast SSD  ', optimalIoSize: 8192 },
      { mclass: 'staging', zonePages: zonePagesForMiB(1) },
    );
    expect(p.pdp_mclassp).toBe(MpMediaClassp.MP_MED_STAGING);
    expect(p.pdp_phys_if).toBe(DevicePhysIf.DEVICE_PHYS_IF_NVME);
    expect(p.pdp_fua).toBe(1);
    expect(p.pdp_cmdopt).toBe(BigInt(PdCmdOpt.PD_CMD_SECTOR_UPDATABLE));
    expect(p.pdp_zparam.dvb_zonepg).toBe(256);
    expect(p.pdp_zparam.dvb_zonetot).toBe(10 * 1024); // the partial zone does not count
    expect(p.pdp_sectorsz).toBe(12);
    expect(p.pdp_optiosz).toBe(8192);
    expect(p.pdp_didstr).toBe('Fast SSD');
  });

  it('clamps the optimal I/O size to 4 KiB..128 KiB, 0 meaning 128 KiB', () => {
    expect(clampOptimalIo(0)).toBe(131072);
    expect(clampOptimalIo(512)).toBe(4096);
    expect(clampOptimalIo(65536)).toBe(65536);
    expect(clampOptimalIo(1 << 20)).toBe(131072);
  });

  it('zone pages: MiB << 20 >> 12, only for 1..64 MiB', () => {
    expect(zonePagesForMiB(1)).toBe(256);
    expect(zonePagesForMiB(32)).toBe(8192);
    expect(zonePagesForMiB(64)).toBe(16384);
    for (const bad of [0, 65, 1.5, -1]) expect(() => zonePagesForMiB(bad)).toThrow(RangeError);
  });

  it('a device smaller than a zone has no zones (the kernel answers ENOSPC)', () => {
    expect(computePdProp({ ...vdb, sizeBytes: 16n << 20n }, { mclass: 'capacity' }).pdp_zparam.dvb_zonetot).toBe(0);
  });

  it('names the physical interface from the device name', () => {
    expect(physIfFor('vda')).toBe(DevicePhysIf.DEVICE_PHYS_IF_VIRTUAL);
    expect(physIfFor('nvme1n1p2')).toBe(DevicePhysIf.DEVICE_PHYS_IF_NVME);
    expect(physIfFor('sdc')).toBe(DevicePhysIf.DEVICE_PHYS_IF_SATA);
    expect(physIfFor('loop3')).toBe(DevicePhysIf.DEVICE_PHYS_IF_TEST);
    expect(physIfFor('dm-0')).toBe(DevicePhysIf.DEVICE_PHYS_IF_UNKNOWN);
  });

  it('long model strings are cut to fit pdp_didstr', () => {
    expect(computePdProp({ ...vdb, model: 'x'.repeat(100) }, { mclass: 'capacity' }).pdp_didstr).toHaveLength(63);
  });

  it('encodes a vector of pd_prop and the NUL-terminated path list the kernel reads', () => {
    const a = computePdProp(vdb, { mclass: 'capacity' });
    const b = computePdProp({ ...vdb, name: 'vdc', path: '/dev/vdc' }, { mclass: 'staging' });
    const buf = encodePdProps([a, b]);
    expect(buf.length).toBe(2 * PdProp.size);
    expect(PdProp.decode(viewOf(buf), PdProp.size)).toEqual(b);
    const paths = encodeDevicePaths(['/dev/vdb', '/dev/vdc']);
    expect(paths.toString('utf8')).toBe('/dev/vdb\n/dev/vdc\0');
    expect(encodeDevicePaths(['/dev/vdb']).length).toBe('/dev/vdb'.length + 1);
  });

  it('splits st_rdev into major and minor (glibc encoding)', () => {
    expect(splitDevno((254 << 8) | 16)).toEqual({ major: 254, minor: 16 });
    expect(splitDevno((259n << 8n) | 0x12n | (0x34n << 12n) * 0x100n)).toEqual({ major: 259, minor: 0x3412 });
  });
});

describe('measuring devices', () => {
  it('a missing path is ENOENT and a regular file ENOTBLK, named in the error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpool-dev-'));
    try {
      const f = join(dir, 'file.img');
      writeFileSync(f, Buffer.alloc(4096));
      const notblk = errorOf(() => measureDevice(f));
      expect(notblk.errno).toBe(ENOTBLK);
      expect(notblk.path).toBe(f);
      expect(notblk.message).toContain('not a block device');
      const missing = errorOf(() => checkBlockDevice(join(dir, 'nope')));
      expect(missing.code).toBe('ENOENT');
      expect(missing.message).toContain('no such device');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a character device is not a block device either', () => {
    expect(errorOf(() => measureDevice('/dev/null')).errno).toBe(ENOTBLK);
  });
});
