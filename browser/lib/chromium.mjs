// Launches Debian's Chromium through playwright-core, each time with a fresh profile.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

/** The browser binary: $CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Flags for a quiet, offline-friendly headless Chromium (also used for pa11y's puppeteer). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Starts Chromium with a new, empty user-data-dir and returns its one browser context.
 *
 * @param {object} [options]
 * @param {boolean} [options.javaScriptEnabled=true] false: pages run without JavaScript (like a user who turned it off)
 * @param {{width:number,height:number}} [options.viewport] default 1280x800
 * @param {object} [options.contextOptions] more options for playwright's launchPersistentContext
 * @param {string[]} [options.extraArgs] more command-line flags (a fake camera, say)
 * @returns {Promise<{context: import('playwright-core').BrowserContext, newPage: () => Promise<import('playwright-core').Page>, close: () => Promise<void>}>}
 */
export async function launch({ javaScriptEnabled = true, viewport = { width: 1280, height: 800 }, contextOptions = {}, extraArgs = [] } = {}) {
  const userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'opp-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, ...extraArgs],
      javaScriptEnabled,
      viewport,
      locale: 'nl-NL',
      timezoneId: 'Europe/Amsterdam',
      ...contextOptions,
    });
  } catch (err) {
    await fs.rm(userDataDir, { recursive: true, force: true });
    throw new Error(`could not start ${CHROMIUM_PATH} (install it: apt-get install -y chromium): ${err.message}`);
  }
  // A persistent context opens with one blank tab; close it so every check starts from its own page.
  for (const p of context.pages()) await p.close();
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close().catch(() => {});
      await fs.rm(userDataDir, { recursive: true, force: true });
    },
  };
}
