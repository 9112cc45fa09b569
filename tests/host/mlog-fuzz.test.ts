/**
 * Random appends, flushes, reopens and failed writes against a model of
 * what must be durable: at any time a second reader finds exactly the
 * flushed records (plus whole records a full buffer pushed out), in order,
 * and the writer's own reader finds everything appended.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Mlog } from '../../userland/src/mlog/framing.js';
import { headerCfsetid, headerMatches, headerPfsetid } from '../../userland/src/mlog/format.js';
import { MemoryMlogMedia } from '../../userland/src/mlog/memory.js';
import { errorOf } from '../expect-error.js';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const digest = (r: Uint8Array): string => `${r.length}:${createHash('sha1').update(r).digest('hex').slice(0, 12)}`;

function readAll(log: Mlog): string[] {
  log.rewind();
  const out: string[] = [];
  for (let r = log.read(); r !== null; r = log.read()) out.push(digest(r));
  return out;
}

/** Every block a reader accepts chains to the one before it; count them. */
function chainLength(media: MemoryMlogMedia): number {
  const s = media.sectorSize;
  let prev = 0;
  let n = 0;
  for (; n < media.capacity / s; n++) {
    const off = n * s;
    if (!headerMatches(media.bytes, off, media.uuid, media.gen) || headerPfsetid(media.bytes, off) !== prev) break;
    prev = headerCfsetid(media.bytes, off);
  }
  return n;
}

describe.each([
  [4096, 1],
  [4096, 2],
  [512, 3],
  [512, 4],
])('fuzz, %i-byte sectors, seed %i', (sectorSize, seed) => {
  it('keeps what was flushed, in order, through failures and reopens', () => {
    const rand = rng(seed * 7919);
    const payload = sectorSize - 48;
    const media = new MemoryMlogMedia({ sectorSize, capacity: 4 << 20, gen: BigInt(seed) });
    let log = Mlog.open(media);
    let durable: string[] = [];
    let pending: string[] = [];
    let n = 0;
    const pick = (): number => {
      const r = rand();
      if (r < 0.1) return [0, 1, 7, 8, payload - 8, payload - 1, payload, payload + 1, 2 * payload][Math.floor(rand() * 9)] ?? 0;
      if (r < 0.97) return Math.floor(rand() * 3 * payload);
      return Math.floor(rand() * 300_000);
    };

    for (let step = 0; step < 1200; step++) {
      const r = rand();
      if (r < 0.03) {
        log.close();
        durable = [...durable, ...pending];
        pending = [];
        log = Mlog.open(media);
        expect(readAll(log)).toEqual(durable);
      } else if (r < 0.08) {
        log.flush();
        durable = [...durable, ...pending];
        pending = [];
      } else if (r < 0.1 && pending.length === 0) {
        media.faults.push('fail');
        const rec = new Uint8Array(Math.floor(rand() * payload));
        expect(errorOf(() => log.append(rec, true)).code).toBe('EIO');
      } else {
        const rec = new Uint8Array(pick());
        for (let i = 0; i < rec.length; i += 97) rec[i] = n + i;
        n += 1;
        if (rec.length > log.room) {
          expect(errorOf(() => log.append(rec)).code).toBe('EFBIG');
          durable = [...durable, ...pending];
          pending = [];
          break;
        }
        const sync = rand() < 0.3;
        log.append(rec, sync);
        pending.push(digest(rec));
        if (sync) {
          durable = [...durable, ...pending];
          pending = [];
        }
      }
      if (step % 100 === 0) {
        expect(readAll(log)).toEqual([...durable, ...pending]);
        const seen = readAll(Mlog.open(media));
        expect(seen.slice(0, durable.length)).toEqual(durable);
        expect(seen).toEqual([...durable, ...pending].slice(0, seen.length));
      }
    }
    log.close();
    const reopened = Mlog.open(media);
    expect(readAll(reopened)).toEqual([...durable, ...pending]);
    // Blocks up to the end of the log chain, and nothing after them does.
    const len = reopened.length;
    expect(chainLength(media)).toBe(Math.ceil(len / sectorSize) - 1);
    for (const w of media.writes) {
      expect(w.off % 4096).toBe(0);
      expect(w.data.length % 4096).toBe(0);
    }
  });
});
