/**
 * An open pool node, /dev/mpool/<name>: parameters, properties, devices and
 * media classes. O_RDONLY is enough for the *_GET commands; the rest need
 * the node open for writing (and CAP_SYS_ADMIN).
 */
import { MP_MED_INVALID, MPC_DEV_SUBDIR, MpiocListCmd, MpMgmtFlags, MPOOL_MBSIZE_MB_DEFAULT, MPOOL_SPARES_INVALID } from '../gen/constants.js';
import { IOCTLS } from '../gen/ioctl.js';
import {
  MpiocDevprops,
  MpiocDrive,
  MpiocList,
  MpiocMclass,
  MpiocParams,
  MpiocProp,
  MpoolMclassXprops,
} from '../gen/structs.js';
import { MpoolError } from '../sys/errors.js';
import * as sys from '../sys/libc.js';
import { ioctlStruct } from '../uapi/ioctl.js';
import { viewOf } from '../uapi/runtime.js';
import { devicePdProp, encodeDevicePaths, encodePdProps, zonePagesForMiB, type MediaClass } from './device.js';
import { explain } from './explain.js';
import { checkPoolName } from './names.js';
import { fromMpoolParams, SPARE_PCT_MAX, toMpoolParams, updateProblem, type PoolParams, type PoolParamsUpdate } from './params.js';
import { fromDevprops, fromMclass, fromProp, type DeviceProps, type MediaClassInfo, type PoolProps } from './props.js';
import { readDevice } from './scan.js';
import { EINVAL, ENOENT } from './errno.js';
import { Mblocks } from './mblock.js';
import { Mcache } from './mcache.js';
import { Mlogs } from './mlog.js';
import { readPoolStats, type PoolStats } from './stats.js';
import { SYSFS_ROOT } from './sysfs.js';

export interface PoolOpenOptions {
  /** O_RDWR instead of O_RDONLY. */
  write?: boolean;
  /** O_EXCL: no other open file while this one is open. */
  exclusive?: boolean;
  /** O_NONBLOCK: EAGAIN instead of EBUSY when the node is held exclusively. */
  nonblock?: boolean;
  /** Node path; default /dev/mpool/<name>. */
  path?: string;
  /** The module's sysfs class directory, for stats(); default /sys/class/mpool. */
  sysfsRoot?: string;
}

export interface AddDeviceOptions {
  /** Staging class mblock (zone) size, MiB, 1..64; default 32. */
  mblockSize?: number;
  /** Overwrite an old mpool superblock on the device. */
  force?: boolean;
}

export interface SetPropsRequest {
  params?: PoolParamsUpdate;
  /** Spare percent per class; a missing class is kept. */
  driveSpares?: { staging?: number; capacity?: number };
}

export function poolNodePath(name: string): string {
  return `/dev/${MPC_DEV_SUBDIR}/${name}`;
}

/** Why a device refused with EBUSY: it holds a superblock (whose?), or it is in use. */
export function busyDetail(device: string, force: boolean): string {
  const r = readDevice(device);
  if (r.kind === 'pool') {
    const sb = r.device.sb;
    return force
      ? `device ${device} holds pool "${sb.poolName}" (${sb.poolUuid}) and is in use; is that pool active?`
      : `device ${device} already holds pool "${sb.poolName}" (${sb.poolUuid}); use -f to overwrite it`;
  }
  if (r.kind === 'problem') {
    return `device ${device} already holds an mpool superblock (${r.problem.message}); use -f to overwrite it`;
  }
  if (r.kind === 'none') return `device ${device} is in use (mounted, or open exclusively by another program)`;
  return `device ${device} already holds an mpool superblock (use -f to overwrite) or is in use`;
}

export class Pool {
  readonly name: string;
  readonly path: string;
  readonly writable: boolean;
  readonly sysfsRoot: string;
  #fd: number;
  #mblocks: Mblocks | undefined;
  #mlogs: Mlogs | undefined;
  #mcache: Mcache | undefined;

  private constructor(name: string, path: string, fd: number, writable: boolean, sysfsRoot: string) {
    this.name = name;
    this.path = path;
    this.#fd = fd;
    this.writable = writable;
    this.sysfsRoot = sysfsRoot;
  }

  static open(name: string, opts: PoolOpenOptions = {}): Pool {
    checkPoolName(name, 'open');
    const path = opts.path ?? poolNodePath(name);
    let flags = opts.write ? sys.O_RDWR : sys.O_RDONLY;
    if (opts.exclusive) flags |= sys.O_EXCL;
    if (opts.nonblock) flags |= sys.O_NONBLOCK;
    try {
      return new Pool(name, path, sys.open(path, flags), opts.write ?? false, opts.sysfsRoot ?? SYSFS_ROOT);
    } catch (e) {
      explain(e, { op: 'open', pool: name, path });
    }
  }

  get fd(): number {
    if (this.#fd < 0) throw new MpoolError({ errno: 9, op: 'pool', path: this.path, detail: 'the pool is closed' });
    return this.#fd;
  }

  /** The pool's mblocks (MB_* commands). */
  get mblocks(): Mblocks {
    return (this.#mblocks ??= new Mblocks(this));
  }

  /** The pool's mlogs (MLOG_* commands). */
  get mlogs(): Mlogs {
    return (this.#mlogs ??= new Mlogs(this));
  }

  /** The pool's mcache maps (MPIOC_VMA_* and mmap). */
  get mcache(): Mcache {
    return (this.#mcache ??= new Mcache(this, this.mblocks));
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    sys.close(fd, this.path);
  }

  /** The pool's parameters and counters from sysfs (/sys/class/mpool/<name>/), by its name. */
  stats(): PoolStats {
    return readPoolStats(this.name, { sysfsRoot: this.sysfsRoot });
  }

  /** PARAMS_GET. */
  params(): PoolParams {
    const out = ioctlStruct(this.fd, IOCTLS.MPIOC_PARAMS_GET, MpiocParams, MpiocParams.zero(), this.path);
    return fromMpoolParams(out.mps_params);
  }

  /** PARAMS_SET: change what is given, keep the rest; returns the parameters now in force. */
  setParams(u: PoolParamsUpdate): PoolParams {
    const bad = updateProblem(u);
    if (bad) throw new MpoolError({ errno: EINVAL, op: 'set', path: this.path, detail: bad });
    try {
      ioctlStruct(this.fd, IOCTLS.MPIOC_PARAMS_SET, MpiocParams, { mps_params: toMpoolParams(this.name, u) }, this.path);
    } catch (e) {
      explain(e, { op: 'set', pool: this.name, path: this.path });
    }
    return this.params();
  }

  /** PROP_GET for this pool: parameters, devices, usage, media classes. */
  props(): PoolProps {
    const listv = Buffer.alloc(MpiocProp.size);
    const out = ioctlStruct(
      this.fd,
      IOCTLS.MPIOC_PROP_GET,
      MpiocList,
      { ls_cmd: MpiocListCmd.MPIOC_LIST_CMD_PROP_GET, ls_listc: 1, ls_listv: sys.addressOf(listv) },
      this.path,
    );
    if (out.ls_listc < 1) throw new MpoolError({ errno: ENOENT, op: 'get', path: this.path, detail: 'the kernel returned no properties' });
    return fromProp(MpiocProp.decode(viewOf(listv), 0));
  }

  /** PROP_SET: parameters and per-class spare percent. */
  setProps(req: SetPropsRequest): PoolProps {
    const bad = updateProblem(req.params ?? {});
    if (bad) throw new MpoolError({ errno: EINVAL, op: 'set', path: this.path, detail: bad });
    const spares = req.driveSpares ?? {};
    for (const [k, v] of Object.entries(spares)) {
      if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > SPARE_PCT_MAX)) {
        throw new MpoolError({ errno: EINVAL, op: 'set', path: this.path, detail: `${k} spare percent ${v} is out of range 0..100` });
      }
    }
    const prop = MpiocProp.zero();
    prop.pr_xprops.ppx_params = toMpoolParams(this.name, req.params ?? {});
    // The kernel takes the spares from ppx_drive_spares (over the params' own).
    prop.pr_xprops.ppx_drive_spares = Uint8Array.from([
      spares.staging ?? req.params?.spareStaging ?? MPOOL_SPARES_INVALID,
      spares.capacity ?? req.params?.spareCapacity ?? MPOOL_SPARES_INVALID,
    ]);
    prop.pr_xprops.ppx_pd_mclassv = [MP_MED_INVALID, MP_MED_INVALID];
    const listv = Buffer.alloc(MpiocProp.size);
    MpiocProp.encode(viewOf(listv), 0, prop);
    try {
      ioctlStruct(this.fd, IOCTLS.MPIOC_PROP_SET, MpiocList, { ls_cmd: 0, ls_listc: 1, ls_listv: sys.addressOf(listv) }, this.path);
    } catch (e) {
      explain(e, { op: 'set', pool: this.name, path: this.path });
    }
    return this.props();
  }

  /** DEVPROPS_GET for one device, by kernel name ("vdb") or /dev path. */
  deviceProps(device: string): DeviceProps {
    const name = device.replace(/^.*\//, '');
    const out = ioctlStruct(
      this.fd,
      IOCTLS.MPIOC_DEVPROPS_GET,
      MpiocDevprops,
      { ...MpiocDevprops.zero(), dpr_pdname: name },
      this.path,
    );
    return fromDevprops(name, out.dpr_devprops);
  }

  /** MP_MCLASS_GET: the media classes present (count first, then the records). */
  mediaClasses(): MediaClassInfo[] {
    const count = ioctlStruct(this.fd, IOCTLS.MPIOC_MP_MCLASS_GET, MpiocMclass, MpiocMclass.zero(), this.path).mcl_cnt;
    if (count === 0) return [];
    const buf = Buffer.alloc(count * MpoolMclassXprops.size);
    const out = ioctlStruct(
      this.fd,
      IOCTLS.MPIOC_MP_MCLASS_GET,
      MpiocMclass,
      { mcl_xprops: sys.addressOf(buf), mcl_cnt: count, mcl_rsvd1: 0 },
      this.path,
    );
    const n = Math.min(out.mcl_cnt, count);
    const dv = viewOf(buf);
    return Array.from({ length: n }, (_, i) => fromMclass(MpoolMclassXprops.decode(dv, i * MpoolMclassXprops.size)));
  }

  /** DRV_SPARES: the spare percent of a media class, set through its device. */
  setSpares(mclass: MediaClass, percent: number): void {
    if (!Number.isInteger(percent) || percent < 0 || percent > SPARE_PCT_MAX) {
      throw new MpoolError({ errno: EINVAL, op: 'spares', path: this.path, detail: `spare percent ${percent} is out of range 0..100` });
    }
    const props = this.props();
    const dev = props.devices.find((d) => d.mclass === mclass);
    if (!dev) throw new MpoolError({ errno: ENOENT, op: 'spares', path: this.path, detail: `pool "${this.name}" has no ${mclass} device` });
    // The device only names the class: no pd_prop (the kernel reads none for DRV_SPARES).
    const paths = encodeDevicePaths([dev.path]);
    try {
      ioctlStruct(
        this.fd,
        IOCTLS.MPIOC_DRV_SPARES,
        MpiocDrive,
        {
          drv_flags: 0,
          drv_rsvd1: percent,
          drv_dpathc: 1,
          drv_dpathssz: paths.length,
          drv_pd_prop: 0n,
          drv_dpaths: sys.addressOf(paths),
        },
        this.path,
      );
    } catch (e) {
      explain(e, { op: 'spares', pool: this.name, device: dev.path, path: this.path });
    }
  }

  /** Why DRV_ADD of `path` was EEXIST: a staging device already, or one of the pool's own. */
  #existDetail(path: string): string {
    const devices = this.props().devices;
    const staging = devices.find((d) => d.mclass === 'staging');
    if (staging) return `pool "${this.name}" already has a staging device (${staging.path})`;
    return `${path} is already a device of pool "${this.name}" (under this or another name: ${devices.map((d) => d.path).join(', ')})`;
  }

  /** DRV_ADD: add a staging device. */
  addDevice(device: string, opts: AddDeviceOptions = {}): void {
    const zonePages = zonePagesOrThrow(opts.mblockSize ?? MPOOL_MBSIZE_MB_DEFAULT, 'add', device);
    const { measurement, prop } = devicePdProp(device, { mclass: 'staging', zonePages });
    const path = measurement.path;
    const paths = encodeDevicePaths([path]);
    const pdv = encodePdProps([prop]);
    const force = opts.force ?? false;
    try {
      ioctlStruct(
        this.fd,
        IOCTLS.MPIOC_DRV_ADD,
        MpiocDrive,
        {
          drv_flags: force ? 1 << MpMgmtFlags.MP_FLAGS_FORCE : 0,
          drv_rsvd1: 0,
          drv_dpathc: 1,
          drv_dpathssz: paths.length,
          drv_pd_prop: sys.addressOf(pdv),
          drv_dpaths: sys.addressOf(paths),
        },
        this.path,
      );
    } catch (e) {
      const code = (e as { code?: string }).code;
      explain(e, {
        op: 'add',
        pool: this.name,
        device: path,
        busyDetail: code === 'EBUSY' ? busyDetail(path, force) : undefined,
        existDetail: code === 'EEXIST' ? this.#existDetail(path) : undefined,
      });
    }
  }
}

export function zonePagesOrThrow(mib: number, op: string, path?: string): number {
  try {
    return zonePagesForMiB(mib);
  } catch (e) {
    throw new MpoolError({ errno: EINVAL, op, path, detail: e instanceof Error ? e.message : String(e), cause: e });
  }
}

/** Open, run, close. */
export function withPool<T>(name: string, opts: PoolOpenOptions, fn: (p: Pool) => T): T {
  const pool = Pool.open(name, opts);
  try {
    return fn(pool);
  } finally {
    pool.close();
  }
}
