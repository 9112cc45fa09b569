/**
 * mpool stats and mpool reaper against a fake /sys/class/mpool
 * (MPOOL_SYSFS_ROOT), run in-process (runCli); one spawn of the built
 * binary checks the exit statuses end to end.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rateText, realSleep, secondsArg, setStatsSleep } from '../../userland/src/cli/commands/stats.js';
import { runCli } from '../../userland/src/cli/program.js';
import { FakeSysfs, GLOBAL_FILES, POOL_FILES } from './fake-sysfs.js';

const root = join(import.meta.dirname, '../..');

let fs: FakeSysfs;
beforeEach(() => {
  fs = new FakeSysfs();
  process.env.MPOOL_SYSFS_ROOT = fs.root;
});
afterEach(() => {
  setStatsSleep(realSleep);
  delete process.env.MPOOL_SYSFS_ROOT;
  fs.cleanup();
});

/**
 * Change the counters between two samples: `fn(i)` runs at the end of the
 * command's i-th wait (0-based), after its real sleep.
 */
function onWake(fn: (i: number) => void): void {
  let i = 0;
  setStatsSleep(async (s) => {
    await realSleep(s);
    fn(i++);
  });
}

type Json = Record<string, unknown>;
const parse = (s: string): Json => JSON.parse(s) as Json;

describe('mpool stats (the module)', () => {
  it('a table of every counter with totals and rates, the reaper line, a line per pool', async () => {
    fs.setGlobal('faults_major', 123);
    fs.setGlobal('maps', 4);
    fs.setGlobal('reap_urgency', 2500);
    fs.setGlobal('reap_ttl_cur', 2500000);
    fs.setGlobal('reap_freepct', 4210);
    fs.addPool('mp1', {}, { pages_hot: 100, pages_cold: 156, maps: 2 });
    fs.addPool('mp2');
    const r = await runCli(['stats', '-i', '0.05']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^rates over \d+\.\d\d s, at \d{4}-\d\d-\d\dT/);
    expect(lines[1]).toMatch(/^STAT +TOTAL +PER SEC +UNIT$/);
    const rows = lines.slice(2, 2 + GLOBAL_FILES.length).map((l) => l.split(/ {2,}/));
    expect(rows.map((c) => c[0])).toEqual([...GLOBAL_FILES]);
    expect(rows.find((c) => c[0] === 'faults_major')).toEqual(['faults_major', '123', '0', 'faults']);
    // Gauges have no rate.
    expect(rows.find((c) => c[0] === 'maps')).toEqual(['maps', '4', '-', 'maps']);
    expect(rows.find((c) => c[0] === 'reap_urgency')).toEqual(['reap_urgency', '2500', '-', 'basis points']);
    expect(r.stdout).toContain(
      'reaper: reap_mempct 80% (on), reap_ttl 10 s (in force 2.5 s), urgency 25.00%, free 42.10%, reap_debug 0\n',
    );
    expect(r.stdout).toMatch(/\nMPOOL +MAPS +RESIDENT +MB READ\/S +MB WRITE\/S +ML READ\/S +ML WRITE\/S +FAULTS\/S +REAPED PAGES\/S\n/);
    // 256 resident pages of 4 KiB.
    expect(r.stdout).toMatch(/\nmp1 +2 +1M +0B\/s +0B\/s +0B\/s +0B\/s +0 +0\n/);
    expect(r.stdout).toMatch(/\nmp2 +0 +0B +0B\/s/);
  });

  it('reap_mempct 100: the reaper is off', async () => {
    fs.setKnob('reap_mempct', '100');
    expect((await runCli(['stats', '-i', '0.01'])).stdout).toContain('reaper: reap_mempct 100% (off)');
  });

  it('no active pool', async () => {
    const r = await runCli(['stats', '-i', '0.01']);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('no active pools');
  });

  it('rates are the change over the interval, per second (--json); bigints are decimal strings', async () => {
    fs.setGlobal('faults_major', 1000);
    fs.setGlobal('reap_pages', 5);
    fs.addPool('mp1', {}, { mb_read_bytes: 4096 });
    onWake(() => {
      fs.setGlobal('faults_major', 1600);
      fs.setGlobal('reap_pages', 5 + 3000);
      fs.setPool('mp1', 'mb_read_bytes', 4096 + (1 << 20));
    });
    const r = await runCli(['stats', '--interval', '0.25', '--json']);
    expect(r.status).toBe(0);
    const j = parse(r.stdout) as {
      global: { stats: Record<string, string>; reaper: Json };
      pools: { name: string; stats: Record<string, string> }[];
      rates: { seconds: number; global: Record<string, number>; pools: { name: string; rates: Record<string, number> }[] };
    };
    const s = j.rates.seconds;
    expect(s).toBeGreaterThanOrEqual(0.24);
    expect(s).toBeLessThan(2);
    expect(j.global.stats.faultsMajor).toBe('1600');
    expect(j.global.reaper).toEqual({ mempct: 80, ttlUs: '10000000', debug: 0 });
    expect(j.rates.global.faultsMajor).toBeCloseTo(600 / s, 6);
    expect(j.rates.global.reapPages).toBeCloseTo(3000 / s, 6);
    expect(j.rates.global.faultsMinor).toBe(0);
    expect(Object.keys(j.rates.global)).not.toContain('maps');
    expect(j.pools.map((p) => p.name)).toEqual(['mp1']);
    expect(j.pools[0]!.stats.mbReadBytes).toBe(String(4096 + (1 << 20)));
    expect(j.rates.pools[0]!.name).toBe('mp1');
    expect(j.rates.pools[0]!.rates.mbReadBytes).toBeGreaterThan((1 << 20) / 2);
    expect(j.rates.pools[0]!.rates.mbReadBytes).toBeLessThanOrEqual((1 << 20) / 0.24);
  });

  it('the table shows the same rates', async () => {
    fs.setGlobal('ra_pages', 0);
    onWake(() => fs.setGlobal('ra_pages', 1_000_000));
    const r = await runCli(['stats', '-i', '0.2']);
    const secs = Number(/^rates over ([\d.]+) s/.exec(r.stdout)![1]);
    const row = r.stdout.split('\n').find((l) => l.startsWith('ra_pages'))!.split(/ +/);
    expect(row[1]).toBe('1000000');
    // Two decimals of seconds in the header: the rate agrees to within that rounding.
    expect(Math.abs(Number(row[2]) - 1_000_000 / secs) / (1_000_000 / secs)).toBeLessThan(0.05);
  });

  it('a pool that appeared during the interval has no rates yet', async () => {
    fs.addPool('old');
    onWake(() => fs.addPool('new'));
    const r = await runCli(['stats', '-i', '0.15']);
    expect(r.stdout).toMatch(/\nnew +0 +0B +- +- +- +- +- +-\n/);
    expect(r.stdout).toMatch(/\nold +0 +0B +0B\/s/);
    onWake(() => fs.addPool('newer'));
    const j = parse((await runCli(['stats', '-i', '0.01', '--json'])).stdout) as { pools: { name: string }[]; rates: { pools: { name: string }[] } };
    expect(j.pools.map((p) => p.name)).toEqual(['new', 'newer', 'old']);
    expect(j.rates.pools.map((p) => p.name)).toEqual(['new', 'old']);
  });
});

describe('mpool stats <mpname>', () => {
  it('the pool parameters and every counter', async () => {
    fs.addPool('mp1', { mode: '0640', label: 'my data', uid: 1000, gid: 100, ra: 16, vma: 30 }, { ml_write_ops: 9, pages_warm: 3 });
    const r = await runCli(['stats', 'mp1', '-i', '0.02']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toBe(
      'mpool mp1: label "my data", uid 1000, gid 100, mode 0640, ra 16 pages, vma 30 (1G regions), type c02c1dd6-f4a2-4d41-a4ef-3459cad90dbe',
    );
    const rows = lines.slice(3, 3 + POOL_FILES.length).map((l) => l.split(/ {2,}/));
    expect(rows.map((c) => c[0])).toEqual([...POOL_FILES]);
    expect(rows.find((c) => c[0] === 'ml_write_ops')).toEqual(['ml_write_ops', '9', '0', 'ops']);
    expect(rows.find((c) => c[0] === 'pages_warm')).toEqual(['pages_warm', '3', '-', 'pages']);
  });

  it('--json: the pool, the interval and the rates', async () => {
    fs.addPool('mp1', {}, { mb_write_ops: 10 });
    onWake(() => fs.setPool('mp1', 'mb_write_ops', 60));
    const r = await runCli(['--json', 'stats', 'mp1', '-i', '0.2']);
    const j = parse(r.stdout) as { name: string; seconds: number; params: Json; stats: Record<string, string>; rates: Record<string, number> };
    expect(j.name).toBe('mp1');
    expect(j.params).toMatchObject({ mode: 0o660, label: 'demo', vma: 30 });
    expect(j.stats.mbWriteOps).toBe('60');
    expect(j.rates.mbWriteOps).toBeCloseTo(50 / j.seconds, 6);
    expect(Object.keys(j.rates)).toHaveLength(13);
  });
});

describe('mpool stats --watch', () => {
  it('--json: one object per line, each with the rates over the last interval', async () => {
    fs.setGlobal('reap_passes', 0);
    // 10, 30, 60 passes after the first, second and third wait.
    onWake((i) => fs.setGlobal('reap_passes', [10, 30, 60][i]!));
    const r = await runCli(['stats', '--watch', '0.1', '--count', '3', '--json']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const objs = lines.map((l) => parse(l) as { global: { sampledAt: number; stats: { reapPasses: string } }; rates: { seconds: number; global: { reapPasses: number } } });
    expect(objs.map((o) => o.global.stats.reapPasses)).toEqual(['10', '30', '60']);
    // Each refresh's rate is of its own interval: 10, 20 and 30 passes.
    objs.forEach((o, i) => {
      expect(o.rates.seconds).toBeGreaterThanOrEqual(0.09);
      expect(o.rates.global.reapPasses * o.rates.seconds).toBeCloseTo([10, 20, 30][i]!, 6);
    });
    expect(objs[1]!.global.sampledAt).toBeGreaterThan(objs[0]!.global.sampledAt);
    expect(objs[2]!.global.sampledAt).toBeGreaterThan(objs[1]!.global.sampledAt);
  });

  it('text: a table per refresh, separated by a blank line', async () => {
    fs.addPool('mp1');
    const r = await runCli(['stats', 'mp1', '-w', '0.02', '-c', '2']);
    expect(r.status).toBe(0);
    const blocks = r.stdout.trimEnd().split('\n\n');
    expect(blocks).toHaveLength(2);
    for (const b of blocks) {
      expect(b).toMatch(/^rates over \d+\.\d\d s/);
      expect(b).toContain('\nmb_read_ops ');
    }
  });

  it('a pool deactivated while watched: the refreshes so far, then the error, exit 1', async () => {
    fs.addPool('mp1');
    // Gone at the end of the third wait: two refreshes, then the error.
    onWake((i) => i === 2 && rmSync(fs.path('mp1')));
    const r = await runCli(['stats', 'mp1', '-w', '0.03', '-c', '100', '--json']);
    expect(r.status).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(parse(lines[0]!)).toHaveProperty('rates');
    expect(parse(lines[1]!)).toHaveProperty('rates');
    // The error is one line too.
    expect(parse(lines.at(-1)!)).toMatchObject({ error: { code: 'ENOENT', errno: 2, path: fs.path('mp1') } });
    expect(r.stderr).toBe(`mpool: read ${fs.path('mp1')}: no active pool named "mp1" (ENOENT)\n`);
  });
});

describe('mpool stats: usage errors exit 2 before anything is read', () => {
  const cases: [string[], string][] = [
    [['stats', '-i', '0'], '--interval 0: out of range; --interval takes a number of seconds > 0, at most 86400'],
    [['stats', '-i', '-1'], '--interval -1: not a number'],
    [['stats', '--interval', 'abc'], '--interval abc: not a number'],
    [['stats', '-i', '1e3'], '--interval 1e3: not a number'],
    [['stats', '-i', '86401'], '--interval 86401: out of range'],
    [['stats', '-w', '0'], '--watch 0: out of range'],
    [['stats', '-w', 'x'], '--watch x: not a number'],
    [['stats', '-w', '1', '-c', '0'], '--count 0: --count takes a whole number of refreshes >= 1'],
    [['stats', '-w', '1', '-c', '1.5'], '--count 1.5'],
    [['stats', '-c', '2'], '--count goes with --watch'],
    [['stats', '-i', '1', '-w', '1'], '--interval and --watch: choose one'],
    [['stats', 'bad/name'], 'invalid pool name'],
    [['stats', 'mpoolctl'], 'reserved for the control device'],
    [['reaper', '--mempct', '4'], '--mempct 4: out of range; reap_mempct takes 5..100 (percent of memory; 100 disables the reaper)'],
    [['reaper', '--mempct', '101'], '--mempct 101: out of range'],
    [['reaper', '--mempct', 'x'], '--mempct x: not a number; reap_mempct takes 5..100'],
    [['reaper', '--ttl', '99'], '--ttl 99: out of range; reap_ttl takes 100..4294967295 (microseconds)'],
    [['reaper', '--ttl', '4294967296'], '--ttl 4294967296: out of range'],
    [['reaper', '--ttl', '1.5'], '--ttl 1.5: not a number'],
    [['reaper', '--debug', '4'], '--debug 4: out of range; reap_debug takes 0..3'],
    [['reaper', '--debug', '-1'], '--debug -1: not a number'],
    [['reaper', '--mempct', '50', '--debug', '9'], '--debug 9: out of range'],
  ];
  for (const [args, msg] of cases) {
    it(args.join(' '), async () => {
      // No tree at all: a usage error must come before any read.
      process.env.MPOOL_SYSFS_ROOT = join(fs.root, 'nowhere');
      const t0 = Date.now();
      const r = await runCli(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(msg);
      expect(r.stderr.startsWith('mpool: ')).toBe(true);
      expect(r.stdout).toBe('');
      expect(Date.now() - t0).toBeLessThan(900);
    });
  }

  it('a refused knob writes nothing', async () => {
    await runCli(['reaper', '--mempct', '50', '--debug', '9']);
    expect(readFileSync(fs.path('mpoolctl/parameters/reap_mempct'), 'utf8')).toBe('80\n');
  });

  it('an unknown option is commander\'s usage error', async () => {
    const r = await runCli(['stats', '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error: unknown option '--bogus'/);
  });

  it('--json adds the error object', async () => {
    const r = await runCli(['stats', '-i', '0', '--json']);
    expect(r.status).toBe(2);
    expect(parse(r.stdout)).toEqual({ error: { message: '--interval 0: out of range; --interval takes a number of seconds > 0, at most 86400' } });
  });
});

describe('mpool stats: failures exit 1 with the errno', () => {
  it('the module not loaded', async () => {
    const gone = join(fs.root, 'nowhere');
    process.env.MPOOL_SYSFS_ROOT = gone;
    const r = await runCli(['stats', '--json']);
    expect(r.status).toBe(1);
    expect(parse(r.stdout)).toEqual({
      error: { errno: 2, code: 'ENOENT', op: 'read', path: gone, message: `read ${gone}: no such directory; is the mpool module loaded? (ENOENT)` },
    });
    expect(r.stderr).toBe(`mpool: read ${gone}: no such directory; is the mpool module loaded? (ENOENT)\n`);
  });

  it('a pool that is not active', async () => {
    const r = await runCli(['stats', 'mp9']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mpool: read ${fs.path('mp9')}: no active pool named "mp9" (ENOENT)\n`);
  });

  it('an older module without a file', async () => {
    rmSync(fs.path('mpoolctl/stats/reap_freepct'));
    const r = await runCli(['stats', '-i', '0.01']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`read ${fs.path('mpoolctl/stats/reap_freepct')}: no such file`);
    expect(r.stderr).toMatch(/\(ENOENT\)\n$/);
    expect(r.stdout).toBe('');
  });

  it('a malformed value: EBADMSG', async () => {
    fs.write('mpoolctl/stats/maps', 'lots\n');
    const r = await runCli(['stats']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mpool: read ${fs.path('mpoolctl/stats/maps')}: expected one decimal integer and a newline, read "lots\\n" (EBADMSG)\n`);
  });
});

describe('mpool reaper', () => {
  const knob = (name: string): string => readFileSync(fs.path(`mpoolctl/parameters/${name}`), 'utf8');

  it('with no option: the knobs, their values and ranges', async () => {
    const r = await runCli(['reaper']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        'KNOB         VALUE     RANGE',
        'reap_mempct  80        5..100 (percent of memory; 100 disables the reaper)',
        'reap_ttl     10000000  100..4294967295 (microseconds)',
        'reap_debug   0         0..3',
        '',
      ].join('\n'),
    );
    expect(parse((await runCli(['reaper', '--json'])).stdout)).toEqual({ mempct: 80, ttlUs: '10000000', debug: 0 });
  });

  it('sets the knobs given, and shows the knobs in force', async () => {
    const r = await runCli(['-v', 'reaper', '--mempct', '5', '--ttl', '100', '--json']);
    expect(r.status).toBe(0);
    expect(parse(r.stdout)).toEqual({ mempct: 5, ttlUs: '100', debug: 0 });
    expect(r.stderr).toBe('mpool: setting reap_mempct=5 reap_ttl=100\n');
    expect(knob('reap_mempct')).toBe('5\n');
    expect(knob('reap_ttl')).toBe('100\n');
    expect(knob('reap_debug')).toBe('0\n');
    const d = await runCli(['reaper', '--debug', '3', '--ttl', '4294967295']);
    expect(d.status).toBe(0);
    expect(d.stdout).toContain('reap_debug   3 ');
    expect(knob('reap_ttl')).toBe('4294967295\n');
    expect(knob('reap_debug')).toBe('3\n');
  });

  it('setting with the module not loaded: ENOENT, exit 1', async () => {
    process.env.MPOOL_SYSFS_ROOT = join(fs.root, 'nowhere');
    const r = await runCli(['reaper', '--mempct', '50']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mpool: write ${join(fs.root, 'nowhere')}: no such directory; is the mpool module loaded? (ENOENT)\n`);
  });
});

describe('helpers and help', () => {
  it('rates print as 0, one decimal below 100, whole from 100', () => {
    expect(rateText(0)).toBe('0');
    expect(rateText(0.04)).toBe('0.0');
    expect(rateText(12.345)).toBe('12.3');
    expect(rateText(99.96)).toBe('100.0');
    expect(rateText(150.4)).toBe('150');
  });

  it('seconds take fractions', () => {
    expect(secondsArg('--interval', '0.5')).toBe(0.5);
    expect(secondsArg('--interval', '.25')).toBe(0.25);
    expect(secondsArg('--interval', '2')).toBe(2);
  });

  it('the program lists both commands; stats --help names the environment variable', async () => {
    const h = await runCli(['--help']);
    expect(h.stdout).toMatch(/\n +stats \[options\] \[mpname\] +counters of the module/);
    expect(h.stdout).toMatch(/\n +reaper \[options\] +show the mcache reaper's knobs/);
    const s = await runCli(['stats', '--help']);
    expect(s.status).toBe(0);
    expect(s.stdout).toContain('MPOOL_SYSFS_ROOT');
    expect(s.stdout).toContain('--watch <seconds>');
  });

  it('the binary: 0 with the tree, 2 for a bad value, 1 without the module (built CLI)', () => {
    fs.addPool('mp1');
    const bin = join(root, 'bin/mpool.js');
    const env = { ...process.env, MPOOL_SYSFS_ROOT: fs.root };
    const ok = spawnSync(bin, ['stats', 'mp1', '--json', '-i', '0.05'], { encoding: 'utf8', env });
    expect(ok.status).toBe(0);
    expect(parse(ok.stdout)).toMatchObject({ name: 'mp1', params: { label: 'demo' } });
    const bad = spawnSync(bin, ['reaper', '--mempct', '101'], { encoding: 'utf8', env });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('mpool: --mempct 101: out of range; reap_mempct takes 5..100 (percent of memory; 100 disables the reaper)\n');
    const gone = spawnSync(bin, ['stats'], { encoding: 'utf8', env: { ...env, MPOOL_SYSFS_ROOT: join(fs.root, 'nowhere') } });
    expect(gone.status).toBe(1);
    expect(gone.stderr).toMatch(/is the mpool module loaded\? \(ENOENT\)\n$/);
  });
});
