/**
 * The sysfs reader (lib/stats.ts, lib/sysfs.ts) and the reaper knobs
 * (lib/reaper.ts) against a fake /sys/class/mpool of plain files.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Pool } from '../../userland/src/lib/pool.js';
import { Pools } from '../../userland/src/lib/pools.js';
import { readReaper, reaperProblem, setReaper } from '../../userland/src/lib/reaper.js';
import {
  GLOBAL_STATS,
  globalRates,
  POOL_STATS,
  poolRates,
  readGlobalStats,
  readPoolStats,
  readStats,
  statsRates,
  type GlobalStats,
  type PoolStats,
} from '../../userland/src/lib/stats.js';
import { nodeErrno, sysfsError, writeValue } from '../../userland/src/lib/sysfs.js';
import { errorOf } from '../expect-error.js';
import { FakeSysfs, GLOBAL_FILES, POOL_FILES } from './fake-sysfs.js';

let fs: FakeSysfs;
beforeEach(() => {
  fs = new FakeSysfs();
});
afterEach(() => fs.cleanup());

const opts = (): { sysfsRoot: string } => ({ sysfsRoot: fs.root });

describe('spec tables', () => {
  it('name every file the module has, in its order, and nothing else', () => {
    expect(Object.values(GLOBAL_STATS).map((s) => s.file)).toEqual([...GLOBAL_FILES]);
    expect(Object.values(POOL_STATS).map((s) => s.file)).toEqual([...POOL_FILES]);
  });

  it('mark the growing values as counters and the levels as gauges', () => {
    const counters = (t: Record<string, { kind: string }>): string[] =>
      Object.entries(t)
        .filter(([, s]) => s.kind === 'counter')
        .map(([k]) => k);
    expect(counters(GLOBAL_STATS)).toEqual(['faultsMajor', 'faultsMinor', 'raPages', 'reapPasses', 'reapMblocks', 'reapPages']);
    expect(counters(POOL_STATS)).toEqual([
      'mbReadOps',
      'mbReadBytes',
      'mbWriteOps',
      'mbWriteBytes',
      'mlReadOps',
      'mlReadBytes',
      'mlWriteOps',
      'mlWriteBytes',
      'faultsMajor',
      'faultsMinor',
      'raPages',
      'reapMblocks',
      'reapPages',
    ]);
  });
});

describe('reading', () => {
  it('global stats: every file as a bigint, and the knobs', () => {
    GLOBAL_FILES.forEach((f, i) => fs.setGlobal(f, 1000 + i));
    fs.setGlobal('faults_major', (1n << 64n) - 1n);
    const g = readGlobalStats(opts());
    expect(g.stats).toEqual({
      maps: 1000n,
      pagesHot: 1001n,
      pagesWarm: 1002n,
      pagesCold: 1003n,
      pagesPinned: 1004n,
      faultsMajor: 18446744073709551615n,
      faultsMinor: 1006n,
      raPages: 1007n,
      reapPasses: 1008n,
      reapMblocks: 1009n,
      reapPages: 1010n,
      reapUrgency: 1011n,
      reapTtlCur: 1012n,
      reapFreepct: 1013n,
    });
    expect(g.reaper).toEqual({ mempct: 80, ttlUs: 10000000n, debug: 0 });
    expect(Math.abs(g.sampledAt - Date.now())).toBeLessThan(5000);
  });

  it('pool stats: parameters typed (mode from octal, label with spaces) and counters', () => {
    fs.addPool('mp1', { mode: '0640', label: 'a label with spaces', uid: 1000, gid: 1001, ra: 16, vma: 28 }, { mb_read_bytes: 4096, reap_pages: 7 });
    const p = readPoolStats('mp1', opts());
    expect(p.name).toBe('mp1');
    expect(p.params).toEqual({ uid: 1000, gid: 1001, mode: 0o640, ra: 16, label: 'a label with spaces', vma: 28, type: 'c02c1dd6-f4a2-4d41-a4ef-3459cad90dbe' });
    expect(p.stats.mbReadBytes).toBe(4096n);
    expect(p.stats.reapPages).toBe(7n);
    expect(p.stats.mlWriteOps).toBe(0n);
    expect(Object.keys(p.stats)).toHaveLength(POOL_FILES.length);
  });

  it('a label in UTF-8 is read as such', () => {
    fs.addPool('mp1', { label: 'données' });
    expect(readPoolStats('mp1', opts()).params.label).toBe('données');
  });

  it('an empty label is an empty string', () => {
    fs.addPool('mp1', { label: '' });
    expect(readPoolStats('mp1', opts()).params.label).toBe('');
  });

  it('a value without its newline is still read', () => {
    fs.write('mpoolctl/stats/maps', '42');
    expect(readGlobalStats(opts()).stats.maps).toBe(42n);
  });

  it('every stats: global and each active pool, sorted; the control device and stray files are not pools', () => {
    fs.addPool('zeta', {}, { maps: 2 });
    fs.addPool('alpha', {}, { maps: 1 });
    writeFileSync(fs.path('not-a-pool'), 'x');
    const s = readStats(opts());
    expect(s.pools.map((p) => [p.name, p.stats.maps])).toEqual([
      ['alpha', 1n],
      ['zeta', 2n],
    ]);
    expect(s.global.reaper.mempct).toBe(80);
  });

  it('no pools: an empty list', () => {
    expect(readStats(opts()).pools).toEqual([]);
  });

  it('a pool name is checked before any path is made from it', () => {
    for (const bad of ['../mpoolctl', 'mpoolctl', 'a/b', '']) {
      expect(errorOf(() => readPoolStats(bad, opts())).code, bad).toBe('EINVAL');
    }
  });
});

describe('malformed values: EBADMSG naming the file and what was read', () => {
  const cases: [string, string][] = [
    ['12 34\n', 'one decimal integer'],
    ['-1\n', 'one decimal integer'],
    ['\n', 'one decimal integer'],
    ['', 'one decimal integer'],
    ['0x10\n', 'one decimal integer'],
    ['1\n\n', 'one decimal integer'],
    ['18446744073709551616\n', 'up to 2^64 - 1'],
  ];
  for (const [text, msg] of cases) {
    it(JSON.stringify(text), () => {
      fs.write('mpoolctl/stats/faults_minor', text);
      const e = errorOf(() => readGlobalStats(opts()));
      expect(e.code).toBe('EBADMSG');
      expect(e.path).toBe(fs.path('mpoolctl/stats/faults_minor'));
      expect(e.message).toContain(msg);
      expect(e.message).toContain(JSON.stringify(text));
    });
  }

  it('a mode that is not octal', () => {
    fs.addPool('mp1', { mode: '0980' });
    const e = errorOf(() => readPoolStats('mp1', opts()));
    expect(e.code).toBe('EBADMSG');
    expect(e.message).toContain('an octal number');
  });

  it('a knob too large for a number', () => {
    fs.setKnob('reap_mempct', '9007199254740993');
    const e = errorOf(() => readReaper(opts()));
    expect(e.code).toBe('EBADMSG');
    expect(e.path).toBe(fs.path('mpoolctl/parameters/reap_mempct'));
  });
});

describe('missing files: ENOENT naming the path and which level is missing', () => {
  it('no class directory: the module is not loaded', () => {
    const root = join(fs.root, 'nowhere');
    const e = errorOf(() => readGlobalStats({ sysfsRoot: root }));
    expect(e.code).toBe('ENOENT');
    expect(e.errno).toBe(2);
    expect(e.path).toBe(root);
    expect(e.message).toBe(`read ${root}: no such directory; is the mpool module loaded? (ENOENT)`);
    expect(errorOf(() => readStats({ sysfsRoot: join(fs.root, 'nowhere') })).message).toContain('is the mpool module loaded?');
  });

  it('no stats/ directory: an older module', () => {
    rmSync(fs.path('mpoolctl/stats'), { recursive: true });
    const e = errorOf(() => readGlobalStats(opts()));
    expect(e.code).toBe('ENOENT');
    expect(e.path).toBe(fs.path('mpoolctl/stats'));
    expect(e.message).toBe(
      `read ${fs.path('mpoolctl/stats')}: no such directory: the loaded mpool module does not have it (older than this library?) (ENOENT)`,
    );
  });

  it('one file missing: ENOENT naming it', () => {
    rmSync(fs.path('mpoolctl/stats/reap_freepct'));
    const e = errorOf(() => readGlobalStats(opts()));
    expect(e.code).toBe('ENOENT');
    expect(e.path).toBe(fs.path('mpoolctl/stats/reap_freepct'));
    expect(e.message).toBe(`read ${fs.path('mpoolctl/stats/reap_freepct')}: no such file: the loaded mpool module does not have it (older than this library?) (ENOENT)`);
  });

  it('a pool file missing', () => {
    fs.addPool('mp1');
    rmSync(fs.path('mp1/parameters/vma'));
    const e = errorOf(() => readPoolStats('mp1', opts()));
    expect(e.code).toBe('ENOENT');
    expect(e.path).toBe(fs.path('mp1/parameters/vma'));
  });

  it('a pool that is not active', () => {
    const e = errorOf(() => readPoolStats('mp9', opts()));
    expect(e.code).toBe('ENOENT');
    expect(e.path).toBe(fs.path('mp9'));
    expect(e.message).toBe(`read ${fs.path('mp9')}: no active pool named "mp9" (ENOENT)`);
  });

  it('a pool without stats/ fails the whole snapshot (it is not silently left out)', () => {
    fs.addPool('mp1');
    rmSync(fs.path('mp1/stats'), { recursive: true });
    const e = errorOf(() => readStats(opts()));
    expect(e.code).toBe('ENOENT');
    expect(e.message).toContain('older than this library');
  });

  it('no control device under the root: the module is not loaded', () => {
    rmSync(fs.ctl, { recursive: true });
    const e = errorOf(() => readReaper(opts()));
    expect(e.path).toBe(fs.ctl);
    expect(e.message).toContain('is the mpool module loaded?');
  });

  it('a missing knob', () => {
    rmSync(fs.path('mpoolctl/parameters/reap_debug'));
    expect(errorOf(() => readReaper(opts())).path).toBe(fs.path('mpoolctl/parameters/reap_debug'));
  });
});

describe('rates', () => {
  function at<T extends GlobalStats | PoolStats>(s: T, ms: number): T {
    return { ...s, sampledAt: ms };
  }

  it('per second, for each counter, from two samples of the tree', () => {
    fs.setGlobal('faults_major', 100);
    fs.setGlobal('reap_passes', 10);
    fs.setGlobal('maps', 5);
    const a = at(readGlobalStats(opts()), 10_000);
    fs.setGlobal('faults_major', 400);
    fs.setGlobal('reap_passes', 11);
    fs.setGlobal('maps', 9);
    const b = at(readGlobalStats(opts()), 12_000);
    const r = globalRates(a, b);
    expect(r).toEqual({ faultsMajor: 150, faultsMinor: 0, raPages: 0, reapPasses: 0.5, reapMblocks: 0, reapPages: 0 });
    // Gauges have no rate.
    expect('maps' in r).toBe(false);
  });

  it('a counter that went down started again from 0', () => {
    fs.addPool('mp1', {}, { mb_write_bytes: 1_000_000 });
    const a = at(readPoolStats('mp1', opts()), 0);
    fs.setPool('mp1', 'mb_write_bytes', 3000);
    const b = at(readPoolStats('mp1', opts()), 1500);
    expect(poolRates(a, b).mbWriteBytes).toBe(2000);
  });

  it('huge counters: the rate is a number', () => {
    fs.setGlobal('ra_pages', 1n << 62n);
    const a = at(readGlobalStats(opts()), 0);
    fs.setGlobal('ra_pages', (1n << 62n) + 1_000_000n);
    const b = at(readGlobalStats(opts()), 1000);
    expect(globalRates(a, b).raPages).toBe(1_000_000);
  });

  it('samples not in order: EINVAL', () => {
    const a = readGlobalStats(opts());
    const e = errorOf(() => globalRates(a, a));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain('must be later');
    expect(errorOf(() => globalRates(at(a, 2000), at(a, 1000))).code).toBe('EINVAL');
  });

  it('of a snapshot: global, and pools present in both by name', () => {
    fs.addPool('mp1', {}, { ml_write_ops: 1 });
    const a = readStats(opts());
    fs.addPool('mp2');
    fs.setPool('mp1', 'ml_write_ops', 21);
    const b = readStats(opts());
    const prev = { global: at(a.global, 0), pools: a.pools.map((p) => at(p, 0)) };
    const cur = { global: at(b.global, 4000), pools: b.pools.map((p) => at(p, 4000)) };
    const r = statsRates(prev, cur);
    expect(r.seconds).toBe(4);
    expect(r.pools.map((p) => p.name)).toEqual(['mp1']);
    expect(r.pools[0]!.rates.mlWriteOps).toBe(5);
    expect(r.pools[0]!.seconds).toBe(4);
    expect(r.global.faultsMinor).toBe(0);
  });
});

describe('reaper knobs', () => {
  const knob = (name: string): string => readFileSync(fs.path(`mpoolctl/parameters/${name}`), 'utf8');

  it('read', () => {
    expect(readReaper(opts())).toEqual({ mempct: 80, ttlUs: 10000000n, debug: 0 });
  });

  it('set: each knob given is written as "N\\n", the rest kept; returns what is in force', () => {
    expect(setReaper({ mempct: 5, debug: 3 }, opts())).toEqual({ mempct: 5, ttlUs: 10000000n, debug: 3 });
    expect(knob('reap_mempct')).toBe('5\n');
    expect(knob('reap_debug')).toBe('3\n');
    expect(knob('reap_ttl')).toBe('10000000\n');
    expect(setReaper({ ttlUs: 100 }, opts()).ttlUs).toBe(100n);
    expect(setReaper({ ttlUs: 4294967295n }, opts()).ttlUs).toBe(4294967295n);
    expect(setReaper({ mempct: 100 }, opts()).mempct).toBe(100);
    // Shorter values overwrite longer ones whole (O_TRUNC).
    expect(knob('reap_ttl')).toBe('4294967295\n');
    expect(setReaper({ ttlUs: 250 }, opts()).ttlUs).toBe(250n);
    expect(knob('reap_ttl')).toBe('250\n');
  });

  it('set nothing: nothing written, the knobs returned', () => {
    expect(setReaper({}, opts())).toEqual({ mempct: 80, ttlUs: 10000000n, debug: 0 });
  });

  const bad: [Parameters<typeof setReaper>[0], string][] = [
    [{ mempct: 4 }, 'reap_mempct=4 is out of range; reap_mempct takes 5..100'],
    [{ mempct: 101 }, 'reap_mempct=101 is out of range; reap_mempct takes 5..100'],
    [{ mempct: 50.5 }, 'reap_mempct=50.5 is not an integer'],
    [{ mempct: Number.NaN }, 'reap_mempct=NaN is not an integer'],
    [{ ttlUs: 99 }, 'reap_ttl=99 is out of range; reap_ttl takes 100..4294967295 (microseconds)'],
    [{ ttlUs: -1n }, 'reap_ttl=-1 is out of range'],
    [{ ttlUs: 1n << 64n }, 'reap_ttl=18446744073709551616 is out of range'],
    [{ debug: 4 }, 'reap_debug=4 is out of range; reap_debug takes 0..3'],
    [{ debug: -1 }, 'reap_debug=-1 is out of range'],
    // One bad knob stops the others: nothing is written.
    [{ mempct: 50, debug: 9 }, 'reap_debug=9 is out of range'],
  ];
  for (const [u, msg] of bad) {
    it(`out of range, refused before any write: ${msg}`, () => {
      const e = errorOf(() => setReaper(u, opts()));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toContain(msg);
      expect(reaperProblem(u)).toContain(msg);
      expect(knob('reap_mempct')).toBe('80\n');
      expect(knob('reap_ttl')).toBe('10000000\n');
      expect(knob('reap_debug')).toBe('0\n');
    });
  }

  it('the range of mempct is in the message, with what 100 means', () => {
    expect(errorOf(() => setReaper({ mempct: 1 }, opts())).message).toContain('5..100 (percent of memory; 100 disables the reaper)');
  });

  it('the module not loaded: ENOENT, and no file is created', () => {
    const root = join(fs.root, 'gone');
    const e = errorOf(() => setReaper({ mempct: 50 }, { sysfsRoot: root }));
    expect(e.code).toBe('ENOENT');
    expect(e.op).toBe('write');
    expect(e.path).toBe(root);
    expect(e.message).toContain('is the mpool module loaded?');
    expect(existsSync(root)).toBe(false);
  });

  it('a knob file the module lacks is ENOENT, not created', () => {
    rmSync(fs.path('mpoolctl/parameters/reap_debug'));
    const e = errorOf(() => setReaper({ debug: 1 }, opts()));
    expect(e.code).toBe('ENOENT');
    expect(e.path).toBe(fs.path('mpoolctl/parameters/reap_debug'));
    expect(existsSync(fs.path('mpoolctl/parameters/reap_debug'))).toBe(false);
  });

  it('write errors carry their errno (a directory where the knob should be: EISDIR)', () => {
    rmSync(fs.path('mpoolctl/parameters/reap_debug'));
    mkdirSync(fs.path('mpoolctl/parameters/reap_debug'));
    const e = errorOf(() => setReaper({ debug: 1 }, opts()));
    expect(e.code).toBe('EISDIR');
    expect(e.errno).toBe(21);
  });

  it('a user who may not write the knob: EACCES, "needs root", nothing written', () => {
    const args = { mempct: 50 };
    let err: { code: string; errno: number; message: string; path?: string };
    if (process.getuid?.() === 0) {
      // Root writes any plain file: run the library (dist/) as nobody instead.
      chmodSync(join(fs.root, '../..'), 0o755);
      const lib = pathToFileURL(join(import.meta.dirname, '../../dist/lib/reaper.js')).href;
      const script = `import { setReaper } from ${JSON.stringify(lib)};
        try { setReaper(${JSON.stringify(args)}, { sysfsRoot: ${JSON.stringify(fs.root)} }); console.log('{}'); }
        catch (e) { console.log(JSON.stringify(e.toJSON())); }`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      err = JSON.parse(r.stdout) as typeof err;
    } else {
      chmodSync(fs.path('mpoolctl/parameters/reap_mempct'), 0o444);
      err = errorOf(() => setReaper(args, opts())).toJSON();
    }
    expect(err.code).toBe('EACCES');
    expect(err.errno).toBe(13);
    expect(err.path).toBe(fs.path('mpoolctl/parameters/reap_mempct'));
    expect(err.message).toContain('setting reap_mempct needs root (EACCES)');
    expect(knob('reap_mempct')).toBe('80\n');
  });
});

describe('errors of the kernel on write, mapped', () => {
  // What Node's fs raises: a negative errno and its code (root cannot be refused by a plain file).
  const nodeError = (errno: number, code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { errno: -errno, code });

  it('keeps the errno, names the file, and explains when asked', () => {
    const path = fs.path('mpoolctl/parameters/reap_mempct');
    const e = sysfsError(nodeError(13, 'EACCES'), 'write', fs.root, path, 'setting reap_mempct needs root');
    expect(e.errno).toBe(13);
    expect(e.code).toBe('EACCES');
    expect(e.message).toBe(`write ${path}: setting reap_mempct needs root (EACCES)`);
    const inval = sysfsError(nodeError(22, 'EINVAL'), 'write', fs.root, path);
    expect(inval.message).toBe(`write ${path}: invalid argument (EINVAL)`);
  });

  it('finds the errno from the code when there is no number', () => {
    expect(nodeErrno(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(13);
    expect(nodeErrno(new Error('x'))).toBe(5);
  });

  it('writeValue explains through the callback with the errno', () => {
    const seen: number[] = [];
    const e = errorOf(() =>
      writeValue(fs.root, fs.path('mpoolctl/parameters'), '1', (errno) => {
        seen.push(errno);
        return 'explained';
      }),
    );
    expect(seen).toEqual([21]);
    expect(e.message).toContain('explained (EISDIR)');
  });
});

describe('Pools and Pool', () => {
  it('pools.stats(), poolStats(), reaper(), setReaper() read and write the tree given as sysfsRoot', () => {
    fs.addPool('mp1', {}, { mb_write_ops: 3 });
    const log: string[] = [];
    const pools = new Pools({ sysfsRoot: fs.root, log: (m) => log.push(m) });
    expect(pools.sysfsRoot).toBe(fs.root);
    const s = pools.stats();
    expect(s.pools.map((p) => p.name)).toEqual(['mp1']);
    expect(s.global.reaper.ttlUs).toBe(10000000n);
    expect(pools.poolStats('mp1').stats.mbWriteOps).toBe(3n);
    expect(pools.reaper().debug).toBe(0);
    expect(pools.setReaper({ debug: 2, ttlUs: 5000n })).toEqual({ mempct: 80, ttlUs: 5000n, debug: 2 });
    expect(log).toEqual(['setting reap_ttl=5000 reap_debug=2']);
    expect(() => pools.setReaper({ debug: 7 })).toThrow(/reap_debug=7 is out of range/);
    expect(log).toHaveLength(1);
  });

  it('the default root is /sys/class/mpool', () => {
    expect(new Pools().sysfsRoot).toBe('/sys/class/mpool');
  });

  it('pool.stats() reads the pool by its name', () => {
    fs.addPool('mp1', { ra: 8 }, { faults_minor: 12 });
    // Any file opens as the node; stats() only uses the name.
    const pool = Pool.open('mp1', { path: fs.path('mpoolctl/stats/maps'), sysfsRoot: fs.root });
    try {
      const st = pool.stats();
      expect(st.name).toBe('mp1');
      expect(st.params.ra).toBe(8);
      expect(st.stats.faultsMinor).toBe(12n);
    } finally {
      pool.close();
    }
  });
});
