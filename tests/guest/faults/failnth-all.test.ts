/**
 * Every allocation of every command can fail (debug kernel only; reported
 * skipped elsewhere). For each command, for n = 1, 2, ... the n-th fault-
 * injection point the calling thread reaches fails (/proc/thread-self/
 * fail-nth), until the command completes with its n-th allocation never
 * reached. Each injected failure must give ENOMEM, or another clean errno
 * the command documents, and roll back: the object the command worked on is
 * in its state from before the call and takes the next command normally,
 * and the pool's usage after the sweep of a command is what it was before.
 * kmemleak after the suite checks that no failure path leaked, the verdict
 * that none left a kernel report.
 *
 * The argument of each ioctl is encoded, and every buffer it points to is
 * mapped, before fail-nth is armed: between arming and the ioctl the thread
 * makes no other system call. (A failed mmap in the JS engine would abort
 * it, not fail a command.)
 *
 * MP_CREATE has its own sweep (injection.test.ts). DRV_ADD is swept last,
 * on a new pool for each point: a device once added cannot be taken out of
 * its pool again.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MpMediaClassp } from '../../../userland/src/gen/constants.js';
import { IOCTLS, type IoctlInfo } from '../../../userland/src/gen/ioctl.js';
import { MpiocDrive, MpiocMblock, MpiocMblockId, MpiocMblockRw, MpiocMlog, MpiocMlogId, MpiocMlogIo, MpiocParams, MpiocVma } from '../../../userland/src/gen/structs.js';
import { toMpoolParams } from '../../../userland/src/lib/params.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { Pools } from '../../../userland/src/lib/pools.js';
import { MpoolError } from '../../../userland/src/sys/errors.js';
import { encodeIovecs } from '../../../userland/src/sys/iovec.js';
import { encodeDevicePaths, encodePdProps } from '../../../userland/src/lib/device.js';
import * as sys from '../../../userland/src/sys/libc.js';
import { viewOf, type StructCodec } from '../../../userland/src/uapi/runtime.js';
import { faultInjectionAvailable, failNthSetup, registered, syncNode } from '../faults.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { failure } from '../objects/fixtures.js';
import { hasSuperblockMagic, pdProp, rawMpoolArgument } from '../pools/fixtures.js';

const NAME = 'nthall';
const RENAMED = 'nthall2';
const ADDED = 'nthadd';
const DISK = '/dev/vdb';
const STAGING = '/dev/vda';
const CTL = '/dev/mpoolctl';
const PAGE = 4096;
const DATA = 16 * PAGE;
const pools = new Pools();

/** An ioctl argument encoded ahead of time, and the buffers its pointers name. */
interface Prepared {
  fd: number;
  info: IoctlInfo;
  buf: Buffer;
  keep: unknown[];
}

function prepare<T>(fd: number, info: IoctlInfo, codec: StructCodec<T>, value: T, keep: unknown[] = []): Prepared {
  const buf = Buffer.alloc(codec.size);
  codec.encode(viewOf(buf), 0, value);
  return { fd, info, buf, keep };
}

function run(p: Prepared): void {
  sys.ioctl(p.fd, p.info.request, p.buf, p.info.name);
}

/** The thread's fail-nth file, opened once: opening it would allocate. */
class FailNth {
  readonly #fd = openSync('/proc/thread-self/fail-nth', 'r+');
  readonly #scratch = Buffer.alloc(32);
  /** What disarm() last found left. */
  lastLeft = 0;

  arm(n: number): void {
    writeSync(this.#fd, String(n), 0);
  }

  /** What is left of the count (0: the n-th point was reached and failed), and disarm. */
  disarm(): number {
    const len = readSync(this.#fd, this.#scratch, 0, this.#scratch.length, 0);
    const left = Number(this.#scratch.subarray(0, len).toString().trim() || '0');
    writeSync(this.#fd, '0', 0);
    this.lastLeft = left;
    return left;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

interface Case<T> {
  /** State for one call, made with nothing armed. */
  setup(): T;
  /** The call: one ioctl. */
  call(t: T): void;
  /** After the call: check that state, and clean it up (nothing armed). */
  after(t: T, failed: boolean, problems: string[]): void;
  /** Errnos besides ENOMEM that a failed allocation may show as. */
  alsoAllowed?: string[];
}

interface SweepResult {
  injected: number;
  /** Calls that went through although their n-th point failed (a retry or a fallback). */
  tolerated: number;
  errnos: Record<string, number>;
  problems: string[];
}

let nth: FailNth;
const results = new Map<string, SweepResult>();

async function sweep<T>(name: string, c: Case<T>, max = 4000): Promise<SweepResult> {
  const r: SweepResult = { injected: 0, tolerated: 0, errnos: {}, problems: [] };
  let done = false;
  for (let n = 1; n <= max && !done; n++) {
    // Let the event loop run now and then: vitest's RPC gives up after 60 s.
    if (n % 16 === 0) await tick();
    const t = c.setup();
    let code = 'OK';
    nth.arm(n);
    try {
      c.call(t);
    } catch (e) {
      code = e instanceof MpoolError ? e.code : String(e);
    }
    const left = nth.disarm();
    const failed = code !== 'OK';
    if (failed) {
      r.injected++;
      r.errnos[code] = (r.errnos[code] ?? 0) + 1;
      if (code !== 'ENOMEM' && !(c.alsoAllowed ?? []).includes(code)) r.problems.push(`${name}, point ${n}: ${code}, want ENOMEM`);
    } else if (left === 0) {
      r.tolerated++;
    } else {
      done = true;
    }
    const before = r.problems.length;
    c.after(t, failed, r.problems);
    for (let i = before; i < r.problems.length; i++) r.problems[i] = `${name}, point ${n}${failed ? ` (${code})` : ''}: ${r.problems[i]}`;
  }
  if (!done) r.problems.push(`${name}: still reaching injection points after ${max}`);
  results.set(name, r);
  return r;
}

/**
 * No problem, and at least `minReached` injection points reached (failed,
 * or tolerated: a mempool's reserve or a retry absorbed the failure).
 */
function expectClean(name: string, r: SweepResult, minReached = 1): void {
  if (r.problems.length > 0) throw new Error(`${name}: ${r.problems.length} problem(s):\n${r.problems.slice(0, 20).join('\n')}`);
  expect(r.injected + r.tolerated, `${name}: injection points reached`).toBeGreaterThanOrEqual(minReached);
}

/** Destroy whatever pool this file may have left, under each of its names. */
function destroyLeftovers(): void {
  for (const [n, devices] of [[NAME, [DISK]], [RENAMED, [DISK]], [ADDED, [DISK, STAGING]], [ADDED, [DISK]]] as const) {
    try {
      pools.destroy(n, { force: true, devices: [...devices] });
    } catch {
      // not there: nothing to clean
    }
  }
}

const tick = (): Promise<void> => new Promise((res) => setTimeout(res, 0));

/** An anonymous mapping of `bytes`, filled with a pattern, and its one-entry iovec. */
function pages(bytes: number, fill: number): { map: sys.Mapping; iov: Buffer } {
  const map = sys.anonymousMapping(bytes);
  for (let i = 0; i < bytes; i += 4) map.bytes[i] = (fill + i / 4) & 0xff;
  return { map, iov: encodeIovecs([{ address: map.address, length: bytes }]) };
}


describe.runIf(faultInjectionAvailable())('allocation failures in every command (fail-nth)', () => {
  let pool: Pool;
  let restore: () => void;
  let marker: string;
  /** Committed mblocks and a committed, written mlog the read-only sweeps and the maps use. */
  let fixedMb: bigint;
  let otherMb: bigint;
  let fixedMl: bigint;

  const mb = () => pool.mblocks;
  const ml = () => pool.mlogs;
  const usage = (): string => {
    const u = pool.props().usage;
    return JSON.stringify({ used: u.used, allocated: u.allocated, mblocks: u.mblockCount, mlogs: u.mlogCount }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  };
  const mbAlloc = (): bigint => mb().alloc().id;
  const mbWrite = (id: bigint, fill = 7): void => {
    const { map } = pages(DATA, fill);
    try {
      mb().write(id, map.bytes);
    } finally {
      map.unmap();
    }
  };
  const mbRead = (id: bigint): Buffer => Buffer.from(mb().read(id, 0, DATA));
  const expected = (fill: number): Buffer => {
    const { map } = pages(DATA, fill);
    const b = Buffer.from(map.bytes);
    map.unmap();
    return b;
  };
  const mlNew = (commit = true): bigint => {
    const { id } = ml().alloc({ capacity: 1 << 20 });
    if (commit) ml().commit(id);
    return id;
  };
  const state = (f: () => unknown): string => failure(f).code;

  beforeAll(() => {
    ensureLoaded();
    restore = failNthSetup();
    marker = markKernelLog('fail-nth-all');
    nth = new FailNth();
    pools.create(NAME, DISK, { force: true, mblockSize: 8, mdcCount: 2 });
    pool = Pool.open(NAME, { write: true });
    // Something for activation to replay: mblocks and mlogs in every MDC.
    for (let i = 0; i < 12; i++) {
      const id = mbAlloc();
      mbWrite(id, i);
      mb().commit(id);
      otherMb = id;
    }
    fixedMb = mbAlloc();
    mbWrite(fixedMb, 3);
    mb().commit(fixedMb);
    fixedMl = mlNew();
    const { map, iov } = pages(PAGE, 5);
    run(prepare(pool.fd, IOCTLS.MPIOC_MLOG_WRITE, MpiocMlogIo, { ...MpiocMlogIo.zero(), mi_objid: fixedMl, mi_off: 0n, mi_op: 1, mi_iovc: 1, mi_iov: sys.addressOf(iov) }));
    map.unmap();
  });

  afterAll(() => {
    nth?.close();
    restore?.();
    pool?.close();
    destroyLeftovers();
    const lines = [...results].map(([k, r]) => `${k} ${r.injected}${r.tolerated ? ` (+${r.tolerated} tolerated)` : ''}`);
    console.log(`fail-nth: ${[...results.values()].reduce((n, r) => n + r.injected, 0)} allocation failures over ${results.size} commands: ${lines.join(', ')}`);
  });

  it('mblock commands: alloc, write, commit, abort, delete, read, find', async () => {
    const u0 = usage();
    const allocArg = (): Prepared => prepare(pool.fd, IOCTLS.MPIOC_MB_ALLOC, MpiocMblock, { ...MpiocMblock.zero(), mb_mclassp: MpMediaClassp.MP_MED_CAPACITY });
    expectClean(
      'MB_ALLOC',
      await sweep('MB_ALLOC', {
        setup: allocArg,
        call: (t) => run(t),
        after(p, failed) {
          if (!failed) mb().abort(MpiocMblock.decode(viewOf(p.buf), 0).mb_props.mbx_props.mpr_objid);
        },
      }),
    );
    const idArg = (cmd: IoctlInfo, id: bigint): Prepared => prepare(pool.fd, cmd, MpiocMblockId, { mi_objid: id });
    const rwArg = (cmd: IoctlInfo, id: bigint, fill: number): Prepared & { map: sys.Mapping } => {
      const { map, iov } = pages(DATA, fill);
      return { ...prepare(pool.fd, cmd, MpiocMblockRw, { mb_objid: id, mb_offset: 0n, mb_rsvd2: 0, mb_rsvd3: 0, mb_iov_cnt: 1, mb_iov: sys.addressOf(iov) }, [iov]), map };
    };
    expectClean(
      'MB_WRITE',
      await sweep('MB_WRITE', {
        setup: () => ({ id: mbAlloc(), ...rwArg(IOCTLS.MPIOC_MB_WRITE, 0n, 9) }),
        call(t) {
          MpiocMblockRw.encode(viewOf(t.buf), 0, { ...MpiocMblockRw.decode(viewOf(t.buf), 0), mb_objid: t.id });
          run(t);
        },
        after(t, failed, problems) {
          t.map.unmap();
          const len = mb().find(t.id).written;
          if (failed && len !== 0n) problems.push(`write length ${len} after a failed write`);
          if (failed) mbWrite(t.id, 9);
          mb().commit(t.id);
          if (!mbRead(t.id).equals(expected(9))) problems.push('data read back differs');
          mb().delete(t.id);
        },
      }),
    );
    expectClean(
      'MB_COMMIT',
      await sweep('MB_COMMIT', {
        setup: () => {
          const id = mbAlloc();
          mbWrite(id, 11);
          return { id, ...idArg(IOCTLS.MPIOC_MB_COMMIT, id) };
        },
        call: (t) => run(t),
        after(t, failed, problems) {
          const committed = mb().find(t.id).committed;
          if (committed === failed) problems.push(`committed=${committed} after the call ${failed ? 'failed' : 'succeeded'}`);
          if (!committed) mb().commit(t.id);
          if (!mbRead(t.id).equals(expected(11))) problems.push('data read back differs');
          mb().delete(t.id);
        },
      }),
    );
    expectClean(
      'MB_ABORT',
      await sweep('MB_ABORT', {
        setup: () => {
          const id = mbAlloc();
          return { id, ...idArg(IOCTLS.MPIOC_MB_ABORT, id) };
        },
        call: (t) => run(t),
        after(t, failed, problems) {
          const s = state(() => mb().find(t.id));
          if (s !== (failed ? 'OK' : 'ENOENT')) problems.push(`MB_FIND after the call: ${s}`);
          if (failed) mb().abort(t.id);
        },
      }),
      0,
    );
    expectClean(
      'MB_DELETE',
      await sweep('MB_DELETE', {
        setup: () => {
          const id = mbAlloc();
          mbWrite(id, 13);
          mb().commit(id);
          return { id, ...idArg(IOCTLS.MPIOC_MB_DELETE, id) };
        },
        call: (t) => run(t),
        after(t, failed, problems) {
          const s = state(() => mb().find(t.id));
          if (s !== (failed ? 'OK' : 'ENOENT')) problems.push(`MB_FIND after the call: ${s}`);
          if (failed) {
            if (!mbRead(t.id).equals(expected(13))) problems.push('data read back differs');
            mb().delete(t.id);
          }
        },
      }),
      0,
    );
    expectClean(
      'MB_READ',
      await sweep('MB_READ', {
        setup: () => rwArg(IOCTLS.MPIOC_MB_READ, fixedMb, 0),
        call: (t) => run(t),
        after(t, failed, problems) {
          if (!failed && !Buffer.from(t.map.bytes).equals(expected(3))) problems.push('data read differs');
          t.map.unmap();
        },
      }),
      0,
    );
    expectClean(
      'MB_FIND',
      await sweep('MB_FIND', { setup: () => prepare(pool.fd, IOCTLS.MPIOC_MB_FIND, MpiocMblock, { ...MpiocMblock.zero(), mb_objid: fixedMb }), call: (t) => run(t), after() {} }),
      0,
    );
    expect(usage()).toBe(u0);
  });

  it('mlog commands: alloc, commit, abort, delete, write, read, erase, find, props', async () => {
    const u0 = usage();
    expectClean(
      'MLOG_ALLOC',
      await sweep('MLOG_ALLOC', {
        setup: () => prepare(pool.fd, IOCTLS.MPIOC_MLOG_ALLOC, MpiocMlog, { ...MpiocMlog.zero(), ml_cap: { ...MpiocMlog.zero().ml_cap, lcp_captgt: 1n << 20n }, ml_mclassp: MpMediaClassp.MP_MED_CAPACITY }),
        call: (t) => run(t),
        after(p, failed) {
          if (!failed) ml().abort(MpiocMlog.decode(viewOf(p.buf), 0).ml_objid);
        },
      }),
    );
    const idArg = (cmd: IoctlInfo, id: bigint): Prepared => prepare(pool.fd, cmd, MpiocMlogId, { ...MpiocMlogId.zero(), mi_objid: id });
    const ioArg = (cmd: IoctlInfo, id: bigint, op: number, fill: number): Prepared & { map: sys.Mapping } => {
      const { map, iov } = pages(PAGE, fill);
      return { ...prepare(pool.fd, cmd, MpiocMlogIo, { ...MpiocMlogIo.zero(), mi_objid: id, mi_off: 0n, mi_op: op, mi_iovc: 1, mi_iov: sys.addressOf(iov) }, [iov]), map };
    };
    expectClean(
      'MLOG_COMMIT',
      await sweep('MLOG_COMMIT', {
        setup: () => {
          const id = mlNew(false);
          return { id, ...idArg(IOCTLS.MPIOC_MLOG_COMMIT, id) };
        },
        call: (t) => run(t),
        after(t, failed, problems) {
          const committed = ml().find(t.id).committed;
          if (committed === failed) problems.push(`committed=${committed} after the call ${failed ? 'failed' : 'succeeded'}`);
          if (!committed) ml().commit(t.id);
          ml().delete(t.id);
        },
      }),
      0,
    );
    for (const cmd of ['MLOG_ABORT', 'MLOG_DELETE'] as const) {
      expectClean(
        cmd,
        await sweep(cmd, {
          setup: () => {
            const id = mlNew(cmd === 'MLOG_DELETE');
            return { id, ...idArg(IOCTLS[`MPIOC_${cmd}`], id) };
          },
          call: (t) => run(t),
          after(t, failed, problems) {
            const s = state(() => ml().find(t.id));
            if (s !== (failed ? 'OK' : 'ENOENT')) problems.push(`MLOG_FIND after the call: ${s}`);
            if (failed) (cmd === 'MLOG_ABORT' ? ml().abort(t.id) : ml().delete(t.id));
          },
        }),
        0,
      );
    }
    expectClean(
      'MLOG_WRITE',
      await sweep('MLOG_WRITE', {
        setup: () => {
          const id = mlNew();
          return { id, ...ioArg(IOCTLS.MPIOC_MLOG_WRITE, id, 1, 21) };
        },
        call(t) {
          MpiocMlogIo.encode(viewOf(t.buf), 0, { ...MpiocMlogIo.decode(viewOf(t.buf), 0), mi_objid: t.id });
          run(t);
        },
        after(t, failed, problems) {
          t.map.unmap();
          if (!failed) {
            const back = ioArg(IOCTLS.MPIOC_MLOG_READ, t.id, 0, 0);
            run(back);
            const want = pages(PAGE, 21);
            if (!Buffer.from(back.map.bytes).equals(Buffer.from(want.map.bytes))) problems.push('page read back differs');
            back.map.unmap();
            want.map.unmap();
          }
          ml().delete(t.id);
        },
      }),
      0,
    );
    expectClean('MLOG_READ', await sweep('MLOG_READ', { setup: () => ioArg(IOCTLS.MPIOC_MLOG_READ, fixedMl, 0, 0), call: (t) => run(t), after: (t) => t.map.unmap() }), 0);
    expectClean(
      'MLOG_ERASE',
      await sweep('MLOG_ERASE', {
        setup: () => {
          const id = mlNew();
          return { id, ...idArg(IOCTLS.MPIOC_MLOG_ERASE, id) };
        },
        call: (t) => run(t),
        after(t, failed, problems) {
          const gen = ml().find(t.id).gen;
          if (gen !== (failed ? 0n : 1n)) problems.push(`generation ${gen} after the call`);
          ml().delete(t.id);
        },
      }),
      0,
    );
    for (const cmd of ['MLOG_FIND', 'MLOG_PROPS'] as const) {
      expectClean(cmd, await sweep(cmd, { setup: () => prepare(pool.fd, IOCTLS[`MPIOC_${cmd}`], MpiocMlog, { ...MpiocMlog.zero(), ml_objid: fixedMl }), call: (t) => run(t), after() {} }), 0);
    }
    expect(usage()).toBe(u0);
  });

  it('mcache map commands: create, purge, residency, destroy', async () => {
    const ids = Buffer.alloc(16);
    ids.writeBigUInt64LE(fixedMb, 0);
    ids.writeBigUInt64LE(otherMb, 8);
    const vmaArg = (cmd: IoctlInfo, offset = 0n): Prepared =>
      prepare(pool.fd, cmd, MpiocVma, { ...MpiocVma.zero(), im_mbidc: 2, im_mbidv: sys.addressOf(ids), im_offset: offset }, [ids]);
    const offsetOf = (p: Prepared): bigint => MpiocVma.decode(viewOf(p.buf), 0).im_offset;
    const newMap = (): bigint => {
      const p = vmaArg(IOCTLS.MPIOC_VMA_CREATE);
      run(p);
      return offsetOf(p);
    };
    const destroy = (offset: bigint): void => run(vmaArg(IOCTLS.MPIOC_VMA_DESTROY, offset));
    expectClean(
      'VMA_CREATE',
      await sweep('VMA_CREATE', {
        setup: () => vmaArg(IOCTLS.MPIOC_VMA_CREATE),
        call: (t) => run(t),
        after(p, failed) {
          if (!failed) destroy(offsetOf(p));
        },
      }),
    );
    for (const cmd of ['VMA_PURGE', 'VMA_VRSS', 'VMA_DESTROY'] as const) {
      expectClean(
        cmd,
        await sweep(cmd, {
          setup: () => {
            const offset = newMap();
            return { offset, ...vmaArg(IOCTLS[`MPIOC_${cmd}`], offset) };
          },
          call: (t) => run(t),
          after(t, failed, problems) {
            if (cmd !== 'VMA_DESTROY' || failed) {
              const s = state(() => destroy(t.offset));
              if (s !== 'OK') problems.push(`VMA_DESTROY after the call: ${s}`);
            }
          },
        }),
        0,
      );
    }
  });

  it('pool commands on the pool node: PARAMS_SET, PARAMS_GET, PROP_GET, MCLASS_GET, DEVPROPS_GET', async () => {
    let k = 0;
    expectClean(
      'PARAMS_SET',
      await sweep('PARAMS_SET', {
        setup: () => {
          const before = pool.params().label;
          k++;
          return { before, label: `nth-${k}`, ...prepare(pool.fd, IOCTLS.MPIOC_PARAMS_SET, MpiocParams, { mps_params: toMpoolParams(NAME, { label: `nth-${k}` }) }) };
        },
        call: (t) => run(t),
        after(t, failed, problems) {
          const now = pool.params().label;
          if (now !== (failed ? t.before : t.label)) problems.push(`label "${now}" after the call`);
        },
      }),
      0,
    );
    expectClean('PARAMS_GET', await sweep('PARAMS_GET', { setup: () => prepare(pool.fd, IOCTLS.MPIOC_PARAMS_GET, MpiocParams, MpiocParams.zero()), call: (t) => run(t), after() {} }), 0);
    // The library's one-ioctl queries, whose arguments are small and prepared inline.
    const queries: [string, () => unknown][] = [
      ['PROP_GET', () => pool.props()],
      ['MCLASS_GET', () => pool.mediaClasses()],
      ['DEVPROPS_GET', () => pool.deviceProps(DISK)],
    ];
    for (const [name, f] of queries) expectClean(name, await sweep(name, { setup: () => f, call: (g) => void g(), after() {} }), 0);
  });

  it('lifecycle commands: MP_DEACTIVATE, MP_ACTIVATE, MP_RENAME, MP_DESTROY', async () => {
    pool.close();
    const ctl = sys.open(CTL, sys.O_RDWR);
    // The kernel's view, and the node brought in line with it (faults.ts, registered()).
    let nodeFixes = 0;
    const active = (n: string): boolean => {
      if (syncNode(n) !== 'none') nodeFixes++;
      return registered(n);
    };
    const lifecycle = (cmd: IoctlInfo, name: string, withDisk: boolean): Prepared => {
      const { buf, keep } = rawMpoolArgument({ name, paths: withDisk ? [DISK] : [] });
      return { fd: ctl, info: cmd, buf, keep };
    };
    const activateClean = (n: string): void => void pools.activate(n, { devices: [DISK] });
    try {
      expectClean(
        'MP_DEACTIVATE',
        await sweep('MP_DEACTIVATE', {
          setup: () => {
            if (!active(NAME)) activateClean(NAME);
            return lifecycle(IOCTLS.MPIOC_MP_DEACTIVATE, NAME, false);
          },
          call: (t) => run(t),
          after(_p, failed, problems) {
            if (active(NAME) !== failed) problems.push(`pool ${active(NAME) ? 'still' : 'not'} active after the call`);
          },
        }),
        0,
      );
      if (active(NAME)) pools.deactivate(NAME);
      expectClean(
        'MP_ACTIVATE',
        await sweep('MP_ACTIVATE', {
          setup: () => lifecycle(IOCTLS.MPIOC_MP_ACTIVATE, NAME, true),
          call: (t) => run(t),
          after(_p, failed, problems) {
            if (active(NAME) === failed) problems.push(`pool ${active(NAME) ? 'active' : 'not active'} after the call`);
            if (failed) activateClean(NAME);
            // The pool holds what it held: the fixed mblock reads back.
            const p = Pool.open(NAME, { write: true });
            try {
              if (!Buffer.from(p.mblocks.read(fixedMb, 0, DATA)).equals(expected(3))) problems.push('fixed mblock differs after activation');
            } finally {
              p.close();
            }
            pools.deactivate(NAME);
          },
        }),
      );
      expectClean(
        'MP_RENAME',
        await sweep('MP_RENAME', {
          setup: () => lifecycle(IOCTLS.MPIOC_MP_RENAME, RENAMED, true),
          call: (t) => run(t),
          after(_p, failed, problems) {
            const s = state(() => activateClean(failed ? NAME : RENAMED));
            if (s !== 'OK') problems.push(`activating under the ${failed ? 'old' : 'new'} name: ${s}`);
            else pools.deactivate(failed ? NAME : RENAMED);
            if (!failed) pools.rename(RENAMED, NAME, { devices: [DISK] });
          },
        }),
        0,
      );
      expectClean(
        'MP_DESTROY',
        await sweep('MP_DESTROY', {
          setup: () => lifecycle(IOCTLS.MPIOC_MP_DESTROY, NAME, true),
          call: (t) => run(t),
          after(_p, failed, problems) {
            if (failed) {
              const s = state(() => activateClean(NAME));
              if (s !== 'OK') problems.push(`the pool does not activate after a failed destroy: ${s}`);
              else pools.deactivate(NAME);
              return;
            }
            if (state(() => activateClean(NAME)) === 'OK') {
              problems.push('the pool still activates after its destroy');
              pools.deactivate(NAME);
            }
            // A destroy that went through although a point failed: the next point needs a pool.
            if (nth.lastLeft === 0) {
              pools.create(NAME, DISK, { force: true, mblockSize: 8, mdcCount: 2 });
              pools.deactivate(NAME);
            }
          },
        }),
        0,
      );
    } finally {
      sys.close(ctl);
    }
    console.log(`fail-nth: devtmpfs missed a node ${nodeFixes} time(s) (made or removed by the test)`);
    expect(kernelFailuresSince(marker)).toEqual([]);
  }, 1_800_000);
  /*
   * A device once added cannot be taken out of its pool, so each point gets
   * a new pool on DISK and adds STAGING to it. A failed add leaves the pool
   * with its one device, activating from it alone, and no superblock on
   * STAGING; an add that went through leaves a pool of both.
   */
  it('DRV_ADD: a staging device, each point on a new pool', async () => {
    destroyLeftovers();
    const paths = encodeDevicePaths([STAGING]);
    const props = encodePdProps([pdProp(STAGING, 'staging', 8)]);
    let opened: Pool | undefined;
    const devicesOf = (p: Pool): string[] => p.props().devices.map((d) => `${d.path}:${d.mclass}`).sort();
    try {
      expectClean(
        'DRV_ADD',
        await sweep('DRV_ADD', {
          setup: () => {
            pools.create(ADDED, DISK, { force: true, mblockSize: 8, mdcCount: 1 });
            opened = Pool.open(ADDED, { write: true });
            return prepare(opened.fd, IOCTLS.MPIOC_DRV_ADD, MpiocDrive, {
              drv_flags: 1, // force: STAGING may hold an erased pool's leftovers
              drv_rsvd1: 0,
              drv_dpathc: 1,
              drv_dpathssz: paths.length,
              drv_pd_prop: sys.addressOf(props),
              drv_dpaths: sys.addressOf(paths),
            });
          },
          call: (t) => run(t),
          after(_p, failed, problems) {
            const p = opened as Pool;
            const want = (failed ? [`${DISK}:capacity`] : [`${DISK}:capacity`, `${STAGING}:staging`]).sort();
            const have = devicesOf(p);
            if (have.join() !== want.join()) problems.push(`devices ${have.join(', ')}, want ${want.join(', ')}`);
            if (failed && hasSuperblockMagic(STAGING)) problems.push(`${STAGING} holds a superblock after a failed add`);
            p.close();
            opened = undefined;
            const devices = failed ? [DISK] : [DISK, STAGING];
            pools.deactivate(ADDED);
            const s = state(() => pools.activate(ADDED, { devices }));
            if (s !== 'OK') problems.push(`activation from ${devices.join(', ')}: ${s}`);
            else if (!failed) {
              const q = Pool.open(ADDED, { write: false });
              const again = devicesOf(q);
              q.close();
              if (again.join() !== want.join()) problems.push(`devices after reactivation ${again.join(', ')}`);
            }
            pools.destroy(ADDED, { force: true, devices });
            if (hasSuperblockMagic(STAGING)) problems.push(`${STAGING} holds a superblock after the destroy`);
          },
        }),
        5,
      );
    } finally {
      opened?.close();
    }
    // Their addresses were in every DRV_ADD: a use here keeps them alive to the end.
    expect(paths.length + props.length).toBeGreaterThan(0);
    expect(kernelFailuresSince(marker)).toEqual([]);
  }, 1_800_000);
});
