/**
 * make test: static checks, host and packaging tests, every guest suite (one boot each) and
 * the harness self-tests, ending with a plain "N passed, N failed" line.
 *
 *   tsx tests/run-all.ts                  # stock kernel, everything
 *   tsx tests/run-all.ts --kernel debug   # guest suites under the debug kernel
 *   tsx tests/run-all.ts --suite foundation
 *   tsx tests/run-all.ts --kernel-only    # W=1 build, guest suites, harness (MPOOL_KERNEL picks the series)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../codegen/src/main.js';
import { parseVitestJson, runSuite, suiteBoots, type TestCase } from './vm/suite.js';
import { describeHardCuts, runHardCuts } from './vm/hardcut.js';
import { failedDuringBoot, formatVerdict } from './vm/verdict.js';
import { boot, buildModule, BUILD, guestKernel, REPO, type GuestKernel } from './vm/vm.js';

interface Outcome extends TestCase {
  group: string;
  seconds: number;
}

const outcomes: Outcome[] = [];
const figures: Record<string, number | string> = {};

function record(group: string, name: string, ok: boolean, seconds: number, message?: string): void {
  const o: Outcome = { group, name, status: ok ? 'passed' : 'failed', seconds };
  if (message) o.message = message;
  outcomes.push(o);
  console.log(`${ok ? 'ok  ' : 'FAIL'} [${group}] ${name} (${seconds.toFixed(1)}s)`);
  if (!ok && message) console.log(message.replace(/^/gm, '      '));
}

async function step(group: string, name: string, fn: () => void | string | Promise<void | string>): Promise<boolean> {
  const t0 = Date.now();
  try {
    await fn();
    record(group, name, true, (Date.now() - t0) / 1000);
    return true;
  } catch (e) {
    record(group, name, false, (Date.now() - t0) / 1000, e instanceof Error ? e.message : String(e));
    return false;
  }
}

function exec(cmd: string, args: string[], cwd = REPO): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${out.slice(-4000)}`);
  return out;
}

const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
const vitest = join(REPO, 'node_modules/vitest/vitest.mjs');

async function staticChecks(kernel: GuestKernel): Promise<void> {
  await step('check', 'module builds with no warnings at W=1', () => void buildModule(kernel));
  await step('check', 'checkpatch --strict is clean on kmod/ and uapi/', () => {
    const cp = join(BUILD, 'tools/checkpatch/checkpatch.pl');
    if (!existsSync(cp)) throw new Error(`${cp} is missing: run scripts/setup.sh`);
    const files = readdirSync(join(REPO, 'kmod'))
      .filter((f) => /\.[ch]$/.test(f) && !f.endsWith('.mod.c'))
      .map((f) => `kmod/${f}`);
    const out = exec('perl', [cp, '--strict', '--no-tree', '--terse', '--show-types', '-f', ...files, 'uapi/mpool_ioctl.h', 'uapi/mpool_omf.h']);
    const problems = out.split('\n').filter((l) => /: (ERROR|WARNING|CHECK):/.test(l));
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });
  await step('check', 'generated code is up to date (codegen --check)', () => {
    const stale = generate().filter((f) => !existsSync(join(REPO, f.path)) || readFileSync(join(REPO, f.path), 'utf8') !== f.text);
    if (stale.length > 0) throw new Error(`out of date: ${stale.map((f) => f.path).join(', ')}; run "npm run codegen"`);
  });
  await step('check', 'TypeScript typechecks (strict)', () => void exec(process.execPath, [tsc, '-p', 'tsconfig.json']));
  await step('check', 'userland builds (dist/)', () => void exec(process.execPath, [tsc, '-p', 'tsconfig.build.json']));
}

/** One vitest project on the host ("host", then "packaging"), its tests recorded under its name. */
async function hostTests(project: 'host' | 'packaging'): Promise<void> {
  const out = join(BUILD, 'results', `${project}.json`);
  mkdirSync(join(BUILD, 'results'), { recursive: true });
  rmSync(out, { force: true });
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [vitest, 'run', '--project', project, '--reporter=dot', '--reporter=json', `--outputFile.json=${out}`], {
    cwd: REPO,
    encoding: 'utf8',
  });
  const secs = (Date.now() - t0) / 1000;
  figures[`${project}TestSeconds`] = Number(secs.toFixed(1));
  if (!existsSync(out)) {
    record(project, `vitest ${project} project ran`, false, secs, `${r.stdout}${r.stderr}`.slice(-4000));
    return;
  }
  for (const t of parseVitestJson(readFileSync(out, 'utf8'))) {
    if (t.status === 'skipped') outcomes.push({ ...t, group: project, seconds: 0 });
    else record(project, t.name, t.status === 'passed', 0, t.message);
  }
  if (r.status !== 0 && !outcomes.some((o) => o.group === project && o.status === 'failed')) {
    record(project, `vitest ${project} project exited cleanly`, false, secs, `${r.stdout}${r.stderr}`.slice(-4000));
  }
}

/** Guest suites: every directory of tests/guest, or those named (comma list). */
function guestSuites(only?: string): string[] {
  const dir = join(REPO, 'tests/guest');
  const wanted = only ? new Set(only.split(',').filter((s) => s !== '')) : null;
  const all = readdirSync(dir)
    .filter((d) => statSync(join(dir, d)).isDirectory())
    .sort();
  for (const w of wanted ?? []) if (!all.includes(w)) throw new Error(`no guest suite "${w}" in tests/guest`);
  return all.filter((d) => !wanted || wanted.has(d));
}

async function guestTests(kernel: GuestKernel, only?: string): Promise<void> {
  for (const suite of guestSuites(only)) {
    // A suite whose kernel reported trouble while still booting, before any
    // of our code ran, is run again from its first boot, once.
    for (let attempt = 1; attempt <= 2; attempt++) {
      const rerun = await runSuiteBoots(kernel, suite, attempt === 2);
      if (!rerun) break;
      console.log(`rerun: suite ${suite}: the guest kernel reported trouble while booting, before the module was loaded`);
      figures[`guest:${kernel.lane}:${suite}:rerunAfterBootReport`] = 1;
    }
  }
}

/** Run every boot of a suite; true if it should be rerun (a report during boot). */
async function runSuiteBoots(kernel: GuestKernel, suite: string, last: boolean): Promise<boolean> {
  const boots = suiteBoots(suite);
  const disks = { dir: join(BUILD, 'vm', 'disks', `${kernel.lane}-${suite}`), count: 2, sizeMiB: 8192 };
  const mark = outcomes.length;
  let state = '';
  for (const [i, bootSuite] of boots.entries()) {
    const group = `guest:${kernel.lane}:${bootSuite}`;
    const t0 = Date.now();
    let result;
    try {
      result = await runSuite(bootSuite, kernel, { disks: { ...disks, reuse: i > 0 }, state });
    } catch (e) {
      record(group, 'suite booted', false, (Date.now() - t0) / 1000, e instanceof Error ? e.message : String(e));
      return false;
    }
    if (!last && failedDuringBoot(result.boot.verdict, result.boot.console)) {
      console.log(formatVerdict(result.boot.verdict));
      outcomes.length = mark;
      return true;
    }
    const secs = (Date.now() - t0) / 1000;
    figures[`${group}:bootSeconds`] = result.boot.bootMs === null ? 'n/a' : Number((result.boot.bootMs / 1000).toFixed(1));
    figures[`${group}:totalSeconds`] = Number(secs.toFixed(1));
    figures.accel = result.boot.accel;
    for (const t of result.tests) {
      if (t.status === 'skipped') outcomes.push({ ...t, group, seconds: 0 });
      else record(group, t.name, t.status === 'passed', 0, t.message);
    }
    if (!result.reported) {
      record(group, 'vitest report produced', false, secs, result.boot.console.split('\n').slice(-60).join('\n'));
    }
    record(
      group,
      'guest exited 0 with a clean kernel log (no WARNING/BUG/Oops/KASAN/lockdep/leak)',
      result.boot.verdict.ok,
      secs,
      result.boot.verdict.ok ? undefined : formatVerdict(result.boot.verdict),
    );
    const next = join(BUILD, 'vm', 'runs', `${kernel.lane}-${bootSuite.replace(/\//g, '-')}`, 'state-out.json');
    state = existsSync(next) ? readFileSync(next, 'utf8') : '';
  }
  return false;
}

/**
 * A few hard power cuts (QEMU killed while four processes write; make
 * powercut runs 50): the pool after each one holds everything the workers
 * had acknowledged to the host, and no kernel report anywhere.
 */
async function hardCutTests(kernel: GuestKernel): Promise<void> {
  const cuts = Number(process.env.MPOOL_CI_CUTS ?? 3);
  await step('powercut', `${cuts} hard power cuts (QEMU killed during a 4-process workload) lose nothing acknowledged`, async () => {
    const r = await runHardCuts({ kernel, cuts, seed: 20261203, workers: 4, opsPerWorker: 2000, maxDelayMs: 6000, log: (l) => console.log(`      ${l}`) });
    figures[`powercut:${kernel.lane}:cuts`] = r.cuts;
    figures[`powercut:${kernel.lane}:acked`] = r.acked;
    figures[`powercut:${kernel.lane}:violations`] = r.violations.length;
    figures[`powercut:${kernel.lane}:reports`] = r.reports.length;
    const problems = [...r.violations, ...r.reports.map((x) => `kernel: ${x}`)];
    if (problems.length > 0) throw new Error(problems.slice(0, 30).join('\n'));
    if (r.cutsDuringWork === 0) throw new Error(`no cut came during the workload: ${describeHardCuts(r)}`);
    console.log(`      ${describeHardCuts(r)}`);
  });
}

/** The harness must fail runs that it is meant to fail. */
async function harnessSelfTests(kernel: GuestKernel): Promise<void> {
  const faults = kernel.name === 'debug' ? (['uaf', 'leak'] as const) : (['oops'] as const);
  for (const fault of faults) {
    await step('harness', `a deliberate ${fault} in a test build of the module fails the run`, async () => {
      const ko = buildModule(kernel, { selftest: true });
      const share = join(BUILD, 'vm', 'runs', `${kernel.lane}-selftest-${fault}`);
      const kmemleak =
        fault === 'leak'
          ? 'grep "^mpool " /proc/modules > modules.txt; rmmod mpool; echo scan > /sys/kernel/debug/kmemleak; sleep 6; echo scan > /sys/kernel/debug/kmemleak; cat /sys/kernel/debug/kmemleak > kmemleak.txt'
          : 'rmmod mpool';
      const r = await boot({
        kernel,
        share,
        script: `insmod ${ko} selftest=${fault}\n${kmemleak}\ndmesg > dmesg.txt\nexit 0`,
        timeoutSec: kernel.name === 'debug' ? 600 : 300,
      });
      if (r.verdict.ok) throw new Error(`the harness passed a run with a deliberate ${fault}:\n${r.console.slice(-3000)}`);
      const expected = { oops: /Oops|BUG: kernel NULL pointer/, uaf: /KASAN: .*use-after-free/, leak: /unreferenced object/ }[fault];
      const evidence = [...r.verdict.findings.map((f) => f.text), ...r.verdict.leaks.map((l) => l.header)].join('\n');
      if (!expected.test(evidence)) throw new Error(`run failed, but not for the ${fault}:\n${formatVerdict(r.verdict)}`);
      figures[`selftest:${fault}`] = r.verdict.reasons.join('; ');
      console.log(`      caught: ${r.verdict.reasons.join('; ')}\n      first line: ${evidence.split('\n')[0]}`);
    });
  }

  if (kernel.name !== 'stock') return;
  await step('harness', 'disk images survive a reboot of the guest', async () => {
    const disks = { dir: join(BUILD, 'vm', 'disks', 'harness-reboot'), count: 2, sizeMiB: 64 };
    const share = join(BUILD, 'vm', 'runs', 'harness-reboot');
    const token = `mpool-${Date.now()}`;
    const first = await boot({
      kernel,
      share,
      disks,
      script: `printf '%s' '${token}' | dd of=/dev/vdb bs=4096 seek=100 conv=fsync,sync oflag=direct 2>/dev/null\nls /dev/vda /dev/vdb`,
      timeoutSec: 300,
    });
    if (!first.verdict.ok) throw new Error(`first boot failed:\n${formatVerdict(first.verdict)}`);
    const second = await boot({
      kernel,
      share,
      disks: { ...disks, reuse: true },
      script: `dd if=/dev/vdb bs=4096 skip=100 count=1 iflag=direct 2>/dev/null | head -c ${token.length} > token.txt`,
      timeoutSec: 300,
    });
    if (!second.verdict.ok) throw new Error(`second boot failed:\n${formatVerdict(second.verdict)}`);
    const got = readFileSync(join(share, 'token.txt'), 'utf8');
    if (got !== token) throw new Error(`read back "${got}", wrote "${token}"`);
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const kernelName = opt('--kernel') ?? process.env.KERNEL ?? 'stock';
  // --suite one (no checks, no harness self-tests); --suites a,b (a subset, with them).
  const only = opt('--suite');
  const subset = opt('--suites') ?? process.env.MPOOL_SUITES;
  const t0 = Date.now();

  // --kernel-only: what depends on the kernel (the W=1 build, the guest
  // suites, the harness), for a second lane whose host checks and host
  // tests another lane of the same run has done (.ci/run's 6.12 lane).
  const kernelOnly = args.includes('--kernel-only');
  const kernel = guestKernel(kernelName);
  rmSync(join(BUILD, 'results', `host-done-${kernel.lane}`), { force: true });
  console.log(`mpool tests: guest kernel ${kernel.name} ${kernel.version} (lane ${kernel.lane})`);
  if (kernel.name === 'stock' && !only && kernelOnly) {
    await step('check', `module builds with no warnings at W=1 (${kernel.version})`, () => void buildModule(kernel));
  } else if (kernel.name === 'stock' && !only) {
    await staticChecks(kernel);
    await hostTests('host');
    // The DKMS tree, the Debian package and the npm tarball; alone, since
    // it builds the module twice and runs npm and tsc.
    await hostTests('packaging');
    // What runs from here on reads dist/ and kmod/ and no longer writes
    // them: .ci/run starts its second lane when it sees this file.
    mkdirSync(join(BUILD, 'results'), { recursive: true });
    writeFileSync(join(BUILD, 'results', `host-done-${kernel.lane}`), `${new Date().toISOString()}\n`);
  }
  await guestTests(kernel, only ?? subset);
  if (!only && kernel.name === 'stock') await hardCutTests(kernel);
  if (!only) await harnessSelfTests(kernel);

  figures.totalSeconds = Number(((Date.now() - t0) / 1000).toFixed(1));
  const passed = outcomes.filter((o) => o.status === 'passed').length;
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  const skipped = outcomes.filter((o) => o.status === 'skipped').length;
  mkdirSync(join(BUILD, 'results'), { recursive: true });
  writeFileSync(join(BUILD, 'results', `summary-${kernel.lane}.json`), JSON.stringify({ passed, failed, skipped, figures, outcomes }, null, 2));

  console.log('');
  for (const o of outcomes.filter((x) => x.status === 'failed')) console.log(`failed: [${o.group}] ${o.name}`);
  console.log(`figures: ${JSON.stringify(figures)}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

process.exitCode = await main();
