// Runs axe-core (WCAG 2.0/2.1 A and AA rules) on a playwright page.
import { AxeBuilder } from '@axe-core/playwright';

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * @param {import('playwright-core').Page} page a loaded page
 * @param {object} [options]
 * @param {string[]} [options.tags] axe tags, default WCAG 2.1 A + AA
 * @param {string[]} [options.exclude] CSS selectors to leave out (document why at the call)
 * @returns {Promise<string[]>} one line per violating element: "rule (impact): selector: message [help URL]"; empty when clean
 */
export async function axeCheck(page, { tags = WCAG_TAGS, exclude = [] } = {}) {
  // Legacy mode runs axe in the page itself; the default mode opens an extra blank page per run (slower) to
  // combine results from cross-origin frames, which these pages do not have.
  let builder = new AxeBuilder({ page }).withTags(tags).setLegacyMode(true);
  for (const sel of exclude) builder = builder.exclude(sel);
  const result = await builder.analyze();
  const lines = [];
  for (const v of result.violations) {
    for (const node of v.nodes) {
      const why = (node.failureSummary || v.help).replace(/\s+/g, ' ').trim();
      lines.push(`${v.id} (${v.impact}): ${node.target.join(' ')}: ${why} [${v.helpUrl.replace(/\?.*$/, '')}]`);
    }
  }
  return lines;
}

/**
 * axe for a page that was loaded with JavaScript off. axe needs timers and promises in the page, which do not
 * run there (axeCheck would wait forever). This loads an exact copy of the page's current HTML at the same URL
 * (so styles and relative links resolve alike) in `jsContext`, a browser context with JavaScript on, with the
 * page's own scripts blocked (so the copy stays as the no-JS user sees it), and runs axeCheck on the copy.
 * Also works for pages that cannot be loaded again with a GET (the answer to a POST).
 *
 * @param {import('playwright-core').Page} page the no-JS page
 * @param {import('playwright-core').BrowserContext} jsContext a context with JavaScript enabled
 * @param {object} [options] as for axeCheck
 * @returns {Promise<string[]>} as axeCheck
 */
export async function axeCheckCopy(page, jsContext, options) {
  const url = page.url().replace(/#.*$/, '');
  const html = await page.content();
  const copy = await jsContext.newPage();
  try {
    await copy.route('**/*', (route) => {
      const req = route.request();
      if (req.isNavigationRequest() && req.url().replace(/#.*$/, '') === url) {
        return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
      }
      if (req.resourceType() === 'script') return route.abort('blockedbyclient');
      return route.fallback();
    });
    await copy.goto(url, { waitUntil: 'load' });
    return await axeCheck(copy, options);
  } finally {
    await copy.close();
  }
}
