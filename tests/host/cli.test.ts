import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { humanSize, table, toJson, toYaml } from '../../userland/src/cli/format.js';

const root = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

describe('CLI output helpers', () => {
  it('prints sizes LVM style', () => {
    expect(humanSize(0n)).toBe('0B');
    expect(humanSize(1536n)).toBe('1.5K');
    expect(humanSize(32n << 20n)).toBe('32M');
    expect(humanSize((10n << 30n) + (1n << 29n))).toBe('10.5G');
  });

  it('aligns tables and can drop headings', () => {
    expect(table(['A', 'BB'], [['xxx', 'y']])).toBe('A    BB\nxxx  y');
    expect(table(['A', 'BB'], [['xxx', 'y']], { noHeadings: true })).toBe('xxx  y');
  });

  it('prints every bigint in JSON as a string of decimal digits, small or large', () => {
    expect(JSON.parse(toJson({ a: 5n, b: 1n << 60n, c: [0n], n: 7 }))).toEqual({ a: '5', b: '1152921504606846976', c: ['0'], n: 7 });
  });

  it('prints YAML lists', () => {
    expect(toYaml('mpools', [])).toBe('mpools: []');
    expect(toYaml('mpools', [{ name: 'p', total: 1 }])).toBe('mpools:\n  - name: "p"\n    total: 1');
  });
});

describe('mpool binary (built)', () => {
  const bin = join(root, 'bin/mpool.js');

  it('prints the package version', () => {
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
  });

  it('names the problem and exits 1 when the module is not loaded', () => {
    let status = 0;
    let stderr = '';
    let stdout = '';
    try {
      execFileSync(bin, ['list', '--json'], { encoding: 'utf8', env: { ...process.env }, stdio: 'pipe' });
    } catch (e) {
      const err = e as { status: number; stderr: string; stdout: string };
      status = err.status;
      stderr = err.stderr;
      stdout = err.stdout;
    }
    // The host has no module loaded; the guest suite covers the loaded case.
    expect(status).toBe(1);
    expect(stderr).toContain('/dev/mpoolctl');
    expect(stderr).toContain('is the mpool module loaded?');
    expect(JSON.parse(stdout)).toMatchObject({ error: { code: 'ENOENT', errno: 2 } });
  });
});
