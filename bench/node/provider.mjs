// Peer OIDC server for the benchmark: node-oidc-provider with the benchmark's keys, over HTTPS.
// Usage: node provider.mjs <port> <cert.pem> <key.pem> <private-jwks.json>
import fs from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

const [port, certPath, keyPath, jwksPath] = process.argv.slice(2);
const issuer = `https://localhost:${port}`;
const provider = new Provider(issuer, {
  jwks: JSON.parse(fs.readFileSync(jwksPath, 'utf8')),
  clients: [],
  cookies: { keys: ['bench-only-cookie-key'] },
});
https
  .createServer({ cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) }, provider.callback())
  .listen(Number(port), '127.0.0.1', () => console.log(`listening on ${port}`));
