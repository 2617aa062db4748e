// The gatehouse CLI: argument parsing and exit codes; each command lives in commands/.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT } from './errors.js';

// Commands load when they run: `gatehouse status` should not pay for the
// modules of `work` or `import` at every start.
const commands = {
  ack: () => import('./commands/ack.js'),
  enqueue: () => import('./commands/enqueue.js'),
  import: () => import('./commands/import.js'),
  misc: () => import('./commands/misc.js'),
  projects: () => import('./commands/projects.js'),
  push: () => import('./commands/push.js'),
  registry: () => import('./commands/registry.js'),
  search: () => import('./commands/search.js'),
  status: () => import('./commands/status.js'),
  work: () => import('./commands/work.js'),
};
import { color } from './session.js';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`expected a whole number, got "${v}"`);
  return n;
};

/** The version in package.json, read when asked (the CLI runs from the clone's sources). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function program(run: (code: Promise<number>) => void): Command {
  const p = new Command('gatehouse')
    .description('Keep a markdown knowledge base reviewed: which note x gate pairs are fresh, stale or missing, and the work to fix them.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride();
  const json = new Option('--json', 'print machine-readable JSON');
  const partition = new Option('-p, --partition <name>', 'model partition (default: "partition" in gatehouse.json)');

  p.command('init').description('write a starter gatehouse.json and prompt template here')
    .requiredOption('--api <url>', 'the Gatehouse API, e.g. http://127.0.0.1:8787')
    .requiredOption('--project <slug>', 'the project for this knowledge base')
    .option('--partition <name>', 'the default model partition', 'default')
    .option('--force', 'overwrite an existing gatehouse.json')
    .option('--create-project', 'create the project when it does not exist (on a terminal init asks)')
    .addHelpText('after', '\nExample:\n  gatehouse init --api http://127.0.0.1:8787 --project my-kb --partition claude-opus')
    .action((o) => run(commands.misc().then((m) => m.init(o))));

  p.command('login').description('save a token for the API (mode 0600); reads it from --token or standard input')
    .option('--api <url>', 'the API (default: "api" in gatehouse.json)')
    .option('--token <jwt>', 'the token (prefer standard input: it stays out of shell history)')
    .option('--web', 'open the web dashboard signed in with the saved token (or GATEHOUSE_TOKEN) instead')
    .option('--no-open', 'with --web: print the sign-in address instead of opening a browser')
    .addHelpText('after', '\nExamples:\n  cat .gatehouse/local-owner.token | gatehouse login\n  gatehouse login --web')
    .action((o) => run(commands.misc().then((m) => m.login(o))));

  p.command('status').description('which pairs are stale or missing, and why; exit 0 all fresh, 1 stale or missing, 2 error')
    .addOption(json).addOption(partition).option('--diff', 'show what changed in each stale pair')
    .option('--accepted', 'check every pair the server has accepted (not the pairs gatehouse.json names)')
    .addHelpText('after', '\nExamples:\n  gatehouse status\n  gatehouse status --accepted\n  gatehouse status --json > status.json   # format gatehouse-freshness-status/1')
    .action((o) => run(commands.status().then((m) => m.status(o))));

  p.command('push').description('upload the texts the server lacks (only those), in batches').addOption(json)
    .addHelpText('after', '\nExample:\n  gatehouse push')
    .action((o) => run(commands.push().then((m) => m.push(o))));

  p.command('enqueue').description('push, then queue review jobs for every stale or missing pair')
    .addOption(json).addOption(partition)
    .option('--runner <name>', 'the runner the jobs are for (default: "runner" in gatehouse.json)')
    .addOption(new Option('--grouping <by>', 'one job per note or per gate').choices(['note', 'gate']))
    .option('--batch-size <n>', 'most pairs per job', int)
    .option('--priority <n>', 'higher runs first', (v) => Number(v))
    .option('-y, --yes', 'register an unknown partition (policy auto) without asking; needed in CI')
    .addHelpText('after', '\nExample:\n  gatehouse enqueue --grouping gate --batch-size 50')
    .action((o) => run(commands.enqueue().then((m) => m.enqueue(o))));

  p.command('work').description('claim queued jobs, run the adapter on each item, push results and finalize')
    .addOption(json)
    .option('--once', 'process at most one job, then exit')
    .option('--drain', 'stop when the queue is empty (exit 0 if every job succeeded): for scripts and CI')
    .option('--max-jobs <n>', 'stop after this many jobs', int)
    .option('--concurrency <n>', 'jobs at a time', int, 1)
    .option('--runner <name>', 'claim jobs for this runner (default: "runner" in gatehouse.json)')
    .option('--wait <seconds>', 'long-poll this long for a job per claim', int)
    .option('--lease <seconds>', 'lease length (10-3600; default twice the adapter timeout, at least 60): how soon a crashed runner\'s job goes back to the queue', int)
    .addHelpText('after', '\nExamples:\n  gatehouse work                 # until Ctrl-C\n  gatehouse work --once          # one job, then exit\n  gatehouse work --drain         # until the queue is empty\n  gatehouse work --concurrency 4 --max-jobs 100')
    .action((o) => run(commands.work().then((m) => m.work(o))));

  p.command('ack').description('accept changed texts without a review: one pair, or every trivial change')
    .argument('[note]', 'the note path').argument('[gate]', 'the gate path')
    .addOption(json).addOption(partition)
    .option('--trivial', 'ack every stale pair whose change the gate does not watch')
    .option('--dry-run', 'with --trivial: list them, ack nothing')
    .option('--reason <text>', 'why (required for one pair)')
    .addHelpText('after', '\nExamples:\n  gatehouse ack --trivial --dry-run\n  gatehouse ack kb/notes/a.md kb/gates/style.md --reason "typo fix"')
    .action((note, gate, o) => run(commands.ack().then((m) => m.ack({ ...o, note, gate }))));

  p.command('diff').description('what changed since a note\'s pairs were accepted')
    .argument('<note>', 'the note path').option('--gate <path>', 'only this gate').addOption(json).addOption(partition)
    .addHelpText('after', '\nExample:\n  gatehouse diff kb/notes/a.md')
    .action((note, o) => run(commands.misc().then((m) => m.diff({ ...o, note }))));

  p.command('retire').description('end the acceptance of deleted or moved notes or gates, named or detected')
    .argument('[paths...]', 'repo-relative paths').option('--reason <text>').addOption(json)
    .option('--detect', 'also every accepted file that is gone from disk')
    .option('--dry-run', 'list what would be retired')
    .addHelpText('after', '\nExamples:\n  gatehouse retire kb/notes/old-name.md --reason "renamed"\n  gatehouse retire --detect --dry-run')
    .action((paths, o) => run(commands.misc().then((m) => m.retire({ ...o, paths }))));

  p.command('search').description('find past reviews and notes like a query (full text and vectors, fused)')
    .argument('<query...>', 'what to look for').addOption(json).addOption(partition)
    .option('-k <n>', 'how many results', int)
    .addOption(new Option('--mode <mode>', 'ranking').choices(['hybrid', 'text', 'vector']))
    .addOption(new Option('--subject <kind>', 'only notes or only reviews').choices(['snapshot', 'job_item']))
    .option('--gate <path>', 'only reviews against this gate')
    .addOption(new Option('--outcome <outcome>', 'only reviews with this outcome').choices(['pass', 'warn', 'fail', 'error']))
    .option('--prefix <path>', 'only notes under this path')
    .addHelpText('after', '\nExamples:\n  gatehouse search "circular argument" --subject job_item --outcome fail\n  gatehouse search workshop layer --mode text')
    .action((words: string[], o) => run(commands.search().then((m) => m.searchCommand({ ...o, query: words.join(' ') }))));

  p.command('import').description('import the accepted baselines of a local Commonplace review store, uploading only the texts the server lacks; re-running resumes')
    .argument('<store>', 'the Commonplace store (SQLite file)')
    .option('--project <slug>', 'the project to import into (default: "project" in gatehouse.json)')
    .option('--partition-map <old=new>', 'record the store\'s partition old as new (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--dry-run', 'say what would be imported; change nothing')
    .option('--strict', 'refuse the whole store if any row is bad (default: report bad rows and import the rest)')
    .option('--batch-size <n>', 'baselines per request (1-5000; each is all or nothing)', int)
    .addOption(json)
    .addHelpText('after', '\nExamples:\n  gatehouse import .commonplace/review-store.sqlite --dry-run\n  gatehouse import store.sqlite --partition-map synthetic-bench=claude-opus --strict')
    .action((store, o) => run(commands.import().then((m) => m.importStore(store, o))));

  const reg = p.command('registry').description('the project\'s model partition registry as a file (gatehouse.registry.json)');
  for (const [action, text] of [['pull', 'write the server\'s registry to the file'], ['diff', 'show what a sync would change (the server\'s dry-run plan)'], ['sync', 'make the server\'s registry what the file says (all or nothing)']] as const) {
    reg.command(action).description(text).addOption(json)
      .addHelpText('after', `\nExample:\n  gatehouse registry ${action}`)
      .action((o) => run(commands.registry().then((m) => m.registry(action, o))));
  }

  const proj = p.command('projects').description('projects of the org');
  proj.command('create').description('create a project (POST /v1/projects)').argument('[slug]', 'the slug (default: "project" in gatehouse.json)')
    .option('--api <url>', 'the API (default: "api" in gatehouse.json)').addOption(json)
    .addHelpText('after', '\nExample:\n  gatehouse projects create my-kb')
    .action((slug, o) => run(commands.projects().then((m) => m.createProject({ ...o, slug }))));

  const tok = p.command('tokens').description('API tokens (minting for others and runners needs org:admin)');
  tok.command('list').description('list tokens (without secrets)').addOption(json).action((o) => run(commands.misc().then((m) => m.tokens('list', o))));
  tok.command('mint').description('mint a token; printed once')
    .requiredOption('--name <text>').option('--scopes <list>', 'comma-separated scopes').option('--service <name>', 'for a runner or agent identity')
    .option('--days <n>', 'lifetime', int).addOption(json)
    .addHelpText('after', '\nExample:\n  gatehouse tokens mint --name ci-runner --service runner-1 --scopes jobs:run,freshness:read')
    .action((o) => run(commands.misc().then((m) => m.tokens('mint', o))));
  tok.command('revoke').description('revoke a token').argument('<id>').addOption(json).action((id, o) => run(commands.misc().then((m) => m.tokens('revoke', { ...o, id }))));
  return p;
}

/**
 * `gatehouse status | head`: the reader went away, which is not an error.
 * Exit quietly with what the command has decided so far.
 */
let pipesWatched = false;
function quietOnClosedPipe() {
  if (pipesWatched) return;
  pipesWatched = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok);
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe();
  let pending: Promise<number> | undefined;
  const p = program((code) => { pending = code; });
  try {
    await p.parseAsync(argv);
    return pending ? await pending : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    if (err instanceof CliError) {
      process.stderr.write(`${color.red('error:')} ${err.message}\n${err.hint ? `${color.dim(`hint: ${err.hint}`)}\n` : ''}`);
      return err.exitCode;
    }
    process.stderr.write(`${color.red('error:')} ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.error;
  }
}
