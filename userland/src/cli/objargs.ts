/** Arguments and output shared by the object commands (mblock, mlog). */
import { readFileSync, writeFileSync } from 'node:fs';
import type { MblockProps } from '../lib/mblock.js';
import type { MlogProps } from '../lib/mlog.js';
import { parseObjectIdText } from '../lib/objects.js';
import { Pool } from '../lib/pool.js';
import { poolName } from './args.js';
import { humanSize, table } from './format.js';
import { UsageError, writeBytes } from './run.js';

/** An object id argument: 0x-hex or decimal. */
export function objectIdArg(text: string | undefined, action: string): bigint {
  if (text === undefined) throw new UsageError(`${action} needs an object id`);
  const id = parseObjectIdText(text);
  if (id === null) throw new UsageError(`"${text}" is not an object id (hex with 0x, or decimal)`);
  return id;
}

const SUFFIX: Record<string, bigint> = { '': 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n };

/** A byte count: 4096, 64k, 8M, 1G (1024-based). */
export function sizeArg(text: string, what: string): bigint {
  const m = /^(\d+)([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${what} "${text}" is not a size (bytes, or with K, M, G, T)`);
  return BigInt(m[1]!) * SUFFIX[m[2]!.toLowerCase()]!;
}

/** A byte offset or length that fits a number. */
export function numberArg(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const v = sizeArg(text, what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`${what} ${text} is too large`);
  return Number(v);
}

/** Open the pool named on the command line; read-only unless `write`. */
export function openPool(name: string, write: boolean): Pool {
  return Pool.open(poolName(name), { write });
}

export function withPoolArg<T>(name: string, write: boolean, fn: (p: Pool) => T): T {
  const pool = openPool(name, write);
  try {
    return fn(pool);
  } finally {
    pool.close();
  }
}

/** Input bytes: a file, or stdin. */
export function readInput(file: string | undefined): Uint8Array {
  return new Uint8Array(readFileSync(file ?? 0));
}

/** Output bytes: a file, or stdout. */
export function writeOutput(file: string | undefined, data: Uint8Array): void {
  if (file !== undefined) writeFileSync(file, data);
  else writeBytes(data);
}

const size = (b: bigint, bytes: boolean): string => (bytes ? b.toString() : humanSize(b));
const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

/** How the object tables print: -p (sizes in bytes), -H (no headings). */
export interface TableOptions {
  parsable?: boolean;
  noheadings?: boolean;
}

export function mblockTable(list: readonly MblockProps[], o: TableOptions): string {
  const bytes = o.parsable ?? false;
  return table(
    ['OBJID', 'CLASS', 'CAPACITY', 'WRITTEN', 'COMMITTED'],
    list.map((p) => [p.idHex, p.mclass ?? '-', size(p.capacity, bytes), size(p.written, bytes), yesNo(p.committed)]),
    { noHeadings: o.noheadings ?? false },
  );
}

export function mlogTable(list: readonly MlogProps[], o: TableOptions): string {
  const bytes = o.parsable ?? false;
  return table(
    ['OBJID', 'CLASS', 'CAPACITY', 'SECTOR', 'GEN', 'COMMITTED', 'UUID'],
    list.map((p) => [p.idHex, p.mclass ?? '-', size(p.capacity, bytes), String(p.sectorSize), p.gen.toString(), yesNo(p.committed), p.uuid]),
    { noHeadings: o.noheadings ?? false },
  );
}

/** JSON form of props: ids in hex as well, uuid bytes left out. */
export function mlogJson(p: MlogProps): Omit<MlogProps, 'uuidBytes'> {
  const { uuidBytes: _b, ...rest } = p;
  return rest;
}
