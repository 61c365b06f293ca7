// The local stack for end-to-end tests: free ports, `opp-dev` (site + /api/* + embedded store) as a child
// process, and `opp-admin` against its store.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from './repo.mjs';

/** The table opp-dev creates and the handler uses. */
export const TABLE = 'opp-registrations';

/** $OPP_DEV_BIN, else target/debug/opp-dev in the repository. */
export function oppDevBin() {
  return path.resolve(REPO_ROOT, process.env.OPP_DEV_BIN || 'target/debug/opp-dev');
}

/** $OPP_ADMIN_BIN, else target/debug/opp-admin in the repository. */
export function oppAdminBin() {
  return path.resolve(REPO_ROOT, process.env.OPP_ADMIN_BIN || 'target/debug/opp-admin');
}

async function mustExist(bin, envName, build) {
  try {
    await fs.access(bin, fs.constants.X_OK);
  } catch {
    throw new Error(`${bin} does not exist or is not executable: build it with \`${build}\` or set ${envName}`);
  }
}

/**
 * `n` different free TCP ports on 127.0.0.1: binds port 0 n times at once (so they differ), then lets go.
 * Another program could take one before the caller does; on these test machines that is unlikely.
 */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i += 1) {
      const s = net.createServer();
      servers.push(s);
      await new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve()))));
  }
}

/** Every opp-dev still running, so an exiting test run never leaves one behind. */
const running = new Set();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      for (const child of running) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/**
 * Starts `opp-dev --root ROOT --port PORT --store-port STORE_PORT --state-dir STATE_DIR` and waits until it
 * prints `ready: http://127.0.0.1:PORT/`.
 *
 * @param {object} o
 * @param {string} o.root the site (config.yaml, content/, theme/)
 * @param {number} o.port site + /api/*
 * @param {number} o.storePort the DynamoDB-compatible store
 * @param {string} o.stateDir the store's files
 * @param {number} [o.timeoutMs=120000] how long to wait for the ready line
 * @param {Record<string,string>} [o.env] extra environment
 * @returns {Promise<{origin: string, storeUrl: string, url: (p: string) => string, output: () => string,
 *   readyMs: number, stop: () => Promise<{code: number|null, signal: string|null, forced: boolean, ms: number}>}>}
 *   output(): everything it printed (stdout and stderr, interleaved, the last 400 lines)
 */
export async function startOppDev({ root, port, storePort, stateDir, timeoutMs = 120000, env = {}, extraArgs = [] }) {
  const bin = oppDevBin();
  await mustExist(bin, 'OPP_DEV_BIN', 'cargo build --bin opp-dev');
  installExitHook();
  const args = ['--root', root, '--port', String(port), '--store-port', String(storePort), '--state-dir', stateDir, ...extraArgs];
  const started = Date.now();
  const child = spawn(bin, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(child);
  const lines = [];
  const origin = `http://127.0.0.1:${port}`;
  const readyText = `ready: ${origin}/`;
  let onReady;
  const ready = new Promise((resolve) => {
    onReady = resolve;
  });
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const spawnError = new Promise((resolve) => child.once('error', resolve));
  for (const [stream, tag] of [[child.stdout, 'out'], [child.stderr, 'err']]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop();
      for (const line of parts) {
        lines.push(`${tag}| ${line}`);
        if (lines.length > 400) lines.shift();
        if (tag === 'out' && line.includes(readyText)) onReady();
      }
    });
  }
  const output = () => lines.join('\n');
  const shown = () => (lines.length ? `\n--- opp-dev output ---\n${output()}\n--- end of opp-dev output ---` : ' (it printed nothing)');

  const stop = async () => {
    const t0 = Date.now();
    let forced = false;
    if (running.has(child)) {
      child.kill('SIGINT');
      const t = setTimeout(() => {
        forced = true;
        child.kill('SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(t);
    }
    const { code, signal } = await exited;
    return { code, signal, forced, ms: Date.now() - t0 };
  };

  let timer;
  const outcome = await Promise.race([
    ready.then(() => 'ready'),
    exited.then(({ code, signal }) => `exited (code ${code}, signal ${signal}) before printing "${readyText}"`),
    spawnError.then((err) => `could not start: ${err.message}`),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(`did not print "${readyText}" within ${timeoutMs / 1000} s`), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome !== 'ready') {
    await stop();
    throw new Error(`opp-dev ${args.join(' ')}: ${outcome}${shown()}`);
  }
  return {
    origin,
    storeUrl: `http://127.0.0.1:${storePort}`,
    url: (p) => new URL(p, origin).href,
    output,
    readyMs: Date.now() - started,
    stop,
  };
}

/**
 * Runs `opp-admin --endpoint-url STORE --table TABLE ...args`.
 * @returns {Promise<{code: number, stdout: string, stderr: string}>}
 */
export async function oppAdmin(storeUrl, args, { table = TABLE } = {}) {
  const bin = oppAdminBin();
  await mustExist(bin, 'OPP_ADMIN_BIN', 'cargo build -p opp-admin --bin opp-admin');
  const all = ['--endpoint-url', storeUrl, '--table', table, ...args];
  return new Promise((resolve) => {
    execFile(bin, all, { cwd: REPO_ROOT, maxBuffer: 16 << 20, timeout: 60000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** `oppAdmin` for a `--json` command: the parsed output; throws with what it printed when it fails. */
export async function oppAdminJson(storeUrl, args, options) {
  const r = await oppAdmin(storeUrl, args, options);
  const cmd = `opp-admin ${args.join(' ')}`;
  if (r.code !== 0) throw new Error(`${cmd} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`${cmd} did not print JSON: ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`);
  }
}
