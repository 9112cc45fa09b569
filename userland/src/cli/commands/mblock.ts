/**
 * mpool mblock <mpname> <action> [<objid>]: alloc, write, commit, abort,
 * delete, props, read. There is no list: the kernel has no enumeration.
 */
import { Command } from 'commander';
import type { MediaClass } from '../../lib/device.js';
import { UsageError, runCommand, verboseLog, type Rendered } from '../run.js';
import { mblockTable, numberArg, objectIdArg, readInput, withPoolArg, writeOutput } from '../objargs.js';

const ACTIONS = ['alloc', 'write', 'commit', 'abort', 'delete', 'props', 'read'] as const;
type Action = (typeof ACTIONS)[number];

interface Options {
  staging?: boolean;
  spare?: boolean;
  commit?: boolean;
  input?: string;
  output?: string;
  offset?: string;
  length?: string;
  parsable?: boolean;
  noheadings?: boolean;
  json?: boolean;
}

function act(pool: string, action: Action, idText: string | undefined, o: Options, log: (m: string) => void): Rendered {
  const table = (p: Parameters<typeof mblockTable>[0]): string => mblockTable(p, o.parsable ?? false, o.noheadings ?? false);
  switch (action) {
    case 'alloc': {
      const mclass: MediaClass = o.staging ? 'staging' : 'capacity';
      const p = withPoolArg(pool, true, (pl) => pl.mblocks.alloc({ mclass, spare: o.spare ?? false }));
      log(`mblock ${p.idHex} allocated in the ${mclass} class`);
      return { data: p, text: o.json ? '' : p.idHex };
    }
    case 'write': {
      const id = objectIdArg(idText, 'write');
      const data = readInput(o.input);
      const p = withPoolArg(pool, true, (pl) => {
        const n = pl.mblocks.write(id, data, { pad: true });
        log(`wrote ${data.length} bytes (${n} with padding) to mblock 0x${id.toString(16)}`);
        if (o.commit) pl.mblocks.commit(id);
        return pl.mblocks.find(id);
      });
      return { data: { ...p, bytes: data.length }, text: '' };
    }
    case 'commit':
    case 'abort':
    case 'delete': {
      const id = objectIdArg(idText, action);
      withPoolArg(pool, true, (pl) => pl.mblocks[action](id));
      log(`mblock 0x${id.toString(16)}: ${action} done`);
      return { data: { id, idHex: `0x${id.toString(16)}`, action }, text: '' };
    }
    case 'props': {
      const id = objectIdArg(idText, 'props');
      const p = withPoolArg(pool, false, (pl) => pl.mblocks.find(id));
      return { data: p, text: table([p]) };
    }
    case 'read': {
      const id = objectIdArg(idText, 'read');
      if (o.json) throw new UsageError('read writes raw bytes; --json does not apply');
      const offset = numberArg(o.offset, '--offset') ?? 0;
      const length = numberArg(o.length, '--length');
      const data = withPoolArg(pool, false, (pl) => pl.mblocks.read(id, offset, length));
      writeOutput(o.output, data);
      return { data: null, text: '' };
    }
  }
}

export function mblockCommand(): Command {
  return new Command('mblock')
    .description('mblocks: write-once objects (alloc, write, commit, abort, delete, props, read)')
    .argument('<mpname>', 'pool name')
    .argument('<action>', ACTIONS.join(' | '))
    .argument('[objid]', 'object id (0x...)')
    .option('--staging', 'alloc: in the staging class (default capacity)')
    .option('--spare', 'alloc: from spare space')
    .option('--commit', 'write: commit after writing')
    .option('-i, --input <file>', 'write: data from a file (default stdin); zero-padded to whole pages')
    .option('-o, --output <file>', 'read: to a file (default stdout)')
    .option('--offset <bytes>', 'read: start (default 0)')
    .option('--length <bytes>', 'read: length (default to the written length)')
    .option('-p, --parsable', 'sizes in bytes')
    .option('-H, --noheadings', 'omit the column headings')
    .option('--json', 'print JSON')
    .action(async (pool: string, action: string, idText: string | undefined, opts: Options, cmd: Command) => {
      const { verbose } = cmd.optsWithGlobals<{ verbose?: boolean }>();
      await runCommand(opts.json ?? false, () => {
        if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`unknown mblock action "${action}"; one of: ${ACTIONS.join(', ')}`);
        return act(pool, action as Action, idText, opts, verboseLog(verbose));
      });
    });
}
