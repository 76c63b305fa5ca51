// Paths the tests need, independent of where the compiled test file lives.
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));

function findRoot(): string {
  let dir = here;
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
/** The build output this test was compiled into (dist/ normally). */
export const BUILD_ROOT = resolve(here, '..', '..');
/** The built CLI entry point, from the same build as this test. */
export const CLI = resolve(BUILD_ROOT, 'src', 'cli', 'main.js');
