// A scripted abuser against the local stack (issue 25, part 1): someone who types a victim's address into
// our forms to make us mail them. Run: bash browser/run-abuse.sh (scripts/test browser runs it).
//
//   1  50 register-and-cancel rounds with the victim's address, over two meetings: each meeting takes the
//      first registration and `reregistrations_per_day` more, the rest get 429 with a Dutch answer and
//      nothing stored
//   2  20 address changes: a registration of the abuser's own asks to move to the victim's address and back;
//      each request mails the victim a confirmation link until the registration's daily limit
//      (`limits.moves_per_day`) or the victim's budget answers 429, and nothing ever moves unconfirmed
//   3  "Link kwijt?" for the victim, 5 times
//   then: the victim's mailbox (/_mail/) holds at most the budget (config.yaml `limits.mails_per_address`)
//   plus the first confirmation of each meeting; every answer that said "no e-mail this time" matches a
//   mail that did not come; opp-admin's counters equal the registrations, nothing is lost
//
// No browser: the forms are posted as a script would. Environment: as browser/e2e.mjs (OPP_DEV_BIN,
// OPP_ADMIN_BIN).
import fs from 'node:fs/promises';
import path from 'node:path';
import { copySite, tempDir } from './lib/build-site.mjs';
import { freePorts, oppAdminJson, startOppDev } from './lib/local-stack.mjs';
import { repoPath } from './lib/repo.mjs';
import { createReport } from './lib/report.mjs';

const ROUNDS = 50;
const MOVES = 20;
const LINK_REQUESTS = 5;
const ROUND_MEETINGS = ['2099-07-abuse-breda', '2099-07-abuse-delft'];
const MOVE_MEETING = '2099-07-abuse-ede';
const VICTIM = 'slachtoffer@example.nl';
const ABUSER = 'aanvaller@example.nl';
// config.yaml's limits (the site is a copy of the repository's).
const BUDGET = 5;
const REREGISTRATIONS = 3;

const report = createReport();

async function main() {
  const tmp = await tempDir('opp-abuse-');
  let dev;
  try {
    const root = await copySite(path.join(tmp.dir, 'site'), [
      { from: repoPath('browser', 'fixtures', 'abuse-meetings'), to: path.join('content', 'bijeenkomsten') },
    ]);
    const config = await fs.readFile(path.join(root, 'config.yaml'), 'utf8');
    const limit = (key) => Number((config.match(new RegExp(`^\\s+${key}:\\s*(\\d+)`, 'm')) || [])[1]);
    report.check('config   limits as this script expects', [
      ...(limit('mails_per_address') === BUDGET ? [] : [`mails_per_address is ${limit('mails_per_address')}, the script expects ${BUDGET}`]),
      ...(limit('reregistrations_per_day') === REREGISTRATIONS ? [] : [`reregistrations_per_day is ${limit('reregistrations_per_day')}, the script expects ${REREGISTRATIONS}`]),
    ]);
    const stateDir = path.join(tmp.dir, 'state');
    await fs.mkdir(stateDir);
    const [port, storePort] = await freePorts(2);
    dev = await startOppDev({ root, port, storePort, stateDir });
    report.ok('opp-dev  starts', `${(dev.readyMs / 1000).toFixed(1)} s`);
    const origin = dev.origin;

    const post = async (url, fields) => {
      const res = await fetch(new URL(url, origin), {
        method: 'POST',
        redirect: 'manual',
        headers: { origin, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
      const text = await res.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        // left null: reported by the caller
      }
      return { status: res.status, json, text, location: res.headers.get('location') };
    };
    const register = (meeting, email, name = 'Sanne Smit') =>
      post('/api/registrations', { meeting, name, email, role: 'ouder', privacy: 'ja', website: '' });

    // Visitor-triggered mails that the function said were withheld, and those it let through.
    let withheld = 0;
    let allowed = 0;
    const count = (json) => {
      if (json && json.mail_withheld === true) withheld += 1;
      else allowed += 1;
    };

    // 1: register and cancel, over and over.
    const stored = new Map(ROUND_MEETINGS.map((m) => [m, 0]));
    const refused = [];
    const problems = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const meeting = ROUND_MEETINGS[round % ROUND_MEETINGS.length];
      const r = await register(meeting, VICTIM);
      if (r.status === 429) {
        refused.push(r);
        continue;
      }
      if (r.status !== 201 || !r.location) {
        problems.push(`round ${round}: register answered ${r.status}: ${r.text.slice(0, 200)}`);
        continue;
      }
      if (stored.get(meeting) > 0) count(r.json);
      else if (r.json?.mail_withheld) problems.push(`round ${round}: a first registration's confirmation was withheld`);
      stored.set(meeting, stored.get(meeting) + 1);
      const c = await post(`${r.location}/cancel`, {});
      if (c.status !== 200) problems.push(`round ${round}: cancel answered ${c.status}: ${c.text.slice(0, 200)}`);
      else count(c.json);
    }
    const expectedStored = ROUND_MEETINGS.length * (1 + REREGISTRATIONS);
    report.check(`abuse    ${ROUNDS} register-and-cancel rounds: ${expectedStored} stored, the rest 429`, [
      ...problems,
      ...[...stored].filter(([, n]) => n !== 1 + REREGISTRATIONS).map(([m, n]) => `${m}: ${n} registrations stored, expected ${1 + REREGISTRATIONS}`),
      ...(refused.length === ROUNDS - expectedStored ? [] : [`${refused.length} answered 429, expected ${ROUNDS - expectedStored}`]),
      ...refused.filter((r) => !(r.json?.errors?.[0]?.message || '').includes('Probeer het morgen opnieuw')).slice(0, 1)
        .map((r) => `a 429 without the Dutch answer: ${r.text.slice(0, 200)}`),
    ], `${refused.length} refused with 429`);

    // Registering for another meeting in the same sitting still works: the limit is per meeting.
    // 2: the abuser's own registration moves to the victim's address and back.
    const own = await register(MOVE_MEETING, ABUSER, 'Kees Kwaad');
    const moveProblems = own.status === 201 ? [] : [`the abuser's registration answered ${own.status}`];
    let refusedMoves = 0;
    for (let i = 0; i < MOVES && own.location; i += 1) {
      const to = i % 2 === 0 ? VICTIM : ABUSER;
      const m = await post(`${own.location}/gegevens`, { name: 'Kees Kwaad', email: to, organisation: '', needs: '' });
      if (to === VICTIM && m.status === 429) refusedMoves += 1;
      else if (m.status !== 200) moveProblems.push(`move ${i} to ${to}: answered ${m.status}: ${m.text.slice(0, 200)}`);
      else if (to === VICTIM) {
        if (m.json?.status !== 'move_requested') moveProblems.push(`move ${i}: ${m.text.slice(0, 200)}, expected a move that waits for confirmation`);
        count(m.json);
      }
    }
    if (refusedMoves === 0) moveProblems.push('no move request was refused: neither the daily limit nor the budget held');
    report.check(`abuse    ${MOVES} address changes aimed at the victim: each waits for a confirmation, the rest 429`, moveProblems,
      `${refusedMoves} refused with 429`);

    // 3: "Link kwijt?" for the victim.
    const linkProblems = [];
    for (let i = 0; i < LINK_REQUESTS; i += 1) {
      const l = await post('/api/links', { email: VICTIM });
      if (l.status !== 202) linkProblems.push(`link request ${i}: answered ${l.status}`);
    }
    report.check(`abuse    ${LINK_REQUESTS} link requests for the victim are accepted`, linkProblems);

    // The mailer works from the table's stream: wait until the outbox is quiet.
    const mails = await quietMailbox(dev);
    const toVictim = mails.filter((m) => m.to.includes(`<${VICTIM}>`) || m.to === VICTIM);
    const firsts = ROUND_MEETINGS.length;
    const mailProblems = [];
    if (toVictim.length > BUDGET + firsts) mailProblems.push(`the victim got ${toVictim.length} mails, at most ${BUDGET + firsts} allowed:\n${toVictim.map((m) => `  ${m.subject}`).join('\n')}`);
    // No lower bound on the confirmations: the mailer sends a registration's mail only while that same
    // registration is stored, so one cancelled and registered again before the mailer got to it gets none.
    if (allowed > BUDGET) mailProblems.push(`the function let ${allowed} visitor mails through, the budget is ${BUDGET}`);
    if (withheld === 0) mailProblems.push('no answer said that no e-mail was sent: the budget did nothing');
    report.check(`mail     the victim's mailbox holds at most the budget (${BUDGET}) and the first confirmations (${firsts})`, mailProblems,
      `${toVictim.length} mails to the victim; ${allowed} visitor mails let through, ${withheld} withheld`);

    // The table: every counter equals its registrations.
    const summary = new Map((await oppAdminJson(dev.storeUrl, ['summary', '--json'])).map((m) => [m.id, m]));
    const counterProblems = [];
    const want = {
      [ROUND_MEETINGS[0]]: { confirmed: 0, waitlisted: 0, cancelled: 1 },
      [ROUND_MEETINGS[1]]: { confirmed: 0, waitlisted: 0, cancelled: 1 },
      [MOVE_MEETING]: { confirmed: 1, waitlisted: 0, cancelled: 0 },
    };
    for (const [id, counters] of Object.entries(want)) {
      const m = summary.get(id);
      if (!m) {
        counterProblems.push(`opp-admin summary has no meeting ${id}`);
        continue;
      }
      for (const [k, v] of Object.entries(counters)) if (m[k] !== v) counterProblems.push(`${id}: ${k} is ${m[k]}, expected ${v}`);
      if (m.mismatch) counterProblems.push(`${id}: ${m.mismatch}`);
      const rows = await oppAdminJson(dev.storeUrl, ['list', '--meeting', id, '--json']);
      const expected = id === MOVE_MEETING ? [ABUSER] : [VICTIM];
      const emails = rows.map((r) => r.email).sort();
      if (JSON.stringify(emails) !== JSON.stringify(expected)) counterProblems.push(`${id}: registrations ${emails.join(', ')}, expected ${expected.join(', ')}`);
    }
    report.check('store    every counter equals the registrations, nothing lost or doubled', counterProblems);
  } catch (err) {
    report.fail(`abuse run stopped: ${err.message}`, dev ? dev.output().split('\n').slice(-20) : []);
  } finally {
    if (dev) await dev.stop();
    await tmp.cleanup();
  }
  process.exit(report.summary('abuse checks'));
}

/** The mailbox's messages once no new one arrived for 3 s (at most 60 s). */
async function quietMailbox(dev) {
  let last = -1;
  let stableSince = Date.now();
  const started = Date.now();
  for (;;) {
    const mails = await mailbox(dev);
    if (mails.length !== last) {
      last = mails.length;
      stableSince = Date.now();
    }
    if (Date.now() - stableSince > 3000 || Date.now() - started > 60000) return mails;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The local mailbox's messages (/_mail/): { to, subject }. */
async function mailbox(dev) {
  const res = await fetch(dev.url('/_mail/'));
  const html = res.ok ? await res.text() : '';
  const unescape = (t) => t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  return [...html.matchAll(/<tr><td>[^<]*<\/td><td>([^<]*)<\/td><td><a href="([^"]+)">([^<]*)<\/a><\/td><\/tr>/g)]
    .map((m) => ({ to: unescape(m[1]), subject: unescape(m[3]) }));
}

main();
