/**
 * What every bench part reports: a figure's median with its min and max
 * over the interleaved rounds, and the samples themselves.
 */
export interface Stat {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function stat(v: number[]): Stat {
  const s = [...v].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]!, samples: v };
}

/** A bench row: one measure through mpool next to its baseline. */
export interface BenchRow {
  name: string;
  unit: string;
  /** What a higher ratio means. */
  better: 'higher' | 'lower';
  /** What the baseline is. */
  baseline: string;
  mpool: Stat;
  base: Stat;
  /** mpool median over baseline median. */
  ratio: number;
}

/** Seconds, monotonic. */
export const now = (): number => Number(process.hrtime.bigint()) / 1e9;
