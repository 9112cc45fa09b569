/** Checks of positional arguments shared by the commands. */
import { looksLikeUuid, poolNameProblem, poolRefProblem } from '../lib/names.js';
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

/**
 * A pool to take down (deactivate, destroy): a uuid, or any name of 1..31
 * bytes, so that a pool whose name breaks today's rule can still go.
 */
export function existingPoolRef(ref: string): string {
  if (looksLikeUuid(ref)) return ref;
  const p = poolRefProblem(ref);
  if (p) throw new UsageError(`invalid pool name: ${p.message}`);
  return ref;
}
