/** Checks of positional arguments shared by the commands. */
import { looksLikeUuid, poolNameProblem } from '../lib/names.js';
import { UsageError } from './run.js';

/** A pool name; a usage error that states the rule otherwise. */
export function poolName(name: string): string {
  const p = poolNameProblem(name);
  if (p) throw new UsageError(`invalid pool name: ${p.message}`);
  return name;
}

/** A pool name or a pool uuid. */
export function poolRef(ref: string): string {
  return looksLikeUuid(ref) ? ref : poolName(ref);
}

/** Common options every command has. */
export interface CommonOptions {
  json?: boolean;
  verbose?: boolean;
}
