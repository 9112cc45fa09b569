/**
 * The control node, /dev/mpoolctl: the list of active pools. Pool
 * management (create, activate, ...) is in pools.ts, on top of this.
 */
import { MPC_DEV_CTLPATH, MpiocListCmd } from '../gen/constants.js';
import { IOCTLS } from '../gen/ioctl.js';
import { MpiocList, MpiocProp, type MpiocProp as Prop } from '../gen/structs.js';
import { isMpoolError, MpoolError } from '../sys/errors.js';
import * as sys from '../sys/libc.js';
import { ioctlStruct } from '../uapi/ioctl.js';
import { viewOf } from '../uapi/runtime.js';
import { fromProp, type PoolProps } from './props.js';
import { formatUuid } from './uuid.js';

export interface PoolSummary {
  name: string;
  uuid: string;
  label: string;
  /** Bytes. */
  total: bigint;
  used: bigint;
  available: bigint;
  /** used / usable, 0..1. */
  capacity: number;
  health: 'optimal' | 'faulted' | 'unknown';
}

export function summarize(p: Prop): PoolSummary {
  const params = p.pr_xprops.ppx_params;
  const u = p.pr_usage;
  const health = params.mp_stat === 1 ? 'optimal' : params.mp_stat === 2 ? 'faulted' : 'unknown';
  return {
    name: params.mp_name,
    uuid: formatUuid(params.mp_poolid),
    label: params.mp_label,
    total: u.mpu_total,
    used: u.mpu_used,
    available: u.mpu_fusable,
    capacity: u.mpu_usable === 0n ? 0 : Number((u.mpu_used * 10000n) / u.mpu_usable) / 10000,
    health,
  };
}

export class Control {
  readonly path: string;
  #fd: number;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /** Open the control node; read-only is enough for listing. */
  static open(opts: { write?: boolean; path?: string } = {}): Control {
    const path = opts.path ?? MPC_DEV_CTLPATH;
    try {
      return new Control(path, sys.open(path, opts.write ? sys.O_RDWR : sys.O_RDONLY));
    } catch (e) {
      if (isMpoolError(e, 'ENOENT')) {
        throw new MpoolError({ errno: e.errno, op: 'open', path, detail: 'no such device node; is the mpool module loaded?', cause: e });
      }
      throw e;
    }
  }

  get fd(): number {
    if (this.#fd < 0) throw new Error(`${this.path} is closed`);
    return this.#fd;
  }

  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    sys.close(fd, this.path);
  }

  /** Every active pool (PROP_GET in list mode). */
  listPools(max = 256): PoolSummary[] {
    return this.#list(max).map(summarize);
  }

  /** Every active pool with its parameters, devices and usage. */
  listPoolProps(max = 256): PoolProps[] {
    return this.#list(max).map(fromProp);
  }

  #list(max: number): Prop[] {
    const listv = Buffer.alloc(max * MpiocProp.size);
    const out = ioctlStruct(
      this.fd,
      IOCTLS.MPIOC_PROP_GET,
      MpiocList,
      { ls_cmd: MpiocListCmd.MPIOC_LIST_CMD_PROP_LIST, ls_listc: max, ls_listv: sys.addressOf(listv) },
      this.path,
    );
    const dv = viewOf(listv);
    const n = Math.min(out.ls_listc, max);
    return Array.from({ length: n }, (_, i) => MpiocProp.decode(dv, i * MpiocProp.size));
  }
}
