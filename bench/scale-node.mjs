// A light simulated node for bench/scale: what a NodeAgent does on the wire and nothing else.
// It uses the agent's own pieces from dist (mTLS credentials that accept only the daemon's
// certificate, the channel options with keepalive, RunningDispatches that answer a dispatch
// with `started` then `result`): RegisterNode announcing bench.noop, then one Session stream
// (hello, welcome). No config, plugin host, schema compilation, QUIC or health pings.
import * as grpc from '@grpc/grpc-js';
import { loadPalyraProto } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { ROOT } from './lib.mjs';
import { NOOP_CAPABILITY, SIM_NODE_INFO } from './scale-seed.mjs';

const AGENT_DIST = `${ROOT}agent/dist`;
const { createDaemonCredentials } = await import(`${AGENT_DIST}/connection/daemonCredentials.js`);
const { CLIENT_CHANNEL_OPTIONS } = await import(`${AGENT_DIST}/connection/clientOptions.js`);
const { RunningDispatches } = await import(`${AGENT_DIST}/connection/RunningDispatches.js`);

/**
 * Every node its own channel, its own TCP+TLS connection: grpc-js already keeps channels with
 * different credentials apart (secure credentials compare their SecureContext), and a local
 * subchannel pool per channel makes that explicit.
 */
export const SIM_CHANNEL_OPTIONS = { ...CLIENT_CHANNEL_OPTIONS, 'grpc.use_local_subchannel_pool': 1 };

/** bench.noop, executed the way the plugin host reports a capability that returned {}. */
const NOOP_EXECUTOR = {
  capabilities: () => [],
  execute: async (request) =>
    request.capability === NOOP_CAPABILITY.id
      ? { status: 'succeeded', output: {} }
      : { status: 'rejected', error: new PalyraError('PALYRA_E_CAPABILITY_NOT_FOUND', `unknown capability ${request.capability}`) },
};

/**
 * Connects one node: resolves once the daemon welcomed its Session stream; rejects on any
 * error before that. `onLost(error)` is called if the stream ends later. Returns close().
 */
export function connectLightNode(identity, address, { onLost, signal } = {}) {
  const { NodeService } = loadPalyraProto();
  const client = new NodeService(address, createDaemonCredentials(identity), SIM_CHANNEL_OPTIONS);
  let call;
  const close = () => {
    call?.cancel();
    client.close();
  };
  const ready = new Promise((resolve, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    client.RegisterNode(
      {
        deviceId: identity.deviceId,
        name: identity.name,
        ...SIM_NODE_INFO,
        capabilities: [NOOP_CAPABILITY],
      },
      { deadline: Date.now() + 60_000 },
      (error) => {
        if (error) return reject(error);
        call = client.Session();
        const send = (message) => {
          if (!call.writableEnded && !call.destroyed) call.write(message);
        };
        // The agent's RunningDispatches (issue 14) with an outbox that only sends: a simulated
        // node keeps no result on disk (the daemon's ResultAck is ignored).
        const outbox = { has: () => false, add: (result) => send({ result }) };
        const dispatches = new RunningDispatches(NOOP_EXECUTOR, outbox);
        dispatches.attach(send);
        let welcomed = false;
        call.on('data', (message) => {
          if (message.body === 'welcome') {
            welcomed = true;
            resolve();
          } else if (message.body === 'dispatch' && message.dispatch) dispatches.start(message.dispatch);
          else if (message.body === 'cancel' && message.cancel) dispatches.cancel(message.cancel.dispatchId);
        });
        const end = (err) => {
          dispatches.detach(send);
          void dispatches.stop();
          if (welcomed) onLost?.(err);
          else reject(err);
        };
        call.on('error', end);
        call.on('end', () => end(new Error('the daemon closed the session')));
        call.write({ hello: { deviceId: identity.deviceId } });
      },
    );
  });
  return { ready, close };
}

const identity = (b) => b;
/** The raw baseline's one method: a bidi stream of opaque bytes (see scale-baseline-server.mjs). */
export const RAW_SERVICE = {
  Hold: { path: '/bench.Raw/Hold', requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};
const RawClient = grpc.makeGenericClientConstructor(RAW_SERVICE, 'Raw');
const HELLO = Buffer.from('hello');

/**
 * The raw baseline's node: the same credentials and channel options, one bidi stream that
 * sends one message and is ready when the server echoes it, then echoes whatever the server
 * sends (the fan-out floor). No RegisterNode, no protobuf.
 */
export function connectRawNode(identity, address, { onLost, signal } = {}) {
  const client = new RawClient(address, createDaemonCredentials(identity), SIM_CHANNEL_OPTIONS);
  const call = client.Hold();
  const close = () => {
    call.cancel();
    client.close();
  };
  const ready = new Promise((resolve, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    let echoed = false;
    call.on('data', (message) => {
      // After the first (the ready echo), every message is a fan-out message: echo it back.
      if (echoed) call.write(message);
      echoed = true;
      resolve();
    });
    const end = (err) => (echoed ? onLost?.(err) : reject(err));
    call.on('error', end);
    call.on('end', () => end(new Error('the server closed the stream')));
    call.write(HELLO);
  });
  return { ready, close };
}
