// A stand-in for GitHub on loopback, for the editors' sign-in check (GitHub cannot be reached from here):
// its OAuth pages (an authorize page with an "Authorize" button, the token endpoint, which checks the
// client, the code, the callback address and the PKCE verifier as GitHub does) and the REST calls Decap
// makes from sign-in to the list of entries (GET /user, the repository, git trees and blobs of a site
// folder, commits, pulls), with CORS as api.github.com answers it. Every API call must carry the token
// it handed out. What it was asked is recorded for the checks.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { readBody } from './serve.mjs';

const base64url = (buf) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** Git's blob id of `content` (what the trees and blobs APIs name files by). */
function blobSha(content) {
  return crypto.createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * @param {object} options
 * @param {string} options.siteRoot the site copy whose files the repository holds
 * @param {string} options.repo owner/name, as config.yaml's cms.repo
 * @param {string} options.clientId
 * @param {string} options.clientSecret
 * @param {{collection: string, slug: string, path: string, content: string,
 *   status?: {context: string, state: string, target_url: string}}[]} [options.openChanges]
 *   changes waiting in Decap's editorial workflow: each an open pull request from `cms/<collection>/<slug>`
 *   labelled `decap-cms/pending_review`, adding `path`, with this commit status on its head
 */
export async function startGitHubStandIn({ siteRoot, repo, clientId, clientSecret, openChanges = [] }) {
  const token = `gho_${crypto.randomBytes(18).toString('hex')}`;
  const codes = new Map();
  const seen = { authorizeRequests: [], exchanges: [], apiCalls: [], unauthorised: [], statusRequests: [] };
  const blobs = new Map();
  const [owner] = repo.split('/');
  const pulls = openChanges.map((change, i) => {
    const content = Buffer.from(change.content);
    const blob = blobSha(content);
    blobs.set(blob, content);
    const headSha = crypto.createHash('sha1').update(`commit ${change.slug}`).digest('hex');
    return {
      change, blob, headSha,
      pr: { number: 100 + i, state: 'open', updated_at: '2026-12-01T10:00:00Z', user: { login: 'rita-redacteur' },
        head: { ref: `cms/${change.collection}/${change.slug}`, sha: headSha, repo: { fork: false } },
        labels: [{ name: 'decap-cms/pending_review' }] },
    };
  });

  async function tree(folder) {
    const dir = path.join(siteRoot, folder);
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => null);
    if (!entries) return null;
    const items = [];
    for (const entry of entries) {
      if (entry.isFile()) {
        const content = await fs.readFile(path.join(dir, entry.name));
        const sha = blobSha(content);
        blobs.set(sha, content);
        items.push({ path: entry.name, mode: '100644', type: 'blob', sha, size: content.length });
      } else if (entry.isDirectory()) {
        items.push({ path: entry.name, mode: '040000', type: 'tree', sha: blobSha(Buffer.from(entry.name)) });
      }
    }
    return { sha: blobSha(Buffer.from(folder)), tree: items, truncated: false };
  }

  const json = (res, status, body, extra = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'access-control-allow-origin': '*', ...extra });
    res.end(JSON.stringify(body));
  };
  const notFound = (res) => json(res, 404, { message: 'Not Found' });

  async function api(req, res, url) {
    if (req.headers.authorization !== `token ${token}`) {
      seen.unauthorised.push(url.pathname);
      return json(res, 401, { message: 'Bad credentials' });
    }
    seen.apiCalls.push(`${req.method} ${url.pathname}`);
    const repoPath = `/repos/${repo}`;
    if (url.pathname === '/user') {
      return json(res, 200, { login: 'rita-redacteur', name: 'Rita Redacteur', email: 'rita@example.nl', avatar_url: '' });
    }
    if (url.pathname === repoPath) {
      return json(res, 200, { name: repo.split('/')[1], full_name: repo, owner: { login: owner }, default_branch: 'main',
        permissions: { admin: false, push: true, pull: true } });
    }
    const treeMatch = url.pathname.match(new RegExp(`^${repoPath}/git/trees/(.+)$`));
    if (treeMatch) {
      const ref = decodeURIComponent(treeMatch[1]);
      const folder = ref.includes(':') ? ref.slice(ref.indexOf(':') + 1) : '';
      const found = await tree(folder);
      return found ? json(res, 200, found) : notFound(res);
    }
    const blobMatch = url.pathname.match(new RegExp(`^${repoPath}/git/blobs/([0-9a-f]{40})$`));
    if (blobMatch) {
      const content = blobs.get(blobMatch[1]);
      return content ? json(res, 200, { sha: blobMatch[1], size: content.length, encoding: 'base64', content: content.toString('base64') }) : notFound(res);
    }
    if (url.pathname === `${repoPath}/commits`) return json(res, 200, []);
    if (url.pathname === `${repoPath}/pulls`) {
      const head = url.searchParams.get('head');
      return json(res, 200, pulls.filter((p) => !head || head === `${owner}:${p.pr.head.ref}`).map((p) => p.pr));
    }
    const compare = url.pathname.match(new RegExp(`^${repoPath}/compare/[^.]+\\.\\.\\.([0-9a-f]{40})$`));
    if (compare) {
      const open = pulls.find((p) => p.headSha === compare[1]);
      if (!open) return notFound(res);
      return json(res, 200, { files: [{ filename: open.change.path, status: 'added', sha: open.blob, patch: '@@ -0,0 +1 @@' }] });
    }
    const status = url.pathname.match(new RegExp(`^${repoPath}/commits/([0-9a-f]{40})/status$`));
    if (status) {
      seen.statusRequests.push(status[1]);
      const open = pulls.find((p) => p.headSha === status[1]);
      const statuses = open && open.change.status ? [open.change.status] : [];
      return json(res, 200, { state: statuses[0] ? statuses[0].state : 'pending', statuses });
    }
    if (url.pathname.startsWith('/users/')) return json(res, 200, { login: url.pathname.slice(7), name: 'Rita Redacteur' });
    return notFound(res);
  }

  async function oauth(req, res, url) {
    if (url.pathname === '/login/oauth/authorize') {
      seen.authorizeRequests.push(Object.fromEntries(url.searchParams));
      const approve = `/login/oauth/authorize/approve?${url.searchParams}`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Authorize (GitHub stand-in)</title></head>
<body><main><h1>Authorize ${url.searchParams.get('client_id')}</h1><p>Scope: ${url.searchParams.get('scope')}</p>
<p><a href="${approve.replace(/&/g, '&amp;')}">Authorize</a></p></main></body></html>`);
      return;
    }
    if (url.pathname === '/login/oauth/authorize/approve') {
      const code = crypto.randomBytes(10).toString('hex');
      codes.set(code, { challenge: url.searchParams.get('code_challenge'), method: url.searchParams.get('code_challenge_method'),
        redirectUri: url.searchParams.get('redirect_uri'), clientId: url.searchParams.get('client_id'), used: false });
      const back = new URL(url.searchParams.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state'));
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      const form = new URLSearchParams((await readBody(req)).toString());
      const grant = codes.get(form.get('code'));
      const problems = [];
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) problems.push('client');
      if (!grant || grant.used) problems.push('code');
      else {
        if (grant.redirectUri !== form.get('redirect_uri')) problems.push('redirect_uri');
        const verifier = form.get('code_verifier') || '';
        if (grant.method !== 'S256' || base64url(crypto.createHash('sha256').update(verifier).digest()) !== grant.challenge) problems.push('pkce');
        grant.used = true;
      }
      seen.exchanges.push({ accept: req.headers.accept, problems });
      if (problems.length) return json(res, 200, { error: 'bad_verification_code', error_description: problems.join(', ') });
      return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'public_repo' });
    }
    return false;
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      if (url.pathname.startsWith('/login/oauth/')) {
        if ((await oauth(req, res, url)) === false) notFound(res);
        return;
      }
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-origin': '*',
          'access-control-allow-headers': 'Authorization, Content-Type',
          'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
          'access-control-max-age': '600',
        }).end();
        return;
      }
      await api(req, res, url);
    } catch (err) {
      json(res, 500, { message: String(err) });
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, token, seen, headShas: pulls.map((p) => p.headSha), close: () => new Promise((resolve) => server.close(resolve)) };
}
