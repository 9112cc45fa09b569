/**
 * mcache edge cases of the note's section 6 not covered elsewhere: an id
 * array read through a live map, advice the kernel handles generically,
 * MAP_LOCKED, and fork then exec.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IOCTLS } from '../../../userland/src/gen/ioctl.js';
import { MpiocVma } from '../../../userland/src/gen/structs.js';
import type { Pool } from '../../../userland/src/lib/pool.js';
import * as sys from '../../../userland/src/sys/libc.js';
import { viewOf } from '../../../userland/src/uapi/runtime.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { committed, dropPool, fnv, freshPool, mcmap, PAGE, pattern, sha256, type Written } from './fixtures.js';

const NAME = 'mcedges';
let pool: Pool;
let marker: string;
let data: Written[];

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('mcache-edges');
  pool = freshPool(NAME);
  data = [committed(pool, pattern(4, 1)), committed(pool, pattern(9, 2))];
});

afterAll(() => dropPool(pool));

const MAP_LOCKED = 0x2000;

describe('edge cases', () => {
  it('VMA_CREATE reads an id array that lies inside a live map (its copy faults the map)', () => {
    // An mblock whose bytes are the id array, mapped; CREATE is given its address.
    const ids = new BigUint64Array(PAGE / 8);
    ids[0] = data[0]!.id;
    ids[1] = data[1]!.id;
    const holder = committed(pool, new Uint8Array(ids.buffer));
    const map = pool.mcache.map([holder.id]);
    try {
      map.purge();
      const [addr] = map.pageAddresses(0, [0]);
      const arg = Buffer.alloc(MpiocVma.size);
      MpiocVma.encode(viewOf(arg), 0, { ...MpiocVma.zero(), im_advice: 2, im_mbidc: 2, im_mbidv: addr! });
      sys.ioctl(pool.fd, IOCTLS.MPIOC_VMA_CREATE.request, arg, 'VMA_CREATE');
      const v = MpiocVma.decode(viewOf(arg), 0);
      expect(v.im_bktsz).toBe(16n * BigInt(PAGE));
      expect(map.residency().resident).toBe(1n);
      pool.mcache.destroy(v.im_offset);
    } finally {
      map.close();
    }
    pool.mblocks.delete(holder.id);
  });

  it('MADV_COLD and MADV_PAGEOUT are no error; MAP_LOCKED maps and reads', () => {
    const map = pool.mcache.map(data.map((w) => w.id));
    try {
      expect(sha256(map.view(1))).toBe(sha256(data[1]!.data));
      const m = sys.mmap(map.length, sys.PROT_READ, sys.MAP_SHARED, pool.fd, map.offset);
      try {
        sys.madvise(m, 0, map.length, sys.MADV_COLD);
        sys.madvise(m, 0, map.length, sys.MADV_PAGEOUT);
      } finally {
        m.unmap();
      }
      const locked = sys.mmap(map.length, sys.PROT_READ, sys.MAP_SHARED | MAP_LOCKED, pool.fd, map.offset);
      try {
        expect(sha256(locked.bytes.subarray(0, data[0]!.data.length))).toBe(sha256(data[0]!.data));
      } finally {
        locked.unmap();
      }
      expect(sha256(map.view(0))).toBe(sha256(data[0]!.data));
    } finally {
      map.close();
    }
  });

  it('fork then exec: the exec drops the child\'s copy, the parent reads on', async () => {
    const r = await mcmap('fork-exec', pool.path, data.map((w) => w.id));
    expect(r.status).toBe(0);
    expect(r.out[0]).toMatchObject({ execStatus: 0, sums: data.map((w) => fnv(w.data)) });
  });

  it('left no kernel warnings', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
