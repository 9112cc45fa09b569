/**
 * The MlogMedia of the record framing (userland/src/mlog/media.ts) over a
 * committed kernel mlog: MLOG_READ/WRITE through Mlogs.
 */
import type { MlogMedia } from '../mlog/media.js';
import { MpoolError } from '../sys/errors.js';
import { AlignedBuffer, alignedBytes, PAGE_SIZE } from './aligned.js';
import { EINVAL } from './errno.js';
import type { Mlogs } from './mlog.js';
import { pageSpan } from './objects.js';

/**
 * An MlogMedia over MLOG_READ/WRITE of a committed mlog. Geometry, uuid
 * and generation are read once, at construction (make a new one after an
 * erase). Reads and writes of any offset and length work: partial pages
 * are read, patched and written back whole.
 */
export class KernelMlogMedia implements MlogMedia {
  readonly id: bigint;
  readonly sectorSize: number;
  readonly capacity: number;
  readonly uuid: Uint8Array;
  readonly gen: bigint;
  readonly #mlogs: Mlogs;
  readonly #idHex: string;

  constructor(mlogs: Mlogs, id: bigint) {
    const p = mlogs.find(id);
    this.#mlogs = mlogs;
    this.#idHex = p.idHex;
    this.id = id;
    this.sectorSize = p.sectorSize;
    this.capacity = Number(p.capacity);
    this.uuid = p.uuidBytes;
    this.gen = p.gen;
  }

  /** Aligned pages: the framing's flushes go to MLOG_WRITE with no bounce copy. */
  allocBuffer(length: number): Uint8Array {
    return alignedBytes(length);
  }

  read(off: number, buf: Uint8Array): void {
    this.#pages('read', off, buf, (start, tmp) => {
      this.#mlogs.readPages(this.id, start, tmp);
      buf.set(tmp.bytes.subarray(off - start, off - start + buf.length));
    });
  }

  write(off: number, buf: Uint8Array): void {
    this.#pages('write', off, buf, (start, tmp) => {
      const length = tmp.length;
      // Only the partial first and last pages need their old contents.
      if (off !== start) this.#mlogs.readPages(this.id, start, tmp.bytes.subarray(0, PAGE_SIZE));
      if ((off + buf.length) % PAGE_SIZE !== 0 && (length > PAGE_SIZE || off === start)) {
        this.#mlogs.readPages(this.id, start + length - PAGE_SIZE, tmp.bytes.subarray(length - PAGE_SIZE, length));
      }
      tmp.bytes.set(buf, off - start);
      this.#mlogs.writePages(this.id, start, tmp);
    });
  }

  /**
   * Check the range, then move whole pages straight from `buf` when it is
   * whole pages, else through `partial` on an aligned copy of the pages
   * that cover it (`start`: the first page's offset).
   */
  #pages(op: 'read' | 'write', off: number, buf: Uint8Array, partial: (start: number, tmp: AlignedBuffer) => void): void {
    if (!Number.isSafeInteger(off) || off < 0 || off + buf.length > this.capacity) {
      const detail = `mlog ${this.#idHex}: ${buf.length} bytes at ${off} are outside its ${this.capacity} bytes`;
      throw new MpoolError({ errno: EINVAL, op: `mlog ${op}`, path: this.#mlogs.pool.path, detail });
    }
    if (buf.length === 0) return;
    const span = pageSpan(off, buf.length);
    if (span.start === off && span.length === buf.length) {
      if (op === 'read') this.#mlogs.readPages(this.id, off, buf);
      else this.#mlogs.writePages(this.id, off, buf);
      return;
    }
    const tmp = AlignedBuffer.alloc(span.length);
    try {
      partial(span.start, tmp);
    } finally {
      tmp.free();
    }
  }
}

/** The MlogMedia of mlog `id` of an open pool. */
export function kernelMlogMedia(pool: { readonly mlogs: Mlogs }, id: bigint): KernelMlogMedia {
  return new KernelMlogMedia(pool.mlogs, id);
}
