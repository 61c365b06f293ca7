// Runs pa11y (HTML_CodeSniffer, WCAG 2 AA) in Debian's Chromium, reusing one browser for all pages.
import { createRequire } from 'node:module';
import pa11y from 'pa11y';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';

/** pa11y's own puppeteer (a dependency of pa11y), so the versions always match. */
const puppeteer = createRequire(createRequire(import.meta.url).resolve('pa11y'))('puppeteer');

/** How pa11y starts Chromium: Debian's binary, no download (install with PUPPETEER_SKIP_DOWNLOAD=true). */
export const chromeLaunchConfig = { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true };

/**
 * Starts one Chromium for pa11y, with one tab that every check reuses.
 * @param {object} [options]
 * @param {object[]} [options.cookies] cookies to set first (name, value, domain, path)
 * @returns {Promise<{check: (url: string, options?: object, expectText?: string) => Promise<string[]>, close: () => Promise<void>}>}
 *   check() gives one line per error: "code: selector: message"; empty when clean. With pa11y's `actions` in
 *   options the page is tested in the state they lead to; `expectText` must then be in the page, so a check
 *   of the wrong state cannot pass.
 */
export async function startPa11y({ cookies = [] } = {}) {
  const browser = await puppeteer.launch(chromeLaunchConfig);
  const page = await browser.newPage();
  // Signed-in pages (the back office): the session's cookie, as playwright's context.cookies() gives it.
  if (cookies.length > 0) await page.setCookie(...cookies.map(({ name, value, domain, path: p }) => ({ name, value, domain, path: p })));
  return {
    async check(url, options = {}, expectText = '') {
      // Load the page here: pa11y's own navigation waits for network idle (+0.5 s a page); these pages have
      // no scripts that change them after "load". ignoreUrl makes pa11y test the page as loaded.
      const response = await page.goto(url, { waitUntil: 'load', timeout: 30000 });
      if (!response) throw new Error(`no response for ${url}`);
      const result = await pa11y(url, {
        browser,
        page,
        ignoreUrl: true,
        runners: ['htmlcs'],
        standard: 'WCAG2AA',
        includeNotices: false,
        includeWarnings: false,
        timeout: 30000,
        ...options,
      });
      const issues = result.issues
        .filter((i) => i.type === 'error')
        .map((i) => `${i.code}: ${i.selector}: ${i.message.replace(/\s+/g, ' ')}`);
      if (expectText && !(await page.content()).includes(expectText)) issues.push(`the page is not in the state that says "${expectText}"`);
      return issues;
    },
    close: () => browser.close(),
  };
}
