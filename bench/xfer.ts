/**
 * The data-path bench, inside the guest (make bench BENCH=xfer): mblock
 * writes (+ commit) and reads of 1, 4 and 16 MiB, with 1 and 4 readers,
 * against raw O_DIRECT on the same virtual disk in the same run, for
 * several shapes of transfer (rwconc_max bios of chunk_size_kb in flight).
 *
 * /dev/vda is split in two halves by device-mapper: the pool on the first,
 * the raw baseline on the second, so that no round needs a new pool and
 * both see the same virtual disk. The whole disk is written once first, so
 * that no measurement pays for the host allocating the sparse file. One
 * C client (bench/xfer.c) moves the data both ways. Rounds are
 * interleaved, and the order of the shapes turns from round to round.
 *
 * Two more baselines say what a gap is made of:
 *   - "commit protocol": raw writes that end each 32 MiB object the way
 *     MB_COMMIT must on a disk without FUA (virtio-blk): fdatasync, a 4 KiB
 *     record write, fdatasync. Two cache flushes per object, as mpool pays.
 *   - "raw on the pool's half": raw reads of the pool's own half of the
 *     disk (a plain, non-exclusive open), so that where on the virtual disk
 *     the data lies is taken out of a read ratio.
 * Every row also carries the CPU time (user + system) per MiB moved.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pools } from '../userland/src/lib/pools.js';
import { stat, type Stat } from './stat.js';

const MiB = 1 << 20;
const DISK = '/dev/vda';
const TOTAL = 256 * MiB;
const MBSZ = 32 * MiB;
const ROUNDS = Number(process.env.MPOOL_BENCH_ROUNDS ?? 5);
const SIZES = [1, 4, 16].map((m) => m * MiB);
const PARAMS = '/sys/module/mpool/parameters';

/** Transfer shapes: [rwconc_max, chunk_size_kb]. The first is the old path: one 1 MiB bio at a time. */
export const SHAPES: readonly (readonly [number, number])[] = [
  [1, 1024],
  [8, 128],
  [8, 1024],
  [16, 1024],
  [32, 1024],
];


export interface XferRow {
  /** "write 4 MiB", "read 16 MiB x4" */
  name: string;
  raw: Stat;
  /** What the baseline is, when it is not the row's plain O_DIRECT loop. */
  baseline?: string;
  /** The baseline's CPU milliseconds (user + system) per MiB moved. */
  rawCpuMsPerMiB: Stat;
  /**
   * Per shape "conc/chunkKiB": MiB/s, the ratio of medians to raw, and for
   * writes the median share of the time spent in MB_COMMIT.
   */
  shapes: Record<string, { stat: Stat; ratio: number; commitShare?: number; cpuMsPerMiB: Stat }>;
}


function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
}

export function runXferBench(helpers: string): XferRow[] {
  const xfer = (...args: (string | number)[]): string[] => sh(join(helpers, 'xfer'), args.map(String)).trim().split('\n');
  const sectors = Number(sh('blockdev', ['--getsz', DISK]).trim());
  const half = Math.floor(sectors / 2);
  if (!existsSync('/dev/mapper/control')) sh('modprobe', ['dm-mod']);
  console.log(`xfer: writing all of ${DISK} once (${(sectors / 2048).toFixed(0)} MiB)`);
  sh('dd', [`if=/dev/zero`, `of=${DISK}`, 'bs=4M', 'oflag=direct', 'status=none', `count=${Math.floor(sectors / 8192)}`]);
  sh('dmsetup', ['create', '--noudevsync', 'bpool', '--table', `0 ${half} linear ${DISK} 0`]);
  sh('dmsetup', ['create', '--noudevsync', 'braw', '--table', `0 ${half} linear ${DISK} ${half}`]);
  if (!existsSync('/dev/mapper/bpool')) sh('dmsetup', ['mknodes']);
  const pools = new Pools();
  pools.create('xbench', '/dev/mapper/bpool', { force: true, mblockSize: MBSZ / MiB, mdcCount: 1 });
  const node = '/dev/mpool/xbench';
  const key = ([c, k]: readonly [number, number]): string => `${c}/${k}`;
  const setShape = ([c, k]: readonly [number, number]): void => {
    writeFileSync(`${PARAMS}/rwconc_max`, String(c));
    writeFileSync(`${PARAMS}/chunk_size_kb`, String(k));
  };

  // "write N MiB": the baseline syncs once at the end; "... /object": after every MBSZ too,
  // as durable as a commit per mblock (the same mpool samples against both).
  const perObject = (m: number): string => `write ${m} MiB, fdatasync per ${MBSZ / MiB} MiB object`;
  const protocol = (m: number): string => `write ${m} MiB, commit protocol per ${MBSZ / MiB} MiB object`;
  const poolHalf = (m: number, x: string): string => `read ${m} MiB${x}, raw on the pool's half`;
  const names = SIZES.flatMap((s) => {
    const m = s / MiB;
    return [`write ${m} MiB`, perObject(m), protocol(m), `read ${m} MiB`, poolHalf(m, ''), `read ${m} MiB x4`, poolHalf(m, ' x4')];
  });
  // The pool-half reads start a quarter into the device: zones, not the metadata at its start.
  const poolHalfStart = Math.floor(half / 4) * 512;
  const raw: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const rawCpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const mp: Record<string, Record<string, number[]>> = Object.fromEntries(names.map((n) => [n, Object.fromEntries(SHAPES.map((s) => [key(s), []]))]));
  const mpCpu: Record<string, Record<string, number[]>> = Object.fromEntries(names.map((n) => [n, Object.fromEntries(SHAPES.map((s) => [key(s), []]))]));
  const msPerMiB = (cpuSecs: string | undefined): string => String((Number(cpuSecs) * 1000) / (TOTAL / MiB));
  const commitShare: Record<string, Record<string, number[]>> = Object.fromEntries(SIZES.map((s) => [s / MiB, Object.fromEntries(SHAPES.map((sh) => [key(sh), []]))]));

  try {
    // Round 0 warms up (the pool's zones, the guest's caches) and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      const order = SHAPES.map((_, i) => SHAPES[(i + round) % SHAPES.length]!);
      for (const size of SIZES) {
        const m = size / MiB;
        const keep = (rec: number[], v: string | undefined): void => void (round > 0 && rec.push(Number(v)));
        // mpool and raw alternate: a shape, raw, the next shape, raw again ...
        for (const [i, shape] of order.entries()) {
          setShape(shape);
          const [w, ids, times, wcpu] = xfer('mbwrite', node, size, TOTAL, MBSZ);
          const idv = ids!.split(' ');
          const [commit, all] = times!.split(' ').map(Number) as [number, number];
          const mine = (names: string[], [v, c]: string[]): void => {
            for (const n of names) {
              keep(mp[n]![key(shape)]!, v);
              keep(mpCpu[n]![key(shape)]!, msPerMiB(c));
            }
          };
          mine([`write ${m} MiB`, perObject(m), protocol(m)], [w!, wcpu!]);
          keep(commitShare[m]![key(shape)]!, String(commit / all));
          mine([`read ${m} MiB`, poolHalf(m, '')], xfer('mbread', node, size, 1, MBSZ, ...idv));
          mine([`read ${m} MiB x4`, poolHalf(m, ' x4')], xfer('mbread', node, size, 4, MBSZ, ...idv));
          xfer('mbdelete', node, ...idv);
          if (i % 2 === 0) {
            const base = (name: string, [v, c]: string[]): void => {
              keep(raw[name]!, v);
              keep(rawCpu[name]!, msPerMiB(c));
            };
            base(`write ${m} MiB`, xfer('rawwrite', '/dev/mapper/braw', size, TOTAL));
            base(perObject(m), xfer('rawwrite', '/dev/mapper/braw', size, TOTAL, MBSZ));
            base(protocol(m), xfer('rawwrite', '/dev/mapper/braw', size, TOTAL, MBSZ, 4096));
            base(`read ${m} MiB`, xfer('rawread', '/dev/mapper/braw', size, TOTAL, 1));
            base(poolHalf(m, ''), xfer('rawread', '/dev/mapper/bpool', size, TOTAL, 1, poolHalfStart));
            base(`read ${m} MiB x4`, xfer('rawread', '/dev/mapper/braw', size, TOTAL, 4));
            base(poolHalf(m, ' x4'), xfer('rawread', '/dev/mapper/bpool', size, TOTAL, 4, poolHalfStart));
          }
        }
      }
      console.log(`xfer: round ${round}${round === 0 ? ' (warm-up)' : ''} done`);
    }
  } finally {
    setShape([8, 1024]);
    pools.destroy('xbench', { force: true, devices: ['/dev/mapper/bpool'] });
    sh('dmsetup', ['remove', '--noudevsync', 'bpool']);
    sh('dmsetup', ['remove', '--noudevsync', 'braw']);
  }

  return names.map((name) => {
    const r = stat(raw[name]!);
    const shapes: XferRow['shapes'] = {};
    const m = /^write (\d+) MiB/.exec(name)?.[1];
    for (const s of SHAPES) {
      const st = stat(mp[name]![key(s)]!);
      shapes[key(s)] = { stat: st, ratio: st.median / r.median, cpuMsPerMiB: stat(mpCpu[name]![key(s)]!) };
      if (m !== undefined) shapes[key(s)]!.commitShare = stat(commitShare[m]![key(s)]!).median;
    }
    const baseline = name.includes('protocol')
      ? `O_DIRECT writes; per ${MBSZ / MiB} MiB object fdatasync, a 4 KiB write, fdatasync`
      : name.includes('fdatasync per')
        ? `O_DIRECT writes, fdatasync every ${MBSZ / MiB} MiB and at the end`
        : name.includes("pool's half")
          ? `O_DIRECT reads of the pool's half of the disk, from byte ${poolHalfStart}`
          : undefined;
    return { name, raw: r, rawCpuMsPerMiB: stat(rawCpu[name]!), shapes, ...(baseline ? { baseline } : {}) };
  });
}
