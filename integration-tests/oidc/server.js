// A campus single sign-on for the integration tests: the certified OpenID Connect
// implementation `oidc-provider`, with a login form that checks passwords, a consent
// form, two people and one client (the hub). integration-tests/oidc_server.py runs it.
//
// Environment: ISSUER (the URL both the browser and the hub reach), PORT,
// CLIENT_SECRET and REDIRECT_URI (the hub's /hub/oauth_callback).
import http from 'node:http';
import Provider from 'oidc-provider';

const PEOPLE = {
  olga: { password: 'olga-sso-password', name: 'Olga Student', groups: ['students'] },
  omar: { password: 'omar-sso-password', name: 'Omar Staff', groups: ['staff'] },
};

const { ISSUER, PORT = '3000', CLIENT_SECRET, REDIRECT_URI } = process.env;

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: 'tljh-hub',
    client_secret: CLIENT_SECRET,
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    groups: ['groups'],
  },
  cookies: { keys: [CLIENT_SECRET + '-cookies'] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const person = PEOPLE[sub];
    if (!person) return undefined;
    return {
      accountId: sub,
      claims: async () => ({
        sub, name: person.name, preferred_username: sub, email: `${sub}@example.org`, groups: person.groups,
      }),
    };
  },
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, title, body) {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><title>${escape(title)}</title><h1>${escape(title)}</h1>${body}`);
}

function loginForm(res, uid, error = '') {
  page(res, 'Example University sign-in', `${error ? `<p class="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}">
  <input name="username" autocomplete="username"> <input name="password" type="password">
  <button type="submit">Sign in</button>
</form>`);
}

function consentForm(res, uid, details) {
  const scopes = details.prompt.details.missingOIDCScope || [];
  page(res, `Allow ${details.params.client_id}?`, `<p>It asks for: ${escape(scopes.join(', '))}</p>
<form method="post" action="/interaction/${escape(uid)}"><button name="consent" value="yes">Allow</button></form>`);
}

async function formOf(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt } = details;
  if (req.method === 'GET') {
    return prompt.name === 'login' ? loginForm(res, uid) : consentForm(res, uid, details);
  }
  const form = await formOf(req);
  if (prompt.name === 'login') {
    const sub = form.get('username') || '';
    if (!Object.hasOwn(PEOPLE, sub) || PEOPLE[sub].password !== form.get('password')) {
      return loginForm(res, uid, 'Wrong username or password.');
    }
    return provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
  }
  if (form.get('consent') !== 'yes') {
    return provider.interactionFinished(req, res, { error: 'access_denied' }, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } });
}

const callback = provider.callback();
http.createServer((req, res) => {
  if (!req.url.startsWith('/interaction/')) return callback(req, res);
  return interaction(req, res).catch((err) => {
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end(`interaction failed: ${err.message}`);
  });
}).listen(Number(PORT), '0.0.0.0', () => console.log(`oidc-provider listening on ${ISSUER}`));
