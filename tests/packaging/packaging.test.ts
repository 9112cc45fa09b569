/**
 * Packaging (vitest project "packaging"; make test runs it after the host
 * tests): the DKMS tree builds for every kernel scripts/kver.sh knows, the
 * Debian package builds and passes lintian, its unit verifies, the npm
 * tarball installs and its types typecheck. Everything happens in a
 * temporary directory: the system's DKMS state, /usr/src and the
 * repository's dist/ are left as they were (and checked to be).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, { types: string; default: string }>;
};
const version = pkg.version;
const work = mkdtempSync(join(tmpdir(), 'mpool-packaging-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  status: number | null;
  out: string;
  stdout: string;
}

/** Run a command; with check (the default) a non-zero exit throws with the output. */
function run(cmd: string, args: string[], opts: { cwd?: string; check?: boolean; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? root, encoding: 'utf8', env: opts.env ?? process.env, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  const res = { status: r.status, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
  if ((opts.check ?? true) && r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${res.out.slice(-6000)}`);
  return res;
}

/**
 * run(), without blocking the worker: vitest's worker must keep answering
 * its main process during the long steps (dkms, dpkg-buildpackage, npm, tsc).
 */
function runAsync(cmd: string, args: string[], opts: { cwd?: string; check?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? root, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (status) => {
      if ((opts.check ?? true) && status !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${status}:\n${out.slice(-6000)}`));
      else resolve({ status, stdout, out });
    });
  });
}

/** Every path under dir (relative, sorted), for before/after comparisons. */
function listing(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return run('find', [dir]).stdout.split('\n').filter(Boolean).sort();
}

describe('one version everywhere', () => {
  it('package.json, debian/changelog and the module agree', () => {
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(run('scripts/dkms.sh', ['version']).stdout.trim()).toBe(version);
    expect(run('dpkg-parsechangelog', ['-SVersion']).stdout.trim()).toBe(version);
    expect(readFileSync(join(root, 'kmod/init.c'), 'utf8')).toMatch(new RegExp(`#define MPOOL_VERSION "${version.replace(/\./g, '\\.')}"`));
  });

  it('dkms.conf names the module, autoinstalls and leaves the version to the installer', () => {
    const conf = readFileSync(join(root, 'dkms.conf'), 'utf8');
    expect(conf).toMatch(/^PACKAGE_NAME="mpool"$/m);
    expect(conf).toMatch(/^PACKAGE_VERSION="#MODULE_VERSION#"$/m);
    expect(conf).toMatch(/^BUILT_MODULE_NAME\[0\]="mpool"$/m);
    expect(conf).toMatch(/^DEST_MODULE_LOCATION\[0\]="\/updates\/dkms"$/m);
    expect(conf).toMatch(/^MAKE\[0\]=".*KDIR=\$\{kernel_source_dir\}.*"$/m);
    expect(conf).toMatch(/^AUTOINSTALL="yes"$/m);
    const directives = conf.split('\n').filter((l) => !l.startsWith('#'));
    expect(directives.join('\n')).not.toMatch(/Werror|W=1/);
  });
});

describe('DKMS', () => {
  const kernels = run('scripts/kver.sh', ['--all']).stdout.split('\n').filter(Boolean);
  const dir = join(work, 'dkms');
  const systemDkms = listing('/var/lib/dkms');
  const systemSrc = readdirSync('/usr/src').filter((d) => d.startsWith('mpool-'));
  let status = '';

  beforeAll(async () => {
    status = (await runAsync('scripts/dkms.sh', ['build', dir])).out;
  }, 600_000);

  it('kver.sh knows at least one kernel, its default among them', () => {
    expect(kernels.length).toBeGreaterThan(0);
    expect(kernels).toContain(run('scripts/kver.sh', []).stdout.trim());
  });

  it.each(kernels)('dkms build succeeds for %s', (k) => {
    expect(status).toContain(`mpool/${version}, ${k}, x86_64: built`);
    const modDir = join(dir, 'dkms/mpool', version, k, 'x86_64/module');
    const ko = readdirSync(modDir).find((f) => /^mpool\.ko(\.xz|\.gz|\.zst)?$/.test(f));
    expect(ko, `no mpool.ko in ${modDir}`).toBeDefined();
    const info = run('modinfo', [join(modDir, ko!)]).stdout;
    expect(info).toMatch(new RegExp(`^version:\\s+${version.replace(/\./g, '\\.')}$`, 'm'));
    expect(info).toMatch(new RegExp(`^vermagic:\\s+${k.replace(/[.+]/g, '\\$&')} `, 'm'));
    expect(info).toMatch(/^license:\s+GPL$/m);
  });

  it('the tree DKMS builds from holds the module sources, the uapi headers and a versioned dkms.conf', () => {
    const src = join(dir, 'src', `mpool-${version}`);
    const kmod = readdirSync(join(root, 'kmod')).filter((f) => /\.[ch]$/.test(f) && !f.endsWith('.mod.c') && f !== 'selftest.c');
    expect(readdirSync(join(src, 'kmod')).sort()).toEqual([...kmod, 'Kbuild', 'Makefile'].sort());
    expect(readdirSync(join(src, 'uapi')).sort()).toEqual(readdirSync(join(root, 'uapi')).filter((f) => f.endsWith('.h')).sort());
    expect(readFileSync(join(src, 'dkms.conf'), 'utf8')).toMatch(new RegExp(`^PACKAGE_VERSION="${version}"$`, 'm'));
  });

  it("leaves the system's DKMS tree and /usr/src untouched", () => {
    expect(listing('/var/lib/dkms')).toEqual(systemDkms);
    expect(readdirSync('/usr/src').filter((d) => d.startsWith('mpool-'))).toEqual(systemSrc);
    expect(existsSync(join(dir, 'mok.key'))).toBe(true); // DKMS's signing key went to the private tree
  });
});

describe('npm package', () => {
  const copy = join(work, 'npm/src');
  const prefix = join(work, 'npm/prefix');
  let tarball = '';
  let files: string[] = [];

  beforeAll(async () => {
    // A copy of the repository without dist/: the tarball's library must
    // come from the prepack script (and the repository's dist/, which other
    // tests run, is not rebuilt under them).
    mkdirSync(copy, { recursive: true });
    run('rsync', ['-a', '--exclude=/node_modules', '--exclude=/dist', '--exclude=/build', '--exclude=/.git', `${root}/`, `${copy}/`]);
    run('ln', ['-s', join(root, 'node_modules'), join(copy, 'node_modules')]);
    const packed = JSON.parse((await runAsync('npm', ['pack', '--json', '--pack-destination', join(work, 'npm')], { cwd: copy })).stdout) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(work, 'npm', packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path).sort();
    await runAsync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball]);
  }, 300_000);

  it('the tarball holds the compiled library, bin/, README and LICENSE, and nothing else', () => {
    expect(tarball).toBe(join(work, 'npm', `${pkg.name}-${version}.tgz`));
    const other = files.filter((f) => !['package.json', 'README.md', 'LICENSE', 'bin/mpool.js'].includes(f) && !/^dist\/.+\.(js|d\.ts)$/.test(f));
    expect(other).toEqual([]);
    for (const f of [pkg.main, pkg.types, pkg.exports['.']!.types, pkg.exports['.']!.default, pkg.bin.mpool!, 'dist/cli/main.js', 'LICENSE', 'README.md']) {
      expect(files).toContain(f.replace(/^\.\//, ''));
    }
    expect(files.filter((f) => f.startsWith('dist/')).length).toBeGreaterThan(50);
    const listed = run('tar', ['-tzf', tarball]).stdout;
    expect(listed).not.toMatch(/^package\/(tests|userland|kmod|uapi|codegen|build|debian|scripts)\//m);
    expect(listed).not.toMatch(/\.map$/m);
  });

  it('installed globally, it puts a working mpool on PATH', () => {
    const bin = join(prefix, 'bin/mpool');
    expect(lstatSync(bin).isSymbolicLink()).toBe(true);
    expect(readlinkSync(bin)).toBe('../lib/node_modules/mpool/bin/mpool.js');
    const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` };
    expect(run('mpool', ['--version'], { env }).stdout.trim()).toBe(version);
    expect(run('mpool', ['scan', '--help'], { env }).stdout).toContain('--activate');
    // No module on the host: the CLI says so (and so runs its library, koffi included).
    const list = run('mpool', ['list'], { env, check: false });
    expect(list.status).toBe(1);
    expect(list.out).toContain('is the mpool module loaded?');
  });

  it('imported, the library comes with its types (and they are checked)', async () => {
    const consumer = join(prefix, 'lib/consumer');
    mkdirSync(consumer, { recursive: true });
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    const tsconfig = (file: string): string =>
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: [file],
      });
    writeFileSync(
      join(consumer, 'good.ts'),
      [
        "import { Control, Pools, Pool, MpoolError, type PoolsScanResult } from 'mpool';",
        'const scan = (p: Pools): PoolsScanResult => p.scan({ activate: false });',
        'const n: number = scan(new Pools()).activeCount;',
        'export { Control, Pool, MpoolError, n };',
        '',
      ].join('\n'),
    );
    writeFileSync(join(consumer, 'bad.ts'), "import { Pools } from 'mpool';\nexport const s: string = new Pools().scan().activeCount;\n");
    writeFileSync(join(consumer, 'tsconfig.json'), tsconfig('good.ts'));
    writeFileSync(join(consumer, 'tsconfig.bad.json'), tsconfig('bad.ts'));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    await runAsync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer });
    const bad = await runAsync(process.execPath, [tsc, '-p', 'tsconfig.bad.json'], { cwd: consumer, check: false });
    expect(bad.status).not.toBe(0);
    expect(bad.out).toMatch(/bad\.ts\(2,14\): error TS2322: Type 'number' is not assignable to type 'string'/);
    const loaded = run(process.execPath, ['--input-type=module', '-e', "import * as m from 'mpool'; console.log(typeof m.Pools, typeof m.Control)"], { cwd: consumer });
    expect(loaded.stdout.trim()).toBe('function function');
  });
});

describe('Debian package mpool-dkms', () => {
  const out = join(work, 'deb');
  const deb = join(out, `mpool-dkms_${version}_all.deb`);
  let contents: string[] = [];

  beforeAll(async () => {
    await runAsync('scripts/deb.sh', [out]);
    contents = run('dpkg-deb', ['-c', deb])
      .stdout.split('\n')
      .filter((l) => l && !l.startsWith('d'))
      .map((l) => l.replace(/^.* \.\//, '/'))
      .sort();
  }, 300_000);

  it('installs the module source for DKMS and the system files', () => {
    const kmod = readdirSync(join(root, 'kmod')).filter((f) => /\.[ch]$/.test(f) && !f.endsWith('.mod.c') && f !== 'selftest.c');
    const src = `/usr/src/mpool-${version}`;
    const expected = [
      `${src}/dkms.conf`,
      ...[...kmod, 'Kbuild', 'Makefile'].map((f) => `${src}/kmod/${f}`),
      ...readdirSync(join(root, 'uapi'))
        .filter((f) => f.endsWith('.h'))
        .map((f) => `${src}/uapi/${f}`),
      '/usr/lib/udev/rules.d/60-mpool.rules',
      '/usr/lib/modules-load.d/mpool.conf',
      '/usr/lib/sysctl.d/90-mpool.conf',
      '/lib/systemd/system/mpool.service',
      '/usr/share/doc/mpool-dkms/README.Debian',
      '/usr/share/doc/mpool-dkms/README.md.gz',
      '/usr/share/doc/mpool-dkms/changelog.gz',
      '/usr/share/doc/mpool-dkms/copyright',
    ].sort();
    expect(contents).toEqual(expected);
  });

  it('ships the files as they are in the repository, dkms.conf with its version', () => {
    const x = join(out, 'x');
    run('dpkg-deb', ['-x', deb, x]);
    const same = (inDeb: string, inRepo: string): void => expect(readFileSync(join(x, inDeb), 'utf8')).toBe(readFileSync(join(root, inRepo), 'utf8'));
    same('usr/lib/udev/rules.d/60-mpool.rules', 'scripts/udev/60-mpool.rules');
    same('lib/systemd/system/mpool.service', 'scripts/systemd/mpool.service');
    same(`usr/src/mpool-${version}/kmod/Kbuild`, 'kmod/Kbuild');
    same(`usr/src/mpool-${version}/uapi/mpool_ioctl.h`, 'uapi/mpool_ioctl.h');
    expect(readFileSync(join(x, 'usr/lib/sysctl.d/90-mpool.conf'), 'utf8')).toMatch(/^vm\.max_map_count = 262144$/m);
    expect(readFileSync(join(x, 'usr/lib/modules-load.d/mpool.conf'), 'utf8')).toMatch(/^mpool$/m);
    const conf = readFileSync(join(x, `usr/src/mpool-${version}/dkms.conf`), 'utf8');
    expect(conf).toMatch(new RegExp(`^PACKAGE_VERSION="${version}"$`, 'm'));
    expect(conf).not.toContain('#MODULE_VERSION#');
  });

  it('depends on dkms and hands install, removal and purge to dh_dkms and dh_installsystemd', () => {
    const info = run('dpkg-deb', ['-f', deb, 'Package', 'Architecture', 'Depends', 'Recommends']).stdout;
    expect(info).toMatch(/^Package: mpool-dkms$/m);
    expect(info).toMatch(/^Architecture: all$/m);
    expect(info).toMatch(/^Depends: .*\bdkms\b/m);
    expect(info).toMatch(/^Recommends: nodejs \(>= 20\)$/m);
    const ctl = join(out, 'control');
    run('dpkg-deb', ['-e', deb, ctl]);
    const script = (name: string): string => readFileSync(join(ctl, name), 'utf8');
    expect(script('postinst')).toContain('for DKMS_POSTINST in /usr/lib/dkms/common.postinst');
    expect(script('postinst')).toMatch(/^DKMS_NAME=mpool$/m);
    expect(script('postinst')).toMatch(new RegExp(`^DKMS_VERSION=${version.replace(/\./g, '\\.')}$`, 'm'));
    expect(script('postinst')).toContain("deb-systemd-helper enable 'mpool.service'");
    expect(script('postinst')).not.toMatch(/deb-systemd-invoke .*start/); // enabled, not started
    expect(script('postinst')).toContain('sysctl -q -p /usr/lib/sysctl.d/90-mpool.conf');
    expect(script('prerm')).toContain('dkms remove -m $DKMS_NAME -v $DKMS_VERSION --all');
    expect(script('prerm')).toMatch(new RegExp(`^DKMS_VERSION=${version.replace(/\./g, '\\.')}$`, 'm'));
    expect(script('postrm')).toContain("deb-systemd-helper purge 'mpool.service'");
  });

  it('lintian reports no error and no warning', async () => {
    const r = await runAsync('lintian', ['--fail-on', 'error,warning', deb], { check: false });
    const problems = r.out.split('\n').filter((l) => /^[EW]: /.test(l));
    expect(problems).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('systemd-analyze verify passes on the unit (with ExecStart pointing at an installed mpool)', () => {
    // systemd looks a bare "mpool" up in /usr/local/bin, /usr/bin, ...: on a
    // machine without the npm package installed globally there is none, so
    // the unit is verified with the command pointing at the copy the npm
    // test installed, the rest of it unchanged.
    const unit = readFileSync(join(root, 'scripts/systemd/mpool.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=mpool scan --activate$/m);
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    const mpool = join(work, 'npm/prefix/bin/mpool');
    expect(existsSync(mpool), 'the npm test installs mpool first').toBe(true);
    const dir = join(out, 'unit');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'mpool.service'), unit.replace(/^ExecStart=mpool /m, `ExecStart=${mpool} `));
    const r = run('systemd-analyze', ['verify', join(dir, 'mpool.service')], { check: false });
    expect(r.out.trim()).toBe('');
    expect(r.status).toBe(0);

    const onPath = ['/usr/local/bin/mpool', '/usr/bin/mpool'].some((p) => existsSync(p));
    const asIs = run('systemd-analyze', ['verify', join(root, 'scripts/systemd/mpool.service')], { check: false });
    if (onPath) expect(asIs.status).toBe(0);
    else expect(asIs.out.trim()).toBe('mpool.service: Command mpool is not executable: No such file or directory');
  });
});
