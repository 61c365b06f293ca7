// The back office's local stack for the browser checks: a copy of the site with the open test meetings
// (browser/fixtures/abuse-meetings), and `opp-dev --beheer` on free ports with its OpenID provider.
import fs from 'node:fs/promises';
import path from 'node:path';
import { copySite } from './build-site.mjs';
import { freePorts, startOppDev } from './local-stack.mjs';
import { repoPath } from './repo.mjs';

/**
 * Starts `opp-dev --beheer` on a site copy in `dir`.
 * @returns {Promise<{dev: object, port: number, beheer: string, oidcPort: number}>} the stack, the public site's
 *   port, the back office's origin (`http://beheer.localhost:<port>`) and the provider's port
 */
export async function startBackOffice(dir) {
  const root = await copySite(path.join(dir, 'site'), [
    { from: repoPath('browser', 'fixtures', 'abuse-meetings'), to: path.join('content', 'bijeenkomsten') },
  ]);
  const stateDir = path.join(dir, 'state');
  await fs.mkdir(stateDir);
  const [port, storePort, beheerPort, oidcPort] = await freePorts(4);
  const dev = await startOppDev({
    root, port, storePort, stateDir,
    extraArgs: ['--beheer', '--beheer-port', String(beheerPort), '--oidc-port', String(oidcPort)],
  });
  return { dev, port, beheer: `http://beheer.localhost:${beheerPort}`, oidcPort };
}
