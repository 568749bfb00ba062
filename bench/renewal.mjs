// bench/renewal: daemon CPU per certificate renewal (RenewCertificate, issue 15), beside two
// baselines measured in the same run: the raw CA signature of a node CSR (CertificateAuthority
// .signNodeCsr in this process, what any issuance costs at least) and a full QR pairing on the
// same daemon (handshake + issuance). Then the projected load of a fleet: N nodes on 24 h
// certificates renew at two thirds of the lifetime, i.e. N / 16 h renewals per second.
//
// One renewal, as the agent runs it: a RenewCertificate stream on the connection of its current
// certificate (start -> challenge -> proof with a new CSR and an Ed25519 signature -> issued),
// then the switch: a new TLS connection with the new certificate and RegisterNode, which
// confirms it (the previous certificate goes on the deny list). Both phases are measured apart.
// The node's new RSA keys and CSRs are made before the measured loop (node-side cost).
// The daemon's CPU time (utime+stime, all threads) is read from /proc around each phase.
// Flags: --renewals N (default 60), --fleet N (default 10000), --lifetime-hours H (default 24),
// --pairings N (baseline, default 5), --store sqlite|postgres.
import { pathToFileURL } from 'node:url';
import { cleanupAll, machine, nowMs, pairInProcess, parseArgs, pkgs, procCpuMs, round, startDaemon, stats, storeArgs, tempDir, writeResult, ROOT } from './lib.mjs';

const DAEMON_CREDENTIALS = new URL('../agent/dist/connection/daemonCredentials.js', import.meta.url);
const CLIENT_OPTIONS = new URL('../agent/dist/connection/clientOptions.js', import.meta.url);
const caModule = () => import(`${ROOT}daemon/dist/ca/index.js`);

export async function runRenewal(opts = {}) {
  const n = Number(opts.renewals ?? 60);
  const fleet = Number(opts.fleet ?? 10_000);
  const lifetimeHours = Number(opts['lifetime-hours'] ?? 24);
  const pairings = Number(opts.pairings ?? 5);
  const out = { benchmark: 'renewal', machine: machine(), config: { renewals: n, fleet, lifetimeHours, baselinePairings: pairings, store: opts.store ?? 'sqlite' } };

  const { ControlClient } = await pkgs();
  const { loadPalyraProto } = await import('@palyra/proto');
  const { createDaemonCredentials } = await import(DAEMON_CREDENTIALS);
  const { CLIENT_CHANNEL_OPTIONS } = await import(CLIENT_OPTIONS);
  const { createCsr, derToPem, fingerprint, generateTlsKeyPair, pemToDer } = await import('@palyra/shared/x509');
  const { signRenewal } = await import('@palyra/shared/renewal');
  const { NodeService } = loadPalyraProto();

  const base = await tempDir('renewal');
  const daemon = await startDaemon(`${base}/daemon`, [...(await storeArgs(opts))]);
  const control = await ControlClient.connect(daemon.stateDir);
  const channels = [];
  const client = (identity) => {
    const c = new NodeService(identity.daemonAddress, createDaemonCredentials(identity), CLIENT_CHANNEL_OPTIONS);
    channels.push(c);
    return c;
  };
  try {
    // Baseline 1: pairings on this daemon (QR: no scrypt mint), CPU per pairing.
    await pairInProcess(control, daemon.ready.grpc, 'warmup', 'qr');
    const pairingCpu = [];
    for (let i = 0; i < pairings; i += 1) {
      const before = procCpuMs(daemon.pid);
      await pairInProcess(control, daemon.ready.grpc, `pair-${i}`, 'qr');
      pairingCpu.push(procCpuMs(daemon.pid) - before);
    }

    // The daemon allows each node a burst of renewals (DEFAULT_RENEWAL_RATE: 6 back to back):
    // the renewals are spread over enough nodes, each renewing at most PER_NODE times.
    const PER_NODE = 5;
    const nodeCount = Math.ceil((n + 1) / PER_NODE);
    const renewing = [];
    for (let j = 0; j < nodeCount; j += 1) renewing.push({ identity: await pairInProcess(control, daemon.ready.grpc, `renewing-node-${j}`, 'qr') });
    const seedOf = (identity) => Buffer.from(identity.ed25519PrivateKey, 'base64');
    // Node-side work, done up front: a new TLS key and CSR per renewal (renewal i by node i % nodeCount).
    const keys = [];
    for (let i = 0; i < n + 1; i += 1) {
      const pair = await generateTlsKeyPair();
      const owner = renewing[i % nodeCount].identity;
      keys.push({ keyPem: pair.privateKeyPem, csrDer: createCsr({ deviceId: owner.deviceId, privateKeyPem: pair.privateKeyPem }) });
    }

    /** One RenewCertificate stream on `nodeClient`; resolves with the issued message. */
    const renewStream = (nodeClient, current, key) =>
      new Promise((resolve, reject) => {
        const call = nodeClient.RenewCertificate();
        call.on('error', reject);
        call.on('data', (message) => {
          if (message.challenge) {
            const currentCertFingerprint = fingerprint(pemToDer(current.certPem, 'CERTIFICATE'));
            const signature = signRenewal({ nonce: message.challenge.nonce, deviceId: current.deviceId, csrDer: key.csrDer, currentCertFingerprint }, seedOf(current));
            call.write({ proof: { csrDer: key.csrDer, currentCertFingerprint, signature: Buffer.from(signature) } });
          } else if (message.issued) {
            call.end();
            resolve(message.issued);
          }
        });
        call.write({ start: { deviceId: current.deviceId } });
      });
    const register = (nodeClient, deviceId) =>
      new Promise((resolve, reject) =>
        nodeClient.RegisterNode({ deviceId, name: 'renewing-node', platform: process.platform, hostname: 'bench', agentVersion: 'bench', capabilities: [] }, (error) => (error ? reject(error) : resolve())),
      );

    for (const node of renewing) {
      node.client = client(node.identity);
      await register(node.client, node.identity.deviceId);
    }
    // Warm-up renewal (JIT, first use of each path), by the node that renews the fewest times.
    {
      const node = renewing[n % nodeCount];
      const issued = await renewStream(node.client, node.identity, keys[n]);
      node.identity = { ...node.identity, certPem: derToPem(issued.certDer, 'CERTIFICATE'), tlsPrivateKeyPem: keys[n].keyPem };
      node.client = client(node.identity);
      await register(node.client, node.identity.deviceId);
    }
    const idle0 = procCpuMs(daemon.pid);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idleCpuPerMs = (procCpuMs(daemon.pid) - idle0) / 1000;

    let streamCpu = 0;
    let switchCpu = 0;
    let idleWall = 0;
    const wall = [];
    for (let i = 0; i < n; i += 1) {
      const t0 = nowMs();
      const c0 = procCpuMs(daemon.pid);
      const node = renewing[i % nodeCount];
      const issued = await renewStream(node.client, node.identity, keys[i]);
      const c1 = procCpuMs(daemon.pid);
      streamCpu += c1 - c0;
      node.identity = { ...node.identity, certPem: derToPem(issued.certDer, 'CERTIFICATE'), tlsPrivateKeyPem: keys[i].keyPem };
      const next = client(node.identity);
      await register(next, node.identity.deviceId);
      switchCpu += procCpuMs(daemon.pid) - c1;
      node.client.close();
      node.client = next;
      const elapsed = nowMs() - t0;
      idleWall += elapsed;
      wall.push(elapsed);
    }
    const idleShare = idleCpuPerMs * idleWall;
    const renewalCpuMs = Math.max(0, streamCpu + switchCpu - idleShare) / n;
    const nodes = await control.listNodes();
    const finalCertMatches = renewing.every(({ identity }) => nodes.find((node) => node.deviceId === identity.deviceId)?.certFingerprint === fingerprint(pemToDer(identity.certPem, 'CERTIFICATE')));

    // Baseline 2: the raw CA signature, in this process, of the same kind of CSR.
    const { CertificateAuthority } = await caModule();
    const ca = await CertificateAuthority.loadOrCreate({ stateDir: await tempDir('renewal-ca') });
    await ca.signNodeCsr({ csrDer: keys[0].csrDer, deviceId: renewing[0].identity.deviceId });
    const self0 = process.cpuUsage();
    for (let i = 0; i < n; i += 1) await ca.signNodeCsr({ csrDer: keys[i].csrDer, deviceId: renewing[i % nodeCount].identity.deviceId });
    const self = process.cpuUsage(self0);
    const rawSignMs = (self.user + self.system) / 1000 / n;

    const renewalsPerSecond = fleet / (lifetimeHours * 3600 * (2 / 3));
    out.renewal = {
      renewals: n,
      nodes: nodeCount,
      finalCertMatches,
      wallMs: stats(wall),
      daemonCpuMsPerRenewal: {
        total: round(renewalCpuMs, 2),
        renewStream: round(Math.max(0, streamCpu - idleCpuPerMs * idleWall * (streamCpu / Math.max(1, streamCpu + switchCpu))) / n, 2),
        switchAndConfirm: round(Math.max(0, switchCpu - idleCpuPerMs * idleWall * (switchCpu / Math.max(1, streamCpu + switchCpu))) / n, 2),
      },
      daemonIdleCpuMsPerSecond: round(idleCpuPerMs * 1000, 1),
    };
    out.baselines = {
      rawCaSignatureCpuMs: round(rawSignMs, 2),
      qrPairingDaemonCpuMs: stats(pairingCpu),
    };
    out.fleetProjection = {
      nodes: fleet,
      certLifetimeHours: lifetimeHours,
      renewalsPerSecond: round(renewalsPerSecond, 4),
      daemonCpuFraction: round((renewalsPerSecond * renewalCpuMs) / 1000, 5),
      daemonCpuPercentOfOneCore: round((renewalsPerSecond * renewalCpuMs) / 10, 3),
      how: `renewals/s = nodes / (lifetime x 2/3) (the agent renews at two thirds of the lifetime, jittered); CPU fraction = renewals/s x daemon CPU ms per renewal / 1000`,
    };
    out.measuredHow =
      'daemon = separate palyrad process (SQLite unless --store postgres); CPU from /proc/<pid>/task/*/stat (10 ms ticks) read around each phase, summed over N renewals and divided by N, idle CPU (measured over 1 s) subtracted. renewStream = the RenewCertificate stream on the connection of the current certificate (checks, Ed25519 verify, CSR checks, CA signature, one registry transaction); switchAndConfirm = a new TLS connection with the new certificate and RegisterNode (which deny-lists the previous certificate: one more transaction). The raw CA signature baseline runs in this process (process.cpuUsage); the pairing baseline is a QR pairing on the same daemon (approved through the admin socket), daemon CPU per pairing.';
    await writeResult(`renewal${opts.store === 'postgres' ? '-postgres' : ''}`, out);
    return out;
  } finally {
    for (const c of channels) c.close();
    control.close();
    await daemon.proc.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(JSON.stringify(await runRenewal(parseArgs()), null, 2));
  } finally {
    await cleanupAll();
  }
}
