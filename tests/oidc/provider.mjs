// A real OpenID Connect provider for the Rust integration tests, built on the
// certified `oidc-provider` package. Started by the tests with:
//
//   OIDC_PORT        listen on 127.0.0.1:PORT; the issuer is http://127.0.0.1:PORT
//   OIDC_CLIENTS     JSON array of client metadata (passed to oidc-provider as is)
//   OIDC_ACCOUNTS    JSON object: login name -> { sub, password, email,
//                    email_verified, name, employee_number, acr }
//   OIDC_KEYS        path of the private signing JWKS; created (one RS256 key) if
//                    missing. OIDC_ROTATE=1 replaces it with a new key (new kid).
//   OIDC_AUTO_LOGIN  "1": a login_hint naming a known account signs in at once,
//                    and RP-initiated logout confirms itself (no page, no JS).
//
// Prints `oidc-provider ready http://127.0.0.1:PORT` on stdout once listening;
// everything else goes to stderr. Test-only control endpoints live under
// /__test/ (see `testRoutes` below).

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Provider from 'oidc-provider';

// oidc-provider prints its notices with console.info; stdout carries only the
// ready line, so send all console output to stderr.
console.log = console.info = (...args) => console.error(...args);

const port = Number(process.env.OIDC_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('OIDC_PORT must be a port number');
const ISSUER = `http://127.0.0.1:${port}`;
const AUTO = process.env.OIDC_AUTO_LOGIN === '1';
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}'); // login name -> account
const bySub = new Map(Object.values(accounts).map((a) => [a.sub, a]));

// ---------------------------------------------------------------- JWT helpers

const b64u = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const decodePart = (part) => JSON.parse(Buffer.from(part, 'base64url').toString());
const randomId = () => crypto.randomBytes(12).toString('base64url');

// Compact JWS signed with RS256 (RSA PKCS#1 v1.5, SHA-256).
function signRs256(header, payload, privateKey) {
  const input = `${b64u(header)}.${b64u(payload)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

function newRsaJwk() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomId(), use: 'sig', alg: 'RS256' };
}

// ---------------------------------------------------------------- signing key

const keysPath = process.env.OIDC_KEYS;
if (!keysPath) throw new Error('OIDC_KEYS must name the signing JWKS file');
let jwks;
if (process.env.OIDC_ROTATE === '1' || !fs.existsSync(keysPath)) {
  jwks = { keys: [newRsaJwk()] };
  fs.mkdirSync(path.dirname(keysPath), { recursive: true });
  fs.writeFileSync(keysPath, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o600 });
} else {
  jwks = JSON.parse(fs.readFileSync(keysPath, 'utf8'));
}
const signingJwk = jwks.keys[0];
const signingKey = crypto.createPrivateKey({ key: signingJwk, format: 'jwk' });
const publicPem = crypto.createPublicKey(signingKey).export({ type: 'spki', format: 'pem' });

// ---------------------------------------------------------------- state for /__test

let tamperMode = null; // applied to the next successful token response only
let lastLogout = null; // decoded payload of the last logout token sent
const sessionsByAccount = new Map(); // accountId -> Set of Session uids

// ---------------------------------------------------------------- provider

const configuration = {
  clients,
  jwks,
  cookies: { keys: ['skillmap-oidc-test-cookie-key-1', 'skillmap-oidc-test-cookie-key-2'] },
  pkce: { required: () => true }, // oidc-provider 9 only supports S256
  scopes: ['openid', 'email', 'profile', 'employee'],
  // `acr` sits under `openid` so every ID token carries it; userinfo never
  // does, since account.claims() below does not return it.
  claims: {
    openid: ['sub', 'acr'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    employee: ['employee_number'],
  },
  acrValues: ['AAL1', 'AAL2', 'AAL3'],
  async findAccount(_ctx, sub) {
    const account = bySub.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: account.email,
          email_verified: account.email_verified,
          name: account.name,
          employee_number: account.employee_number,
        };
      },
    };
  },
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true, logoutSource },
  },
  // Outgoing requests (back-channel logout) go to listeners on 127.0.0.1,
  // which oidc-provider's SSRF guard would refuse: drop its dispatcher. Also
  // remember each logout token for GET /__test/last-logout.
  async fetch(url, options) {
    delete options.dispatcher;
    const token = options.body instanceof URLSearchParams && options.body.get('logout_token');
    if (token) lastLogout = decodePart(token.split('.')[1]);
    return globalThis.fetch(url, options);
  },
};

const provider = new Provider(ISSUER, configuration);

provider.on('session.saved', (session) => {
  if (!session.accountId) return;
  if (!sessionsByAccount.has(session.accountId)) sessionsByAccount.set(session.accountId, new Set());
  sessionsByAccount.get(session.accountId).add(session.uid);
});
for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error',
  'userinfo.error', 'backchannel.error']) {
  provider.on(event, (_ctx, err) => console.error(`oidc-provider ${event}:`, err?.message ?? err));
}

// ---------------------------------------------------------------- pages

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title></head>
<body><main>
${body}
</main></body>
</html>`;
}

function loginPage(uid, error, login = '') {
  return page('Sign in - test identity provider', `<h1>Sign in to the test identity provider</h1>
${error ? `<div role="alert"><p id="error">${esc(error)}</p></div>` : ''}
<form method="post" action="/interaction/${esc(uid)}">
  <p><label for="login">Login name</label>
  <input id="login" name="login" type="text" autocomplete="username" required value="${esc(login)}"${error ? ' aria-describedby="error"' : ''}></p>
  <p><label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required></p>
  <p><button type="submit">Sign in</button></p>
</form>`);
}

// RP-initiated logout confirmation. `form` is oidc-provider's
// <form id="op.logoutForm" action="/session/end/confirm"> holding the hidden
// `xsrf` field; the "Yes" button adds logout=yes.
async function logoutSource(ctx, form) {
  ctx.body = page('Sign out - test identity provider', `<h1>Sign out of the test identity provider?</h1>
${form}
<p><button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button></p>`);
}

// ---------------------------------------------------------------- our middleware

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

// Login checks the password (or, in auto mode, trusts a known login_hint);
// consent is always granted for whatever the client asked for.
async function interaction(ctx, uid) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) ctx.throw(400, 'interaction does not match its cookie');
  const { prompt, params, session } = details;
  let result;

  if (prompt.name === 'login') {
    let account;
    if (ctx.method === 'POST') {
      const form = new URLSearchParams(await readBody(ctx.req));
      const candidate = accounts[form.get('login')];
      if (!candidate || candidate.password !== form.get('password')) {
        ctx.type = 'html';
        ctx.body = loginPage(uid, 'The login name or password is not right.', form.get('login') ?? '');
        return;
      }
      account = candidate;
    } else if (AUTO && Object.hasOwn(accounts, params.login_hint ?? '')) {
      account = accounts[params.login_hint];
    } else {
      ctx.type = 'html';
      ctx.body = loginPage(uid);
      return;
    }
    result = { login: { accountId: account.sub, acr: account.acr ?? 'AAL2', amr: ['pwd'] } };
  } else if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  } else {
    ctx.throw(400, `unsupported prompt ${prompt.name}`);
  }

  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

// Replace the ID token in a token response according to `mode`.
function tamper(idToken, mode) {
  const [h, p] = idToken.split('.');
  const header = decodePart(h);
  const payload = decodePart(p);
  const now = Math.floor(Date.now() / 1000);
  const resign = (changes) => signRs256(header, { ...payload, ...changes }, signingKey);
  switch (mode) {
    case 'alg-none': return `${b64u({ alg: 'none', typ: 'JWT' })}.${b64u(payload)}.`;
    case 'unknown-key': {
      const stranger = newRsaJwk();
      return signRs256({ ...header, kid: stranger.kid }, payload, crypto.createPrivateKey({ key: stranger, format: 'jwk' }));
    }
    case 'wrong-aud': return resign({ aud: 'someone-else' });
    case 'expired': return resign({ exp: now - 3600, iat: now - 7200 });
    case 'wrong-nonce': return resign({ nonce: 'not-the-one-you-sent' });
    case 'wrong-iss': return resign({ iss: 'http://127.0.0.1:1/' });
    case 'acr-low': return resign({ acr: 'AAL1' });
    case 'hs256-with-public-key': {
      // Algorithm confusion: HMAC keyed with the public key's PEM text.
      const input = `${b64u({ ...header, alg: 'HS256' })}.${b64u(payload)}`;
      return `${input}.${crypto.createHmac('sha256', publicPem).update(input).digest('base64url')}`;
    }
    default: throw new Error(`unknown tamper mode ${mode}`);
  }
}
const TAMPER_MODES = new Set(['alg-none', 'unknown-key', 'wrong-aud', 'expired', 'wrong-nonce',
  'wrong-iss', 'acr-low', 'hs256-with-public-key']);

// End every provider session of `sub`, sending the real back-channel logout
// token to each client that session was used with (as /session/end/confirm does).
async function endSessions(sub) {
  let notified = 0;
  const errors = [];
  for (const uid of sessionsByAccount.get(sub) ?? []) {
    const session = await provider.Session.findByUid(uid);
    if (!session || session.accountId !== sub) continue;
    for (const [clientId, { sid, grantId }] of Object.entries(session.authorizations ?? {})) {
      const client = await provider.Client.find(clientId);
      if (client?.backchannelLogoutUri) {
        try {
          await client.backchannelLogout(sub, sid);
          notified += 1;
        } catch (err) {
          errors.push(`${clientId}: ${err.message}`);
        }
      }
      if (grantId) { // revoke the grant and its tokens, as oidc-provider's logout does
        await provider.AccessToken.revokeByGrantId(grantId);
        await provider.AuthorizationCode.revokeByGrantId(grantId);
        await provider.Grant.adapter.destroy(grantId);
      }
    }
    await session.destroy();
  }
  sessionsByAccount.delete(sub);
  return { notified, errors };
}

// A well-formed logout token signed by a key the provider never published.
async function forgeLogout({ sub, sid, uri, aud }) {
  const stranger = newRsaJwk();
  const iat = Math.floor(Date.now() / 1000);
  const token = signRs256({ alg: 'RS256', typ: 'logout+jwt', kid: stranger.kid }, {
    iss: ISSUER, aud, iat, exp: iat + 120, jti: randomId(), sub, sid,
    events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
  }, crypto.createPrivateKey({ key: stranger, format: 'jwk' }));
  const res = await fetch(uri, { method: 'POST', body: new URLSearchParams({ logout_token: token }) });
  return { status: res.status };
}

async function testRoutes(ctx) {
  const body = ctx.method === 'POST' ? JSON.parse((await readBody(ctx.req)) || '{}') : {};
  const route = `${ctx.method} ${ctx.path}`;
  if (route === 'POST /__test/tamper') {
    if (body.mode !== null && !TAMPER_MODES.has(body.mode)) ctx.throw(400, `unknown mode ${body.mode}`);
    tamperMode = body.mode; // null clears a pending mode
    ctx.status = 204;
  } else if (route === 'POST /__test/end-session') {
    ctx.body = await endSessions(body.sub);
  } else if (route === 'POST /__test/forge-logout') {
    ctx.body = await forgeLogout(body);
  } else if (route === 'GET /__test/last-logout') {
    ctx.type = 'json';
    ctx.body = JSON.stringify(lastLogout);
  } else {
    ctx.throw(404, 'no such test endpoint');
  }
}

// Auto mode: confirm RP-initiated logout on the user's behalf by posting the
// page's xsrf with logout=yes to /session/end/confirm, answering with that
// redirect. (/auth and /session/end take GET only: oidc-provider allows POST
// there only with SameSite=None cookies, which need https.)
async function autoConfirmLogout(ctx) {
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(String(ctx.body))?.[1];
  if (!xsrf) return;
  const jar = new Map((ctx.get('cookie') || '').split(/;\s*/).filter(Boolean)
    .map((c) => [c.slice(0, c.indexOf('=')), c.slice(c.indexOf('=') + 1)]));
  const setByGet = [ctx.response.get('set-cookie') || []].flat();
  for (const c of setByGet) {
    const pair = c.split(';')[0];
    jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
  }
  const res = await fetch(`${ISSUER}${provider.pathFor('end_session_confirm')}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    body: new URLSearchParams({ xsrf, logout: 'yes' }),
  });
  const setByConfirm = res.headers.getSetCookie();
  const names = new Set(setByConfirm.map((c) => c.slice(0, c.indexOf('='))));
  ctx.set('set-cookie', [...setByGet.filter((c) => !names.has(c.slice(0, c.indexOf('=')))), ...setByConfirm]);
  ctx.redirect(res.headers.get('location'));
  ctx.status = res.status;
}

provider.use(async (ctx, next) => {
  try {
    if (ctx.path.startsWith('/__test/')) return await testRoutes(ctx);
    const m = /^\/interaction\/([^/]+)$/.exec(ctx.path);
    if (m) return await interaction(ctx, m[1]);
  } catch (err) {
    console.error(`${ctx.method} ${ctx.path}:`, err);
    ctx.status = err.status ?? err.statusCode ?? 500;
    ctx.type = 'text';
    ctx.body = err.message;
    return undefined;
  }

  await next();

  if (ctx.path === provider.pathFor('token') && ctx.status === 200 && ctx.body?.id_token && tamperMode) {
    ctx.body = { ...ctx.body, id_token: tamper(ctx.body.id_token, tamperMode) };
    tamperMode = null;
  }
  if (AUTO && ctx.method === 'GET' && ctx.path === provider.pathFor('end_session') && ctx.status === 200) {
    await autoConfirmLogout(ctx);
  }
  return undefined;
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`oidc-provider ready ${ISSUER}\n`);
});

// If the test that started us dies without stopping us, exit rather than
// keep the port (we are re-parented when our parent goes away).
const parentPid = process.ppid;
setInterval(() => { if (process.ppid !== parentPid) process.exit(0); }, 1000).unref();
