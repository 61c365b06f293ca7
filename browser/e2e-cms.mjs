// The editing screen end to end (issue #17), in Chromium with JavaScript on for this page only. Run:
// bash browser/run-e2e-cms.sh
//
// Copies the real site to a temporary folder, starts `opp-dev --cms` on free ports (decap-server from
// browser/node_modules writes into the copy's content/), and then:
//   1  the editing screen opens on its own origin (http://redactie.localhost:PORT/) in Dutch; signing in
//      to the local backend lists the meetings
//   2  a new meeting with a wrong id and a wrong date: Decap refuses to publish, with the generator's
//      Dutch hints, and no file is written
//   3  corrected and published: the file appears in content/bijeenkomsten/, `opp-site build` accepts it
//      (the preview rebuilds), and the new meeting page is served, open for registration
//   4  the built config.yml is the local variant (local_backend, no editorial workflow); the public origin
//      serves no editing screen (/admin/ is 404); everything ran under the editing screen's
//      Content-Security-Policy (the one CloudFront
//      sends, plus the local backend) with nothing blocked
// Screenshots: target/screenshots/cms/. Prints ok/FAIL per check and "cms checks: N passed, M failed".
import fs from 'node:fs/promises';
import path from 'node:path';
import { copySite, tempDir } from './lib/build-site.mjs';
import { launch } from './lib/chromium.mjs';
import { freePorts, startOppDev } from './lib/local-stack.mjs';
import { blockExternalRequests } from './lib/network.mjs';
import { SCREENSHOT_DIR } from './lib/repo.mjs';
import { createReport } from './lib/report.mjs';

const report = createReport();
const SHOTS = path.join(SCREENSHOT_DIR, 'cms');
const MEETING = { title: 'Regiobijeenkomst Leeuwarden', id: '2099-03-leeuwarden', date: '2099-03-10', start: '13:00',
  venue: 'Oldehove', city: 'Leeuwarden', capacity: '30' };
const FILE = path.join('content', 'bijeenkomsten', 'regiobijeenkomst-leeuwarden.md');

/** Types `value` into Decap's field `name` (its inputs are `<name>-field-<n>`), replacing what is there. */
async function type(page, name, value) {
  const input = page.locator(`[id^="${name}-field-"]`).first();
  await input.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await input.pressSequentially(value);
}

async function publish(page) {
  await page.getByRole('button', { name: 'Publiceer' }).first().click();
  await page.getByRole('menuitem', { name: 'Publiceer nu' }).click();
}

async function exists(file) {
  return fs.access(file).then(() => true, () => false);
}

async function main() {
  await fs.mkdir(SHOTS, { recursive: true });
  const tmp = await tempDir('opp-cms-');
  const root = await copySite(path.join(tmp.dir, 'site'));
  const [port, storePort, cmsPort, editingPort] = await freePorts(4);
  // Chromium resolves *.localhost to loopback; Node's fetch does not, so it asks the same server by address.
  const screen = `http://redactie.localhost:${editingPort}/`;
  const direct = (p) => `http://127.0.0.1:${editingPort}${p}`;
  let dev;
  let browser;
  try {
    dev = await startOppDev({ root, port, storePort, stateDir: path.join(tmp.dir, 'state'), extraArgs: ['--cms', '--cms-port', String(cmsPort), '--editing-port', String(editingPort)] });
    report.check('opp-dev  --cms starts and names the editing screen on its own origin', dev.output().includes(screen) ? [] : [`no "Editing screen: ${screen}" line`], `decap-server on ${cmsPort}`);
    browser = await launch();
    await blockExternalRequests(browser.context);
    const page = await browser.newPage();
    page.setDefaultTimeout(20000);
    const errors = [];
    // Decap answers a refused publish (its own validation, step 2) with a rejected promise that carries no
    // error at all; anything with a message is a real script error.
    const blocked = [];
    page.on('console', (m) => {
      if (/Content Security Policy/.test(m.text())) blocked.push(m.text().slice(0, 200));
    });
    page.on('pageerror', (e) => {
      if (e.message && e.message !== 'undefined') errors.push(e.message);
    });

    // 1. Dutch, signed in to the local backend, the meetings listed.
    await page.goto(screen, { waitUntil: 'load' });
    await page.getByRole('button', { name: 'Inloggen' }).click();
    await page.getByText('Regiobijeenkomst Zwolle').first().waitFor();
    const text = await page.locator('body').innerText();
    report.check('cms      the editing screen in Dutch lists the meetings after signing in', ['Bijeenkomsten', "Pagina's", 'Regiobijeenkomst Zwolle'].filter((t) => !text.includes(t)).map((t) => `"${t}" not shown`));
    await page.screenshot({ path: path.join(SHOTS, '01-overzicht.png') });

    // 2. Wrong id and date: refused with the generator's hints, nothing written.
    await page.goto(`${screen}#/collections/bijeenkomsten/new`, { waitUntil: 'load' });
    await type(page, 'title', MEETING.title);
    await type(page, 'id', 'Leeuwarden maart');
    await type(page, 'date', '10-03-2099');
    for (const f of ['venue', 'city', 'capacity']) await type(page, f, MEETING[f]);
    await publish(page);
    await page.getByText(/komt niet overeen met het patroon/i).first().waitFor();
    const refused = await page.locator('body').innerText();
    const rp = [];
    for (const hint of ['Alleen kleine letters a-z, cijfers en streepjes', 'Schrijf de datum als jaar-maand-dag']) {
      if (!refused.toLowerCase().includes(`komt niet overeen met het patroon: ${hint.toLowerCase()}`)) rp.push(`no refusal with "${hint}"`);
    }
    await page.waitForTimeout(500);
    if (await exists(path.join(root, FILE))) rp.push(`${FILE} was written although the form was refused`);
    report.check('cms      a wrong id and date are refused with the Dutch hints, nothing written', rp);
    await page.screenshot({ path: path.join(SHOTS, '02-geweigerd.png'), fullPage: true });

    // 3. Corrected and published: the file, the build, the page.
    await type(page, 'id', MEETING.id);
    await type(page, 'date', MEETING.date);
    await type(page, 'start', MEETING.start);
    await publish(page);
    await page.getByText('Gepubliceerd').first().waitFor();
    const fp = [];
    let written = '';
    for (let i = 0; i < 40 && !written; i += 1) {
      written = await fs.readFile(path.join(root, FILE), 'utf8').catch(() => '');
      if (!written) await new Promise((r) => setTimeout(r, 250));
    }
    if (!written) fp.push(`${FILE} did not appear`);
    for (const line of [`id: ${MEETING.id}`, `date: ${MEETING.date}`, `city: ${MEETING.city}`, `capacity: ${MEETING.capacity}`, "template: meeting.html"]) {
      if (written && !written.includes(line)) fp.push(`${FILE} lacks "${line}":\n${written}`);
    }
    report.check('cms      published: the meeting file is in content/bijeenkomsten/', fp);
    await page.screenshot({ path: path.join(SHOTS, '03-gepubliceerd.png') });

    const url = dev.url('/bijeenkomsten/regiobijeenkomst-leeuwarden/');
    let served = null;
    for (let i = 0; i < 60; i += 1) {
      served = await fetch(url).catch(() => null);
      if (served && served.ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const html = served && served.ok ? await served.text() : '';
    const sp = [];
    if (!html) sp.push(`${url} answered ${served ? served.status : 'nothing'}: the rebuild did not accept the file (${dev.output().split('\n').slice(-5).join(' | ')})`);
    else {
      if (!html.includes(`<h1>${MEETING.title}</h1>`)) sp.push('the page lacks its title');
      if (!html.includes(`value="${MEETING.id}"`)) sp.push('the page has no open registration form for the new meeting');
    }
    report.check('build    opp-site accepts it and serves the new meeting page, open for registration', sp);

    // 4. The local variant of the configuration.
    const config = await (await fetch(direct('/config.yml'))).text();
    const cp = [];
    if (!config.includes(`url: http://127.0.0.1:${cmsPort}/api/v1`)) cp.push('no local_backend url with the --cms-port');
    if (config.includes('editorial_workflow')) cp.push('the local screen has the editorial workflow (decap-server writes files)');
    if (!config.includes('locale: nl')) cp.push('not in Dutch');
    if (!config.includes('- redactie.localhost')) cp.push('the local backend is not allowed on redactie.localhost');
    report.check('cms      config.yml: local backend on 127.0.0.1, Dutch', cp);
    const publicAdmin = await fetch(dev.url('/admin/'));
    report.check('serve    the public origin serves no editing screen (/admin/ is 404, as in production)',
      publicAdmin.status === 404 ? [] : [`/admin/ on the public origin answered ${publicAdmin.status}`]);
    report.check('cms      no script errors in the editing screen', errors.map((e) => `script error: ${e}`));
    // The screen ran under the policy CloudFront gives the editing screen's origin (opp-dev sends the same).
    const csp = (await fetch(direct('/'))).headers.get('content-security-policy') || '';
    const pp = [...blocked];
    if (!csp.includes("script-src 'self' 'unsafe-eval'") || !csp.includes(`connect-src 'self' http://127.0.0.1:${cmsPort} https://api.github.com`)) pp.push(`the screen has CSP "${csp}"`);
    report.check('csp      the screen works under its own policy, nothing blocked', pp);
  } catch (err) {
    report.fail('cms      the run stopped', [err.message.split('\n').slice(0, 12).join('\n'), ...(dev ? dev.output().split('\n').slice(-15) : [])]);
  } finally {
    if (browser) await browser.close();
    if (dev) await dev.stop();
    await tmp.cleanup();
  }
  process.exit(report.summary('cms checks'));
}

await main();
