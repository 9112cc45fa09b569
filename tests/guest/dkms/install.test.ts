/**
 * The packaged module in a real kernel: DKMS installs the module it built on
 * the host (prepare.sh: a private DKMS tree, for this kernel) and modprobe
 * loads it; with systemd-udevd running, the package's udev rule gives a
 * pool's node the owner and mode set in the pool; the commands of
 * mpool.service activate an inactive pool. The guest's root is a tmpfs
 * overlay, so what this installs (in /lib/modules, /usr/lib/udev) is gone
 * after the boot; the host's DKMS state is never touched.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelFailuresSince, markKernelLog, moduleLoaded, rmmod, runAsync } from '../helpers.js';

const root = join(import.meta.dirname, '../../..');
// prepare.sh's output, in the run's build directory (MPOOL_BUILD_DIR).
const out = join(process.env.MPOOL_BUILD_DIR ?? join(root, 'build'), 'guest-dkms');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const kver = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
const prepared = existsSync(join(out, 'kernel')) ? readFileSync(join(out, 'kernel'), 'utf8').trim() : 'none: tests/guest/dkms/prepare.sh did not run';
// The debug kernel is no installed kernel that DKMS could build for: the
// suite is reported as skipped there, never as passed.
const skip = prepared.startsWith('none:');
const tree = ['--dkmstree', join(out, 'dkms'), '--sourcetree', join(out, 'src')];
const DISK = '/dev/vda';
const POOL = 'dkmsp';
let marker = '';

async function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await runAsync(cmd, args, env ? { env } : {});
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

const mpool = join(root, 'bin/mpool.js');

beforeAll(async () => {
  if (skip) return;
  marker = markKernelLog('dkms');
  // The harness insmod'ed kmod/mpool.ko; this suite loads DKMS's copy.
  if (moduleLoaded()) rmmod();
  // devtmpfs has no /dev/fd, which dkms's process substitutions need.
  if (!existsSync('/dev/fd')) symlinkSync('/proc/self/fd', '/dev/fd');
  await sh('dpkg-deb', ['-x', join(out, 'deb', `mpool-dkms_${version}_all.deb`), join('/tmp', 'mpool-deb')]);
});

afterAll(async () => {
  if (skip) return;
  await runAsync('udevadm', ['control', '--exit']);
  if (existsSync(`/dev/mpool/${POOL}`) || moduleLoaded()) await runAsync(mpool, ['destroy', '-f', POOL]);
});

describe.skipIf(skip)(`DKMS module on ${kver} (${prepared})`, () => {
  it('the host built the tree for this kernel', () => {
    expect(prepared).toBe(kver);
  });

  it('dkms install puts it in updates/dkms and modprobe loads it; /dev/mpoolctl has the module parameters\' owner and mode', async () => {
    await sh('dkms', ['install', '-m', 'mpool', '-v', version, '-k', kver, ...tree]);
    const dir = `/lib/modules/${kver}/updates/dkms`;
    expect(readdirSync(dir).filter((f) => f.startsWith('mpool.ko'))).toHaveLength(1);
    await sh('modprobe', ['mpool']);
    expect(moduleLoaded()).toBe(true);
    // A prefix, not a pattern: Debian's 6.12 release has a '+' in it.
    const file = (await sh('modinfo', ['-F', 'filename', 'mpool'])).trim();
    expect([file, file.startsWith(`${dir}/mpool.ko`)]).toEqual([file, true]);
    expect(readFileSync('/sys/module/mpool/version', 'utf8').trim()).toBe(version);
    const st = statSync('/dev/mpoolctl');
    expect(st.isCharacterDevice()).toBe(true);
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 }).toEqual({ uid: 0, gid: 6, mode: 0o664 });
  }, 900_000); // depmod of the whole kernel tree, under TCG

  it("systemd-udevd with the package's 60-mpool.rules gives the pool's node the owner and mode set in the pool", async () => {
    const node = (): { uid: number; gid: number; mode: number } => {
      const st = statSync(`/dev/mpool/${POOL}`);
      return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
    };
    await sh(mpool, ['create', POOL, DISK, 'mblocksz=8', 'uid=0', 'gid=0', 'mode=0640', '-f']);
    expect(node()).toEqual({ uid: 0, gid: 0, mode: 0o640 }); // devtmpfs, from the module
    // Without udevd nothing acts on the "change" uevent of a new setting:
    // the node keeps what devtmpfs gave it.
    await sh(mpool, ['set', POOL, 'mode=0600']);
    expect(node()).toEqual({ uid: 0, gid: 0, mode: 0o640 });
    mkdirSync('/usr/lib/udev/rules.d', { recursive: true });
    await sh('cp', ['/tmp/mpool-deb/usr/lib/udev/rules.d/60-mpool.rules', '/usr/lib/udev/rules.d/']);
    await sh('/lib/systemd/systemd-udevd', ['--daemon']);
    // --daemon returns before udevd listens: a uevent sent now could be
    // missed. A ping is answered from its event loop, once it listens.
    await sh('udevadm', ['control', '--ping', '--timeout=60']);
    await sh(mpool, ['set', POOL, 'uid=4242', 'gid=4343', 'mode=0606']);
    await sh('udevadm', ['settle', '--timeout=60']);
    expect(node()).toEqual({ uid: 4242, gid: 4343, mode: 0o606 });
  });

  it("mpool.service's commands activate an inactive pool", async () => {
    await sh(mpool, ['deactivate', POOL]);
    expect(existsSync(`/dev/mpool/${POOL}`)).toBe(false);
    // The unit's own lines, as installed by the package; "mpool" is the npm
    // package's CLI, here the repository's bin/mpool.js on PATH.
    const unit = readFileSync('/tmp/mpool-deb/lib/systemd/system/mpool.service', 'utf8');
    const lines = (key: string): string[][] => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.split(/\s+/));
    const pre = lines('ExecStartPre');
    const start = lines('ExecStart');
    expect(pre).toEqual([['udevadm', 'settle']]);
    expect(start).toEqual([['mpool', 'scan', '--activate']]);
    const bin = '/tmp/mpool-bin';
    mkdirSync(bin, { recursive: true });
    if (!existsSync(join(bin, 'mpool'))) symlinkSync(mpool, join(bin, 'mpool'));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
    for (const [cmd, ...args] of [...pre, ...start]) {
      const text = await sh(cmd!, args, env);
      if (cmd === 'mpool') {
        expect(text).toMatch(new RegExp(`^activated mpool ${POOL}  [0-9a-f-]{36}$`, 'm'));
        expect(text).toMatch(/^1 mpools now active$/m);
      }
    }
    expect(existsSync(`/dev/mpool/${POOL}`)).toBe(true);
    const st = statSync(`/dev/mpool/${POOL}`);
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 }).toEqual({ uid: 4242, gid: 4343, mode: 0o606 });
  });

  it('dkms remove takes the module out of the kernel tree again', async () => {
    await sh(mpool, ['destroy', POOL]);
    rmmod();
    // --no-depmod: a second depmod of the whole tree takes minutes under
    // TCG, and the overlay is thrown away with the guest.
    await sh('dkms', ['remove', '-m', 'mpool', '-v', version, '-k', kver, '--no-depmod', ...tree]);
    const dir = `/lib/modules/${kver}/updates/dkms`;
    expect(existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('mpool')) : []).toEqual([]);
    expect(await sh('dkms', ['status', '-m', 'mpool', ...tree])).not.toContain(kver);
    expect(kernelFailuresSince(marker)).toEqual([]);
  }, 300_000);
});
