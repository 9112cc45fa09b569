/**
 * Parallel transfers (kmod/pd.c): the bios of one MB_WRITE or MB_READ are
 * in flight together, up to rwconc_max, each of at most chunk_size_kb.
 * Both parameters change at run time, within their ranges; data is right
 * with every shape; an I/O error in the middle of a transfer is EIO for the
 * whole call, nothing moves (the written length stays), and the pages the
 * bios pinned are all released.
 *
 * The pool sits on a device-mapper device over the first 2 GiB of
 * /dev/vdb, whose table can be switched to one with an "error" band inside
 * one mblock. An mblock starts at a multiple of the zone size: the test
 * finds one by a marker written at its first page.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlignedBuffer } from '../../../userland/src/lib/aligned.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog, runAsync } from '../helpers.js';
import { cleanup, DISK_B, dmCreate, dmRemove, dmSwap, failure, pools, random, sha256 } from './fixtures.js';

const NAME = 'objxfer';
const DM = 'objxfer';
const DEV = `/dev/mapper/${DM}`;
const MIB = 1 << 20;
const PAGE = 4096;
const ZONE_MIB = 16;
const ZONE = ZONE_MIB * MIB;
const SECTORS = (2048 * MIB) / 512;
const PARAMS = '/sys/module/mpool/parameters';
let pool: Pool | undefined;
let marker: string;

const param = (name: string): string => readFileSync(`${PARAMS}/${name}`, 'utf8').trim();

/** Write a module parameter; the errno of a refused write, or 'OK'. */
function setParam(name: string, value: string): string {
  try {
    writeFileSync(`${PARAMS}/${name}`, value);
    return 'OK';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

/** DISK_B as it is, but for `error` extents (sorted, apart). */
function table(...errors: { sector: number; sectors: number }[]): string {
  const lines: string[] = [];
  let at = 0;
  for (const { sector, sectors } of errors) {
    if (sector > at) lines.push(`${at} ${sector - at} linear ${DISK_B} ${at}`);
    lines.push(`${sector} ${sectors} error`);
    at = sector + sectors;
  }
  lines.push(`${at} ${SECTORS - at} linear ${DISK_B} ${at}`);
  return lines.join('\n');
}

const swap = (t: string): void => dmSwap(DM, t);

/**
 * Pages pinned and unpinned so far (FOLL_PIN: 6.2 and later pin direct-I/O
 * pages; 6.1 takes references). The counters keep per-CPU deltas that
 * /proc/vmstat does not add in: a write to vm.stat_refresh folds them into
 * the totals first. It is EINVAL when some other counter is negative, after
 * folding, which is no concern of ours.
 */
function pins(): { acquired: number; released: number } {
  try {
    writeFileSync('/proc/sys/vm/stat_refresh', '1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
  }
  const v = readFileSync('/proc/vmstat', 'utf8');
  const get = (k: string): number => Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(v)?.[1] ?? NaN);
  return { acquired: get('nr_foll_pin_acquired'), released: get('nr_foll_pin_released') };
}

/**
 * Let the event loop run: a vitest worker that stays busy for a minute
 * misses its RPC deadline, and these tests move a lot of data under TCG.
 */
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Byte offset on DEV of the mblock whose first page is `first` (its sha256 at each zone boundary, by dd). */
async function locate(first: Uint8Array): Promise<number> {
  const want = sha256(first);
  for (let off = 0; off + ZONE <= SECTORS * 512; off += ZONE) {
    const r = await runAsync('sh', ['-c', `dd if=${DEV} bs=${PAGE} skip=${off / PAGE} count=1 iflag=direct status=none | sha256sum`]);
    if (r.stdout.split(' ')[0] === want) return off;
  }
  throw new Error('mblock not found at any zone boundary');
}

beforeAll(() => {
  ensureLoaded();
  cleanup();
  marker = markKernelLog('objects-transfer');
  dmCreate(DM, table());
  pools.create(NAME, DEV, { mblockSize: ZONE_MIB });
  pool = Pool.open(NAME, { write: true });
});

afterAll(() => {
  try {
    if (pool) {
      pool.close();
      pools.destroy(NAME, { force: true, devices: [DEV] });
    }
  } finally {
    setParam('rwconc_max', '8');
    setParam('chunk_size_kb', '1024');
    dmRemove(DM);
  }
});

describe('transfer parameters', () => {
  it('rwconc_max and chunk_size_kb change at run time within 1..32 and 4..1024; anything else is EINVAL and changes nothing', () => {
    expect([param('rwconc_max'), param('chunk_size_kb')]).toEqual(['8', '1024']);
    for (const [name, bad] of [
      ['rwconc_max', ['0', '33', '-1', 'x']],
      ['chunk_size_kb', ['3', '1025', '0', '4k']],
    ] as const) {
      for (const v of bad) expect([name, v, setParam(name, v)]).toEqual([name, v, 'EINVAL']);
    }
    expect([param('rwconc_max'), param('chunk_size_kb')]).toEqual(['8', '1024']);
    for (const [name, v] of [['rwconc_max', '1'], ['rwconc_max', '32'], ['chunk_size_kb', '4'], ['chunk_size_kb', '1024']] as const) {
      expect(setParam(name, v)).toBe('OK');
      expect(param(name)).toBe(v);
    }
  });

  it('a 16 MiB mblock written in one call and read back in one and in pieces is right with every shape', async () => {
    const mb = pool!.mblocks;
    const data = random(ZONE);
    const sum = sha256(data);
    for (const [conc, chunk] of [[1, 4], [1, 1024], [8, 128], [32, 4], [32, 1024], [3, 68]] as const) {
      setParam('rwconc_max', String(conc));
      setParam('chunk_size_kb', String(chunk));
      const { id } = mb.alloc();
      const src = AlignedBuffer.from(data);
      mb.writeRaw(id, [{ address: src.address, length: ZONE }]);
      src.free();
      mb.commit(id);
      const all = AlignedBuffer.alloc(ZONE);
      mb.readRaw(id, 0, [{ address: all.address, length: ZONE }]);
      expect([conc, chunk, sha256(all.bytes)]).toEqual([conc, chunk, sum]);
      // Four iovecs of one read, out of order in memory.
      const q = ZONE / 4;
      mb.readRaw(id, 0, [3, 1, 0, 2].map((i) => ({ address: all.address + BigInt(i * q), length: q })));
      const back = Buffer.concat([3, 1, 0, 2].map((i) => all.bytes.subarray(i * q, (i + 1) * q)));
      expect([conc, chunk, sha256(back)]).toEqual([conc, chunk, sum]);
      all.free();
      mb.delete(id);
      await tick();
    }
  }, 600_000);
});

describe('an I/O error in the middle of a parallel transfer', () => {
  it('is EIO for a read across it, and reads beside it succeed; pinned pages are all released', async () => {
    setParam('rwconc_max', '8');
    setParam('chunk_size_kb', '64');
    const mb = pool!.mblocks;
    const data = random(ZONE);
    const { id } = mb.alloc();
    mb.write(id, data);
    mb.commit(id);
    await tick();
    const at = await locate(data.subarray(0, PAGE));
    // 64 KiB of errors 5 MiB into the mblock: bios before and after it succeed.
    swap(table({ sector: (at + 5 * MIB) / 512, sectors: 128 }));
    const before = pins();
    const buf = AlignedBuffer.alloc(ZONE);
    const whole = failure(() => mb.readRaw(id, 0, [{ address: buf.address, length: ZONE }]));
    expect(whole.code).toBe('EIO');
    mb.readRaw(id, 0, [{ address: buf.address, length: 4 * MIB }]);
    expect(sha256(buf.bytes.subarray(0, 4 * MIB))).toBe(sha256(data.subarray(0, 4 * MIB)));
    mb.readRaw(id, 6 * MIB, [{ address: buf.address, length: 4 * MIB }]);
    expect(sha256(buf.bytes.subarray(0, 4 * MIB))).toBe(sha256(data.subarray(6 * MIB, 10 * MIB)));
    const after = pins();
    if (!Number.isNaN(before.acquired) && after.acquired > before.acquired) {
      // Every page the failed and the good reads pinned is unpinned again.
      expect(after.acquired - before.acquired).toBe(after.released - before.released);
    }
    await tick();
    swap(table());
    mb.readRaw(id, 0, [{ address: buf.address, length: ZONE }]);
    expect(sha256(buf.bytes)).toBe(sha256(data));
    buf.free();
    mb.delete(id);
  }, 600_000);

  it('is EIO for a write across it; the written length stays, and the same write succeeds once the media answers', async () => {
    const mb = pool!.mblocks;
    const data = random(ZONE);
    const { id } = mb.alloc();
    mb.write(id, data.subarray(0, PAGE));
    const at = await locate(data.subarray(0, PAGE));
    swap(table({ sector: (at + 9 * MIB) / 512, sectors: 8 }));
    const src = AlignedBuffer.from(data.subarray(PAGE));
    const before = pins();
    const r = failure(() => mb.writeRaw(id, [{ address: src.address, length: ZONE - PAGE }]));
    const after = pins();
    expect(r.code).toBe('EIO');
    expect(mb.find(id).written).toBe(BigInt(PAGE));
    if (!Number.isNaN(before.acquired) && after.acquired > before.acquired) {
      expect(after.acquired - before.acquired).toBe(after.released - before.released);
    }
    await tick();
    swap(table());
    mb.writeRaw(id, [{ address: src.address, length: ZONE - PAGE }]);
    src.free();
    mb.commit(id);
    expect(sha256(mb.read(id))).toBe(sha256(data));
    mb.delete(id);
  }, 600_000);

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});

describe('an unreadable block past the end of a metadata log', () => {
  it('does not stop activation: the log is read in windows, and a window that fails is read again a block at a time', async () => {
    pool!.close();
    pool = undefined;
    pools.destroy(NAME, { force: true, devices: [DEV] });
    // 1 MiB zones: superblocks in zone 0, MDC-0's logs in 1..64, MDC-1's in 65 and 66, 1 MiB (256 blocks) each.
    const name = 'objmdc';
    pools.create(name, DEV, { mblockSize: 1, mdcCount: 1, mdcnCapacity: 1 });
    try {
      const p = Pool.open(name, { write: true });
      const data = random(PAGE);
      const ids: bigint[] = [];
      for (let i = 0; i < 8; i++) {
        const { id } = p.mblocks.alloc();
        p.mblocks.write(id, data);
        p.mblocks.commit(id);
        ids.push(id);
      }
      p.close();
      pools.deactivate(name);
      const block = async (off: number): Promise<string> =>
        (await runAsync('sh', ['-c', `dd if=${DEV} bs=${PAGE} skip=${off / PAGE} count=1 iflag=direct status=none | od -An -v -tx1 | tr -d ' \\n' | tr -d 0`])).stdout.trim();
      // The layout is as assumed: MDC-1's first log starts with a block and ends past its last one.
      expect(await block(65 * MIB)).not.toBe('');
      expect(await block(66 * MIB - PAGE)).toBe('');
      // The last block of each of MDC-1's logs fails to read.
      swap(table({ sector: (66 * MIB - PAGE) / 512, sectors: 8 }, { sector: (67 * MIB - PAGE) / 512, sectors: 8 }));
      pools.activate(name, { devices: [DEV] });
      const q = Pool.open(name);
      for (const id of ids) expect(sha256(q.mblocks.read(id, 0, PAGE))).toBe(sha256(data));
      q.close();
    } finally {
      swap(table());
      pools.destroy(name, { force: true, devices: [DEV] });
    }
  }, 600_000);

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
