/**
 * mpool mlog <mpname> <action> [<objid>]: alloc, commit, abort, delete,
 * props, erase, and dump (raw bytes of a committed mlog).
 */
import type { Command } from 'commander';
import { kernelMlogMedia } from '../../lib/mlog.js';
import { objectIdFields } from '../../lib/objects.js';
import { allocOptions, idAction, objectCommand, rawAction } from '../objcommand.js';
import { mlogJson, mlogTable, numberArg, objectIdArg, sizeArg, withPoolArg } from '../objargs.js';

export function mlogCommand(): Command {
  return objectCommand({
    kind: 'mlog',
    summary: 'mlogs: append-only logs',
    commitHelp: 'alloc: commit at once',
    extra: [
      ['--capacity <bytes>', 'alloc: size wanted, rounded up to whole zones (e.g. 8M)'],
      ['--gen <n>', 'erase: the lowest acceptable new generation'],
    ],
    raw: { action: 'dump', lengthDefault: 'the capacity' },
    actions: {
      alloc: ({ pool, o, ctx }) => {
        const opts = allocOptions(o);
        const capacity = o.capacity === undefined ? 0n : sizeArg(o.capacity, '--capacity');
        const p = withPoolArg(pool, true, (pl) => {
          const a = pl.mlogs.alloc({ ...opts, capacity });
          if (o.commit) pl.mlogs.commit(a.id);
          return o.commit ? pl.mlogs.find(a.id) : a;
        });
        ctx.log(`mlog ${p.idHex} allocated: ${p.capacity} bytes in the ${opts.mclass} class`);
        return { data: mlogJson(p), text: p.idHex };
      },
      commit: ({ pool, idText }) => {
        const id = objectIdArg(idText, 'commit');
        const c = withPoolArg(pool, true, (pl) => pl.mlogs.commit(id));
        return { data: { ...objectIdFields(id), ...c }, text: '' };
      },
      abort: (r) => idAction('mlog', r, (pl, id) => pl.mlogs.abort(id)),
      delete: (r) => idAction('mlog', r, (pl, id) => pl.mlogs.delete(id)),
      props: ({ pool, idText, o }) => {
        const id = objectIdArg(idText, 'props');
        const p = withPoolArg(pool, false, (pl) => pl.mlogs.find(id));
        return { data: mlogJson(p), text: mlogTable([p], o) };
      },
      erase: ({ pool, idText, o }) => {
        const id = objectIdArg(idText, 'erase');
        const min = o.gen === undefined ? 0n : sizeArg(o.gen, '--gen');
        const gen = withPoolArg(pool, true, (pl) => pl.mlogs.erase(id, min));
        return { data: { ...objectIdFields(id), gen }, text: gen.toString() };
      },
      dump: (r) =>
        rawAction(r, (id) => {
          const offset = numberArg(r.o.offset, '--offset') ?? 0;
          return (pl) => {
            const media = kernelMlogMedia(pl, id);
            const length = numberArg(r.o.length, '--length') ?? media.capacity - offset;
            const buf = new Uint8Array(Math.max(length, 0));
            media.read(offset, buf);
            return buf;
          };
        }),
    },
  });
}
