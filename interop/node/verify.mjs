// Node.js relying parties of the interoperability suite (driven by interop/run.sh).
//
//   node verify.mjs --library jose|openid-client --issuer URL --cases FILE --rotated-flag FILE
//                   [--fault-flag FILE] [--rotation-bound-ms N] [--flag-timeout-ms N] [--refresh-limit-ms N|default]
//
// Same protocol as the Java and Python verifiers: one JSON line per case (discovery first, named by the
// case file's discovery_case), the line "ready-for-rotation" after phase "initial", then (once the flag
// file exists) phase "rotation" with the SAME remote JWKS object, so jose's own refetch on an unknown kid
// is what is exercised; with --fault-flag, "ready-for-fault" and (once that flag exists) phase "fault".
//
// jose:          discovery with fetch, exact issuer comparison, createRemoteJWKSet(jwks_uri) + jwtVerify.
// openid-client: discovery(new URL(issuer), ...) (openid-client's own metadata checks), then the
//                jwks_uri and issuer it returned with jose (openid-client's own dependency), since
//                openid-client has no public API for verifying an arbitrary JWT.
//
// createRemoteJWKSet refetches on an unknown kid unless it fetched within cooldownDuration (default
// 30 s); --refresh-limit-ms sets cooldownDuration (run.sh: 2000 ms) unless it is "default".
// TLS trust: run.sh starts node with --use-openssl-ca and SSL_CERT_FILE=<the run's CA>, SSL_CERT_DIR=<empty>,
// so the run's CA is the only trusted root (NODE_EXTRA_CA_CERTS would add it to the bundled roots).

import { existsSync, readFileSync } from 'node:fs';
import * as jose from 'jose';
import * as client from 'openid-client';

const RETRY_PAUSE_MS = 200;

function options(argv) {
  const result = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      throw new Error(`expected --name value pairs, got: ${argv.join(' ')}`);
    }
    result[argv[i].slice(2)] = argv[i + 1];
  }
  return result;
}

const opts = options(process.argv.slice(2));
const library = opts['library'];
const issuer = opts['issuer'];
const rotationBound = Number(opts['rotation-bound-ms'] ?? 15000);
const flagTimeout = Number(opts['flag-timeout-ms'] ?? 120000);
const refreshLimit = opts['refresh-limit-ms'] ?? '2000';
const document = JSON.parse(readFileSync(opts['cases'], 'utf8'));
const audience = document.audience;
const discoveryCase = document.discovery_case ?? 'discovery';
const verifierName = `node-${library}`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function emit(name, expect, result, ms, attempts, detail) {
  const line = {
    verifier: verifierName, case: name, expect, result, ok: expect === result, ms: Math.round(ms), attempts,
    detail: String(detail ?? '').replace(/\s+/g, ' ').slice(0, 300),
  };
  process.stdout.write(JSON.stringify(line) + '\n');
}

function describe(error) {
  const code = error?.code ? `${error.code}: ` : '';
  const cause = error?.cause instanceof Error ? ` <- ${error.cause.code ?? error.cause.name}: ${error.cause.message}` : '';
  return `${error?.name ?? 'Error'}: ${code}${error?.message ?? error}${cause}`;
}

function remoteKeys(jwksUri) {
  const jwksOptions = refreshLimit === 'default' ? {} : { cooldownDuration: Number(refreshLimit) };
  return jose.createRemoteJWKSet(new URL(jwksUri), jwksOptions);
}

function verifierFor(expectedIssuer, jwksUri, algorithms) {
  const keys = remoteKeys(jwksUri);
  return (token) => jose.jwtVerify(token, keys, {
    issuer: expectedIssuer,
    audience,
    algorithms,
    requiredClaims: ['sub', 'iat', 'exp'],
  });
}

async function discoverWithJose() {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`, {
    headers: { accept: 'application/json' },
    redirect: 'error',
    signal: AbortSignal.timeout(10000),
  });
  if (response.status !== 200) {
    throw new Error(`discovery answered ${response.status}`);
  }
  const metadata = await response.json();
  if (metadata.issuer !== issuer) {
    throw new Error(`discovery issuer ${metadata.issuer} is not ${issuer}`);
  }
  return verifierFor(issuer, metadata.jwks_uri, metadata.id_token_signing_alg_values_supported);
}

async function discoverWithOpenidClient() {
  const configuration = await client.discovery(new URL(issuer), 'spiffe-oidc-interop', undefined, undefined, {
    timeout: 10,
  });
  const metadata = configuration.serverMetadata();
  if (typeof metadata.jwks_uri !== 'string') {
    throw new Error('discovery returned no jwks_uri');
  }
  return verifierFor(metadata.issuer, metadata.jwks_uri, metadata.id_token_signing_alg_values_supported);
}

async function runPhase(verify, phase, retryBound) {
  for (const c of document.cases.filter((x) => x.phase === phase)) {
    if (!verify) {
      emit(c.name, c.expect, 'reject', 0, 0, 'discovery failed');
      continue;
    }
    const retry = phase === 'rotation' && c.expect === 'accept';
    const start = performance.now();
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        await verify(c.token);
        emit(c.name, c.expect, 'accept', performance.now() - start, attempts, '');
        break;
      } catch (error) {
        if (!retry || performance.now() - start >= retryBound) {
          emit(c.name, c.expect, 'reject', performance.now() - start, attempts, describe(error));
          break;
        }
        await sleep(RETRY_PAUSE_MS);
      }
    }
  }
}

const discoverers = { jose: discoverWithJose, 'openid-client': discoverWithOpenidClient };
if (!discoverers[library]) {
  throw new Error(`unknown --library ${library}`);
}

let verify = null;
const started = performance.now();
try {
  verify = await discoverers[library]();
  emit(discoveryCase, 'accept', 'accept', performance.now() - started, 1, '');
} catch (error) {
  emit(discoveryCase, 'accept', 'reject', performance.now() - started, 1, describe(error));
}

// Announces the end of a phase, then waits (bounded) for run.sh's flag file; true when it came.
async function awaitFlag(line, flag) {
  process.stdout.write(line + '\n');
  const deadline = performance.now() + flagTimeout;
  while (!existsSync(flag) && performance.now() < deadline) {
    await sleep(50);
  }
  return existsSync(flag);
}

await runPhase(verify, 'initial', 0);
const flagged = await awaitFlag('ready-for-rotation', opts['rotated-flag']);
await runPhase(verify, 'rotation', flagged ? rotationBound : 0);
if (opts['fault-flag']) {
  await awaitFlag('ready-for-fault', opts['fault-flag']);
  await runPhase(verify, 'fault', 0);
}
