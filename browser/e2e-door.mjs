// The door's check-in screen in a real browser with a fake camera, against `opp-dev --beheer`: the QR code the
// personal page draws for a real registration becomes a y4m video (Chromium's --use-file-for-fake-video-capture),
// the screen scans it with the camera (jsQR: Chromium on Linux has no BarcodeDetector) and says "Welkom", the
// same code again says "al binnen"; a cancelled registration's code and another meeting's are refused. Without
// JavaScript, search-and-tap and a typed short code work on their own. axe on every state; pa11y on the screen
// and on its answers (welkom, al binnen, onbekende code) reached by a typed code; Nu on the screen and the answer
// page; screenshots at phone width (target/screenshots/console/deur-*).
// Run: E2E_SCRIPT=browser/e2e-door.mjs bash browser/run-e2e.sh (scripts/test browser runs it).
import fs from 'node:fs/promises';
import path from 'node:path';
import { axeCheck } from './lib/axe.mjs';
import { startBackOffice } from './lib/back-office.mjs';
import { tempDir } from './lib/build-site.mjs';
import { launch } from './lib/chromium.mjs';
import { startPa11y } from './lib/pa11y.mjs';
import { createReport } from './lib/report.mjs';
import { screenshot } from './lib/screenshot.mjs';
import { vnuCheck } from './lib/vnu.mjs';

const BREDA = '2099-07-abuse-breda';
const DELFT = '2099-07-abuse-delft';
const PHONE = { width: 375, height: 812 };
const VIDEO = { width: 640, height: 480 };
const report = createReport();

/** Registers `name` through the public form; the personal page's path. */
async function register(origin, meeting, name, email) {
  const res = await fetch(`${origin}/api/registrations`, {
    method: 'POST', redirect: 'manual',
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ meeting, name, email, role: 'ouder', privacy: 'ja', website: '' }).toString(),
  });
  if (res.status !== 303) throw new Error(`registering ${name}: ${res.status} ${await res.text()}`);
  return res.headers.get('location');
}

/** The inline QR code and the short form on a personal page. */
async function codeOf(origin, personalPath) {
  const html = await (await fetch(`${origin}${personalPath}`)).text();
  const svg = html.match(/<svg[\s\S]*?<\/svg>/);
  const short = html.match(/class="check-in-code__short">([^<]+)</);
  if (!svg || !short) throw new Error(`no check-in code on ${personalPath}`);
  return { svg: svg[0], short: short[1] };
}

/**
 * Draws the page's QR code on a grey-level video frame (white around it, 400 px) in the browser, and writes it
 * as a one-frame y4m: a header, `FRAME`, the Y plane, then U and V planes of 128 (no colour).
 */
async function writeY4m(browser, svg, file) {
  const page = await browser.newPage();
  await page.setContent('<canvas></canvas>');
  const luma = await page.evaluate(async ({ svg, width, height }) => {
    const image = new Image();
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
    await image.decode();
    const canvas = document.querySelector('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    context.fillStyle = '#fff';
    context.fillRect(0, 0, width, height);
    context.imageSmoothingEnabled = false;
    const side = 400;
    context.drawImage(image, (width - side) / 2, (height - side) / 2, side, side);
    const rgba = context.getImageData(0, 0, width, height).data;
    const y = new Array(width * height);
    for (let i = 0; i < width * height; i += 1) {
      y[i] = Math.round(0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]);
    }
    return y;
  }, { svg, ...VIDEO });
  await page.close();
  const header = Buffer.from(`YUV4MPEG2 W${VIDEO.width} H${VIDEO.height} F10:1 Ip A1:1 C420jpeg\nFRAME\n`);
  const chroma = Buffer.alloc((VIDEO.width / 2) * (VIDEO.height / 2) * 2, 128);
  await fs.writeFile(file, Buffer.concat([header, Buffer.from(luma), chroma]));
}

/** Signs in at the local provider as `user` (its own form) and opens the door's screen of `meeting`. */
async function openDoor(page, beheer, meeting, user = 'dirk') {
  await page.goto(`${beheer}/bijeenkomsten/${meeting}/deur`);
  await page.click(`button[value="${user}"]`);
  await page.waitForURL(`${beheer}/bijeenkomsten/${meeting}/deur`);
}

/** Starts the camera and waits until the screen shows an answer that contains `words`; the answer's text. */
async function scanUntil(page, words, timeout = 20000) {
  const started = Date.now();
  await page.waitForFunction((w) => {
    const answer = document.querySelector('[data-scan-result] .door-result');
    return answer && answer.textContent.includes(w);
  }, words, { timeout }).catch(() => {});
  const text = (await page.textContent('[data-scan-result]').catch(() => '')) || '';
  return { text: text.replace(/\s+/g, ' ').trim(), ms: Date.now() - started };
}

async function main() {
  const tmp = await tempDir('opp-door-');
  let dev;
  const browsers = [];
  let pa11y;
  try {
    const stack = await startBackOffice(tmp.dir);
    dev = stack.dev;
    const { beheer } = stack;
    report.ok('opp-dev --beheer starts', `${(dev.readyMs / 1000).toFixed(1)} s`);
    const site = dev.origin;

    // Six real registrations: Anna, Dora, Eva and Fien have seats in Breda, Bram cancels his, Cees goes to Delft.
    const anna = await codeOf(site, await register(site, BREDA, 'Anna de Vries', 'anna@example.nl'));
    const bramPage = await register(site, BREDA, 'Bram Çelik', 'bram@example.nl');
    const bram = await codeOf(site, bramPage);
    const cancelled = await fetch(`${site}${bramPage}/cancel`, { method: 'POST', redirect: 'manual', headers: { origin: site, 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    if (cancelled.status !== 303) throw new Error(`cancelling Bram: ${cancelled.status}`);
    const cees = await codeOf(site, await register(site, DELFT, 'Cees Jansen', 'cees@example.nl'));
    await register(site, BREDA, 'Dora Bakker', 'dora@example.nl');
    const eva = await codeOf(site, await register(site, BREDA, 'Eva Smit', 'eva@example.nl'));
    const fien = await codeOf(site, await register(site, BREDA, 'Fien de Groot', 'fien@example.nl'));

    const helper = await launch();
    browsers.push(helper);
    const videos = {};
    for (const [name, code] of Object.entries({ anna, bram, cees })) {
      videos[name] = path.join(tmp.dir, `${name}.y4m`);
      await writeY4m(helper, code.svg, videos[name]);
    }
    const camera = (file) => launch({
      viewport: PHONE,
      extraArgs: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${file}`],
    });

    // 1. Anna's code before the camera: welcome, then (the same code seen again after 5 s) "al binnen".
    const annaBrowser = await camera(videos.anna);
    browsers.push(annaBrowser);
    const page = await annaBrowser.newPage();
    await openDoor(page, beheer, BREDA);
    const header = (await page.goto(`${beheer}/bijeenkomsten/${BREDA}/deur`)).headers()['permissions-policy'];
    report.check('camera   the door screen may use the camera (Permissions-Policy)', header === 'camera=(self), microphone=(), geolocation=()' ? [] : [String(header)]);
    report.check('axe      deur (before scanning)', await axeCheck(page));
    const htmlDir = path.join(tmp.dir, 'html');
    await fs.mkdir(htmlDir);
    await fs.writeFile(path.join(htmlDir, 'deur.html'), await page.content());
    await page.click('button:has-text("Scan met de camera")');
    const welcome = await scanUntil(page, 'Welkom, Anna');
    report.check('scan     Anna\'s QR code checks her in', welcome.text.includes('Welkom, Anna') ? [] : [welcome.text || 'no answer on the screen'], `${welcome.ms} ms from starting the camera`);
    await page.waitForFunction(() => document.querySelector('.door-count').textContent.includes('Binnen: 1 van'), null, { timeout: 5000 }).catch(() => {});
    const count = (await page.textContent('.door-count')).trim();
    report.check('scan     the live count follows', count.startsWith('Binnen: 1 van 4') ? [] : [count]);
    report.check('axe      deur-scan-welkom', await axeCheck(page));
    await screenshot(page, `console/deur-scan-welkom-${PHONE.width}`);
    const again = await scanUntil(page, 'al binnen sinds');
    report.check('scan     the same code again says "al binnen"', again.text.includes('al binnen sinds') ? [] : [again.text]);
    report.check('axe      deur-scan-al-binnen', await axeCheck(page));
    await screenshot(page, `console/deur-scan-al-binnen-${PHONE.width}`);
    // The connection drops: the screen says so, and points to the printed list.
    await page.click('[data-camera-stop]');
    await annaBrowser.context.setOffline(true);
    await page.fill('#code', eva.short);
    await page.click('button:has-text("Inchecken met code")');
    const offline = await page.waitForSelector('[data-offline]', { state: 'visible', timeout: 5000 }).then(() => true, () => false);
    const offlineText = offline ? (await page.textContent('[data-offline]')) : '';
    report.check('offline  without a connection the screen says so', offline && offlineText.includes('geprinte aanwezigheidslijst') ? [] : ['no notice']);
    report.check('axe      deur-geen-verbinding', await axeCheck(page));
    await screenshot(page, `console/deur-geen-verbinding-${PHONE.width}`);
    await annaBrowser.context.setOffline(false);

    // 2. A cancelled registration's code, and another meeting's.
    for (const [name, words, label] of [['bram', 'Afgemeld', 'a cancelled registration'], ['cees', 'Andere bijeenkomst: Delft', 'another meeting']]) {
      const b = await camera(videos[name]);
      browsers.push(b);
      const p = await b.newPage();
      await openDoor(p, beheer, BREDA);
      await p.click('button:has-text("Scan met de camera")');
      const answer = await scanUntil(p, words);
      report.check(`scan     ${label} is refused: "${words}"`, answer.text.includes(words) && answer.text.includes('✗') ? [] : [answer.text || 'no answer']);
      report.check(`axe      deur-scan-${name}`, await axeCheck(p));
      await screenshot(p, `console/deur-scan-${name}-${PHONE.width}`);
      await b.close();
    }
    await page.goto(`${beheer}/bijeenkomsten/${BREDA}/deur`);
    const after = (await page.textContent('.door-count')).trim();
    report.check('scan     refused codes check nobody in', after.startsWith('Binnen: 1 van 4') ? [] : [after]);

    // 3. Without JavaScript: search and tap, and a typed short form.
    const plain = await launch({ javaScriptEnabled: false, viewport: PHONE });
    browsers.push(plain);
    const p = await plain.newPage();
    await openDoor(p, beheer, BREDA);
    const cameraButtonHidden = await p.isHidden('[data-camera-start]');
    report.check('no JS    the camera button stays hidden', cameraButtonHidden ? [] : ['the camera button shows without JavaScript']);
    await p.fill('#zoek', 'dora');
    await p.click('button:has-text("Zoek")');
    await p.waitForLoadState();
    await p.click('button:has-text("Binnen: Dora Bakker")');
    await p.waitForLoadState();
    const tapped = (await p.textContent('h1')) || '';
    report.check('no JS    search and tap checks Dora in', tapped.includes('Welkom, Dora') ? [] : [tapped]);
    await p.goto(`${beheer}/bijeenkomsten/${BREDA}/deur`);
    await p.fill('#code', eva.short.toLowerCase());
    await p.click('button:has-text("Inchecken met code")');
    await p.waitForLoadState();
    const typed = (await p.textContent('h1')) || '';
    report.check('no JS    a typed short code checks Eva in', typed.includes('Welkom, Eva') ? [] : [typed]);
    // axe needs JavaScript in the page: this state is checked by Nu here, and the same answer page by axe in
    // browser/e2e-console.mjs (deur-welkom).
    await fs.writeFile(path.join(htmlDir, 'deur-code-welkom.html'), await p.content());

    pa11y = await startPa11y({ cookies: await plain.context.cookies(beheer) });
    const door = `${beheer}/bijeenkomsten/${BREDA}/deur`;
    report.check('pa11y    deur', await pa11y.check(door));
    // Each answer the door's screen shows, reached as at the door: a typed code, the answer on the same page.
    for (const [state, code, words] of [
      ['welkom', fien.short, 'Welkom, Fien'],
      ['al-binnen', anna.short, 'al binnen sinds'],
      ['onbekende-code', 'ZZZZ-ZZZZ', 'Onbekende code'],
    ]) {
      const actions = [
        `set field #code to ${code}`,
        'click element form[data-code-form] button[type=submit]',
        'wait for element [data-scan-result] h2 to be added',
      ];
      report.check(`pa11y    deur-${state}`, await pa11y.check(door, { actions }, words));
    }
    const nu = await vnuCheck([path.join(htmlDir, 'deur.html'), path.join(htmlDir, 'deur-code-welkom.html')]);
    for (const name of ['deur.html', 'deur-code-welkom.html']) report.check(`nu       ${name}`, nu.get(path.resolve(path.join(htmlDir, name))) || []);
  } finally {
    if (pa11y) await pa11y.close();
    for (const b of browsers) await b.close().catch(() => {});
    if (dev) await dev.stop();
    await tmp.cleanup();
  }
}

main().then(
  () => process.exit(report.summary('door e2e')),
  (err) => {
    report.fail('door e2e ran to the end', [String(err.stack || err)]);
    process.exit(report.summary('door e2e'));
  },
);
