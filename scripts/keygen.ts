// npm run keygen: print a new Ed25519 private JWK for GATEHOUSE_SIGNING_KEY.
import { generateSigningKeyJson, loadSigningKey } from '../src/tenancy/auth/keys.js';

const json = await generateSigningKeyJson();
const key = await loadSigningKey(json);
console.error(`keygen: Ed25519 key, kid ${key.kid}; keep it secret (wrangler secret put GATEHOUSE_SIGNING_KEY)`);
console.log(json);
