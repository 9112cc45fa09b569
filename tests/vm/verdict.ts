/**
 * The verdict on a guest run: did the guest command succeed, and is the
 * kernel log clean? Pure functions over text, so the host tests can prove
 * that each kind of kernel report is caught.
 */

/** Kernel log lines that fail a run wherever they appear. */
export const KERNEL_FAILURE_PATTERNS: readonly RegExp[] = [
  /\bWARNING:/,
  /\bBUG:/,
  /\bOops\b/,
  /Call Trace:/,
  /\bKASAN\b/,
  /\bUBSAN\b/,
  /general protection fault/,
  /Kernel panic/,
  /possible circular locking dependency/,
  /possible recursive locking/,
  /inconsistent lock state/,
  /sleeping function called from invalid context/,
  /list_add corruption|list_del corruption/,
];

export interface KernelFinding {
  line: number;
  text: string;
  pattern: string;
}

/** Every line of a kernel log that matches a failure pattern. */
export function scanKernelLog(log: string): KernelFinding[] {
  const out: KernelFinding[] = [];
  const lines = log.split(/\r?\n/);
  lines.forEach((text, i) => {
    for (const re of KERNEL_FAILURE_PATTERNS) {
      if (re.test(text)) {
        out.push({ line: i + 1, text: text.trim(), pattern: re.source });
        break;
      }
    }
  });
  return out;
}

export interface KmemleakReport {
  /** The "unreferenced object 0x... (size N):" line. */
  header: string;
  body: string[];
  /** True if any backtrace frame is in the named module. */
  inModule: boolean;
}

export interface AddressRange {
  start: bigint;
  end: bigint;
}

/**
 * Where a module lived, from a /proc/modules line saved before it was
 * unloaded ("mpool 16384 0 - Live 0xffffffffc0263000 (OE)"): after rmmod,
 * kmemleak prints the module's frames as bare addresses.
 */
export function moduleRanges(procModules: string, module = 'mpool'): AddressRange[] {
  const out: AddressRange[] = [];
  for (const line of procModules.split(/\r?\n/)) {
    const m = new RegExp(`^${module} (\\d+) .* (0x[0-9a-f]+)`).exec(line);
    if (m) out.push({ start: BigInt(m[2]!), end: BigInt(m[2]!) + BigInt(m[1]!) });
  }
  return out;
}

/**
 * Split /sys/kernel/debug/kmemleak output into reports, marking those with
 * a backtrace frame in `module`: by name while it is loaded, by address
 * (within `ranges`) once it is gone.
 */
export function parseKmemleak(text: string, module = 'mpool', ranges: AddressRange[] = []): KmemleakReport[] {
  const reports: KmemleakReport[] = [];
  let cur: KmemleakReport | null = null;
  const tag = `[${module}]`;
  const inRange = (line: string): boolean =>
    [...line.matchAll(/\b0x([0-9a-f]{16})\b/g)].some((m) => {
      const a = BigInt(`0x${m[1]!}`);
      return ranges.some((r) => a >= r.start && a < r.end);
    });
  for (const line of text.split(/\r?\n/)) {
    if (/^unreferenced object/.test(line)) {
      cur = { header: line.trim(), body: [], inModule: false };
      reports.push(cur);
    } else if (cur && line.trim() !== '') {
      cur.body.push(line);
      if (line.includes(tag) || (/backtrace|\] 0x|\] [a-z_]/.test(line) && inRange(line))) cur.inModule = true;
    }
  }
  return reports;
}

/** The exit status the guest reported on the console, or null if it never did. */
export function guestExitCode(console: string): number | null {
  const m = [...console.matchAll(/MPOOL_VM_EXIT=(\d+)/g)].pop();
  return m ? Number(m[1]) : null;
}

export interface Verdict {
  ok: boolean;
  reasons: string[];
  findings: KernelFinding[];
  leaks: KmemleakReport[];
}

export interface VerdictInput {
  console: string;
  dmesg: string;
  exitCode: number | null;
  timedOut: boolean;
  kmemleak?: string;
  /** /proc/modules as it was before the module was unloaded. */
  modules?: string;
  /** A run that is meant to fail the guest command (harness self-tests). */
  expectGuestFailure?: boolean;
}

export function judge(input: VerdictInput): Verdict {
  const reasons: string[] = [];
  if (input.timedOut) reasons.push('the guest timed out');
  else if (input.exitCode === null) reasons.push('the guest died without reporting an exit status (panic or crash)');
  else if (input.exitCode !== 0 && !input.expectGuestFailure) reasons.push(`the guest command exited with status ${input.exitCode}`);

  // The console and dmesg overlap; report each distinct line once.
  const seen = new Set<string>();
  const findings = [...scanKernelLog(input.console), ...scanKernelLog(input.dmesg)].filter((f) => {
    const key = f.text.replace(/^\[[^\]]*\]\s*/, '').replace(/^[\d.]+\s+/, '');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (findings.length > 0) reasons.push(`the kernel log has ${findings.length} failure line(s)`);

  const leaks = parseKmemleak(input.kmemleak ?? '', 'mpool', moduleRanges(input.modules ?? '')).filter(
    (r) => r.inModule,
  );
  if (leaks.length > 0) reasons.push(`kmemleak found ${leaks.length} unreferenced object(s) allocated by mpool`);

  return { ok: reasons.length === 0, reasons, findings, leaks };
}

/**
 * True when every kernel report of a failed verdict came while the guest
 * kernel was still booting, before the guest command (and so the module)
 * ran: the run is invalid rather than evidence against mpool, and worth
 * one rerun. Seen once: a KASAN report in the debug kernel's interrupt
 * path at 0.003 s under a heavily loaded host.
 */
export function failedDuringBoot(v: Verdict, console: string): boolean {
  if (v.ok || v.leaks.length > 0 || v.findings.length === 0) return false;
  const ready = console.indexOf('MPOOL_VM_READY');
  const boot = ready < 0 ? console : console.slice(0, ready);
  const bootFindings = scanKernelLog(boot).map((f) => f.text.replace(/^\[[^\]]*\]\s*/, ''));
  return v.findings.every((f) => bootFindings.includes(f.text.replace(/^\[[^\]]*\]\s*/, '')));
}

/** A human-readable account of a failed verdict. */
export function formatVerdict(v: Verdict, max = 40): string {
  const out = v.reasons.map((r) => `  - ${r}`);
  for (const f of v.findings.slice(0, max)) out.push(`    ${f.text}`);
  for (const l of v.leaks.slice(0, 5)) out.push(`    ${l.header}`, ...l.body.slice(0, 12).map((b) => `      ${b.trim()}`));
  return out.join('\n');
}
