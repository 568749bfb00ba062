// A scale worker: pairs its share of simulated nodes (QR codes, approved at once through the
// ControlClient), then on "connect" runs a NodeAgent per node in this process: each its own
// mTLS gRPC connection and Session stream, plugins = the noop fixture only.
import { join } from 'node:path';
import { pairInProcess, pkgs, writeNoopConfig } from './lib.mjs';

const { stateDir, grpc, count, index, dir } = JSON.parse(process.argv[2]);
const { ControlClient, NodeAgent } = await pkgs();
const send = (m) => process.send?.(m);

const client = await ControlClient.connect(stateDir);
const identities = [];
for (let i = 0; i < count; i += 1) {
  identities.push(await pairInProcess(client, grpc, `sim-${index}-${i}`, 'qr'));
  send({ type: 'paired', deviceId: identities.at(-1).deviceId });
}
client.close();
const config = await writeNoopConfig(dir);
send({ type: 'paired-all' });

const agents = [];
process.on('message', async (m) => {
  if (m.type !== 'connect') return;
  for (const identity of identities) {
    const store = { backend: 'bench (memory)', load: async () => identity, save: async () => {}, remove: async () => false };
    const agent = await NodeAgent.create({
      store,
      configPath: config,
      transportFallback: 'always',
      onReady: () => send({ type: 'ready', deviceId: identity.deviceId }),
    });
    agents.push(agent);
    agent.run().catch((e) => send({ type: 'agent-error', message: String(e?.message ?? e) }));
  }
  send({ type: 'started' });
});
process.on('disconnect', () => {
  for (const a of agents) a.stop();
  setTimeout(() => process.exit(0), 500).unref();
});
export { join };
