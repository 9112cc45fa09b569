import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** package.json of this project, found by walking up (works from src/ and dist/). */
function findPackageJson(): { version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'mpool') return pkg;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('mpool: cannot find package.json');
    dir = up;
  }
}

/** The userland version, from package.json. */
export const VERSION: string = findPackageJson().version;
