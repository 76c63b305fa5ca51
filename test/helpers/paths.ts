// Paths the tests need, independent of where the compiled test file lives.
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test file');
    dir = up;
  }
  return dir;
}

/** The repository root (where package.json is). */
export const REPO_ROOT = findRoot();
/** The shared conformance material, beside the repository. */
export const SHARED = resolve(REPO_ROOT, '..', 'shared');
/** The built CLI entry point. */
export const CLI = resolve(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
