// Local OpenID Provider for the integration tests (node-oidc-provider v9, ESM).
//
// Usage: PORT=0 node provider.mjs        (run from a folder where `npm ci` installed package.json)
// Listens on 127.0.0.1 only. PORT=0 picks a free port; the issuer is built from the port actually
// bound, so there is no race between choosing a port and listening on it. `.restart()` in the
// Python fixture passes the same PORT back: same issuer, new keys (= key rotation).
// Prints "READY <issuer>" once it accepts requests.
//
// Signing keys are generated on every start (RS256 "rs-<n>" and ES256 "es-<n>").
// Access tokens are RFC 9068 JWTs (typ at+jwt) for the resource API_AUDIENCE. Their algorithm
// depends on the client: "m2m" gets RS256, "m2m-es256" gets ES256. ID tokens: client "web"
// (RS256) or "web-es256" (ES256) through authorization code + PKCE and devInteractions.
// Opaque access tokens: ask for the resource OPAQUE_AUDIENCE. Introspection and revocation are
// on; resource-server clients introspect with client_secret_basic ("m2m"), client_secret_post
// ("rs-post") or private_key_jwt ("rs-jwt", public keys in INTROSPECTION_CLIENT_JWKS).
import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT || 0);
const API = process.env.API_AUDIENCE || 'https://api.example.com';
const REDIRECT_URI = process.env.REDIRECT_URI || 'http://127.0.0.1:9/cb';
const SECRET = process.env.CLIENT_SECRET || 'local-test-client-secret';
const OPAQUE_API = process.env.OPAQUE_AUDIENCE || 'urn:example:opaque-api';
const CLIENT_JWKS = JSON.parse(process.env.INTROSPECTION_CLIENT_JWKS || '{"keys":[]}');

const generation = randomBytes(4).toString('hex'); // kids differ between starts
const privateJwk = (type, options) =>
  generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' });
const keys = [
  { ...privateJwk('rsa', { modulusLength: 2048 }), kid: `rs-${generation}`, alg: 'RS256', use: 'sig' },
  { ...privateJwk('ec', { namedCurve: 'P-256' }), kid: `es-${generation}`, alg: 'ES256', use: 'sig' },
];
const accessTokenAlg = { m2m: 'RS256', 'm2m-es256': 'ES256', web: 'RS256', 'web-es256': 'ES256' };

const m2mClient = (clientId) => ({
  client_id: clientId, client_secret: SECRET,
  grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
});
const rsClient = (clientId, method) => {
  const client = { ...m2mClient(clientId), token_endpoint_auth_method: method };
  if (method === 'private_key_jwt') {
    delete client.client_secret;
    Object.assign(client, { jwks: CLIENT_JWKS, token_endpoint_auth_signing_alg: 'RS256' });
  }
  return client;
};
const webClient = (clientId, alg) => ({
  client_id: clientId, client_secret: SECRET,
  grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
  redirect_uris: [REDIRECT_URI], id_token_signed_response_alg: alg,
  token_endpoint_auth_method: 'client_secret_post',
});

const server = http.createServer();
server.listen(PORT, HOST, () => {
  const issuer = `http://${HOST}:${server.address().port}`;
  const provider = new Provider(issuer, {
    jwks: { keys },
    clients: [
      m2mClient('m2m'), m2mClient('m2m-es256'), webClient('web', 'RS256'), webClient('web-es256', 'ES256'),
      rsClient('rs-post', 'client_secret_post'),
      ...(CLIENT_JWKS.keys.length ? [rsClient('rs-jwt', 'private_key_jwt')] : []),
    ],
    scopes: ['openid', 'offline_access', 'email', 'api:read', 'api:write'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: false, // put the email claims into the ID token too
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: `${sub}@example.com`, email_verified: true }),
    }),
    features: {
      devInteractions: { enabled: true }, // built-in login/consent pages accept any login
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => API,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resourceIndicator, client) => {
          if (resourceIndicator === OPAQUE_API) {
            return { scope: 'api:read api:write', audience: OPAQUE_API, accessTokenTTL: 3600, accessTokenFormat: 'opaque' };
          }
          if (resourceIndicator !== API) throw new errors.InvalidTarget();
          return {
            scope: 'api:read api:write',
            audience: API,
            accessTokenTTL: 3600,
            accessTokenFormat: 'jwt', // RFC 9068 JWT access token (typ at+jwt)
            jwt: { sign: { alg: accessTokenAlg[client.clientId] || 'RS256' } },
          };
        },
      },
    },
    extraTokenClaims: async () => ({ groups: ['admins'] }),
    ttl: { AccessToken: 3600, ClientCredentials: 3600, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
  });
  provider.proxy = false;
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  console.log(`READY ${issuer}`);
});

const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The test run keeps our stdin open: if it dies without stopping us, we don't linger.
if (process.env.EXIT_ON_STDIN_EOF === '1') {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
