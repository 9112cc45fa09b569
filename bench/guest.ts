/**
 * The benchmark, inside the guest: every mpool figure is measured next to
 * its raw baseline on the same virtual disk in the same run, and reported
 * as a ratio. Absolute numbers under TCG mean little; ratios do.
 *
 *   1. mblock write throughput (1 MiB writes, 32 MiB mblocks, + commit)
 *      vs raw O_DIRECT sequential 1 MiB writes
 *   2. mblock read throughput (1 MiB reads) vs raw O_DIRECT 1 MiB preads
 *   3. mlog 4 KiB page write latency (MLOG_WRITE, FUA: what a sync append
 *      costs the kernel) vs a 4 KiB O_DIRECT write + fdatasync
 *   4. mcache maps vs ext4 mmaps (bench/mcache.ts)
 *   5. the reaper on vs off under a balloon (bench/reaper.ts)
 *   6. mblock transfers of 1, 4 and 16 MiB, by transfer shape, vs raw
 *      O_DIRECT on the other half of the same disk (bench/xfer.ts)
 *   7. metadata at 10k, 100k and 1M objects: activation, memory, the fill
 *      (bench/meta.ts; a boot of its own, on a disk large enough)
 */
import { writeFileSync } from 'node:fs';
import { runMcacheBench } from './mcache.js';
import { runReaperBench } from './reaper.js';
import { runXferBench } from './xfer.js';
import { runMetaBench } from './meta.js';
import { IOCTLS } from '../userland/src/gen/ioctl.js';
import * as S from '../userland/src/gen/structs.js';
import { Pools } from '../userland/src/lib/pools.js';
import * as sys from '../userland/src/sys/libc.js';
import { viewOf, type StructCodec } from '../userland/src/uapi/runtime.js';

const DEV = '/dev/vda';
const MiB = 1 << 20;
const TOTAL = 256 * MiB;
const ROUNDS = 3;
const LAT_OPS = 200;

const now = (): number => Number(process.hrtime.bigint()) / 1e9;
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

const buf = sys.anonymousMapping(MiB);
for (let i = 0; i < MiB; i++) buf.bytes[i] = (i * 131 + 7) & 0xff;
const iov = Buffer.alloc(16);
iov.writeBigUInt64LE(buf.address, 0);

function ioctl<T>(fd: number, name: keyof typeof IOCTLS, codec: StructCodec<T>, v: T): T {
  const b = Buffer.alloc(codec.size);
  codec.encode(viewOf(b), 0, v);
  sys.ioctl(fd, IOCTLS[name].request, b, name);
  return codec.decode(viewOf(b), 0);
}

function rawThroughput(write: boolean): number {
  const fd = sys.open(DEV, (write ? sys.O_RDWR : sys.O_RDONLY) | sys.O_DIRECT);
  const t0 = now();
  for (let off = 0; off < TOTAL; off += MiB) {
    if (write) sys.pwrite(fd, buf, 0, MiB, BigInt(off));
    else sys.pread(fd, buf, 0, MiB, BigInt(off));
  }
  if (write) sys.fsync(fd);
  const secs = now() - t0;
  sys.close(fd);
  return TOTAL / MiB / secs;
}

function rawLatency(): number {
  const fd = sys.open(DEV, sys.O_RDWR | sys.O_DIRECT);
  const t0 = now();
  for (let i = 0; i < LAT_OPS; i++) {
    sys.pwrite(fd, buf, 0, 4096, BigInt(512 * MiB + i * 4096));
    sys.fsync(fd);
  }
  const us = ((now() - t0) / LAT_OPS) * 1e6;
  sys.close(fd);
  return us;
}

function mblockRun(fd: number): { write: number; read: number; ids: bigint[] } {
  const ids: bigint[] = [];
  iov.writeBigUInt64LE(BigInt(MiB), 8);
  const rw = (id: bigint, off: bigint): S.MpiocMblockRw => ({ ...S.MpiocMblockRw.zero(), mb_objid: id, mb_offset: off, mb_iov_cnt: 1, mb_iov: sys.addressOf(iov) });
  let t0 = now();
  for (let done = 0; done < TOTAL; ) {
    const id = ioctl(fd, 'MPIOC_MB_ALLOC', S.MpiocMblock, { ...S.MpiocMblock.zero(), mb_mclassp: 1 }).mb_objid;
    for (let off = 0; off < 32 * MiB && done < TOTAL; off += MiB, done += MiB) ioctl(fd, 'MPIOC_MB_WRITE', S.MpiocMblockRw, rw(id, 0n));
    ioctl(fd, 'MPIOC_MB_COMMIT', S.MpiocMblockId, { mi_objid: id });
    ids.push(id);
  }
  const write = TOTAL / MiB / (now() - t0);
  t0 = now();
  for (const id of ids) for (let off = 0; off < 32 * MiB; off += MiB) ioctl(fd, 'MPIOC_MB_READ', S.MpiocMblockRw, rw(id, BigInt(off)));
  const read = TOTAL / MiB / (now() - t0);
  for (const id of ids) ioctl(fd, 'MPIOC_MB_DELETE', S.MpiocMblockId, { mi_objid: id });
  return { write, read, ids };
}

function mlogLatency(fd: number): number {
  const ml = ioctl(fd, 'MPIOC_MLOG_ALLOC', S.MpiocMlog, { ...S.MpiocMlog.zero(), ml_mclassp: 1, ml_cap: { lcp_captgt: 32n * BigInt(MiB), lcp_spare: 0, lcp_rsvd1: new Uint8Array(7) } });
  ioctl(fd, 'MPIOC_MLOG_COMMIT', S.MpiocMlogId, { ...S.MpiocMlogId.zero(), mi_objid: ml.ml_objid });
  iov.writeBigUInt64LE(4096n, 8);
  const t0 = now();
  for (let i = 0; i < LAT_OPS; i++) {
    ioctl(fd, 'MPIOC_MLOG_WRITE', S.MpiocMlogIo, { ...S.MpiocMlogIo.zero(), mi_objid: ml.ml_objid, mi_off: BigInt(i * 4096), mi_op: 1, mi_iovc: 1, mi_iov: sys.addressOf(iov) });
  }
  const us = ((now() - t0) / LAT_OPS) * 1e6;
  ioctl(fd, 'MPIOC_MLOG_DELETE', S.MpiocMlogId, { ...S.MpiocMlogId.zero(), mi_objid: ml.ml_objid });
  return us;
}

/** MPOOL_BENCH_ONLY=io,mcache,reaper runs those parts only (make bench BENCH=reaper). */
const only = process.env.MPOOL_BENCH_ONLY?.split(',').filter(Boolean);
const part = (p: string): boolean => !only || only.includes(p);

if (part('io')) {
  const rows: Record<string, { mpool: number[]; raw: number[] }> = {
    'mblock write MiB/s (1 MiB, + commit) vs O_DIRECT write': { mpool: [], raw: [] },
    'mblock read MiB/s (1 MiB) vs O_DIRECT pread': { mpool: [], raw: [] },
    'mlog 4 KiB page write µs (FUA) vs O_DIRECT 4 KiB write + fdatasync': { mpool: [], raw: [] },
  };
  const [w, r, l] = Object.values(rows) as [typeof rows[string], typeof rows[string], typeof rows[string]];
  const pools = new Pools();
  for (let round = 0; round < ROUNDS; round++) {
    // Raw first, on the free device; then the pool on the same device.
    w.raw.push(rawThroughput(true));
    r.raw.push(rawThroughput(false));
    l.raw.push(rawLatency());
    pools.create('bench', DEV, { force: true });
    const fd = sys.open('/dev/mpool/bench', sys.O_RDWR);
    const m = mblockRun(fd);
    w.mpool.push(m.write);
    r.mpool.push(m.read);
    l.mpool.push(mlogLatency(fd));
    sys.close(fd);
    pools.destroy('bench', { force: true });
  }

  const out = Object.entries(rows).map(([name, v]) => ({
    name,
    mpool: median(v.mpool),
    raw: median(v.raw),
    ratio: median(v.mpool) / median(v.raw),
    samples: v,
  }));
  writeFileSync(`${process.env.MPOOL_SHARE ?? '.'}/bench.json`, JSON.stringify(out, null, 2));
  for (const o of out) console.log(`${o.name}: mpool ${o.mpool.toFixed(1)}, raw ${o.raw.toFixed(1)}, ratio ${o.ratio.toFixed(2)}`);
}

// mcache maps against ext4 mmaps on a second disk (bench/mcache.ts).
if (part('mcache')) {
  const mc = runMcacheBench();
  writeFileSync(`${process.env.MPOOL_SHARE ?? '.'}/mcache.json`, JSON.stringify(mc, null, 2));
  for (const o of mc) console.log(`${o.name}: mpool ${o.mpool.median.toFixed(1)}, ${o.baseline} ${o.base.median.toFixed(1)}, ratio ${o.ratio.toFixed(2)}`);
}

// The reaper on vs off under a balloon (bench/reaper.ts).
if (part('reaper')) {
  const rp = await runReaperBench();
  writeFileSync(`${process.env.MPOOL_SHARE ?? '.'}/reaper.json`, JSON.stringify(rp, null, 2));
}

// mblock transfers by shape vs raw O_DIRECT (bench/xfer.ts).
if (part('xfer')) {
  const rows = runXferBench(process.env.MPOOL_HELPERS ?? '');
  writeFileSync(`${process.env.MPOOL_SHARE ?? '.'}/xfer.json`, JSON.stringify(rows, null, 2));
}

// Activation, memory and commits with many objects (bench/meta.ts).
if (part('meta')) {
  const stages = runMetaBench(process.env.MPOOL_HELPERS ?? '');
  writeFileSync(`${process.env.MPOOL_SHARE ?? '.'}/meta.json`, JSON.stringify(stages, null, 2));
}
