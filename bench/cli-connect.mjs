// bench/cli-connect: start-up cost of one unary admin call (GetStatus on a running daemon's
// admin socket) in a fresh process, with our UnaryHttp2Client vs Connect's gRPC transport for
// Node (@connectrpc/connect-node), beside a bare `node -e 0`, interleaved in the same run.
// Connect is not a dependency of Palyra: install it apart and point --connect-dir at it.
// connect-node 2.x needs Node >= 22 (Palyra supports >= 20.19), so 1.x is what fits:
//   mkdir /tmp/connect && cd /tmp/connect && echo '{"type":"module"}' > package.json &&
//   npm install @connectrpc/connect-node@1.7.0 @connectrpc/connect@1.7.0 @bufbuild/protobuf@1
//   node bench/cli-connect.mjs --connect-dir /tmp/connect --runs 15
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, childEnv, cleanupAll, machine, nowMs, parseArgs, round, startDaemon, stats, tempDir, writeResult } from './lib.mjs';

const OURS = (socket) => `
import { UnaryHttp2Client } from ${JSON.stringify(pathToFileURL(join(ROOT, 'proto', 'dist', 'client', 'index.js')).href)};
const client = await UnaryHttp2Client.connectUnix(${JSON.stringify(socket)}, { timeoutMs: 5000 });
const status = await client.call('AdminService', 'GetStatus', {}, { timeoutMs: 5000 });
client.close();
if (!(status.pid > 0)) throw new Error('no pid');
`;

// The same call with Connect: message types made at run time from the .proto fields (what
// protoc-gen-es would generate), the gRPC transport over HTTP/2 on the Unix socket.
const CONNECT = (socket) => `
import { connect as netConnect } from 'node:net';
import { MethodKind, proto3 } from '@bufbuild/protobuf';
import { createPromiseClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
const GetStatusRequest = proto3.makeMessageType('palyra.v1.GetStatusRequest', []);
const s = (no, name) => ({ no, name, kind: 'scalar', T: 9 });
const u = (no, name) => ({ no, name, kind: 'scalar', T: 13 });
const DaemonStatus = proto3.makeMessageType('palyra.v1.DaemonStatus', [
  s(1, 'version'), s(2, 'grpc_address'), s(3, 'quic_address'), s(4, 'admin_socket'), s(5, 'ca_fingerprint'), s(6, 'state_dir'),
  u(7, 'nodes_online'), u(8, 'nodes_offline'), u(9, 'requests_pending'), s(10, 'started_at'), u(11, 'pid'), s(12, 'auto_approve'),
]);
const AdminService = { typeName: 'palyra.v1.AdminService', methods: { getStatus: { name: 'GetStatus', I: GetStatusRequest, O: DaemonStatus, kind: MethodKind.Unary } } };
const transport = createGrpcTransport({ baseUrl: 'http://localhost', httpVersion: '2', nodeOptions: { createConnection: () => netConnect(${JSON.stringify(socket)}) } });
const status = await createPromiseClient(AdminService, transport).getStatus({}, { timeoutMs: 5000 });
if (!(status.pid > 0)) throw new Error('no pid');
process.exit(0); // the transport keeps its HTTP/2 session open for a while: a CLI would exit like this
`;

function wall(args, env, cwd) {
  const t = nowMs();
  const r = spawnSync(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = nowMs() - t;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

export async function runCliConnect(opts = {}) {
  const runs = Number(opts.runs ?? 15);
  const connectDir = opts['connect-dir'] ?? process.env.PALYRA_BENCH_CONNECT_DIR;
  if (connectDir === undefined || !existsSync(join(connectDir, 'node_modules', '@connectrpc', 'connect-node'))) {
    throw new Error('--connect-dir must name a directory where @connectrpc/connect-node is installed (see the comment at the top)');
  }
  const base = await tempDir('cli-connect');
  const daemon = await startDaemon(`${base}/daemon`);
  const socket = join(daemon.stateDir, 'admin.sock');
  // Each script lives where its imports resolve: ours anywhere (absolute URL), Connect's in its dir.
  const oursScript = join(base, 'ours.mjs');
  const connectScript = join(connectDir, `palyra-bench-connect-${process.pid}.mjs`);
  await writeFile(oursScript, OURS(socket));
  await writeFile(connectScript, CONNECT(socket));
  const env = childEnv();
  const result = { benchmark: 'cli-connect', machine: machine(), config: { runs } };
  try {
    for (const args of [['-e', '0'], [oursScript], [connectScript]]) wall(args, env); // warm the page cache, check both work
    const bare = [];
    const ours = [];
    const connect = [];
    for (let i = 0; i < runs; i += 1) {
      // Interleaved, so load changes on the shared machine hit all three alike.
      bare.push(wall(['-e', '0'], env));
      ours.push(wall([oursScript], env));
      connect.push(wall([connectScript], env));
    }
    result.nodeBare = { what: 'node -e 0', wallMs: stats(bare) };
    result.ours = { what: 'UnaryHttp2Client: connectUnix + GetStatus', wallMs: stats(ours) };
    result.connect = { what: '@connectrpc/connect-node 1.x createGrpcTransport + GetStatus', wallMs: stats(connect) };
    result.oursOverBare = round(result.ours.wallMs.median - result.nodeBare.wallMs.median, 1);
    result.connectOverBare = round(result.connect.wallMs.median - result.nodeBare.wallMs.median, 1);
  } finally {
    await daemon.proc.stop();
    await rm(connectScript, { force: true });
  }
  await writeResult('cli-connect', result);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(JSON.stringify(await runCliConnect(parseArgs()), null, 2));
  } finally {
    await cleanupAll();
  }
}
