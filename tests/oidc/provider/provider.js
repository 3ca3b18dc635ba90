// A real OpenID Provider for the staff sign-in tests: panva's oidc-provider with one client
// (the app, with back-channel logout), a few test users with `groups`, a login page that a
// browser and a plain HTTP session can drive, and signing keys made at start.
//
// Settings from the environment: REDIRECT_URIS, POST_LOGOUT_REDIRECT_URIS (space-separated),
// BACKCHANNEL_LOGOUT_URI, CLIENT_SECRET. It listens on a free loopback port and prints "issuer <url>" once ready.
// POST /test/users/<id> {"groups": [...]} changes a user's groups (what an IT department does).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};

const USERS = {
  anna: { password: 'anna-pass', name: 'Anna Asphalt', email: 'anna@stadt.example', groups: ['tiefbau-crew'] },
  bernd: { password: 'bernd-pass', name: 'Bernd Boss', email: 'bernd@stadt.example', groups: ['leitung'] },
  carla: { password: 'carla-pass', name: 'Carla Cafe', email: 'carla@stadt.example', groups: ['kantine'] },
};

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

function loginForm(uid, error = '') {
  return page('Test provider sign-in', `${error ? `<p role="alert">${escape(error)}</p>` : ''}
    <form method="post" action="/interaction/${escape(uid)}/login">
      <label>User <input name="login" autocomplete="username" autofocus></label>
      <label>Password <input name="password" type="password" autocomplete="current-password"></label>
      <button type="submit">Sign in</button>
    </form>`);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'maengelmelder',
      client_secret: env('CLIENT_SECRET'),
      redirect_uris: env('REDIRECT_URIS').split(' '),
      post_logout_redirect_uris: env('POST_LOGOUT_REDIRECT_URIS').split(' '),
      backchannel_logout_uri: env('BACKCHANNEL_LOGOUT_URI'),
      backchannel_logout_session_required: true,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomUUID()] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: {
      openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'],
    },
    // The requested claims go into the ID token itself, as Keycloak's and Entra ID's do.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = page('Sign out of the test provider?', `${form}
            <button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>`);
        },
      },
    },
    // Its outgoing requests (the back-channel logouts) go to the app on loopback, which the
    // SSRF guard it passes as `dispatcher` refuses; a test provider on loopback only may.
    fetch: (url, { dispatcher, ...options }) => globalThis.fetch(url, options),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // The app is the city's own (first-party): no consent screen.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile groups');
      await grant.save();
      return grant;
    },
    async findAccount(ctx, id) {
      const user = USERS[id];
      if (!user) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, name: user.name, email: user.email, email_verified: true, groups: [...user.groups] };
        },
      };
    },
  });
  provider.on('backchannel.error', (ctx, error, client) => {
    console.error(`back-channel logout to ${client.clientId} failed: ${error}`);
  });
  provider.on('server_error', (ctx, error) => console.error(`server error: ${error.stack}`));
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    try {
      const url = new URL(req.url, issuer);
      const interaction = url.pathname.match(/^\/interaction\/([\w-]+)(\/login)?$/);
      const control = url.pathname.match(/^\/test\/users\/(\w+)$/);
      if (interaction && req.method === 'GET' && !interaction[2]) {
        const details = await provider.interactionDetails(req, res);
        return send(res, 200, 'text/html; charset=utf-8', loginForm(details.uid));
      }
      if (interaction && req.method === 'POST' && interaction[2]) {
        const details = await provider.interactionDetails(req, res);
        const form = new URLSearchParams(await readBody(req));
        const user = USERS[form.get('login')];
        if (!user || user.password !== form.get('password')) {
          return send(res, 200, 'text/html; charset=utf-8', loginForm(details.uid, 'Wrong user or password.'));
        }
        return await provider.interactionFinished(req, res, {
          login: { accountId: form.get('login') },
        }, { mergeWithLastSubmission: false });
      }
      if (control && req.method === 'POST' && USERS[control[1]]) {
        USERS[control[1]].groups = JSON.parse(await readBody(req)).groups;
        return send(res, 204, 'text/plain', '');
      }
      return callback(req, res);
    } catch (error) {
      return send(res, 400, 'text/plain', String(error));
    }
  });
  console.log(`issuer ${issuer}`);
});
