// npm run migrate: apply migrations/ to DATABASE_URL (PostgreSQL or Neon).
// The embedded database migrates itself on `npm start`.
import { openNodePostgres } from '../src/platform/drivers/node-postgres.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('migrate: set DATABASE_URL (for Neon, the direct or pooled connection string with sslmode=require)');
  process.exit(2);
}
const handle = openNodePostgres(url, 1);
try {
  await handle.migrate();
  console.log('migrate: the database is up to date');
} catch (err) {
  console.error(`migrate: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await handle.close();
}
