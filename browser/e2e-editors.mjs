// The editors' sign-in end to end (issue #28), in Chromium: the real Decap CMS on its own origin signs in
// through our OAuth client (opp-editors), with GitHub answered by a stand-in on loopback
// (lib/github-stand-in.mjs). Run: bash browser/run-e2e-editors.sh
//
// Builds a copy of the site whose editing screen is http://redactie.localhost:PORT/ and whose GitHub API is
// the stand-in, starts `opp-editors --local` with the screen's files beside the two routes, and then:
//   1  the popup handshake completes: Decap lists the meetings, read from the stand-in with the token our
//      callback handed over; the token exchange carried the client secret and the PKCE verifier; every
//      message the screen received came from its own origin; the popup page had COOP unsafe-none; the
//      list holds the meetings only, not the section's own page
//   2  a wrong state is refused, and GitHub is not asked for a token
//   3  a scope outside the allowlist is refused before GitHub is reached
//   4  a sign-in started from another origin: the callback page says it was not opened from the editing
//      screen, and that origin receives no message at all (the token is never posted to it)
//   5  the refusal page is accessible (axe, WCAG 2.1 AA)
//   6  (1b) a change under review: Decap reads the commit status of its pull request's head and links
//      "Bekijk voorvertoning" to the status's target, as .github/workflows/preview.yml posts it
// Screenshots: target/screenshots/editors/. Prints ok/FAIL per check and "editors checks: N passed, M failed".
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { axeCheck } from './lib/axe.mjs';
import { buildSite, copySite, tempDir } from './lib/build-site.mjs';
import { launch } from './lib/chromium.mjs';
import { startGitHubStandIn } from './lib/github-stand-in.mjs';
import { freePorts } from './lib/local-stack.mjs';
import { blockExternalRequests } from './lib/network.mjs';
import { REPO_ROOT, SCREENSHOT_DIR, repoPath } from './lib/repo.mjs';
import { createReport } from './lib/report.mjs';

const report = createReport();
const SHOTS = path.join(SCREENSHOT_DIR, 'editors');
const CLIENT_ID = 'Ov23liE2eClient';
const CLIENT_SECRET = 'e2e-client-secret';
const PREVIEW_URL = 'https://pr-100.voorbeeld.example.nl/';
// The status the preview workflow posts on success: its context is read from the workflow itself.
const WORKFLOW = await fs.readFile(repoPath('.github', 'workflows', 'preview.yml'), 'utf8');
const SUCCESS_CONTEXT = (WORKFLOW.match(/-f state=success -f context=(\S+)/) || [])[1] || 'no success status in preview.yml';
// A change waiting in the editorial workflow, with the commit status the preview workflow posts on its head.
const OPEN_CHANGE = {
  collection: 'bijeenkomsten', slug: 'utrecht', path: 'content/bijeenkomsten/utrecht.md',
  content: '---\ntitle: "Regiobijeenkomst Utrecht"\ntemplate: meeting.html\nmeeting:\n  id: 2099-05-utrecht\n  date: 2099-05-12\n  venue: "Jaarbeurs"\n  city: "Utrecht"\n  capacity: 80\n---\nDe bijeenkomst in Utrecht.\n',
  status: { context: SUCCESS_CONTEXT, state: 'success', target_url: PREVIEW_URL, description: 'Voorbeeld van deze wijziging' },
};

function editorsBin() {
  const target = process.env.CARGO_TARGET_DIR || 'target';
  return path.resolve(REPO_ROOT, process.env.OPP_EDITORS_BIN || path.join(target, 'debug', 'opp-editors'));
}

/** Starts `opp-editors --local`; resolves once it listens. */
async function startEditors(args) {
  const child = spawn(editorsBin(), ['--local', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`opp-editors did not start:\n${output}`)), 20000);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`opp-editors stopped (${code}):\n${output}`)); });
    const poll = setInterval(() => {
      if (output.includes("Editors' sign-in on")) { clearInterval(poll); clearTimeout(timer); resolve(); }
    }, 50);
  });
  return { output: () => output, stop: () => { child.kill('SIGINT'); } };
}

/** A page on another origin that starts the editors' sign-in in a popup and records what it is sent. */
async function startOtherOrigin(signInUrl) {
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Another site</title></head><body>
<button id="open">Sign in</button><script>
window.got = [];
window.addEventListener('message', (e) => window.got.push({ origin: e.origin, data: String(e.data) }));
document.getElementById('open').addEventListener('click', () => { window.popup = window.open(${JSON.stringify(signInUrl)}, 'x', 'width=600,height=600'); });
</script></body></html>`;
  const server = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

async function main() {
  await fs.mkdir(SHOTS, { recursive: true });
  const tmp = await tempDir('opp-editors-');
  const root = await copySite(path.join(tmp.dir, 'site'));
  const [port] = await freePorts(1);
  const screen = `http://redactie.localhost:${port}`;
  let github;
  let editors;
  let browser;
  let other;
  try {
    const configText = await fs.readFile(path.join(root, 'config.yaml'), 'utf8');
    const repo = configText.match(/^\s+repo:\s*(\S+)/m)[1];
    github = await startGitHubStandIn({ siteRoot: root, repo, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, openChanges: [OPEN_CHANGE] });
    await fs.writeFile(path.join(root, 'config.yaml'), configText.replace(/^(\s+)url:\s*https:\/\/redactie\S*$/m, `$1url: ${screen}\n$1api_root: ${github.origin}`));
    const out = path.join(tmp.dir, 'public');
    await buildSite({ root, output: out });
    editors = await startEditors([
      '--port', String(port), '--editing-origin', screen, '--github-url', github.origin,
      '--client-id', CLIENT_ID, '--client-secret', CLIENT_SECRET, '--scopes', 'public_repo',
      '--screen', path.join(out, 'admin'), '--decap', repoPath('browser', 'node_modules', 'decap-cms', 'dist'),
      '--connect-src', github.origin,
    ]);
    const config = await fs.readFile(path.join(out, 'admin', 'config.yml'), 'utf8');
    const cp = [];
    for (const line of [`base_url: ${screen}`, 'auth_endpoint: oauth/auth', `api_root: ${github.origin}`, 'publish_mode: editorial_workflow']) {
      if (!config.includes(line)) cp.push(`config.yml lacks "${line}"`);
    }
    report.check('config   config.yml names the editing origin, oauth/auth and the API', cp);

    browser = await launch();
    const blocked = await blockExternalRequests(browser.context);
    // Every message a window of this browser receives, with its sender's origin.
    await browser.context.addInitScript(() => {
      window.__received = [];
      window.addEventListener('message', (e) => window.__received.push({ origin: e.origin, data: String(e.data).slice(0, 40) }));
    });

    // 1. The popup handshake, and Decap listing the meetings.
    const page = await browser.newPage();
    page.setDefaultTimeout(20000);
    const cspBlocked = [];
    page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) cspBlocked.push(m.text().slice(0, 200)); });
    await page.goto(`${screen}/`, { waitUntil: 'load' });
    const signIn = page.getByRole('button', { name: 'Inloggen met GitHub' });
    await signIn.waitFor();
    await page.screenshot({ path: path.join(SHOTS, '01-inloggen.png') });
    const popupOpened = page.waitForEvent('popup');
    await signIn.click();
    const popup = await popupOpened;
    const popupHeaders = [];
    popup.on('response', async (r) => {
      if (r.url().startsWith(`${screen}/oauth/callback`)) popupHeaders.push(await r.allHeaders());
    });
    await popup.getByRole('link', { name: 'Authorize' }).click();
    await popup.waitForEvent('close', { timeout: 20000 }).catch(() => {});
    await page.getByText('Regiobijeenkomst Zwolle').first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, '02-bijeenkomsten.png') });
    const received = await page.evaluate(() => window.__received);
    const sectionListed = await page.locator('a[href*="/collections/bijeenkomsten/entries/_index"]').count();
    const sp = [];
    if (popup.isClosed() === false) sp.push('the popup stayed open');
    if (github.seen.exchanges.length !== 1 || github.seen.exchanges[0].problems.length) sp.push(`token exchanges: ${JSON.stringify(github.seen.exchanges)}`);
    const asked = github.seen.authorizeRequests[0] || {};
    if (asked.scope !== 'public_repo' || asked.code_challenge_method !== 'S256' || !asked.state || asked.state.length < 22) sp.push(`authorize request: ${JSON.stringify(asked)}`);
    if (!github.seen.apiCalls.includes('GET /user')) sp.push(`Decap did not read /user with the token (calls: ${github.seen.apiCalls.join(', ')})`);
    if (!github.seen.apiCalls.some((c) => c.includes('/git/trees/'))) sp.push('Decap did not list the meetings folder');
    if (github.seen.unauthorised.length) sp.push(`API calls without the token: ${github.seen.unauthorised.join(', ')}`);
    const foreign = received.filter((m) => m.origin !== screen);
    if (foreign.length) sp.push(`messages from other origins: ${JSON.stringify(foreign)}`);
    if (!received.some((m) => m.data.startsWith('authorization:github:success:'))) sp.push(`no success message (received ${JSON.stringify(received)})`);
    if (!received.some((m) => m.data === 'authorizing:github')) sp.push('no authorizing:github handshake');
    const coop = popupHeaders[0] ? popupHeaders[0]['cross-origin-opener-policy'] : 'no callback response seen';
    if (coop !== 'unsafe-none') sp.push(`the callback page's Cross-Origin-Opener-Policy: ${coop}`);
    if (cspBlocked.length) sp.push(...cspBlocked);
    if (sectionListed) sp.push('the section page (_index.md) is listed among the meetings');
    report.check('sign-in  the popup handshake completes and Decap lists the meetings with the token', sp,
      `${github.seen.apiCalls.length} API calls, all with the token`);

    // 1b. A change waiting for review: Decap finds its preview by the commit status on the pull request's head.
    await page.goto(`${screen}/#/collections/bijeenkomsten/entries/${OPEN_CHANGE.slug}`, { waitUntil: 'load' });
    const previewLink = page.getByRole('link', { name: 'Bekijk voorvertoning' });
    const vp = [];
    try {
      await previewLink.waitFor({ timeout: 30000 });
      const href = await previewLink.getAttribute('href');
      if (href !== PREVIEW_URL) vp.push(`the link goes to ${href}`);
      await page.screenshot({ path: path.join(SHOTS, '05-voorvertoning.png') });
    } catch (err) {
      vp.push(`no "Bekijk voorvertoning" link: ${err.message.split('\n')[0]}`);
      await page.screenshot({ path: path.join(SHOTS, '05-voorvertoning-mislukt.png') });
    }
    if (!github.seen.statusRequests.includes(github.headShas[0])) vp.push(`the head's status was not read (${github.seen.statusRequests.join(', ')})`);
    report.check('preview  a change under review: Decap shows "Bekijk voorvertoning" from the status preview.yml posts', vp, SUCCESS_CONTEXT);

    // 2. A wrong state: refused, and GitHub is not asked for a token.
    const probe = await browser.newPage();
    const exchangesBefore = github.seen.exchanges.length;
    await probe.goto(`${screen}/oauth/auth?provider=github&site_id=x&scope=public_repo`, { waitUntil: 'load' });
    const started = probe.url().startsWith(github.origin);
    const wrong = await probe.goto(`${screen}/oauth/callback?code=forged&state=${'x'.repeat(43)}`, { waitUntil: 'load' });
    const wrongText = await probe.locator('body').innerText();
    const wp = [];
    if (!started) wp.push(`/oauth/auth did not lead to GitHub's page (${probe.url()})`);
    if (wrong.status() !== 400) wp.push(`status ${wrong.status()}`);
    if (!wrongText.includes('Inloggen niet gelukt') || !wrongText.includes('hoort niet bij')) wp.push(`page says: ${wrongText.slice(0, 200)}`);
    if (github.seen.exchanges.length !== exchangesBefore) wp.push('GitHub was asked for a token');
    report.check('refuse   a wrong state: refused, no token asked', wp);
    await probe.screenshot({ path: path.join(SHOTS, '03-geweigerd.png') });
    const axe = await axeCheck(probe);
    report.check('a11y     the refusal page (axe, WCAG 2.1 AA)', axe);

    // 3. A scope outside the allowlist.
    const authorizeBefore = github.seen.authorizeRequests.length;
    const scoped = await probe.goto(`${screen}/oauth/auth?provider=github&site_id=x&scope=public_repo,admin:org`, { waitUntil: 'load' });
    const scopedText = await probe.locator('body').innerText();
    const op = [];
    if (scoped.status() !== 400) op.push(`status ${scoped.status()}`);
    if (!scopedText.includes('admin:org')) op.push(`page says: ${scopedText.slice(0, 200)}`);
    if (github.seen.authorizeRequests.length !== authorizeBefore) op.push('GitHub was reached');
    report.check('refuse   a scope outside the allowlist: refused before GitHub', op);

    // 4. Started from another origin: that origin gets nothing.
    other = await startOtherOrigin(`${screen}/oauth/auth?provider=github&site_id=x&scope=public_repo`);
    const attacker = await browser.newPage();
    await attacker.goto(other.url, { waitUntil: 'load' });
    const otherPopupOpened = attacker.waitForEvent('popup');
    await attacker.click('#open');
    const otherPopup = await otherPopupOpened;
    await otherPopup.getByRole('link', { name: 'Authorize' }).click();
    await otherPopup.waitForURL(`${screen}/oauth/callback**`);
    await otherPopup.getByText('niet vanuit het werkscherm geopend').waitFor();
    await attacker.waitForTimeout(1000);
    const got = await attacker.evaluate(() => window.got);
    const ap = [];
    if (got.length) ap.push(`the other origin received: ${JSON.stringify(got)}`);
    if (otherPopup.isClosed()) ap.push('the popup closed as if signed in');
    report.check('refuse   a callback opened from another origin: nothing is posted to it', ap,
      'its page says it was not opened from the editing screen');
    await otherPopup.screenshot({ path: path.join(SHOTS, '04-ander-venster.png') });

    report.check('network  nothing left this machine', blocked.external.filter((u) => !u.includes('githubstatus.com')));
  } catch (err) {
    report.fail('editors  the run stopped', [err.message.split('\n').slice(0, 12).join('\n'), ...(editors ? editors.output().split('\n').slice(-15) : [])]);
  } finally {
    if (browser) await browser.close();
    if (editors) editors.stop();
    if (github) await github.close();
    if (other) await other.close();
    await tmp.cleanup();
  }
  process.exit(report.summary('editors checks'));
}

await main();
