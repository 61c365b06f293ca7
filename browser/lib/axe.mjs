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
