/**
 * mpool mblock <mpname> <action> [<objid>]: alloc, write, commit, abort,
 * delete, props, read. There is no list: the kernel has no enumeration.
 */
import type { Command } from 'commander';
import { objectIdHex } from '../../lib/objects.js';
import { allocOptions, idAction, objectCommand, rawAction } from '../objcommand.js';
import { mblockTable, numberArg, objectIdArg, readInput, withPoolArg } from '../objargs.js';

export function mblockCommand(): Command {
  return objectCommand({
    kind: 'mblock',
    summary: 'mblocks: write-once objects',
    commitHelp: 'write: commit after writing',
    extra: [['-i, --input <file>', 'write: data from a file (default stdin); zero-padded to whole pages']],
    raw: { action: 'read', lengthDefault: 'the written length' },
    actions: {
      alloc: ({ pool, o, ctx }) => {
        const opts = allocOptions(o);
        const p = withPoolArg(pool, true, (pl) => pl.mblocks.alloc(opts));
        ctx.log(`mblock ${p.idHex} allocated in the ${opts.mclass} class`);
        return { data: p, text: p.idHex };
      },
      write: ({ pool, idText, o, ctx }) => {
        const id = objectIdArg(idText, 'write');
        const data = readInput(o.input);
        const p = withPoolArg(pool, true, (pl) => {
          const n = pl.mblocks.write(id, data, { pad: true });
          ctx.log(`wrote ${data.length} bytes (${n} with padding) to mblock ${objectIdHex(id)}`);
          if (o.commit) pl.mblocks.commit(id);
          return pl.mblocks.find(id);
        });
        return { data: { ...p, bytes: data.length }, text: '' };
      },
      commit: (r) => idAction('mblock', r, (pl, id) => pl.mblocks.commit(id)),
      abort: (r) => idAction('mblock', r, (pl, id) => pl.mblocks.abort(id)),
      delete: (r) => idAction('mblock', r, (pl, id) => pl.mblocks.delete(id)),
      props: ({ pool, idText, o }) => {
        const id = objectIdArg(idText, 'props');
        const p = withPoolArg(pool, false, (pl) => pl.mblocks.find(id));
        return { data: p, text: mblockTable([p], o) };
      },
      read: (r) =>
        rawAction(r, (id) => {
          const offset = numberArg(r.o.offset, '--offset') ?? 0;
          const length = numberArg(r.o.length, '--length');
          return (pl) => pl.mblocks.read(id, offset, length);
        }),
    },
  });
}
