/**
 * The power-cut workloads and the contract's expectations at a crash point
 * (tests/crash/workload.ts), without a kernel.
 */
import { describe, expect, it } from 'vitest';
import {
  deBruijn,
  expectationAt,
  INITIAL_PARAMS,
  judge,
  mblockData,
  OP_KINDS,
  randomWorkload,
  sequencesWorkload,
  type Op,
} from '../crash/workload.js';

const sha = (op: Op & { kind: 'commit' }): string => `sha-${op.obj}`;

const OPS: Op[] = [
  { kind: 'commit', obj: 'm0', bytes: 4096, seed: 1 },
  { kind: 'nocommit', obj: 'm1', bytes: 4096, seed: 2 },
  { kind: 'params', params: { label: 'p1', readaheadPages: 1, mode: 0o640 } },
  { kind: 'abort', obj: 'm2' },
  { kind: 'commit', obj: 'm3', bytes: 8192, seed: 4 },
  { kind: 'delete', obj: 'm0' },
];

describe('expectations at a crash point', () => {
  it('before the create returned: nothing must be there', () => {
    const e = expectationAt(OPS, -1, sha);
    expect([...e.mustHave]).toEqual([]);
    expect([...e.mayHave]).toEqual([]);
    expect([...e.mustNotHave].sort()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(e.params).toEqual([INITIAL_PARAMS]);
  });

  it('an in-flight commit may or may not be there; later objects must not', () => {
    const e = expectationAt(OPS, 0, sha);
    expect([...e.mayHave]).toEqual([['m0', 'sha-m0']]);
    expect([...e.mustNotHave].sort()).toEqual(['m1', 'm2', 'm3']);
    expect(e.inFlight?.kind).toBe('commit');
  });

  it('an in-flight PARAMS_SET allows the old and the new values', () => {
    const e = expectationAt(OPS, 2, sha);
    expect(e.params).toEqual([INITIAL_PARAMS, { label: 'p1', readaheadPages: 1, mode: 0o640 }]);
    expect([...e.mustHave]).toEqual([['m0', 'sha-m0']]);
  });

  it('an in-flight delete may have happened; once acknowledged it must have', () => {
    const during = expectationAt(OPS, 5, sha);
    expect([...during.mayHave]).toEqual([['m0', 'sha-m0']]);
    expect([...during.mustHave]).toEqual([['m3', 'sha-m3']]);
    const after = expectationAt(OPS, 6, sha);
    expect(after.mustNotHave.has('m0')).toBe(true);
    expect(after.inFlight).toBeUndefined();
    expect(after.params[0]!.label).toBe('p1');
  });

  it('judge names every breach', () => {
    const e = expectationAt(OPS, 5, sha);
    const ok = { present: new Map([['m3', 'sha-m3']]), params: e.params[0]! };
    expect(judge(e, ok)).toEqual([]);
    expect(judge(e, { ...ok, present: new Map([['m3', 'sha-m3'], ['m0', 'sha-m0']]) })).toEqual([]);
    const bad = judge(e, { present: new Map([['m3', 'other'], ['m1', 'x'], ['m0', 'y']]), params: INITIAL_PARAMS });
    expect(bad).toHaveLength(4);
    expect(bad.join('\n')).toMatch(/committed m3 has the wrong contents/);
    expect(bad.join('\n')).toMatch(/in-flight m0 is present with the wrong contents/);
    expect(bad.join('\n')).toMatch(/m1 is present but was never committed/);
    expect(bad.join('\n')).toMatch(/params/);
    expect(judge(e, { present: new Map(), params: e.params[0]! })).toEqual(['committed m3 is missing']);
  });
});

describe('workloads', () => {
  it('De Bruijn sequences hold every word once', () => {
    for (const [k, n] of [
      [5, 2],
      [5, 3],
      [2, 4],
    ] as const) {
      const s = deBruijn(k, n);
      expect(s).toHaveLength(k ** n);
      const words = new Set<string>();
      for (let i = 0; i < s.length; i++) words.add(Array.from({ length: n }, (_, j) => s[(i + j) % s.length]).join(','));
      expect(words.size).toBe(k ** n);
    }
  });

  it('the sequences workload contains every run of kinds, and its deletes are valid', () => {
    for (const len of [2, 3]) {
      const ops = sequencesWorkload(len);
      const kinds = ops.map((o) => o.kind);
      const runs = new Set<string>();
      for (let i = 0; i + len <= kinds.length; i++) runs.add(kinds.slice(i, i + len).join(','));
      expect(runs.size).toBe(OP_KINDS.length ** len);
      expect(() => expectationAt(ops, ops.length, sha)).not.toThrow();
    }
  });

  it('the random workload is deterministic, bounded, with its burst of params', () => {
    const a = randomWorkload(7, 200, { burst: 270, maxLive: 60 });
    expect(randomWorkload(7, 200, { burst: 270, maxLive: 60 })).toEqual(a);
    expect(a.length).toBeGreaterThanOrEqual(470);
    expect(a.filter((o) => o.kind === 'params').length).toBeGreaterThanOrEqual(270);
    const end = expectationAt(a, a.length, sha);
    expect(end.mustHave.size).toBeLessThanOrEqual(61);
  });

  it('mblock data is deterministic per seed and whole pages', () => {
    expect(mblockData(3, 8192).equals(mblockData(3, 8192))).toBe(true);
    expect(mblockData(3, 4096).equals(mblockData(4, 4096))).toBe(false);
  });
});
