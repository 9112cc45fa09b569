/**
 * mpool mcache <mpname> <objid...>: map committed mblocks (one mcache map,
 * one mmap) and report their residency; with --sum, checksum each through
 * the map; with --cat, stream their bytes through it to stdout.
 */
import { createHash } from 'node:crypto';
import { Command, Option } from 'commander';
import { MCACHE_ADVICE, type McacheAdvice, type McacheResidency } from '../../lib/mcache.js';
import { objectIdHex } from '../../lib/objects.js';
import { humanSize, table } from '../format.js';
import { objectIdArg, withPoolArg } from '../objargs.js';
import { runCommand, UsageError, writeBytes } from '../run.js';

interface Options {
  advice: McacheAdvice;
  willneed?: boolean;
  sum?: boolean;
  cat?: boolean;
  purge?: boolean;
}

interface McacheReport {
  pool: string;
  offset: bigint;
  bucketSize: number;
  mblocks: { id: string; written: number; sha256?: string }[];
  /** After mapping (and reading, with --sum or --cat). */
  residency: McacheResidency;
  /** After VMA_PURGE, with --purge. */
  afterPurge?: McacheResidency;
}

const pages = (r: McacheResidency): string => `${r.resident} of ${r.virtual} pages resident`;

export function mcacheCommand(): Command {
  return new Command('mcache')
    .description('map committed mblocks (one mcache map) and report their residency, or read them through the map')
    .argument('<mpname>', 'the pool')
    .argument('<objid...>', 'mblock ids (0x-hex or decimal); repeats are allowed')
    .addOption(new Option('-a, --advice <advice>', "the map's temperature").choices(Object.keys(MCACHE_ADVICE)).default('warm'))
    .option('-w, --willneed', 'madvise(WILLNEED) each mblock first: read ahead up to the pool ra')
    .option('-s, --sum', 'print the SHA-256 of each mblock, read through the map')
    .option('-c, --cat', 'write the mblocks, in order, to stdout, read through the map')
    .option('-P, --purge', 'VMA_PURGE at the end and report the residency again')
    .action(async (pool: string, idTexts: string[], o: Options, cmd: Command) => {
      await runCommand(cmd, ({ json, log }) => {
        if (o.cat && json) throw new UsageError('--cat writes raw bytes: it does not go with --json');
        if (o.cat && o.sum) throw new UsageError('--cat and --sum: choose one');
        const ids = idTexts.map((t) => objectIdArg(t, 'mcache'));
        const report = withPoolArg(pool, true, (pl): McacheReport => {
          const map = pl.mcache.map(ids, { advice: o.advice });
          try {
            log(`mapped ${ids.length} mblock(s) at offset 0x${map.offset.toString(16)}, ${map.bucketSize} bytes each`);
            const mblocks = ids.map((id, i) => {
              if (o.willneed && map.written(i) > 0) map.madvise(i, 0, map.bucketSize, 'willneed');
              const entry: McacheReport['mblocks'][number] = { id: objectIdHex(id), written: map.written(i) };
              if (o.sum) entry.sha256 = createHash('sha256').update(map.view(i)).digest('hex');
              // A copy: stdout may write after the map is gone (a pipe is asynchronous).
              if (o.cat) writeBytes(new Uint8Array(map.view(i)));
              return entry;
            });
            const r: McacheReport = { pool: pl.name, offset: map.offset, bucketSize: map.bucketSize, mblocks, residency: map.residency() };
            if (o.purge) {
              map.purge();
              r.afterPurge = map.residency();
            }
            return r;
          } finally {
            map.close();
          }
        });
        if (o.cat) return { data: report, text: '' };
        const rows = report.mblocks.map((m, i) => [String(i), m.id, humanSize(BigInt(m.written)), ...(o.sum ? [m.sha256!] : [])]);
        const lines = [
          table(['INDEX', 'MBLOCK', 'WRITTEN', ...(o.sum ? ['SHA256'] : [])], rows),
          `map: offset 0x${report.offset.toString(16)}, bucket ${humanSize(BigInt(report.bucketSize))}; ${pages(report.residency)}`,
        ];
        if (report.afterPurge) lines.push(`after purge: ${pages(report.afterPurge)}`);
        return { data: report, text: lines.join('\n') };
      });
    });
}
