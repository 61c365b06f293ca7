// Keeps a browser context on this machine: requests that leave loopback (127.0.0.1, localhost and the
// *.localhost names Chromium resolves to it) are blocked and recorded.

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * @param {import('playwright-core').BrowserContext} context
 * @returns {Promise<{external: string[], take: () => string[]}>} external: every blocked URL so far;
 *   take(): the URLs blocked since the last take()
 */
export async function blockExternalRequests(context) {
  const external = [];
  let seen = 0;
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if ((url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:') &&
        !LOCAL_HOSTS.has(url.hostname) && !url.hostname.endsWith('.localhost')) {
      external.push(url.href);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  return {
    external,
    take() {
      const fresh = external.slice(seen);
      seen = external.length;
      return fresh;
    },
  };
}
