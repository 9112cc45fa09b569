/**
 * Regenerate userland/src/gen/ from uapi/mpool_ioctl.h, or with --check, fail
 * if what is committed differs from what would be generated.
 *
 *   npm run codegen          # write the files
 *   npm run codegen:check    # exit 1 on any difference
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitAll } from './emit.js';
import { parseHeader } from './parse.js';
import { runProbe } from './probe.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const HEADER_REL = 'uapi/mpool_ioctl.h';

export function generate(): ReturnType<typeof emitAll> {
  const headerPath = join(ROOT, HEADER_REL);
  const source = readFileSync(headerPath, 'utf8');
  const model = parseHeader(source);
  const layout = runProbe(model, headerPath);
  const hash = createHash('sha256').update(source).digest('hex');
  return emitAll(model, layout, HEADER_REL, hash);
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
