// A bench/scale worker process: issues its share of node identities with the daemon's CA
// (before the daemon starts), then on request connects them all as light nodes, to the daemon
// or to the raw baseline server, each with its own mTLS connection. Talks to bench/scale.mjs
// over IPC: sends records, 'seeded', 'connected', 'lost', 'closed'.
import { connectLightNode, connectRawNode } from './scale-node.mjs';
import { issueNodes } from './scale-seed.mjs';

const send = (m) => process.send?.(m);
const RECORDS_PER_MESSAGE = 500;

// The seed order comes over IPC, not argv: it carries private keys.
const { stateDir, count, index, keyPool } = await new Promise((resolve) => process.once('message', resolve));
const { identities, records } = await issueNodes({ stateDir, count, namePrefix: `sim-${index}`, keyPool });
for (let i = 0; i < records.length; i += RECORDS_PER_MESSAGE) send({ type: 'records', records: records.slice(i, i + RECORDS_PER_MESSAGE) });
send({ type: 'seeded', count: records.length });

/** The live connection of each node (by device id) while connected. */
const open = new Map();
let closing = false;
let lost = 0;
let firstLost;

/**
 * Connects one node; like the agent, a node whose session is lost later (a keepalive timeout
 * when this loaded machine stalls a process, a daemon restart) connects again after 1-2 s.
 */
function connectNode(connect, identity, address) {
  const node = connect(identity, address, {
    onLost: (error) => {
      lost += 1;
      firstLost ??= String(error?.message ?? error).slice(0, 300);
      node.close();
      if (closing) return;
      setTimeout(() => {
        if (!closing) connectNode(connect, identity, address).ready.catch(() => {});
      }, 1000 + Math.random() * 1000).unref();
    },
  });
  open.set(identity.deviceId, node);
  return node;
}

/** Connects every identity, at most `concurrency` connection attempts in flight. */
async function connectAll({ address, kind, concurrency }) {
  const connect = kind === 'raw' ? connectRawNode : connectLightNode;
  closing = false;
  lost = 0;
  firstLost = undefined;
  let next = 0;
  let ready = 0;
  let failed = 0;
  let firstError;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, identities.length) }, async () => {
      while (next < identities.length) {
        const identity = identities[next];
        next += 1;
        try {
          await connectNode(connect, identity, address).ready;
          ready += 1;
        } catch (error) {
          failed += 1;
          firstError ??= String(error?.message ?? error).slice(0, 300);
        }
      }
    }),
  );
  send({ type: 'connected', ready, failed, ...(firstError ? { firstError } : {}) });
}

function closeAll() {
  closing = true;
  for (const node of open.values()) node.close();
  open.clear();
}

process.on('message', (m) => {
  if (m.type === 'connect') {
    connectAll(m).catch((error) => send({ type: 'connected', ready: 0, failed: identities.length, firstError: String(error) }));
  } else if (m.type === 'lost') {
    send({ type: 'lost', lost, ...(firstLost ? { firstLost } : {}) });
  } else if (m.type === 'close') {
    closeAll();
    send({ type: 'closed', lost, ...(firstLost ? { firstLost } : {}) });
  }
});
process.on('disconnect', () => {
  closeAll();
  setTimeout(() => process.exit(0), 300).unref();
});
