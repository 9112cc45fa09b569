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
  MLOG_CAPACITY,
  mlogRecord,
  OP_KINDS,
  randomWorkload,
  sequencesWorkload,
  type Op,
} from '../crash/workload.js';

const sha = (op: Op & { kind: 'commit' }): string => `sha-${op.obj}`;

/**
 * A workload's operations are all valid, by a model independent of
 * expectationAt: every delete names an object committed before and not
 * deleted since, and every mlog op a log created before. Returns the
 * objects left live at the end.
 */
function liveAtEnd(ops: readonly Op[]): Map<string, string> {
  const live = new Map<string, string>();
  const logs = new Set<string>();
  for (const [i, op] of ops.entries()) {
    if (op.kind === 'commit') live.set(op.obj, sha(op));
    if (op.kind === 'delete') {
      expect(live.has(op.obj), `op ${i} deletes ${op.obj}`).toBe(true);
      live.delete(op.obj);
    }
    if (op.kind === 'mlcreate') logs.add(op.log);
    if (op.kind === 'mlappend' || op.kind === 'mlerase') expect(logs.has(op.log), `op ${i} uses ${op.log}`).toBe(true);
  }
  return live;
}

/** After the whole workload is acknowledged: exactly the live objects must be there, nothing is in doubt. */
function expectWholeWorkload(ops: readonly Op[]): void {
  const live = liveAtEnd(ops);
  const end = expectationAt(ops, ops.length, sha);
  expect(end.mustHave).toEqual(live);
  expect(end.mayHave.size).toBe(0);
  expect(end.inFlight).toBeUndefined();
}

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

const MLOPS: Op[] = [
  { kind: 'mlcreate', log: 'l0' },
  { kind: 'mlappend', log: 'l0', bytes: 0, seed: 1 },
  { kind: 'mlappend', log: 'l0', bytes: 5000, seed: 2 },
  { kind: 'mlerase', log: 'l0' },
  { kind: 'mlappend', log: 'l0', bytes: 7, seed: 3 },
  { kind: 'mlcreate', log: 'l1' },
];
const rsha = (op: Op & { kind: 'mlappend' }): string => `r${op.seed}`;
const P = INITIAL_PARAMS;

describe('mlog expectations', () => {
  it('an in-flight create may or may not be there, empty at gen 0; a later log must not be', () => {
    const e = expectationAt(MLOPS, 0, sha, rsha);
    expect(e.mlogs.get('l0')).toEqual({ exists: 'may', allowed: [{ gen: 0n, records: [] }] });
    expect(e.mlogs.get('l1')?.exists).toBe('mustNot');
    const base = { present: new Map<string, string>(), params: P };
    expect(judge(e, { ...base, mlogs: new Map() })).toEqual([]);
    expect(judge(e, { ...base, mlogs: new Map([['l0', { gen: 0n, records: [] }]]) })).toEqual([]);
    expect(judge(e, { ...base, mlogs: new Map([['l0', { gen: 0n, records: ['x'] }]]) })).toHaveLength(1);
    expect(judge(e, { ...base, mlogs: new Map([['l1', { gen: 0n, records: [] }]]) })).toEqual(['mlog l1 is present but was not created by then']);
  });

  it('acknowledged sync records must be there and intact; the in-flight one either way, nothing else', () => {
    const e = expectationAt(MLOPS, 2, sha, rsha);
    expect(e.mlogs.get('l0')?.allowed).toEqual([
      { gen: 0n, records: ['r1'] },
      { gen: 0n, records: ['r1', 'r2'] },
    ]);
    const j = (records: string[], gen = 0n): string[] => judge(e, { present: new Map(), params: P, mlogs: new Map([['l0', { gen, records }]]) });
    expect(j(['r1'])).toEqual([]);
    expect(j(['r1', 'r2'])).toEqual([]);
    expect(j([])).toEqual(['mlog l0: acknowledged record 0 of 1 is missing (gen 0)']);
    expect(j(['r1', 'zz'])[0]).toMatch(/record 1 has the wrong contents/);
    expect(j(['r1', 'r2', 'r3'])[0]).toMatch(/holds 3 records/);
    expect(j(['r1'], 1n)[0]).toMatch(/generation 1, want 0/);
    expect(judge(e, { present: new Map(), params: P, mlogs: new Map() })).toEqual(['committed mlog l0 is missing']);
  });

  it('an in-flight erase leaves the old records or an empty log one generation up; after it nothing old', () => {
    const during = expectationAt(MLOPS, 3, sha, rsha);
    expect(during.mlogs.get('l0')?.allowed).toEqual([
      { gen: 0n, records: ['r1', 'r2'] },
      { gen: 1n, records: [] },
    ]);
    const after = expectationAt(MLOPS, 5, sha, rsha);
    expect(after.mlogs.get('l0')?.allowed).toEqual([{ gen: 1n, records: ['r3'] }]);
    const bad = judge(after, { present: new Map(), params: P, mlogs: new Map([['l0', { gen: 1n, records: ['r1', 'r2', 'r3'] }]]) });
    expect(bad[0]).toMatch(/record 0 has the wrong contents/);
    expect(after.mlogs.get('l1')?.exists).toBe('may');
  });

  it('records are deterministic, of any length', () => {
    expect(mlogRecord(5, 7)).toHaveLength(7);
    expect(mlogRecord(5, 0)).toHaveLength(0);
    expect(mlogRecord(5, 4097).subarray(0, 4096).equals(mlogRecord(5, 4096))).toBe(true);
    expect(mlogRecord(5, 64).equals(mlogRecord(6, 64))).toBe(false);
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
      // mlcreate is not in the alphabet: it comes in before the first mlog op.
      const kinds = ops.map((o) => o.kind).filter((k) => k !== 'mlcreate');
      expect(ops.filter((o) => o.kind === 'mlcreate')).toHaveLength(1);
      const runs = new Set<string>();
      for (let i = 0; i + len <= kinds.length; i++) runs.add(kinds.slice(i, i + len).join(','));
      expect(runs.size).toBe(OP_KINDS.length ** len);
      expectWholeWorkload(ops);
    }
  });

  it('the random workload is deterministic, bounded, with its burst of params', () => {
    const a = randomWorkload(7, 200, { burst: 270, maxLive: 60 });
    expect(randomWorkload(7, 200, { burst: 270, maxLive: 60 })).toEqual(a);
    expect(a.length).toBeGreaterThanOrEqual(470);
    expect(a.filter((o) => o.kind === 'params').length).toBeGreaterThanOrEqual(270);
    const end = expectationAt(a, a.length, sha);
    expect(end.mustHave.size).toBeLessThanOrEqual(61);
    expect(a.filter((o) => o.kind === 'mlappend').length).toBeGreaterThan(10);
    expect(a.filter((o) => o.kind === 'mlcreate').length).toBeLessThanOrEqual(3);
  });

  it('mlog appends never fill a log: an erase comes first (estimate: bytes + 8 KiB per record)', () => {
    for (const ops of [randomWorkload(7, 2000, { maxLive: 60 }), sequencesWorkload(3)]) {
      const used = new Map<string, number>();
      for (const op of ops) {
        if (op.kind === 'mlerase' || op.kind === 'mlcreate') used.set(op.log, 0);
        if (op.kind === 'mlappend') {
          const u = used.get(op.log)! + op.bytes + 8192;
          expect(u).toBeLessThan(MLOG_CAPACITY * 0.8);
          used.set(op.log, u);
        }
      }
      expectWholeWorkload(ops);
    }
  });

  it('mblock data is deterministic per seed and whole pages', () => {
    expect(mblockData(3, 8192).equals(mblockData(3, 8192))).toBe(true);
    expect(mblockData(3, 4096).equals(mblockData(4, 4096))).toBe(false);
  });
});
