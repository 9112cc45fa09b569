/**
 * Pool management through /dev/mpoolctl: create, add a staging device,
 * activate, deactivate, destroy, rename, list and scan. Inactive pools are
 * found by their superblocks (scan.ts); active ones by the kernel's list.
 */
import { MPC_DEV_CTLPATH, MpMgmtFlags, MPOOL_MBSIZE_MB_DEFAULT } from '../gen/constants.js';
import { IOCTLS } from '../gen/ioctl.js';
import { MpiocMpool, type MpiocMpool as MpiocMpoolValue, type PdProp } from '../gen/structs.js';
import { isMpoolError, MpoolError } from '../sys/errors.js';
import * as sys from '../sys/libc.js';
import { ioctlStruct } from '../uapi/ioctl.js';
import { Control, type PoolSummary } from './control.js';
import { devicePdProp, encodeDevicePaths, encodePdProps, type MediaClass } from './device.js';
import { explain, type ExplainContext } from './explain.js';
import { canonicalUuid, checkPoolName, checkPoolRef, looksLikeUuid } from './names.js';
import { busyDetail, Pool, poolNodePath, zonePagesOrThrow } from './pool.js';
import { fromMpoolParams, toCreateParams, toMpoolParams, updateProblem, type PoolCreateParams, type PoolParams, type PoolParamsUpdate } from './params.js';
import type { PoolProps } from './props.js';
import { readReaper, REAPER_KNOBS, reaperProblem, setReaper, type ReaperKnobs, type ReaperUpdate } from './reaper.js';
import { SYSFS_ROOT } from './sysfs.js';
import { readPoolStats, readStats, type PoolStats, type StatsSnapshot } from './stats.js';
import { blockDevicePaths, readDevice, scanDevices, type ActiveRef, type ScannedPool, type ScanResult } from './scan.js';
import { EINVAL, ENOENT, ENXIO } from './errno.js';

export interface PoolsOptions {
  /** Control node; default /dev/mpoolctl. */
  ctlPath?: string;
  /** Told what is being done, step by step (the CLI's -v). */
  log?: (message: string) => void;
  /** Devices scan() and the by-name lookups read; default every block device in /proc/partitions. */
  scanPaths?: () => string[];
  /** The module's sysfs class directory (stats, reaper knobs); default /sys/class/mpool. */
  sysfsRoot?: string;
}

export interface CreateOptions extends PoolCreateParams {
  /** Overwrite a device that already holds an mpool superblock. */
  force?: boolean;
  /** A staging device, added right after the create (the pool is destroyed if that fails). */
  stagingDevice?: string;
}

export interface ActivateOptions extends PoolParamsUpdate {
  /** Activate even with a device missing. */
  force?: boolean;
  /** The pool's devices; default: found by scanning. */
  devices?: string[];
}

export interface DestroyOptions {
  /** Tear down an active pool even if it is open. */
  force?: boolean;
  /** The pool's devices; default: from the kernel (active) or a scan (inactive). */
  devices?: string[];
}

export interface RenameOptions {
  force?: boolean;
  devices?: string[];
}

export interface ScanOptions {
  activate?: boolean;
  deactivate?: boolean;
  /** Read these paths instead of every block device. */
  paths?: string[];
}

export interface ScanAction {
  name: string;
  uuid: string;
  action: 'activate' | 'deactivate';
  ok: boolean;
  error?: string;
}

export interface PoolsScanResult extends ScanResult {
  actions: ScanAction[];
  /** Pools active when the scan ended (with --activate/--deactivate). */
  activeCount: number;
}

/** A pool's device as handed to the kernel. */
interface Member {
  path: string;
  mclass: MediaClass;
  zonePages: number;
}

export interface DestroyResult {
  name: string;
  uuid: string;
  devices: string[];
}

export interface RenameResult {
  oldName: string;
  name: string;
  uuid: string;
}

function flagsOf(force: boolean | undefined): number {
  return force ? 1 << MpMgmtFlags.MP_FLAGS_FORCE : 0;
}

export class Pools {
  readonly ctlPath: string;
  readonly #log: (message: string) => void;
  readonly #scanPaths: () => string[];
  readonly sysfsRoot: string;

  constructor(opts: PoolsOptions = {}) {
    this.ctlPath = opts.ctlPath ?? MPC_DEV_CTLPATH;
    this.sysfsRoot = opts.sysfsRoot ?? SYSFS_ROOT;
    this.#log = opts.log ?? (() => undefined);
    this.#scanPaths = opts.scanPaths ?? (() => blockDevicePaths());
  }

  #withCtl<T>(write: boolean, fn: (ctl: Control) => T): T {
    const ctl = Control.open({ write, path: this.ctlPath });
    try {
      return fn(ctl);
    } finally {
      ctl.close();
    }
  }

  /** Issue a lifecycle command on the control node with the pool's devices. */
  #lifecycle(
    cmd: (typeof IOCTLS)[
      | 'MPIOC_MP_CREATE'
      | 'MPIOC_MP_ACTIVATE'
      | 'MPIOC_MP_DEACTIVATE'
      | 'MPIOC_MP_DESTROY'
      | 'MPIOC_MP_RENAME'],
    arg: Pick<MpiocMpoolValue, 'mp_params' | 'mp_flags'>,
    members: readonly { path: string; prop: PdProp }[],
    ctx: ExplainContext,
  ): MpiocMpoolValue {
    const paths = members.length > 0 ? encodeDevicePaths(members.map((m) => m.path)) : Buffer.alloc(0);
    const pdv = encodePdProps(members.map((m) => m.prop));
    const value: MpiocMpoolValue = {
      ...MpiocMpool.zero(),
      ...arg,
      mp_dpathc: members.length,
      mp_dpathssz: paths.length,
      mp_dpaths: sys.addressOf(paths),
      mp_pd_prop: sys.addressOf(pdv),
    };
    try {
      return this.#withCtl(true, (ctl) => ioctlStruct(ctl.fd, cmd, MpiocMpool, value, ctl.path));
    } catch (e) {
      // Name the device for create, the pool's node for the rest.
      return explain(e, { path: ctx.op === 'create' ? ctx.device : poolNodePath(ctx.pool), ...ctx });
    }
  }

  #measure(members: readonly Member[]): { path: string; prop: PdProp }[] {
    return members.map((m) => {
      this.#log(`measuring ${m.path} (${m.mclass}, ${(m.zonePages * 4096) / (1 << 20)} MiB zones)`);
      const { prop } = devicePdProp(m.path, { mclass: m.mclass, zonePages: m.zonePages });
      return { path: m.path, prop };
    });
  }

  /** Create a pool on one device (and optionally add a staging device); it is active on return. */
  create(name: string, device: string, opts: CreateOptions = {}): PoolParams {
    checkPoolName(name, 'create');
    const bad = updateProblem(opts);
    if (bad) throw new MpoolError({ errno: EINVAL, op: 'create', detail: bad });
    if (opts.stagingMblockSize !== undefined && opts.stagingDevice === undefined) {
      throw new MpoolError({ errno: EINVAL, op: 'create', detail: 'a staging mblock size needs a staging device' });
    }
    const capMiB = opts.mblockSize ?? MPOOL_MBSIZE_MB_DEFAULT;
    const zonePages = zonePagesOrThrow(capMiB, 'create', device);
    // Measure both devices first: a missing staging device fails before anything is made.
    const [member] = this.#measure([{ path: device, mclass: 'capacity', zonePages }]);
    if (opts.stagingDevice !== undefined) {
      const stgPages = zonePagesOrThrow(opts.stagingMblockSize ?? MPOOL_MBSIZE_MB_DEFAULT, 'create', opts.stagingDevice);
      devicePdProp(opts.stagingDevice, { mclass: 'staging', zonePages: stgPages });
    }
    this.#log(`creating pool ${name} on ${device}${opts.force ? ' (force)' : ''}`);
    let out: MpiocMpoolValue;
    try {
      out = this.#lifecycle(
        IOCTLS.MPIOC_MP_CREATE,
        { mp_params: toCreateParams(name, opts, capMiB, 0), mp_flags: flagsOf(opts.force) },
        [member!],
        { op: 'create', pool: name, device },
      );
    } catch (e) {
      if (isMpoolError(e, 'EBUSY')) {
        throw new MpoolError({ errno: e.errno, op: 'create', path: device, detail: busyDetail(device, opts.force ?? false), cause: e });
      }
      throw e;
    }
    const params = fromMpoolParams(out.mp_params);
    if (opts.stagingDevice === undefined) return params;
    try {
      return this.add(name, opts.stagingDevice, { mblockSize: opts.stagingMblockSize, force: opts.force });
    } catch (e) {
      this.#log(`adding ${opts.stagingDevice} failed; destroying pool ${name}`);
      try {
        this.destroy(name, { force: true, devices: [device] });
      } catch (e2) {
        this.#log(`destroying pool ${name} failed too: ${e2 instanceof Error ? e2.message : String(e2)}`);
      }
      throw e;
    }
  }

  /** Add a staging device to an active pool. */
  add(name: string, device: string, opts: { mblockSize?: number; force?: boolean } = {}): PoolParams {
    checkPoolName(name, 'add');
    this.#log(`adding ${device} to pool ${name} as its staging device`);
    const pool = Pool.open(name, { write: true });
    try {
      pool.addDevice(device, opts);
      return pool.params();
    } finally {
      pool.close();
    }
  }

  /** Active pools, summarized. */
  list(): PoolSummary[] {
    return this.#withCtl(false, (ctl) => ctl.listPools());
  }

  /** Active pools with their parameters, devices and usage. */
  listProps(): PoolProps[] {
    return this.#withCtl(false, (ctl) => ctl.listPoolProps());
  }

  /** The module's counters (sysfs): the control device's, with the reaper's knobs, and every active pool's. */
  stats(): StatsSnapshot {
    return readStats({ sysfsRoot: this.sysfsRoot });
  }

  /** One active pool's parameters and counters (sysfs), by name; no open of its node. */
  poolStats(name: string): PoolStats {
    return readPoolStats(name, { sysfsRoot: this.sysfsRoot });
  }

  /** The mcache reaper's knobs in force. */
  reaper(): ReaperKnobs {
    return readReaper({ sysfsRoot: this.sysfsRoot });
  }

  /** Set reaper knobs (root), range-checked before any write; returns the knobs in force. */
  setReaper(u: ReaperUpdate): ReaperKnobs {
    const set = (Object.keys(REAPER_KNOBS) as (keyof ReaperUpdate)[]).filter((k) => u[k] !== undefined);
    // Out of range: setReaper refuses it before any write; nothing to say it does.
    if (reaperProblem(u) === null) this.#log(`setting ${set.map((k) => `${REAPER_KNOBS[k].file}=${String(u[k])}`).join(' ') || 'no reaper knob'}`);
    return setReaper(u, { sysfsRoot: this.sysfsRoot });
  }

  /** Active pools as name/uuid pairs; none when the module is not loaded. */
  #active(): ActiveRef[] {
    try {
      return this.list().map((p) => ({ name: p.name, uuid: p.uuid }));
    } catch (e) {
      if (isMpoolError(e, 'ENOENT')) return [];
      throw e;
    }
  }

  /** Read superblocks: every pool on the given (or every) device, active or not. */
  scanPools(paths?: readonly string[]): ScanResult {
    const list = paths ?? this.#scanPaths();
    this.#log(`reading superblocks on ${list.length} device(s)`);
    return scanDevices(list, this.#active());
  }

  /** The one pool on disk named (or with the uuid) `ref`. */
  find(ref: string, op: ExplainContext['op'], paths?: readonly string[]): ScannedPool {
    const found = this.scanPools(paths).pools.filter((p) => matches(p, ref));
    if (found.length === 0) {
      throw new MpoolError({ errno: ENOENT, op, detail: `no pool ${looksLikeUuid(ref) ? 'with uuid' : 'named'} "${ref}" found on any device` });
    }
    if (found.length > 1) {
      throw new MpoolError({
        errno: EINVAL,
        op,
        detail: `${found.length} pools are named "${ref}" (${found.map((p) => p.uuid).join(', ')}); use the uuid`,
      });
    }
    return found[0]!;
  }

  /** Members of a pool from explicit paths: each device's superblock gives its class and zone size. */
  #membersOf(paths: readonly string[]): Member[] {
    return paths.map((path, i) => {
      const r = readDevice(path);
      if (r.kind === 'pool') return { path, mclass: r.device.mclass, zonePages: r.device.zonePages };
      // Unreadable superblocks: describe the device plainly and let the kernel judge.
      return { path, mclass: i === 0 ? 'capacity' : 'staging', zonePages: zonePagesOrThrow(MPOOL_MBSIZE_MB_DEFAULT, 'activate') };
    });
  }

  #resolveInactive(ref: string, op: ExplainContext['op'], devices?: string[]): { name: string; uuid: string; members: Member[] } {
    if (devices && devices.length > 0) {
      const members = this.#membersOf(devices);
      const first = readDevice(devices[0]!);
      const name = looksLikeUuid(ref) ? (first.kind === 'pool' ? first.device.sb.poolName : '') : ref;
      const uuid = first.kind === 'pool' ? first.device.sb.poolUuid : looksLikeUuid(ref) ? canonicalUuid(ref) : '';
      if (name === '') throw new MpoolError({ errno: EINVAL, op, detail: `cannot tell the name of pool ${ref} from ${devices.join(', ')}` });
      return { name, uuid, members };
    }
    const pool = this.find(ref, op);
    return {
      name: pool.name,
      uuid: pool.uuid,
      members: pool.devices.map((d) => ({ path: d.path, mclass: d.mclass, zonePages: d.zonePages })),
    };
  }

  /** Activate an inactive pool by name or uuid (idempotent for an active one). */
  activate(ref: string, opts: ActivateOptions = {}): PoolParams {
    if (!looksLikeUuid(ref)) checkPoolName(ref, 'activate');
    const bad = updateProblem(opts);
    if (bad) throw new MpoolError({ errno: EINVAL, op: 'activate', detail: bad });
    const { name, members } = this.#resolveInactive(ref, 'activate', opts.devices);
    const props = this.#measure(members);
    this.#log(`activating pool ${name} on ${members.map((m) => m.path).join(', ')}${opts.force ? ' (force)' : ''}`);
    const { devices: _d, force, ...update } = opts;
    const out = this.#lifecycle(
      IOCTLS.MPIOC_MP_ACTIVATE,
      { mp_params: toMpoolParams(name, update), mp_flags: flagsOf(force) },
      props,
      { op: 'activate', pool: name, devices: members.map((m) => m.path) },
    );
    return fromMpoolParams(out.mp_params);
  }

  /** The active pool named (or with the uuid) `ref`, or undefined. */
  activeProps(ref: string): PoolProps | undefined {
    let all: PoolProps[];
    try {
      all = this.listProps();
    } catch (e) {
      if (isMpoolError(e, 'ENOENT')) return undefined;
      throw e;
    }
    return all.find((p) => p.params.name === ref || (looksLikeUuid(ref) && p.params.uuid === canonicalUuid(ref)));
  }

  /** Deactivate an active pool, by name or uuid. */
  deactivate(ref: string): { name: string; uuid: string } {
    if (!looksLikeUuid(ref)) checkPoolRef(ref, 'deactivate');
    const p = this.activeProps(ref);
    if (!p && looksLikeUuid(ref)) {
      throw new MpoolError({ errno: ENXIO, op: 'deactivate', path: this.ctlPath, detail: `no active pool with uuid ${ref}` });
    }
    // An unknown name still goes to the kernel, whose answer (ENXIO) is the one to give.
    const name = p?.params.name ?? ref;
    const uuid = p?.params.uuid ?? '';
    this.#log(`deactivating pool ${name}`);
    this.#lifecycle(IOCTLS.MPIOC_MP_DEACTIVATE, { mp_params: toMpoolParams(name), mp_flags: 0 }, [], { op: 'deactivate', pool: name });
    return { name, uuid };
  }

  /** Destroy a pool, active or not: deactivate it, then erase its superblocks. */
  destroy(ref: string, opts: DestroyOptions = {}): DestroyResult {
    if (!looksLikeUuid(ref)) checkPoolRef(ref, 'destroy');
    let name: string;
    let uuid: string;
    let members: Member[];
    const active = opts.devices ? undefined : this.activeProps(ref);
    if (active) {
      name = active.params.name;
      uuid = active.params.uuid;
      members = active.devices.map((d) => {
        const mib = d.mclass === 'staging' ? active.params.mblockSize.staging : active.params.mblockSize.capacity;
        return { path: d.path, mclass: d.mclass, zonePages: zonePagesOrThrow(mib || MPOOL_MBSIZE_MB_DEFAULT, 'destroy', d.path) };
      });
    } else {
      ({ name, uuid, members } = this.#resolveInactive(ref, 'destroy', opts.devices));
    }
    const props = this.#measure(members);
    this.#log(`destroying pool ${name}${active ? ' (active)' : ''}${opts.force ? ' (force)' : ''}`);
    this.#lifecycle(
      IOCTLS.MPIOC_MP_DESTROY,
      { mp_params: toMpoolParams(name), mp_flags: flagsOf(opts.force) },
      props,
      { op: 'destroy', pool: name, devices: members.map((m) => m.path) },
    );
    return { name, uuid, devices: members.map((m) => m.path) };
  }

  /** Rename an inactive pool (by name or uuid). */
  rename(ref: string, newName: string, opts: RenameOptions = {}): RenameResult {
    if (!looksLikeUuid(ref)) checkPoolName(ref, 'rename');
    checkPoolName(newName, 'rename');
    const { name, uuid, members } = this.#resolveInactive(ref, 'rename', opts.devices);
    const props = this.#measure(members);
    this.#log(`renaming pool ${name} to ${newName}`);
    this.#lifecycle(
      IOCTLS.MPIOC_MP_RENAME,
      { mp_params: toMpoolParams(newName), mp_flags: flagsOf(opts.force) },
      props,
      { op: 'rename', pool: name, newName, devices: members.map((m) => m.path) },
    );
    return { oldName: name, name: newName, uuid };
  }

  /** Scan, and optionally activate every inactive pool found, or deactivate every active one. */
  scan(opts: ScanOptions = {}): PoolsScanResult {
    if (opts.activate && opts.deactivate) {
      throw new MpoolError({ errno: EINVAL, op: 'scan', detail: 'activate and deactivate are exclusive' });
    }
    const result = this.scanPools(opts.paths);
    const actions: ScanAction[] = [];
    for (const p of result.pools) {
      const action = opts.activate && !p.active ? 'activate' : opts.deactivate && p.active ? 'deactivate' : null;
      if (!action) continue;
      try {
        if (action === 'activate') {
          this.activate(p.uuid, { devices: p.devices.map((d) => d.path) });
        } else {
          this.deactivate(p.name);
        }
        p.active = action === 'activate';
        actions.push({ name: p.name, uuid: p.uuid, action, ok: true });
      } catch (e) {
        if (!isMpoolError(e)) throw e;
        actions.push({ name: p.name, uuid: p.uuid, action, ok: false, error: e.message });
      }
    }
    const activeCount = opts.activate || opts.deactivate ? this.#active().length : result.pools.filter((p) => p.active).length;
    return { ...result, actions, activeCount };
  }
}

function matches(p: ScannedPool, ref: string): boolean {
  return looksLikeUuid(ref) ? p.uuid === canonicalUuid(ref) : p.name === ref;
}
