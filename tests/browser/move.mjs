// A person moves to another organisation of the system with their skills
// record, in a real browser (headless Debian Chromium, playwright-core):
// their badge's credential is downloaded; HR of their organisation moves
// them (after a refused, empty form that names both fields); the new
// organisation's HR is told, finds them with their moves, the level their
// manager agreed (and who agreed it) and the badge (still issued by the
// first organisation); the credentials downloaded before and after the move
// both verify, naming the organisation that issued them. axe checks the
// pages; any console error fails.
//
// Run by tests/tests/browser.rs, which starts Skillmap with a demo system
// of two organisations, has the staff member's manager agree a
// Practitioner level, and passes BASE_URL, DEMO_PASSWORD, HR_EMAIL,
// OTHER_HR_EMAIL, STAFF_EMAIL, PERSON_ID, PERSON_NAME, EMPLOYEE_NUMBER,
// MANAGER_NAME, FIRST_NAME, OTHER_NAME, OTHER_CODE and ARTIFACTS_DIR.

import { base, artifacts, check, browser, watch, axe, finish, signIn, env } from './common.mjs';
import path from 'node:path';

const hrEmail = env('HR_EMAIL');
const otherHrEmail = env('OTHER_HR_EMAIL');
const staffEmail = env('STAFF_EMAIL');
const personId = env('PERSON_ID');
const personName = env('PERSON_NAME');
const employeeNumber = env('EMPLOYEE_NUMBER');
const managerName = env('MANAGER_NAME');
const firstName = env('FIRST_NAME');
const otherName = env('OTHER_NAME');
const otherCode = env('OTHER_CODE');
const BADGE = 'Visualisation and storytelling: Practitioner';

async function mainText(page) {
  return ((await page.textContent('main')) || '').replace(/\s+/g, ' ');
}

// Opens the holder's recognition page and fetches their badge's credential
// (headless Chromium cancels saved downloads, so the link is fetched).
async function credential(page, who) {
  await page.goto(`${base}/recognition`);
  const badge = page.locator('[data-testid="badge"]', { hasText: BADGE });
  check((await badge.count()) === 1, `${who}: the badge is on the recognition page`);
  check(((await badge.textContent()) || '').includes(`Issued by ${firstName}`), `${who}: the badge says ${firstName} issued it`);
  const href = await badge.locator('a:has-text("Download the credential")').getAttribute('href');
  const jwt = await page.evaluate(async (h) => (await fetch(h)).text(), href);
  check(jwt.split('.').length === 3, `${who}: downloads the signed credential`);
  return jwt;
}

async function verifies(page, jwt, what) {
  await page.goto(`${base}/verify`);
  await page.fill('#credential', jwt);
  await page.fill('#email', staffEmail);
  await page.click('button:has-text("Check")');
  await page.waitForSelector('[data-testid="verification"]');
  const outcome = (await page.textContent('[data-testid="verification"]')).replace(/\s+/g, ' ');
  check(outcome.includes('Valid') && !outcome.includes('Not valid'), `anyone: ${what} is valid (${outcome.slice(0, 160)})`);
  check(outcome.includes(firstName), `anyone: ${what} names ${firstName} as its issuer`);
}

try {
  const staffContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const staff = await staffContext.newPage();
  watch(staff);
  await signIn(staff, staffEmail);
  const before = await credential(staff, 'staff, before the move');

  // HR of the first organisation moves them.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, hrEmail);
    await page.goto(`${base}/people/${personId}`);
    await page.click('a:has-text("Move to another organisation")');
    await page.waitForURL(`${base}/people/${personId}/move`);
    const text = await mainText(page);
    check(text.includes(personName) && text.includes('What goes with them'), 'first HR: the move page says what goes with them');
    await axe(page, 'the move page');
    await page.click('button:has-text("Move them and their skills record")');
    await page.waitForSelector('.nhsuk-error-summary');
    const summary = await page.textContent('.nhsuk-error-summary');
    check(summary.includes('Choose the organisation'), 'first HR: an empty form names the organisation field');
    check(summary.includes('employee number'), 'first HR: an empty form names the confirmation field');
    check(page.url().includes(`/people/${personId}/move`), 'first HR: stays on the move page');
    await axe(page, 'the move page with errors');
    await page.selectOption('#to', otherCode);
    await page.fill('#confirm', employeeNumber);
    await page.click('button:has-text("Move them and their skills record")');
    await page.waitForURL(/\/people\?moved=1/);
    check((await page.textContent('[data-testid="moved"]')).includes('They have moved'), 'first HR: told they have moved');
    await page.screenshot({ path: path.join(artifacts, 'move-done.png'), fullPage: true });
    const response = await page.goto(`${base}/people/${personId}`);
    check(response.status() === 404, `first HR: the person is no longer theirs (got ${response.status()})`);
    await context.close();
  }

  // HR of the new organisation is told and finds the record.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, otherHrEmail);
    await page.goto(`${base}/notifications`);
    check((await mainText(page)).includes(`${personName} has moved here from ${firstName}`), 'new HR: a notice says who joined, and from where');
    await page.goto(`${base}/people/${personId}`);
    const person = await mainText(page);
    check(person.includes(personName), 'new HR: opens the person');
    check(((await page.textContent('[data-testid="moves"]')) || '').includes(`Moved from ${firstName} to ${otherName}`), 'new HR: sees the move');
    await axe(page, "the moved person's page");
    await page.goto(`${base}/people/${personId}/skills`);
    const review = ((await page.textContent('section:has(#review-DAT-VIS)')) || '').replace(/\s+/g, ' ');
    const agreed = (review.match(/Agreed at [^.]*/) || [""])[0];
    check(agreed.includes("Practitioner") && agreed.includes(`by ${managerName}`), `new HR: the agreed level came with them, with who agreed it (${agreed})`);
    await page.screenshot({ path: path.join(artifacts, 'move-skills.png'), fullPage: true });
    await page.goto(`${base}/people/${personId}/recognition`);
    const badges = await mainText(page);
    check(badges.includes(BADGE) && badges.includes(`Issued by ${firstName}`), 'new HR: the badge came with them, issued by the first organisation');
    await context.close();
  }

  // The holder, now of the new organisation, downloads it again; both
  // credentials verify, signed out.
  const after = await credential(staff, 'staff, after the move');
  await staffContext.close();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  watch(page);
  await verifies(page, before, 'the credential downloaded before the move');
  await verifies(page, after, 'the credential downloaded after the move');
  await axe(page, 'verify a moved badge');
  await context.close();
} catch (err) {
  check(false, `journey stopped: ${err.stack || err}`);
}

await finish('move journey passed');
