// What the browser journeys share: headless Debian Chromium (flags from
// TOOLCHAIN.md), a list of problems that fails the run, console and page
// errors as problems, and axe on a page.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const base = process.env.BASE_URL;

// A setting the test passes in the environment; missing is a mistake.
export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
export const artifacts = process.env.ARTIFACTS_DIR;
fs.mkdirSync(artifacts, { recursive: true });

export const problems = [];
export function check(condition, message) {
  if (!condition) problems.push(`FAILED: ${message}`);
  else console.log(`ok - ${message}`);
}

// Chromium logs a page's own 4xx status (a refused or missing page, which
// Skillmap answers 403 or 404 with a page saying why) as a console error.
// The journeys check those pages' words and status themselves; any other
// resource that fails (a script, a style, a server function) is still a
// problem.
export function pageStatus(msg, page) {
  return msg.text().startsWith('Failed to load resource: the server responded with a status of 4')
    && msg.location().url === page.url();
}

export const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

// Console errors and warnings, and page errors, on Skillmap's own pages.
export function watch(page) {
  page.setDefaultTimeout(15000);
  page.on('console', (msg) => {
    if (msg.text().includes('was preloaded using link preload but not used')) return;
    if (!page.url().startsWith(base)) return;
    if (pageStatus(msg, page)) return;
    if (msg.type() === 'error' || msg.type() === 'warning') {
      problems.push(`console ${msg.type()} on ${page.url()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
}

export async function axe(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    }),
  );
  const violations = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  check(violations.length === 0, `axe: no violations on ${what}${violations.length ? '\n  ' + violations.join('\n  ') : ''}`);
}

// Closes the browser and exits non-zero if anything failed.
export async function finish(passed) {
  await browser.close();
  if (problems.length) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  console.log(passed);
}

// Signs in with the demo password (DEMO_PASSWORD) and waits for the home page.
export async function signIn(page, email) {
  await page.goto(`${base}/login`);
  await page.fill('#email', email);
  await page.fill('#password', process.env.DEMO_PASSWORD);
  await page.click('button[type="submit"]:has-text("Sign in")');
  await page.waitForURL(`${base}/`);
}
