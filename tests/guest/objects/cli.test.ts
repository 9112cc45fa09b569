/** The mblock and mlog commands, in-process (runCli), on a real pool. */
import { writeFileSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../userland/src/cli/program.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded } from '../helpers.js';
import { dropPool, freshPool, PAGE, random, sha256, ZONE } from './fixtures.js';

const NAME = 'objcli';
let pool: Pool;
const dir = mkdtempSync(join(tmpdir(), 'mpool-objcli-'));

beforeAll(() => {
  ensureLoaded();
  pool = freshPool(NAME);
});

afterAll(() => dropPool(pool));

describe('mpool mblock', () => {
  it('alloc, write from a file, commit, props, read back to stdout and to a file, delete', async () => {
    const a = await runCli(['mblock', NAME, 'alloc']);
    expect(a.status, a.stderr).toBe(0);
    const id = a.stdout.trim();
    expect(id).toMatch(/^0x[0-9a-f]+$/);
    const data = random(3 * PAGE + 123);
    writeFileSync(join(dir, 'in'), data);
    const w = await runCli(['mblock', NAME, 'write', id, '--input', join(dir, 'in'), '--commit', '--json']);
    expect(w.status, w.stderr).toBe(0);
    // Every u64 is a JSON string of decimal digits, however small.
    expect(JSON.parse(w.stdout)).toMatchObject({ id: BigInt(id).toString(), idHex: id, capacity: String(ZONE), written: String(4 * PAGE), committed: true, bytes: data.length });
    const p = await runCli(['mblock', NAME, 'props', id, '-p']);
    expect(p.stdout).toMatch(new RegExp(`^OBJID\\s+CLASS\\s+CAPACITY\\s+WRITTEN\\s+COMMITTED\\n${id}\\s+capacity\\s+${ZONE}\\s+${4 * PAGE}\\s+yes\\n$`));
    const r = await runCli(['mblock', NAME, 'read', id, '--length', String(data.length)]);
    expect(r.status, r.stderr).toBe(0);
    expect(sha256(r.stdoutBytes)).toBe(sha256(data));
    const r2 = await runCli(['mblock', NAME, 'read', id, '--offset', '100', '--length', '5000', '-o', join(dir, 'out')]);
    expect(r2.status).toBe(0);
    expect(readFileSync(join(dir, 'out'))).toEqual(Buffer.from(data.subarray(100, 5100)));
    expect((await runCli(['mblock', NAME, 'delete', id])).status).toBe(0);
  });

  it('errors name the object and the errno and exit 1; usage errors exit 2', async () => {
    const a = await runCli(['mblock', NAME, 'alloc', '--json']);
    const { idHex } = JSON.parse(a.stdout) as { idHex: string };
    const r = await runCli(['mblock', NAME, 'read', idHex]);
    expect(r.status).toBe(1);
    // ENOENT, as 1.9.0 answers for an uncommitted mblock.
    expect(r.stderr).toContain(`mblock ${idHex}: is not committed`);
    expect(r.stderr).toMatch(/\(ENOENT\)\n$/);
    const d = await runCli(['mblock', NAME, 'delete', '0x99999101', '--json']);
    expect(d.status).toBe(1);
    expect(JSON.parse(d.stdout)).toMatchObject({ error: { code: 'ENOENT', errno: 2 } });
    expect((await runCli(['mblock', NAME, 'abort', idHex])).status).toBe(0);
    expect((await runCli(['mblock', NAME, 'frob'])).status).toBe(2);
    expect((await runCli(['mblock', NAME, 'props', 'xyz'])).stderr).toContain('is not an object id');
  });
});

describe('mpool mlog', () => {
  it('alloc --commit, props --json, erase, dump, delete', async () => {
    const a = await runCli(['mlog', NAME, 'alloc', '--capacity', '5M', '--commit', '--json']);
    expect(a.status, a.stderr).toBe(0);
    const p = JSON.parse(a.stdout) as { idHex: string; capacity: string; committed: boolean; gen: string; uuid: string };
    expect(p).toMatchObject({ capacity: String(2 * ZONE), committed: true, gen: '0' });
    const data = random(2 * PAGE);
    pool.mlogs.writePages(BigInt(p.idHex), PAGE, data);
    const e = await runCli(['mlog', NAME, 'erase', p.idHex, '--gen', '5']);
    expect(e.stdout.trim()).toBe('5');
    const props = await runCli(['mlog', NAME, 'props', p.idHex, '--json']);
    expect(JSON.parse(props.stdout)).toMatchObject({ idHex: p.idHex, gen: '5', uuid: p.uuid });
    const dump = await runCli(['mlog', NAME, 'dump', p.idHex, '--offset', String(PAGE + 10), '--length', String(PAGE)]);
    expect(dump.status, dump.stderr).toBe(0);
    expect(dump.stdoutBytes).toEqual(Buffer.from(data.subarray(10, PAGE + 10)));
    const t = await runCli(['mlog', NAME, 'props', '0x201']);
    expect(t.stdout).toMatch(/^OBJID\s+CLASS\s+CAPACITY\s+SECTOR\s+GEN\s+COMMITTED\s+UUID\n0x201\s+capacity/);
    // --json before the command too; the new generation is a u64, so a string.
    const ej = await runCli(['--json', 'mlog', NAME, 'erase', p.idHex, '--gen', '7']);
    expect(ej.status, ej.stderr).toBe(0);
    expect(JSON.parse(ej.stdout)).toEqual({ id: BigInt(p.idHex).toString(), idHex: p.idHex, gen: '7' });
    expect((await runCli(['mlog', NAME, 'delete', p.idHex])).status).toBe(0);
    const gone = await runCli(['mlog', NAME, 'props', p.idHex]);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toMatch(/\(ENOENT\)\n$/);
  });
});
