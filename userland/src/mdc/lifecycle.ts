/**
 * The life of an MDC's two mlogs, in upstream libmpool's order and with its
 * rollbacks (mpool_mdc_alloc/commit/abort/delete). The mlog operations
 * themselves are the kernel's (MPIOC_MLOG_ALLOC, COMMIT, ABORT, DELETE).
 */

export interface MlogObjectOps {
  /** Allocate an uncommitted mlog; returns its object id. */
  alloc(): bigint;
  commit(objid: bigint): void;
  abort(objid: bigint): void;
  delete(objid: bigint): void;
}

export type MdcObjids = readonly [bigint, bigint];

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // A rollback step: the error that caused the rollback is the one reported.
  }
}

/** Allocate both mlogs; if the second fails the first is aborted. */
export function allocMdc(ops: MlogObjectOps): MdcObjids {
  const id1 = ops.alloc();
  try {
    return [id1, ops.alloc()];
  } catch (e) {
    quietly(() => ops.abort(id1));
    throw e;
  }
}

/**
 * Commit both. If the first commit fails both are aborted; if the second
 * fails the first is deleted and the second aborted.
 */
export function commitMdc(ops: MlogObjectOps, [id1, id2]: MdcObjids): void {
  try {
    ops.commit(id1);
  } catch (e) {
    quietly(() => ops.abort(id1));
    quietly(() => ops.abort(id2));
    throw e;
  }
  try {
    ops.commit(id2);
  } catch (e) {
    quietly(() => ops.delete(id1));
    quietly(() => ops.abort(id2));
    throw e;
  }
}

/** Run fn on both ids; rethrow the last failure, as upstream returns the last error. */
function both(ids: MdcObjids, fn: (id: bigint) => void): void {
  let failed = false;
  let last: unknown;
  for (const id of ids) {
    try {
      fn(id);
    } catch (e) {
      failed = true;
      last = e;
    }
  }
  if (failed) throw last;
}

/** Delete both committed mlogs; one that cannot be deleted is aborted instead. */
export function deleteMdc(ops: MlogObjectOps, ids: MdcObjids): void {
  both(ids, (id) => {
    try {
      ops.delete(id);
    } catch (e) {
      quietly(() => ops.abort(id));
      throw e;
    }
  });
}

/** Abort both uncommitted mlogs. */
export function abortMdc(ops: MlogObjectOps, ids: MdcObjids): void {
  both(ids, (id) => ops.abort(id));
}
