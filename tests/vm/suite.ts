/**
 * Run one guest test suite (tests/guest/<suite>/) in one boot: load the
 * module, run a single vitest process over the suite, unload the module,
 * collect dmesg (and kmemleak on the debug kernel), and judge the run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { boot, buildModule, BUILD, REPO, type BootResult, type DiskSpec, type GuestKernel } from './vm.js';

export interface TestCase {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  message?: string;
}

export interface SuiteResult {
  suite: string;
  boot: BootResult;
  tests: TestCase[];
  /** False if the vitest report is missing (the guest died first). */
  reported: boolean;
}

interface VitestJson {
  testResults?: {
    name: string;
    assertionResults?: { fullName: string; status: string; failureMessages?: string[] }[];
  }[];
}

export function parseVitestJson(text: string): TestCase[] {
  const j = JSON.parse(text) as VitestJson;
  const out: TestCase[] = [];
  for (const file of j.testResults ?? []) {
    for (const a of file.assertionResults ?? []) {
      const status = a.status === 'passed' ? 'passed' : a.status === 'failed' ? 'failed' : 'skipped';
      const tc: TestCase = { name: a.fullName, status };
      if (a.failureMessages && a.failureMessages.length > 0) tc.message = a.failureMessages.join('\n');
      out.push(tc);
    }
  }
  return out;
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Host variables that reach the guest's tests (the guest starts with an empty environment). */
const FORWARDED_ENV = ['MPOOL_BUILD_DIR', 'MPOOL_CRASH_FULL', 'MPOOL_CRASH_POINTS', 'MPOOL_FUZZ_CALLS', 'MPOOL_FUZZ_PROCS', 'MPOOL_FUZZ_SEED'];

function forwardedEnv(): string {
  return FORWARDED_ENV.filter((k) => process.env[k]).map((k) => ` ${k}=${q(process.env[k]!)}`).join('');
}

/** The script the guest runs for a suite (or one boot of a multi-boot suite: "persist/boot2"). */
export function suiteScript(suite: string, ko: string, kernel: GuestKernel): string {
  const kmemleak =
    kernel.name === 'debug'
      ? [
          '# kmemleak: two scans after unload, so that every leak has aged.',
          'if [ -w /sys/kernel/debug/kmemleak ]; then',
          '  echo scan > /sys/kernel/debug/kmemleak; sleep 6',
          '  echo scan > /sys/kernel/debug/kmemleak',
          '  cat /sys/kernel/debug/kmemleak > kmemleak.txt',
          'fi',
        ]
      : [];
  return [
    'set -u',
    `share=$(pwd)`,
    `echo "guest: kernel $(uname -r), suite ${suite}"`,
    `insmod ${q(ko)} || { dmesg > dmesg.txt; exit 90; }`,
    `cd ${q(REPO)}`,
    `MPOOL_KO=${q(ko)} MPOOL_SUITE=${q(suite)} MPOOL_SHARE="$share" MPOOL_HELPERS=${q(HELPERS)}${forwardedEnv()} node node_modules/vitest/vitest.mjs run --project guest \\`,
    `  --reporter=default --reporter=json --outputFile.json="$share/results.json" ${q(`tests/guest/${suite}`)} \\`,
    // Not the serial console: a TTY makes vitest redraw its status lines, and
    // at serial speed under TCG that starves its RPC (a 60 s timeout).
    '  > "$share/vitest.log" 2>&1',
    'rc=$?',
    'tail -n 25 "$share/vitest.log"',
    'cd "$share"',
    '# Where the module lived, for attributing kmemleak frames after rmmod.',
    'grep "^mpool " /proc/modules > modules.txt',
    "if grep -q '^mpool ' /proc/modules; then rmmod mpool || { echo 'guest: rmmod mpool failed'; rc=91; }; fi",
    ...kmemleak,
    'dmesg > dmesg.txt',
    'exit $rc',
  ].join('\n');
}

/** Where the C helpers of the guest suites are built (the guest sees the host's tree). */
export const HELPERS = join(BUILD, 'helpers');

/**
 * Build a suite's C helpers (tests/guest/<suite>/*.c) on the host, against
 * uapi/ as it is: they are plain C clients of the ABI.
 */
export function buildHelpers(suite: string): void {
  const dir = join(REPO, 'tests/guest', suite.split('/')[0]!);
  mkdirSync(HELPERS, { recursive: true });
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.c'))) {
    const args = ['-O2', '-Wall', '-Wextra', '-Werror', '-pthread', `-I${join(REPO, 'uapi')}`, '-o', join(HELPERS, f.slice(0, -2)), join(dir, f), '-lm'];
    execFileSync('gcc', args, { stdio: 'pipe' });
  }
}

/**
 * A suite's host-side preparation, tests/guest/<suite>/prepare.sh, run
 * before its boot (from the repository, with the guest kernel's version and
 * kbuild tree as arguments): what the guest cannot do in reasonable time
 * under TCG, such as building the module with DKMS.
 */
export function prepareSuite(suite: string, kernel: GuestKernel): void {
  const script = join(REPO, 'tests/guest', suite.split('/')[0]!, 'prepare.sh');
  if (!existsSync(script)) return;
  const r = spawnSync(script, [kernel.version, kernel.kbuild], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}:\n${`${r.stdout}${r.stderr}`.slice(-4000)}`);
}

/**
 * The boots of a suite: a plain suite is one boot; a suite made of
 * directories boot1, boot2, ... is one boot per directory, in order, on the
 * same disks, each boot handed the state.json the previous one left.
 */
export function suiteBoots(suite: string): string[] {
  const dir = join(REPO, 'tests/guest', suite);
  const boots = readdirSync(dir)
    .filter((d) => /^boot\d+$/.test(d) && statSync(join(dir, d)).isDirectory())
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  return boots.length > 0 ? boots.map((b) => `${suite}/${b}`) : [suite];
}

export async function runSuite(
  suite: string,
  kernel: GuestKernel,
  opts: { disks?: DiskSpec; echo?: NodeJS.WritableStream; timeoutSec?: number; state?: string } = {},
): Promise<SuiteResult> {
  const ko = buildModule(kernel);
  buildHelpers(suite);
  prepareSuite(suite, kernel);
  const share = join(BUILD, 'vm', 'runs', `${kernel.lane}-${suite.replace(/\//g, '-')}`);
  const bootOpts: Parameters<typeof boot>[0] = {
    kernel,
    share,
    script: suiteScript(suite, ko, kernel),
    disks: opts.disks ?? { dir: join(BUILD, 'vm', 'disks', `${kernel.lane}-${suite}`), count: 2, sizeMiB: 1024 },
    // MPOOL_GUEST_TIMEOUT: the long runs (make crash-full, make fuzz).
    timeoutSec: opts.timeoutSec ?? (Number(process.env.MPOOL_GUEST_TIMEOUT) || (kernel.name === 'debug' ? 2400 : 900)),
  };
  if (opts.echo) bootOpts.echo = opts.echo;
  if (opts.state !== undefined) bootOpts.files = { 'state.json': opts.state };
  const result = await boot(bootOpts);
  const report = join(share, 'results.json');
  const reported = existsSync(report);
  const tests = reported ? parseVitestJson(readFileSync(report, 'utf8')) : [];
  return { suite, boot: result, tests, reported };
}

export { REPO };
