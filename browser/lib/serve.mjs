// Serves a built site folder over http on 127.0.0.1 (a free port), like the CDN does:
// clean URLs (/x/ -> /x/index.html), 404.html with status 404, and an optional hook for other requests (POSTs).
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.ics': 'text/calendar; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

async function isFile(p) {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

async function isDir(p) {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Reads a request body (up to 1 MiB) as a string. */
export function readBody(req, limit = 1 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Serves `dir` on http://127.0.0.1:<free port>.
 *
 * @param {string} dir the built site
 * @param {object} [options]
 * @param {(req: http.IncomingMessage, res: http.ServerResponse) => (boolean|Promise<boolean>)} [options.handle]
 *   called first for every request; return true when it answered the request itself
 * @returns {Promise<{origin: string, url: (p: string) => string, requests: {method: string, url: string}[], close: () => Promise<void>}>}
 */
export async function serveDir(dir, { handle } = {}) {
  const root = path.resolve(dir);
  const requests = [];
  const server = http.createServer(async (req, res) => {
    requests.push({ method: req.method, url: req.url });
    try {
      if (handle && (await handle(req, res))) return;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
        return;
      }
      const { pathname } = new URL(req.url, 'http://127.0.0.1');
      let rel;
      try {
        rel = decodeURIComponent(pathname);
      } catch {
        res.writeHead(400).end();
        return;
      }
      let file = path.join(root, path.normalize(rel));
      if (file !== root && !file.startsWith(root + path.sep)) {
        res.writeHead(403).end();
        return;
      }
      if (rel.endsWith('/')) file = path.join(file, 'index.html');
      else if (await isDir(file)) {
        res.writeHead(301, { location: `${pathname}/` }).end();
        return;
      }
      let status = 200;
      if (!(await isFile(file))) {
        status = 404;
        file = path.join(root, '404.html');
        if (!(await isFile(file))) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
          return;
        }
      }
      const body = await fs.readFile(file);
      res.writeHead(status, {
        'content-type': TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`server error: ${err.message}\n`);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    url: (p) => new URL(p, origin).href,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
