// A pull request's preview (`opp-site build --preview`, issue #28) in Chromium: every page shows the
// "Voorbeeld" banner and asks not to be indexed, the meeting and registration pages say registering is not
// possible here instead of showing the form, nothing asks the registration API, and the pages stay
// accessible (axe, WCAG 2.1 AA) with the banner, also without JavaScript, on a phone's screen. Run:
// E2E_SCRIPT=browser/preview-checks.mjs bash browser/run-e2e.sh. Screenshots: target/screenshots/preview/.
import path from 'node:path';
import fs from 'node:fs/promises';
import { axeCheck } from './lib/axe.mjs';
import { buildSite, tempDir } from './lib/build-site.mjs';
import { launch } from './lib/chromium.mjs';
import { blockExternalRequests } from './lib/network.mjs';
import { SCREENSHOT_DIR } from './lib/repo.mjs';
import { createReport } from './lib/report.mjs';
import { serveDir } from './lib/serve.mjs';

const report = createReport();
const SHOTS = path.join(SCREENSHOT_DIR, 'preview');
const PAGES = ['/', '/bijeenkomsten/', '/bijeenkomsten/zwolle/', '/aanmelden/', '/aanmelden/link-kwijt/'];

async function main() {
  await fs.mkdir(SHOTS, { recursive: true });
  const tmp = await tempDir('opp-preview-');
  let server;
  let browser;
  try {
    const out = path.join(tmp.dir, 'public');
    await buildSite({ output: out, baseUrl: 'https://pr-12.voorbeeld.example.nl', extraArgs: ['--preview'] });
    server = await serveDir(out);
    for (const javaScriptEnabled of [true, false]) {
      browser = await launch({ javaScriptEnabled, viewport: { width: 390, height: 844 } });
      await blockExternalRequests(browser.context);
      const page = await browser.newPage();
      const api = [];
      page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/api/')) api.push(r.url()); });
      for (const url of PAGES) {
        const response = await page.goto(server.url(url), { waitUntil: 'load' });
        const problems = [];
        if (!response || response.status() !== 200) problems.push(`status ${response && response.status()}`);
        const banner = page.locator('.preview-banner');
        if (!(await banner.isVisible())) problems.push('no visible Voorbeeld banner');
        else if (!(await banner.innerText()).includes('Voorbeeld')) problems.push('the banner does not say Voorbeeld');
        if ((await page.locator('meta[name="robots"][content="noindex"]').count()) !== 1) problems.push('no noindex');
        if (await page.locator('form').count()) problems.push('a form is on the page');
        if (javaScriptEnabled) problems.push(...(await axeCheck(page)));
        const label = javaScriptEnabled ? 'js on ' : 'js off';
        report.check(`preview  ${label} ${url}: banner, noindex, no form${javaScriptEnabled ? ', axe' : ''}`, problems);
        if (javaScriptEnabled && (url === '/bijeenkomsten/zwolle/' || url === '/')) {
          await page.screenshot({ path: path.join(SHOTS, `${url === '/' ? 'home' : 'zwolle'}.png`), fullPage: true });
        }
      }
      report.check(`preview  ${javaScriptEnabled ? 'js on ' : 'js off'} nothing asked the registration API`, api);
      await browser.close();
      browser = null;
    }
    const robots = await (await fetch(server.url('/robots.txt'))).text();
    report.check('preview  robots.txt shuts every crawler out', robots.includes('Disallow: /\n') && !robots.includes('Allow') ? [] : [robots]);
  } catch (err) {
    report.fail('preview  the run stopped', [err.message.split('\n').slice(0, 12).join('\n')]);
  } finally {
    if (browser) await browser.close();
    if (server) await server.close();
    await tmp.cleanup();
  }
  process.exit(report.summary('preview checks'));
}

await main();
