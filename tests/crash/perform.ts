/**
 * Performing a workload's operations on a pool, one at a time, with the
 * ioctls the crash contract is about (tests/crash/workload.ts): shared by
 * the dm-log-writes runner and the hard power cuts.
 */
import { openErasedMlog, openMlog } from '../../userland/src/lib/mlog-open.js';
import type { Pool } from '../../userland/src/lib/pool.js';
import type { Mlog } from '../../userland/src/mlog/framing.js';
import { Mblocks } from './mblocks.js';
import { mblockData, MLOG_CAPACITY, mlogRecord, type Op } from './workload.js';

export class Performer {
  /** Workload mblock id -> object id, once its alloc returned. */
  readonly objids = new Map<string, bigint>();
  /** Workload mlog id -> object id. */
  readonly mlogIds = new Map<string, bigint>();
  readonly #pool: Pool;
  readonly #mb: Mblocks;
  readonly #logs = new Map<string, Mlog>();

  constructor(pool: Pool) {
    this.#pool = pool;
    this.#mb = new Mblocks(pool.fd, pool.path);
  }

  #log(name: string): Mlog {
    const l = this.#logs.get(name);
    if (l === undefined) throw new Error(`workload uses mlog ${name} before creating it`);
    return l;
  }

  /**
   * One operation, done when this returns. `allocated` hears the id an
   * alloc returned before the rest of the operation goes on.
   */
  perform(op: Op, allocated: (id: bigint) => void = () => undefined): void {
    switch (op.kind) {
      case 'commit':
      case 'nocommit':
      case 'abort': {
        const id = this.#mb.alloc().objid;
        this.objids.set(op.obj, id);
        allocated(id);
        if (op.kind === 'abort') {
          this.#mb.abort(id);
          break;
        }
        this.#mb.write(id, mblockData(op.seed, op.bytes));
        if (op.kind === 'commit') this.#mb.commit(id);
        break;
      }
      case 'delete':
        this.#mb.delete(this.objids.get(op.obj)!);
        break;
      case 'params':
        this.#pool.setParams(op.params);
        break;
      case 'mlcreate': {
        const { id } = this.#pool.mlogs.alloc({ capacity: MLOG_CAPACITY });
        this.mlogIds.set(op.log, id);
        allocated(id);
        this.#pool.mlogs.commit(id);
        this.#logs.set(op.log, openMlog(this.#pool, id));
        break;
      }
      case 'mlappend':
        // Durable when this returns: the contract under test.
        this.#log(op.log).append(mlogRecord(op.seed, op.bytes), true);
        break;
      case 'mlerase': {
        const id = this.mlogIds.get(op.log)!;
        this.#log(op.log).close();
        this.#pool.mlogs.erase(id);
        this.#logs.set(op.log, openErasedMlog(this.#pool, id));
        break;
      }
    }
  }

  /** Close the mlogs it opened (the pool stays open). */
  close(): void {
    for (const l of this.#logs.values()) l.close();
    this.#logs.clear();
  }
}
