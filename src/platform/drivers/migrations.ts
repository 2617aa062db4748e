// Where the SQL migrations live (Node hosts only; Workers never migrate at runtime).
import { fileURLToPath } from 'node:url';

export const migrationsFolder = fileURLToPath(new URL('../../../migrations', import.meta.url));
