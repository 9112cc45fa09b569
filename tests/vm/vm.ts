/**
 * Boot a guest under QEMU with the host root shared read-only over 9p, a
 * writable results share, and virtio disks made from sparse files; run one
 * shell script in it; collect the console, dmesg and anything the script
 * left in the share.
 *
 * One boot runs one long-lived command (typically one vitest process), so
 * boots stay few. Disk images can be kept and booted again, for persistence
 * and crash tests.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, closeSync, openSync, ftruncateSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guestExitCode, judge, type Verdict } from './verdict.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * Where test runs keep their outputs: build/, or MPOOL_BUILD_DIR for a run
 * beside another one (.ci/run's two stock lanes run at once, each with its
 * own). A private build directory also gets its own copy of the module
 * build, so kmod/ is never built for two kernels at once.
 */
export const BUILD = process.env.MPOOL_BUILD_DIR ? resolve(process.env.MPOOL_BUILD_DIR) : join(REPO, 'build');
const PRIVATE_BUILD = BUILD !== join(REPO, 'build');
// Every child (prepare.sh, dkms, the guest's tests) inherits it absolute: a
// relative one means something else to a program that changes directory
// (dkms does, and then finds no tree to remove from).
if (process.env.MPOOL_BUILD_DIR) process.env.MPOOL_BUILD_DIR = BUILD;

export interface GuestKernel {
  name: 'stock' | 'debug';
  /**
   * What a run on this kernel is filed under (results, disks, run
   * directories): the series of a stock kernel ("6.1", "6.12"), or "debug".
   */
  lane: string;
  version: string;
  image: string;
  initramfs: string;
  /** kbuild tree the module must be built against for this kernel. */
  kbuild: string;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** An initramfs older than its inputs is rebuilt. */
function initramfsStale(path: string): boolean {
  if (!existsSync(path)) return true;
  const built = statSync(path).mtimeMs;
  return ['tests/vm/init', 'tests/vm/mkinitramfs.sh'].some((f) => statSync(join(REPO, f)).mtimeMs > built);
}

/** The stock Debian kernel: the newest version with both an image and a kbuild tree. */
export function stockKernel(): GuestKernel {
  const version = sh(join(REPO, 'scripts/kver.sh'), []);
  const initramfs = join(BUILD, 'vm', `initramfs-${version}.cpio.gz`);
  if (initramfsStale(initramfs)) {
    sh(join(REPO, 'tests/vm/mkinitramfs.sh'), [version, initramfs]);
  }
  const lane = /^\d+\.\d+/.exec(version)?.[0] ?? version;
  return { name: 'stock', lane, version, image: `/boot/vmlinuz-${version}`, initramfs, kbuild: `/lib/modules/${version}/build` };
}

/** The debug kernel built by `make debug-kernel` (see scripts/debug-kernel.sh). */
export function debugKernel(): GuestKernel {
  const dir = sh(join(REPO, 'scripts/debug-kernel.sh'), ['--print-dir']);
  const version = readFileSync(join(dir, 'kernelrelease'), 'utf8').trim();
  const initramfs = join(BUILD, 'vm', 'initramfs-debug.cpio.gz');
  if (initramfsStale(initramfs)) {
    // Everything the guest needs is built in: no modules in the initramfs.
    sh(join(REPO, 'tests/vm/mkinitramfs.sh'), [version, initramfs, '']);
  }
  return { name: 'debug', lane: 'debug', version, image: join(dir, 'bzImage'), initramfs, kbuild: join(dir, 'build') };
}

export function guestKernel(name: string | undefined): GuestKernel {
  return name === 'debug' ? debugKernel() : stockKernel();
}

export interface DiskSpec {
  /** Directory holding disk0.img, disk1.img, ... */
  dir: string;
  count: number;
  sizeMiB: number;
  /** Reuse images already in `dir` (a reboot on the same disks); otherwise start blank. */
  reuse?: boolean;
}

export interface BootOptions {
  kernel: GuestKernel;
  /** Host directory shared read-write with the guest at the same path. */
  share: string;
  /** Body of the shell script the guest runs (as root, cwd = share). */
  script: string;
  disks?: DiskSpec;
  timeoutSec?: number;
  memMiB?: number;
  smp?: number;
  append?: string[];
  /** Echo the guest console to this stream as it arrives. */
  echo?: NodeJS.WritableStream;
  expectGuestFailure?: boolean;
  /** Files to put in the share before the boot (name -> content). */
  files?: Record<string, string>;
  /**
   * Called once QEMU runs, with a way to pull its plug (SIGKILL: a hard
   * power cut; tests/vm/hardcut.ts). A killed boot has killed set, no exit
   * code, and no dmesg: judge its console, not its verdict.
   */
  control?: (ctl: { kill(): void }) => void;
}

export interface BootResult {
  exitCode: number | null;
  timedOut: boolean;
  /** control's kill() ended the boot. */
  killed: boolean;
  accel: string;
  console: string;
  dmesg: string;
  kmemleak: string;
  /** Wall time from QEMU start to the guest command starting, ms. */
  bootMs: number | null;
  totalMs: number;
  verdict: Verdict;
}

function makeDisks(d: DiskSpec): string[] {
  mkdirSync(d.dir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < d.count; i++) {
    const p = join(d.dir, `disk${i}.img`);
    if (!d.reuse || !existsSync(p)) {
      rmSync(p, { force: true });
      const fd = openSync(p, 'w');
      ftruncateSync(fd, d.sizeMiB * 1024 * 1024);
      closeSync(fd);
    }
    paths.push(p);
  }
  return paths;
}

let accelCache: string | null = null;

/**
 * KVM where it works, TCG otherwise. On these machines /dev/kvm exists but a
 * normal guest either aborts or never leaves the decompressor, so the probe
 * is a real (short) boot, remembered for the rest of the process.
 */
export function chooseAccel(kernel: GuestKernel): string {
  const forced = process.env.MPOOL_VM_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return forced;
  if (accelCache) return accelCache;
  accelCache = 'tcg';
  if (existsSync('/dev/kvm')) {
    const r = spawnSync(
      'qemu-system-x86_64',
      ['-accel', 'kvm', '-cpu', 'host', '-m', '256M', '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio',
        '-kernel', kernel.image, '-initrd', kernel.initramfs, '-append', 'console=ttyS0 panic=-1 mpool_probe=1'],
      { timeout: 15_000, encoding: 'utf8' },
    );
    // The init script fails fast without a share and prints this marker.
    if (r.status === 0 && /MPOOL_VM_ERROR: no mpool_share/.test(r.stdout ?? '')) accelCache = 'kvm';
  }
  return accelCache;
}

/**
 * Command-line options a kernel needs under TCG. The debug kernel (KASAN)
 * with -cpu max boots with 5-level paging, and then, now and again, an
 * interrupt that arrives during identify_boot_cpu() trips a KASAN
 * wild-memory-access report in handle_edge_irq() at 0.003 s, long before
 * anything of ours runs (seen twice in a row on 2026-12-02). 4-level
 * paging, what almost every machine uses, is what the lane is for.
 *
 * The same kernel spends about 28 s of emulated time in one ACPI _PRT
 * evaluation when virtio_pci enables its first device (every allocation
 * there is tracked by both KASAN and kmemleak, and each saves a stack
 * trace), and at the default 21 s RCU reports a self-detected stall on
 * PID 1, at 31 s, in every boot (seen on 2026-12-04 with the allnoconfig
 * debug kernel). The stall timeout goes to 180 s: the suites' own deadlines
 * still catch a real hang, and a stall longer than that is still reported.
 */
function kernelQuirks(kernel: GuestKernel): string[] {
  return kernel.name === 'debug' ? ['no5lvl', 'rcupdate.rcu_cpu_stall_timeout=180'] : [];
}

export async function boot(o: BootOptions): Promise<BootResult> {
  rmSync(o.share, { recursive: true, force: true });
  mkdirSync(o.share, { recursive: true });
  writeFileSync(join(o.share, 'guest-cmd.sh'), `#!/bin/sh\n${o.script}\n`, { mode: 0o755 });
  for (const [name, content] of Object.entries(o.files ?? {})) writeFileSync(join(o.share, name), content);

  const accel = chooseAccel(o.kernel);
  const args = [
    '-accel', accel === 'kvm' ? 'kvm' : 'tcg,thread=multi',
    '-cpu', accel === 'kvm' ? 'host' : 'max',
    '-m', `${o.memMiB ?? 2048}M`,
    '-smp', String(o.smp ?? 2),
    '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio', '-monitor', 'none',
    '-kernel', o.kernel.image,
    '-initrd', o.kernel.initramfs,
    '-append', ['console=ttyS0', 'loglevel=5', 'panic=-1', 'oops=panic', `mpool_share=${o.share}`, ...kernelQuirks(o.kernel), ...(o.append ?? [])].join(' '),
    '-fsdev', 'local,id=root9p,path=/,security_model=none,readonly=on,multidevs=remap',
    '-device', 'virtio-9p-pci,fsdev=root9p,mount_tag=hostroot',
    '-fsdev', `local,id=xfer9p,path=${o.share},security_model=none,multidevs=remap`,
    '-device', 'virtio-9p-pci,fsdev=xfer9p,mount_tag=xfer',
  ];
  for (const disk of o.disks ? makeDisks(o.disks) : []) {
    args.push('-drive', `file=${disk},if=virtio,format=raw,cache=none,aio=threads`);
  }

  const started = Date.now();
  const timeoutMs = (o.timeoutSec ?? 900) * 1000;
  const logFile = createWriteStream(join(o.share, 'console.log'));
  let consoleText = '';
  let bootMs: number | null = null;
  let timedOut = false;
  let killed = false;

  await new Promise<void>((resolveRun, rejectRun) => {
    const q = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      timedOut = true;
      q.kill('SIGKILL');
    }, timeoutMs);
    o.control?.({
      kill(): void {
        if (q.exitCode !== null || q.signalCode !== null) return;
        killed = true;
        q.kill('SIGKILL');
      },
    });
    let partial = '';
    const onData = (chunk: Buffer): void => {
      // SeaBIOS clears the screen with escape sequences; drop them.
      const text = chunk.toString('utf8').replace(/\x1b(\[[0-9;?]*[A-Za-z]|c)/g, '').replace(/\r/g, '');
      consoleText += text;
      o.echo?.write(text);
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      const t = ((Date.now() - started) / 1000).toFixed(2);
      for (const l of lines) {
        logFile.write(`[host ${t}] ${l}\n`);
        if (bootMs === null && l.includes('MPOOL_VM_READY')) bootMs = Date.now() - started;
      }
    };
    q.stdout.on('data', onData);
    q.stderr.on('data', onData);
    q.on('error', (e) => {
      clearTimeout(timer);
      rejectRun(e);
    });
    q.on('close', () => {
      clearTimeout(timer);
      if (partial) logFile.write(`${partial}\n`);
      logFile.end(() => resolveRun());
    });
  });

  const read = (name: string): string => (existsSync(join(o.share, name)) ? readFileSync(join(o.share, name), 'utf8') : '');
  const exitCode = guestExitCode(consoleText);
  const dmesg = read('dmesg.txt');
  const kmemleak = read('kmemleak.txt');
  const modules = read('modules.txt');
  const verdict = judge({ console: consoleText, dmesg, exitCode, timedOut, kmemleak, modules, expectGuestFailure: o.expectGuestFailure ?? false });
  return { exitCode, timedOut, killed, accel, console: consoleText, dmesg, kmemleak, bootMs, totalMs: Date.now() - started, verdict };
}

/** Build the module for a guest kernel; returns the path of mpool.ko. */
export function buildModule(kernel: GuestKernel, opts: { selftest?: boolean } = {}): string {
  // Test builds and other kernels build in a copy, so kmod/ keeps the stock build.
  const variant = `${kernel.name}${opts.selftest ? '-selftest' : ''}`;
  const src = variant === 'stock' && !PRIVATE_BUILD ? join(REPO, 'kmod') : join(BUILD, 'kmod', variant, 'kmod');
  if (src !== join(REPO, 'kmod')) {
    mkdirSync(dirname(src), { recursive: true });
    // Sources only: kbuild's outputs of kmod/ (mpool.mod lists kmod/'s own
    // objects by absolute path) would have this copy link those instead.
    const outputs = ['*.o', '*.ko', '.*.cmd', '*.mod', '*.mod.c', 'modules.order', 'Module.symvers'];
    execFileSync('rsync', ['-a', '--delete', ...outputs.flatMap((p) => ['--exclude', p]), `${REPO}/kmod/`, `${src}/`]);
    execFileSync('rsync', ['-a', '--delete', `${REPO}/uapi/`, `${join(dirname(src), 'uapi')}/`]);
    execFileSync('rsync', ['-a', `${REPO}/scripts/`, `${join(dirname(src), 'scripts')}/`]);
  }
  const args = ['-C', src, `KDIR=${kernel.kbuild}`, 'W=1'];
  if (opts.selftest) args.push('SELFTEST=1');
  const r = spawnSync('make', args, { encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`module build for ${variant} failed:\n${out}`);
  const warnings = out.split('\n').filter((l) => /warning:|error:/i.test(l));
  if (warnings.length > 0) throw new Error(`module build for ${variant} has warnings:\n${warnings.join('\n')}`);
  return join(src, 'mpool.ko');
}
