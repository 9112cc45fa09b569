/**
 * mcache maps: many committed mblocks in one read-only mmap (MPIOC_VMA_*).
 *
 *   const map = pool.mcache.map(ids, { advice: 'warm' });
 *   const bytes = map.view(0);        // zero-copy: mblock 0, its written length
 *   map.madvise(0, 0, Infinity, 'willneed');
 *   map.residency();                  // { resident, virtual } in pages
 *   map.purge();                      // drop the cached pages; the next touch reads the media
 *   map.close();                      // munmap: the mblocks can be deleted again
 *
 * A map pins its mblocks: MB_DELETE of one is EBUSY until close(). Views
 * stay safe after close(): their memory is replaced, in the same call that
 * unmaps the map, by zero pages that are given back when the views are
 * garbage collected; every McacheMap method then throws EBADF. Node 20
 * cannot detach an external ArrayBuffer, so a stale view reads zeros rather
 * than throwing: copy a view before handing it to anything that may read it
 * after close() (an asynchronous stream write, a worker). A map revoked by a forced destroy raises SIGBUS on any
 * access to a page not yet read, as a file truncated under an mmap does.
 */
import { MpcVmaAdvice } from '../gen/constants.js';
import { MpiocVma } from '../gen/structs.js';
import { MpoolError } from '../sys/errors.js';
import * as sys from '../sys/libc.js';
import { PAGE_SIZE } from './aligned.js';
import { EBADF, EINVAL } from './errno.js';
import type { Mblocks } from './mblock.js';
import { objectIdHex } from './objects.js';
import { PoolObjects, type PoolHandle } from './pool-objects.js';

/** How long the map's pages deserve to stay cached (the reaper's temperature). */
export type McacheAdvice = 'cold' | 'warm' | 'hot' | 'pinned';

export const MCACHE_ADVICE: Record<McacheAdvice, number> = {
  cold: MpcVmaAdvice.MPC_VMA_COLD,
  warm: MpcVmaAdvice.MPC_VMA_WARM,
  hot: MpcVmaAdvice.MPC_VMA_HOT,
  pinned: MpcVmaAdvice.MPC_VMA_PINNED,
};

/** madvise(2) advice a map takes. */
export type MapAdvice = 'normal' | 'random' | 'sequential' | 'willneed' | 'dontneed';

const MADVICE: Record<MapAdvice, number> = {
  normal: sys.MADV_NORMAL,
  random: sys.MADV_RANDOM,
  sequential: sys.MADV_SEQUENTIAL,
  willneed: sys.MADV_WILLNEED,
  dontneed: sys.MADV_DONTNEED,
};

export interface McacheMapOptions {
  /** Default warm. */
  advice?: McacheAdvice;
}

/** What VMA_CREATE answers: where the map is in the pool's mmap offsets. */
export interface McacheLayout {
  /** mmap offset of the map's region. */
  offset: bigint;
  /** Address space of each mblock, bytes: a power of two. */
  bucketSize: bigint;
  /** The region's length, bytes (2^xvm_size_max). */
  regionLength: bigint;
}

/** VMA_VRSS, in pages. */
export interface McacheResidency {
  /** Pages of the map in the page cache. */
  resident: bigint;
  /** Pages the map spans: mblocks × bucket size. */
  virtual: bigint;
}

/** The MPIOC_VMA_* commands of one pool, and maps made with them. */
export class Mcache extends PoolObjects<{ committed: boolean }> {
  protected readonly kind = 'mblock' as const;
  readonly #mblocks: Mblocks;

  constructor(pool: PoolHandle, mblocks: Mblocks) {
    super(pool);
    this.#mblocks = mblocks;
  }

  find(id: bigint): { committed: boolean } {
    return this.#mblocks.find(id);
  }

  /** VMA_CREATE only: a map of `ids` (committed mblocks of this pool, duplicates allowed), not yet mmapped. */
  create(ids: readonly bigint[], opts: McacheMapOptions = {}): McacheLayout {
    const advice = MCACHE_ADVICE[opts.advice ?? 'warm'];
    if (advice === undefined) throw this.problem('create', `advice "${String(opts.advice)}" is not one of cold, warm, hot, pinned`);
    if (ids.length === 0) throw this.problem('create', 'a map needs one mblock at least');
    const idv = new BigUint64Array(ids.length);
    ids.forEach((id, i) => (idv[i] = id));
    const bytes = new Uint8Array(idv.buffer);
    const out = this.guardVma('create', ids, () =>
      this.ioctl('MPIOC_VMA_CREATE', MpiocVma, { ...MpiocVma.zero(), im_advice: advice, im_mbidc: ids.length, im_mbidv: sys.addressOf(bytes) }),
    );
    return { offset: out.im_offset, bucketSize: out.im_bktsz, regionLength: out.im_len };
  }

  /** VMA_DESTROY: frees a map that was never mmapped; a no-op otherwise (1.9.0). */
  destroy(offset: bigint): void {
    this.guardVma('destroy', [], () => this.ioctl('MPIOC_VMA_DESTROY', MpiocVma, { ...MpiocVma.zero(), im_offset: offset }));
  }

  /** VMA_PURGE: drops every cached page of the map at `offset`. */
  purge(offset: bigint): void {
    this.guardVma('purge', [], () => this.ioctl('MPIOC_VMA_PURGE', MpiocVma, { ...MpiocVma.zero(), im_offset: offset }));
  }

  /** VMA_VRSS of the map at `offset`. */
  residency(offset: bigint): McacheResidency {
    const out = this.guardVma('residency', [], () => this.ioctl('MPIOC_VMA_VRSS', MpiocVma, { ...MpiocVma.zero(), im_offset: offset }));
    return { resident: out.im_rssp, virtual: out.im_vssp };
  }

  /**
   * Map `ids` and mmap them: VMA_CREATE, then one read-only shared mmap of
   * the part of the region that holds data. If the mmap fails, the map is
   * destroyed again (as libmpool does).
   */
  map(ids: readonly bigint[], opts: McacheMapOptions = {}): McacheMap {
    // The kernel checks the ids first: its errno is the one to report.
    const layout = this.create(ids, opts);
    const length = Number(layout.bucketSize) * ids.length;
    let written: number[];
    let mapping: sys.Mapping;
    try {
      written = this.writtenLengths(ids);
      mapping = sys.mmap(length, sys.PROT_READ, sys.MAP_SHARED, this.pool.fd, layout.offset, this.pool.path);
    } catch (e) {
      this.destroy(layout.offset);
      throw e;
    }
    return new McacheMap(this, ids, written, layout, mapping);
  }

  /** Each id's written length, asking the kernel once per distinct id. */
  private writtenLengths(ids: readonly bigint[]): number[] {
    const seen = new Map<bigint, number>();
    return ids.map((id) => {
      let w = seen.get(id);
      if (w === undefined) {
        w = Number(this.#mblocks.find(id).written);
        seen.set(id, w);
      }
      return w;
    });
  }

  private problem(op: string, detail: string): MpoolError {
    return new MpoolError({ errno: EINVAL, op: `mcache ${op}`, path: this.pool.path, detail });
  }

  /** Name the map, and the hint for each errno VMA_* documents. */
  private guardVma<T>(op: string, ids: readonly bigint[], fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof MpoolError)) throw e;
      const hint: Partial<Record<string, string>> = {
        EINVAL: ids.length > 0 ? 'an id is not an mblock id of this pool, or the advice is out of range' : 'bad argument',
        ENOENT: ids.length > 0 ? 'an mblock is not committed in this pool (uncommitted, deleted or unknown)' : 'no map at that offset',
        E2BIG: `the mblocks do not fit one map region (mblocks × bucket size > 2^xvm_size_max)`,
        ENOSPC: 'the pool has xvm_max maps already',
        ENODEV: 'the pool has been deactivated',
      };
      throw new MpoolError({ errno: e.errno, op: `mcache ${op}`, path: this.pool.path, detail: hint[e.code] ?? e.message, cause: e });
    }
  }
}

/**
 * Give a map's addresses back once nothing can reach them: the map itself
 * if it was never closed, or the reservation close() left behind.
 */
const reclaim = new FinalizationRegistry<{ address: bigint; length: number }>((r) => {
  try {
    sys.unmapRange(r.address, r.length);
  } catch {
    /* the process is going away, or the range was never ours */
  }
});

/** One mmapped map. */
export class McacheMap {
  readonly ids: readonly bigint[];
  readonly offset: bigint;
  /** Bytes of address space per mblock. */
  readonly bucketSize: number;
  /** Bytes mapped: mblocks × bucketSize. */
  readonly length: number;
  readonly address: bigint;
  readonly #mcache: Mcache;
  readonly #written: readonly number[];
  #bytes: Uint8Array | null;
  #mapping: sys.Mapping | null;

  constructor(mcache: Mcache, ids: readonly bigint[], written: readonly number[], layout: McacheLayout, mapping: sys.Mapping) {
    this.#mcache = mcache;
    this.ids = [...ids];
    this.#written = written;
    this.offset = layout.offset;
    this.bucketSize = Number(layout.bucketSize);
    this.length = mapping.length;
    this.address = mapping.address;
    this.#mapping = mapping;
    this.#bytes = mapping.bytes;
    reclaim.register(this.#bytes.buffer, { address: this.address, length: this.length });
  }

  get count(): number {
    return this.ids.length;
  }

  get closed(): boolean {
    return this.#bytes === null;
  }

  /** Written bytes of mblock `i`. */
  written(i: number): number {
    this.index('written', i);
    return this.#written[i]!;
  }

  /** A zero-copy view of mblock `i`: its written bytes, read from the page cache. */
  view(i: number): Uint8Array {
    const bytes = this.live('view');
    this.index('view', i);
    const start = i * this.bucketSize;
    return bytes.subarray(start, start + this.#written[i]!);
  }

  /** Pages of mblock `i` (libmpool's getpages): one zero-copy view per page number. */
  pages(i: number, pageNumbers: readonly number[]): Uint8Array[] {
    const v = this.view(i);
    return pageNumbers.map((p) => {
      if (!Number.isSafeInteger(p) || p < 0 || (p + 1) * PAGE_SIZE > v.length) {
        throw this.error('pages', EINVAL, `page ${p} is not a written page of mblock ${i} (${v.length / PAGE_SIZE} pages)`);
      }
      return v.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
    });
  }

  /** The addresses of those pages, for native code. */
  pageAddresses(i: number, pageNumbers: readonly number[]): bigint[] {
    this.pages(i, pageNumbers);
    const base = this.address + BigInt(i * this.bucketSize);
    return pageNumbers.map((p) => base + BigInt(p * PAGE_SIZE));
  }

  /**
   * madvise(2) over `len` bytes at `off` of mblock `i`'s bucket; `len`
   * Infinity means to the end of the map (libmpool's SIZE_MAX). Otherwise
   * `off + len` must fit the bucket (EINVAL), as in libmpool.
   */
  madvise(i: number, off: number, len: number, advice: MapAdvice): void {
    this.live('madvise');
    this.index('madvise', i);
    const adv = MADVICE[advice];
    if (adv === undefined) throw this.error('madvise', EINVAL, `advice "${String(advice)}" is not one of ${Object.keys(MADVICE).join(', ')}`);
    const start = i * this.bucketSize + off;
    const bad = !Number.isSafeInteger(off) || off < 0 || off % PAGE_SIZE !== 0;
    if (bad || (len !== Infinity && (!Number.isSafeInteger(len) || len <= 0 || off + len > this.bucketSize))) {
      throw this.error('madvise', EINVAL, `${len} bytes at ${off} do not fit mblock ${i}'s bucket of ${this.bucketSize} bytes`);
    }
    sys.madvise(this.#mapping!, start, len === Infinity ? this.length - start : len, adv);
  }

  /** VMA_PURGE: every cached page of the map goes; the next touch reads the media. */
  purge(): void {
    this.live('purge');
    this.#mcache.purge(this.offset);
  }

  /** VMA_VRSS, in pages. */
  residency(): McacheResidency {
    this.live('residency');
    return this.#mcache.residency(this.offset);
  }

  /** Resident pages by mincore(2) (pages mapped or cached and up to date). */
  mincore(): number {
    this.live('mincore');
    return sys.mincore(this.#mapping!).reduce((n, b) => n + (b & 1), 0);
  }

  /**
   * munmap: the map is released before this returns, so its mblocks can be
   * deleted right away. Views taken earlier read zeros from now on.
   */
  close(): void {
    if (this.#bytes === null) return;
    sys.replaceWithReservation(this.address, this.length);
    this.#bytes = null;
    this.#mapping = null;
  }

  private live(op: string): Uint8Array {
    if (this.#bytes === null) throw this.error(op, EBADF, `the map at offset 0x${this.offset.toString(16)} is closed`);
    return this.#bytes;
  }

  private index(op: string, i: number): void {
    if (!Number.isSafeInteger(i) || i < 0 || i >= this.ids.length) {
      throw this.error(op, EINVAL, `index ${i} is not one of the map's ${this.ids.length} mblocks`);
    }
  }

  private error(op: string, errno: number, detail: string): MpoolError {
    return new MpoolError({ errno, op: `mcache ${op}`, path: this.#mcache.pool.path, detail });
  }

  toString(): string {
    return `mcache map @0x${this.offset.toString(16)}: ${this.ids.length} mblocks (${this.ids.slice(0, 3).map(objectIdHex).join(', ')}${this.ids.length > 3 ? ', ...' : ''})`;
  }
}
