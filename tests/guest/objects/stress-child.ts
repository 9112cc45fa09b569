/**
 * One worker of the stress test (stress.test.ts): until the deadline, write,
 * commit, read back and delete its own mblocks, write and read its own
 * mlog, and read the shared mblocks the parent made; every read is checked
 * against a sha256. Prints one JSON line: counts and the errors seen.
 *
 * argv: <pool> <worker#> <milliseconds> <shared: id:sha,...>
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { Pool } from '../../../userland/src/lib/pool.js';

const [name = '', workerText = '0', msText = '1000', sharedText = ''] = process.argv.slice(2);
const worker = Number(workerText);
const deadline = Date.now() + Number(msText);
const PAGE = 4096;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const shared = sharedText
  .split(',')
  .filter((s) => s !== '')
  .map((s) => {
    const [id = '0', h = ''] = s.split(':');
    return { id: BigInt(id), sha: h };
  });

const stats = { worker, mblocks: 0, bytesWritten: 0, reads: 0, mlogWrites: 0, erases: 0, errors: [] as string[] };
const pool = Pool.open(name, { write: true });
const mb = pool.mblocks;
const ml = pool.mlogs;
const mine: { id: bigint; data: Buffer }[] = [];
const log = ml.alloc({ capacity: 4 << 20 });
ml.commit(log.id);
const logPages = new Map<number, string>();

function check(what: string, got: Uint8Array, want: string): void {
  stats.reads++;
  if (sha(got) !== want) stats.errors.push(`${what}: checksum mismatch`);
}

try {
  while (Date.now() < deadline && stats.errors.length < 5) {
    // An mblock of 1..64 pages in one to three writes.
    const pages = randomInt(1, 65);
    const data = randomBytes(pages * PAGE);
    const { id } = mb.alloc();
    const cut = randomInt(0, pages + 1) * PAGE;
    if (cut > 0) mb.write(id, data.subarray(0, cut));
    if (cut < data.length) mb.write(id, data.subarray(cut));
    mb.commit(id);
    stats.mblocks++;
    stats.bytesWritten += data.length;
    mine.push({ id, data });
    check(`mblock 0x${id.toString(16)}`, mb.read(id), sha(data));
    // A random range of an older one of ours.
    const old = mine[randomInt(0, mine.length)]!;
    const off = randomInt(0, old.data.length);
    const len = randomInt(1, old.data.length - off + 1);
    check(`mblock 0x${old.id.toString(16)} range`, mb.read(old.id, off, len), sha(old.data.subarray(off, off + len)));
    if (mine.length > 6) mb.delete(mine.shift()!.id);
    // The shared ones.
    for (const s of shared) check(`shared 0x${s.id.toString(16)}`, mb.read(s.id), s.sha);
    // Our mlog: a page at a random offset, then read back a known page.
    const at = randomInt(0, 1024);
    const page = randomBytes(PAGE);
    ml.writePages(log.id, at * PAGE, page);
    logPages.set(at, sha(page));
    stats.mlogWrites++;
    const [p, h] = [...logPages][randomInt(0, logPages.size)]!;
    const back = new Uint8Array(PAGE);
    ml.readPages(log.id, p * PAGE, back);
    check(`mlog page ${p}`, back, h);
    if (stats.mlogWrites % 25 === 0) {
      ml.erase(log.id);
      stats.erases++;
    }
  }
  for (const m of mine) mb.delete(m.id);
  ml.delete(log.id);
} catch (e) {
  stats.errors.push(e instanceof Error ? e.message : String(e));
} finally {
  pool.close();
}
process.stdout.write(`${JSON.stringify(stats)}\n`);
