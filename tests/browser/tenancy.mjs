// Two organisations in one deployment, in a real browser (headless Debian
// Chromium, playwright-core): each HR searches their people and sees only
// their own; the other organisation's person, their skills, badges and
// erasure pages, and its units, are "Page not found" to them, with nothing
// of the person shown; each organisation view starts at its own trust.
// Each organisation's administrator sets its own skills review cycle: the
// other's turns reviews off, the first's page still shows its own rule.
// The system's workforce lead opens the system view: one row per
// organisation, the other's people not counted in the reviews, drilling
// into one, with no one named and no person's page.
// axe checks the pages; any console error fails.
//
// Run by tests/tests/browser.rs, which starts Skillmap with a demo system
// of two organisations and passes BASE_URL, DEMO_PASSWORD, HR_EMAIL,
// OTHER_HR_EMAIL, PERSON_ID and PERSON_NAME (a person of the first
// organisation), FIRST_NAME and OTHER_NAME (the two trusts' names),
// FIRST_UNIT (the first trust's root unit id), LEAD_EMAIL, ADMIN_EMAIL and
// OTHER_ADMIN_EMAIL (the two trusts' administrators), FIRST_ORG and
// OTHER_ORG (the organisations' names) and ARTIFACTS_DIR.

import { base, artifacts, check, browser, watch, axe, finish, signIn, env } from './common.mjs';
import path from 'node:path';

const hrEmail = env('HR_EMAIL');
const otherHrEmail = env('OTHER_HR_EMAIL');
const personId = env('PERSON_ID');
const personName = env('PERSON_NAME');
const firstName = env('FIRST_NAME');
const otherName = env('OTHER_NAME');
const firstUnit = env('FIRST_UNIT');
const leadEmail = env('LEAD_EMAIL');
const adminEmail = env('ADMIN_EMAIL');
const otherAdminEmail = env('OTHER_ADMIN_EMAIL');
const firstOrg = env('FIRST_ORG');
const otherOrg = env('OTHER_ORG');

async function mainText(page) {
  return ((await page.textContent('main')) || '').replace(/\s+/g, ' ');
}

// The people a search lists, as their page addresses.
async function peopleListed(page, query) {
  await page.goto(`${base}/people`);
  await page.fill('input[name="q"]', query);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/people\?q=/);
  return page.$$eval('main table a[href^="/people/"]', (links) => links.map((a) => a.getAttribute('href')));
}

try {
  // The first organisation's HR finds the person.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, hrEmail);
    const family = personName.split(' ').slice(-1)[0];
    const listed = await peopleListed(page, family);
    check(listed.includes(`/people/${personId}`), `first HR: searching "${family}" finds ${personName}`);
    await page.goto(`${base}/organisation`);
    check((await mainText(page)).includes(firstName), `first HR: the organisation view starts at ${firstName}`);
    await context.close();
  }

  // The other organisation's HR: the same search and the person's pages.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, otherHrEmail);
    const family = personName.split(' ').slice(-1)[0];
    const listed = await peopleListed(page, family);
    check(!listed.includes(`/people/${personId}`), `other HR: searching "${family}" does not list ${personName} of the other organisation`);
    check(listed.every((href) => href !== `/people/${personId}`), 'other HR: no link to the person');
    await axe(page, "the other organisation's people search");
    await page.screenshot({ path: path.join(artifacts, 'tenancy-other-hr-search.png'), fullPage: true });

    for (const address of [
      `/people/${personId}`,
      `/people/${personId}/skills`,
      `/people/${personId}/badges`,
      `/people/${personId}/erase`,
      `/recognise/${personId}`,
      `/organisation?unit=${firstUnit}`,
    ]) {
      const response = await page.goto(`${base}${address}`);
      check(response.status() === 404, `other HR: ${address} answers 404 (got ${response.status()})`);
      const text = await mainText(page);
      check(text.includes('Page not found'), `other HR: ${address} says the page was not found`);
      check(!text.includes(personName), `other HR: ${address} shows nothing of ${personName}`);
    }
    await page.screenshot({ path: path.join(artifacts, 'tenancy-other-hr-not-found.png'), fullPage: true });
    await axe(page, 'the not-found page');

    await page.goto(`${base}/organisation`);
    const text = await mainText(page);
    check(text.includes(otherName), `other HR: the organisation view starts at ${otherName}`);
    check(!text.includes(firstName), `other HR: the organisation view shows nothing of ${firstName}`);
    await context.close();
  }

  // Each organisation's review cycle: the other's administrator turns
  // reviews off, by keyboard; the first's keeps its yearly rule.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, otherAdminEmail);
    await page.goto(`${base}/admin/reviews`);
    const caption = (await page.textContent('[data-testid="cycle-organisation"]')).trim();
    check(caption === otherOrg, `other admin: the review cycle is ${otherOrg}'s (got "${caption}")`);
    check(await page.inputValue('#months') === '12', 'other admin: the default yearly rule');
    check(await page.isVisible('[data-testid="no-fixed-dates"]'), 'other admin: no unit has a fixed date, said in words');
    await page.focus('#months');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('0');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="cycle-saved"]');
    check(await page.inputValue('#months') === '0', 'other admin: reviews turned off');
    await axe(page, "the other organisation's review cycle, saved");
    await page.screenshot({ path: path.join(artifacts, 'tenancy-other-review-cycle.png'), fullPage: true });
    await context.close();
  }
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, adminEmail);
    await page.goto(`${base}/admin/reviews`);
    const caption = (await page.textContent('[data-testid="cycle-organisation"]')).trim();
    check(caption === firstOrg, `first admin: the review cycle is ${firstOrg}'s (got "${caption}")`);
    check(await page.inputValue('#months') === '12', "first admin: still yearly after the other organisation's change");
    await context.close();
  }

  // The system's workforce lead.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, leadEmail);
    await page.goto(`${base}/organisation`);
    const text = await mainText(page);
    check(text.includes('All organisations in the system'), 'lead: the organisation view opens at the whole system');
    check(text.includes(firstName) && text.includes(otherName), 'lead: the system view has a row for each organisation');
    check(!text.includes(personName), 'lead: the system view names no one');
    const reviews = ((await page.textContent('[data-testid="review-counts"]')) || '').replace(/\s+/g, ' ');
    check(/Not counted: \d+ people of organisations with skills reviews turned off/.test(reviews),
      `lead: the other organisation's people are not counted in the reviews ("${reviews}")`);
    await axe(page, "the workforce lead's system view");
    await page.screenshot({ path: path.join(artifacts, 'tenancy-lead-system.png'), fullPage: true });
    await page.click(`main table a:has-text("${otherName}")`);
    await page.waitForURL(/\/organisation\?unit=/);
    const inside = await mainText(page);
    check(inside.includes(otherName), `lead: drills into ${otherName}`);
    const people = await page.$$eval('main a[href^="/people/"]', (links) => links.length);
    check(people === 0, 'lead: no link to anyone in an organisation');
    await axe(page, "the workforce lead's view of one organisation");
    const response = await page.goto(`${base}/people/${personId}`);
    check(response.status() >= 400, `lead: a person's page is not theirs (got ${response.status()})`);
    check(!(await mainText(page)).includes(personName), "lead: shows nothing of the person");
    await context.close();
  }
} catch (err) {
  check(false, `journey stopped: ${err.stack || err}`);
}

await finish('tenancy journeys passed');
