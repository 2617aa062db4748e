// Minting and verifying JWTs. Verification is strict: an allow-listed `alg`,
// the expected `iss` and `aud`, and `exp` + `sub` present; `org` is checked
// by the caller because one route (creating an org) accepts a token without it.
import { SignJWT, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ApiError } from '../../platform/errors.js';
import type { SigningKey } from './keys.js';

export interface ExternalIssuer {
  issuer: string;
  audience: string;
  /** Keys of the external issuer, usually `createRemoteJWKSet(jwksUrl)`. */
  jwks: JWTVerifyGetKey;
  algorithms: string[];
}

export interface AuthConfig {
  issuer: string;
  audience: string;
  signingKey: SigningKey;
  external?: ExternalIssuer;
}

export interface VerifiedToken {
  /** True when Gatehouse signed it; false for the external OIDC issuer. */
  own: boolean;
  issuer: string;
  subject: string;
  org: string | null;
  jti: string | null;
  role: string | null;
  scope: string[] | null;
  email: string | null;
  name: string | null;
}

export const OPERATOR_ROLE = 'operator';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function unauthenticated(detail: string): ApiError {
  return new ApiError('unauthenticated', detail, {
    headers: { 'www-authenticate': `Bearer realm="gatehouse", error="invalid_token", error_description="${detail.replace(/"/g, "'")}"` },
  });
}

/**
 * Signature checks are the costliest part of authenticating a request, and
 * runners send the same token hundreds of times a minute. A token string
 * whose signature and claims verified is remembered for a short while (never
 * past its `exp`), per key configuration, in a bounded map. Revocation,
 * membership and role are not cached: they are read from the database on
 * every request regardless.
 */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 2_000;
const verifiedCache = new WeakMap<AuthConfig, Map<string, { token: VerifiedToken; until: number; notBefore: number }>>();

export async function verifyToken(auth: AuthConfig, token: string, now: Date): Promise<VerifiedToken> {
  let cache = verifiedCache.get(auth);
  if (!cache) verifiedCache.set(auth, (cache = new Map()));
  const hit = cache.get(token);
  if (hit && now.getTime() < hit.until && now.getTime() >= hit.notBefore) return hit.token;
  const verified = await verifySignedToken(auth, token, now);
  const { exp, nbf } = decodeJwt(token);
  if (cache.size >= VERIFIED_MAX) cache.delete(cache.keys().next().value!);
  cache.set(token, { token: verified, until: Math.min(now.getTime() + VERIFIED_TTL_MS, exp! * 1000), notBefore: nbf ? nbf * 1000 : 0 });
  return verified;
}

async function verifySignedToken(auth: AuthConfig, token: string, now: Date): Promise<VerifiedToken> {
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    throw unauthenticated('The bearer token is not a well-formed JWT');
  }
  const own = unverified.iss === auth.issuer;
  const external = auth.external && unverified.iss === auth.external.issuer ? auth.external : undefined;
  if (!own && !external) throw unauthenticated('The token issuer is not trusted');
  // Our own tokens name our one key; any other kid means a key we never held
  // (or one rotated out), even if the signature happens to check against ours.
  if (own) {
    const { kid } = decodeProtectedHeader(token);
    if (kid !== undefined && kid !== auth.signingKey.kid) throw unauthenticated('The token names a signing key this server does not have');
  }

  let payload: JWTPayload;
  try {
    const options = {
      issuer: own ? auth.issuer : external!.issuer,
      audience: own ? auth.audience : external!.audience,
      algorithms: own ? [auth.signingKey.alg] : external!.algorithms,
      requiredClaims: ['exp', 'sub', 'iss', 'aud'],
      currentDate: now,
    };
    payload = own
      ? (await jwtVerify(token, auth.signingKey.publicKey, options)).payload
      : (await jwtVerify(token, external!.jwks, options)).payload;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw unauthenticated('The token has expired');
    if (err instanceof joseErrors.JOSEAlgNotAllowed) throw unauthenticated('The token algorithm is not allowed');
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw unauthenticated(`The token claim "${err.claim}" is invalid`);
    throw unauthenticated('The token signature could not be verified');
  }

  const org = payload.org;
  if (org !== undefined && (typeof org !== 'string' || !UUID.test(org))) throw unauthenticated('The token "org" claim must be an org id');
  const jti = payload.jti ?? null;
  if (jti !== null && !UUID.test(jti)) throw unauthenticated('The token "jti" claim is malformed');
  const scope = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : null;
  return {
    own,
    issuer: payload.iss!,
    subject: payload.sub!,
    org: (org as string | undefined)?.toLowerCase() ?? null,
    jti,
    role: typeof payload.role === 'string' ? payload.role : null,
    scope,
    email: typeof payload.email === 'string' ? payload.email : null,
    name: typeof payload.name === 'string' ? payload.name : null,
  };
}

export interface MintRequest {
  subject: string;
  org?: string;
  jti?: string;
  role?: string;
  scope?: string[];
  expiresAt: Date;
  issuedAt: Date;
}

export async function mintToken(auth: AuthConfig, req: MintRequest): Promise<string> {
  const claims: JWTPayload = {};
  if (req.org) claims.org = req.org;
  if (req.role) claims.role = req.role;
  if (req.scope) claims.scope = req.scope.join(' ');
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: auth.signingKey.alg, kid: auth.signingKey.kid, typ: 'JWT' })
    .setIssuer(auth.issuer)
    .setAudience(auth.audience)
    .setSubject(req.subject)
    .setIssuedAt(Math.floor(req.issuedAt.getTime() / 1000))
    .setExpirationTime(Math.floor(req.expiresAt.getTime() / 1000));
  if (req.jti) jwt.setJti(req.jti);
  return jwt.sign(auth.signingKey.privateKey);
}

export { unauthenticated };
