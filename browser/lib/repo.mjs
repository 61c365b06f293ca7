// Where things are: the repository root and the folders the browser checks read and write.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder with config.yaml, content/, theme/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A path inside the repository. */
export function repoPath(...parts) {
  return path.join(REPO_ROOT, ...parts);
}

/** Where screenshots go: target/screenshots/ (git-ignored). */
export const SCREENSHOT_DIR = repoPath('target', 'screenshots');
