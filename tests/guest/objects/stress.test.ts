/**
 * Bounded concurrency: four worker processes on one pool for ~15 s, each
 * with its own mblocks and mlog and all reading shared mblocks; every read
 * is checked by sha256 (stress-child.ts). No errors, a clean kernel log.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { dropPool, freshPool, PAGE, random, sha256 } from './fixtures.js';

const NAME = 'objstress';
const WORKERS = 4;
const MS = 15_000;
let pool: Pool;
let marker: string;

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('objects-stress');
  pool = freshPool(NAME);
});

afterAll(() => dropPool(pool));

interface Stats {
  worker: number;
  mblocks: number;
  bytesWritten: number;
  reads: number;
  mlogWrites: number;
  erases: number;
  errors: string[];
}

function runWorker(i: number, shared: string): Promise<Stats> {
  const script = join(import.meta.dirname, 'stress-child.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, NAME, String(i), String(MS), shared], {
      cwd: join(import.meta.dirname, '../../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        const line = out.trim().split('\n').pop() ?? '';
        resolve(JSON.parse(line) as Stats);
      } catch {
        reject(new Error(`worker ${i} exited ${code}: ${err.slice(-2000)}`));
      }
    });
  });
}

describe('stress', () => {
  it(`${WORKERS} processes write, commit, read and delete concurrently; every read checks`, async () => {
    const shared: string[] = [];
    const sharedIds: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const data = random((i + 1) * 16 * PAGE);
      const { id } = pool.mblocks.alloc();
      pool.mblocks.write(id, data);
      pool.mblocks.commit(id);
      shared.push(`${id}:${sha256(data)}`);
      sharedIds.push(id);
    }
    const before = pool.props().usage;
    const stats = await Promise.all(Array.from({ length: WORKERS }, (_, i) => runWorker(i, shared.join(','))));
    for (const s of stats) {
      expect(s.errors, `worker ${s.worker}`).toEqual([]);
      expect(s.mblocks).toBeGreaterThan(0);
      expect(s.reads).toBeGreaterThan(s.mblocks);
    }
    // Every worker cleaned up after itself; the shared mblocks are intact.
    const after = pool.props().usage;
    expect(after.mblockCount).toBe(before.mblockCount);
    expect(after.mlogCount).toBe(before.mlogCount);
    for (const [i, id] of sharedIds.entries()) expect(`${id}:${sha256(pool.mblocks.read(id))}`).toBe(shared[i]);
    console.log(JSON.stringify(stats.map(({ errors: _e, ...s }) => s)));
  }, 180_000);

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
