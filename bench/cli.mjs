// bench/cli: wall time of `palyrad nodes list --json` against a running daemon (one paired
// node registered... none needed: the list call is the same) vs a bare `node -e 0`.
// Flags: --runs N (default 15).
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { PALYRAD, childEnv, cleanupAll, machine, nowMs, parseArgs, round, startDaemon, stats, tempDir, writeResult } from './lib.mjs';

function wall(args, env) {
  const t = nowMs();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = nowMs() - t;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

export async function runCli(opts = {}) {
  const runs = Number(opts.runs ?? 15);
  const base = await tempDir('cli');
  const daemon = await startDaemon(`${base}/daemon`);
  const env = childEnv();
  const listArgs = [PALYRAD, 'nodes', 'list', '--json', '--state-dir', daemon.stateDir];
  const result = { benchmark: 'cli', machine: machine(), config: { runs } };
  try {
    wall(['-e', '0'], env); // warm the page cache
    wall(listArgs, env);
    const bare = [];
    const list = [];
    for (let i = 0; i < runs; i += 1) {
      // Interleaved, so load changes on the shared machine hit both alike.
      bare.push(wall(['-e', '0'], env));
      list.push(wall(listArgs, env));
    }
    // Where the time goes: the CLI's own module graph (clipanion and every command class, which
    // load their implementation only when they run) without a command, and, for comparison, the
    // whole daemon library (Daemon, CA, QUIC...), which the CLI no longer loads for nodes list.
    const parseOnly = [];
    const importOnly = [];
    for (let i = 0; i < Math.min(runs, 7); i += 1) {
      parseOnly.push(wall([PALYRAD, '--version'], env));
      importOnly.push(wall(['-e', `await import(${JSON.stringify(pathToFileURL(`${PALYRAD.replace(/bin\/palyrad\.js$/, 'dist/index.js')}`).href)})`, '--input-type=module'], env));
    }
    result.nodeBare = { what: 'node -e 0', wallMs: stats(bare) };
    result.nodesList = { what: 'node daemon/bin/palyrad.js nodes list --json --state-dir D (daemon running)', wallMs: stats(list) };
    result.cliParseOnly = { what: 'node daemon/bin/palyrad.js --version (the CLI and its command classes, no client)', wallMs: stats(parseOnly) };
    result.importDaemonIndex = { what: "node -e \"await import('@palyra/daemon' dist/index.js)\" (the whole daemon library, not the CLI path)", wallMs: stats(importOnly) };
    result.ratio = round(result.nodesList.wallMs.median / result.nodeBare.wallMs.median, 2);
    result.targets = { nodesListUnder3xBareNode: { target: '< 3', actual: result.ratio, met: result.ratio < 3 } };
  } finally {
    await daemon.proc.stop();
  }
  await writeResult('cli', result);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(JSON.stringify(await runCli(parseArgs()), null, 2));
  } finally {
    await cleanupAll();
  }
}
