// A person takes their agreed levels to a Skillmap of another system, in a
// real browser (headless Debian Chromium, playwright-core), across two
// running Skillmaps: on the first, "Your data" refuses to make a skills
// passport without the consent box ticked, then makes one; on the second
// (set up to trust the first's issuer), an upload without a file names the
// field, a passport changed by hand is refused as changed, and the real
// one is checked (the second fetches the first's key), shown level by
// level, and imported: the level becomes the person's own, and their
// manager there sees who agreed it at the first. axe checks the pages; any
// console error fails.
//
// Run by tests/tests/browser.rs, which starts both Skillmaps, has the
// staff member's manager at the first agree an Expert level and the staff
// member at the second assess it at Awareness, and passes BASE_URL (the
// first), OTHER_BASE_URL (the second), DEMO_PASSWORD, STAFF_EMAIL,
// MANAGER_EMAIL, FIRST_MANAGER_NAME, SECOND_PERSON_ID and ARTIFACTS_DIR.

import { base, artifacts, check, browser, watch, axe, finish, signIn, problems, pageStatus, env } from './common.mjs';
import fs from 'node:fs';
import path from 'node:path';

const other = env('OTHER_BASE_URL');
const staffEmail = env('STAFF_EMAIL');
const managerEmail = env('MANAGER_EMAIL');
const firstManager = env('FIRST_MANAGER_NAME');
const secondPerson = env('SECOND_PERSON_ID');

async function mainText(page) {
  return ((await page.textContent('main')) || '').replace(/\s+/g, ' ');
}

// `watch` covers the first Skillmap's pages; this, the second's.
function watchOther(page) {
  page.setDefaultTimeout(15000);
  page.on('console', (msg) => {
    if (!page.url().startsWith(other) || pageStatus(msg, page)) return;
    if (msg.text().includes('was preloaded using link preload but not used')) return;
    if (msg.type() === 'error' || msg.type() === 'warning') {
      problems.push(`console ${msg.type()} on ${page.url()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
}

async function signInOther(page, email) {
  await page.goto(`${other}/login`);
  await page.fill('#email', email);
  await page.fill('#password', process.env.DEMO_PASSWORD);
  await page.click('button[type="submit"]:has-text("Sign in")');
  await page.waitForURL(`${other}/`);
}

async function upload(page, file) {
  await page.goto(`${other}/my-data`);
  if (file) await page.setInputFiles('#passport-file', file);
  await page.click('button:has-text("Upload and check it")');
}

try {
  // The first Skillmap: consent, then the passport.
  let token;
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, staffEmail);
    await page.goto(`${base}/my-data`);
    check((await mainText(page)).includes('Taking your skills to another organisation'), 'first: Your data offers a skills passport');
    await page.click('button:has-text("Download my skills passport")');
    await page.waitForSelector('.nhsuk-error-summary');
    const summary = await page.textContent('.nhsuk-error-summary');
    check(summary.includes('Tick the box to agree'), 'first: without consent, the page asks for it');
    check((await page.title()).startsWith('Error:'), 'first: the title says there is an error');
    await axe(page, 'Your data, asking for consent');
    await page.check('#consent');
    // Headless Chromium cancels saved downloads: the form is sent as the
    // browser would send it, and the file read from the answer.
    const answer = await page.evaluate(async () => {
      const form = document.querySelector('[data-testid="passport-form"]');
      const r = await fetch(form.action, { method: 'POST', body: new URLSearchParams(new FormData(form)) });
      return { status: r.status, disposition: r.headers.get('content-disposition'), text: await r.text() };
    });
    check(answer.status === 200 && (answer.disposition || '').includes('skills-passport.jwt'), `first: with consent, the passport downloads (${answer.status})`);
    token = answer.text;
    check(token.split('.').length === 3, 'first: the passport is a signed token');
    await context.close();
  }
  const passportFile = path.join(artifacts, 'skills-passport.jwt');
  fs.writeFileSync(passportFile, token);
  // The same passport edited by hand: every level made Expert, and agreed
  // by someone else.
  const [h, p, s] = token.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  const level = payload.credentialSubject.levels.find((l) => l.skill === 'DAT-VIS');
  check(level && level.level === 4 && level.agreedBy === firstManager, `first: the passport holds the agreed level and who agreed it (${JSON.stringify(level)})`);
  payload.credentialSubject.levels.forEach((l) => { l.level = 4; l.agreedBy = 'A. Forger'; });
  const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
  check(forged !== token, 'the edited copy differs from the passport');
  const forgedFile = path.join(artifacts, 'skills-passport-changed.jwt');
  fs.writeFileSync(forgedFile, forged);

  // The second Skillmap: the same person brings it.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watchOther(page);
    await signInOther(page, staffEmail);
    await upload(page, null);
    await page.waitForSelector('.nhsuk-error-summary');
    check((await page.textContent('.nhsuk-error-summary')).includes('Choose your skills passport file'), 'second: an upload without a file names the field');
    await axe(page, 'Your data, with no file chosen');

    await upload(page, forgedFile);
    await page.waitForURL(/\/my-data\/passport\/\d+$/);
    await page.waitForSelector('h1');
    const shown = await page.locator('[data-testid="passport-problem"]').count();
    check(shown === 1, `second: a changed passport's check says why (${shown ? '' : await mainText(page)})`);
    const refused = shown ? await page.textContent('[data-testid="passport-problem"]') : '';
    check(refused.includes('has been changed'), `second: a changed passport is refused as changed (${refused})`);
    check((await mainText(page)).includes('Nothing has been added'), 'second: and nothing is added');
    await axe(page, 'a refused passport');

    await upload(page, passportFile);
    await page.waitForURL(/\/my-data\/passport\/\d+$/);
    const checked = await page.textContent('[data-testid="passport-checked"]');
    check(checked.includes('has not been changed'), 'second: the passport checks out against the first Skillmap\'s key');
    const rows = (await page.textContent('[data-testid="passport-levels"]')).replace(/\s+/g, ' ');
    check(rows.includes('Visualisation and storytelling') && rows.includes('4 Expert') && rows.includes(firstManager), 'second: the preview shows the level and who agreed it');
    check(rows.includes('Added as your own level'), 'second: the level would be added for the manager to agree');
    await axe(page, 'the passport preview');
    await page.screenshot({ path: path.join(artifacts, 'passport-preview.png'), fullPage: true });
    await page.click('[data-testid="passport-import"] button');
    await page.waitForURL(/\/skills\?passport=\d+/);
    check((await page.textContent('[data-testid="passport-imported"]')).includes('from your skills passport'), 'second: told the levels are now theirs');
    await axe(page, 'My skills after importing');
    await context.close();
  }

  // Their manager at the second sees the level to agree, and where it was
  // agreed before.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watchOther(page);
    await signInOther(page, managerEmail);
    await page.goto(`${other}/people/${secondPerson}/skills`);
    const section = ((await page.textContent('section:has(#review-DAT-VIS)')) || '').replace(/\s+/g, ' ');
    check(section.includes('Expert') && section.includes(`Agreed at 4 Expert by ${firstManager}`) && section.includes('skills passport'), `second manager: the level awaits agreement, with where it was agreed (${section.slice(0, 300)})`);
    await page.screenshot({ path: path.join(artifacts, 'passport-manager.png'), fullPage: true });
    await context.close();
  }
} catch (err) {
  check(false, `journey stopped: ${err.stack || err}`);
}

await finish('skills passport journey passed');
