/**
 * mpool mlog <mpname> <action> [<objid>]: alloc, commit, abort, delete,
 * props, erase, and dump (raw bytes of a committed mlog).
 */
import { Command } from 'commander';
import type { MediaClass } from '../../lib/device.js';
import { kernelMlogMedia } from '../../lib/mlog.js';
import { UsageError, runCommand, verboseLog, type Rendered } from '../run.js';
import { mlogJson, mlogTable, numberArg, objectIdArg, sizeArg, withPoolArg, writeOutput } from '../objargs.js';

const ACTIONS = ['alloc', 'commit', 'abort', 'delete', 'props', 'erase', 'dump'] as const;
type Action = (typeof ACTIONS)[number];

interface Options {
  capacity?: string;
  staging?: boolean;
  spare?: boolean;
  commit?: boolean;
  gen?: string;
  output?: string;
  offset?: string;
  length?: string;
  parsable?: boolean;
  noheadings?: boolean;
  json?: boolean;
}

function act(pool: string, action: Action, idText: string | undefined, o: Options, log: (m: string) => void): Rendered {
  switch (action) {
    case 'alloc': {
      const mclass: MediaClass = o.staging ? 'staging' : 'capacity';
      const capacity = o.capacity === undefined ? 0n : sizeArg(o.capacity, '--capacity');
      const p = withPoolArg(pool, true, (pl) => {
        const a = pl.mlogs.alloc({ capacity, mclass, spare: o.spare ?? false });
        if (o.commit) pl.mlogs.commit(a.id);
        return o.commit ? pl.mlogs.find(a.id) : a;
      });
      log(`mlog ${p.idHex} allocated: ${p.capacity} bytes in the ${mclass} class`);
      return { data: mlogJson(p), text: o.json ? '' : p.idHex };
    }
    case 'commit': {
      const id = objectIdArg(idText, action);
      const r = withPoolArg(pool, true, (pl) => pl.mlogs.commit(id));
      return { data: { id, idHex: `0x${id.toString(16)}`, ...r }, text: '' };
    }
    case 'abort':
    case 'delete': {
      const id = objectIdArg(idText, action);
      withPoolArg(pool, true, (pl) => pl.mlogs[action](id));
      log(`mlog 0x${id.toString(16)}: ${action} done`);
      return { data: { id, idHex: `0x${id.toString(16)}`, action }, text: '' };
    }
    case 'props': {
      const id = objectIdArg(idText, 'props');
      const p = withPoolArg(pool, false, (pl) => pl.mlogs.find(id));
      return { data: mlogJson(p), text: mlogTable([p], o.parsable ?? false, o.noheadings ?? false) };
    }
    case 'erase': {
      const id = objectIdArg(idText, 'erase');
      const min = o.gen === undefined ? 0n : sizeArg(o.gen, '--gen');
      const gen = withPoolArg(pool, true, (pl) => pl.mlogs.erase(id, min));
      return { data: { id, idHex: `0x${id.toString(16)}`, gen }, text: o.json ? '' : gen.toString() };
    }
    case 'dump': {
      const id = objectIdArg(idText, 'dump');
      if (o.json) throw new UsageError('dump writes raw bytes; --json does not apply');
      const offset = numberArg(o.offset, '--offset') ?? 0;
      const data = withPoolArg(pool, false, (pl) => {
        const media = kernelMlogMedia(pl, id);
        const length = numberArg(o.length, '--length') ?? media.capacity - offset;
        const buf = new Uint8Array(Math.max(length, 0));
        media.read(offset, buf);
        return buf;
      });
      writeOutput(o.output, data);
      return { data: null, text: '' };
    }
  }
}

export function mlogCommand(): Command {
  return new Command('mlog')
    .description('mlogs: append-only logs (alloc, commit, abort, delete, props, erase, dump)')
    .argument('<mpname>', 'pool name')
    .argument('<action>', ACTIONS.join(' | '))
    .argument('[objid]', 'object id (0x...)')
    .option('--capacity <bytes>', 'alloc: size wanted, rounded up to whole zones (e.g. 8M)')
    .option('--staging', 'alloc: in the staging class (default capacity)')
    .option('--spare', 'alloc: from spare space')
    .option('--commit', 'alloc: commit at once')
    .option('--gen <n>', 'erase: the lowest acceptable new generation')
    .option('-o, --output <file>', 'dump: to a file (default stdout)')
    .option('--offset <bytes>', 'dump: start (default 0)')
    .option('--length <bytes>', 'dump: length (default to the capacity)')
    .option('-p, --parsable', 'sizes in bytes')
    .option('-H, --noheadings', 'omit the column headings')
    .option('--json', 'print JSON')
    .action(async (pool: string, action: string, idText: string | undefined, opts: Options, cmd: Command) => {
      const { verbose } = cmd.optsWithGlobals<{ verbose?: boolean }>();
      await runCommand(opts.json ?? false, () => {
        if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`unknown mlog action "${action}"; one of: ${ACTIONS.join(', ')}`);
        return act(pool, action as Action, idText, opts, verboseLog(verbose));
      });
    });
}
