// Builds a site with the opp-site binary, optionally from a temporary copy with extra content files laid over it.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, repoPath } from './repo.mjs';

const run = promisify(execFile);

/** The generator binary: $OPP_SITE_BIN, else target/debug/opp-site in the repository. */
export function oppSiteBin() {
  const bin = process.env.OPP_SITE_BIN || 'target/debug/opp-site';
  return path.resolve(REPO_ROOT, bin);
}

/** Makes a temporary folder; `cleanup()` removes it. */
export async function tempDir(prefix = 'opp-site-') {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

/**
 * Copies the real site (config.yaml, content/, theme/) to `dest` and then copies every file under each
 * `overlays[i].from` into `dest/<overlays[i].to>` (replacing files with the same name).
 */
export async function copySite(dest, overlays = []) {
  await fs.mkdir(dest, { recursive: true });
  await fs.copyFile(repoPath('config.yaml'), path.join(dest, 'config.yaml'));
  await fs.cp(repoPath('content'), path.join(dest, 'content'), { recursive: true });
  await fs.cp(repoPath('theme'), path.join(dest, 'theme'), { recursive: true });
  for (const { from, to } of overlays) {
    await fs.cp(from, path.join(dest, to), { recursive: true, force: true });
  }
  return dest;
}

/**
 * Runs `opp-site build --root <root> --output <output>` (then `extraArgs`, e.g. `--preview`). Throws with the generator's own message on failure.
 * @returns {Promise<string>} what opp-site printed
 */
export async function buildSite({ root = REPO_ROOT, output, baseUrl, env = {}, extraArgs = [] }) {
  const bin = oppSiteBin();
  try {
    await fs.access(bin);
  } catch {
    throw new Error(
      `${bin} does not exist: build it with \`cargo build -p opp-site --bin opp-site\` or set OPP_SITE_BIN`,
    );
  }
  const args = ['build', '--root', root, '--output', output];
  if (baseUrl) args.push('--base-url', baseUrl);
  args.push(...extraArgs);
  try {
    const { stdout, stderr } = await run(bin, args, { env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
    return (stdout + stderr).trim();
  } catch (err) {
    throw new Error(`opp-site build --root ${root} failed:\n${(err.stdout || '') + (err.stderr || err.message)}`);
  }
}
