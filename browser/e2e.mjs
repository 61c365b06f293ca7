// End-to-end tests of registering, in a real browser, against the local stack (issue #7). Run: bash browser/run-e2e.sh
//
// Copies the real site to a temporary folder with browser/fixtures/e2e-meetings/*.md laid over
// content/bijeenkomsten/ (two open meetings in 2099: Amersfoort with 2 places, Apeldoorn with 20), starts
// `opp-dev` on free ports with a fresh --state-dir, and then, in Chromium with JavaScript OFF:
//   1  A registers from the Amersfoort page: 303 to the personal page, "bevestigd"; opp-admin lists it as confirmed
//   2  B fills the last place; C lands on the waiting list (position 1)
//   3  A's email again: 303 to /aanmelden/al-aangemeld/, nothing stored
//   4  empty name, bad email, no consent: 422 with an error summary; Enter on each summary link moves focus to
//      its field; the form is filled in again (offering the meetings as the site does); after correcting it
//      there (and choosing Apeldoorn) E is registered
//   5  A cancels (personal page -> cancel link -> confirmation -> confirm): C's page says "bevestigd";
//      opp-admin summary: confirmed 2, waitlisted 0, cancelled 1
//   5b the local mailbox (/_mail/): A and B confirmed, C waiting, A cancelled, C promoted, A's link again (step
//      3); A's mail links to A's page and carries the .ics; C's promoted mail opens C's page; "Link kwijt?" for
//      C gives the neutral page and a mail whose link opens C's page; axe on the mailbox and the email HTML
//   6  D registers for Apeldoorn with the keyboard only
//   2b places left, JavaScript on (the only public script): Amersfoort's page "vol: je komt op de wachtlijst",
//      Apeldoorn's "nog 20 plaatsen", the registration page in each label, /api/meetings cached by CloudFront
//      only (public, s-maxage=30, max-age=0), axe on the filled-in pages; JavaScript off: every spot hidden
//   6c after E and D registered, Apeldoorn's page shows the new number
//   6b E corrects the details on the personal page ("Gegevens wijzigen"): the form is filled in, a bad address
//      gives the 422 form with the summary focused; a new address and needs: the needs are stored at once (303 to
//      .../gewijzigd with a focused notice that a mail went to the new address), the old address gets a notice,
//      the new one a link; that link asks, its button moves (axe on both pages); then opp-admin lists E under
//      the new address with the counters unchanged, and the new address gets "Je e-mailadres is gewijzigd"
//   7  opp-dev stops on SIGINT (exit 0) and starts again on the same --state-dir: every registration, the
//      counters and the personal links survive; Amersfoort is still full
// axe-core (WCAG 2.1 A + AA) runs on every page the handler renders (personal page confirmed and waiting list,
// 422, cancel confirmation, cancelled, the details form with and without errors, the page after a correction) and on /aanmelden/al-aangemeld/, through a copy of the page in a
// JavaScript-enabled tab (axe cannot run with JavaScript off). Screenshots: target/screenshots/e2e/.
//
// Environment: OPP_DEV_BIN (default target/debug/opp-dev), OPP_ADMIN_BIN (default target/debug/opp-admin),
// CHROMIUM_PATH. Prints ok/FAIL per check and "e2e checks: N passed, M failed"; exits 1 when any check failed.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { axeCheck, axeCheckCopy } from './lib/axe.mjs';
import { copySite, tempDir } from './lib/build-site.mjs';
import { launch } from './lib/chromium.mjs';
import { fillFormByKeyboard, focused, describe } from './lib/keyboard.mjs';
import { freePorts, oppAdminJson, startOppDev } from './lib/local-stack.mjs';
import { blockExternalRequests } from './lib/network.mjs';
import { REPO_ROOT, SCREENSHOT_DIR, repoPath } from './lib/repo.mjs';
import { createReport } from './lib/report.mjs';
import { screenshot } from './lib/screenshot.mjs';

const FULL = '2099-06-e2e-amersfoort'; // capacity 2
const ROOMY = '2099-06-e2e-apeldoorn'; // capacity 20
const SHOTS = 'e2e';
const PERSONAL = /^\/api\/registrations\/([^/?#]+)$/;

const PEOPLE = {
  A: { name: 'Joëlle van der Berg-Öztürk', email: 'joelle.e2e@example.nl', role: 'ouder', sector: 'vo', organisation: 'Basisschool De Regenboog', needs: 'Een rustige plek, graag vooraan.' },
  // Characters that must be escaped in HTML, to see them come back as text.
  B: { name: "Bram O'Neill & <Zonen>", email: 'bram.e2e@example.nl', role: 'onderwijsprofessional', sector: 'po', organisation: '', needs: '' },
  C: { name: 'Chris Jansen', email: 'chris.e2e@example.nl', role: 'leerling', sector: null, organisation: '', needs: '' },
  D: { name: 'Daan Bakker', email: 'daan.e2e@example.nl', role: 'onderwijsprofessional', sector: 'go', organisation: 'SO De Brug', needs: '' },
  E: { name: 'Eva de Vries', email: 'eva.e2e@example.nl', role: 'ouder', sector: null, organisation: '', needs: '' },
  F: { name: 'Fatima El Amrani', email: 'fatima.e2e@example.nl', role: 'vertegenwoordiger', sector: null, organisation: '', needs: '' },
};

const report = createReport();
const shots = [];

/** Shared between the steps. */
const state = {
  dev: null, // the running opp-dev
  meetings: new Map(), // id -> meetings.json entry
  personal: {}, // person -> personal page path
  statusCodes: [], // every document response: "STATUS METHOD URL"
  axeContext: null, // a browser context with JavaScript on, for axe
};

const STEP_TIMEOUT_MS = 120000;
const RUN_TIMEOUT_MS = 10 * 60000;

// ---------------------------------------------------------------------------------------------- helpers

/** What a page shows, for failure messages: status, URL, h1 and the start of <main>. */

// Where the focus is once the page's autofocus has run: Chromium applies `autofocus` in a rendering step
// after the load event, which on a busy machine can come a little later. Waits up to 2 s for `id`, then
// answers what has the focus (the element's id, or its tag).
async function focusAfterLoad(page, id) {
  await page.waitForFunction((want) => document.activeElement?.id === want, id, { timeout: 2000 }).catch(() => {});
  return page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
}
async function pageSummary(page, response) {
  const info = await page
    .evaluate(() => ({
      h1: document.querySelector('h1')?.textContent.replace(/\s+/g, ' ').trim() ?? '(no h1)',
      main: (document.querySelector('main') || document.body)?.innerText.replace(/\s+/g, ' ').trim().slice(0, 300) ?? '',
    }))
    .catch(() => ({ h1: '?', main: '?' }));
  return `${response ? `${response.status()} ` : ''}${page.url()}: h1 "${info.h1}"; text: "${info.main}"`;
}

async function mainText(page) {
  return page.evaluate(() => (document.querySelector('main') || document.body).innerText.replace(/\s+/g, ' ').trim());
}

async function h1(page) {
  return (await page.textContent('h1').catch(() => null))?.replace(/\s+/g, ' ').trim() ?? null;
}

/**
 * The request that the browser answered with `response` came through redirects: the status and Location of
 * the first one (the POST). null when there was no redirect.
 */
async function firstHop(response) {
  let req = response.request();
  while (req.redirectedFrom()) req = req.redirectedFrom();
  if (req === response.request()) return null;
  const r = await req.response();
  return { method: req.method(), url: req.url(), status: r?.status(), location: r ? await r.headerValue('location') : null };
}

async function shot(page, name) {
  shots.push(await screenshot(page, `${SHOTS}/${name}`));
}

/** axe on the no-JS page, through an identical copy in the JavaScript-enabled browser (lib/axe.mjs). */
async function axe(page, what) {
  report.check(`axe      ${what}`, await axeCheckCopy(page, state.axeContext), 'WCAG 2.1 A + AA');
}

/**
 * A page in the JavaScript-enabled tab, once the places-left script has asked /api/meetings: the text of each
 * shown [data-places] spot, the API's Cache-Control, and axe's findings on the live page. The tab is closed.
 */
async function placesWithJs(urlPath) {
  const tab = await state.axeContext.newPage();
  try {
    const [answer] = await Promise.all([
      tab.waitForResponse((r) => new URL(r.url()).pathname === '/api/meetings', { timeout: 10000 }).catch(() => null),
      tab.goto(state.dev.url(urlPath), { waitUntil: 'load' }),
    ]);
    if (answer) await tab.waitForFunction(() => document.querySelector('[data-places]:not([hidden])'), null, { timeout: 5000 }).catch(() => {});
    const spots = await tab.evaluate(() => [...document.querySelectorAll('[data-places]')].map((e) => ({ id: e.dataset.places, shown: !e.hidden, text: e.textContent })));
    return { answer: answer ? { status: answer.status(), cache: answer.headers()['cache-control'] } : null, spots, axe: await axeCheck(tab) };
  } finally {
    await tab.close();
  }
}

/** Problems when `seen` (from placesWithJs) does not show `want` for meeting `id`. */
function placesProblems(seen, id, want) {
  const problems = [];
  if (!seen.answer) return ['the places-left script never asked /api/meetings'];
  if (seen.answer.status !== 200) problems.push(`/api/meetings answered ${seen.answer.status}`);
  if (seen.answer.cache !== 'public, s-maxage=30, max-age=0') problems.push(`/api/meetings has Cache-Control "${seen.answer.cache}", expected "public, s-maxage=30, max-age=0"`);
  const spot = seen.spots.find((x) => x.id === id);
  if (!spot) problems.push(`no [data-places="${id}"] on the page`);
  else if (!spot.shown || !spot.text.endsWith(want)) problems.push(`[data-places="${id}"] shows ${spot.shown ? `"${spot.text}"` : 'nothing'}, expected "${want}"`);
  return problems;
}

/** Runs one step; an exception fails it (with opp-dev's last output lines) instead of ending the run. */
async function step(name, fn) {
  report.note(name);
  let timer;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`step did not finish within ${STEP_TIMEOUT_MS / 1000} s`)), STEP_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    const tail = state.dev ? state.dev.output().split('\n').slice(-25) : [];
    report.fail(`${name}: could not finish`, [
      ...String(err.stack || err).split('\n').slice(0, 8),
      ...(tail.length ? ['last lines of opp-dev output:', ...tail.map((l) => `  ${l}`)] : []),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function need(...people) {
  const missing = people.filter((p) => !state.personal[p]);
  if (missing.length) throw new Error(`needs the personal page of ${missing.join(', ')} from an earlier step, which failed`);
}

/**
 * Fills in the form on a meeting page with the mouse (fill, check, click), then sends it.
 * @returns {Promise<{response, hop, problems: string[]}>} hop: the POST's own answer (303 + Location) or null
 */
async function registerByMouse(page, meetingId, person, { expectPreselected = true } = {}) {
  const meeting = state.meetings.get(meetingId);
  const problems = [];
  await page.goto(state.dev.url(meeting.path), { waitUntil: 'load' });
  const form = page.locator('main form[method="post"]').first();
  const radio = form.locator(`input[name="meeting"][value="${meetingId}"]`);
  if (expectPreselected && !(await radio.isChecked())) problems.push(`meeting ${meetingId} is not preselected on its own page`);
  await radio.check();
  await form.locator('#field-name').fill(person.name);
  await form.locator('#field-email').fill(person.email);
  await form.locator(`input[name="role"][value="${person.role}"]`).check();
  if (person.sector) await form.locator(`input[name="sector"][value="${person.sector}"]`).check();
  if (person.organisation) await form.locator('#field-organisation').fill(person.organisation);
  if (person.needs) await form.locator('#field-needs').fill(person.needs);
  if (person.privacy !== false) await form.locator('#field-privacy').check();
  const choices = await meetingChoices(page);
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type="submit"]').click()]);
  return { response, hop: await firstHop(response), problems, choices };
}

/** The meeting choices of the registration form on a page, as their label text. */
function meetingChoices(page) {
  return page.evaluate(() => [...document.querySelectorAll('main form input[name="meeting"]')]
    .map((i) => `${i.value}: ${(i.labels?.[0]?.textContent || '').replace(/\s+/g, ' ').trim()}`));
}

/**
 * Checks that the browser ended on a personal page (after a 303 from the POST) in the expected state.
 * @returns {Promise<string[]>} problems
 */
async function expectPersonalPage(page, response, hop, person, { status, position } = {}) {
  const problems = [];
  const url = new URL(page.url());
  if (!hop) problems.push(`the POST was not answered with a redirect; the browser shows ${await pageSummary(page, response)}`);
  else if (hop.status !== 303) problems.push(`the POST was answered ${hop.status} (Location ${hop.location}), expected 303`);
  if (!PERSONAL.test(url.pathname)) {
    problems.push(`landed on ${await pageSummary(page, response)}, expected the personal page /api/registrations/<token>`);
    return problems;
  }
  if (response.status() !== 200) problems.push(`personal page answered ${response.status()}`);
  const cc = await response.headerValue('cache-control');
  if (!cc || !cc.includes('no-store')) problems.push(`personal page has Cache-Control "${cc}", expected no-store`);
  problems.push(...(await expectStatusText(page, person, { status, position })));
  return problems;
}

/** The personal page's heading and text for a status. */
async function expectStatusText(page, person, { status, position }) {
  const problems = [];
  const heading = await h1(page);
  const text = await mainText(page);
  if (status === 'confirmed') {
    if (heading !== 'Je bent aangemeld') problems.push(`h1 is "${heading}", expected "Je bent aangemeld"`);
    if (!/\bbevestigd\b/.test(text)) problems.push(`the page does not say "bevestigd": "${text.slice(0, 200)}"`);
    if (/wachtlijst/.test(text)) problems.push('a confirmed registration\'s page mentions the waiting list');
  } else if (status === 'waitlisted') {
    if (heading !== 'Je staat op de wachtlijst') problems.push(`h1 is "${heading}", expected "Je staat op de wachtlijst"`);
    if (!text.includes('op de wachtlijst')) problems.push(`the page does not say "op de wachtlijst": "${text.slice(0, 200)}"`);
    const want = `Je bent nummer ${position} op de wachtlijst.`;
    if (!text.includes(want)) problems.push(`the page does not say "${want}": "${text.slice(0, 300)}"`);
    if (/\bbevestigd\b/.test(text)) problems.push('a waitlisted registration\'s page says "bevestigd"');
  } else if (status === 'cancelled') {
    if (heading !== 'Je bent afgemeld') problems.push(`h1 is "${heading}", expected "Je bent afgemeld"`);
  }
  if (person && !text.includes(person.name)) problems.push(`the page does not show the name "${person.name}" (as text)`);
  return problems;
}

/** opp-admin list --meeting ID --json */
function adminList(meetingId) {
  return oppAdminJson(state.dev.storeUrl, ['list', '--meeting', meetingId, '--json']);
}

/** opp-admin summary --json, as id -> summary */
async function adminSummary() {
  const all = await oppAdminJson(state.dev.storeUrl, ['summary', '--json']);
  return new Map(all.map((m) => [m.id, m]));
}

/** Compares a registration row from opp-admin with what a person typed. */
function rowProblems(rows, person, status, meetingId) {
  const row = rows.find((r) => r.email === person.email);
  if (!row) return [`opp-admin list --meeting ${meetingId} has no registration for ${person.email} (it lists ${rows.map((r) => r.email).join(', ') || 'none'})`];
  const problems = [];
  const want = { meeting: meetingId, status, name: person.name, email: person.email, role: person.role, sector: person.sector || null, organisation: person.organisation || null, needs: person.needs || null };
  for (const [k, v] of Object.entries(want)) {
    const got = row[k] === undefined ? undefined : row[k] === '' ? null : row[k];
    if (got !== v) problems.push(`${person.email}: ${k} is ${JSON.stringify(row[k])}, expected ${JSON.stringify(v)}`);
  }
  if (!row.created_at || Number.isNaN(Date.parse(row.created_at))) problems.push(`${person.email}: created_at ${JSON.stringify(row.created_at)} is not a time`);
  return problems;
}

function counterProblems(summary, meetingId, want) {
  const m = summary.get(meetingId);
  if (!m) return [`opp-admin summary has no meeting ${meetingId} (it has ${[...summary.keys()].join(', ')})`];
  const problems = [];
  for (const [k, v] of Object.entries(want)) if (m[k] !== v) problems.push(`${meetingId}: ${k} is ${m[k]}, expected ${v}`);
  if (m.mismatch) problems.push(`${meetingId}: opp-admin reports a mismatch: ${m.mismatch}`);
  return problems;
}

async function startDev(opts) {
  const dev = await startOppDev(opts);
  state.dev = dev;
  report.ok('opp-dev  starts and prints its ready line', `${(dev.readyMs / 1000).toFixed(1)} s; site ${dev.origin}, store ${dev.storeUrl}`);
  return dev;
}

/** Runs the `cargo admin ...` command that opp-dev prints for its store, word for word, in the repository. */
async function printedAdminCommandProblems(output) {
  const match = output.match(/e\.g\. (cargo admin [^\n)]*?summary)/);
  if (!match) return [`opp-dev printed no "e.g. cargo admin ... summary" line: ${output.split('\n').slice(0, 5).join(' | ')}`];
  const [cargo, ...args] = match[1].trim().split(/\s+/);
  const r = await new Promise((resolve) => {
    execFile(cargo, args, { cwd: REPO_ROOT, timeout: 300000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => resolve({ err, stdout, stderr }));
  });
  if (r.err) return [`\`${match[1]}\` failed: ${(r.stderr || String(r.err)).trim().split('\n').slice(-3).join(' | ')}`];
  return r.stdout.includes(FULL) ? [] : [`\`${match[1]}\` did not list meeting ${FULL}: ${r.stdout.slice(0, 300)}`];
}

/** Posts to the dev server's API from `localhost` (accepted: a 422 for an empty form) and from a foreign
 * origin (400, the theme's refusal page, and a line in opp-dev's output naming both origins).
 * Returns the problems and the refusal page's HTML. */
async function originProblems(dev) {
  const problems = [];
  const port = new URL(dev.origin).port;
  const post = (origin) => fetch(`${dev.origin}/api/registrations`, {
    method: 'POST', redirect: 'manual', body: 'name=',
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
  });
  const local = await post(`http://localhost:${port}`);
  if (local.status !== 422) problems.push(`a post with Origin http://localhost:${port} was answered ${local.status}, expected 422 (the form's errors)`);
  const foreign = await post('http://andere-site.example');
  const page = await foreign.text();
  if (foreign.status !== 400) problems.push(`a post from another origin was answered ${foreign.status}, expected 400`);
  if (!page.includes('Dit kan alleen via de website') || !page.includes('<link rel="stylesheet"')) problems.push('the refusal is not the theme\'s page');
  // The log line is written while the answer is sent: look for it a few times, for at most 2 s.
  let logged;
  for (let i = 0; i < 20 && !logged; i += 1) {
    logged = dev.output().split('\n').find((l) => l.includes('post refused'));
    if (!logged) await new Promise((r) => setTimeout(r, 100));
  }
  if (!logged) problems.push('opp-dev printed no "post refused" line');
  else if (!logged.includes('andere-site.example') || !logged.includes(`localhost:${port}`)) problems.push(`the log line does not name the sent and expected origins: ${logged}`);
  return { problems, page };
}

async function stopDev(what) {
  const dev = state.dev;
  state.dev = null;
  const r = await dev.stop();
  const problems = [];
  if (r.forced) problems.push(`still running 5 s after SIGINT: killed with SIGKILL`);
  else if (r.code !== 0) problems.push(`exited with code ${r.code}${r.signal ? ` (signal ${r.signal})` : ''} after SIGINT, expected 0`);
  if (problems.length) problems.push('last lines of its output:', ...dev.output().split('\n').slice(-15).map((l) => `  ${l}`));
  report.check(`opp-dev  stops cleanly on SIGINT (${what})`, problems, `exit ${r.code} in ${r.ms} ms`);
}

// ---------------------------------------------------------------------------------------------- the steps

/** The local mailbox's messages (/_mail/), newest first: { to, subject, href }. */
async function mailbox() {
  const res = await fetch(state.dev.url('/_mail/'));
  const html = res.ok ? await res.text() : '';
  const unescape = (t) => t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  return [...html.matchAll(/<tr><td>[^<]*<\/td><td>([^<]*)<\/td><td><a href="([^"]+)">([^<]*)<\/a><\/td><\/tr>/g)]
    .map((m) => ({ to: unescape(m[1]), href: m[2], subject: unescape(m[3]) }));
}

/** The message to `who` whose subject starts with `subject`. */
function findMail(mails, who, subject) {
  return mails.find((m) => m.to.includes(`<${PEOPLE[who].email}>`) && m.subject.startsWith(subject));
}

/** Messages that arrived twice (same recipient and subject), except the link mails one may ask for again. */
function duplicateMails(mails) {
  const seen = new Map();
  for (const m of mails) {
    if (m.subject.startsWith('Je persoonlijke link')) continue;
    const key = `${m.to} | ${m.subject}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${n}× ${k}`);
}

async function main() {
  const started = Date.now();
  // A hang anywhere (browser, opp-dev, opp-admin) must not keep CI waiting: give up, and the exit hook of
  // lib/local-stack.mjs kills opp-dev.
  const watchdog = setTimeout(() => {
    report.fail(`e2e checks did not finish within ${RUN_TIMEOUT_MS / 60000} minutes`, state.dev ? state.dev.output().split('\n').slice(-25) : []);
    process.exit(report.summary('e2e checks'));
  }, RUN_TIMEOUT_MS);
  watchdog.unref();
  const tmp = await tempDir('opp-e2e-');
  const cleanups = [tmp.cleanup];
  await fs.rm(path.join(SCREENSHOT_DIR, SHOTS), { recursive: true, force: true });
  let browser;
  try {
    const root = await copySite(path.join(tmp.dir, 'site'), [
      { from: repoPath('browser', 'fixtures', 'e2e-meetings'), to: path.join('content', 'bijeenkomsten') },
    ]);
    const stateDir = path.join(tmp.dir, 'state');
    await fs.mkdir(stateDir);
    const [port, storePort] = await freePorts(2);
    const devOptions = { root, port, storePort, stateDir };

    report.note(`starting opp-dev on 127.0.0.1:${port} (store ${storePort}), state in ${stateDir}`);
    await startDev(devOptions);

    // The meetings as built: each fixture meeting's page and its status.
    {
      const res = await fetch(state.dev.url('/meetings.json'));
      const problems = [];
      if (!res.ok) throw new Error(`GET /meetings.json answered ${res.status}`);
      for (const m of (await res.json()).meetings) state.meetings.set(m.id, m);
      for (const [id, cap] of [[FULL, 2], [ROOMY, 20]]) {
        const m = state.meetings.get(id);
        if (!m) problems.push(`meetings.json has no meeting ${id}: is browser/fixtures/e2e-meetings/ laid over the site?`);
        else {
          if (m.status !== 'open') problems.push(`${id} has status ${m.status}, expected open`);
          if (m.capacity !== cap) problems.push(`${id} has capacity ${m.capacity}, expected ${cap}`);
        }
      }
      report.check('site     the fixture meetings are built and open', problems, `${FULL} (2 places), ${ROOMY} (20)`);
      if (problems.length) throw new Error('the fixture meetings are missing: nothing to register for');
      const summary = await adminSummary();
      report.check('store    opp-dev synced the meetings into the table', counterProblems(summary, FULL, { capacity: 2, confirmed: 0, waitlisted: 0, cancelled: 0, places_left: 2 }),
        `opp-admin summary: ${summary.size} meetings`);
    }

    browser = await launch({ javaScriptEnabled: false });
    cleanups.unshift(() => browser.close());
    browser.context.setDefaultTimeout(15000);
    browser.context.setDefaultNavigationTimeout(30000);
    const net = await blockExternalRequests(browser.context);
    browser.context.on('response', (r) => {
      if (r.request().resourceType() === 'document' || r.status() >= 500) state.statusCodes.push({ status: r.status(), line: `${r.status()} ${r.request().method()} ${r.url()}` });
    });
    const page = await browser.newPage();
    const jsBrowser = await launch();
    cleanups.unshift(() => jsBrowser.close());
    await blockExternalRequests(jsBrowser.context);
    state.axeContext = jsBrowser.context;

    await step('1: A registers (JavaScript off) and is confirmed', async () => {
      const a = PEOPLE.A;
      const { response, hop, problems } = await registerByMouse(page, FULL, a);
      problems.push(...(await expectPersonalPage(page, response, hop, a, { status: 'confirmed' })));
      report.check('register A: 303 to the personal page, "bevestigd"', problems, hop ? `POST ${hop.status} -> ${new URL(page.url()).pathname.replace(PERSONAL, '/api/registrations/<token>')}` : undefined);
      if (PERSONAL.test(new URL(page.url()).pathname)) state.personal.A = new URL(page.url()).pathname;
      await shot(page, '01-a-bevestigd');
      await axe(page, 'personal page, confirmed');
      const rows = await adminList(FULL);
      report.check('store    opp-admin list: A confirmed, with what A typed', [...rowProblems(rows, a, 'confirmed', FULL), ...(rows.length !== 1 ? [`${rows.length} registrations listed, expected 1`] : [])]);
      report.check('opp-dev  the organisers\' command it prints works as printed (cargo admin ...)', await printedAdminCommandProblems(state.dev.output()));
      const origins = await originProblems(state.dev);
      report.check('opp-dev  a post from localhost is the site too; one from elsewhere gets the refusal, logged', origins.problems);
      // The refusal page as a person sees it (served from the site's origin, so its stylesheet loads).
      const preview = `${state.dev.origin}/e2e-weigering/`;
      await page.route(preview, (route) => route.fulfill({ status: 400, contentType: 'text/html; charset=utf-8', body: origins.page }));
      await page.goto(preview);
      await shot(page, '01b-geweigerd');
      await axe(page, 'refusal page (post from another origin)');
      await page.unroute(preview);
    });

    await step('2: B takes the last place, C goes on the waiting list', async () => {
      const b = PEOPLE.B;
      let r = await registerByMouse(page, FULL, b);
      report.check('register B: confirmed (the meeting is now full)', [...r.problems, ...(await expectPersonalPage(page, r.response, r.hop, b, { status: 'confirmed' }))]);
      if (PERSONAL.test(new URL(page.url()).pathname)) state.personal.B = new URL(page.url()).pathname;
      await shot(page, '02-b-bevestigd');

      const c = PEOPLE.C;
      r = await registerByMouse(page, FULL, c);
      report.check('register C: "op de wachtlijst", position 1', [...r.problems, ...(await expectPersonalPage(page, r.response, r.hop, c, { status: 'waitlisted', position: 1 }))]);
      if (PERSONAL.test(new URL(page.url()).pathname)) state.personal.C = new URL(page.url()).pathname;
      await shot(page, '03-c-wachtlijst');
      await axe(page, 'personal page, waiting list');

      const rows = await adminList(FULL);
      const problems = [...rowProblems(rows, b, 'confirmed', FULL), ...rowProblems(rows, c, 'waitlisted', FULL)];
      const order = rows.map((x) => x.email).join(', ');
      const want = [PEOPLE.A, b, c].map((p) => p.email).join(', ');
      if (order !== want) problems.push(`opp-admin list order is ${order}, expected ${want} (order of arrival)`);
      report.check('store    opp-admin list: A, B confirmed, C waitlisted, in order', problems);
      report.check('store    opp-admin summary: 2 confirmed, 1 waitlisted, 0 places left',
        counterProblems(await adminSummary(), FULL, { confirmed: 2, waitlisted: 1, cancelled: 0, places_left: 0 }));
    });

    await step('2b: places left (JavaScript on): Amersfoort full, Apeldoorn 20 left; JavaScript off: the page as built', async () => {
      const full = await placesWithJs(state.meetings.get(FULL).path);
      report.check('places   Amersfoort\'s page (JavaScript on): "vol: je komt op de wachtlijst"', placesProblems(full, FULL, 'vol: je komt op de wachtlijst'));
      report.check('axe      Amersfoort\'s page with places left filled in (JavaScript on)', full.axe, 'WCAG 2.1 A + AA');
      const roomy = await placesWithJs(state.meetings.get(ROOMY).path);
      report.check('places   Apeldoorn\'s page (JavaScript on): "nog 20 plaatsen"', placesProblems(roomy, ROOMY, 'nog 20 plaatsen'));
      const form = await placesWithJs('/aanmelden/');
      const fp = [...placesProblems(form, ROOMY, ', nog 20 plaatsen'), ...placesProblems(form, FULL, ', vol: je komt op de wachtlijst').filter((x) => !x.includes('Cache-Control'))];
      report.check('places   the registration page (JavaScript on) names them in each meeting\'s label', fp);
      report.check('axe      the registration page with places left (JavaScript on)', form.axe, 'WCAG 2.1 A + AA');
      await page.goto(state.dev.url(state.meetings.get(FULL).path), { waitUntil: 'load' });
      const still = await page.evaluate(() => [...document.querySelectorAll('[data-places]')].filter((e) => !e.hidden || e.textContent).length);
      report.check('places   JavaScript off: the page as built (every spot hidden and empty)', still ? [`${still} spots shown`] : []);
      state.placesRoomy = 20;
    });

    await step('3: A\'s email again lands on "al aangemeld"', async () => {
      const again = { ...PEOPLE.A, name: 'Joëlle (nog een keer)', role: 'anders', sector: null, organisation: '', needs: '' };
      const { response, hop, problems } = await registerByMouse(page, FULL, again);
      const landed = new URL(page.url()).pathname;
      if (!hop || hop.status !== 303) problems.push(`the POST was answered ${hop ? hop.status : `${response.status()} without a redirect`}, expected 303`);
      if (landed !== '/aanmelden/al-aangemeld/') problems.push(`landed on ${await pageSummary(page, response)}, expected /aanmelden/al-aangemeld/`);
      else {
        if (response.status() !== 200) problems.push(`/aanmelden/al-aangemeld/ answered ${response.status()}`);
        const heading = await h1(page);
        if (heading !== 'Je bent al aangemeld') problems.push(`h1 is "${heading}", expected "Je bent al aangemeld"`);
      }
      report.check('register A again: 303 to /aanmelden/al-aangemeld/', problems);
      await shot(page, '04-al-aangemeld');
      await axe(page, '/aanmelden/al-aangemeld/');
      const rows = await adminList(FULL);
      const p2 = rows.length !== 3 ? [`${rows.length} registrations listed, expected still 3`] : [];
      p2.push(...rowProblems(rows, PEOPLE.A, 'confirmed', FULL)); // A's own data is unchanged
      report.check('store    the duplicate changed nothing', p2);
    });

    await step('4: validation errors: 422, error summary, links move focus, filled in again', async () => {
      const bad = { name: '', email: 'geen-e-mailadres', role: 'ouder', sector: null, privacy: false };
      const r0 = await registerByMouse(page, FULL, bad);
      const { response, hop, problems } = r0;
      if (hop) problems.push(`the POST was answered ${hop.status} -> ${hop.location}, expected a 422 page`);
      else if (response.status() !== 422) problems.push(`answered ${response.status()}, expected 422`);
      const summary = page.locator('#foutmeldingen');
      const links = (await summary.count()) ? await summary.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))) : [];
      if (!(await summary.count())) problems.push(`no error summary #foutmeldingen on ${await pageSummary(page, response)}`);
      const want = ['#field-name', '#field-email', '#field-privacy'];
      if (!isDeepStrictEqual(links, want)) problems.push(`error summary links are ${JSON.stringify(links)}, expected ${JSON.stringify(want)}`);
      report.check('errors   422 page with an error summary linking to name, email and consent', problems, `${links.length} links`);
      // NL Design System: the error summary takes the focus when the page opens (autofocus, no JavaScript).
      const openedWith = await focusAfterLoad(page, 'foutmeldingen');
      report.check('errors   the error summary has the focus when the 422 page opens', openedWith === 'foutmeldingen' ? [] : [`focus is on ${openedWith}, expected #foutmeldingen`]);

      // The form is filled in again with what was sent.
      const refill = await page.evaluate(() => ({
        meeting: document.querySelector('input[name="meeting"]:checked')?.value ?? null,
        name: document.getElementById('field-name')?.value,
        email: document.getElementById('field-email')?.value,
        role: document.querySelector('input[name="role"]:checked')?.value ?? null,
        privacy: document.getElementById('field-privacy')?.checked,
        invalid: [...document.querySelectorAll('[aria-invalid="true"]')].map((e) => e.id),
      }));
      const rp = [];
      if (refill.meeting !== FULL) rp.push(`meeting radio is ${refill.meeting}, expected ${FULL} (as sent)`);
      if (refill.email !== bad.email) rp.push(`email field has "${refill.email}", expected "${bad.email}"`);
      if (refill.name !== '') rp.push(`name field has "${refill.name}", expected empty`);
      if (refill.role !== 'ouder') rp.push(`role radio is ${refill.role}, expected ouder (as sent)`);
      if (refill.privacy) rp.push('consent box is checked, though it was not sent');
      for (const id of ['field-name', 'field-email', 'field-privacy']) if (!refill.invalid.includes(id)) rp.push(`#${id} is not aria-invalid="true"`);
      report.check('errors   the form is filled in again, wrong fields marked aria-invalid', rp);
      // The handler renders the form from the store's meetings; it should offer them as the site does.
      const again = await meetingChoices(page);
      const cm = [];
      for (let i = 0; i < Math.max(again.length, r0.choices.length); i += 1) {
        if (again[i] !== r0.choices[i]) cm.push(`the meeting page offers "${r0.choices[i] ?? '(nothing)'}", the 422 page "${again[i] ?? '(nothing)'}"`);
      }
      report.check('errors   the 422 form offers the meetings with the same text as the meeting page', cm, `${again.length} meetings`);
      await shot(page, '05a-foutmeldingen');
      await axe(page, '422 page with errors');

      // Keyboard: focus each summary link, press Enter, focus must be on its field.
      const kp = [];
      for (const href of links) {
        await page.focus(`#foutmeldingen a[href="${href}"]`);
        await page.keyboard.press('Enter');
        await page.waitForTimeout(100);
        const f = await focused(page);
        const wantId = href.slice(1);
        if (!f || f.id !== wantId) kp.push(`Enter on the summary link ${href} leaves focus on ${describe(f)}, expected #${wantId}`);
        else if (!f.visible) kp.push(`#${wantId} has focus but is not visible on screen`);
        else if (!f.focusRing) kp.push(`#${wantId} has focus but no visible focus outline`);
        if (href === '#field-email') await shot(page, '05b-focus-op-e-mailadres');
      }
      report.check('errors   Enter on each summary link moves focus to its field', kp, links.join(' '));

      // Correct the errors on the 422 page itself, choose the other meeting, and send again.
      const form = page.locator('main form[method="post"]').first();
      await form.locator(`input[name="meeting"][value="${ROOMY}"]`).check();
      await form.locator('#field-name').fill(PEOPLE.E.name);
      await form.locator('#field-email').fill(PEOPLE.E.email);
      await form.locator('#field-privacy').check();
      await shot(page, '05c-verbeterd');
      const [resp2] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type="submit"]').click()]);
      const cp = await expectPersonalPage(page, resp2, await firstHop(resp2), PEOPLE.E, { status: 'confirmed' });
      report.check('errors   corrected on the 422 page and sent again: E confirmed (Apeldoorn)', cp);
      if (PERSONAL.test(new URL(page.url()).pathname)) state.personal.E = new URL(page.url()).pathname;
      await shot(page, '05d-e-bevestigd');
      const rows = await adminList(ROOMY);
      report.check('store    opp-admin list: E confirmed for Apeldoorn', rowProblems(rows, PEOPLE.E, 'confirmed', ROOMY));
      const full = await adminList(FULL);
      report.check('store    the 422 stored nothing', full.length === 3 ? [] : [`${FULL} has ${full.length} registrations, expected 3`]);
    });

    await step('5: A cancels; the freed place goes to C', async () => {
      need('A', 'C');
      await page.goto(state.dev.url(state.personal.A), { waitUntil: 'load' });
      const cancelLink = page.locator('main a', { hasText: 'Afmelden' });
      const problems = [];
      if ((await cancelLink.count()) !== 1) throw new Error(`A's personal page has ${await cancelLink.count()} "Afmelden" links: ${await pageSummary(page)}`);
      const [r1] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), cancelLink.click()]);
      const cancelPath = `${state.personal.A}/cancel`;
      if (new URL(page.url()).pathname !== cancelPath) problems.push(`the cancel link goes to ${new URL(page.url()).pathname}, expected ${cancelPath.replace(PERSONAL, '/api/registrations/<token>')}/cancel`);
      if (r1.status() !== 200) problems.push(`the confirmation page answered ${r1.status()}: ${await pageSummary(page, r1)}`);
      const heading = await h1(page);
      if (heading !== 'Wil je je afmelden?') problems.push(`h1 is "${heading}", expected "Wil je je afmelden?"`);
      report.check('cancel   "Afmelden" on the personal page asks for confirmation (GET changes nothing)', problems);
      await shot(page, '06a-afmelden-bevestigen');
      await axe(page, 'cancel confirmation page');
      const still = await adminList(FULL);
      report.check('store    the confirmation page changed nothing', rowProblems(still, PEOPLE.A, 'confirmed', FULL));

      const confirm = page.locator('main form[method="post"] button[type="submit"]');
      const [r2] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), confirm.click()]);
      const p2 = [];
      const req = r2.request();
      let post = req;
      while (post.redirectedFrom()) post = post.redirectedFrom();
      const sent = await post.allHeaders();
      if (r2.status() !== 200) {
        p2.push(`POST ${new URL(post.url()).pathname.replace(/registrations\/[^/]+/, 'registrations/<token>')} answered ${r2.status()}: ${await pageSummary(page, r2)}`);
        p2.push(`the browser sent Origin: ${sent.origin ?? '(none)'}, Referer: ${sent.referer ?? '(none)'}`);
      } else if ((await h1(page)) !== 'Je bent afgemeld') p2.push(`after confirming: ${await pageSummary(page, r2)}; expected "Je bent afgemeld"`);
      report.check('cancel   "Ja, meld mij af" cancels: "Je bent afgemeld"', p2, `POST answered ${r2.status()}`);
      const prg = [];
      if (!req.redirectedFrom()) prg.push('the POST was answered with a page, not a redirect: a reload would send it again');
      else if (!new URL(page.url()).pathname.endsWith('/afgemeld')) prg.push(`redirected to ${new URL(page.url()).pathname}, expected .../afgemeld`);
      report.check('cancel   the result is a GET page (Post/Redirect/Get)', prg);
      await shot(page, '06b-afgemeld');
      if (r2.status() !== 200) {
        report.fail('cancel   the freed place goes to C: not checked, A was not cancelled (see above)');
        return;
      }
      await axe(page, 'cancelled page');

      // A's personal page now says cancelled; C's says confirmed.
      let r = await page.goto(state.dev.url(state.personal.A), { waitUntil: 'load' });
      report.check('cancel   A\'s personal page now says "Je bent afgemeld"', r.status() === 200 ? await expectStatusText(page, PEOPLE.A, { status: 'cancelled' }) : [`answered ${r.status()}`]);
      await shot(page, '06c-a-afgemeld');
      r = await page.goto(state.dev.url(state.personal.C), { waitUntil: 'load' });
      report.check('cancel   C\'s personal page (reloaded) now says "bevestigd"', r.status() === 200 ? await expectStatusText(page, PEOPLE.C, { status: 'confirmed' }) : [`answered ${r.status()}`]);
      await shot(page, '06d-c-bevestigd');

      report.check('store    opp-admin summary: confirmed 2, waitlisted 0, cancelled 1',
        counterProblems(await adminSummary(), FULL, { capacity: 2, confirmed: 2, waitlisted: 0, cancelled: 1, places_left: 0 }));
      const rows = await adminList(FULL);
      report.check('store    opp-admin list: A cancelled, B and C confirmed', [
        ...rowProblems(rows, PEOPLE.A, 'cancelled', FULL), ...rowProblems(rows, PEOPLE.B, 'confirmed', FULL), ...rowProblems(rows, PEOPLE.C, 'confirmed', FULL)]);
    });

    await step('5b: the emails: confirmed, waiting list, cancelled, promoted and "Link kwijt?" in the local mailbox', async () => {
      need('A', 'C');
      // Mail goes out from the table's stream, a moment after each change: poll the mailbox, bounded.
      const want = [
        ['A', 'Je aanmelding is bevestigd'],
        ['B', 'Je aanmelding is bevestigd'],
        ['C', 'Je staat op de wachtlijst'],
        ['A', 'Je bent afgemeld'],
        ['C', 'Je hebt een plaats'],
        ['A', 'Je persoonlijke link'], // step 3: registering twice sends the link again
      ];
      let mails = [];
      for (let i = 0; i < 60; i += 1) {
        mails = await mailbox();
        if (want.every(([who, subject]) => findMail(mails, who, subject))) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const missing = want.filter(([who, subject]) => !findMail(mails, who, subject)).map(([who, subject]) => `no "${subject}…" to ${who}`);
      report.check('mail     every change sent its email, once', [...missing, ...duplicateMails(mails)], `${mails.length} messages in /_mail/`);

      await page.goto(state.dev.url('/_mail/'), { waitUntil: 'load' });
      await shot(page, '06e-mailbox');
      await axe(page, 'the local mailbox');
      const confirmed = findMail(mails, 'A', 'Je aanmelding is bevestigd');
      if (confirmed) {
        await page.goto(state.dev.url(confirmed.href), { waitUntil: 'load' });
        await shot(page, '06f-mail-bevestigd');
        const html = await page.goto(state.dev.url(`${confirmed.href}/html`), { waitUntil: 'load' });
        const problems = html.status() === 200 ? [] : [`the HTML part answered ${html.status()}`];
        const href = await page.locator('a', { hasText: 'Bekijk je aanmelding' }).getAttribute('href').catch(() => null);
        if (!href || new URL(href).pathname !== state.personal.A) problems.push(`the mail's "Bekijk je aanmelding" goes to ${href}, expected A's personal page`);
        // The parts: the check-in code's QR code (shown in the HTML, by cid) and the calendar file.
        const parts = [];
        for (let i = 0; i < 4; i += 1) {
          const part = await fetch(state.dev.url(`${confirmed.href}/bijlage/${i}`));
          if (!part.ok) break;
          parts.push({ type: part.headers.get('content-type') || '', body: Buffer.from(await part.arrayBuffer()) });
        }
        const ics = (parts.find((p) => p.type.startsWith('text/calendar')) || { body: Buffer.alloc(0) }).body.toString('utf8');
        if (!ics.includes('BEGIN:VEVENT') || !ics.includes('TZID=Europe/Amsterdam')) problems.push(`no calendar file among the parts (${parts.map((p) => p.type).join(', ')})`);
        const qr = await page.locator('img[alt^="QR-code om binnen te komen"]').evaluate((img) => img.complete && img.naturalWidth).catch(() => 0);
        if (!qr) problems.push('the HTML part does not show the check-in code\'s QR code');
        report.check('mail     A\'s confirmation links to A\'s own page, shows the check-in code and carries the .ics', problems);
        await axe(page, 'email HTML (confirmed)');
      }
      const promoted = findMail(mails, 'C', 'Je hebt een plaats');
      if (promoted) {
        await page.goto(state.dev.url(`${promoted.href}/html`), { waitUntil: 'load' });
        const href = await page.locator('a', { hasText: 'Bekijk je aanmelding' }).getAttribute('href').catch(() => null);
        const problems = [];
        if (!href) problems.push('the promoted mail has no personal link');
        else {
          const r = await page.goto(href, { waitUntil: 'load' });
          if (new URL(page.url()).pathname !== state.personal.C) problems.push(`the link opens ${new URL(page.url()).pathname}, expected C's page`);
          else if (r.status() === 200) problems.push(...(await expectStatusText(page, PEOPLE.C, { status: 'confirmed' })));
        }
        report.check('mail     C, who was waiting, got "Je hebt een plaats" and its link opens C\'s page', problems);
        await axe(page, 'personal page from the promoted mail');
      }

      // "Link kwijt?" for C: the neutral page, and a mail whose link works.
      await page.goto(state.dev.url('/aanmelden/link-kwijt/'), { waitUntil: 'load' });
      await shot(page, '06h-link-kwijt');
      await axe(page, '/aanmelden/link-kwijt/');
      await page.fill('#field-email', PEOPLE.C.email);
      const [answer] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('main form button[type="submit"]')]);
      const lp = [];
      if (new URL(page.url()).pathname !== '/aanmelden/link-onderweg/') lp.push(`landed on ${await pageSummary(page, answer)}, expected /aanmelden/link-onderweg/`);
      else if (!(await mainText(page)).includes('Als dit adres bij ons bekend is')) lp.push('the neutral text is missing');
      await shot(page, '06g-link-onderweg');
      let link = null;
      for (let i = 0; i < 60 && !link; i += 1) {
        link = findMail(await mailbox(), 'C', 'Je persoonlijke link');
        if (!link) await new Promise((r) => setTimeout(r, 250));
      }
      if (!link) lp.push('no "Je persoonlijke link" mail to C');
      else {
        await page.goto(state.dev.url(`${link.href}/html`), { waitUntil: 'load' });
        const href = await page.locator('li a').first().getAttribute('href').catch(() => null);
        const r = href ? await page.goto(href, { waitUntil: 'load' }) : null;
        if (!r || new URL(page.url()).pathname !== state.personal.C) lp.push(`the link mail's link opens ${r ? new URL(page.url()).pathname : 'nothing'}, expected C's page`);
      }
      report.check('mail     "Link kwijt?" for C: the neutral page, and a mail whose link opens C\'s page', lp);
      await page.goto(state.dev.url('/aanmelden/link-onderweg/'), { waitUntil: 'load' });
      await axe(page, '/aanmelden/link-onderweg/');
    });

    await step('6: D registers with the keyboard only (JavaScript off)', async () => {
      const d = PEOPLE.D;
      const kpage = await browser.newPage();
      try {
        const meeting = state.meetings.get(ROOMY);
        await kpage.goto(state.dev.url(meeting.path), { waitUntil: 'load' });
        const run = await fillFormByKeyboard(kpage, {
          text: { name: d.name, email: d.email, organisation: d.organisation },
          radio: { role: d.role, sector: d.sector },
          checkbox: { privacy: true },
          submit: false,
        });
        const problems = [...run.problems];
        const chosen = await kpage.evaluate(() => document.querySelector('input[name="meeting"]:checked')?.value ?? null);
        if (chosen !== ROOMY) problems.push(`meeting radio is ${chosen}, expected ${ROOMY} (preselected on its page)`);
        await shot(kpage, '07a-toetsenbord-ingevuld');
        const f = await focused(kpage);
        if (!f || f.tag !== 'button') problems.push(`after filling in, focus is on ${describe(f)}, expected the submit button`);
        const [response] = await Promise.all([kpage.waitForNavigation({ waitUntil: 'load' }), kpage.keyboard.press('Enter')]);
        problems.push(...(await expectPersonalPage(kpage, response, await firstHop(response), d, { status: 'confirmed' })));
        report.check('keyboard D fills in the Apeldoorn form with Tab, typing, arrows, Space and Enter: confirmed', problems, `${run.stops.length} Tab stops in the form`);
        if (PERSONAL.test(new URL(kpage.url()).pathname)) state.personal.D = new URL(kpage.url()).pathname;
        await shot(kpage, '07b-d-bevestigd');
      } finally {
        await kpage.close();
      }
      const rows = await adminList(ROOMY);
      report.check('store    opp-admin list: D confirmed for Apeldoorn, with what D typed', rowProblems(rows, d, 'confirmed', ROOMY));
    });

    await step('6b: E corrects the details on the personal page; a new address keeps the seat', async () => {
      need('E');
      const before = (await adminSummary()).get(ROOMY);
      await page.goto(state.dev.url(state.personal.E), { waitUntil: 'load' });
      const problems = [];
      if (!(await mainText(page)).includes(PEOPLE.E.email)) problems.push(`the personal page does not show the address ${PEOPLE.E.email}`);
      const link = page.locator('main a', { hasText: 'Gegevens wijzigen' });
      if ((await link.count()) !== 1) throw new Error(`E's personal page has ${await link.count()} "Gegevens wijzigen" links: ${await pageSummary(page)}`);
      const [r1] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.click()]);
      if (r1.status() !== 200) problems.push(`the details form answered ${r1.status()}: ${await pageSummary(page, r1)}`);
      const filled = await page.evaluate(() => ({ name: document.getElementById('field-name')?.value, email: document.getElementById('field-email')?.value }));
      if (filled.name !== PEOPLE.E.name || filled.email !== PEOPLE.E.email) problems.push(`the form is filled in with ${JSON.stringify(filled)}, expected E's name and address`);
      report.check('details  the personal page shows the address; "Gegevens wijzigen" opens the form filled in', problems);
      await shot(page, '07c-gegevens-wijzigen');
      await axe(page, 'details form');

      // A typo first: the form again, its error summary focused, nothing stored.
      const form = page.locator('main form[method="post"]');
      await form.locator('#field-email').fill('eva.e2e@');
      const [r2] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type="submit"]').click()]);
      const ep = [];
      if (r2.status() !== 422) ep.push(`a bad address was answered ${r2.status()}, expected 422: ${await pageSummary(page, r2)}`);
      const focus = await focusAfterLoad(page, 'foutmeldingen');
      if (focus !== 'foutmeldingen') ep.push(`focus is on ${focus}, expected the error summary #foutmeldingen`);
      report.check('details  a bad address gives the form again (422), the error summary focused', ep);
      await axe(page, 'details form with an error');

      const corrected = { ...PEOPLE.E, email: 'eva.nieuw.e2e@example.nl', needs: 'Een plek dicht bij de deur.' };
      await page.locator('main form[method="post"] #field-email').fill(corrected.email);
      await page.locator('main form[method="post"] #field-needs').fill(corrected.needs);
      const [r3] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('main form[method="post"] button[type="submit"]').click()]);
      const cp = [];
      if (!r3.request().redirectedFrom()) cp.push('the POST was answered with a page, not a redirect: a reload would send it again');
      if (!new URL(page.url()).pathname.endsWith('/gewijzigd')) cp.push(`landed on ${await pageSummary(page, r3)}, expected .../gewijzigd`);
      const text = await mainText(page);
      for (const want of ['We hebben een e-mail gestuurd naar', 'Je bent aangemeld', corrected.email, PEOPLE.E.email, corrected.needs]) if (!text.includes(want)) cp.push(`the page does not say "${want}"`);
      const notice = await focusAfterLoad(page, 'gewijzigd');
      if (notice !== 'gewijzigd') cp.push(`focus is on ${notice}, expected the notice #gewijzigd`);
      report.check('details  stored: 303 to the personal page with a focused notice; the new address waits for its confirmation', cp);
      await shot(page, '07d-gegevens-gewijzigd');
      await axe(page, 'personal page after a correction');

      // The old address hears of it; the new one gets the link that confirms it.
      let notified = null;
      let asked = null;
      for (let i = 0; i < 60 && !(notified && asked); i += 1) {
        const mails = await mailbox();
        notified = mails.find((m) => m.to.includes(`<${PEOPLE.E.email}>`) && m.subject.startsWith('Wijziging van je e-mailadres gevraagd'));
        asked = mails.find((m) => m.to.includes(`<${corrected.email}>`) && m.subject.startsWith('Bevestig je e-mailadres'));
        if (!(notified && asked)) await new Promise((r) => setTimeout(r, 250));
      }
      const mp = [];
      if (!notified) mp.push(`no "Wijziging van je e-mailadres gevraagd" to ${PEOPLE.E.email} in /_mail/`);
      if (!asked) mp.push(`no "Bevestig je e-mailadres" to ${corrected.email} in /_mail/`);
      report.check('mail     the old address gets a notice, the new one the link that confirms', mp);
      if (!asked) throw new Error('no confirmation mail: the move cannot be confirmed');
      const message = await (await fetch(state.dev.url(asked.href))).text();
      const confirmUrl = (message.match(/https?:\/\/[^\s"<>]+\/api\/adres\/[A-Za-z0-9_-]{43}/) || [])[0];
      if (!confirmUrl) throw new Error(`the confirmation mail holds no /api/adres/ link: ${message.slice(0, 400)}`);
      const storedBefore = (await adminList(ROOMY)).some((r) => r.email === PEOPLE.E.email);
      const r4 = await page.goto(confirmUrl, { waitUntil: 'load' });
      const ap = [];
      if (r4.status() !== 200) ap.push(`the confirmation link answered ${r4.status()}`);
      if (!(await mainText(page)).includes('Bevestig je e-mailadres')) ap.push(`the link does not ask: ${await pageSummary(page, r4)}`);
      if (!storedBefore || !(await adminList(ROOMY)).some((r) => r.email === PEOPLE.E.email)) ap.push('the registration moved before the button was pressed');
      report.check('move     the link in the mail asks first (a GET changes nothing)', ap);
      await shot(page, '07e-adres-bevestigen');
      await axe(page, 'address move: confirm');
      const [r5] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('main form[method="post"] button[type="submit"]').click()]);
      const mv = [];
      if (r5.status() !== 200) mv.push(`the confirmation answered ${r5.status()}: ${await pageSummary(page, r5)}`);
      if (!(await mainText(page)).includes('Je e-mailadres is gewijzigd')) mv.push(`the page does not say "Je e-mailadres is gewijzigd": ${await pageSummary(page, r5)}`);
      report.check('move     the button moves the registration to the new address', mv);
      await shot(page, '07f-adres-bevestigd');
      await axe(page, 'address move: done');

      const rows = await adminList(ROOMY);
      const sp = rowProblems(rows, corrected, 'confirmed', ROOMY);
      if (rows.some((r) => r.email === PEOPLE.E.email)) sp.push(`the old address ${PEOPLE.E.email} is still listed`);
      const after = (await adminSummary()).get(ROOMY);
      for (const k of ['confirmed', 'waitlisted', 'cancelled', 'places_left']) if (before?.[k] !== after?.[k]) sp.push(`${ROOMY}: ${k} was ${before?.[k]}, is ${after?.[k]}: a correction must not touch the counters`);
      report.check('store    opp-admin list: E under the new address, still confirmed; the counters unchanged', sp);

      let mail = null;
      for (let i = 0; i < 60 && !mail; i += 1) {
        mail = (await mailbox()).find((m) => m.to.includes(`<${corrected.email}>`) && m.subject.startsWith('Je e-mailadres is gewijzigd'));
        if (!mail) await new Promise((r) => setTimeout(r, 250));
      }
      report.check('mail     the new address gets "Je e-mailadres is gewijzigd"', mail ? [] : [`no such mail to ${corrected.email} in /_mail/`]);
    });

    await step('6c: places left follow the registrations (JavaScript on)', async () => {
      if (state.placesRoomy === undefined) throw new Error('needs step 2b, which failed');
      const rows = await adminList(ROOMY);
      const left = 20 - rows.filter((r) => r.status === 'confirmed').length;
      const seen = await placesWithJs(state.meetings.get(ROOMY).path);
      const problems = placesProblems(seen, ROOMY, `nog ${left} plaatsen`);
      if (left === state.placesRoomy) problems.push(`nobody registered for ${ROOMY} since step 2b, so this checks no change`);
      report.check(`places   Apeldoorn's page after ${rows.length} registrations: "nog ${left} plaatsen"`, problems);
    });

    await step('7: registrations survive a restart of opp-dev', async () => {
      const before = { full: await adminList(FULL), roomy: await adminList(ROOMY), summary: await adminSummary() };
      await stopDev('before the restart');
      await startDev(devOptions);
      const after = { full: await adminList(FULL), roomy: await adminList(ROOMY), summary: await adminSummary() };
      const problems = [];
      for (const [k, id] of [['full', FULL], ['roomy', ROOMY]]) {
        if (!isDeepStrictEqual(before[k], after[k])) {
          problems.push(`${id}: opp-admin list differs after the restart`, `  before: ${JSON.stringify(before[k].map((r) => [r.email, r.status]))}`, `  after:  ${JSON.stringify(after[k].map((r) => [r.email, r.status]))}`);
        }
      }
      if (before.full.length === 0) problems.push('nothing was registered before the restart, so nothing could survive it');
      report.check('restart  opp-admin lists the same registrations after the restart', problems, `${after.full.length} + ${after.roomy.length} registrations`);
      const cp = [];
      for (const id of [FULL, ROOMY]) {
        const b = before.summary.get(id);
        const a = after.summary.get(id);
        for (const k of ['capacity', 'confirmed', 'waitlisted', 'cancelled', 'places_left']) if (b?.[k] !== a?.[k]) cp.push(`${id}: ${k} was ${b?.[k]}, is ${a?.[k]} after the restart (the meeting sync must not reset counters)`);
      }
      report.check('restart  the counters are the same after the restart and the meeting sync', cp);

      // Each personal link shows the status the store had before the restart (so this step checks persistence
      // even when an earlier step went wrong).
      const lp = [];
      const seen = [];
      for (const who of ['A', 'C', 'D']) {
        if (!state.personal[who]) continue;
        const rows = who === 'D' ? before.roomy : before.full;
        const status = rows.find((x) => x.email === PEOPLE[who].email)?.status;
        const position = status === 'waitlisted' ? rows.filter((x) => x.status === 'waitlisted').findIndex((x) => x.email === PEOPLE[who].email) + 1 : undefined;
        seen.push(`${who} ${status}`);
        const r = await page.goto(state.dev.url(state.personal[who]), { waitUntil: 'load' });
        if (r.status() !== 200) lp.push(`${who}'s personal page answered ${r.status()} after the restart: ${await pageSummary(page, r)}`);
        else lp.push(...(await expectStatusText(page, PEOPLE[who], { status, position })).map((x) => `${who}: ${x}`));
        if (who === 'C') await shot(page, '08a-c-na-herstart');
      }
      report.check('restart  the personal links still work and show the same status', lp, seen.join(', '));

      // Amersfoort is still full after the restart: a newcomer goes on the waiting list, after those already on it.
      const full = after.summary.get(FULL);
      const f = PEOPLE.F;
      const position = (full?.waitlisted ?? 0) + 1;
      const r = await registerByMouse(page, FULL, f);
      report.check(`restart  Amersfoort is still full: F goes on the waiting list, position ${position}`,
        [...r.problems, ...(await expectPersonalPage(page, r.response, r.hop, f, { status: 'waitlisted', position }))]);
      await shot(page, '08b-f-wachtlijst-na-herstart');
    });

    const ext = net.external;
    report.check('network  no request left 127.0.0.1', ext.map((u) => `blocked: ${u}`));
    const errors = state.statusCodes.filter((s) => s.status >= 500).map((s) => s.line.replace(/registrations\/[A-Za-z0-9_-]{20,}/, 'registrations/<token>'));
    report.check('network  no 5xx answer during the run', errors, `${state.statusCodes.length} documents loaded`);
  } catch (err) {
    const lines = String(err.stack || err).split('\n');
    report.fail('e2e checks could not run', lines);
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (state.dev) await stopDev('at the end').catch((e) => report.fail('opp-dev  stop', [e.message]));
    for (const c of cleanups) await c().catch(() => {});
  }
  report.note(`done in ${((Date.now() - started) / 1000).toFixed(1)} s; ${shots.length} screenshots in ${path.relative(REPO_ROOT, path.join(SCREENSHOT_DIR, SHOTS))}/`);
  process.exitCode = report.summary('e2e checks');
}

await main();
