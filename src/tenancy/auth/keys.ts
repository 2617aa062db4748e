// Gatehouse's own signing key: private half signs minted tokens, public half
// is served at /.well-known/jwks.json so other services can verify them.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

export interface SigningKey {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

function algFor(jwk: JWK): 'EdDSA' | 'ES256' {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new Error('GATEHOUSE_SIGNING_KEY must be an Ed25519 (OKP) or P-256 (EC) private JWK');
}

/** Parse the private JWK from the environment (JSON). */
export async function loadSigningKey(json: string): Promise<SigningKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(json) as JWK;
  } catch {
    throw new Error('GATEHOUSE_SIGNING_KEY is not valid JSON (expected a private JWK)');
  }
  if (!jwk.d) throw new Error('GATEHOUSE_SIGNING_KEY must include the private part ("d")');
  const alg = algFor(jwk);
  const { d: _d, ...pub } = jwk;
  void _d;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(pub));
  const privateKey = (await importJWK({ ...jwk, alg }, alg)) as CryptoKey;
  const publicJwk: JWK = { kty: pub.kty, crv: pub.crv, x: pub.x, ...(pub.y ? { y: pub.y } : {}), kid, alg, use: 'sig' };
  const publicKey = (await importJWK(publicJwk, alg)) as CryptoKey;
  return { kid, alg, privateKey, publicKey, publicJwk };
}

/** A fresh Ed25519 private JWK as JSON (for first start on Node and for tests). */
export async function generateSigningKeyJson(): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  return JSON.stringify(jwk);
}
