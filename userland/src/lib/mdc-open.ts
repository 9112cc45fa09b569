/**
 * MDCs over kernel mlogs: the pair's life (userland/src/mdc/lifecycle.ts)
 * on MLOG_ALLOC/COMMIT/ABORT/DELETE, and the MDC itself
 * (userland/src/mdc/mdc.ts) on two kernelMlogMedia, erased with MLOG_ERASE.
 *
 *   const { id1, id2 } = allocMdc(pool, { capacity: 4 << 20 });
 *   const mdc = openMdc(pool, id1, id2);     // a new pair: CSTART, CEND in log 1
 *   mdc.append(record, true);
 *   mdc.cstart(); ...snapshot...; mdc.cend();
 *   mdc.close();
 *   deleteMdc(pool, id1, id2);
 *
 * openRootMdc(pool) opens the client root MDC the kernel keeps for every
 * pool (mlogs 0x201 and 0x1201, committed at create; PARAMS_GET names them).
 */
import { Mdc, type MdcBacking, type MdcLogIndex } from '../mdc/mdc.js';
import { allocMdc as allocPair, commitMdc, deleteMdc as deletePair, type MlogObjectOps } from '../mdc/lifecycle.js';
import type { MlogMedia } from '../mlog/media.js';
import { MpoolError } from '../sys/errors.js';
import { EINVAL } from './errno.js';
import { kernelMlogMedia, type MlogAllocOptions } from './mlog.js';
import { objectIdHex } from './objects.js';
import type { Pool } from './pool.js';

/** Capacity (bytes, rounded up to whole zones by the kernel), media class and spare use of both mlogs. */
export type MdcAllocOptions = MlogAllocOptions;

/** The object ids of an MDC's two mlogs: upstream's logid1 and logid2. */
export interface MdcIds {
  readonly id1: bigint;
  readonly id2: bigint;
}

/** The kernel's MLOG_* commands as the lifecycle's MlogObjectOps. */
function objectOps(pool: Pool, opts: MdcAllocOptions): MlogObjectOps {
  const ml = pool.mlogs;
  return {
    alloc: () => ml.alloc(opts).id,
    commit: (id) => void ml.commit(id),
    abort: (id) => ml.abort(id),
    delete: (id) => ml.delete(id),
  };
}

/**
 * Allocate and commit the two mlogs of a new MDC (upstream's
 * mpool_mdc_alloc() then mpool_mdc_commit()). On a failure nothing is
 * left behind: an allocated mlog is aborted, a committed one deleted.
 */
export function allocMdc(pool: Pool, opts: MdcAllocOptions = {}): MdcIds {
  const ops = objectOps(pool, opts);
  const ids = allocPair(ops);
  commitMdc(ops, ids);
  return { id1: ids[0], id2: ids[1] };
}

/** Delete both mlogs of an MDC (close it first); the last failure is thrown. */
export function deleteMdc(pool: Pool, id1: bigint, id2: bigint): void {
  deletePair(objectOps(pool, {}), [id1, id2]);
}

/**
 * The backing of an Mdc on two kernel mlogs. After MLOG_ERASE the log's
 * medium is read again from the kernel (uuid, geometry, the new gen).
 */
function kernelBacking(pool: Pool, ids: readonly [bigint, bigint]): MdcBacking {
  const media: [MlogMedia, MlogMedia] = [openMedia(pool, ids[0]), openMedia(pool, ids[1])];
  return {
    get logs(): readonly [MlogMedia, MlogMedia] {
      return media;
    },
    erase(which: MdcLogIndex, minGen: bigint): bigint {
      const gen = pool.mlogs.erase(ids[which], minGen);
      media[which] = kernelMlogMedia(pool, ids[which]);
      if (media[which].gen !== gen) {
        throw new MpoolError({
          errno: EINVAL,
          op: 'mdc erase',
          path: pool.path,
          detail: `mlog ${objectIdHex(ids[which])}: MLOG_ERASE returned generation ${gen}, MLOG_FIND says ${media[which].gen}`,
        });
      }
      return gen;
    },
  };
}

function openMedia(pool: Pool, id: bigint): MlogMedia {
  const media = kernelMlogMedia(pool, id);
  const p = pool.mlogs.find(id);
  if (!p.committed) {
    throw new MpoolError({ errno: EINVAL, op: 'mdc open', path: pool.path, detail: `mlog ${p.idHex} is not committed` });
  }
  return media;
}

/**
 * Open the MDC made of mlogs id1 and id2 (upstream's mpool_mdc_open()):
 * the active log is found, an interrupted compaction rolled back, and a
 * never-used pair started. The pool must be open for writing.
 */
export function openMdc(pool: Pool, id1: bigint, id2: bigint): Mdc {
  if (id1 === id2) {
    throw new MpoolError({ errno: EINVAL, op: 'mdc open', path: pool.path, detail: `both logs are mlog ${objectIdHex(id1)}` });
  }
  return Mdc.open(kernelBacking(pool, [id1, id2]));
}

/** Open the pool's client root MDC, named by its parameters (mp_oidv). */
export function openRootMdc(pool: Pool): Mdc {
  const [id1, id2] = pool.params().rootMdc;
  if (id1 === 0n || id2 === 0n) {
    throw new MpoolError({ errno: EINVAL, op: 'mdc open', path: pool.path, detail: 'the pool parameters name no root MDC' });
  }
  return openMdc(pool, id1, id2);
}
