/**
 * The layout probe: a C program, generated from the parsed header, that prints
 * the compiler's sizeof/offsetof/_Alignof and the value of every constant as
 * JSON lines. The compiler is the only authority on layout.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FieldLayout, HeaderModel, Layout, StructLayout } from './model.js';

export function probeSource(model: HeaderModel, headerPath: string): string {
  const lines: string[] = [
    '/* Generated layout probe: prints what the compiler knows about the UAPI. */',
    '#include <stddef.h>',
    '#include <stdio.h>',
    `#include "${headerPath}"`,
    '',
    'int main(void)',
    '{',
  ];
  const emit = (fmt: string, ...args: string[]): void => {
    lines.push(`\tprintf(${JSON.stringify(fmt + '\n')}${args.map((a) => `, ${a}`).join('')});`);
  };
  for (const s of model.structs) {
    const tag = `${s.isUnion ? 'union' : 'struct'} ${s.name}`;
    emit(`{"t":"struct","name":"${s.name}","size":%zu,"align":%zu}`, `sizeof(${tag})`, `_Alignof(${tag})`);
    for (const f of s.fields) {
      const levels: string[] = [];
      for (let r = 0; r <= f.rank; r++) levels.push(`sizeof(((${tag} *)0)->${f.name}${'[0]'.repeat(r)})`);
      emit(
        `{"t":"field","struct":"${s.name}","name":"${f.name}","offset":%zu,"sizes":[${levels.map(() => '%zu').join(',')}]}`,
        `offsetof(${tag}, ${f.name})`,
        ...levels,
      );
    }
  }
  for (const e of model.enums) {
    for (const m of e.members) emit(`{"t":"enum","enum":"${e.name}","name":"${m}","value":"%lld"}`, `(long long)${m}`);
  }
  for (const d of model.defines) {
    if (d.kind === 'number') emit(`{"t":"number","name":"${d.name}","value":"%lld"}`, `(long long)(${d.name})`);
    else if (d.kind === 'ioctl') emit(`{"t":"ioctl","name":"${d.name}","value":"%lu"}`, `(unsigned long)(${d.name})`);
    // Strings in this header are plain ASCII without quotes or backslashes.
    else emit(`{"t":"string","name":"${d.name}","value":"%s"}`, d.name);
  }
  lines.push('\treturn 0;', '}', '');
  return lines.join('\n');
}

interface ProbeLine {
  t: 'struct' | 'field' | 'enum' | 'number' | 'ioctl' | 'string';
  name: string;
  struct?: string;
  enum?: string;
  size?: number;
  align?: number;
  offset?: number;
  sizes?: number[];
  value?: string;
}

export function parseProbeOutput(out: string): Layout {
  const layout: Layout = { structs: [], enums: {}, numbers: {}, strings: {}, ioctls: {} };
  const byName = new Map<string, StructLayout>();
  for (const raw of out.split('\n')) {
    if (raw.trim() === '') continue;
    const l = JSON.parse(raw) as ProbeLine;
    switch (l.t) {
      case 'struct': {
        const s: StructLayout = { name: l.name, size: l.size!, align: l.align!, fields: [] };
        byName.set(l.name, s);
        layout.structs.push(s);
        break;
      }
      case 'field': {
        const sizes = l.sizes!;
        const dims: number[] = [];
        for (let i = 0; i + 1 < sizes.length; i++) dims.push(sizes[i]! / sizes[i + 1]!);
        const f: FieldLayout = { name: l.name, offset: l.offset!, size: sizes[0]!, dims, elemSize: sizes[sizes.length - 1]! };
        byName.get(l.struct!)!.fields.push(f);
        break;
      }
      case 'enum':
        (layout.enums[l.enum!] ??= {})[l.name] = Number(l.value);
        break;
      case 'number':
        layout.numbers[l.name] = l.value!;
        break;
      case 'ioctl':
        layout.ioctls[l.name] = l.value!;
        break;
      case 'string':
        layout.strings[l.name] = l.value!;
        break;
    }
  }
  return layout;
}

/** Compile and run the probe with the system C compiler. */
export function runProbe(model: HeaderModel, headerPath: string, cc = process.env.CC ?? 'gcc'): Layout {
  const dir = mkdtempSync(join(tmpdir(), 'mpool-probe-'));
  try {
    const src = join(dir, 'probe.c');
    const exe = join(dir, 'probe');
    writeFileSync(src, probeSource(model, headerPath));
    execFileSync(cc, ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-o', exe, src], { stdio: ['ignore', 'inherit', 'inherit'] });
    return parseProbeOutput(execFileSync(exe, { encoding: 'utf8' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * errno values and messages as the C library reports them: a probe over the
 * names <asm-generic/errno*.h> defines, printing "name\tvalue\tstrerror".
 */
export function runErrnoProbe(names: readonly string[], cc = process.env.CC ?? 'gcc'): { name: string; value: number; message: string }[] {
  const dir = mkdtempSync(join(tmpdir(), 'mpool-errno-'));
  try {
    const src = join(dir, 'errno.c');
    const exe = join(dir, 'errno');
    const lines = ['#include <errno.h>', '#include <stdio.h>', '#include <string.h>', '', 'int main(void)', '{'];
    for (const n of names) lines.push(`\tprintf("%s\\t%d\\t%s\\n", "${n}", ${n}, strerror(${n}));`);
    lines.push('\treturn 0;', '}', '');
    writeFileSync(src, lines.join('\n'));
    execFileSync(cc, ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-o', exe, src], { stdio: ['ignore', 'inherit', 'inherit'] });
    return execFileSync(exe, { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [name, value, message] = l.split('\t') as [string, string, string];
        return { name, value: Number(value), message };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
