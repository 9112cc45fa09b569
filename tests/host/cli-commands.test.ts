/**
 * The pool commands' argument handling and output shapes, run in-process
 * (runCli); one spawn of the built binary checks the exit status end to end.
 * Nothing here needs the module: argument errors are caught before any
 * system call, and the rest fail on the missing /dev/mpoolctl.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { paramsRows } from '../../userland/src/cli/commands/get.js';
import { runCli } from '../../userland/src/cli/program.js';
import type { PoolParams } from '../../userland/src/lib/params.js';

const root = join(import.meta.dirname, '../..');

describe('usage errors: exit 2, a message naming the problem, no system call', () => {
  const cases: [string[], string][] = [
    [['create', 'bad/name', '/dev/vdb'], 'invalid pool name: pool name "bad/name" contains "/"'],
    [['create', 'x'.repeat(32), '/dev/vdb'], 'is too long: at most 31 bytes'],
    [['create', '--', '-x', '/dev/vdb'], "cannot start with '-'"],
    [['create', 'mp1', '/dev/vdb', 'ra=99'], 'ra=99: out of range; ra takes 0..32 (pages)'],
    [['create', 'mp1', '/dev/vdb', 'bogus=1'], 'unknown parameter "bogus"'],
    [['create', 'mp1', '/dev/vdb', 'stgsz=8'], 'stgsz= needs stgdev='],
    [['create', 'mp1', '/dev/vdb', 'mblocksz=128'], 'mblocksz takes 1..64 (MiB)'],
    [['add', 'mp1'], 'add needs stgdev=<device>'],
    [['add', 'mp1', 'stgdev=/dev/vdc', 'stgsz=0'], 'stgsz takes 1..64'],
    [['activate', 'mp 1'], 'invalid pool name'],
    [['activate', 'mp1', 'ra=1'], 'unknown parameter "ra"; this command takes: uid, gid, mode, label'],
    [['deactivate', ''], 'a pool name cannot be empty'],
    [['destroy', 'x'.repeat(32)], 'is too long'],
    [['rename', 'old', 'new/name'], 'invalid pool name'],
    [['set', 'mp1'], 'nothing to set'],
    [['set', 'mp1', 'mode=999'], 'mode takes octal 0..0777'],
    [['set', 'mp1', 'spare_pct_staging=101'], 'spare_pct_staging takes 0..100'],
    [['get', 'bad name'], 'invalid pool name'],
  ];
  for (const [args, msg] of cases) {
    it(args.join(' '), async () => {
      const r = await runCli(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(msg);
      expect(r.stderr.startsWith('mpool: ')).toBe(true);
      expect(r.stdout).toBe('');
    });
  }

  it('missing arguments and unknown options are usage errors too (commander)', async () => {
    for (const args of [['create', 'mp1'], ['rename', 'a'], ['destroy', '--bogus', 'a'], ['scan', '--activate', '--deactivate'], ['frobnicate']]) {
      const r = await runCli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/error:/);
    }
  });

  it('--json adds an error object on stdout', async () => {
    const r = await runCli(['create', 'a/b', '/dev/vdb', '--json']);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { message: 'invalid pool name: pool name "a/b" contains "/": use only A-Z a-z 0-9 _ . -' } });
  });

  it('help and version exit 0', async () => {
    const h = await runCli(['create', '--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('Parameters (key=value):');
    expect(h.stdout).toContain('spare_pct_capacity=');
    const v = await runCli(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('system errors exit 1, the errno in the message and the JSON error', () => {
  it('create on a missing device: ENOENT naming the device, before the control node is opened', async () => {
    const r = await runCli(['create', 'mp1', '/nonexistent/dev', '--json']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'ENOENT', errno: 2, op: 'open', path: '/nonexistent/dev' } });
    expect(r.stderr).toMatch(/\(ENOENT\)\n$/);
  });

  it('create on a regular file: ENOTBLK, exit 1', async () => {
    const r = await runCli(['create', 'mp1', join(root, 'package.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mpool: open ${join(root, 'package.json')}: not a block device (ENOTBLK)\n`);
  });

  it('--json is one global option: before or after the command, the same output', async () => {
    const after = await runCli(['create', 'mp1', '/nonexistent/dev', '--json']);
    const before = await runCli(['--json', 'create', 'mp1', '/nonexistent/dev']);
    expect(before).toEqual(after);
    expect(JSON.parse(before.stdout)).toMatchObject({ error: { code: 'ENOENT', errno: 2 } });
  });

  it('the help says what the exit statuses and the JSON types are', async () => {
    const h = await runCli(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('Exit status:\n  0  success\n  1  failure');
    expect(h.stdout).toContain('  2  usage error');
    expect(h.stdout).toContain('Every 64-bit value is a string of decimal digits');
    expect((await runCli(['list', '--help'])).stdout).toMatch(/Global Options:[\s\S]*--json/);
  });

  it('-v says what is being done, on stderr', async () => {
    const r = await runCli(['-v', 'create', 'mp1', '/nonexistent/dev']);
    expect(r.stderr).toContain('mpool: measuring /nonexistent/dev (capacity, 32 MiB zones)');
  });

  it('the binary exits 2 on a usage error (built CLI)', () => {
    const r = spawnSync(join(root, 'bin/mpool.js'), ['set', 'mp1', 'ra=x'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('mpool: ra=x: not a number; ra takes 0..32 (pages)\n');
  });
});

describe('get output', () => {
  const p: PoolParams = {
    name: 'mp1',
    uuid: 'c02c1dd6-f4a2-4d41-a4ef-3459cad90dbe',
    uid: 0,
    gid: 6,
    mode: 0o660,
    label: 'raw',
    health: 'optimal',
    spareCapacity: 5,
    spareStaging: 5,
    mdcCapacityTarget: 0n,
    rootMdc: [0n, 0n],
    readaheadPages: 32,
    vmaSizeMax: 30,
    mblockSize: { staging: 0, capacity: 32 },
    mdc0Capacity: 0,
    mdcnCapacity: 0,
    mdcCount: 16,
    utype: '00000000-0000-0000-0000-000000000000',
  };

  it('has upstream\'s columns, ids as names unless -N', () => {
    const { headers, rows } = paramsRows([p], false, false);
    expect(headers).toEqual(['MPOOL', 'LABEL', 'UID', 'GID', 'MODE', 'RA', 'STGSZ', 'CAPSZ', 'STGSP', 'CAPSP']);
    expect(rows[0]).toEqual(['mp1', 'raw', 'root', expect.any(String) as string, '0660', '32', '0', '32', '5', '5']);
    expect(paramsRows([p], true, false).rows[0]?.slice(2, 4)).toEqual(['0', '6']);
    expect(paramsRows([p], true, true).headers.slice(-3)).toEqual(['VMA', 'TYPE', 'UUID']);
  });
});
