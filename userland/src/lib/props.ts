/** Pool properties, usage and devices with friendly names, from the generated structs. */
import { MP_MED_INVALID, PdStatus } from '../gen/constants.js';
import type {
  MpiocProp,
  MpoolDevprops,
  MpoolMclassXprops,
  MpoolUsage,
} from '../gen/structs.js';
import { mclassName, type MediaClass } from './device.js';
import { fromMpoolParams, type PoolParams } from './params.js';
import { formatUuid } from './uuid.js';

/** Space accounting, bytes (struct mpool_usage). */
export interface PoolUsage {
  total: bigint;
  usable: bigint;
  /** Usable space still free. */
  freeUsable: bigint;
  used: bigint;
  spare: bigint;
  /** Spare space still free. */
  freeSpare: bigint;
  allocated: bigint;
  written: bigint;
  mblockAllocated: bigint;
  mblockWritten: bigint;
  mlogAllocated: bigint;
  mblockCount: number;
  mlogCount: number;
}

export function fromUsage(u: MpoolUsage): PoolUsage {
  return {
    total: u.mpu_total,
    usable: u.mpu_usable,
    freeUsable: u.mpu_fusable,
    used: u.mpu_used,
    spare: u.mpu_spare,
    freeSpare: u.mpu_fspare,
    allocated: u.mpu_alen,
    written: u.mpu_wlen,
    mblockAllocated: u.mpu_mblock_alen,
    mblockWritten: u.mpu_mblock_wlen,
    mlogAllocated: u.mpu_mlog_alen,
    mblockCount: u.mpu_mblock_cnt,
    mlogCount: u.mpu_mlog_cnt,
  };
}

/** One media class (struct mpool_mclass_xprops). */
export interface MediaClassInfo {
  mclass: MediaClass | null;
  devtype: number;
  /** log2 of the sector size. */
  sectorShift: number;
  /** Spare percent. */
  spare: number;
  /** Devices unavailable. */
  unavailable: number;
  zonePages: number;
  /** Zone (mblock) size, bytes. */
  zoneSize: bigint;
  features: bigint;
  usage: PoolUsage;
}

export function fromMclass(m: MpoolMclassXprops): MediaClassInfo {
  return {
    mclass: mclassName(m.mc_mclass),
    devtype: m.mc_devtype,
    sectorShift: m.mc_sectorsz,
    spare: m.mc_spare,
    unavailable: m.mc_uacnt,
    zonePages: m.mc_zonepg,
    zoneSize: BigInt(m.mc_zonepg) * 4096n,
    features: m.mc_features,
    usage: fromUsage(m.mc_usage),
  };
}

export type DeviceStatus = 'online' | 'suspect' | 'offline' | 'unavailable' | 'unknown';

export function deviceStatusOf(s: number): DeviceStatus {
  switch (s) {
    case PdStatus.PD_STAT_ONLINE:
      return 'online';
    case PdStatus.PD_STAT_SUSPECT:
      return 'suspect';
    case PdStatus.PD_STAT_OFFLINE:
      return 'offline';
    case PdStatus.PD_STAT_UNAVAIL:
      return 'unavailable';
    default:
      return 'unknown';
  }
}

/** One pool device (struct mpool_devprops), bytes. */
export interface DeviceProps {
  name: string;
  uuid: string;
  mclass: MediaClass | null;
  status: DeviceStatus;
  total: bigint;
  available: bigint;
  spare: bigint;
  freeSpare: bigint;
  usable: bigint;
  freeUsable: bigint;
  used: bigint;
}

export function fromDevprops(name: string, d: MpoolDevprops): DeviceProps {
  return {
    name,
    uuid: formatUuid(d.pdp_devid),
    mclass: mclassName(d.pdp_mclassp),
    status: deviceStatusOf(d.pdp_status),
    total: d.pdp_total,
    available: d.pdp_avail,
    spare: d.pdp_spare,
    freeSpare: d.pdp_fspare,
    usable: d.pdp_usable,
    freeUsable: d.pdp_fusable,
    used: d.pdp_used,
  };
}

export interface PoolDevice {
  /** Kernel name of the device ("vdb"). */
  name: string;
  /** /dev/<name>. */
  path: string;
  mclass: MediaClass;
}

/** Everything PROP_GET tells about one pool. */
export interface PoolProps {
  params: PoolParams;
  devices: PoolDevice[];
  /** Spare percent per class, as the devices have it (ppx_drive_spares). */
  driveSpares: { staging: number; capacity: number };
  usage: PoolUsage;
  mediaClasses: MediaClassInfo[];
}

export function fromProp(p: MpiocProp): PoolProps {
  const x = p.pr_xprops;
  const devices: PoolDevice[] = [];
  x.ppx_pd_mclassv.forEach((c, i) => {
    const name = x.ppx_pd_namev[i] ?? '';
    const mclass = c === MP_MED_INVALID ? null : mclassName(c);
    if (mclass !== null && name !== '') devices.push({ name, path: `/dev/${name}`, mclass });
  });
  return {
    params: fromMpoolParams(x.ppx_params),
    devices,
    driveSpares: { staging: x.ppx_drive_spares[0] ?? 0, capacity: x.ppx_drive_spares[1] ?? 0 },
    usage: fromUsage(p.pr_usage),
    mediaClasses: p.pr_mcxv.slice(0, Math.min(p.pr_mcxc, p.pr_mcxv.length)).map(fromMclass),
  };
}
