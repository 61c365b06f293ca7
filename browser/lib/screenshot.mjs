// Saves full-page screenshots under target/screenshots/.
import fs from 'node:fs/promises';
import path from 'node:path';
import { SCREENSHOT_DIR } from './repo.mjs';

/**
 * @param {import('playwright-core').Page} page
 * @param {string} name e.g. "site/real-home-375" -> target/screenshots/site/real-home-375.png
 * @param {object} [options] playwright screenshot options (default: full page)
 * @returns {Promise<string>} the PNG's path
 */
export async function screenshot(page, name, options = {}) {
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled', ...options });
  return file;
}
