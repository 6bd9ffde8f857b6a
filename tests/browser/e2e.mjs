// Real-browser journeys in headless Debian Chromium, driven by
// playwright-core: sign in as each demo role, see that role's home, prove
// the islands hydrated by using them, check accessibility with axe-core,
// save screenshots, sign out. Any console error or page error fails the run.
//
// Run by tests/tests/browser.rs, which starts the server and passes
// BASE_URL, DEMO_PASSWORD and ARTIFACTS_DIR.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const base = process.env.BASE_URL;
const password = process.env.DEMO_PASSWORD;
const artifacts = process.env.ARTIFACTS_DIR;
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
fs.mkdirSync(artifacts, { recursive: true });

const problems = [];
let checks = 0;
function check(condition, message) {
  checks += 1;
  if (!condition) problems.push(`FAILED: ${message}`);
  else console.log(`ok - ${message}`);
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skillmap-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(15000);
page.on('console', (msg) => {
  // Chromium's hint when the wasm module starts late (see waitHydrated).
  if (msg.text().includes('was preloaded using link preload but not used')) {
    console.log(`note: ${msg.text()}`);
    return;
  }
  // A refused or missing page's own status (403, 404, 422): the journey
  // checks those pages; other failed resources stay problems.
  if (msg.text().startsWith('Failed to load resource: the server responded with a status of 4')
    && msg.location().url === page.url()) {
    return;
  }
  if (msg.type() === 'error' || msg.type() === 'warning') {
    problems.push(`console ${msg.type()} on ${page.url()}: ${msg.text()}`);
  }
});
page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
page.on('requestfailed', (req) => {
  // A navigation cancels the loads of the page it leaves: not a fault.
  if (req.failure()?.errorText === 'net::ERR_ABORTED') return;
  problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`);
});

async function axe(label) {
  const hasAxe = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!hasAxe) await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    }),
  );
  const violations = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  check(violations.length === 0, `axe: no violations on ${label}${violations.length ? '\n  ' + violations.join('\n  ') : ''}`);
}

// Once in a few dozen page loads on a busy 2-core machine, Chromium fetched
// the page and the wasm but did not start the module for over 15 s
// (no error of any kind; the page was complete). Such a page gets one
// reload; an island that really fails to hydrate still fails the run.
async function waitHydrated(selector) {
  const hydrated = `${selector}[data-hydrated="true"]`;
  try {
    await page.waitForSelector(hydrated, { state: 'attached', timeout: 10000 });
  } catch {
    console.log(`note: ${selector} had not hydrated after 10 s on ${page.url()}; reloading once`);
    await page.reload();
    // An island that loads on first use needs using again after the reload.
    await page.dispatchEvent(selector, 'pointerdown');
    await page.waitForSelector(hydrated, { state: 'attached' });
  }
}

try {
  // The log-in page, its errors, and the password island.
  const first = await page.goto(`${base}/login`);
  check(first.status() === 200, `log-in page answers 200 (${first.status()})`);
  check((await page.title()).includes('Sign in'), 'log-in page has a title');
  await axe('log-in page');
  // The password island's wasm is fetched when the field is first used.
  await page.focus('#password');
  await waitHydrated('.nhsuk-password-input');
  await page.fill('#password', 'secret words');
  await page.click('button[aria-controls="password"]');
  check((await page.getAttribute('#password', 'type')) === 'text', 'Show reveals the password (island hydrated)');
  await page.click('button[aria-controls="password"]');
  check((await page.getAttribute('#password', 'type')) === 'password', 'Hide masks it again');

  await page.fill('#email', '');
  await page.fill('#password', '');
  await page.click('button[type="submit"]:has-text("Sign in")');
  await page.waitForSelector('.nhsuk-error-summary');
  const summary = await page.textContent('.nhsuk-error-summary');
  check(summary.includes('Enter your email address') && summary.includes('Enter your password'),
    'empty log-in names both fields in the error summary');
  await axe('log-in page with errors');

  await page.fill('#email', 'staff@skillmap.example');
  await page.fill('#password', 'not the password');
  await page.click('button[type="submit"]:has-text("Sign in")');
  await page.waitForSelector('.nhsuk-error-summary');
  check((await page.textContent('.nhsuk-error-summary')).includes('email address or password is not correct'),
    'wrong password gets the same message as an unknown email');

  // A link someone else wrote cannot put words on the real sign-in page:
  // only errors the server signed are shown.
  const forged = Buffer.from(JSON.stringify({ Conflict: 'Your password has expired. Re-enter it at https://evil.example' }))
    .toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  await page.goto(`${base}/login?__path=${encodeURIComponent('/api/auth/login')}&__err=${encodeURIComponent(forged)}`);
  check(!(await page.textContent('main')).includes('password has expired')
    && (await page.locator('.nhsuk-error-summary').count()) === 0,
    'a forged error in a link is not shown on the sign-in page');

  const roles = [
    { email: 'staff@skillmap.example', label: 'Staff member', file: 'staff' },
    { email: 'manager@skillmap.example', label: 'Manager', file: 'manager' },
    { email: 'hr@skillmap.example', label: 'HR', file: 'hr' },
    { email: 'admin@skillmap.example', label: 'Administrator', file: 'admin' },
  ];
  for (const role of roles) {
    await page.goto(`${base}/login`);
    await page.fill('#email', role.email);
    await page.fill('#password', password);
    await page.click('button[type="submit"]:has-text("Sign in")');
    await page.waitForURL(`${base}/`);
    const h1 = await page.textContent('h1');
    check(h1.includes(`${role.label} home`) && h1.includes('Welcome'), `${role.file}: sees the ${role.label} home`);

    // Keyboard: the skip link is the first stop.
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement?.classList.contains('nhsuk-skip-link')),
      `${role.file}: first Tab reaches the skip link`);

    // The navigation, with no wasm: on a phone-sized screen it folds
    // behind Menu (a disclosure the browser opens from the keyboard).
    await page.setViewportSize({ width: 375, height: 800 });
    check(!(await page.isVisible('#primary-navigation')), `${role.file}: navigation folded on a narrow screen`);
    check(!(await page.isVisible('.skillmap-nav__wide')), `${role.file}: the wide navigation row is hidden on a narrow screen`);
    await page.focus('.skillmap-nav__toggle');
    await page.keyboard.press('Enter');
    check(await page.isVisible('#primary-navigation'), `${role.file}: Menu opens the navigation from the keyboard`);
    check(await page.evaluate(() => document.querySelector('.skillmap-nav__narrow').open),
      `${role.file}: Menu reports itself open`);
    await page.setViewportSize({ width: 1280, height: 900 });

    await axe(`${role.file} home`);
    await page.screenshot({ path: path.join(artifacts, `home-${role.file}.png`), fullPage: true });

    if (role.file === 'staff') {
      check((await page.textContent('[data-testid="home-progress"]')).includes('not assessed any skills yet'), 'staff: home invites them to start');
      await page.click('a:has-text("See all your details")');
      await page.waitForSelector('dt:has-text("Employee number")');
      check(true, 'staff: opens their own details');
      await axe('person page');
    }
    if (role.file === 'manager') {
      const rows = await page.locator('#your-team + table tbody tr').count();
      check(rows > 0, `manager: sees the ${rows} people they manage`);
      await page.locator('#your-team + table tbody tr a').first().click();
      await page.waitForSelector('dt:has-text("Line manager")');
      check(true, 'manager: opens a team member\'s details');
    }
    if (role.file === 'hr') {
      check(await page.isVisible('text=Your organisation in Skillmap'), 'hr: sees the organisation summary');
      await page.click('.nhsuk-header__navigation-link:has-text("Job roles")');
      await page.waitForSelector('h1:has-text("Job roles")');
      await axe('job roles');
      await page.click('a:has-text("Porter")');
      await page.waitForSelector('h2:has-text("Required skills")');
      await axe('a job role');
      await page.selectOption('#skill_code', 'DAT-VIS');
      await page.selectOption('#level', '2');
      await page.click('button:has-text("Add requirement")');
      await page.waitForSelector('td:has-text("Visualisation and storytelling")');
      check(true, 'hr: adds a required skill to a job role');
      await page.click('button[aria-label="Remove Visualisation and storytelling from this role"]');
      await page.waitForSelector('td:has-text("Visualisation and storytelling")', { state: 'detached' });
      check(true, 'hr: removes it again');
      await page.click('a:has-text("Back to job roles")');
      await page.click('a.nhsuk-button:has-text("Add a job role")');
      await page.click('button:has-text("Add job role")');
      await page.waitForSelector('.nhsuk-error-summary');
      check((await page.textContent('.nhsuk-error-summary')).includes('Enter the job title'), 'hr: an empty job role names its fields');
      await axe('add a job role, with errors');
      await page.fill('#title', 'Digital Nurse Specialist');
      await page.fill('#code', 'nur-dns');
      await page.selectOption('#staff_group', 'Nursing and Midwifery Registered');
      await page.selectOption('#band', 'Band 7');
      await page.click('button:has-text("Add job role")');
      await page.waitForSelector('h1:has-text("Digital Nurse Specialist")');
      check(await page.isVisible('text=NUR-DNS'), 'hr: adds a job role');
      await page.goto(`${base}/`);
    }
    if (role.file === 'admin') {
      await page.click('.nhsuk-header__navigation-link:has-text("Accounts")');
      await page.waitForSelector('table caption:has-text("accounts")');
      await axe('accounts page');
      await page.fill('#q', 'staff@');
      await page.click('button:has-text("Search")');
      await page.waitForSelector('table caption:has-text("1 account")');
      check(true, 'admin: searches accounts');
      await page.click('button[aria-label="Disable the account for staff@skillmap.example"]');
      await page.waitForSelector('text=Disabled');
      check(true, 'admin: disables an account from the list');
      await page.click('button[aria-label="Enable the account for staff@skillmap.example"]');
      await page.waitForSelector('button[aria-label="Disable the account for staff@skillmap.example"]');
      check(true, 'admin: re-enables it');
      await page.goto(`${base}/admin/accounts`);
      // Import a new framework version: export, edit, check, publish.
      await page.click('.nhsuk-header__navigation-link:has-text("Manage framework")');
      await page.waitForSelector('h1:has-text("Manage the framework")');
      await axe('manage the framework');
      await page.fill('#document', 'this is not a framework');
      await page.click('button:has-text("Check the file")');
      await page.waitForSelector('.nhsuk-error-summary');
      check((await page.textContent('.nhsuk-error-summary')).includes('line 1'), 'admin: a bad file is refused, naming the line');
      const csv = await page.evaluate(async () => (await fetch('/framework/export.csv')).text());
      await page.fill('#document', csv.replace('Data ethics', 'Data ethics and fairness'));
      await page.click('button:has-text("Check the file")');
      await page.waitForSelector('h1:has-text("Check what will change")');
      check((await page.textContent('main')).includes('Data ethics and fairness'), 'admin: preview lists the changed skill');
      await axe('import preview');
      await page.click('button:has-text("Publish as version 2")');
      await page.waitForSelector('text=Published version 2.');
      check(true, 'admin: publishes version 2');
    }

    await page.click('button:has-text("Sign out")');
    await page.waitForURL(/\/login\?signed_out=1$/);
    check(await page.isVisible('text=You have signed out'), `${role.file}: signs out`);
    await page.goto(`${base}/`);
    check(page.url().startsWith(`${base}/login`), `${role.file}: home needs signing in again`);
  }

  await skillsJourney();
  await teamJourney();
  await learningJourney();
  await badgeJourney();
  await recognitionJourney();
  await importJourney();
  await auditJourney();
  await privacyJourney();
} catch (err) {
  problems.push(`journey stopped: ${err.stack || err}`);
  await page.screenshot({ path: path.join(artifacts, 'failure.png'), fullPage: true }).catch(() => {});
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

async function signIn(email) {
  await page.goto(`${base}/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type="submit"]:has-text("Sign in")');
  await page.waitForURL(`${base}/`);
}

async function signOut() {
  await page.click('button:has-text("Sign out")');
  await page.waitForURL(/\/login\?signed_out=1$/);
}

// Issue 3's journey: a staff member assesses several skills (instant saves
// and the plain form), reloads and finds them kept, sees the gap view; their
// manager agrees one level and changes another with a comment; the staff
// member sees both.
async function skillsJourney() {
  await signIn('staff@skillmap.example');
  await page.click('.nhsuk-header__navigation-link:has-text("My skills")');
  await page.waitForSelector('h1:has-text("My skills")');
  await axe('my skills');
  await page.click('a.nhsuk-button:has-text("Start your assessment")');
  await page.waitForSelector('form.skillmap-skill-form[data-hydrated="true"]');
  await axe('assess a skill');
  const firstSkill = page.url();
  // Instant save: choosing a level saves at once.
  await page.check('#level-2');
  await page.waitForSelector('.skillmap-save-status:has-text("Saved")');
  check(true, 'staff: choosing a level saves at once');
  await page.fill('#evidence', 'Completed the e-learning and use the EPR every shift.');
  await page.fill('#evidence_url', 'not a link');
  await page.locator('#evidence_url').blur();
  await page.waitForSelector('.skillmap-save-status:has-text("https://")');
  check(true, 'staff: a bad link is refused with a clear message');
  await page.fill('#evidence_url', 'https://learning.example.nhs.uk/epr');
  await page.locator('#evidence_url').blur();
  await page.waitForSelector('.skillmap-save-status:has-text("Saved")');
  // The button posts the form and moves to the next skill.
  await page.click('button:has-text("Save and continue")');
  await page.waitForURL((u) => u.href !== firstSkill && u.pathname.startsWith('/skills/'));
  const secondSkill = page.url();
  await page.waitForSelector('form.skillmap-skill-form[data-hydrated="true"]');
  await page.check('#level-3');
  await page.waitForSelector('.skillmap-save-status:has-text("Saved")');
  await page.click('button:has-text("Save and continue")');
  await page.waitForURL((u) => u.href !== secondSkill);
  // Reload: both kept.
  await page.goto(firstSkill);
  check(await page.isChecked('#level-2'), 'staff: first skill kept after reload');
  check((await page.inputValue('#evidence')).includes('e-learning'), 'staff: evidence kept after reload');
  await page.goto(secondSkill);
  check(await page.isChecked('#level-3'), 'staff: second skill kept after reload');
  await page.goto(`${base}/`);
  check((await page.textContent('[data-testid="home-progress"]')).includes('You have assessed 2 of'), 'staff: home shows their progress');
  await page.goto(`${base}/skills/gaps`);
  await page.waitForSelector('[data-testid="gap-table"]');
  const gaps = await page.textContent('[data-testid="gap-table"]');
  check(gaps.includes('2 Working') && gaps.includes('3 Practitioner'), 'staff: gap view shows both levels');
  await axe('gap view');
  await signOut();

  await signIn('manager@skillmap.example');
  check(await page.isVisible('[data-testid="home-to-agree"]'), 'manager: home says levels are waiting');
  await page.click('.nhsuk-header__navigation-link:has-text("Levels to agree")');
  await page.waitForSelector('h1:has-text("Levels to agree")');
  await axe('levels to agree');
  await page.locator('table a').first().click();
  await page.waitForSelector('h1:has-text("Skills of")');
  await axe('review page');
  const cards = page.locator('section.nhsuk-card');
  // Agree the first; set a different level, with a comment, on the second.
  await cards.nth(0).locator('button[value="agree"]').click();
  await page.waitForSelector('section.nhsuk-card >> nth=0 >> text=Agreed at');
  check(true, 'manager: agrees a level');
  const second = page.locator('section.nhsuk-card').nth(1);
  await second.locator('summary').click();
  await second.locator('select').selectOption('1');
  await second.locator('textarea').fill('Shadow the EPR trainer for a shift first.');
  await second.locator('button[value="change"]').click();
  await page.waitForSelector('text=Comment: Shadow the EPR trainer for a shift first.');
  check(true, 'manager: sets a different level with a comment');
  await signOut();

  await signIn('staff@skillmap.example');
  await page.goto(firstSkill);
  check((await page.textContent('[data-testid="agreement"]')).includes('agreed level 2 Working'), 'staff: sees the agreed level');
  await page.goto(secondSkill);
  const outcome = await page.textContent('[data-testid="agreement"]');
  check(outcome.includes('1 Awareness') && outcome.includes('Shadow the EPR trainer'), 'staff: sees the changed level and the comment');
  await page.goto(`${base}/skills/history`);
  const history = await page.textContent('main');
  check(history.includes('set the agreed level to 1 Awareness') && history.includes('agreed level 2 Working'), 'staff: history shows both decisions');
  await axe('history');
  await page.goto(`${base}/framework?q=caldicott`);
  await page.waitForSelector('text=match');
  await axe('framework search');
  await signOut();
}

console.log(`${checks} checks, ${problems.length} problems`);
if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}

// Issue 4's journey: HR uploads a staff file with a mistake, sees the
// problem named by row and column, fixes the file, imports it (with the
// progress bar), and finds the new people in the organisation.
async function importJourney() {
  await signIn('hr@skillmap.example');
  await page.click('.nhsuk-header__navigation-link:has-text("Import")');
  await page.waitForSelector('h1:has-text("Import organisation data")');
  await axe('import page');
  // Nothing chosen: both questions are named.
  await page.click('button:has-text("Upload and check")');
  await page.waitForSelector('.nhsuk-error-summary');
  const summary = await page.textContent('.nhsuk-error-summary');
  check(summary.includes('Choose what the file contains') && summary.includes('Choose a CSV or Excel file'),
    'hr: an empty upload names both fields');
  await axe('import page with errors');
  // A spreadsheet with two cells far apart (A1 and XFD1048576) is refused
  // with the limits named; nothing is imported and the server stays up.
  await page.check('#kind-staff');
  await page.setInputFiles('#file', path.join(process.cwd(), 'tests', 'import-corpus', 'two-cells.xlsx'));
  await page.click('button:has-text("Upload and check")');
  await page.waitForSelector('.nhsuk-error-summary');
  check((await page.textContent('.nhsuk-error-summary')).includes('larger than Skillmap can import'),
    'hr: a huge spreadsheet is refused with its limits named');
  await axe('import page, file too large');
  const header = 'Employee number,First name,Last name,Email,Org unit code,Job role code,Line manager employee number,Staff group,Band\n';
  const rows = (email) =>
    'B0001,Bryony,Browser,bryony.browser@import.example,RNF-D1-T01,NUR-RN5,,Nursing and Midwifery Registered,Band 6\n' +
    `B0002,Bilal,Browser,${email},RNF-D1-T01,,B0001,Administrative and Clerical,Band 4\n`;
  await page.check('#kind-staff');
  await page.setInputFiles('#file', { name: 'new-starters.csv', mimeType: 'text/csv', buffer: Buffer.from(header + rows('bilal at import.example')) });
  await page.click('button:has-text("Upload and check")');
  await page.waitForSelector('h1:has-text("The file has problems")');
  const problem = await page.textContent('table tbody tr');
  check(problem.includes('3') && problem.includes('Email') && problem.includes('bilal at import.example'),
    'hr: the preview names the row, column and value of the problem');
  check(await page.isVisible('text=Nothing was imported'), 'hr: a file with errors imports nothing');
  check(await page.isVisible('a:has-text("Download all 1 problem as CSV")'), 'hr: the problems can be downloaded');
  await axe('import with errors');
  await page.screenshot({ path: path.join(artifacts, 'import-errors.png'), fullPage: true });

  await page.click('a:has-text("Back to import organisation data")');
  await page.check('#kind-staff');
  await page.setInputFiles('#file', { name: 'new-starters.csv', mimeType: 'text/csv', buffer: Buffer.from(header + rows('bilal.browser@import.example')) });
  await page.click('button:has-text("Upload and check")');
  await page.waitForSelector('h1:has-text("Check what will change")');
  check((await page.textContent('.nhsuk-summary-list')).includes('2 people'), 'hr: the preview counts 2 new people');
  await axe('import preview');
  await page.click('button:has-text("Import 2 rows")');
  await page.waitForSelector('h1:has-text("Imported")', { timeout: 60000 });
  check(await page.isVisible('text=2 new, 0 updated, 0 unchanged'), 'hr: the import reports what it did');
  await axe('import done');
  await page.click('a:has-text("Find the people you imported")');
  await page.fill('#q', 'browser');
  await page.click('button:has-text("Search")');
  await page.waitForSelector('td a:has-text("Bryony Browser")');
  check(await page.isVisible('td a:has-text("Bilal Browser")'), 'hr: finds the new staff in the organisation');
  await axe('people search');
  await page.click('td a:has-text("Bilal Browser")');
  await page.waitForSelector('dt:has-text("Line manager")');
  check((await page.textContent('main')).includes('Bryony Browser'), 'hr: the new person reports to their new manager');
  await page.goto(`${base}/admin/import/history`);
  await page.waitForSelector('h1:has-text("Import history")');
  check((await page.locator('table tbody tr').count()) === 2, 'hr: the history lists both uploads');
  await axe('import history');
  await signOut();
}

// Issue 5's journey: the demo manager opens the team heatmap, sorts it by
// gap, filters it to Data, downloads it, and opens a cell; the organisation
// view hides small groups from them; HR sees the whole trust and drills down.
async function teamJourney() {
  await signIn('manager@skillmap.example');
  await page.click('nav a:has-text("Team capability")');
  await page.waitForSelector('table.skillmap-heatmap__table');
  check((await page.locator('table.skillmap-heatmap__table tbody tr').count()) > 0, 'manager: sees the team heatmap');
  check(await page.isVisible('text=How to read the heatmap'), 'manager: the heatmap has a legend');
  await axe('team heatmap');
  await page.click('thead a:has-text("Total gap")');
  await page.waitForURL(/sort=gap/);
  const totals = (await page.locator('td.skillmap-heatmap__total').allTextContents()).map(Number);
  check(totals.every((n, i) => i === 0 || totals[i - 1] >= n), `manager: sorts the team by total gap (${totals.join(', ')})`);
  check((await page.locator('th[aria-sort="descending"]').count()) === 1, 'manager: the sorted column says so to screen readers');
  await page.selectOption('#domain', 'DAT');
  await page.click('button:has-text("Apply")');
  await page.waitForURL(/domain=DAT/);
  const domains = await page.locator('th.skillmap-heatmap__domain').allTextContents();
  check(domains.length === 1 && domains[0].includes('Data'), 'manager: filters the heatmap to Data');
  check(page.url().includes('sort=gap'), 'manager: the filter keeps the sort');
  await page.focus('.skillmap-heatmap');
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement?.closest('table') !== null), 'manager: the heatmap is reachable by keyboard');
  // Headless Chromium here cancels saved downloads, so the page fetches
  // the link itself, with the user's session, as the browser would.
  const link = page.locator('a:has-text("Download this heatmap as CSV")');
  check((await link.getAttribute('download')) !== null, 'manager: the CSV link downloads');
  const csv = await page.evaluate(async (href) => {
    const res = await fetch(href);
    return res.headers.get('content-disposition').includes('attachment') ? await res.text() : '';
  }, await link.getAttribute('href'));
  const lines = csv.trim().split('\n');
  check(lines[0].startsWith('Name,Job role,Total gap') && lines[0].includes('(DAT-') && !lines[0].includes('(DIG-'),
    'manager: downloads the Data heatmap as CSV');
  check(lines.length === totals.length + 2, 'manager: the CSV has everyone in the heatmap');
  const cell = page.locator('td.skillmap-cell a').first();
  const spoken = await cell.locator('.nhsuk-u-visually-hidden').textContent();
  check(/agreed|not assessed/.test(spoken), `manager: a cell says its level in words (${spoken})`);
  await cell.click();
  await page.waitForSelector('h1:has-text("Skills of")');
  check(true, "manager: a cell opens that person's skills");
  await page.click('nav a:has-text("Organisation")');
  await page.waitForSelector('h1:has-text("Ward 7")');
  check((await page.textContent('main')).includes('fewer than 5'), 'manager: figures about fewer than 5 people are hidden');
  await axe('organisation view (manager)');
  await signOut();

  await signIn('hr@skillmap.example');
  await page.click('nav a:has-text("Organisation")');
  await page.waitForSelector('h1:has-text("Northfield")');
  check(await page.isVisible('svg.skillmap-chart'), 'hr: sees the trend chart');
  check(await page.isVisible('text=Integrative-leader pipeline'), 'hr: sees the integrative-leader pipeline');
  await axe('organisation view (hr)');
  await page.screenshot({ path: path.join(artifacts, 'organisation.png'), fullPage: true });
  await page.click('.skillmap-org-table tbody tr:nth-child(2) th a');
  await page.waitForSelector('.nhsuk-breadcrumb__link');
  check((await page.locator('.nhsuk-breadcrumb__item').count()) === 1, 'hr: drills down from the trust to a directorate');
  await page.click('nav a:has-text("Team capability")');
  await page.waitForSelector('#team-manager');
  await page.click('button:has-text("Show team")');
  await page.waitForSelector('table.skillmap-heatmap__table, [data-testid="heatmap-status"]');
  check(true, 'hr: opens any team from the picker');
  await axe('team heatmap (hr)');
  // A big team comes a page at a time: find one (everyone below a manager),
  // then page through it from the keyboard.
  const big = await page.evaluate(async () => {
    const post = async (path, body) => (await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    })).json();
    for (const m of await post('/api/team/managers', '')) {
      const map = await post('/api/team/heatmap', `manager=${m.code}&all=true`);
      if (map.paging.pages > 1) return m.code;
    }
    return null;
  });
  check(big !== null, 'hr: some manager leads more than a page of people');
  await page.goto(`${base}/team?manager=${big}&all=true`);
  await page.waitForSelector('nav[aria-label="Pages of people"]');
  const rowNames = () => page.locator('tbody th[scope="row"] a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  const pageOne = await rowNames();
  check(pageOne.length === 50, `hr: a page holds 50 people (${pageOne.length})`);
  await page.focus('a[rel="next"]');
  await page.keyboard.press('Enter');
  await page.waitForURL(/page=2/);
  const where = await page.textContent('[data-testid="heatmap-page"]');
  check(where.startsWith('Page 2 of') && where.includes('people 51 to'), `hr: pages through a big team by keyboard (${where})`);
  const pageTwo = await rowNames();
  check(pageTwo.length > 0 && !pageTwo.some((n) => pageOne.includes(n)), 'hr: the next page shows other people');
  check((await page.textContent('[data-testid="heatmap-status"]')).includes('Showing 51 to'), 'hr: the status says which people are shown');
  check(await page.isVisible('a[rel="prev"]'), 'hr: can go back a page');
  await axe('team heatmap, second page');
  await signOut();
}

// Issue 6's journey: the demo staff member sees recommendations with their
// reasons, accepts the pathway, reorders it, finishes a step and is prompted
// to update their self-assessment; their manager sees the progress; HR adds
// a resource (a mistake first: the form keeps what was typed) and sees
// uptake by unit.
async function learningJourney() {
  await signIn('staff@skillmap.example');
  await page.click('.nhsuk-header__navigation-link:has-text("My learning")');
  await page.waitForSelector('h1:has-text("My learning")');
  const recommended = page.locator('[data-testid="recommended"] > li');
  check((await recommended.count()) > 0, 'staff: sees recommended learning');
  const why = await recommended.first().textContent();
  check(/Why: Your role \(.+\) needs .+ at .+; (you|step)/.test(why), `staff: a recommendation says why (${why.slice(0, 160)})`);
  await axe('my learning');
  await page.selectOption('#weekly', '60');
  await page.click('button:has-text("Update recommendations")');
  await page.waitForURL(/weekly=60/);
  check((await recommended.first().textContent()).includes('from week 1'), 'staff: a weekly time budget plans the weeks');
  const planned = await recommended.count();
  await page.click('button:has-text("Accept this pathway")');
  await page.waitForURL(/accepted=1/);
  const steps = page.locator('[data-testid="my-pathway"] > li');
  check((await steps.count()) === planned, `staff: the accepted pathway has the ${planned} recommended steps`);
  await axe('my learning with a pathway');
  if (planned > 1) {
    const second = await steps.nth(1).locator('h3 a, h3 span').first().textContent();
    await page.click('button[aria-label^="Move up: step 2,"]');
    await page.waitForURL(/#step-/);
    check((await steps.first().locator('h3 a, h3 span').first().textContent()) === second, 'staff: moves a step up');
  }
  await page.click('button[aria-label^="Mark as done: step 1,"]');
  await page.waitForURL(/done=/);
  await page.waitForSelector('#done:has-text("Well done")');
  check((await page.textContent('[data-testid="pathway-progress"]')).startsWith('1 of'), 'staff: progress counts the finished step');
  const reassess = page.locator('#done a:has-text("Update your level in")').first();
  check(await reassess.isVisible(), 'staff: finishing a step prompts them to update their self-assessment');
  await axe('finished a step');
  await reassess.click();
  await page.waitForURL(/\/skills\/[A-Z]+-[A-Z]+/);
  await page.waitForSelector('form.skillmap-skill-form');
  check(true, 'staff: the prompt opens the self-assessment of that skill');
  await signOut();

  await signIn('manager@skillmap.example');
  await page.click('nav a:has-text("Team capability")');
  await page.click('a:has-text("See this team\'s learning pathways")');
  await page.waitForSelector('[data-testid="team-learning"]');
  const rows = await page.locator('[data-testid="team-learning"] tbody tr').allTextContents();
  check(rows.some((r) => /1 of \d+ done/.test(r)), 'manager: sees the team\'s pathway progress');
  await axe('team learning');
  await signOut();

  await signIn('hr@skillmap.example');
  await page.click('.nhsuk-header__navigation-link:has-text("Learning catalogue")');
  await page.waitForSelector('[data-testid="catalogue"]');
  check((await page.textContent('caption')).match(/^\d+ resources$/) !== null, 'hr: sees the whole catalogue');
  await axe('learning catalogue');
  await page.fill('#q', 'making data count');
  await page.click('button:has-text("Search")');
  await page.waitForSelector('caption:has-text(" of ")');
  check((await page.textContent('[data-testid="catalogue"] tbody')).includes('Making Data Count'), 'hr: searches the catalogue');
  await page.click('a:has-text("Add a resource")');
  await waitHydrated('.skillmap-resource-form');
  await page.fill('#title', 'Ward data huddle');
  await page.fill('#provider', 'Northfield Learning');
  await page.selectOption('#format', 'on-the-job');
  await page.fill('#minutes', 'half an hour');
  await page.fill('#skills', 'DAT-DEC 1-2');
  await page.click('button:has-text("Save resource")');
  await page.waitForSelector('.nhsuk-error-summary');
  const errors = await page.textContent('.nhsuk-error-summary');
  check(errors.includes('in minutes') && errors.includes('code'), 'hr: a bad resource names the fields');
  check((await page.inputValue('#title')) === 'Ward data huddle', 'hr: nothing typed is lost on a mistake');
  await axe('add a resource, with errors');
  await page.fill('#minutes', '30');
  await page.fill('#code', 'NTH-001');
  await page.click('button:has-text("Save resource")');
  await page.waitForURL(/saved=/);
  await page.waitForSelector('text=The resource is saved.');
  check((await page.textContent('[data-testid="catalogue"]')).includes('Ward data huddle'), 'hr: the new resource is in the catalogue');
  await page.click('a:has-text("Uptake by unit")');
  await page.waitForSelector('[data-testid="uptake"]');
  check((await page.textContent('[data-testid="uptake"] tr.skillmap-total')).includes('All units'), 'hr: sees uptake by unit');
  await axe('learning uptake');
  await signOut();
}

// Issue 7's badge journey: the staff member assesses a skill at
// Practitioner, the demo manager agrees it, the staff member finds the
// badge, downloads the signed credential, and the verification page (signed
// in, then signed out) accepts it.
async function badgeJourney() {
  await signIn('staff@skillmap.example');
  const me = await page.evaluate(async () => (await fetch('/api/auth/whoami', { method: 'POST' })).json());
  await page.goto(`${base}/skills/DAT-VIS`);
  await page.waitForSelector('form.skillmap-skill-form[data-hydrated="true"]');
  await page.check('#level-3');
  await page.waitForSelector('.skillmap-save-status:has-text("Saved")');
  await signOut();

  await signIn('manager@skillmap.example');
  await page.goto(`${base}/people/${me.person_id}/skills`);
  await page.click('form[aria-labelledby="review-DAT-VIS"] button[value="agree"]');
  await page.waitForSelector('section:has(#review-DAT-VIS) >> text=Agreed at');
  check(true, 'manager: agrees a Practitioner level');
  await signOut();

  await signIn('staff@skillmap.example');
  await page.click('.nhsuk-header__navigation-link:has-text("My recognition")');
  await page.waitForSelector('h1:has-text("My recognition")');
  const badge = page.locator('[data-testid="badge"]', { hasText: 'Visualisation and storytelling: Practitioner' });
  check((await badge.count()) === 1, 'staff: finds the badge for the agreed Practitioner level');
  await axe('my badges');
  const link = badge.locator('a:has-text("Download the credential")');
  check((await link.getAttribute('download')) !== null, 'staff: the credential link downloads');
  // Headless Chromium here cancels saved downloads: fetch the link instead.
  const jwt = await page.evaluate(async (href) => {
    const res = await fetch(href);
    return res.headers.get('content-disposition').includes('attachment') ? await res.text() : '';
  }, await link.getAttribute('href'));
  check(jwt.split('.').length === 3, 'staff: downloads the signed credential (a VC-JWT)');
  await page.goto(`${base}/verify`);
  await page.fill('#credential', jwt);
  await page.click('button:has-text("Check")');
  await page.waitForSelector('[data-testid="verification"]');
  check((await page.textContent('[data-testid="verification"]')).includes('Valid'), 'staff: the verify page accepts the badge');
  await axe('verify a badge');
  await page.goto(`${base}/verify`);
  await page.setInputFiles('#file', { name: 'skillmap-badge.jwt', mimeType: 'application/jwt', buffer: Buffer.from(jwt) });
  await page.click('button:has-text("Upload and check")');
  await page.waitForSelector('[data-testid="verification"]');
  check((await page.textContent('[data-testid="verification"]')).includes('Valid'), 'staff: an uploaded credential file is checked too');
  await signOut();

  // Checking posts the form: the credential and email never appear in the URL.
  const verify = async (credential) => {
    await page.goto(`${base}/verify`);
    await page.fill('#credential', credential);
    await page.fill('#email', 'staff@skillmap.example');
    await page.click('button:has-text("Check")');
    await page.waitForSelector('[data-testid="verification"]');
  };
  await verify(jwt.slice(0, -4) + 'AAAA');
  check(page.url().startsWith(`${base}/verify`), 'anyone: the verify page needs no sign-in');
  check((await page.textContent('[data-testid="verification"]')).includes('Not valid'), 'anyone: a changed credential is not valid');
  await verify(jwt);
  const outcome = await page.textContent('[data-testid="verification"]');
  check(outcome.includes('Valid') && !outcome.includes('Not valid'), 'anyone: the genuine credential is valid');
  check(!page.url().includes(jwt.slice(0, 20)) && !page.url().includes('skillmap.example'),
    'anyone: the credential and email are not in the address');
  await axe('verify a badge, signed out');
}

// Issue 7's recognition journey: the manager gives the staff member an
// award (after a refused, empty endorsement that names its fields), the
// staff member finds it and hides it, then endorses their manager; the
// team page, HR's report and the administrator's award kinds.
async function recognitionJourney() {
  await signIn('staff@skillmap.example');
  const staff = await page.evaluate(async () => (await fetch('/api/auth/whoami', { method: 'POST' })).json());
  await signOut();

  await signIn('manager@skillmap.example');
  const manager = await page.evaluate(async () => (await fetch('/api/auth/whoami', { method: 'POST' })).json());
  await page.goto(`${base}/recognise`);
  await page.fill('#q', staff.display_name);
  await page.click('button:has-text("Find")');
  await page.waitForSelector('[data-testid="colleague"]');
  await axe('find a colleague');
  await page.click(`a:has-text("Recognise ${staff.display_name}")`);
  await page.waitForSelector(`h1:has-text("Recognise ${staff.display_name}")`);
  await axe('recognise a colleague');
  // Browsers refuse the empty form; without those checks the server does,
  // and names both fields.
  await page.evaluate(() => document.querySelectorAll('[data-testid="endorse-form"] [required]').forEach((e) => e.removeAttribute('required')));
  await page.click('button:has-text("Endorse")');
  await page.waitForSelector('.nhsuk-error-summary');
  const summary = await page.textContent('.nhsuk-error-summary');
  check(summary.includes('Choose the skill to endorse') && summary.includes('Write a short message'), 'manager: an empty endorsement names the skill and the message');
  await axe('recognise a colleague, with errors');
  await page.screenshot({ path: path.join(artifacts, 'recognise-errors.png'), fullPage: true });
  await page.selectOption('#award_kind_id', { label: 'Digital champion' });
  await page.fill('#citation', 'Taught the whole ward the new e-observations devices.');
  await page.click('button:has-text("Give the award")');
  await page.waitForSelector('[data-testid="sent"]');
  check((await page.textContent('[data-testid="sent"]')).includes('award'), 'manager: gives the staff member an award');
  check((await page.textContent('[data-testid="given"]')).includes('Award: Digital champion'), 'manager: sees what they have given');
  await page.goto(`${base}/team`);
  await page.click('a:has-text("See this team\'s recognition")');
  await page.waitForSelector('h1:has-text("Team recognition")');
  check((await page.locator('[data-testid="team-item"]', { hasText: staff.display_name }).count()) >= 1, 'manager: the team page shows the award');
  await axe('team recognition');
  await signOut();

  await signIn('staff@skillmap.example');
  await page.click('.nhsuk-header__navigation-link:has-text("My recognition")');
  const item = page.locator('[data-testid="received"]', { hasText: 'Award: Digital champion' });
  await item.waitFor();
  check((await item.textContent()).includes('e-observations'), 'staff: finds the award and its citation');
  await item.locator('button:has-text("Hide from others")').click();
  await page.waitForSelector('[data-testid="received"]:has-text("Hidden from others")');
  check(true, 'staff: hides the award from others');
  await axe('my recognition, with a hidden award');
  await page.screenshot({ path: path.join(artifacts, 'my-recognition.png'), fullPage: true });
  await page.click('a:has-text("Recognise a colleague")');
  await page.fill('#q', manager.display_name);
  await page.click('button:has-text("Find")');
  await page.click(`a:has-text("Recognise ${manager.display_name}")`);
  await page.waitForSelector(`h1:has-text("Recognise ${manager.display_name}")`);
  check((await page.locator('[data-testid="award-form"]').count()) === 0, 'staff: offers no award form to a peer');
  await page.selectOption('#skill_code', 'LEAD-CHANGE');
  await page.fill('#message', 'Kept us all calm through the move to the new system.');
  await page.click('button:has-text("Endorse")');
  await page.waitForSelector('[data-testid="sent"]');
  check((await page.textContent('[data-testid="given"]')).includes('Endorsed for'), 'staff: endorses their manager');
  await signOut();

  await signIn('hr@skillmap.example');
  await page.click('.nhsuk-header__navigation-link[href="/recognition/report"]');
  await page.waitForSelector('[data-testid="recognition-report"]');
  check((await page.textContent('[data-testid="recognition-report"] tr.skillmap-total')).includes('All units'), 'hr: sees recognition by unit and month');
  await axe('recognition report');
  await page.screenshot({ path: path.join(artifacts, 'recognition-report.png'), fullPage: true });
  await page.locator('[data-testid="recognition-report"] tbody a').first().click();
  await page.waitForSelector('[data-testid="unit-unrecognised"]');
  check(true, 'hr: sees who in a unit has not been recognised');
  await axe('recognition report, one unit');
  await signOut();

  await signIn('admin@skillmap.example');
  await page.click('.nhsuk-header__navigation-link:has-text("Award kinds")');
  await page.waitForSelector('h1:has-text("Award kinds")');
  await page.fill('#name', 'Kindness');
  await page.fill('#description', 'Kind to patients and colleagues under pressure.');
  await page.click('button:has-text("Add the award")');
  await page.waitForSelector('[data-testid="award-kind"]:has-text("Kindness")');
  check(true, 'admin: adds an award kind');
  await axe('award kinds');
  await page.click('button[aria-label="Retire: Kindness"]');
  await page.waitForSelector('[data-testid="award-kind"]:has-text("Kindness") >> text=Retired');
  check(true, 'admin: retires it');
  await signOut();
}

// Issue 8's audit trail: a staff member is refused HR's page; HR finds that
// refusal and the earlier sign-ins, filters by who and what, gets the
// filters' errors named at each field, and downloads the CSV.
async function auditJourney() {
  await signIn('staff@skillmap.example');
  await page.goto(`${base}/people`);
  await signOut();

  await signIn('hr@skillmap.example');
  await page.click('.nhsuk-header__navigation-link:has-text("Audit trail")');
  await page.waitForSelector('h1:has-text("Audit trail")');
  await page.waitForSelector('[data-testid="audit-events"]');
  await axe('audit trail');
  await page.selectOption('#action', 'refused');
  await page.fill('#actor', 'staff@');
  await page.click('button:has-text("Search")');
  await page.waitForURL(/action=refused/);
  const refused = page.locator('[data-testid="audit-events"] tbody tr');
  check((await refused.count()) >= 1, 'hr: finds the staff member\'s refusal');
  check((await refused.first().textContent()).includes('staff@skillmap.example'), 'hr: the refusal names who');
  await page.screenshot({ path: path.join(artifacts, 'audit-trail.png'), fullPage: true });
  const csvHref = await page.getAttribute('a:has-text("Download these events (CSV)")', 'href');
  check(csvHref === '/admin/audit.csv?action=refused&actor=staff%40', `hr: the download keeps the filters (${csvHref})`);
  const csv = await page.evaluate(async (href) => (await fetch(href)).text(), csvHref);
  check(csv.split('\n')[1]?.includes(',refused,'), 'hr: the CSV has the refusal');

  await page.goto(`${base}/admin/audit?from=2026-02-30&target_id=abc`);
  await page.waitForSelector('.nhsuk-error-summary');
  const summary = await page.textContent('.nhsuk-error-summary');
  check(summary.includes('From must be a real date') && summary.includes('Record number must be a whole number'), 'hr: bad filters are named');
  check(await page.isVisible('#from-error'), 'hr: the date error shows at its field');
  await axe('audit trail, with errors');
  await page.goto(`${base}/admin/audit?actor=nobody-at-all`);
  await page.waitForSelector('[data-testid="audit-empty"]');
  check(true, 'hr: an empty search says nothing matches');
  await signOut();
}

// Issue 8's data rights: a staff member finds "Your data" and downloads the
// zip; HR erases a leaver (no account) after a wrong employee number is
// named at its field, and the retention review says it is done.
async function privacyJourney() {
  await signIn('staff@skillmap.example');
  const me = await page.evaluate(async () => (await fetch('/api/auth/whoami', { method: 'POST' })).json());
  await page.click('.nhsuk-header__account-link:has-text("Your data")');
  await page.waitForSelector('h1:has-text("Your data")');
  check((await page.textContent('main')).includes('Other people appear in it by name and role only'),
    'staff: the data page says others appear by name and role only');
  await axe('your data');
  const download = await page.evaluate(async () => {
    const res = await fetch('/my-data/skillmap-my-data.zip');
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { type: res.headers.get('content-type'), magic: String.fromCharCode(bytes[0], bytes[1]), size: bytes.length };
  });
  check(download.type === 'application/zip' && download.magic === 'PK' && download.size > 500, `staff: downloads their data as a zip (${JSON.stringify(download)})`);
  await signOut();

  await signIn('manager@skillmap.example');
  const manager = await page.evaluate(async () => (await fetch('/api/auth/whoami', { method: 'POST' })).json());
  await signOut();

  await signIn('hr@skillmap.example');
  const detail = await page.evaluate(async (id) => (await fetch('/api/people/detail', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `person_id=${id}`,
  })).json(), manager.person_id);
  const leaver = detail.direct_reports.find((p) => p.id !== me.person_id);
  check(Boolean(leaver), 'hr: picks a leaver from a team');
  await page.goto(`${base}/people/${leaver.id}`);
  await page.click('a:has-text("Erase this leaver\'s data")');
  await page.waitForSelector('h1:has-text("Erase a leaver")');
  await axe('erase a leaver');
  await page.fill('#confirm', 'NOT-THEIRS');
  await page.click('button:has-text("Erase this person\'s data")');
  await page.waitForSelector('.nhsuk-error-summary');
  check((await page.textContent('#confirm-error')).includes('does not match'), 'hr: a wrong employee number is named at its field');
  await axe('erase a leaver, with an error');
  await page.fill('#confirm', leaver.employee_number);
  await page.click('button:has-text("Erase this person\'s data")');
  await page.waitForSelector('[data-testid="erased"]');
  check(page.url().includes('/admin/retention'), 'hr: erasing lands on the retention review');
  await axe('retention review');
  await page.screenshot({ path: path.join(artifacts, 'retention-review.png'), fullPage: true });
  await page.goto(`${base}/people/${leaver.id}`);
  check(await page.isVisible('text=was not found'), 'hr: the erased person is gone');
  await signOut();
}
