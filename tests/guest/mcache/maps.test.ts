/**
 * mcache maps: every MPIOC_VMA_* command on its happy and error paths,
 * data through the map against data written, the layout 1.9.0 computes,
 * SIGBUS in holes, residency, purge, and the lifetimes (pins, busy pool,
 * last munmap, last close).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IOCTLS } from '../../../userland/src/gen/ioctl.js';
import { MpiocParams, MpiocVma, type MpiocVma as Vma } from '../../../userland/src/gen/structs.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { isMpoolError } from '../../../userland/src/sys/errors.js';
import * as sys from '../../../userland/src/sys/libc.js';
import { viewOf } from '../../../userland/src/uapi/runtime.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { committed, DISK_B, dropPool, failure, fnv, freshPool, mapLines, mcmap, PAGE, pattern, pools, REGION, sha256, ZONE, type Written } from './fixtures.js';

const NAME = 'mcmaps';
let pool: Pool;
let marker: string;
let small: Written[];

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('mcache-maps');
  pool = freshPool(NAME, { stagingDevice: DISK_B });
  // 1, 3 and 5 pages: the bucket is 8 pages (the largest, rounded up to a power of two).
  small = [committed(pool, pattern(1, 1)), committed(pool, pattern(3, 2)), committed(pool, pattern(5, 3))];
});

afterAll(() => dropPool(pool));

/** A raw VMA ioctl; returns the struct the kernel left, or throws the MpoolError. */
function vma(cmd: 'MPIOC_VMA_CREATE' | 'MPIOC_VMA_DESTROY' | 'MPIOC_VMA_PURGE' | 'MPIOC_VMA_VRSS', v: Partial<Vma>, fd = pool.fd): Vma {
  const buf = Buffer.alloc(MpiocVma.size);
  MpiocVma.encode(viewOf(buf), 0, { ...MpiocVma.zero(), ...v });
  sys.ioctl(fd, IOCTLS[cmd].request, buf, cmd);
  return MpiocVma.decode(viewOf(buf), 0);
}

function create(ids: readonly bigint[], advice = 1, fd = pool.fd): Vma {
  const idv = new BigUint64Array(ids);
  return vma('MPIOC_VMA_CREATE', { im_advice: advice, im_mbidc: ids.length, im_mbidv: sys.addressOf(new Uint8Array(idv.buffer)) }, fd);
}

const code = (fn: () => unknown): string => failure(fn).code;

describe('VMA_CREATE', () => {
  it('lays the mblocks out as 1.9.0 does: bucket = pow2 of the largest, one region per map, offset = region << 30', () => {
    const v = create(small.map((w) => w.id));
    expect(v.im_bktsz).toBe(8n * BigInt(PAGE));
    expect(v.im_len).toBe(REGION);
    expect(v.im_offset % REGION).toBe(0n);
    expect(v.im_offset / REGION).toBeGreaterThanOrEqual(1n);
    expect(v.im_mbidc).toBe(3);
    expect(v.im_rsvd).toBe(0n);
    const r = vma('MPIOC_VMA_VRSS', { im_offset: v.im_offset });
    expect(r.im_vssp).toBe(24n);
    expect(r.im_rssp).toBe(0n);
    vma('MPIOC_VMA_DESTROY', { im_offset: v.im_offset });
    expect(code(() => vma('MPIOC_VMA_VRSS', { im_offset: v.im_offset }))).toBe('ENOENT');
  });

  it('refuses, in 1.9.0 order: no ids or advice > PINNED (EINVAL), a bad pointer (EFAULT), a non-mblock id (EINVAL), an id not committed here (ENOENT), too much for a region (E2BIG)', () => {
    const ok = small[0]!.id;
    expect(code(() => create([]))).toBe('EINVAL');
    expect(code(() => create([ok], 4))).toBe('EINVAL');
    expect(code(() => vma('MPIOC_VMA_CREATE', { im_mbidc: 1, im_mbidv: 0n }))).toBe('EFAULT');
    expect(code(() => vma('MPIOC_VMA_CREATE', { im_mbidc: 2, im_mbidv: 0x1000n }))).toBe('EFAULT');
    const ml = pool.mlogs.alloc({ capacity: 1n << 20n });
    expect(code(() => create([ok, ml.id]))).toBe('EINVAL');
    pool.mlogs.abort(ml.id);
    const open = pool.mblocks.alloc();
    expect(code(() => create([ok, open.id]))).toBe('ENOENT');
    pool.mblocks.abort(open.id);
    const gone = committed(pool, pattern(1, 9));
    pool.mblocks.delete(gone.id);
    expect(code(() => create([gone.id]))).toBe('ENOENT');
    // More ids than pages in a region: E2BIG before the ids are even read.
    expect(code(() => vma('MPIOC_VMA_CREATE', { im_mbidc: (1 << 18) + 1, im_mbidv: 0n }))).toBe('E2BIG');
    expect(code(() => vma('MPIOC_VMA_CREATE', { im_mbidc: 0xffffffff, im_mbidv: 0n }))).toBe('E2BIG');
    // 257 full 4 MiB mblocks need 1 GiB + 4 MiB.
    const full = committed(pool, pattern(ZONE / PAGE, 7));
    expect(code(() => create(new Array<bigint>(257).fill(full.id)))).toBe('E2BIG');
    const v = create(new Array<bigint>(256).fill(full.id));
    expect(v.im_bktsz).toBe(BigInt(ZONE));
    vma('MPIOC_VMA_DESTROY', { im_offset: v.im_offset });
    // Nothing of the failed ones is left pinned.
    pool.mblocks.delete(full.id);
  });

  it('is refused on a read-only file (EINVAL) and on the control node (EINVAL); VRSS works read-only', () => {
    const v = create([small[0]!.id]);
    const ro = Pool.open(NAME);
    try {
      expect(code(() => create([small[0]!.id], 1, ro.fd))).toBe('EINVAL');
      expect(vma('MPIOC_VMA_VRSS', { im_offset: v.im_offset }, ro.fd).im_vssp).toBe(1n);
    } finally {
      ro.close();
    }
    const ctl = sys.open('/dev/mpoolctl', sys.O_RDWR);
    try {
      expect(code(() => create([small[0]!.id], 1, ctl))).toBe('EINVAL');
    } finally {
      sys.close(ctl);
    }
    vma('MPIOC_VMA_DESTROY', { im_offset: v.im_offset });
  });

  it('defines a map whose mblocks are all empty: one page per bucket, and every access SIGBUS', async () => {
    const e = [committed(pool, new Uint8Array(0)), committed(pool, new Uint8Array(0))];
    const v = create(e.map((w) => w.id));
    expect(v.im_bktsz).toBe(BigInt(PAGE));
    vma('MPIOC_VMA_DESTROY', { im_offset: v.im_offset });
    const r = await mcmap('touch', pool.path, e.map((w) => w.id), '0');
    expect(r.signal).toBe('SIGBUS');
    for (const w of e) pool.mblocks.delete(w.id);
  });

  it('PARAMS_GET reports the xvm_size_max VMA_CREATE enforces', () => {
    const p = MpiocParams.decode(viewOf(paramsGet()), 0);
    expect(p.mps_params.mp_vma_size_max).toBe(30);
  });
});

function paramsGet(): Buffer {
  const buf = Buffer.alloc(MpiocParams.size);
  sys.ioctl(pool.fd, IOCTLS.MPIOC_PARAMS_GET.request, buf, 'PARAMS_GET');
  return buf;
}

describe('data through the map', () => {
  it('equals the data written, by checksum, for mblocks of different sizes on both media classes', async () => {
    const mixed = [...small, committed(pool, pattern(16, 4), 'staging'), committed(pool, pattern(2, 5), 'staging'), committed(pool, pattern(ZONE / PAGE, 6))];
    const before = mapLines(NAME).length;
    const map = pool.mcache.map(mixed.map((w) => w.id), { advice: 'hot' });
    try {
      expect(map.bucketSize).toBe(ZONE);
      expect(mapLines(NAME).length).toBe(before + 1);
      mixed.forEach((w, i) => expect(sha256(map.view(i))).toBe(sha256(w.data)));
      // And a plain C client sees the same bytes.
      const c = await mcmap('sum', pool.path, mixed.map((w) => w.id));
      expect(c.status).toBe(0);
      expect(c.out[0]!.sums).toEqual(mixed.map((w) => fnv(w.data)));
    } finally {
      map.close();
    }
    expect(mapLines(NAME).length).toBe(before);
    for (const w of mixed.slice(3)) pool.mblocks.delete(w.id);
  });

  it('maps 1, 32 and 33 mblocks (1.9.0 refused 33), one /proc/self/maps entry each', () => {
    const ids = Array.from({ length: 33 }, (_, i) => committed(pool, pattern(1 + (i % 4), 100 + i)));
    for (const n of [1, 32, 33]) {
      const before = mapLines(NAME).length;
      const map = pool.mcache.map(ids.slice(0, n).map((w) => w.id));
      try {
        expect(mapLines(NAME).length).toBe(before + 1);
        for (let i = 0; i < n; i++) expect(sha256(map.view(i))).toBe(sha256(ids[i]!.data));
        expect(map.residency().virtual).toBe(BigInt((n * map.bucketSize) / PAGE));
      } finally {
        map.close();
      }
    }
    for (const w of ids) pool.mblocks.delete(w.id);
  });

  it('maps 70,000 mblocks (more than vm.max_map_count) in one VMA', () => {
    const distinct = Array.from({ length: 8 }, (_, i) => committed(pool, pattern(1, 500 + i)));
    const ids = Array.from({ length: 70_000 }, (_, i) => distinct[i % 8]!.id);
    const maxMapCount = Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
    expect(ids.length).toBeGreaterThan(maxMapCount);
    const before = mapLines(NAME).length;
    const map = pool.mcache.map(ids);
    try {
      expect(map.bucketSize).toBe(PAGE);
      expect(mapLines(NAME).length).toBe(before + 1);
      for (const i of [0, 1, 7, 8, 12_345, 69_999]) expect(sha256(map.view(i))).toBe(sha256(distinct[i % 8]!.data));
      const r = map.residency();
      expect(r.virtual).toBe(70_000n);
      expect(r.resident).toBe(6n);
    } finally {
      map.close();
    }
    for (const w of distinct) pool.mblocks.delete(w.id);
  });

  it('SIGBUS at the written length, in the rest of the bucket and in the tail of the region; bytes before it read', async () => {
    const ids = small.map((w) => w.id);
    const bkt = 8 * PAGE;
    expect((await mcmap('touch', pool.path, ids, String(3 * PAGE - 1 + bkt))).out[0]).toEqual({ value: small[1]!.data[3 * PAGE - 1] });
    expect((await mcmap('touch', pool.path, ids, String(bkt + 3 * PAGE))).signal).toBe('SIGBUS');
    expect((await mcmap('touch', pool.path, ids, String(PAGE))).signal).toBe('SIGBUS');
    expect((await mcmap('touch', pool.path, ids, String(3 * bkt))).signal).toBe('SIGBUS');
    expect((await mcmap('touch', pool.path, ids, String(Number(REGION) - 1))).signal).toBe('SIGBUS');
  });
});

describe('VMA_DESTROY, VMA_PURGE, VMA_VRSS', () => {
  it('DESTROY frees a map never mmapped; for a mapped or unknown one it does nothing and returns 0', () => {
    const v = create([small[0]!.id]);
    vma('MPIOC_VMA_DESTROY', { im_offset: v.im_offset });
    vma('MPIOC_VMA_DESTROY', { im_offset: v.im_offset });
    vma('MPIOC_VMA_DESTROY', { im_offset: 12345n << 30n });
    vma('MPIOC_VMA_DESTROY', { im_offset: -1n });
    const map = pool.mcache.map([small[1]!.id]);
    try {
      vma('MPIOC_VMA_DESTROY', { im_offset: map.offset });
      expect(sha256(map.view(0))).toBe(sha256(small[1]!.data));
    } finally {
      map.close();
    }
  });

  it('VRSS counts the pages read, in pages; PURGE drops them and the next touch reads the media again', () => {
    const big = committed(pool, pattern(64, 42));
    const map = pool.mcache.map([big.id, small[2]!.id]);
    try {
      const v = map.view(0);
      // Faults read one page each until madvise says otherwise (1.9.0).
      for (const p of [0, 5, 9, 63]) expect(v[p * PAGE]).toBe(big.data[p * PAGE]);
      expect(map.residency()).toEqual({ resident: 4n, virtual: 128n });
      expect(map.mincore()).toBe(4);
      map.purge();
      expect(map.residency().resident).toBe(0n);
      expect(map.mincore()).toBe(0);
      expect(sha256(map.view(0))).toBe(sha256(big.data));
      expect(map.residency().resident).toBe(64n);
    } finally {
      map.close();
    }
    pool.mblocks.delete(big.id);
  });

  it('PURGE and VRSS of an offset in no live region are ENOENT; an unaligned offset inside a live region selects it', () => {
    expect(code(() => vma('MPIOC_VMA_PURGE', { im_offset: 999n << 30n }))).toBe('ENOENT');
    expect(code(() => vma('MPIOC_VMA_VRSS', { im_offset: 0n }))).toBe('ENOENT');
    expect(code(() => vma('MPIOC_VMA_VRSS', { im_offset: -4096n }))).toBe('ENOENT');
    const v = create([small[0]!.id]);
    expect(vma('MPIOC_VMA_VRSS', { im_offset: v.im_offset + 12345n }).im_vssp).toBe(1n);
    vma('MPIOC_VMA_PURGE', { im_offset: v.im_offset + 4096n });
    vma('MPIOC_VMA_DESTROY', { im_offset: v.im_offset });
  });
});

describe('madvise', () => {
  it('DONTNEED zaps PTEs only: the page cache stays, VRSS is unchanged, the re-touch is a minor fault', () => {
    const w = committed(pool, pattern(8, 77));
    const map = pool.mcache.map([w.id]);
    try {
      expect(sha256(map.view(0))).toBe(sha256(w.data));
      expect(map.residency().resident).toBe(8n);
      map.madvise(0, 0, Infinity, 'dontneed');
      expect(map.residency().resident).toBe(8n);
      expect(sha256(map.view(0))).toBe(sha256(w.data));
    } finally {
      map.close();
    }
    pool.mblocks.delete(w.id);
  });

  it('WILLNEED reads ahead up to the pool ra (32 pages) of each mblock, and nothing with ra=0; SEQUENTIAL reads ahead on a fault', () => {
    const a = committed(pool, pattern(100, 11));
    const b = committed(pool, pattern(100, 12));
    const map = pool.mcache.map([a.id, b.id]);
    try {
      map.madvise(0, 0, Infinity, 'willneed');
      expect(map.residency().resident).toBe(64n);
      map.purge();
      map.madvise(0, 0, Infinity, 'sequential');
      expect(map.view(0)[0]).toBe(a.data[0]);
      expect(map.residency().resident).toBeGreaterThan(1n);
      expect(map.residency().resident).toBeLessThanOrEqual(33n);
      map.purge();
      map.madvise(0, 0, Infinity, 'random');
      expect(map.view(1)[PAGE]).toBe(b.data[PAGE]);
      expect(map.residency().resident).toBe(1n);
      expect(() => map.madvise(0, 0, map.bucketSize + PAGE, 'normal')).toThrow(/do not fit/);
    } finally {
      map.close();
    }
    pool.setParams({ readaheadPages: 0 });
    const m2 = pool.mcache.map([a.id]);
    try {
      m2.madvise(0, 0, Infinity, 'willneed');
      expect(m2.residency().resident).toBe(0n);
    } finally {
      m2.close();
      pool.setParams({ readaheadPages: 32 });
    }
    pool.mblocks.delete(a.id);
    pool.mblocks.delete(b.id);
  });

  it('POPULATE_READ over a hole is EFAULT, WILLNEED over holes is no error', async () => {
    const r = await mcmap('advise', pool.path, small.map((w) => w.id));
    expect(r.out[0]).toEqual({ willneed: 0, populateData: 0, populateHole: 14 });
  });
});

describe('lifetimes', () => {
  it('MB_DELETE of an mblock held by a map, mapped or not, is EBUSY; right after close() it succeeds', () => {
    const w = committed(pool, pattern(2, 88));
    const v = create([w.id]);
    expect(code(() => pool.mblocks.delete(w.id))).toBe('EBUSY');
    vma('MPIOC_VMA_DESTROY', { im_offset: v.im_offset });
    const map = pool.mcache.map([w.id, w.id]);
    expect(code(() => pool.mblocks.delete(w.id))).toBe('EBUSY');
    map.close();
    pool.mblocks.delete(w.id);
  });

  it('a live map keeps the pool busy: deactivate is EBUSY until it is unmapped', () => {
    const map = pool.mcache.map([small[0]!.id]);
    pool.close();
    try {
      expect(failure(() => pools.deactivate(NAME)).code).toBe('EBUSY');
      expect(sha256(map.view(0))).toBe(sha256(small[0]!.data));
    } finally {
      map.close();
    }
    pools.deactivate(NAME);
    pools.activate(NAME);
    pool = Pool.open(NAME, { write: true });
  });

  it('the last close of the pool node destroys the maps never mmapped; mapped ones keep working', () => {
    const w = committed(pool, pattern(3, 99));
    create([w.id]);
    const mapped = pool.mcache.map([small[1]!.id]);
    pool.close();
    pool = Pool.open(NAME, { write: true });
    pool.mblocks.delete(w.id);
    expect(sha256(mapped.view(0))).toBe(sha256(small[1]!.data));
    mapped.close();
  });

  it('a view after close() reads zeros, never the old data, and every map method throws EBADF', () => {
    const map = pool.mcache.map([small[2]!.id]);
    const v = map.view(0);
    expect(v[0]).toBe(small[2]!.data[0]);
    map.close();
    expect(v.every((x) => x === 0)).toBe(true);
    for (const f of [() => map.view(0), () => map.residency(), () => map.purge(), () => map.madvise(0, 0, PAGE, 'normal')]) {
      const e = failure(f);
      expect(e.code).toBe('EBADF');
    }
    map.close();
  });

  it('mmap of an unknown offset, across a region, or on the control node is EINVAL; PROT_WRITE and PROT_EXEC are EACCES', () => {
    const v = create([small[0]!.id]);
    const e = (fn: () => unknown): string => {
      try {
        fn();
        return 'OK';
      } catch (x) {
        return isMpoolError(x) ? x.code : String(x);
      }
    };
    expect(e(() => sys.mmap(PAGE, sys.PROT_READ, sys.MAP_SHARED, pool.fd, 777n << 30n))).toBe('EINVAL');
    expect(e(() => sys.mmap(2 * PAGE, sys.PROT_READ, sys.MAP_SHARED, pool.fd, v.im_offset + REGION - BigInt(PAGE)))).toBe('EINVAL');
    expect(e(() => sys.mmap(PAGE, sys.PROT_READ | sys.PROT_WRITE, sys.MAP_SHARED, pool.fd, v.im_offset))).toBe('EACCES');
    const ctl = sys.open('/dev/mpoolctl', sys.O_RDWR);
    try {
      expect(e(() => sys.mmap(PAGE, sys.PROT_READ, sys.MAP_SHARED, ctl, v.im_offset))).toBe('EINVAL');
    } finally {
      sys.close(ctl);
    }
    // A page-aligned part of the region maps too.
    const part = sys.mmap(PAGE, sys.PROT_READ, sys.MAP_SHARED, pool.fd, v.im_offset);
    expect(part.bytes[0]).toBe(small[0]!.data[0]);
    part.unmap();
  });

  it('left no kernel warnings', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
