// gatehouse push: upload the texts the server lacks, in batches.
import { SingleBar } from 'cli-progress';
import { type FileText, readWorkspace } from '../files.js';
import { interactive, openSession, printJson, type Session } from '../session.js';

const BATCH_FILES = 500;
const BATCH_BYTES = 4 * 1024 * 1024;

export async function pushTexts(s: Session, texts: FileText[]) {
  const unique = [...new Map(texts.map((t) => [`${t.path}\0${t.sha256}`, t])).values()];
  const { body } = await s.api.post<{ missing: { path: string; sha256: string }[] }>(`${s.project}/snapshots/missing`, { files: unique.map(({ path, sha256 }) => ({ path, sha256 })) });
  const wanted = new Set(body.missing.map((m) => `${m.path}\0${m.sha256}`));
  const todo = unique.filter((t) => wanted.has(`${t.path}\0${t.sha256}`));
  const bar = interactive() && todo.length > 0 ? new SingleBar({ format: 'push {bar} {value}/{total} texts', hideCursor: true, stream: process.stderr }) : null;
  bar?.start(todo.length, 0);
  let stored = 0;
  for (let i = 0; i < todo.length;) {
    const batch: FileText[] = [];
    let bytes = 0;
    while (i < todo.length && batch.length < BATCH_FILES && (batch.length === 0 || bytes + Buffer.byteLength(todo[i].body) < BATCH_BYTES)) {
      bytes += Buffer.byteLength(todo[i].body);
      batch.push(todo[i++]);
    }
    const { body: res } = await s.api.post<{ stored: number }>(`${s.project}/snapshots`, { files: batch.map(({ path, sha256, body: b }) => ({ path, sha256, body: b })) });
    stored += res.stored;
    bar?.increment(batch.length);
  }
  bar?.stop();
  return { checked: unique.length, uploaded: todo.length, stored };
}

export async function push(opts: { json?: boolean }): Promise<number> {
  const s = await openSession();
  const ws = await readWorkspace(s.config);
  const result = await pushTexts(s, [...ws.notes, ...ws.gates]);
  if (opts.json) printJson(result);
  else process.stdout.write(`${result.uploaded} of ${result.checked} texts uploaded (the server had the rest)\n`);
  return 0;
}
