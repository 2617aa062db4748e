// Configuration shared by both hosts; each entry reads its own environment.
export interface Limits {
  /** Largest request body accepted, in bytes (413 beyond it). */
  maxBodyBytes: number;
  /** Largest page a list route returns. */
  maxPageSize: number;
  /** Largest single snapshot text, in UTF-8 bytes. */
  maxSnapshotBytes: number;
  /** Most files in one snapshot upload. */
  maxSnapshotsPerBatch: number;
  /** Most manifest entries (or explicit pairs) in one request. */
  maxManifestEntries: number;
  /** Most note x gate pairs one select may expand to. */
  maxSelectPairs: number;
}

export const defaultLimits: Limits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxPageSize: 200,
  maxSnapshotBytes: 1024 * 1024,
  maxSnapshotsPerBatch: 1000,
  maxManifestEntries: 50_000,
  maxSelectPairs: 1_000_000,
};

export function intFromEnv(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}
