// Browser, accessibility and HTML checks of the static site (issue #3). Run: bash browser/run.sh
//
// Builds two sites with opp-site and serves each on 127.0.0.1:
//   real    the real site (config.yaml, content/, theme/); its meetings are in the past, so forms are closed
//   future  a temporary copy of the real site with browser/fixtures/future-meetings/*.md laid over
//           content/bijeenkomsten/ (meetings in 2099), so the registration form is open
// and checks every page (each index.html and the 404 page):
//   html      Nu HTML Checker (vnu.jar --errors-only): 0 errors
//   axe       axe-core, tags wcag2a wcag2aa wcag21a wcag21aa: 0 violations
//   pa11y     pa11y with HTML_CodeSniffer (WCAG2AA): 0 errors
//   load      status 200 (404 page: 404), no broken resources, no script errors, no requests leaving 127.0.0.1
//   places    where a page has places-left spots ([data-places]): the static server has no /api/meetings (404,
//             not counted as broken), and the page stays as built: every spot still hidden and empty; its one
//             script is deferred, from the site, and at most 2 KB
//   skiplink  the first Tab reaches a visible skip link; Enter moves focus to <main>
//   reflow    no horizontal scrolling at 320 CSS px (WCAG 1.4.10)
// plus, per site: the home page's weight (gzip HTML + CSS <= 30 KB), screenshots (home, a meeting, the
// registration page, a poster; 375 and 1280 px, poster also as print and PDF) in target/screenshots/site/,
// every poster printing on one A4 page,
// and, where the form is open, filling in and sending the form with the keyboard only and JavaScript off.
//
// Prints one line per check ("ok   ..." / "FAIL ..." with the page and the rule), then
// "site checks: N passed, M failed"; exits 1 when any check failed.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { axeCheck } from './lib/axe.mjs';
import { buildSite, copySite, tempDir } from './lib/build-site.mjs';
import { launch } from './lib/chromium.mjs';
import { checkSkipLink, fillFormByKeyboard } from './lib/keyboard.mjs';
import { blockExternalRequests } from './lib/network.mjs';
import { startPa11y } from './lib/pa11y.mjs';
import { listPages } from './lib/pages.mjs';
import { REPO_ROOT, SCREENSHOT_DIR, repoPath } from './lib/repo.mjs';
import { createReport } from './lib/report.mjs';
import { screenshot } from './lib/screenshot.mjs';
import { readBody, serveDir } from './lib/serve.mjs';
import { vnuCheck } from './lib/vnu.mjs';

const HOME_BUDGET = 30 * 1024; // bytes, gzip-compressed HTML + CSS of the home page
const WIDTHS = [375, 1280];
const REFLOW_WIDTH = 320;
const ENDPOINT = '/api/registrations';
const RECEIVED = '/aanmelden/ontvangen/';

const report = createReport();
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const label = (check, site, url) => `${check.padEnd(9)}${site.padEnd(7)}${url}`;

/** Builds both sites into a temporary folder. */
async function buildSites(tmp) {
  const real = { name: 'real', out: path.join(tmp, 'real') };
  await buildSite({ root: REPO_ROOT, output: real.out });
  const future = { name: 'future', out: path.join(tmp, 'future') };
  const src = await copySite(path.join(tmp, 'future-src'), [
    { from: repoPath('browser', 'fixtures', 'future-meetings'), to: path.join('content', 'bijeenkomsten') },
  ]);
  await buildSite({ root: src, output: future.out });
  for (const site of [real, future]) {
    // The editing screen (/admin/, Decap CMS) is no public page: a JavaScript application for editors that
    // is not built here (its bundle comes from cms/node_modules), with its own CSP. browser/e2e-cms.mjs
    // checks it; the public-page checks (Nu checker, axe, pa11y, offline) leave it out.
    const all = await listPages(site.out);
    site.pages = all.filter((p) => !p.url.startsWith('/admin/'));
    site.skipped = all.length - site.pages.length;
    for (const p of site.pages) p.hash = crypto.createHash('sha256').update(await fs.readFile(p.file)).digest('hex');
    site.meetings = JSON.parse(await fs.readFile(path.join(site.out, 'meetings.json'), 'utf8')).meetings;
  }
  // Both builds use the same theme (same CSS), so a future page with exactly the same HTML as the real one
  // gives the same results: check it once.
  const realHash = new Map(real.pages.map((p) => [p.url, p.hash]));
  future.same = future.pages.filter((p) => realHash.get(p.url) === p.hash);
  future.pages = future.pages.filter((p) => realHash.get(p.url) !== p.hash);
  real.same = [];
  return [real, future];
}

/** The URL to load for a listed page: the 404 page through a URL that does not exist. */
function loadUrl(p) {
  return p.url === '/404.html' ? '/deze-pagina-bestaat-niet/' : p.url;
}

/** A4 minus the 15 mm @page margins of print.css, in CSS px (96 dpi): the area a printed poster gets. */
const A4_PRINTABLE = { width: 680, height: 1009 };

/** Prints the page as an A4 PDF (print media, the CSS @page size) and counts its pages. */
async function printedPages(page, pdfFile) {
  await page.emulateMedia({ media: 'print' });
  try {
    const pdf = await page.pdf({ path: pdfFile, format: 'A4', printBackground: true, preferCSSPageSize: true });
    return (pdf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) || []).length;
  } finally {
    await page.emulateMedia({ media: null });
  }
}

/** Loads one page and runs the in-browser checks on it. Returns [{name, problems, note}]. */
async function checkPage(browser, net, server, site, p) {
  const results = [];
  const page = await browser.newPage();
  const broken = [];
  const scriptErrors = [];
  const placesApi = [];
  page.on('response', (r) => {
    // The places-left script asks the function, which a static server does not have: that is the failing
    // API the page must survive (checked below), not a broken resource.
    if (new URL(r.url()).pathname === '/api/meetings') placesApi.push(r.status());
    else if (r.status() >= 400 && r.request().resourceType() !== 'document') broken.push(`${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    if (!r.failure()?.errorText.includes('BLOCKED')) broken.push(`failed ${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on('pageerror', (e) => scriptErrors.push(e.message));
  try {
    net.take();
    const want = p.url === '/404.html' ? 404 : 200;
    const resp = await page.goto(server.url(loadUrl(p)), { waitUntil: 'load' });
    const load = [];
    if (resp.status() !== want) load.push(`status ${resp.status()}, expected ${want}`);
    for (const b of broken) load.push(`broken resource: ${b}`);
    for (const e of scriptErrors) load.push(`script error: ${e}`);
    for (const u of net.take()) load.push(`request leaves 127.0.0.1: ${u}`);
    results.push({ name: label('load', site.name, p.url), problems: load });

    const spots = await page.locator('[data-places]').count();
    if (spots > 0) {
      if (!placesApi.length) await page.waitForResponse((r) => new URL(r.url()).pathname === '/api/meetings', { timeout: 5000 }).catch(() => {});
      await page.waitForTimeout(100);
      const shown = await page.evaluate(() => [...document.querySelectorAll('[data-places]')].filter((e) => !e.hidden || e.textContent).map((e) => e.outerHTML));
      const problems = shown.map((html) => `shown although the API failed: ${html}`);
      if (!placesApi.length) problems.push('the places-left script never asked /api/meetings');
      // The only public script: small, deferred, from the site itself.
      const scripts = await page.evaluate(() => [...document.scripts].map((e) => ({ src: e.src, defer: e.defer, inline: !e.src })));
      for (const x of scripts) {
        if (x.inline) problems.push('an inline script (the CSP allows none)');
        else if (!x.defer) problems.push(`${x.src} is not loaded with defer`);
        else if (new URL(x.src).origin !== new URL(page.url()).origin) problems.push(`${x.src} comes from another site`);
        else {
          const bytes = (await (await fetch(x.src)).arrayBuffer()).byteLength;
          if (bytes > 2048) problems.push(`${x.src} is ${bytes} bytes, over the 2 KB budget`);
        }
      }
      results.push({ name: label('places', site.name, p.url), problems, note: `${spots} spots, API answered ${placesApi.join(', ') || 'nothing'}` });
    }

    results.push({ name: label('axe', site.name, p.url), problems: await axeCheck(page) });

    // A skip link is needed where navigation comes before the main content (every page but the poster).
    if (await page.$('body > header nav, body > nav')) {
      results.push({ name: label('skiplink', site.name, p.url), problems: await checkSkipLink(page) });
    }

    await page.setViewportSize({ width: REFLOW_WIDTH, height: 640 });
    const overflow = await page.evaluate(() => {
      const doc = document.documentElement;
      if (doc.scrollWidth <= doc.clientWidth + 1) return [];
      const vw = doc.clientWidth;
      const name = (el) => `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).trim().split(/\s+/).join('.')}` : ''}`;
      const culprits = [];
      // Text that does not wrap (a long word or URL) ...
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n && culprits.length < 5; n = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(n);
        const right = range.getBoundingClientRect().right;
        if (right > vw + 1) culprits.push(`text "${n.textContent.trim().slice(0, 40)}" in ${name(n.parentElement)} (right edge ${Math.round(right)} px)`);
      }
      // ... or a box that is too wide.
      for (const el of document.body.querySelectorAll('*')) {
        if (culprits.length >= 5) break;
        const right = el.getBoundingClientRect().right;
        if (right > vw + 1 && ![...el.children].some((c) => c.getBoundingClientRect().right > vw + 1) && !el.textContent.trim()) {
          culprits.push(`${name(el)} (right edge ${Math.round(right)} px)`);
        }
      }
      return [`page is ${doc.scrollWidth} px wide at ${vw} px, so it scrolls sideways: ${culprits.join('; ') || 'cause not found'}`];
    });
    results.push({ name: label('reflow', site.name, p.url), problems: overflow, note: `${REFLOW_WIDTH} px` });

    if (p.url.endsWith('/poster/')) {
      const pages = await printedPages(page);
      results.push({ name: label('print', site.name, p.url), problems: pages === 1 ? [] : [`poster prints on ${pages} A4 pages, expected 1`], note: '1 A4 page' });
    }
  } catch (err) {
    results.push({ name: label('page', site.name, p.url), problems: [`could not check: ${err.message.split('\n')[0]}`] });
  } finally {
    await page.close();
  }
  return results;
}

/** pa11y over every page of a site. Returns [{name, problems}]. */
async function pa11ySite(pa11y, server, site) {
  const results = [];
  for (const p of site.pages) {
    const name = label('pa11y', site.name, p.url);
    try {
      results.push({ name, problems: await pa11y.check(server.url(loadUrl(p))) });
    } catch (err) {
      results.push({ name, problems: [`pa11y could not run: ${err.message.split('\n')[0]}`] });
    }
  }
  return results;
}

/** The home page: gzip size of HTML + CSS, and every request stays on 127.0.0.1. */
async function checkHomeWeight(browser, net, server, site) {
  const page = await browser.newPage();
  const bodies = [];
  page.on('response', (r) => {
    const type = r.request().resourceType();
    bodies.push(r.body().then((b) => ({ type, url: r.url(), raw: b.length, gz: zlib.gzipSync(b, { level: 9 }).length })).catch(() => null));
  });
  try {
    net.take();
    await page.goto(server.url('/'), { waitUntil: 'load' });
    const all = (await Promise.all(bodies)).filter(Boolean);
    const html = all.filter((b) => b.type === 'document').reduce((s, b) => s + b.gz, 0);
    const css = all.filter((b) => b.type === 'stylesheet').reduce((s, b) => s + b.gz, 0);
    const other = all.filter((b) => b.type !== 'document' && b.type !== 'stylesheet').reduce((s, b) => s + b.gz, 0);
    const problems = [];
    if (html + css > HOME_BUDGET) problems.push(`HTML ${kb(html)} + CSS ${kb(css)} gzip = ${kb(html + css)}, over the ${kb(HOME_BUDGET)} budget`);
    if (css === 0) problems.push('no stylesheet was loaded');
    report.check(label('weight', site.name, '/'), problems,
      `HTML ${kb(html)} + CSS ${kb(css)} = ${kb(html + css)} gzip, budget ${kb(HOME_BUDGET)}; images ${kb(other)}; ${all.length} requests`);
    const ext = net.take();
    report.check(label('offline', site.name, '/'), ext.map((u) => `request leaves 127.0.0.1: ${u}`), 'no request leaves 127.0.0.1');
  } finally {
    await page.close();
  }
}

/** Pages to photograph: home, a meeting (an open one if any), the registration page, that meeting's poster. */
function screenshotPages(site) {
  const meeting = site.meetings.find((m) => m.status === 'open') || site.meetings[0];
  const pages = [{ name: 'home', url: '/' }, { name: 'form', url: '/aanmelden/' }];
  if (meeting) {
    pages.splice(1, 0, { name: 'meeting', url: meeting.path });
    pages.push({ name: 'poster', url: `${meeting.path}poster/` });
  }
  return pages;
}

/** Full-page screenshots at each width; the poster also as print (screenshot + one-page A4 PDF). */
async function takeScreenshots(browser, server, site) {
  const written = [];
  const page = await browser.newPage();
  try {
    for (const s of screenshotPages(site)) {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 800 });
        await page.goto(server.url(s.url), { waitUntil: 'load' });
        written.push(await screenshot(page, `site/${site.name}-${s.name}-${width}`));
      }
      if (s.name === 'poster') {
        // As printed: print media in the printable area of an A4 page; and the PDF itself.
        await page.setViewportSize(A4_PRINTABLE);
        await page.emulateMedia({ media: 'print' });
        written.push(await screenshot(page, `site/${site.name}-poster-print`));
        await page.emulateMedia({ media: null });
        const pdfFile = path.join(SCREENSHOT_DIR, 'site', `${site.name}-poster.pdf`);
        await printedPages(page, pdfFile);
        written.push(pdfFile);
      }
    }
  } finally {
    await page.close();
  }
  report.ok(label('shots', site.name, ''), `${written.length} screenshots and PDFs in ${path.relative(REPO_ROOT, path.join(SCREENSHOT_DIR, 'site'))}/`);
}

/**
 * With JavaScript off: fill in and send the registration form by keyboard, on the registration page (choosing
 * a meeting) and on an open meeting's page (meeting preselected, only required fields). The test server records
 * the POST and answers like the handler: 303 to /aanmelden/ontvangen/.
 */
async function checkKeyboardForm(server, posts, site) {
  const open = site.meetings.filter((m) => m.status === 'open');
  if (open.length === 0) {
    report.fail(label('form', site.name, '/aanmelden/'), ['no open meeting in this build: the registration form cannot be checked']);
    return;
  }
  const noJs = await launch({ javaScriptEnabled: false });
  try {
    const chosen = open[open.length > 1 ? 1 : 0];
    const flows = [
      {
        url: '/aanmelden/',
        answers: {
          radio: { meeting: chosen.id, role: 'ouder', sector: 'vo' },
          text: { name: 'Joëlle van der Berg-Öztürk', email: 'joelle@example.nl', organisation: 'Basisschool De Regenboog', needs: 'Een rustige plek, graag vooraan.' },
          checkbox: { privacy: true },
        },
        expect: {
          meeting: chosen.id, name: 'Joëlle van der Berg-Öztürk', email: 'joelle@example.nl', role: 'ouder', sector: 'vo',
          organisation: 'Basisschool De Regenboog', needs: 'Een rustige plek, graag vooraan.', privacy: 'ja', website: '',
        },
      },
      {
        url: open[0].path,
        answers: {
          radio: { role: 'onderwijsprofessional' },
          text: { name: 'Sam de Jong', email: 'sam@example.nl' },
          checkbox: { privacy: true },
        },
        expect: {
          meeting: open[0].id, name: 'Sam de Jong', email: 'sam@example.nl', role: 'onderwijsprofessional',
          organisation: '', needs: '', privacy: 'ja', website: '',
        },
      },
    ];
    for (const flow of flows) {
      const name = label('keyboard', site.name, `${flow.url} form, JavaScript off`);
      const page = await noJs.newPage();
      try {
        posts.length = 0;
        await page.goto(server.url(flow.url), { waitUntil: 'load' });
        const run = await fillFormByKeyboard(page, flow.answers);
        const problems = [...run.problems];
        if (run.submitted) {
          if (posts.length !== 1) problems.push(`expected 1 POST to ${ENDPOINT}, got ${posts.length}`);
          else {
            const post = posts[0];
            const fields = new URLSearchParams(post.body);
            if (!String(post.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
              problems.push(`POST content-type is ${post.headers['content-type']}, expected application/x-www-form-urlencoded`);
            }
            if (post.headers.origin !== server.origin) problems.push(`POST has Origin ${post.headers.origin}, expected ${server.origin} (the handler checks it)`);
            for (const [k, v] of Object.entries(flow.expect)) {
              if (fields.getAll(k).length !== 1) problems.push(`field ${k}: sent ${fields.getAll(k).length} times, expected once`);
              else if (fields.get(k) !== v) problems.push(`field ${k}: sent "${fields.get(k)}", expected "${v}"`);
            }
            const allowed = new Set(['meeting', 'name', 'email', 'role', 'sector', 'organisation', 'needs', 'privacy', 'website']);
            for (const k of fields.keys()) if (!allowed.has(k)) problems.push(`unexpected field ${k} in the POST`);
            if (!('sector' in flow.expect) && fields.has('sector')) problems.push(`sector sent ("${fields.get('sector')}") though none was chosen`);
          }
          const landed = new URL(page.url()).pathname;
          if (landed !== RECEIVED) problems.push(`after sending, the browser is on ${landed}, expected ${RECEIVED}`);
        }
        report.check(name, problems, `${run.stops.length} Tab stops in the form, POST ${ENDPOINT} with the expected fields`);
      } catch (err) {
        report.fail(name, [`could not check: ${err.message.split('\n')[0]}`]);
      } finally {
        await page.close();
      }
    }
  } finally {
    await noJs.close();
  }
}

async function main() {
  const started = Date.now();
  const tmp = await tempDir('opp-site-checks-');
  const cleanups = [tmp.cleanup];
  try {
    report.note('building the real site and the future-meetings fixture with opp-site');
    const sites = await buildSites(tmp.dir);
    for (const s of sites) {
      const open = s.meetings.filter((m) => m.status === 'open').length;
      const same = s.same.length ? `; ${s.same.length} more pages have the same HTML as in the real site and are checked there` : '';
      const admin = s.skipped ? `; /admin/ (the editing screen, Decap CMS) is left out of the public-page checks: browser/e2e-cms.mjs checks it` : '';
      report.note(`${s.name}: ${s.pages.length} pages to check, ${s.meetings.length} meetings (${open} open)${same}${admin}`);
    }

    // The HTML checker runs once over every page of both sites, in parallel with the browser checks.
    const vnu = vnuCheck(sites.flatMap((s) => s.pages.map((p) => p.file))).catch((err) => err);
    vnu.catch(() => {});

    const browser = await launch();
    cleanups.unshift(browser.close);
    browser.context.setDefaultTimeout(15000);
    const net = await blockExternalRequests(browser.context);
    const pa11y = await startPa11y();
    cleanups.unshift(pa11y.close);

    for (const site of sites) {
      const posts = [];
      const server = await serveDir(site.out, {
        async handle(req, res) {
          if (req.method !== 'POST') return false;
          if (new URL(req.url, 'http://x').pathname !== ENDPOINT) {
            res.writeHead(404).end();
            return true;
          }
          posts.push({ headers: req.headers, body: await readBody(req) });
          res.writeHead(303, { location: RECEIVED }).end();
          return true;
        },
      });
      cleanups.unshift(server.close);
      report.note(`${site.name} site on ${server.origin}`);

      const pa11yDone = pa11ySite(pa11y, server, site);
      const pageResults = [];
      for (const p of site.pages) pageResults.push(...(await checkPage(browser, net, server, site, p)));
      for (const r of pageResults) report.check(r.name, r.problems, r.note);
      for (const r of await pa11yDone) report.check(r.name, r.problems);

      await checkHomeWeight(browser, net, server, site);
      await takeScreenshots(browser, server, site);
      if (site.name === 'future') await checkKeyboardForm(server, posts, site);
      else report.note('real site: every meeting is in the past, so the keyboard form check runs on the future site');
    }

    const byFile = await vnu;
    if (byFile instanceof Error) report.fail(label('html', 'all', ''), [byFile.message]);
    else {
      for (const site of sites) {
        for (const p of site.pages) report.check(label('html', site.name, p.url), byFile.get(path.resolve(p.file)) || []);
      }
    }
  } catch (err) {
    report.fail('site checks could not run', String(err.stack || err).split('\n'));
  } finally {
    for (const c of cleanups) await c().catch(() => {});
  }
  report.note(`done in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${path.relative(REPO_ROOT, path.join(SCREENSHOT_DIR, 'site'))}/`);
  process.exitCode = report.summary('site checks');
}

await main();
