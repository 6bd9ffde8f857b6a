// Single sign-on in a real browser (headless Debian Chromium, playwright-core)
// against a real OpenID provider (tests/oidc/provider.mjs): "Sign in with ..."
// on the sign-in page, the provider's own page, back to Skillmap signed in
// as the person HR imported; signing out at both ends; the same with
// JavaScript off; the provider ending the session (back-channel logout); and
// the page a person Skillmap does not know is shown. Any console error or
// page error fails the run.
//
// Run by tests/tests/browser.rs, which starts Skillmap and the provider and
// passes BASE_URL, IDP_URL, PROVIDER_LABEL, IDP_PASSWORD, DEMO_PASSWORD and
// ARTIFACTS_DIR.

import { base, artifacts, problems, check, browser, watch, axe, finish } from './common.mjs';
import path from 'node:path';

const idp = process.env.IDP_URL;
const label = process.env.PROVIDER_LABEL;
const idpPassword = process.env.IDP_PASSWORD;

// From Skillmap's sign-in page, through the provider's, back signed in.
async function signInAtProvider(page, login) {
  await page.goto(`${base}/login`);
  await page.click(`a:has-text("${label}")`);
  await page.waitForSelector('h1:has-text("Sign in to the test identity provider")');
  check(page.url().startsWith(idp), `${login}: the provider's own sign-in page`);
  await page.fill('#login', login);
  await page.fill('#password', idpPassword);
  await page.click('button:has-text("Sign in")');
}

async function endSessionAtProvider(sub) {
  const res = await fetch(`${idp}/__test/end-session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub }),
  });
  return (await res.json()).notified;
}

try {
  // With JavaScript: the button, the provider, home, and signing out at both ends.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await page.goto(`${base}/login`);
    const button = page.locator(`a.nhsuk-button:has-text("${label}")`);
    check(await button.count() === 1, 'the sign-in page offers the provider by its name');
    await page.screenshot({ path: path.join(artifacts, 'sso-login.png'), fullPage: true });
    await axe(page, 'the sign-in page with single sign-on');
    // Keyboard: the provider's button is reachable and works with Enter.
    await button.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1:has-text("Sign in to the test identity provider")');
    await page.fill('#login', 'staff');
    await page.fill('#password', idpPassword);
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${base}/`);
    check((await page.textContent('h1')).includes('Staff member home'),
      'signed in by single sign-on as the imported staff member, with their role');
    await page.screenshot({ path: path.join(artifacts, 'sso-home.png') });

    await page.click('button:has-text("Sign out")');
    await page.waitForSelector('h1:has-text("Sign out of the test identity provider?")');
    check(page.url().startsWith(idp), 'signing out goes on to the provider');
    await page.click('button:has-text("Yes, sign me out")');
    await page.waitForURL(`${base}/login?signed_out=1`);
    check((await page.textContent('main')).includes('You have signed out'), 'back at Skillmap, signed out');
    await page.goto(`${base}/skills`);
    check(page.url().startsWith(`${base}/login`), 'a page that needs sign-in sends to the sign-in page');

    // Someone the provider knows but HR never imported.
    await signInAtProvider(page, 'stranger');
    await page.waitForSelector('.nhsuk-error-summary');
    check(page.url().startsWith(`${base}/login`), 'an unknown person is back at the sign-in page');
    const summary = await page.textContent('.nhsuk-error-summary');
    check(summary.includes('Skillmap has no record') && summary.includes('HR team'),
      'the page says Skillmap has no record of them and who to ask');
    await axe(page, 'the sign-in page refusing an unknown person');
    await page.screenshot({ path: path.join(artifacts, 'sso-unknown-person.png'), fullPage: true });
    await context.close();
  }

  // Without JavaScript: it is all links, redirects and forms.
  {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await signInAtProvider(page, 'staff');
    await page.waitForURL(`${base}/`);
    check((await page.textContent('h1')).includes('Staff member home'), 'JavaScript off: signed in by single sign-on');

    // The provider ends the person's session there (a smartcard pulled
    // out): back-channel logout ends Skillmap's.
    const notified = await endSessionAtProvider('sub-staff');
    check(notified >= 1, `the provider sent its logout token (${notified})`);
    await page.goto(`${base}/skills`);
    check(page.url().startsWith(`${base}/login`), 'JavaScript off: signed out by the provider (back-channel logout)');
    await context.close();
  }
  // The administrator: how each account signs in, removing a link, a
  // break-glass administrator, and password sign-in kept for them only.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await page.goto(`${base}/login`);
    await page.fill('#email', 'admin@skillmap.example');
    await page.fill('#password', process.env.DEMO_PASSWORD);
    await page.click('button[type="submit"]:has-text("Sign in")');
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/admin/accounts?q=staff%40skillmap.example`);
    check((await page.textContent('main')).includes('How people sign in'), 'accounts: how people sign in');
    const row = page.locator('tr:has-text("staff@skillmap.example")');
    const name = label.replace(/^Sign in with (your )?/, '');
    check((await row.textContent()).includes(`${name} (linked`), 'accounts: the staff member is linked to the provider, by its name');
    await axe(page, 'the accounts page with sign-in links');
    await page.screenshot({ path: path.join(artifacts, 'sso-accounts.png'), fullPage: true });
    await page.click(`button[aria-label="Remove link to ${name} for staff@skillmap.example"]`);
    await page.waitForLoadState('load');
    await page.goto(`${base}/admin/accounts?q=staff%40skillmap.example`);
    check(!(await page.locator('tr:has-text("staff@skillmap.example")').textContent()).includes(`${name} (linked`),
      'accounts: the link is removed');

    await page.goto(`${base}/admin/accounts?q=admin%40skillmap.example`);
    await page.click('button[aria-label="Make break-glass for admin@skillmap.example"]');
    await page.waitForSelector('tr:has-text("admin@skillmap.example") .nhsuk-tag:has-text("Break-glass")');
    check(true, 'accounts: the administrator is marked break-glass');
    await page.click('button:has-text("Keep passwords for break-glass administrators only")');
    await page.waitForSelector('text=Password sign-in is off, except for break-glass administrators.');
    check(true, 'accounts: password sign-in kept for break-glass administrators');
    await page.click('button:has-text("Sign out")');
    await page.waitForURL(`${base}/login?signed_out=1`);
    const fold = page.locator('summary:has-text("Break-glass administrator sign-in")');
    check(await fold.count() === 1, 'the sign-in page folds the password form away for break-glass administrators');
    await axe(page, 'the sign-in page with passwords for break-glass administrators only');
    await fold.click();
    await page.fill('#email', 'admin@skillmap.example');
    await page.fill('#password', process.env.DEMO_PASSWORD);
    await page.click('button[type="submit"]:has-text("Sign in")');
    await page.waitForURL(`${base}/`);
    check((await page.textContent('h1')).includes('Administrator home'), 'the break-glass administrator still signs in with a password');
    await context.close();
  }
} catch (err) {
  problems.push(`journey stopped: ${err.stack || err}`);
}
await finish('single sign-on journeys passed');
