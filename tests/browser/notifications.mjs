// Notifications in a real browser (headless Debian Chromium, playwright-core):
// the header's unread count, the inbox, opening a notice, the link in the
// email (read from the real SMTP server's record), email settings with the
// keyboard, the same inbox with JavaScript off, and the administrators'
// background jobs page. axe checks each page; any console error fails.
//
// Run by tests/tests/browser.rs, which starts Skillmap and the SMTP server,
// has the manager endorse the staff member, and passes BASE_URL,
// DEMO_PASSWORD, STAFF_EMAIL, ADMIN_EMAIL, MAIL_FILE and ARTIFACTS_DIR.

import { base, artifacts, problems, check, browser, watch, axe, finish, signIn } from './common.mjs';
import fs from 'node:fs';
import path from 'node:path';

const staffEmail = process.env.STAFF_EMAIL;
const adminEmail = process.env.ADMIN_EMAIL;
const mailFile = process.env.MAIL_FILE;


function mailTo(address, about) {
  if (!fs.existsSync(mailFile)) return [];
  return fs.readFileSync(mailFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((m) => m.rcpt_tos.some((t) => t.toLowerCase() === address.toLowerCase()))
    .filter((m) => m.subject.includes(about));
}

try {
  // With JavaScript: the count, the inbox, opening a notice, the email's link.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, staffEmail);
    const link = page.locator('[data-testid="notifications-link"]');
    check((await link.textContent()).replace(/\s+/g, ' ').includes('Notifications 1 unread'),
      'the header says there is 1 unread notification');
    await link.click();
    await page.waitForURL(`${base}/notifications`);
    check((await page.textContent('[data-testid="inbox-summary"]')).includes('1 unread notification'),
      'the inbox says how many are unread');
    const notice = page.locator('[data-testid="notice"]').first();
    check((await notice.textContent()).includes('endorsed you for'), 'the endorsement is in the inbox');
    check(await notice.locator('.nhsuk-tag:has-text("New")').count() === 1, 'an unread notice is marked New (in words, not colour alone)');
    await page.screenshot({ path: path.join(artifacts, 'notifications-inbox.png'), fullPage: true });
    await axe(page, 'the inbox');
    await notice.locator('[data-testid="open-notice"]').click();
    await page.waitForURL(`${base}/recognition`);
    check(true, 'opening a notice goes to the page it is about');
    check(await page.locator('[data-testid="unread-count"]').count() === 0, 'and it is read: no count in the header');
    await page.goto(`${base}/notifications`);
    check((await page.textContent('[data-testid="inbox-summary"]')).includes('read all'), 'the inbox says all are read');
    await page.click('button:has-text("Mark as unread")');
    await page.waitForSelector('[data-testid="unread-count"]');
    check(true, 'a notice can be marked unread again');

    // The link in the email opens the page, signed in.
    const mails = mailTo(staffEmail, 'endorsed you for');
    check(mails.length === 1, 'one email arrived for the endorsement');
    const emailLink = (mails[0]?.text.match(/https?:\/\/\S+\/recognition/) || [])[0];
    check(emailLink && emailLink.startsWith(base), `the email links to the recognition page (${emailLink})`);
    await page.goto(emailLink);
    check(page.url() === `${base}/recognition`, 'following the email\'s link opens the page');

    // Email settings, with the keyboard.
    await page.goto(`${base}/notifications/settings`);
    await axe(page, 'the email settings');
    const box = page.locator('#email-recognised');
    check(await box.isChecked(), 'endorsements are emailed by default');
    await box.focus();
    await page.keyboard.press('Space');
    await page.locator('#digest-yes').focus();
    await page.keyboard.press('Space');
    await page.click('button:has-text("Save email settings")');
    await page.waitForSelector('[data-testid="preferences-saved"]');
    check(!(await page.locator('#email-recognised').isChecked()), 'the choice is kept after saving');
    check(await page.locator('#digest-yes').isChecked(), 'the daily summary is kept after saving');
    await page.screenshot({ path: path.join(artifacts, 'notifications-settings.png'), fullPage: true });
    await context.close();
  }

  // The skills review: the status on My skills, the form with the last
  // answers, one level changed, and the confirmation.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, staffEmail);
    await page.goto(`${base}/skills`);
    const status = await page.textContent('[data-testid="review-status"]');
    check(status.includes('Your skills review is due by'), `My skills says when the review is due (${status.trim()})`);
    await page.click('a:has-text("Review your skills now")');
    await page.waitForURL(`${base}/skills/review`);
    await axe(page, 'the skills review');
    const select = page.locator('select[name="answers[DIG-FOUND]"]');
    check((await select.inputValue()) === 'keep', 'each skill starts at its last answer, kept');
    check((await page.textContent('form[data-testid="review-form"]')).includes('You said 2 Working'), 'the last answer is shown');
    await select.selectOption('3');
    await page.screenshot({ path: path.join(artifacts, 'skills-review.png'), fullPage: true });
    await page.click('button:has-text("Finish my review")');
    await page.waitForURL(/\/skills\?reviewed=1$/);
    check((await page.textContent('[data-testid="review-done"]')).includes('You changed 1 level'), 'the review is complete, with what changed');
    await context.close();
  }

  // Without JavaScript: the same inbox, all forms.
  {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, staffEmail);
    await page.goto(`${base}/notifications`);
    await page.click('[data-testid="mark-all-read"]');
    await page.waitForURL(/\/notifications\?page=1$/);
    check((await page.textContent('[data-testid="inbox-summary"]')).includes('read all'), 'JavaScript off: mark all as read');
    await context.close();
  }

  // An administrator: the background jobs.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, adminEmail);
    await page.click('a:has-text("Review cycle")');
    await page.waitForURL(`${base}/admin/reviews`);
    await axe(page, 'the review cycle settings');
    await page.fill('#months', 'yearly');
    await page.click('button:has-text("Save the review cycle")');
    await page.waitForSelector('.nhsuk-error-summary');
    check((await page.textContent('.nhsuk-error-summary')).includes('whole number of months'), 'a wrong setting is named in the error summary');
    await axe(page, 'the review cycle settings with an error');
    await page.fill('#months', '12');
    await page.click('button:has-text("Save the review cycle")');
    await page.waitForSelector('[data-testid="cycle-saved"]');
    check(true, 'the review cycle is saved');
    await page.click('a:has-text("Background jobs")');
    await page.waitForURL(`${base}/admin/jobs`);
    check((await page.textContent('[data-testid="queue-summary"]')).includes('failed for good'), 'the jobs page sums up the queue');
    await axe(page, 'the background jobs page');
    await page.screenshot({ path: path.join(artifacts, 'admin-jobs.png'), fullPage: true });
    await context.close();
  }
} catch (err) {
  problems.push(`journey stopped: ${err.stack || err}`);
}
await finish('notification journeys passed');
