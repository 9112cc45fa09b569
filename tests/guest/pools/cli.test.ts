/**
 * The mpool CLI against the module. Most commands run in-process (runCli:
 * the same program, output captured); three spawns check the built binary
 * end to end. Leaves no pool.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../userland/src/cli/program.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog, runAsync } from '../helpers.js';
import { cleanup, DISK_A, DISK_B, MB, nodeStat, pools } from './fixtures.js';

const root = join(import.meta.dirname, '../../..');
const bin = join(root, 'bin/mpool.js');
let marker: string;
let uuid = '';

beforeAll(() => {
  ensureLoaded();
  cleanup();
  marker = markKernelLog('pools-cli');
});

afterAll(() => cleanup());

describe('mpool (in-process)', () => {
  it('create prints nothing by default; --json gives the parameters; -v says what it did', async () => {
    const r = await runCli(['-v', 'create', 'clip', DISK_A, `mblocksz=${MB}`, 'label=cli', 'mode=0640', 'uid=root', 'gid=disk', '--json']);
    expect(r.stderr).toContain('mpool: creating pool clip on /dev/vda');
    expect(r.stderr).toContain('mpool: mpool clip created');
    expect(r.status).toBe(0);
    const p = JSON.parse(r.stdout) as { name: string; uuid: string; label: string; mode: number; mblockSize: { capacity: number } };
    expect(p).toMatchObject({ name: 'clip', label: 'cli', mode: 0o640, mblockSize: { capacity: MB } });
    uuid = p.uuid;
    expect(nodeStat('/dev/mpool/clip').mode).toBe(0o640);
  });

  it('list: the table and --json', async () => {
    const t = await runCli(['list']);
    expect(t.status).toBe(0);
    const [head, row] = t.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^MPOOL\s+TOTAL\s+USED\s+AVAIL\s+CAPACITY\s+LABEL\s+HEALTH$/);
    expect(row).toMatch(/^clip\s+\S+\s+\S+\s+\S+\s+\d+\.\d%\s+cli\s+optimal$/);
    const j = await runCli(['list', '--json']);
    // Sizes are u64: JSON strings of decimal digits.
    const digits = expect.stringMatching(/^\d+$/) as string;
    expect(JSON.parse(j.stdout)).toMatchObject([{ name: 'clip', uuid, label: 'cli', health: 'optimal', total: digits, used: digits, available: digits }]);
    expect(await runCli(['--json', 'list'])).toEqual(j);
    const h = await runCli(['list', '-H', '-p']);
    expect(h.stdout).toMatch(/^clip\s+\d+\s+\d+\s+\d+/);
  });

  it('get: upstream\'s columns, -Y and --json; an unknown pool is ENXIO', async () => {
    const t = await runCli(['get', 'clip']);
    expect(t.status).toBe(0);
    const [head, row] = t.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^MPOOL\s+LABEL\s+UID\s+GID\s+MODE\s+RA\s+STGSZ\s+CAPSZ\s+STGSP\s+CAPSP$/);
    expect(row).toMatch(new RegExp(`^clip\\s+cli\\s+root\\s+disk\\s+0640\\s+32\\s+0\\s+${MB}\\s+5\\s+5$`));
    const j = await runCli(['get', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject([{ name: 'clip', uuid, uid: 0, gid: 6, mode: 0o640 }]);
    expect((await runCli(['get', '-Y', 'clip'])).stdout).toContain('  - mpool: "clip"');
    const bad = await runCli(['get', 'nosuch']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('no active pool named "nosuch" (ENXIO)');
  });

  it('set changes parameters; bad values are usage errors', async () => {
    const r = await runCli(['set', 'clip', 'ra=8', 'label=renamed', 'spare_pct_capacity=12', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ readaheadPages: 8, label: 'renamed', spareCapacity: 12 });
    const bad = await runCli(['set', 'clip', 'ra=64']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('mpool: ra=64: out of range; ra takes 0..32 (pages)\n');
  });

  it('add: a staging device', async () => {
    const r = await runCli(['add', 'clip', `stgdev=${DISK_B}`, 'stgsz=4', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ mblockSize: { staging: 4, capacity: MB } });
    const again = await runCli(['add', 'clip', `stgdev=${DISK_B}`]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already has a staging device');
    expect(again.stderr).toMatch(/\(EEXIST\)\n$/);
  });

  it('deactivate, scan, activate by uuid', async () => {
    expect((await runCli(['deactivate', 'clip'])).status).toBe(0);
    const s = await runCli(['scan', '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({
      pools: [{ name: 'clip', uuid, active: false, devices: [{ path: DISK_A, holdsMdc0: true }, { path: DISK_B, mclass: 'staging' }] }],
    });
    const t = await runCli(['scan']);
    expect(t.stdout).toMatch(new RegExp(`^clip\\s+${uuid}\\s+inactive\\s+/dev/vda\\s+capacity\\s+yes\\s+0$`, 'm'));
    const a = await runCli(['activate', uuid, '--json']);
    expect(a.status).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({ name: 'clip', label: 'renamed', health: 'optimal' });
  });

  it('rename: EBUSY while active; works once inactive', async () => {
    const busy = await runCli(['rename', 'clip', 'clip2']);
    expect(busy.status).toBe(1);
    expect(busy.stderr).toContain('deactivate it first');
    expect(busy.stderr).toMatch(/\(EBUSY\)\n$/);
    await runCli(['deactivate', uuid]);
    const r = await runCli(['-v', 'rename', 'clip', 'clip2', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ oldName: 'clip', name: 'clip2', uuid });
    expect(r.stderr).toContain('renamed mpool "clip" to "clip2"');
  });

  it('scan --activate and --deactivate', async () => {
    const a = await runCli(['scan', '--activate']);
    expect(a.status).toBe(0);
    expect(a.stdout).toContain(`activated mpool clip2  ${uuid}`);
    expect(a.stdout).toContain('1 mpools now active');
    const d = await runCli(['scan', '--deactivate', '--json']);
    expect(JSON.parse(d.stdout)).toMatchObject({ actions: [{ name: 'clip2', action: 'deactivate', ok: true }], activeCount: 0 });
  });

  it('destroy by name, inactive; then nothing is found', async () => {
    const r = await runCli(['destroy', 'clip2', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'clip2', uuid });
    expect(JSON.parse((await runCli(['scan', '--json'])).stdout)).toMatchObject({ pools: [] });
    const again = await runCli(['destroy', 'clip2']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('no pool named "clip2" found');
    expect(again.stderr).toMatch(/\(ENOENT\)\n$/);
  });
});

describe('the mpool binary', () => {
  it('create over an old pool: EBUSY (exit 1) naming that pool, then -f', async () => {
    pools.create('oldone', DISK_A, { mblockSize: MB });
    pools.deactivate('oldone');
    const r = await runAsync(bin, ['create', 'newone', DISK_A, `mblocksz=${MB}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mpool: create \/dev\/vda: device \/dev\/vda already holds pool "oldone" \([0-9a-f-]{36}\); use -f to overwrite it \(EBUSY\)\n$/);
    const f = await runAsync(bin, ['create', '-f', 'newone', DISK_A, `mblocksz=${MB}`]);
    expect(f.status, f.stderr).toBe(0);
    expect(f.stdout).toBe('');
  });

  it('list --json and destroy -f of a pool held open', async () => {
    const list = JSON.parse((await runAsync(bin, ['list', '--json'])).stdout) as { name: string }[];
    expect(list.map((p) => p.name)).toEqual(['newone']);
    // Held open by a child of ours: destroy needs -f.
    const holder = await runAsync('sh', ['-c', `exec 3</dev/mpool/newone; ${bin} destroy newone; echo "rc=$?"; ${bin} destroy -f newone; echo "rc=$?"`]);
    expect(holder.stdout).toBe('rc=1\nrc=0\n');
    expect(holder.stderr).toContain('use -f to tear it down anyway');
    expect(holder.stderr).toMatch(/\(EBUSY\)\n$/);
    expect(pools.list()).toEqual([]);
  });

  it('without CAP_SYS_ADMIN: EPERM (exit 1) with a message that says so', async () => {
    const r = await runAsync('setpriv', ['--inh-caps=-sys_admin', '--bounding-set=-sys_admin', bin, 'create', 'np', DISK_A, `mblocksz=${MB}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('create needs CAP_SYS_ADMIN (run as root) (EPERM)');
    expect(pools.list()).toEqual([]);
  });

  it('left nothing in the kernel log', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
