// The expertise directory in a real browser (headless Debian Chromium,
// playwright-core): a staff member lists themself and says what they would
// like to develop and help with, with the keyboard; their learning says
// why a step is there; their manager finds them, only them, and thanks
// them; the manager's wide heatmap, its folding key and its interest
// filter; HR's pipeline drill-down, refused to staff; and the same search
// with JavaScript off, with HR's download. axe checks each page; any
// console error fails.
//
// Run by tests/tests/browser.rs, which starts Skillmap, has the manager
// agree the staff member's HELP_SKILL at Practitioner, and passes BASE_URL,
// DEMO_PASSWORD, STAFF_EMAIL, MANAGER_EMAIL, HR_EMAIL, STAFF_NAME,
// NOT_LISTED_NAME (someone else with an agreed level in HELP_SKILL, who is
// not listed), INTEREST_SKILL (a skill the staff member's recommended
// learning develops), HELP_SKILL and ARTIFACTS_DIR.

import { base, artifacts, problems, check, browser, watch, axe, finish, signIn } from './common.mjs';
import path from 'node:path';

const staffEmail = process.env.STAFF_EMAIL;
const managerEmail = process.env.MANAGER_EMAIL;
const hrEmail = process.env.HR_EMAIL;
const staffName = process.env.STAFF_NAME;
const notListedName = process.env.NOT_LISTED_NAME;
const interest = process.env.INTEREST_SKILL;
const help = process.env.HELP_SKILL;


async function text(page, selector) {
  return ((await page.textContent(selector)) || '').replace(/\s+/g, ' ');
}

let pipelineUrl;

try {
  // The staff member: their listing and interests, with the keyboard; the
  // tags on My skills; the reason in their recommended learning.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, staffEmail);
    await page.goto(`${base}/skills`);
    await page.locator('a[href="/skills/interests"]').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/skills/interests`);
    check(true, 'staff: My skills links to the interests page (Enter on the link)');
    await axe(page, 'the interests page');

    // Listed, own view not shown, how to contact: saved with Enter.
    check(await page.locator('#listed-no').isChecked(), 'staff: nobody is listed until they choose to be');
    await page.locator('#listed').focus();
    await page.keyboard.press('Space');
    if (await page.locator('#show_self_assessed').isChecked()) {
      await page.locator('#show_self_assessed').focus();
      await page.keyboard.press('Space');
    }
    await page.locator('#contact').focus();
    await page.keyboard.type('Teams message first');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/skills\/interests\?saved=listing$/);
    check((await text(page, '[data-testid="saved"]')).includes('Your directory listing is saved'),
      'staff: the listing is saved, and the page says so');
    check(await page.locator('#listed').isChecked(), 'staff: the listing is kept after saving');
    check(!(await page.locator('#show_self_assessed').isChecked()), 'staff: their own view stays hidden');
    check((await page.locator('#contact').inputValue()) === 'Teams message first', 'staff: how to contact them is kept');

    // Develop one skill, help with another (agreed at Practitioner).
    const develop = page.locator(`input[id="develop[${interest}]"]`);
    const helpBox = page.locator(`input[id="help[${help}]"]`);
    check(await helpBox.count() === 1, `staff: help is offered for ${help}, agreed at Practitioner`);
    check(!(await develop.isChecked()), `staff: ${interest} is not ticked to start with`);
    await develop.focus();
    await page.keyboard.press('Space');
    await helpBox.focus();
    await page.keyboard.press('Space');
    await page.locator('[data-testid="interests-form"] button[type="submit"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/skills\/interests\?saved=interests$/);
    check((await text(page, '[data-testid="saved"]')).includes('Your interests are saved'),
      'staff: the interests are saved, and the page says so');
    check(await page.locator(`input[id="develop[${interest}]"]`).isChecked(), `staff: develop ${interest} is kept`);
    check(await page.locator(`input[id="help[${help}]"]`).isChecked(), `staff: help with ${help} is kept`);
    await axe(page, 'the interests page, saved');
    await page.screenshot({ path: path.join(artifacts, 'interests.png'), fullPage: true });

    await page.goto(`${base}/skills`);
    const row = (code) => page.locator(`tr:has(a[href="/skills/${code}"])`).first();
    check((await row(interest).textContent()).includes('Want to develop'),
      `staff: My skills tags ${interest} "Want to develop"`);
    check((await row(help).textContent()).includes('Will help others'),
      `staff: My skills tags ${help} "Will help others"`);
    await axe(page, 'My skills, with interests');

    await page.goto(`${base}/learning`);
    await page.waitForSelector('[data-testid="recommended"]');
    const reasons = await page.locator('[data-testid="recommended"] .skillmap-step').allTextContents();
    check(reasons.some((r) => r.includes('You said you would like to develop this skill.')),
      'staff: a recommended step says they would like to develop its skill');
    await axe(page, 'My learning, with an interest');
    await context.close();
  }

  // The manager: a shared search, the form, only listed people, thanks.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, managerEmail);
    await page.goto(`${base}/find?skill=${help}&level=3`);
    const found = page.locator('[data-testid="found-person"]');
    check(await found.count() === 1, `manager: one person found at Practitioner in ${help}`);
    const card = (await found.first().textContent()).replace(/\s+/g, ' ');
    check(card.includes(staffName), `manager: it is ${staffName}`);
    check(card.includes('Practitioner (agreed)'), 'manager: with their agreed level');
    check(card.includes('Teams message first'), 'manager: and how they would like to be contacted');
    check(card.includes('Would help others with'), 'manager: and what they would help with');
    check(await found.first().locator(`a[href="mailto:${staffEmail}"]`).count() === 1, 'manager: with an email link');
    check((await text(page, '[data-testid="find-status"]')).includes('1 person matches'),
      'manager: the status says how many match');
    await axe(page, 'the expertise directory, with results');
    await page.screenshot({ path: path.join(artifacts, 'find-results.png'), fullPage: true });

    // The same search through the form: its address can be shared.
    await page.goto(`${base}/find`);
    await page.selectOption('#skill', help);
    await page.selectOption('#level', '3');
    await page.check('#help');
    await page.click('[data-testid="find-form"] button[type="submit"]');
    await page.waitForURL((url) => url.pathname === '/find' && url.search.length > 0);
    check(page.url().includes(`skill=${help}`) && page.url().includes('help=on'),
      `manager: the search is in the address (${page.url()})`);
    check((await text(page, '[data-testid="find-results"]')).includes(staffName),
      'manager: the form finds the same person, who would help');
    check(await page.locator('#help').isChecked(), 'manager: the form keeps what was asked');

    // Others have agreed levels in the skill, but only listed people appear.
    await page.goto(`${base}/find?skill=${help}&level=1`);
    check(await found.count() === 1, 'manager: at Awareness or above, still only the one listed person');
    const whole = await page.locator('body').innerText();
    check(!whole.includes(notListedName), `manager: ${notListedName} (agreed, not listed) is not found`);

    // Thanks for their help: the endorsement form, filled in.
    await found.first().locator('a:has-text("Thank them for their help")').click();
    await page.waitForURL(/\/recognise\/\d+\?skill=[^&]+&thanks=1$/);
    check((await page.locator('#skill_code').inputValue()) === help, `manager: ${help} is chosen`);
    check((await page.locator('#message').inputValue()).startsWith('Thank you for your help'),
      'manager: the message starts as a thank-you');
    await axe(page, 'the endorsement form, as thanks');
    await page.click('[data-testid="endorse-form"] button:has-text("Endorse")');
    await page.waitForSelector('[data-testid="sent"]');
    check(page.url().includes('sent=endorsement'), 'manager: the thanks is sent as an endorsement');
    await context.close();
  }

  // The manager's heatmap: as wide as the screen, its key folded on the
  // second visit, and only the people interested in a skill.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, managerEmail);
    await page.goto(`${base}/team`);
    await page.waitForSelector('table.skillmap-heatmap__table');
    const legend = page.locator('details:has-text("How to read the heatmap")').first();
    check(await legend.getAttribute('open') !== null, 'manager: the key is open on the first visit');
    const layout = await page.evaluate(() => ({
      region: document.querySelector('.skillmap-heatmap--wide').getBoundingClientRect().width,
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth,
    }));
    check(layout.region > 1000, `manager: the heatmap is wider than the page's column (${layout.region}px)`);
    check(layout.scroll <= layout.inner, `manager: the page does not scroll sideways (${layout.scroll} of ${layout.inner}px)`);
    await axe(page, 'the wide heatmap');
    await page.screenshot({ path: path.join(artifacts, 'team-wide.png') });

    await page.goto(`${base}/team`);
    await page.waitForSelector('table.skillmap-heatmap__table');
    check(await legend.getAttribute('open') === null, 'manager: the key is folded on the second visit');
    const rows = page.locator('.skillmap-heatmap__table tbody tr');
    const before = await rows.count();
    await page.selectOption('#interest', interest);
    await page.click('form[aria-label="Filter the heatmap"] button:has-text("Apply")');
    await page.waitForURL((url) => url.searchParams.get('interest') === interest);
    await page.waitForSelector('table.skillmap-heatmap__table');
    const after = await rows.count();
    check(after >= 1 && after < before, `manager: the interest filter keeps ${after} of ${before} people`);
    check((await text(page, '.skillmap-heatmap__table')).includes(staffName),
      `manager: ${staffName}, who would like to develop ${interest}, is shown`);
    await axe(page, 'the heatmap filtered by interest');
    await context.close();
  }

  // HR: the pipeline's new figure and the people behind it.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, hrEmail);
    await page.goto(`${base}/organisation`);
    check(await page.locator('th:has-text("Interested, one domain short")').count() >= 1,
      'hr: the pipeline counts those interested, one domain short');
    check(await page.locator('th:has-text("See the people")').count() >= 1, 'hr: each row links to its people');
    await axe(page, 'the organisation view, with the pipeline links');
    await page.getByRole('link', { name: 'integrative leaders', exact: true }).click();
    await page.waitForURL(/\/organisation\/pipeline\?unit=\d+&group=leaders$/);
    await page.waitForSelector('[data-testid="pipeline-status"]');
    check(true, 'hr: the whole unit\'s integrative leaders are listed');
    await axe(page, 'the pipeline\'s people');
    pipelineUrl = page.url();
    await context.close();
  }

  // Staff may not see it.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, staffEmail);
    const response = await page.goto(pipelineUrl);
    check(response?.status() === 403, `staff: the refused page answers 403 (${response?.status()})`);
    check(await page.locator('[data-testid="pipeline-status"]').count() === 0, 'staff: the pipeline\'s people are not shown');
    check(await page.locator('h1:has-text("You do not have permission")').count() === 1, 'staff: the page says why');
    await context.close();
  }

  // Without JavaScript: the same search as HR, and the download.
  {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, hrEmail);
    await page.goto(`${base}/find`);
    await page.selectOption('#skill', help);
    await page.selectOption('#level', '3');
    await page.click('[data-testid="find-form"] button[type="submit"]');
    await page.waitForURL((url) => url.pathname === '/find' && url.search.includes(`skill=${help}`));
    const found = page.locator('[data-testid="found-person"]');
    check(await found.count() === 1 && (await found.first().textContent()).includes(staffName),
      'JavaScript off: the search finds the listed person');
    const download = page.locator('a:has-text("Download everyone who matches as CSV")');
    check(await download.count() === 1, 'JavaScript off: HR can download the results');
    const href = await download.getAttribute('href');
    check(href?.startsWith(`/find.csv?skill=${help}`), `JavaScript off: the download is the same search (${href})`);
    const csv = await context.request.get(`${base}${href}`);
    const body = await csv.text();
    check(csv.ok() && body.includes(staffName) && !body.includes(notListedName),
      'the download has the listed person and nobody unlisted');
    await context.close();
  }
} catch (err) {
  problems.push(`journey stopped: ${err.stack || err}`);
}
await finish('expertise directory journeys passed');
