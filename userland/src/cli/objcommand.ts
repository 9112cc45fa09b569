/**
 * The shape of the object commands, `mpool <kind> <mpname> <action>
 * [<objid>]` (mblock, mlog): their arguments, the options they share, the
 * action check, and the actions that look alike in both.
 */
import { Command } from 'commander';
import type { MediaClass } from '../lib/device.js';
import { objectIdFields, objectIdHex, type ObjectKind } from '../lib/objects.js';
import type { Pool } from '../lib/pool.js';
import { objectIdArg, withPoolArg, writeOutput } from './objargs.js';
import { runCommand, UsageError, type CommandContext, type Rendered } from './run.js';

/** Every option of either object command; each command declares the ones it takes. */
export interface ObjectOptions {
  staging?: boolean;
  spare?: boolean;
  commit?: boolean;
  capacity?: string;
  gen?: string;
  input?: string;
  output?: string;
  offset?: string;
  length?: string;
  parsable?: boolean;
  noheadings?: boolean;
}

/** One run of an object command: its arguments, options and context. */
export interface ObjectRequest<A extends string> {
  pool: string;
  action: A;
  idText: string | undefined;
  o: ObjectOptions;
  ctx: CommandContext;
}

/** What each action does, in the order the help lists them. */
export type ObjectActions<A extends string> = { readonly [K in A]: (r: ObjectRequest<K>) => Rendered };

export interface ObjectCommandSpec<A extends string> {
  kind: ObjectKind;
  /** What the objects are; the help adds the actions. */
  summary: string;
  actions: ObjectActions<A>;
  /** The help of --commit: which action takes it. */
  commitHelp: string;
  /** The options only this kind takes, as [flags, help], after --commit. */
  extra: readonly (readonly [string, string])[];
  /** The action that writes raw bytes (read, dump) and the default of its --length. */
  raw: { action: NoInfer<A>; lengthDefault: string };
}

export function objectCommand<A extends string>(spec: ObjectCommandSpec<A>): Command {
  const raw = spec.raw.action;
  const names = Object.keys(spec.actions) as A[];
  const cmd = new Command(spec.kind)
    .description(`${spec.summary} (${names.join(', ')})`)
    .argument('<mpname>', 'pool name')
    .argument('<action>', names.join(' | '))
    .argument('[objid]', 'object id (0x...)')
    .option('--staging', 'alloc: in the staging class (default capacity)')
    .option('--spare', 'alloc: from spare space')
    .option('--commit', spec.commitHelp);
  for (const [flags, help] of spec.extra) cmd.option(flags, help);
  return cmd
    .option('-o, --output <file>', `${raw}: to a file (default stdout)`)
    .option('--offset <bytes>', `${raw}: start (default 0)`)
    .option('--length <bytes>', `${raw}: length (default to ${spec.raw.lengthDefault})`)
    .option('-p, --parsable', 'sizes in bytes')
    .option('-H, --noheadings', 'omit the column headings')
    .action(async (pool: string, action: string, idText: string | undefined, o: ObjectOptions, c: Command) => {
      await runCommand(c, (ctx) => {
        if (!(names as readonly string[]).includes(action)) {
          throw new UsageError(`unknown ${spec.kind} action "${action}"; one of: ${names.join(', ')}`);
        }
        const a = action as A;
        const handler: (r: ObjectRequest<A>) => Rendered = spec.actions[a];
        return handler({ pool, action: a, idText, o, ctx });
      });
    });
}

/** What alloc asks for: the media class (--staging) and whether from spare space (--spare). */
export function allocOptions(o: ObjectOptions): { mclass: MediaClass; spare: boolean } {
  return { mclass: o.staging ? 'staging' : 'capacity', spare: o.spare ?? false };
}

/** An action on one object id that returns nothing (commit, abort, delete), on the pool open for writing. */
export function idAction<A extends string>(kind: ObjectKind, r: ObjectRequest<A>, fn: (pool: Pool, id: bigint) => void): Rendered {
  const id = objectIdArg(r.idText, r.action);
  withPoolArg(r.pool, true, (pl) => fn(pl, id));
  r.ctx.log(`${kind} ${objectIdHex(id)}: ${r.action} done`);
  return { data: { ...objectIdFields(id), action: r.action }, text: '' };
}

/**
 * An action that writes raw bytes to --output or stdout; --json does not
 * apply to it. `plan` checks the rest of the arguments, before the pool is
 * opened, and returns the read.
 */
export function rawAction<A extends string>(r: ObjectRequest<A>, plan: (id: bigint) => (pool: Pool) => Uint8Array): Rendered {
  const id = objectIdArg(r.idText, r.action);
  if (r.ctx.json) throw new UsageError(`${r.action} writes raw bytes; --json does not apply`);
  const read = plan(id);
  writeOutput(r.o.output, withPoolArg(r.pool, false, read));
  return { data: null, text: '' };
}
