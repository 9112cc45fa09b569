/**
 * The per-operation bench, inside the guest (make bench BENCH=ops): what one
 * small operation costs through mpool, next to its baseline on the same
 * virtual disk in the same run. /dev/vda is cut in three by device-mapper:
 * the pool on the first half, raw O_DIRECT on the third quarter, ext4 on
 * the last, so that every row compares the same disk with itself.
 *
 *   - small objects: MB_ALLOC, one 64 KiB MB_WRITE, MB_COMMIT, MB_DELETE
 *     (bench/xfer.c mbsmall), against ext4: create, one O_DIRECT 64 KiB
 *     write, fdatasync, close, unlink (filesmall); operations per second;
 *   - mlog sync append: one 4 KiB record appended through the record
 *     framing with sync (userland/src/mlog/framing.ts over MLOG_WRITE),
 *     against a 4 KiB O_DIRECT pwrite + fsync of the raw device through the
 *     same libc binding; p50 and p99 of each call's time. A second
 *     baseline writes 8 KiB at 4 KiB steps: a 4 KiB record and its headers
 *     span two log pages in 1.9.0's format, a sync append writes both, and
 *     the next one rewrites the second. Each append's write (the
 *     library's MLOG_WRITE call, timed) is replayed at once on a second
 *     mlog by a bare koffi MLOG_WRITE of the same offset and length: the
 *     replay against the raw I/O is the kernel's part, the write against
 *     its replay the library's, and what is left of an append the
 *     framing's own.
 *     A last pair times the framing alone, over a medium that writes
 *     nothing, right after a 1 ms sleep (as every sync append runs: after
 *     the last one's wait for the disk) against back to back: under TCG
 *     code that runs after a sleep is several times slower (the vCPU's
 *     translated-code TLB starts cold after a context switch);
 *   - the library's cost per call: Mblocks.find() (MB_FIND) and
 *     Mblocks.readInto() of 4 KiB (MB_READ), against a koffi ioctl of the
 *     same request from a buffer encoded once, outside the loop. find()
 *     returns the properties, decoded: a second baseline is the bare
 *     ioctl followed by the same fields read out of its buffer by hand
 *     (at the generated LAYOUT offsets), what a caller who wants the
 *     answer writes.
 *
 * Rounds are interleaved (mpool, baseline, mpool, ...), the first is a
 * warm-up and not counted.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import koffi from 'koffi';
import { IOCTLS } from '../userland/src/gen/ioctl.js';
import { LAYOUT, MpiocMblock, MpiocMblockRw, MpiocMlogIo } from '../userland/src/gen/structs.js';
import { mclassName } from '../userland/src/lib/device.js';
import { AlignedBuffer } from '../userland/src/lib/aligned.js';
import { kernelMlogMedia } from '../userland/src/lib/mlog.js';
import { Mlog } from '../userland/src/mlog/framing.js';
import type { MlogMedia } from '../userland/src/mlog/media.js';
import { Pool } from '../userland/src/lib/pool.js';
import { Pools } from '../userland/src/lib/pools.js';
import { encodeIovecs } from '../userland/src/sys/iovec.js';
import * as sys from '../userland/src/sys/libc.js';
import { viewOf } from '../userland/src/uapi/runtime.js';
import { now, stat, type BenchRow } from './stat.js';

const DISK = '/dev/vda';
const MNT = '/mnt/opsbench';
const ROUNDS = Number(process.env.MPOOL_BENCH_ROUNDS ?? 5);
const SMALL = 64 * 1024;
const SMALL_OPS = 200;
const APPENDS = 200;
const CALLS = 2000;

export interface OpsRow extends BenchRow {
  target: string;
}


/** p50 and p99 of per-call times, µs. */
function percentiles(us: number[]): [number, number] {
  const s = [...us].sort((a, b) => a - b);
  return [s[Math.floor(s.length / 2)]!, s[Math.floor((s.length * 99) / 100)]!];
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// The baseline of the per-call rows: ioctl(2) straight through koffi, as a
// caller who skips the library would write it.
const libc = koffi.load('libc.so.6');
const bareIoctl = libc.func('int ioctl(int fd, unsigned long request, void *arg)');
const usleep = libc.func('int usleep(unsigned int usec)');

export function runOpsBench(helpers: string): OpsRow[] {
  const xfer = (...args: (string | number)[]): number => Number(sh(join(helpers, 'xfer'), args.map(String)).trim().split('\n')[0]);
  const sectors = Number(sh('blockdev', ['--getsz', DISK]).trim());
  const half = Math.floor(sectors / 2);
  const quarter = Math.floor(sectors / 4);
  if (!existsSync('/dev/mapper/control')) sh('modprobe', ['dm-mod']);
  console.log(`ops: writing all of ${DISK} once`);
  sh('dd', ['if=/dev/zero', `of=${DISK}`, 'bs=4M', 'oflag=direct', 'status=none', `count=${Math.floor(sectors / 8192)}`]);
  sh('dmsetup', ['create', '--noudevsync', 'opool', '--table', `0 ${half} linear ${DISK} 0`]);
  sh('dmsetup', ['create', '--noudevsync', 'oraw', '--table', `0 ${quarter} linear ${DISK} ${half}`]);
  sh('dmsetup', ['create', '--noudevsync', 'oext4', '--table', `0 ${sectors - half - quarter} linear ${DISK} ${half + quarter}`]);
  if (!existsSync('/dev/mapper/opool')) sh('dmsetup', ['mknodes']);
  sh('modprobe', ['ext4']);
  sh('mkfs.ext4', ['-q', '-F', '/dev/mapper/oext4']);
  mkdirSync(MNT, { recursive: true });
  sh('mount', ['-t', 'ext4', '/dev/mapper/oext4', MNT]);

  const pools = new Pools();
  pools.create('obench', '/dev/mapper/opool', { force: true, mblockSize: 1 });
  const pool = Pool.open('obench', { write: true });
  const rawFd = sys.open('/dev/mapper/oraw', sys.O_RDWR | sys.O_DIRECT);
  const page = AlignedBuffer.alloc(4096);
  page.bytes.fill(0x5a);
  const rawPage = sys.anonymousMapping(8192);
  rawPage.bytes.fill(0x5a);
  // What the replays of the appends' writes send: up to a whole flush.
  const replayBuf = sys.anonymousMapping(1 << 20);
  replayBuf.bytes.fill(0x5a);

  // The object the per-call rows ask about: one committed page.
  const { id } = pool.mblocks.alloc();
  pool.mblocks.write(id, page);
  pool.mblocks.commit(id);
  const find = IOCTLS.MPIOC_MB_FIND;
  const findArg = Buffer.alloc(MpiocMblock.size);
  MpiocMblock.encode(viewOf(findArg), 0, { ...MpiocMblock.zero(), mb_objid: id });
  const iov = encodeIovecs([{ address: page.address, length: 4096 }]);
  const readArg = Buffer.alloc(MpiocMblockRw.size);
  MpiocMblockRw.encode(viewOf(readArg), 0, { ...MpiocMblockRw.zero(), mb_objid: id, mb_iov_cnt: 1, mb_iov: koffi.address(iov) });
  const read = IOCTLS.MPIOC_MB_READ;

  const perCall = (fn: () => void): number => {
    const t0 = now();
    for (let i = 0; i < CALLS; i++) fn();
    return ((now() - t0) / CALLS) * 1e6;
  };
  const bare = (request: number, arg: Buffer) => (): void => {
    if ((bareIoctl(pool.fd, request, arg) as number) < 0) throw new Error(`ioctl: errno ${koffi.errno()}`);
  };
  // MB_FIND by hand, its answer read out as find() gives it.
  const findView = viewOf(findArg);
  const px = LAYOUT.mpioc_mblock.fields.mb_props.offset;
  const pr = px + LAYOUT.mblock_props_ex.fields.mbx_props.offset;
  const PR = LAYOUT.mblock_props.fields;
  const bareFind = bare(find.request, findArg);
  let answer: object | null = null;
  const bareFindDecoded = (): void => {
    bareFind();
    const objid = findView.getBigUint64(pr + PR.mpr_objid.offset, true);
    answer = {
      id: objid,
      idHex: `0x${objid.toString(16)}`,
      mclass: mclassName(findView.getUint32(pr + PR.mpr_mclassp.offset, true)),
      capacity: BigInt(findView.getUint32(pr + PR.mpr_alloc_cap.offset, true)),
      written: BigInt(findView.getUint32(pr + PR.mpr_write_len.offset, true)),
      optimalWriteSize: BigInt(findView.getUint32(pr + PR.mpr_optimal_wrsz.offset, true)),
      committed: findView.getUint8(pr + PR.mpr_iscommitted.offset) !== 0,
      zoneCount: findView.getUint8(px + LAYOUT.mblock_props_ex.fields.mbx_zonecnt.offset),
    };
  };

  const v = {
    small: [[], []] as [number[], number[]],
    p50: [[], []] as [number[], number[]],
    p99: [[], []] as [number[], number[]],
    p50pages: [[], []] as [number[], number[]],
    p99pages: [[], []] as [number[], number[]],
    p50ioctl: [[], []] as [number[], number[]],
    p50media: [[], []] as [number[], number[]],
    framingCold: [[], []] as [number[], number[]],
    find: [[], []] as [number[], number[]],
    findDecoded: [[], []] as [number[], number[]],
    read: [[], []] as [number[], number[]],
  };
  const keep = (round: number, into: [number[], number[]], which: 0 | 1, x: number): void => void (round > 0 && into[which].push(x));

  try {
    for (let round = 0; round <= ROUNDS; round++) {
      keep(round, v.small, 0, xfer('mbsmall', pool.path, SMALL_OPS, SMALL));
      keep(round, v.small, 1, xfer('filesmall', MNT, SMALL_OPS, SMALL));

      // A fresh mlog each round, so that every round appends from its start.
      const ml = pool.mlogs.alloc({ capacity: 8 << 20 });
      pool.mlogs.commit(ml.id);
      // The kernel mlog's media, its writes timed: what an append spends in MLOG_WRITE (and the library's call of it).
      const media = kernelMlogMedia(pool, ml.id);
      let inWrite = 0;
      let writes = 0;
      let lastWrite = { off: 0, length: 0 };
      const timed: MlogMedia = {
        sectorSize: media.sectorSize,
        capacity: media.capacity,
        uuid: media.uuid,
        gen: media.gen,
        read: (off, buf) => media.read(off, buf),
        write: (off, buf) => {
          const t = now();
          media.write(off, buf);
          inWrite += now() - t;
          writes += 1;
          lastWrite = { off, length: buf.length };
        },
        allocBuffer: (n) => media.allocBuffer(n),
      };
      const log = Mlog.open(timed);
      const rec = new Uint8Array(4096).fill(0xa5);
      // The second mlog, where each append's write is replayed right after it.
      const replayLog = pool.mlogs.alloc({ capacity: 8 << 20 });
      pool.mlogs.commit(replayLog.id);
      const replayIov = encodeIovecs([{ address: replayBuf.address, length: 4096 }]);
      const replayArg = Buffer.alloc(MpiocMlogIo.size);
      const replayWrite = bare(IOCTLS.MPIOC_MLOG_WRITE.request, replayArg);
      const mlUs: number[] = [];
      const writeUs: number[] = [];
      const ioUs: number[] = [];
      for (let i = 0; i < APPENDS; i++) {
        inWrite = 0;
        writes = 0;
        let t0 = now();
        log.append(rec, true);
        mlUs.push((now() - t0) * 1e6);
        writeUs.push(inWrite * 1e6);
        if (writes !== 1) throw new Error(`a 4 KiB sync append made ${writes} writes, not 1: the replay row would compare the wrong things`);
        encodeIovecs([{ address: replayBuf.address, length: lastWrite.length }], replayIov);
        MpiocMlogIo.encode(viewOf(replayArg), 0, { ...MpiocMlogIo.zero(), mi_objid: replayLog.id, mi_off: BigInt(lastWrite.off), mi_op: 1, mi_iovc: 1, mi_iov: koffi.address(replayIov) });
        t0 = now();
        replayWrite();
        ioUs.push((now() - t0) * 1e6);
      }
      log.close();
      pool.mlogs.delete(replayLog.id);
      // The framing alone, over a medium that writes nothing: each append right after a 1 ms sleep, then one back to back.
      const nullMedia: MlogMedia = { sectorSize: media.sectorSize, capacity: 64 << 20, uuid: media.uuid, gen: media.gen, read: (_off, buf) => buf.fill(0), write: () => {} };
      const [coldLog, hotLog] = [Mlog.open(nullMedia), Mlog.open(nullMedia)];
      const coldUs: number[] = [];
      const hotUs: number[] = [];
      for (let i = 0; i < APPENDS; i++) {
        usleep(1000);
        let t0 = now();
        coldLog.append(rec, true);
        coldUs.push((now() - t0) * 1e6);
        t0 = now();
        hotLog.append(rec, true);
        hotUs.push((now() - t0) * 1e6);
      }
      pool.mlogs.delete(ml.id);
      // `bytes` at `step` after the last: the 8 KiB rows step by 4 KiB, each write rewriting the page the last one ended in, as the framing's flushes do.
      const rawSync = (bytes: number, step: number): [number, number] => {
        const us: number[] = [];
        for (let i = 0; i < APPENDS; i++) {
          const t0 = now();
          sys.pwrite(rawFd, rawPage, 0, bytes, BigInt(i * step));
          sys.fsync(rawFd);
          us.push((now() - t0) * 1e6);
        }
        return percentiles(us);
      };
      const [m50, m99] = percentiles(mlUs);
      const [r50, r99] = rawSync(4096, 4096);
      const [p50, p99] = rawSync(8192, 4096);
      const [i50] = percentiles(ioUs);
      const [w50] = percentiles(writeUs);
      keep(round, v.framingCold, 0, percentiles(coldUs)[0]);
      keep(round, v.framingCold, 1, percentiles(hotUs)[0]);
      for (const [into, m, r] of [[v.p50, m50, r50], [v.p99, m99, r99], [v.p50pages, m50, p50], [v.p99pages, m99, p99], [v.p50ioctl, i50, p50], [v.p50media, w50, i50]] as const) {
        keep(round, into, 0, m);
        keep(round, into, 1, r);
      }

      // One timing of find() against both baselines.
      const found = perCall(() => void pool.mblocks.find(id));
      keep(round, v.find, 0, found);
      keep(round, v.find, 1, perCall(bareFind));
      keep(round, v.findDecoded, 0, found);
      keep(round, v.findDecoded, 1, perCall(bareFindDecoded));
      keep(round, v.read, 0, perCall(() => pool.mblocks.readInto(id, 0, page)));
      keep(round, v.read, 1, perCall(bare(read.request, readArg)));
      console.log(`ops: round ${round}${round === 0 ? ' (warm-up)' : ''} done`);
    }
  } finally {
    // readArg holds the iovec array's address: it stays reachable until here.
    void iov.length;
    void answer;
    sys.close(rawFd);
    pool.mblocks.delete(id);
    pool.close();
    pools.destroy('obench', { force: true, devices: ['/dev/mapper/opool'] });
    sh('umount', [MNT]);
    for (const d of ['opool', 'oraw', 'oext4']) sh('dmsetup', ['remove', '--noudevsync', d]);
  }

  const row = (name: string, unit: string, better: OpsRow['better'], baseline: string, target: string, [m, b]: [number[], number[]]): OpsRow => {
    const mpool = stat(m);
    const base = stat(b);
    return { name, unit, better, baseline, mpool, base, ratio: mpool.median / base.median, target };
  };
  return [
    row('small objects: alloc + 64 KiB write + commit + delete', 'ops/s', 'higher', 'ext4: create, O_DIRECT 64 KiB write, fdatasync, close, unlink', '>= 1.5x', v.small),
    row('mlog 4 KiB sync append through the framing, p50', 'µs', 'lower', 'O_DIRECT 4 KiB pwrite + fsync, p50', '<= 1.0x', v.p50),
    row('mlog 4 KiB sync append through the framing, p99', 'µs', 'lower', 'O_DIRECT 4 KiB pwrite + fsync, p99', '<= 1.0x', v.p99),
    row('mlog 4 KiB sync append, p50, against the two pages it writes', 'µs', 'lower', 'O_DIRECT 8 KiB pwrite at 4 KiB steps + fsync, p50', '', v.p50pages),
    row('mlog 4 KiB sync append, p99, against the two pages it writes', 'µs', 'lower', 'O_DIRECT 8 KiB pwrite at 4 KiB steps + fsync, p99', '', v.p99pages),
    row("a bare MLOG_WRITE replaying each append's write (koffi ioctl, FUA), p50", 'µs', 'lower', 'O_DIRECT 8 KiB pwrite at 4 KiB steps + fsync, p50', '', v.p50ioctl),
    row("an append's time in the media's write (library + MLOG_WRITE), p50", 'µs', 'lower', 'its bare replay, p50', '', v.p50media),
    row('the framing alone (a medium that writes nothing), right after a 1 ms sleep, p50', 'µs', 'lower', 'the same, back to back, p50', '', v.framingCold),
    row('library Mblocks.find() (MB_FIND)', 'µs/call', 'lower', 'koffi ioctl of the same request', '<= 1.3x', v.find),
    row('library Mblocks.find(), against the bare ioctl with its answer read out', 'µs/call', 'lower', 'koffi ioctl + the same fields read at LAYOUT offsets', '', v.findDecoded),
    row('library Mblocks.readInto() 4 KiB (MB_READ)', 'µs/call', 'lower', 'koffi ioctl of the same request', '<= 1.3x', v.read),
  ];
}
