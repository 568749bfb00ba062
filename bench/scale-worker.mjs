// A bench/scale worker process: issues its share of node identities with the daemon's CA
// (before the daemon starts), then on request connects them all as light nodes, to the daemon
// or to the raw baseline server, each with its own mTLS connection. Talks to bench/scale.mjs
// over IPC: sends records, 'seeded', 'progress', 'connected', 'closed'.
import { connectLightNode, connectRawNode } from './scale-node.mjs';
import { issueNodes } from './scale-seed.mjs';

const { stateDir, count, index, keyPool } = JSON.parse(process.argv[2]);
const send = (m) => process.send?.(m);
const RECORDS_PER_MESSAGE = 500;

const { identities, records } = await issueNodes({ stateDir, count, namePrefix: `sim-${index}`, keyPool });
for (let i = 0; i < records.length; i += RECORDS_PER_MESSAGE) send({ type: 'records', records: records.slice(i, i + RECORDS_PER_MESSAGE) });
send({ type: 'seeded', count: records.length });

let open = [];
let lost = 0;

/** Connects every identity, at most `concurrency` connection attempts in flight. */
async function connectAll({ address, kind, concurrency }) {
  const connect = kind === 'raw' ? connectRawNode : connectLightNode;
  let next = 0;
  let ready = 0;
  let failed = 0;
  let firstError;
  const progress = setInterval(() => send({ type: 'progress', ready }), 250);
  await Promise.all(
    Array.from({ length: Math.min(concurrency, identities.length) }, async () => {
      while (next < identities.length) {
        const identity = identities[next];
        next += 1;
        const node = connect(identity, address, { onLost: () => (lost += 1) });
        open.push(node);
        try {
          await node.ready;
          ready += 1;
        } catch (error) {
          failed += 1;
          firstError ??= String(error?.message ?? error).slice(0, 300);
        }
      }
    }),
  );
  clearInterval(progress);
  send({ type: 'connected', ready, failed, ...(firstError ? { firstError } : {}) });
}

process.on('message', (m) => {
  if (m.type === 'connect') {
    lost = 0;
    connectAll(m).catch((error) => send({ type: 'connected', ready: 0, failed: identities.length, firstError: String(error) }));
  } else if (m.type === 'close') {
    for (const node of open) node.close();
    open = [];
    send({ type: 'closed', lost });
  }
});
process.on('disconnect', () => {
  for (const node of open) node.close();
  setTimeout(() => process.exit(0), 300).unref();
});
