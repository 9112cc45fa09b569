/** Output helpers shared by the commands: sizes, tables, YAML and JSON. */

const UNITS = ['B', 'K', 'M', 'G', 'T', 'P', 'E'];

/** 1024-based, LVM style: 1.5G, 512M, 0B. */
export function humanSize(bytes: bigint): string {
  let v = Number(bytes);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  const num = digits === 0 ? v.toFixed(0) : v.toFixed(digits).replace(/0+$/, '').replace(/\.$/, '');
  return `${num}${UNITS[i]}`;
}

export function table(headers: string[], rows: string[][], opts: { noHeadings?: boolean } = {}): string {
  const all = opts.noHeadings ? rows : [headers, ...rows];
  const widths = headers.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  return all.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}

/**
 * JSON, every bigint (the library's u64 values) as a string of decimal
 * digits whatever its size, so that each field has one JSON type.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

/** toJson on one line: a record of a stream (one JSON object per line). */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Minimal YAML for flat records (the -Y output of upstream's CLI). */
export function toYaml(key: string, records: Record<string, unknown>[]): string {
  if (records.length === 0) return `${key}: []`;
  const lines = [`${key}:`];
  for (const r of records) {
    let first = true;
    for (const [k, v] of Object.entries(r)) {
      lines.push(`${first ? '  - ' : '    '}${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
      first = false;
    }
  }
  return lines.join('\n');
}
