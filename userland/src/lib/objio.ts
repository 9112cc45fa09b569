/**
 * Moving bytes through the object I/O ioctls. The kernel takes whole,
 * aligned pages only: data already in such memory (an AlignedBuffer, or any
 * view that happens to be aligned) goes as is; anything else is copied
 * through a bounce buffer no larger than one ioctl's worth. Each ioctl is
 * issued by the caller's `issue(segments, at)`, `at` being the byte offset
 * of its first segment from the start of the transfer.
 */
import { MpoolError } from '../sys/errors.js';
import type { IoSegment } from '../sys/iovec.js';
import { alignedAddress, AlignedBuffer, PAGE_SIZE, roundUpToPage, withBounce } from './aligned.js';
import { EINVAL } from './errno.js';
import { planIo, type IoLimits } from './objects.js';

/** What a write takes: bytes, aligned buffers, or a list of either (written in order). */
export type IoData = Uint8Array | AlignedBuffer | readonly (Uint8Array | AlignedBuffer)[];

export type Issue = (segs: IoSegment[], at: number) => void;

function piecesOf(data: IoData): Uint8Array[] {
  const list = Array.isArray(data) ? (data as readonly (Uint8Array | AlignedBuffer)[]) : [data as Uint8Array | AlignedBuffer];
  return list.map((d) => (d instanceof AlignedBuffer ? d.bytes : d));
}

/** Segments for pieces that are all whole aligned pages; null if any is not. */
function directSegments(pieces: readonly Uint8Array[]): IoSegment[] | null {
  const segs: IoSegment[] = [];
  for (const p of pieces) {
    const address = alignedAddress(p);
    if (address === null) return null;
    segs.push({ address, length: p.length });
  }
  return segs;
}

function runPlan(segs: IoSegment[], limits: IoLimits, issue: Issue): void {
  let at = 0;
  for (const chunk of planIo(segs, limits)) {
    issue(chunk, at);
    at += chunk.reduce((n, s) => n + s.length, 0);
  }
}

function bounceSize(total: number, limits: IoLimits): number {
  return Math.min(total, Math.floor(limits.maxBytes / PAGE_SIZE) * PAGE_SIZE);
}

/**
 * Write `data`; returns the bytes sent to the kernel. A total that is not
 * whole pages is zero-padded when `pad`, else refused with EINVAL.
 */
export function writeData(data: IoData, limits: IoLimits, pad: boolean, issue: Issue, op: string): number {
  const pieces = piecesOf(data);
  const total = pieces.reduce((n, p) => n + p.length, 0);
  if (total === 0) throw new MpoolError({ errno: EINVAL, op, detail: 'nothing to write' });
  const direct = directSegments(pieces);
  if (direct) {
    runPlan(direct, limits, issue);
    return total;
  }
  if (total % PAGE_SIZE !== 0 && !pad) {
    throw new MpoolError({ errno: EINVAL, op, detail: `${total} bytes is not a whole number of ${PAGE_SIZE}-byte pages (pad it, or ask for padding)` });
  }
  const padded = roundUpToPage(total);
  return withBounce(bounceSize(padded, limits), (b) => {
    let pi = 0;
    let po = 0;
    for (let at = 0; at < padded; ) {
      const n = Math.min(b.length, padded - at);
      const dst = b.bytes;
      let filled = 0;
      while (filled < n && pi < pieces.length) {
        const src = pieces[pi]!;
        const k = Math.min(n - filled, src.length - po);
        dst.set(src.subarray(po, po + k), filled);
        filled += k;
        po += k;
        if (po === src.length) {
          pi++;
          po = 0;
        }
      }
      dst.fill(0, filled, n);
      issue([{ address: b.address, length: n }], at);
      at += n;
    }
    return padded;
  });
}

/** Fill `target` (whole pages) from the object; the caller checked its length. */
export function readData(target: Uint8Array, limits: IoLimits, issue: Issue): void {
  const address = alignedAddress(target);
  if (address !== null) {
    runPlan([{ address, length: target.length }], limits, issue);
    return;
  }
  withBounce(bounceSize(target.length, limits), (b) => {
    for (let at = 0; at < target.length; ) {
      const n = Math.min(b.length, target.length - at);
      issue([{ address: b.address, length: n }], at);
      target.set(b.bytes.subarray(0, n), at);
      at += n;
    }
  });
}

/** Whether checkPages() would let this offset and length through (no message is built). */
export function pagesOk(offset: number, length: number): boolean {
  return Number.isSafeInteger(offset) && offset >= 0 && offset % PAGE_SIZE === 0 && Number.isSafeInteger(length) && length > 0 && length % PAGE_SIZE === 0;
}

/** A refusal before any ioctl: offsets and lengths the kernel would reject. */
export function checkPages(op: string, what: string, offset: number, length: number, path?: string): void {
  if (pagesOk(offset, length)) return;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % PAGE_SIZE !== 0) {
    throw new MpoolError({ errno: EINVAL, op, path, detail: `${what}: offset ${offset} is not a multiple of ${PAGE_SIZE}` });
  }
  if (!Number.isSafeInteger(length) || length <= 0 || length % PAGE_SIZE !== 0) {
    throw new MpoolError({ errno: EINVAL, op, path, detail: `${what}: length ${length} is not a positive multiple of ${PAGE_SIZE}` });
  }
}
