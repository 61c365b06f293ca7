// Lists the HTML pages of a built site: every index.html (as its clean URL) and 404.html.
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * @param {string} outDir the built site
 * @returns {Promise<{url: string, file: string}[]>} sorted by URL, e.g. {url: '/aanmelden/', file: '/tmp/x/aanmelden/index.html'}
 */
export async function listPages(outDir) {
  const root = path.resolve(outDir);
  const pages = [];
  for (const entry of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (entry.name === 'index.html') pages.push({ url: `/${rel.slice(0, -'index.html'.length)}`, file });
    else if (rel === '404.html') pages.push({ url: '/404.html', file });
  }
  return pages.sort((a, b) => a.url.localeCompare(b.url));
}
