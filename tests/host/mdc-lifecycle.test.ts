/** MDC alloc/commit/delete/abort: upstream's order of mlog operations and its rollbacks. */
import { describe, expect, it } from 'vitest';
import { abortMdc, allocMdc, commitMdc, deleteMdc, type MlogObjectOps } from '../../userland/src/mdc/lifecycle.js';
import { MpoolError } from '../../userland/src/sys/errors.js';
import { errorOf } from '../expect-error.js';

/** Records calls; `fail` names calls ("commit 2") that throw EIO. */
function ops(fail: string[] = []): MlogObjectOps & { calls: string[] } {
  let next = 1n;
  const calls: string[] = [];
  const run = (what: string): void => {
    calls.push(what);
    if (fail.includes(what)) throw new MpoolError({ errno: 5, op: what });
  };
  return {
    calls,
    alloc() {
      const id = next++;
      run(`alloc ${id}`);
      return id;
    },
    commit: (id) => run(`commit ${id}`),
    abort: (id) => run(`abort ${id}`),
    delete: (id) => run(`delete ${id}`),
  };
}

describe('mdc lifecycle', () => {
  it('allocates and commits both mlogs in order', () => {
    const o = ops();
    const ids = allocMdc(o);
    expect(ids).toEqual([1n, 2n]);
    commitMdc(o, ids);
    deleteMdc(o, ids);
    expect(o.calls).toEqual(['alloc 1', 'alloc 2', 'commit 1', 'commit 2', 'delete 1', 'delete 2']);
  });

  it('a failed second alloc aborts the first', () => {
    const o = ops(['alloc 2']);
    expect(errorOf(() => allocMdc(o)).op).toBe('alloc 2');
    expect(o.calls).toEqual(['alloc 1', 'alloc 2', 'abort 1']);
  });

  it('a failed first commit aborts both', () => {
    const o = ops(['commit 1']);
    expect(errorOf(() => commitMdc(o, [1n, 2n])).op).toBe('commit 1');
    expect(o.calls).toEqual(['commit 1', 'abort 1', 'abort 2']);
  });

  it('a failed second commit deletes the first and aborts the second', () => {
    const o = ops(['commit 2', 'delete 1']);
    expect(errorOf(() => commitMdc(o, [1n, 2n])).op).toBe('commit 2');
    expect(o.calls).toEqual(['commit 1', 'commit 2', 'delete 1', 'abort 2']);
  });

  it('delete and abort try both and report the last failure', () => {
    const o = ops(['delete 1', 'delete 2']);
    expect(errorOf(() => deleteMdc(o, [1n, 2n])).op).toBe('delete 2');
    expect(o.calls).toEqual(['delete 1', 'abort 1', 'delete 2', 'abort 2']);
    const a = ops(['abort 1']);
    expect(errorOf(() => abortMdc(a, [1n, 2n])).op).toBe('abort 1');
    expect(a.calls).toEqual(['abort 1', 'abort 2']);
  });
});
