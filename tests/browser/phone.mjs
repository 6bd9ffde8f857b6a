// On a phone with a poor connection (issue 25):
// - every page at 320 CSS pixels wide (WCAG 2.2 1.4.10 Reflow): the
//   document is no wider than the screen, and no two pieces of text are
//   drawn over each other;
// - the first visit to /login on a regular 3G connection (750 kbit/s down,
//   100 ms round trip) stays within its byte budget, a repeat visit fetches
//   only the HTML, and a signed-in page with nothing interactive loads no
//   wasm while a page with an island still hydrates it.
// Bytes are deterministic and asserted; times are printed, not asserted.

import path from 'node:path';
import fs from 'node:fs';
import { base, artifacts, browser, check, watch, axe, finish, signIn } from './common.mjs';

const BUDGET_FIRST_VISIT = 150 * 1024;
const PHONE = { width: 320, height: 640 };

// Pages each demo account can open; list pages' first detail link is
// followed too (a person, a job role, a skill).
const pages = {
  'staff@skillmap.example': [
    '/', '/skills', '/skills/gaps', '/skills/history', '/skills/interests', '/skills/DIG-FOUND',
    '/learning', '/recognition', '/recognise', '/find', '/find?skills=DIG-FOUND&level=1', '/framework',
    '/notifications', '/notifications/settings', '/my-data', '/verify',
  ],
  'manager@skillmap.example': [
    '/', '/team', '/team/reviews', '/team/learning', '/team/recognition', '/organisation',
    '/organisation/pipeline?group=leaders', '/find',
    { from: '/team', link: 'a[href^="/people/"][href$="/skills"]' },
  ],
  'hr@skillmap.example': [
    '/people', '/roles', '/roles/new', '/admin/import', '/admin/import/history', '/learning/catalogue',
    '/learning/catalogue/new', '/learning/uptake', '/recognition/report', '/admin/audit',
    { from: '/people', link: 'main a[href^="/people/"]' },
    { from: '/roles', link: 'main a[href^="/roles/"]:not([href="/roles/new"])' },
  ],
  'admin@skillmap.example': [
    '/admin/accounts', '/admin/framework', '/admin/awards', '/admin/reviews', '/admin/jobs', '/admin/retention',
  ],
};

// In the page: is the document wider than the screen (and what sticks out),
// and which pieces of visible text overlap another. Text boxes are clipped
// by every scrolling or clipping box around them (a visually hidden label,
// cells beyond a scrolling region's edge), so only what is drawn counts.
function layoutProblems() {
  const width = document.documentElement.clientWidth;
  const out = { width, scrollWidth: document.documentElement.scrollWidth, sticking: [], overlaps: [] };
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += `#${el.id}`;
    if (el.classList.length) s += `.${[...el.classList].slice(0, 2).join('.')}`;
    return s;
  };
  if (out.scrollWidth > width) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > width + 1 && r.width > 0 && ![...el.children].some((c) => c.getBoundingClientRect().right > width + 1)) {
        out.sticking.push(`${describe(el)} (${Math.round(r.right)}px) "${(el.textContent || '').trim().slice(0, 40)}"`);
        if (out.sticking.length >= 5) break;
      }
    }
  }
  const clipOf = (el) => {
    let clip = { left: -Infinity, top: -Infinity, right: Infinity, bottom: Infinity };
    for (let a = el; a && a !== document.documentElement; a = a.parentElement) {
      const st = getComputedStyle(a);
      if (st.overflowX !== 'visible' || st.overflowY !== 'visible' || st.clipPath !== 'none' || st.clip !== 'auto') {
        const r = a.getBoundingClientRect();
        clip = {
          left: Math.max(clip.left, r.left), top: Math.max(clip.top, r.top),
          right: Math.min(clip.right, r.right), bottom: Math.min(clip.bottom, r.bottom),
        };
      }
    }
    return clip;
  };
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const clips = new Map();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || ['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(el.tagName)) continue;
    // Not drawn: hidden, or inside a closed disclosure (whose content
    // still has boxes when asked for them).
    if (!el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true })) continue;
    if (!clips.has(el)) clips.set(el, clipOf(el));
    const clip = clips.get(el);
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      const b = {
        left: Math.max(r.left, clip.left), top: Math.max(r.top, clip.top),
        right: Math.min(r.right, clip.right), bottom: Math.min(r.bottom, clip.bottom),
      };
      if (b.right - b.left > 2 && b.bottom - b.top > 2) boxes.push({ ...b, node, el });
    }
  }
  boxes.sort((a, b) => a.top - b.top);
  for (let i = 0; i < boxes.length && out.overlaps.length < 5; i++) {
    const a = boxes[i];
    for (let j = i + 1; j < boxes.length && boxes[j].top < a.bottom; j++) {
      const b = boxes[j];
      if (a.node === b.node) continue;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 4 && h > 4) {
        out.overlaps.push(`"${a.node.textContent.trim().slice(0, 30)}" (${describe(a.el)}) and "${b.node.textContent.trim().slice(0, 30)}" (${describe(b.el)})`);
        break;
      }
    }
  }
  return out;
}

async function fitsThePhone(page, what) {
  const p = await page.evaluate(layoutProblems);
  check(p.scrollWidth <= p.width,
    `${what}: fits a ${p.width}px screen (document ${p.scrollWidth}px wide)${p.sticking.length ? '\n    sticking out: ' + p.sticking.join('; ') : ''}`);
  check(p.overlaps.length === 0, `${what}: no text drawn over other text${p.overlaps.length ? '\n    ' + p.overlaps.join('\n    ') : ''}`);
}

// 1. Every page at 320px.
{
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  watch(page);
  await page.goto(`${base}/login`);
  await fitsThePhone(page, '/login');
  for (const [email, list] of Object.entries(pages)) {
    await context.clearCookies();
    await signIn(page, email);
    const who = email.split('@')[0];
    for (const entry of list) {
      let url = entry;
      if (typeof entry === 'object') {
        await page.goto(`${base}${entry.from}`);
        const href = await page.getAttribute(entry.link, 'href');
        check(href !== null, `${who}: ${entry.from} has a link to follow (${entry.link})`);
        if (href === null) continue;
        url = href;
      }
      await page.goto(`${base}${url}`);
      await fitsThePhone(page, `${who} ${url}`);
    }
    // The menu opens on the phone, and its links fit too.
    await page.goto(`${base}/`);
    await page.click('.skillmap-nav__toggle');
    check(await page.isVisible('#primary-navigation'), `${who}: Menu opens the navigation at 320px`);
    await fitsThePhone(page, `${who} / with the menu open`);
    await page.screenshot({ path: path.join(artifacts, `phone-menu-${who}.png`), fullPage: true });
  }
  // A reflowed table, read as cards: each cell shows its column's heading.
  await page.goto(`${base}/people`);
  const heading = page.locator('tbody .nhsuk-table-responsive__heading').first();
  check(await heading.isVisible(), 'a table on a phone shows each value with its column heading');
  await axe(page, '/people at 320px');
  await page.screenshot({ path: path.join(artifacts, 'phone-people.png'), fullPage: true });
  await context.close();
}

// 2. A slow connection: regular 3G as Chromium's DevTools define it.
async function visit(page, cdp, url) {
  const bytes = new Map();
  const types = new Map();
  const cached = new Set();
  const onResponse = (e) => {
    types.set(e.requestId, `${e.type} ${new URL(e.response.url).pathname}`);
    if (e.response.fromDiskCache || e.response.fromMemoryCache) cached.add(e.requestId);
  };
  const onServedFromCache = (e) => cached.add(e.requestId);
  const onFinished = (e) => bytes.set(e.requestId, e.encodedDataLength);
  cdp.on('Network.responseReceived', onResponse);
  cdp.on('Network.requestServedFromCache', onServedFromCache);
  cdp.on('Network.loadingFinished', onFinished);
  const started = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  const loaded = Date.now() - started;
  await page.waitForLoadState('networkidle');
  const quiet = Date.now() - started;
  cdp.off('Network.responseReceived', onResponse);
  cdp.off('Network.requestServedFromCache', onServedFromCache);
  cdp.off('Network.loadingFinished', onFinished);
  const fetched = [...bytes].filter(([id]) => !cached.has(id)).map(([id, n]) => ({ what: types.get(id) || id, bytes: n }));
  const total = fetched.reduce((s, f) => s + f.bytes, 0);
  return { loaded, quiet, total, fetched, all: [...types.values()] };
}

{
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  watch(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 100,
    downloadThroughput: (750 * 1000) / 8,
    uploadThroughput: (250 * 1000) / 8,
  });
  const first = await visit(page, cdp, `${base}/login`);
  console.log(`first visit to /login on regular 3G: ${first.total} bytes, load ${first.loaded} ms, quiet ${first.quiet} ms`);
  for (const f of first.fetched) console.log(`  ${f.bytes}\t${f.what}`);
  check(first.total <= BUDGET_FIRST_VISIT, `first visit to /login is within its budget: ${first.total} <= ${BUDGET_FIRST_VISIT} bytes`);
  check(!first.all.some((w) => w.endsWith('.wasm')), '/login fetches no wasm until the password field is used');
  // Using the password field fetches the wasm for its Show button.
  const wasm = page.waitForResponse((r) => r.url().endsWith('.wasm'), { timeout: 60000 });
  await page.focus('#password');
  const started = Date.now();
  const wasmSize = Number((await wasm).headers()['content-length'] || 0);
  await page.waitForSelector('.nhsuk-password-input[data-hydrated="true"]', { state: 'attached', timeout: 60000 });
  console.log(`the password field's wasm (${wasmSize} bytes) hydrated ${Date.now() - started} ms after the field took focus`);
  await page.fill('#password', 'a password');
  await page.click('button[aria-controls="password"]');
  check((await page.getAttribute('#password', 'type')) === 'text', 'Show works over the slow connection once the field was used');

  const again = await visit(page, cdp, `${base}/login`);
  console.log(`repeat visit to /login: ${again.total} bytes, load ${again.loaded} ms; fetched: ${again.fetched.map((f) => f.what).join(', ')}`);
  check(again.fetched.length === 1 && again.fetched[0].what.startsWith('Document'),
    `a repeat visit fetches only the HTML (fetched: ${again.fetched.map((f) => f.what).join(', ')})`);

  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await signIn(page, 'staff@skillmap.example');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 100, downloadThroughput: (750 * 1000) / 8, uploadThroughput: (250 * 1000) / 8,
  });
  const plain = await visit(page, cdp, `${base}/skills`);
  console.log(`signed-in /skills: ${plain.total} bytes, load ${plain.loaded} ms; requests: ${plain.all.join(', ')}`);
  check(!plain.all.some((w) => w.endsWith('.wasm') || w.endsWith('.js')), '/skills (nothing interactive) loads no JavaScript module and no wasm');
  const island = await visit(page, cdp, `${base}/skills/DIG-FOUND`);
  console.log(`signed-in /skills/DIG-FOUND: ${island.total} bytes, load ${island.loaded} ms`);
  await page.waitForSelector('form.skillmap-skill-form[data-hydrated="true"]', { state: 'attached', timeout: 60000 });
  check(true, 'the skill form island still hydrates where there is one');
  fs.writeFileSync(path.join(artifacts, 'phone-budget.json'), JSON.stringify({ first, again, plain, island }, null, 2));
  await context.close();
}

await finish('phone and slow-connection checks passed');
