/**
 * Regenerate userland/src/gen/ from uapi/mpool_ioctl.h (the ioctl ABI),
 * uapi/mpool_omf.h (the on-media structures userland reads) and the
 * system's <asm-generic/errno*.h>, or with --check, fail if what is
 * committed differs from what would be generated.
 *
 *   npm run codegen          # write the files
 *   npm run codegen:check    # exit 1 on any difference
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitAll, emitErrno, emitOmf } from './emit.js';
import { parseHeader } from './parse.js';
import { runErrnoProbe, runProbe } from './probe.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const HEADER_REL = 'uapi/mpool_ioctl.h';
export const OMF_HEADER_REL = 'uapi/mpool_omf.h';
export const ERRNO_HEADERS = ['/usr/include/asm-generic/errno-base.h', '/usr/include/asm-generic/errno.h'];

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function fromHeader(rel: string): { source: string; model: ReturnType<typeof parseHeader>; layout: ReturnType<typeof runProbe> } {
  const path = join(ROOT, rel);
  const source = readFileSync(path, 'utf8');
  const model = parseHeader(source);
  return { source, model, layout: runProbe(model, path) };
}

export function generate(): ReturnType<typeof emitAll> {
  const ioctl = fromHeader(HEADER_REL);
  const omf = fromHeader(OMF_HEADER_REL);
  const errnoText = ERRNO_HEADERS.map((h) => readFileSync(h, 'utf8')).join('');
  const errnoNames = parseHeader(errnoText).defines.filter((d) => d.kind === 'number' && /^E[A-Z0-9]+$/.test(d.name)).map((d) => d.name);
  return [
    ...emitAll(ioctl.model, ioctl.layout, HEADER_REL, sha256(ioctl.source)),
    emitOmf(omf.model, omf.layout, OMF_HEADER_REL, sha256(omf.source)),
    emitErrno(runErrnoProbe(errnoNames), 'asm-generic/errno.h', sha256(errnoText)),
  ];
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const files = generate();
  const stale: string[] = [];
  for (const f of files) {
    const abs = join(ROOT, f.path);
    const current = existsSync(abs) ? readFileSync(abs, 'utf8') : null;
    if (current === f.text) continue;
    if (check) {
      stale.push(f.path);
    } else {
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, f.text);
      console.log(`codegen: wrote ${f.path}`);
    }
  }
  if (check) {
    if (stale.length > 0) {
      console.error(`codegen: out of date: ${stale.join(', ')}\ncodegen: run "npm run codegen" and commit the result`);
      return 1;
    }
    console.log(`codegen: ${files.length} generated files are up to date`);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
