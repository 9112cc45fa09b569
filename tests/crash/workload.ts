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
 * Mlogs: 'mlcreate' (MLOG_ALLOC + MLOG_COMMIT), 'mlappend' (one record
 * appended with sync through the record framing: durable once the append
 * returns) and 'mlerase' (MLOG_ERASE: no record from before it ever comes
 * back). After a crash a log must hold exactly its acknowledged records
 * since the last acknowledged erase, at the generation that erase left,
 * plus possibly the in-flight record, or be empty at the next generation
 * when the erase is the one in flight.
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
  | { kind: 'params'; params: TrackedParams }
  /** MLOG_ALLOC of MLOG_CAPACITY bytes, MLOG_COMMIT. */
  | { kind: 'mlcreate'; log: string }
  /** One record of `bytes` (seeded data, 0 allowed) appended with sync=true through the framing. */
  | { kind: 'mlappend'; log: string; bytes: number; seed: number }
  /** MLOG_ERASE (the generation goes up by one). */
  | { kind: 'mlerase'; log: string };

export type OpKind = Op['kind'];
/** The kinds the sequences workload combines ('mlcreate' comes in when an mlog op needs a log). */
export const OP_KINDS: readonly OpKind[] = ['commit', 'nocommit', 'abort', 'delete', 'params', 'mlappend', 'mlerase'];

/** Bytes of every mlog a workload creates: one 1 MiB zone of the crash pools. */
export const MLOG_CAPACITY = 1 << 20;
/**
 * What the builder lets a log fill (an estimate: record bytes plus two
 * sectors of 4 KiB each): an erase comes first when the next record would
 * pass it, so an append never meets EFBIG.
 */
const MLOG_FILL_MAX = (MLOG_CAPACITY * 3) / 4;
const mlogCost = (bytes: number): number => Math.ceil(bytes * 1.05) + 8192;

/** An mlog's contents as the contract sees them: its generation and its records (sha256), oldest first. */
export interface MlogContents {
  gen: bigint;
  records: readonly string[];
}

/** What may be in one mlog at a crash point. */
export interface MlogExpectation {
  /** 'must': committed by then; 'may': its create is in flight; 'mustNot': created later. */
  exists: 'must' | 'may' | 'mustNot';
  /** It holds one of these (the first: what was acknowledged). Empty for 'mustNot'. */
  allowed: MlogContents[];
}

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
  /** Created mlogs: workload id -> generation and acknowledged records since the last erase. */
  mlogs: Map<string, { gen: bigint; records: string[] }>;
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
  /** Every mlog the workload names. */
  mlogs: Map<string, MlogExpectation>;
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

/** Deterministic contents of an mlog record of any length. */
export function mlogRecord(seed: number, bytes: number): Buffer {
  return mblockData(seed ^ 0x6d6c6f67, Math.ceil(bytes / 4) * 4).subarray(0, bytes);
}

/** sha256 of an mlog record, by op: the caller's hash of mlogRecord(op.seed, op.bytes). */
export type RecordSha = (op: Op & { kind: 'mlappend' }) => string;

function liveMlog(s: AckState, log: string, what: string): { gen: bigint; records: string[] } {
  const m = s.mlogs.get(log);
  if (m === undefined) throw new Error(`workload ${what} ${log}, which was never created`);
  return m;
}

export function applyOp(s: AckState, op: Op, sha: (op: Op & { kind: 'commit' }) => string, recSha?: RecordSha): void {
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
    case 'mlcreate':
      if (s.mlogs.has(op.log)) throw new Error(`workload creates ${op.log} twice`);
      s.mlogs.set(op.log, { gen: 0n, records: [] });
      break;
    case 'mlappend':
      liveMlog(s, op.log, 'appends to').records.push(recSha ? recSha(op) : `${op.seed}/${op.bytes}`);
      break;
    case 'mlerase': {
      const m = liveMlog(s, op.log, 'erases');
      m.gen += 1n;
      m.records = [];
      break;
    }
    case 'nocommit':
    case 'abort':
      break;
  }
}

/** Every mlog a workload names. */
export function mlogsOf(ops: readonly Op[]): string[] {
  const seen = new Set<string>();
  for (const op of ops) if ('log' in op) seen.add(op.log);
  return [...seen];
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
export function expectationAt(
  ops: readonly Op[],
  acked: number,
  sha: (op: Op & { kind: 'commit' }) => string,
  recSha?: RecordSha,
): Expectation {
  const s: AckState = { live: new Map(), deleted: new Set(), params: { ...INITIAL_PARAMS }, mlogs: new Map() };
  for (let i = 0; i < Math.max(0, acked); i++) applyOp(s, ops[i]!, sha, recSha);
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
  const mlogs = new Map<string, MlogExpectation>();
  for (const log of mlogsOf(ops)) {
    const m = s.mlogs.get(log);
    if (m === undefined) {
      mlogs.set(log, next?.kind === 'mlcreate' && next.log === log ? { exists: 'may', allowed: [{ gen: 0n, records: [] }] } : { exists: 'mustNot', allowed: [] });
      continue;
    }
    const allowed: MlogContents[] = [{ gen: m.gen, records: [...m.records] }];
    if (next?.kind === 'mlappend' && next.log === log) allowed.push({ gen: m.gen, records: [...m.records, recSha ? recSha(next) : `${next.seed}/${next.bytes}`] });
    if (next?.kind === 'mlerase' && next.log === log) allowed.push({ gen: m.gen + 1n, records: [] });
    mlogs.set(log, { exists: 'must', allowed });
  }
  const e: Expectation = { mustHave, mayHave, mustNotHave, params, acked, mlogs };
  if (next) e.inFlight = next;
  return e;
}

const sameParams = (a: TrackedParams, b: TrackedParams): boolean => a.label === b.label && a.readaheadPages === b.readaheadPages && a.mode === b.mode;

const sameContents = (a: MlogContents, b: MlogContents): boolean =>
  a.gen === b.gen && a.records.length === b.records.length && a.records.every((r, i) => r === b.records[i]);

/** Why an mlog's contents are none of the allowed ones, in words. */
function mlogProblem(log: string, got: MlogContents, allowed: readonly MlogContents[]): string {
  const sameGen = allowed.filter((a) => a.gen === got.gen);
  if (sameGen.length === 0) return `mlog ${log} is at generation ${got.gen}, want ${allowed.map((a) => a.gen).join(' or ')}`;
  // The longest allowed contents at that generation: the one with the in-flight record, if any.
  const want = sameGen.reduce((a, b) => (b.records.length > a.records.length ? b : a));
  for (let i = 0; i < Math.min(got.records.length, want.records.length); i++) {
    if (got.records[i] !== want.records[i]) return `mlog ${log}: record ${i} has the wrong contents (sha256 ${got.records[i]!.slice(0, 12)}, want ${want.records[i]!.slice(0, 12)})`;
  }
  const acked = allowed[0]!.gen === got.gen ? allowed[0]!.records.length : 0;
  if (got.records.length < acked) return `mlog ${log}: acknowledged record ${got.records.length} of ${acked} is missing (gen ${got.gen})`;
  return `mlog ${log} holds ${got.records.length} records at gen ${got.gen}, at most ${want.records.length} were appended since the last erase`;
}

/** Every way `obs` breaks `exp`. Without `obs.mlogs` the mlogs are not judged. */
export function judge(exp: Expectation, obs: { present: ReadonlyMap<string, string>; params: TrackedParams; mlogs?: ReadonlyMap<string, MlogContents> }): string[] {
  const out: string[] = [];
  if (obs.mlogs) {
    for (const [log, e] of exp.mlogs) {
      const got = obs.mlogs.get(log);
      if (got === undefined) {
        if (e.exists === 'must') out.push(`committed mlog ${log} is missing`);
      } else if (e.exists === 'mustNot') out.push(`mlog ${log} is present but was not created by then`);
      else if (!e.allowed.some((a) => sameContents(a, got))) out.push(mlogProblem(log, got, e.allowed));
    }
  }
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
  /** Created mlogs and the bytes their records use (an estimate). */
  #logs = new Map<string, number>();
  #rand: () => number;

  constructor(seed: number) {
    this.#rand = prng(seed);
  }

  /** 4 KiB to 64 KiB, in pages, some writes larger than one 128 KiB-chunk bio's worth not needed. */
  #bytes(): number {
    return 4096 * (1 + Math.floor(this.#rand() * 16));
  }

  /** A record length: 0 now and then, else 1 byte to 12 KiB (some past a 4 KiB page, some odd). */
  #recordBytes(): number {
    const r = this.#rand();
    return r < 0.1 ? 0 : 1 + Math.floor(((r - 0.1) / 0.9) * 12 * 1024);
  }

  /** An existing mlog, created first when there is none. */
  #someLog(): string {
    if (this.#logs.size === 0) this.add('mlcreate');
    const logs = [...this.#logs.keys()];
    return logs[Math.floor(this.#rand() * logs.length)]!;
  }

  add(kind: OpKind): this {
    const obj = `m${this.#n}`;
    switch (kind) {
      case 'mlcreate': {
        const log = `l${this.#logs.size}`;
        this.#logs.set(log, 0);
        this.ops.push({ kind, log });
        break;
      }
      case 'mlappend': {
        const log = this.#someLog();
        const bytes = this.#recordBytes();
        // A log never fills: erase it first when this record would pass the limit.
        if (this.#logs.get(log)! + mlogCost(bytes) > MLOG_FILL_MAX) {
          this.ops.push({ kind: 'mlerase', log });
          this.#logs.set(log, 0);
        }
        this.#n++;
        this.ops.push({ kind, log, bytes, seed: this.#n });
        this.#logs.set(log, this.#logs.get(log)! + mlogCost(bytes));
        break;
      }
      case 'mlerase': {
        const log = this.#someLog();
        this.ops.push({ kind, log });
        this.#logs.set(log, 0);
        break;
      }
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

  get mlogCount(): number {
    return this.#logs.size;
  }
}

/**
 * Every sequence of `length` operations over the OP_KINDS, as one
 * workload: a De Bruijn sequence of order `length`, so that every crash
 * point sees every combination of `length - 1` acknowledged kinds before an
 * in-flight one. A delete with nothing live is preceded by a commit, the
 * first mlog operation by an mlcreate.
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
 * more random operations after it. Live mblocks stay under `maxLive`,
 * mlogs under `maxLogs` (3).
 */
export function randomWorkload(seed: number, count: number, opts: { burst?: number; maxLive?: number; maxLogs?: number } = {}): Op[] {
  const b = new WorkloadBuilder(seed);
  const r = prng(seed ^ 0x5eed);
  const maxLive = opts.maxLive ?? 60;
  const maxLogs = opts.maxLogs ?? 3;
  const weights: [OpKind, number][] = [
    ['commit', 4],
    ['nocommit', 1],
    ['abort', 1],
    ['delete', 2],
    ['params', 2],
    ['mlcreate', 0.5],
    ['mlappend', 3],
    ['mlerase', 1],
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
      if (k === 'mlcreate' && b.mlogCount >= maxLogs) k = 'mlappend';
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
    case 'mlcreate':
      return `mlog create ${op.log}`;
    case 'mlappend':
      return `mlog append ${op.log} (${op.bytes} bytes, sync)`;
    case 'mlerase':
      return `mlog erase ${op.log}`;
  }
}
