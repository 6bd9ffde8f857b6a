// An organisation's own skills on top of the shared framework, in a real
// browser (headless Debian Chromium, playwright-core), in a system of two
// organisations:
// - the first organisation's administrator may publish only their own
//   skills (the page says the workforce lead publishes the shared
//   framework); a file reusing a shared skill's code is refused with the
//   skill named, and nothing is published; their own file is checked,
//   previewed and published, and the framework page shows it after the
//   shared domains;
// - their staff member assesses the new skill, and their manager agrees it;
//   the organisation view has a tab for their own skills (by keyboard);
// - the other organisation's staff do not see it, and cannot open it; the
//   other organisation's administrator is told the draft is not found;
// - the workforce lead's framework page offers the shared framework only.
// axe checks the pages; any console error fails.
//
// Run by tests/tests/browser.rs, which starts Skillmap with a demo system
// of two organisations and passes BASE_URL, DEMO_PASSWORD, ADMIN_EMAIL,
// STAFF_EMAIL, MANAGER_EMAIL, STAFF_PERSON (the staff member's person id),
// OTHER_ADMIN_EMAIL, OTHER_STAFF_EMAIL, LEAD_EMAIL and ARTIFACTS_DIR.

import { base, artifacts, check, browser, watch, axe, finish, signIn, env } from './common.mjs';
import path from 'node:path';

const adminEmail = env('ADMIN_EMAIL');
const staffEmail = env('STAFF_EMAIL');
const managerEmail = env('MANAGER_EMAIL');
const staffPerson = env('STAFF_PERSON');
const otherAdminEmail = env('OTHER_ADMIN_EMAIL');
const otherStaffEmail = env('OTHER_STAFF_EMAIL');
const leadEmail = env('LEAD_EMAIL');

const header =
  'domain_code,domain_name,skill_code,skill_name,description,foundation,' +
  'level_1_awareness,level_2_working,level_3_practitioner,level_4_expert';
const row = (code) =>
  `LOCAL,Our own skills,${code},EPR super-user,Helps colleagues get the most from the trust's EPR.,no,` +
  'Knows who the super-users are,Answers everyday EPR questions,Trains a ward in new releases,Shapes how the EPR is set up';
const skillName = 'EPR super-user';

async function mainText(page) {
  return ((await page.textContent('main')) || '').replace(/\s+/g, ' ');
}

async function session(email) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  watch(page);
  await signIn(page, email);
  return { context, page };
}

let draftAddress = null;
try {
  // The first organisation's administrator.
  {
    const { context, page } = await session(adminEmail);
    await page.goto(`${base}/admin/framework`);
    let text = await mainText(page);
    check(text.includes("own skills, which add to the shared framework"), 'admin: the file becomes their own skills');
    check(text.includes('The ICS workforce lead publishes the shared framework'), 'admin: the page says who publishes the shared framework');
    check((await page.$$('input[type="radio"][name="scope"]')).length === 0, 'admin: no choice of the shared framework');
    await axe(page, "an organisation administrator's framework page");

    // A shared skill's code: refused, by skill, nothing published.
    await page.fill('#document', `${header}\n${row('DAT-VIS')}\n`);
    await page.click('button:has-text("Check the file")');
    await page.waitForSelector('.nhsuk-error-summary');
    text = await mainText(page);
    check(text.includes('skill DAT-VIS: code: is a skill of the shared framework'), `admin: a shared skill's code is refused by name (${text.slice(0, 300)})`);
    await axe(page, 'the refused file');
    await page.screenshot({ path: path.join(artifacts, 'own-skills-refused.png'), fullPage: true });

    // Their own file: checked, previewed, published.
    await page.goto(`${base}/admin/framework`);
    await page.fill('#source_name', 'our-skills.csv');
    await page.fill('#document', `${header}\n${row('LOCAL-EPR')}\n`);
    await page.click('button:has-text("Check the file")');
    await page.waitForURL(/\/admin\/framework\/imports\/\d+/);
    draftAddress = new URL(page.url()).pathname;
    text = await mainText(page);
    check(text.includes("own skills: they add to the shared framework for its staff only"), 'admin: the preview says these are their own skills');
    check(text.includes('New skills (1)') && text.includes('LOCAL-EPR'), 'admin: the preview lists the new skill');
    await axe(page, 'the own skills preview');
    await page.click('button:has-text("Publish as version 1")');
    await page.waitForURL(/\/framework\?published=own/);
    text = await mainText(page);
    check(/Published .*own skills version 1\./.test(text), `admin: the framework page confirms the publication (${text.slice(0, 200)})`);
    check(text.includes(skillName), 'admin: the framework page shows their own skill');
    const own = await page.$('section.skillmap-own-skills');
    check(own !== null, 'admin: their own skills come in their own section, after the shared domains');
    await axe(page, 'the framework with own skills');
    await page.screenshot({ path: path.join(artifacts, 'own-skills-framework.png'), fullPage: true });
    await context.close();
  }

  // Their staff member assesses it.
  {
    const { context, page } = await session(staffEmail);
    await page.goto(`${base}/skills`);
    check((await mainText(page)).includes(skillName), 'staff: My skills lists their organisation\'s own skill');
    await page.goto(`${base}/skills/LOCAL-EPR`);
    await page.waitForSelector('form.skillmap-skill-form[data-hydrated="true"]');
    check((await mainText(page)).includes('Trains a ward in new releases'), 'staff: the skill page shows its level descriptors');
    await page.check('#level-3');
    await page.waitForSelector('.skillmap-save-status:has-text("Saved")');
    check(true, 'staff: assesses their own organisation\'s skill');
    await context.close();
  }

  // Their manager agrees it.
  {
    const { context, page } = await session(managerEmail);
    await page.goto(`${base}/people/${staffPerson}/skills`);
    await page.click('form[aria-labelledby="review-LOCAL-EPR"] button[value="agree"]');
    await page.waitForSelector('section:has(#review-LOCAL-EPR) >> text=Agreed at');
    check(true, 'manager: agrees the level');
    await page.goto(`${base}/team`);
    check((await mainText(page)).includes(skillName), "manager: the team heatmap has the organisation's own skill");
    await context.close();
  }

  // The organisation view: their own domain is a tab after the shared ones.
  {
    const { context, page } = await session(adminEmail);
    await page.goto(`${base}/organisation`);
    const tab = page.locator('main a:has-text("Our own skills")');
    check(await tab.count() === 1, "admin: the organisation view has a tab for the organisation's own skills");
    await tab.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/domain=LOCAL/);
    const text = await mainText(page);
    check(text.includes(skillName), "admin: the own skills tab has the skill's column");
    const trendHeads = await page.locator('main table:has(caption:has-text("Share of requirements met by month")) th').allTextContents();
    check(trendHeads.some((h) => h.endsWith(' Our own skills')), `admin: the trend has a series for the organisation's own skills (${trendHeads.join(', ')})`);
    await axe(page, "the organisation view's own skills tab");
    await page.screenshot({ path: path.join(artifacts, 'own-skills-organisation.png'), fullPage: true });
    await context.close();
  }

  // The other organisation's staff and administrator.
  {
    const { context, page } = await session(otherStaffEmail);
    await page.goto(`${base}/framework`);
    check(!(await mainText(page)).includes(skillName), "other staff: the framework has none of the first organisation's own skills");
    const response = await page.goto(`${base}/skills/LOCAL-EPR`);
    check(response.status() === 404, `other staff: the skill's page answers 404 (got ${response.status()})`);
    check(!(await mainText(page)).includes(skillName), 'other staff: shows nothing of the skill');
    await context.close();
  }
  {
    const { context, page } = await session(otherAdminEmail);
    const response = await page.goto(`${base}${draftAddress}`);
    check(response.status() === 404, `other admin: the first organisation's draft answers 404 (got ${response.status()})`);
    check(!(await mainText(page)).includes('LOCAL-EPR'), 'other admin: shows nothing of the draft');
    await context.close();
  }

  // The workforce lead looks after the shared framework.
  {
    const { context, page } = await session(leadEmail);
    await page.click('.nhsuk-header__navigation-link:has-text("Manage framework")');
    await page.waitForURL(/\/admin\/framework$/);
    const text = await mainText(page);
    check(text.includes('The file becomes the next version of the shared framework'), 'lead: the file becomes the shared framework');
    check(!text.includes(skillName), "lead: no organisation's own skills");
    await axe(page, "the workforce lead's framework page");
    await page.goto(`${base}/organisation`);
    check(!(await mainText(page)).includes('Our own skills'), "lead: the system view compares the shared framework's domains only");
    await context.close();
  }
} catch (err) {
  check(false, `journey stopped: ${err.stack || err}`);
}

await finish('own skills journey passed');
