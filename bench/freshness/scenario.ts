// The synthetic scenario: which texts exist, what was accepted, what changed,
// and therefore the expected verdict of every pair.
import type { ManifestItem } from '../../src/freshness/snapshots.js';
import { prng, sampleDistinct, sha256Hex } from './lib.js';

export const NOTES = 10_000;
export const GATES = 10;
export const PAIRS = NOTES * GATES;

export type Status = 'fresh' | 'stale' | 'missing';
export type Reason = 'never_reviewed' | 'note_changed' | 'gate_changed' | 'both_changed' | null;
export interface Verdict { status: Status; reason: Reason; revision: number | null }

/**
 * 10,000 notes × 10 gates, all accepted at version 1 except 2% of pairs
 * (chosen by a seeded PRNG); then 5% of notes (every 20th) and one gate
 * (index 3) are edited to version 2. The expected verdict of every pair
 * follows from that, so the answers can be checked, not just timed.
 */
export function scenario() {
  const notePath = (i: number) => `kb/notes/synthetic/note-${String(i).padStart(5, '0')}.md`;
  const gatePath = (j: number) => `kb/instructions/review-gates/synthetic-gate-${String(j).padStart(2, '0')}.md`;
  const noteBody = (i: number, v: number) => `# Synthetic note ${i}\n\nA short claim, version ${v}. See [[note-${(i * 7) % NOTES}]].\n`;
  const gateBody = (j: number, v: number) => `# Synthetic gate ${j}\n\nCheck that the note states one claim (revision ${v}).\n`;
  const noteChanged = (i: number) => i % 20 === 0;
  const gateChanged = (j: number) => j === 3;
  const neverReviewed = new Set(sampleDistinct(prng(20261122), PAIRS, PAIRS / 50));

  const texts: { path: string; body: string; sha256: string }[] = [];
  const add = (path: string, body: string) => {
    const t = { path, body, sha256: sha256Hex(body) };
    texts.push(t);
    return t;
  };
  const baseNotes: ManifestItem[] = [];
  const currentNotes: ManifestItem[] = [];
  for (let i = 0; i < NOTES; i++) {
    const v1 = add(notePath(i), noteBody(i, 1));
    baseNotes.push({ path: v1.path, sha256: v1.sha256 });
    currentNotes.push(noteChanged(i) ? (({ path, sha256 }) => ({ path, sha256 }))(add(notePath(i), noteBody(i, 2))) : { path: v1.path, sha256: v1.sha256 });
  }
  const baseGates: ManifestItem[] = [];
  const currentGates: ManifestItem[] = [];
  for (let j = 0; j < GATES; j++) {
    const v1 = add(gatePath(j), gateBody(j, 1));
    baseGates.push({ path: v1.path, sha256: v1.sha256 });
    currentGates.push(gateChanged(j) ? (({ path, sha256 }) => ({ path, sha256 }))(add(gatePath(j), gateBody(j, 2))) : { path: v1.path, sha256: v1.sha256 });
  }
  const expected = (i: number, j: number): Verdict => {
    if (neverReviewed.has(i * GATES + j)) return { status: 'missing', reason: 'never_reviewed', revision: null };
    const n = noteChanged(i);
    const g = gateChanged(j);
    if (n && g) return { status: 'stale', reason: 'both_changed', revision: 1 };
    if (n) return { status: 'stale', reason: 'note_changed', revision: 1 };
    if (g) return { status: 'stale', reason: 'gate_changed', revision: 1 };
    return { status: 'fresh', reason: null, revision: 1 };
  };
  const counts = { fresh: 0, stale: 0, missing: 0, never_reviewed: 0, note_changed: 0, gate_changed: 0, both_changed: 0 };
  for (let i = 0; i < NOTES; i++) {
    for (let j = 0; j < GATES; j++) {
      const v = expected(i, j);
      counts[v.status] += 1;
      if (v.reason) counts[v.reason] += 1;
    }
  }
  return { texts, baseNotes, baseGates, currentNotes, currentGates, neverReviewed: [...neverReviewed], expected, counts };
}
