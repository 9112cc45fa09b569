/**
 * Power-cut workloads and what the crash contract allows after each prefix.
 *
 * A workload is a list of operations. The runner (tests/crash/runner.ts)
 * performs them one by one on a pool under dm-log-writes and, once an
 * operation has returned, logs a mark "mpool-crash:<n>" (n operations
 * acknowledged; 0 right after the pool's creation). A crash point whose last
 * mark says n is judged by expectationAt(ops, n): everything the first n
 * operations made durable must be there; operation n+1 was in flight, so its
 * effect may or may not be; nothing later may be.
 *
 * To add an object kind (mlogs): a new Op variant, its effect in
 * applyOp()/inFlight(), the ioctls in the runner, the check in the checker.
 */

/** What a workload does, step by step. Ids are the workload's own names for objects ("m3"). */
export type Op =
  /** MB_ALLOC, MB_WRITE of `bytes` (seeded data), MB_COMMIT. */
  | { kind: 'commit'; obj: string; bytes: number; seed: number }
  /** MB_ALLOC and MB_WRITE, never committed (left allocated). */
  | { kind: 'nocommit'; obj: string; bytes: number; seed: number }
  /** MB_ALLOC then MB_ABORT. */
  | { kind: 'abort'; obj: string }
  /** MB_DELETE of a committed, live mblock. */
  | { kind: 'delete'; obj: string }
  /** PARAMS_SET. */
  | { kind: 'params'; params: TrackedParams };

export type OpKind = Op['kind'];
export const OP_KINDS: readonly OpKind[] = ['commit', 'nocommit', 'abort', 'delete', 'params'];

/** The pool parameters the workloads change and the checker compares. */
export interface TrackedParams {
  label: string;
  readaheadPages: number;
  mode: number;
}

export const INITIAL_PARAMS: TrackedParams = { label: 'crash-0', readaheadPages: 0, mode: 0o660 };

/** The state the first n operations leave, as the contract sees it. */
export interface AckState {
  /** Committed and not deleted: workload id -> sha256 of its contents. */
  live: Map<string, string>;
  /** Deleted after their commit. */
  deleted: Set<string>;
  params: TrackedParams;
}

/** What may be on media at a crash point. */
export interface Expectation {
  /** Present, with this content. */
  mustHave: Map<string, string>;
  /** May be present (then with this content) or absent: the in-flight commit or delete. */
  mayHave: Map<string, string>;
  /** Absent (MB_FIND is ENOENT): uncommitted, aborted, deleted, or committed only later. */
  mustNotHave: Set<string>;
  /** Any of these parameter sets (the second one: the in-flight PARAMS_SET). */
  params: TrackedParams[];
  /** Operations acknowledged; -1: the pool's creation was not acknowledged. */
  acked: number;
  /** The operation in flight, if any. */
  inFlight?: Op;
}

/** Deterministic data for an mblock: `bytes` bytes from a seed. */
export function mblockData(seed: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < bytes; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b.writeUInt32LE(x, i);
  }
  return b;
}

export function applyOp(s: AckState, op: Op, sha: (op: Op & { kind: 'commit' }) => string): void {
  switch (op.kind) {
    case 'commit':
      s.live.set(op.obj, sha(op));
      break;
    case 'delete':
      if (!s.live.delete(op.obj)) throw new Error(`workload deletes ${op.obj}, which is not live`);
      s.deleted.add(op.obj);
      break;
    case 'params':
      s.params = { ...op.params };
      break;
    case 'nocommit':
    case 'abort':
      break;
  }
}

/** Every object a workload names. */
export function objectsOf(ops: readonly Op[]): string[] {
  const seen = new Set<string>();
  for (const op of ops) if ('obj' in op) seen.add(op.obj);
  return [...seen];
}

/**
 * What the contract allows after a crash with `acked` operations
 * acknowledged (-1: the create had not returned; then the caller accepts a
 * missing pool, and a pool that is there must be empty).
 */
export function expectationAt(ops: readonly Op[], acked: number, sha: (op: Op & { kind: 'commit' }) => string): Expectation {
  const s: AckState = { live: new Map(), deleted: new Set(), params: { ...INITIAL_PARAMS } };
  for (let i = 0; i < Math.max(0, acked); i++) applyOp(s, ops[i]!, sha);
  const next = acked >= 0 ? ops[acked] : undefined;
  const mustHave = new Map(s.live);
  const mayHave = new Map<string, string>();
  const params = [s.params];
  if (next?.kind === 'commit') mayHave.set(next.obj, sha(next));
  if (next?.kind === 'delete') {
    const h = mustHave.get(next.obj);
    if (h === undefined) throw new Error(`workload deletes ${next.obj}, which is not live`);
    mustHave.delete(next.obj);
    mayHave.set(next.obj, h);
  }
  if (next?.kind === 'params') params.push({ ...next.params });
  const mustNotHave = new Set(objectsOf(ops).filter((o) => !mustHave.has(o) && !mayHave.has(o)));
  const e: Expectation = { mustHave, mayHave, mustNotHave, params, acked };
  if (next) e.inFlight = next;
  return e;
}

const sameParams = (a: TrackedParams, b: TrackedParams): boolean => a.label === b.label && a.readaheadPages === b.readaheadPages && a.mode === b.mode;

/** Every way `obs` breaks `exp`. */
export function judge(exp: Expectation, obs: { present: ReadonlyMap<string, string>; params: TrackedParams }): string[] {
  const out: string[] = [];
  for (const [obj, h] of exp.mustHave) {
    const got = obs.present.get(obj);
    if (got === undefined) out.push(`committed ${obj} is missing`);
    else if (got !== h) out.push(`committed ${obj} has the wrong contents (sha256 ${got.slice(0, 12)}, want ${h.slice(0, 12)})`);
  }
  for (const [obj, h] of exp.mayHave) {
    const got = obs.present.get(obj);
    if (got !== undefined && got !== h) out.push(`in-flight ${obj} is present with the wrong contents (sha256 ${got.slice(0, 12)})`);
  }
  for (const obj of exp.mustNotHave) if (obs.present.has(obj)) out.push(`${obj} is present but was never committed (or was deleted) by then`);
  if (!exp.params.some((p) => sameParams(p, obs.params))) {
    out.push(`params ${JSON.stringify(obs.params)}, want ${exp.params.map((p) => JSON.stringify(p)).join(' or ')}`);
  }
  return out;
}

/** A small, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A De Bruijn sequence B(k, n): every length-n word over 0..k-1 appears once, cyclically. */
export function deBruijn(k: number, n: number): number[] {
  const a = new Array<number>(k * n).fill(0);
  const seq: number[] = [];
  const db = (t: number, p: number): void => {
    if (t > n) {
      if (n % p === 0) for (let i = 1; i <= p; i++) seq.push(a[i]!);
      return;
    }
    a[t] = a[t - p]!;
    db(t + 1, p);
    for (let j = a[t - p]! + 1; j < k; j++) {
      a[t] = j;
      db(t + 1, t);
    }
  };
  db(1, 1);
  return seq;
}

/** Builds a workload, keeping track of which mblocks are live (so that deletes are valid). */
export class WorkloadBuilder {
  readonly ops: Op[] = [];
  #n = 0;
  #live: string[] = [];
  #params: TrackedParams = { ...INITIAL_PARAMS };
  #rand: () => number;

  constructor(seed: number) {
    this.#rand = prng(seed);
  }

  /** 4 KiB to 64 KiB, in pages, some writes larger than one 128 KiB-chunk bio's worth not needed. */
  #bytes(): number {
    return 4096 * (1 + Math.floor(this.#rand() * 16));
  }

  add(kind: OpKind): this {
    const obj = `m${this.#n}`;
    switch (kind) {
      case 'commit':
        this.#n++;
        this.ops.push({ kind, obj, bytes: this.#bytes(), seed: this.#n });
        this.#live.push(obj);
        break;
      case 'nocommit':
        this.#n++;
        this.ops.push({ kind, obj, bytes: this.#bytes(), seed: this.#n });
        break;
      case 'abort':
        this.#n++;
        this.ops.push({ kind, obj });
        break;
      case 'delete': {
        // Deleting needs a live mblock: commit one first if there is none.
        if (this.#live.length === 0) this.add('commit');
        const i = Math.floor(this.#rand() * this.#live.length);
        const [victim] = this.#live.splice(i, 1);
        this.ops.push({ kind, obj: victim! });
        break;
      }
      case 'params': {
        const i = this.ops.filter((o) => o.kind === 'params').length + 1;
        this.#params = { label: `crash-${i}`, readaheadPages: i % 33, mode: i % 2 ? 0o640 : 0o660 };
        this.ops.push({ kind, params: { ...this.#params } });
        break;
      }
    }
    return this;
  }

  get liveCount(): number {
    return this.#live.length;
  }
}

/**
 * Every sequence of `length` operations over the five kinds, as one
 * workload: a De Bruijn sequence of order `length`, so that every crash
 * point sees every combination of `length - 1` acknowledged kinds before an
 * in-flight one. A delete with nothing live is preceded by a commit.
 */
export function sequencesWorkload(length: number, seed = 1): Op[] {
  const b = new WorkloadBuilder(seed);
  b.add('commit'); // something to delete from the start
  const seq = deBruijn(OP_KINDS.length, length);
  // Cyclic: the first length-1 kinds again at the end close every window.
  for (const k of [...seq, ...seq.slice(0, length - 1)]) b.add(OP_KINDS[k]!);
  return b.ops;
}

/**
 * A seeded random workload of `count` operations, then `burst` parameter
 * changes in a row (enough of them force an MDC-0 compaction), then a few
 * more random operations after it. Live mblocks stay under `maxLive`.
 */
export function randomWorkload(seed: number, count: number, opts: { burst?: number; maxLive?: number } = {}): Op[] {
  const b = new WorkloadBuilder(seed);
  const r = prng(seed ^ 0x5eed);
  const maxLive = opts.maxLive ?? 60;
  const weights: [OpKind, number][] = [
    ['commit', 4],
    ['nocommit', 1],
    ['abort', 1],
    ['delete', 2],
    ['params', 2],
  ];
  const total = weights.reduce((n, [, w]) => n + w, 0);
  const pick = (): OpKind => {
    let x = r() * total;
    for (const [k, w] of weights) if ((x -= w) < 0) return k;
    return 'params';
  };
  const randomOps = (n: number): void => {
    for (let i = 0; i < n; i++) {
      let k = pick();
      if (k === 'commit' && b.liveCount >= maxLive) k = 'delete';
      b.add(k);
    }
  };
  const before = Math.ceil(count * 0.8);
  randomOps(before);
  for (let i = 0; i < (opts.burst ?? 0); i++) b.add('params');
  randomOps(count - before);
  return b.ops;
}

export function describeOp(op: Op): string {
  switch (op.kind) {
    case 'commit':
      return `commit ${op.obj} (${op.bytes} bytes)`;
    case 'nocommit':
      return `write ${op.obj} (${op.bytes} bytes), no commit`;
    case 'abort':
      return `alloc+abort ${op.obj}`;
    case 'delete':
      return `delete ${op.obj}`;
    case 'params':
      return `params label=${op.params.label} ra=${op.params.readaheadPages} mode=${op.params.mode.toString(8)}`;
  }
}
