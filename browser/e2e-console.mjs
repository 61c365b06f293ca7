// The back office (opp-console) in a real browser against `opp-dev --beheer`: signing in through the local
// OpenID provider's own form, every screen checked with axe, pa11y and the Nu HTML Checker, a keyboard-only
// run, screenshots at phone width (target/screenshots/console/), and that the public site's origin never
// receives the back office's cookie. Run: E2E_SCRIPT=browser/e2e-console.mjs bash browser/run-e2e.sh
// (scripts/test browser runs it). Environment: as browser/e2e.mjs.
import fs from 'node:fs/promises';
import path from 'node:path';
import { axeCheck } from './lib/axe.mjs';
import { startBackOffice } from './lib/back-office.mjs';
import { tempDir } from './lib/build-site.mjs';
import { launch } from './lib/chromium.mjs';
import { checkSkipLink, describe, focused } from './lib/keyboard.mjs';
import { startPa11y } from './lib/pa11y.mjs';
import { createReport } from './lib/report.mjs';
import { screenshot } from './lib/screenshot.mjs';
import { vnuCheck } from './lib/vnu.mjs';

const MEETING = '2099-07-abuse-breda';
const PHONE = { width: 375, height: 812 };
const report = createReport();

async function main() {
  const tmp = await tempDir('opp-console-');
  let dev;
  let browser;
  let pa11y;
  try {
    const stack = await startBackOffice(tmp.dir);
    dev = stack.dev;
    const { port, beheer, oidcPort } = stack;
    report.ok('opp-dev --beheer starts', `${(dev.readyMs / 1000).toFixed(1)} s`);
    const publicOrigin = dev.origin;
    report.check('opp-dev  says how to sign in', dev.output().includes(`Back office: ${beheer}/`) ? [] : [dev.output().slice(-600)]);

    // Three people through the public form, so the lists have rows.
    for (const [i, name] of ['Sanne Smit', 'Ayşe Çelik', 'Jan-Willem \'t Hart'].entries()) {
      const res = await fetch(`${publicOrigin}/api/registrations`, {
        method: 'POST', redirect: 'manual',
        headers: { origin: publicOrigin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ meeting: MEETING, name, email: `deelnemer${i}@example.nl`, role: 'ouder', organisation: 'OBS De Brug', privacy: 'ja', website: '' }).toString(),
      });
      if (res.status !== 303) throw new Error(`registering ${name}: ${res.status} ${await res.text()}`);
    }

    browser = await launch({ viewport: PHONE });
    const page = await browser.newPage();
    // The public site under `localhost`: a cookie the back office set for the parent domain (Domain=localhost)
    // would reach it; a host-only cookie of beheer.localhost does not.
    const publicSite = `http://localhost:${port}`;
    const publicCookies = [];
    const pending = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(publicSite)) return;
      pending.push(request.allHeaders().then((headers) => {
        const cookie = headers.cookie || '';
        publicCookies.push(cookie.includes('opp-beheer') ? `${request.url()}: ${cookie}` : null);
      }, () => {}));
    });

    // 1. Signing in: the provider's own form, the role's user picked as a person would.
    await page.goto(`${beheer}/bijeenkomsten/${MEETING}`);
    report.check('sign-in  goes to the provider with PKCE', page.url().startsWith(`http://127.0.0.1:${oidcPort}/oauth2/authorize`) && page.url().includes('code_challenge_method=S256') ? [] : [page.url()]);
    await page.click('button[value="bea"]');
    await page.waitForURL(`${beheer}/bijeenkomsten/${MEETING}`);
    const cookies = await browser.context.cookies(beheer);
    const session = cookies.find((c) => c.name === 'opp-beheer');
    report.check('sign-in  returns to the asked page with a host-only HttpOnly cookie',
      session && session.httpOnly && session.domain === 'beheer.localhost' && session.sameSite === 'Lax' ? [] : [JSON.stringify(cookies)]);

    // 2. Every screen: axe, Nu (saved HTML), pa11y (with the session's cookie), a phone screenshot.
    const person = await page.getAttribute('a[href*="/personen/"]', 'href');
    const screens = [
      ['overzicht', '/'],
      ['bijeenkomst', `/bijeenkomsten/${MEETING}`],
      ['bijeenkomst-zoeken', `/bijeenkomsten/${MEETING}?zoek=celik&status=confirmed&sorteer=naam`],
      ['persoon', person],
      ['afmelden-bevestigen', `${person}/afmelden`],
      ['wissen-bevestigen', `${person}/wissen`],
      ['iemand-aanmelden', `/bijeenkomsten/${MEETING}/aanmelden`],
      ['logboek', '/logboek'],
      ['deur-zoeken', `/bijeenkomsten/${MEETING}/deur?zoek=sanne`],
      ['berichten', `/bijeenkomsten/${MEETING}/berichten`],
      ['niet-gevonden', '/bestaat-niet'],
    ];
    const htmlDir = path.join(tmp.dir, 'html');
    await fs.mkdir(htmlDir);
    const files = [];
    pa11y = await startPa11y({ cookies: await browser.context.cookies(beheer) });
    for (const [name, p] of screens) {
      await page.goto(`${beheer}${p}`);
      report.check(`axe      ${name}`, await axeCheck(page));
      report.check(`pa11y    ${name}`, await pa11y.check(`${beheer}${p}`));
      const file = path.join(htmlDir, `${name}.html`);
      await fs.writeFile(file, await page.content());
      files.push([name, file]);
      await screenshot(page, `console/${name}-${PHONE.width}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      report.check(`phone    ${name} fits ${PHONE.width} px`, overflow <= 0 ? [] : [`${overflow} px wider than the screen`]);
    }
    // The form with errors, as the organiser sees it after a wrong post.
    await page.goto(`${beheer}/bijeenkomsten/${MEETING}/aanmelden`);
    await page.click('button[type="submit"].button');
    await page.waitForLoadState();
    report.check('axe      iemand-aanmelden met fouten', await axeCheck(page));
    const errorsFile = path.join(htmlDir, 'iemand-aanmelden-fouten.html');
    await fs.writeFile(errorsFile, await page.content());
    files.push(['iemand-aanmelden met fouten', errorsFile]);
    await screenshot(page, `console/iemand-aanmelden-fouten-${PHONE.width}`);
    // At the door: one tap on the search result, and the answer at a glance.
    await page.goto(`${beheer}/bijeenkomsten/${MEETING}/deur?zoek=sanne`);
    await page.click('button:has-text("Binnen: Sanne Smit")');
    await page.waitForLoadState();
    const welcome = (await page.textContent('h1')) || '';
    report.check('door     one tap checks Sanne in', welcome.includes('Welkom, Sanne') ? [] : [welcome]);
    report.check('axe      deur-welkom', await axeCheck(page));
    const doorFile = path.join(htmlDir, 'deur-welkom.html');
    await fs.writeFile(doorFile, await page.content());
    files.push(['deur-welkom', doorFile]);
    await screenshot(page, `console/deur-welkom-${PHONE.width}`);
    // A message to everyone with a seat: the preview, then sending; cargo dev's mailer sends it from the
    // stream to the local mailbox, and the progress page counts it.
    await page.goto(`${beheer}/bijeenkomsten/${MEETING}/berichten`);
    await page.check('#groep');
    await page.fill('#onderwerp', 'De zaal is veranderd');
    await page.fill('#tekst', 'We zitten in zaal 2.\nDe lift is naast de ingang.\n\nTot dinsdag!');
    await page.click('button:has-text("Bekijk het voorbeeld")');
    await page.waitForLoadState();
    const preview = (await page.textContent('main')) || '';
    report.check('message  the preview shows the text and who gets it', preview.includes('De lift is naast de ingang') && /Verstuur naar 3 personen/.test(preview) ? [] : [preview.slice(0, 400)]);
    // The mail itself in its sandboxed frame, styled as the mail is (inline styles, allowed on this page only).
    const mail = page.frameLocator('.mail-preview__frame');
    const mp = [];
    const heading = (await mail.locator('h1').textContent({ timeout: 5000 }).catch(() => '')) || '';
    if (heading.trim() !== 'De zaal is veranderd') mp.push(`the mail's heading: "${heading}"`);
    const headingColour = await mail.locator('h1').evaluate((h) => getComputedStyle(h).color).catch((e) => String(e));
    if (headingColour !== 'rgb(21, 66, 115)') mp.push(`the mail's inline styles did not apply (heading colour ${headingColour})`);
    if (!(await mail.getByText('Bekijk je aanmelding').count())) mp.push('no "Bekijk je aanmelding" button in the mail');
    report.check('message  the preview is the mail as it will be sent, in a frame, styled', mp);
    report.check('axe      bericht-voorbeeld', await axeCheck(page));
    const previewFile = path.join(htmlDir, 'bericht-voorbeeld.html');
    await fs.writeFile(previewFile, await page.content());
    files.push(['bericht-voorbeeld', previewFile]);
    await screenshot(page, `console/bericht-voorbeeld-${PHONE.width}`);
    // Scrolled to first: below the mail's frame, a plain page.click reached no element of the page.
    const sendButton = page.locator('button:has-text("Verstuur naar 3 personen")');
    await sendButton.scrollIntoViewIfNeeded();
    await sendButton.click();
    await page.waitForURL(/\/berichten\/[0-9A-Z-a-f]+$/);
    let sentText = '';
    for (let i = 0; i < 40; i += 1) {
      sentText = (await page.textContent('table[data-refresh]')) || '';
      if (/Verstuurd\s*3/.test(sentText)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
      await page.reload();
    }
    report.check('message  cargo dev\'s mailer sends it to all 3, and the page counts them', /Verstuurd\s*3/.test(sentText) ? [] : [sentText.replace(/\s+/g, ' ')]);
    report.check('axe      bericht-voortgang', await axeCheck(page));
    const progressFile = path.join(htmlDir, 'bericht-voortgang.html');
    await fs.writeFile(progressFile, await page.content());
    files.push(['bericht-voortgang', progressFile]);
    await screenshot(page, `console/bericht-voortgang-${PHONE.width}`);
    const nu = await vnuCheck(files.map(([, f]) => f));
    for (const [name, file] of files) report.check(`nu       ${name}`, nu.get(path.resolve(file)) || []);

    // 3. Keyboard only: skip link, then to "send the link again" and Enter.
    await page.goto(`${beheer}${person}`);
    report.check('keyboard skip link to the content', await checkSkipLink(page));
    let reached = null;
    for (let i = 0; i < 40; i += 1) {
      await page.keyboard.press('Tab');
      const f = await focused(page);
      if (f && f.tag === 'button' && f.text.startsWith('Stuur de persoonlijke link')) {
        reached = f;
        break;
      }
      if (f && !f.focusRing) {
        report.fail('keyboard every stop shows focus', [`${describe(f)} has no visible focus`]);
        break;
      }
    }
    if (reached) {
      await page.keyboard.press('Enter');
      await page.waitForURL(/gedaan=link/);
      const notice = await page.textContent('.notice');
      report.check('keyboard send the link again with Enter', notice.includes('opnieuw gemaild') ? [] : [notice]);
    } else {
      report.fail('keyboard send the link again with Enter', ['the button was not reached with Tab']);
    }

    // 4. The door: no downloads, no audit log. Sign out first (POST with the form token), then as dirk.
    await page.click('button:has-text("Uitloggen")');
    await page.waitForLoadState();
    report.check('sign-out ends at the provider, cookie gone', (await browser.context.cookies(beheer)).some((c) => c.name === 'opp-beheer') ? ['the session cookie is still there'] : []);
    await page.goto(`${beheer}/`);
    await page.click('button[value="dirk"]');
    await page.waitForURL(`${beheer}/`);
    const door = await page.goto(`${beheer}/logboek`);
    report.check('door     refused the audit log', door.status() === 403 ? [] : [`status ${door.status()}`]);
    await screenshot(page, `console/geen-toegang-${PHONE.width}`);

    // 5. The public site, visited in the same browser, never got the back office's cookie.
    await page.goto(`${publicSite}/`);
    await page.goto(`${publicSite}/bijeenkomsten/`);
    await Promise.all(pending);
    const leaked = publicCookies.filter(Boolean);
    report.check('cookies  the public origin never receives the back-office cookie',
      publicCookies.length === 0 ? ['no request to the public site was seen'] : leaked,
      `${publicCookies.length} requests to ${publicSite}`);
  } finally {
    if (pa11y) await pa11y.close();
    if (browser) await browser.close();
    if (dev) await dev.stop();
    await tmp.cleanup();
  }
}

main().then(
  () => process.exit(report.summary('console e2e')),
  (err) => {
    report.fail('console e2e ran to the end', [String(err.stack || err)]);
    process.exit(report.summary('console e2e'));
  },
);
