/** MDCs over two in-memory mlogs: which log open picks, compaction, crash recovery. */
import { describe, expect, it } from 'vitest';
import { Mdc, type MdcBacking, type MdcLogIndex } from '../../userland/src/mdc/mdc.js';
import { Mlog } from '../../userland/src/mlog/framing.js';
import { RecordType } from '../../userland/src/mlog/format.js';
import { MemoryMlogMedia } from '../../userland/src/mlog/memory.js';
import { MpoolError } from '../../userland/src/sys/errors.js';
import { errorOf } from '../expect-error.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

interface TestPair extends MdcBacking {
  readonly logs: readonly [MemoryMlogMedia, MemoryMlogMedia];
  /** Every erase: [which, minGen, newGen]. */
  readonly erases: [MdcLogIndex, bigint, bigint][];
  /** Make the next erase fail, as if the machine went down first. */
  failNextErase: boolean;
}

function pair(capacity = 256 * 1024, gens: [bigint, bigint] = [0n, 0n]): TestPair {
  const logs = [
    new MemoryMlogMedia({ capacity, gen: gens[0], uuid: Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i) }),
    new MemoryMlogMedia({ capacity, gen: gens[1], uuid: Uint8Array.from({ length: 16 }, (_, i) => 0x80 + i) }),
  ] as const;
  const p: TestPair = {
    logs,
    erases: [],
    failNextErase: false,
    erase(which, minGen) {
      if (p.failNextErase) {
        p.failNextErase = false;
        throw new MpoolError({ errno: 5, op: 'mlog erase', detail: 'injected' });
      }
      const gen = logs[which].erase(minGen);
      p.erases.push([which, minGen, gen]);
      return gen;
    },
  };
  return p;
}

function readAll(mdc: Mdc): string[] {
  mdc.rewind();
  const out: string[] = [];
  for (let r = mdc.read(); r !== null; r = mdc.read()) out.push(dec(r));
  return out;
}

/** Write one mlog of the pair directly, as a compaction log: CSTART, records, optionally CEND. */
function writeLog(media: MemoryMlogMedia, records: string[], cend: boolean): void {
  const log = Mlog.open(media, { compaction: true });
  log.appendCstart();
  for (const r of records) log.append(enc(r));
  if (cend) log.appendCend();
  log.close();
}

describe('mdc open picks the active log', () => {
  it('empty/empty: log 0 becomes active with CSTART, CEND; log 1 is erased above it', () => {
    const p = pair();
    const mdc = Mdc.open(p);
    expect(mdc.active).toBe(0);
    expect(p.erases).toEqual([[1, 1n, 1n]]);
    expect(mdc.generations).toEqual([0n, 1n]);
    expect(Array.from(p.logs[0].sector(0).subarray(40, 56))).toEqual([0, 0, 0, 0, 0, 0, RecordType.CSTART, 0, 0, 0, 0, 0, 0, 0, RecordType.CEND, 0]);
    expect(readAll(mdc)).toEqual([]);
    mdc.close();
    // Reopening a used pair changes nothing.
    const again = Mdc.open(p);
    expect(again.active).toBe(0);
    expect(p.erases.length).toBe(1);
    again.close();
  });

  it('complete/empty: the complete log, with its records', () => {
    const p = pair();
    const mdc = Mdc.open(p);
    mdc.append(enc('a'), true);
    mdc.append(enc('b'));
    mdc.close();
    const again = Mdc.open(p);
    expect(again.active).toBe(0);
    expect(readAll(again)).toEqual(['a', 'b']);
  });

  it('empty/complete: log 1 when it is the complete one with the smaller generation', () => {
    const p = pair(256 * 1024, [5n, 2n]);
    writeLog(p.logs[1], ['x'], true);
    const mdc = Mdc.open(p);
    expect(mdc.active).toBe(1);
    expect(p.erases).toEqual([]); // log 0 is empty already
    expect(readAll(mdc)).toEqual(['x']);
  });

  it.each([
    [3n, 4n, 0],
    [4n, 3n, 1],
  ] as const)('both complete, gens %i and %i: the smaller generation wins, the other is erased', (g0, g1, active) => {
    const p = pair(256 * 1024, [g0, g1]);
    // The smaller generation holds the state before a compaction whose erase never happened.
    writeLog(p.logs[0], [g0 < g1 ? 'old' : 'new'], true);
    writeLog(p.logs[1], [g0 < g1 ? 'new' : 'old'], true);
    const mdc = Mdc.open(p);
    expect(mdc.active).toBe(active);
    const [activeGen, inactiveGen] = active === 0 ? [g0, g1] : [g1, g0];
    expect(p.erases).toEqual([[active === 0 ? 1 : 0, activeGen + 1n, inactiveGen + 1n]]);
    expect(readAll(mdc)).toEqual(['old']);
  });

  it('CSTART without CEND (interrupted compaction): the other log, and the broken one is erased', () => {
    const p = pair(256 * 1024, [7n, 8n]);
    writeLog(p.logs[0], ['state'], true);
    writeLog(p.logs[1], ['half'], false);
    const mdc = Mdc.open(p);
    expect(mdc.active).toBe(0);
    expect(p.erases).toEqual([[1, 8n, 9n]]);
    expect(readAll(mdc)).toEqual(['state']);
    // And the other way round.
    const q = pair(256 * 1024, [8n, 7n]);
    writeLog(q.logs[0], ['half'], false);
    writeLog(q.logs[1], ['state'], true);
    const mdc2 = Mdc.open(q);
    expect(mdc2.active).toBe(1);
    expect(q.erases).toEqual([[0, 8n, 9n]]);
    expect(readAll(mdc2)).toEqual(['state']);
  });

  it('both interrupted, or both complete at one non-zero generation: EINVAL', () => {
    const p = pair(256 * 1024, [1n, 2n]);
    writeLog(p.logs[0], ['a'], false);
    writeLog(p.logs[1], ['b'], false);
    expect(errorOf(() => Mdc.open(p)).code).toBe('EINVAL');
    const q = pair(256 * 1024, [3n, 3n]);
    writeLog(q.logs[0], ['a'], true);
    writeLog(q.logs[1], ['b'], true);
    expect(errorOf(() => Mdc.open(q)).code).toBe('EINVAL');
    expect(p.erases.length + q.erases.length).toBe(0);
  });

  it('a log with records but no CSTART: ENODATA, nothing erased', () => {
    const p = pair();
    Mlog.open(p.logs[0]).append(enc('raw'), true);
    expect(errorOf(() => Mdc.open(p)).code).toBe('ENODATA');
    expect(p.erases).toEqual([]);
  });

  it('a failing erase fails the open', () => {
    const p = pair();
    p.failNextErase = true;
    expect(errorOf(() => Mdc.open(p)).code).toBe('EIO');
  });
});

describe('compaction', () => {
  function used(): { p: TestPair; mdc: Mdc } {
    const p = pair();
    const mdc = Mdc.open(p);
    for (const r of ['put a', 'put b', 'del a', 'put c']) mdc.append(enc(r), true);
    return { p, mdc };
  }

  it('cstart, snapshot, cend: the other log holds the snapshot; the old one is erased above it', () => {
    const { p, mdc } = used();
    mdc.cstart();
    expect(mdc.active).toBe(1);
    expect(readAll(mdc)).toEqual([]);
    mdc.append(enc('b'));
    mdc.append(enc('c'));
    mdc.cend();
    expect(p.erases.at(-1)).toEqual([0, 2n, 2n]);
    expect(mdc.generations).toEqual([2n, 1n]);
    expect(readAll(mdc)).toEqual(['b', 'c']);
    mdc.append(enc('put d'), true);
    mdc.close();
    const again = Mdc.open(p);
    expect(again.active).toBe(1);
    expect(readAll(again)).toEqual(['b', 'c', 'put d']);
    // And a second round goes back to log 0.
    again.cstart();
    again.append(enc('b c d'));
    again.cend();
    again.close();
    const third = Mdc.open(p);
    expect([third.active, ...third.generations]).toEqual([0, 2n, 3n]);
    expect(readAll(third)).toEqual(['b c d']);
  });

  it('a crash before CEND keeps the last complete state', () => {
    const { p, mdc } = used();
    mdc.cstart();
    mdc.append(enc('b'), true);
    // The process dies here: no cend, no close.
    const again = Mdc.open(p);
    expect(again.active).toBe(0);
    expect(readAll(again)).toEqual(['put a', 'put b', 'del a', 'put c']);
    again.append(enc('put e'), true);
    again.cstart();
    again.append(enc('b c e'));
    again.cend();
    expect(readAll(again)).toEqual(['b c e']);
  });

  it('a crash after CEND, before the erase: the old log, still complete, stays active', () => {
    const { p, mdc } = used();
    mdc.cstart();
    mdc.append(enc('b c'));
    p.failNextErase = true;
    expect(errorOf(() => mdc.cend()).code).toBe('EIO');
    // The handle closed itself, as upstream's does.
    expect(errorOf(() => mdc.append(enc('x'))).code).toBe('EINVAL');
    const again = Mdc.open(p);
    expect(again.active).toBe(0);
    expect(readAll(again)).toEqual(['put a', 'put b', 'del a', 'put c']);
    expect(p.erases.at(-1)).toEqual([1, 1n, 2n]);
  });

  it('compacting when full (EFBIG), as a client does', () => {
    const p = pair(16 * 1024);
    const mdc = Mdc.open(p);
    const live = new Map<number, string>();
    for (let i = 0; i < 300; i++) {
      const key = i % 7;
      const rec = `${key}=${'v'.repeat(200)}${i}`;
      live.set(key, rec);
      try {
        mdc.append(enc(rec), true);
      } catch (e) {
        expect(e instanceof MpoolError && e.code).toBe('EFBIG');
        mdc.cstart();
        for (const v of live.values()) mdc.append(enc(v));
        mdc.cend();
      }
    }
    mdc.close();
    const again = Mdc.open(p);
    const state = new Map<number, string>();
    for (const r of readAll(again)) state.set(Number(r.split('=')[0]), r);
    expect(state).toEqual(live);
    expect(p.erases.length).toBeGreaterThan(3);
  });

  it('usage is the active log length; sync flushes it', () => {
    const p = pair();
    const mdc = Mdc.open(p);
    expect(mdc.usage()).toBe(40 + 8 + 8);
    mdc.append(enc('abc'));
    expect(mdc.usage()).toBe(40 + 8 + 8 + 8 + 3);
    expect(Mlog.open(p.logs[0], { compaction: true }).read()).toBeNull();
    mdc.sync();
    expect(Mlog.open(p.logs[0], { compaction: true }).read()).toEqual(enc('abc'));
    mdc.cstart();
    expect(mdc.usage()).toBe(48);
    expect(mdc.room()).toBe(64 * 4048 - 8);
  });

  it('a closed handle answers EINVAL', () => {
    const mdc = Mdc.open(pair());
    mdc.close();
    for (const f of [() => mdc.read(), () => mdc.rewind(), () => mdc.cstart(), () => mdc.cend(), () => mdc.usage(), () => mdc.close()])
      expect(errorOf(f).code).toBe('EINVAL');
  });
});
