/**
 * The role x RPC matrix over the remote admin endpoint, generated from the permission table
 * (ADMIN_RPC_PERMISSIONS) and the roles (ROLE_PERMISSIONS): for every role and every
 * AdminService RPC, a call the role's permissions allow is admitted (it may fail for its own
 * reasons, never with FORBIDDEN), and a call they do not allow fails with PERMISSION_DENIED and
 * PALYRA_E_FORBIDDEN naming the permission. One daemon, one token per role, cheap requests.
 */
import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_RPC_PERMISSIONS, ROLE_PERMISSIONS, ROLES, type AdminMethod, type Role } from '../../daemon/src/access/permissions.js';
import { RemoteStream, remoteAdminClient, type RemoteAdmin, type RemoteError } from '../helpers/adminRemote.js';
import { DaemonProcess } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
const clients = new Map<Role, RemoteAdmin>();

const UNKNOWN_ID = '01J00000000000000000000000';

/**
 * A cheap request per RPC. Every RPC of the table must have one: a new RPC fails this test
 * until it is added here (and so covered by the matrix). RotateCa runs last (it changes the CA).
 */
const REQUESTS: Record<AdminMethod, object> = {
  GetStatus: {},
  CreatePairingCode: { method: 'pin' },
  ListPending: {},
  Decide: { id: UNKNOWN_ID, approve: false },
  ListNodes: {},
  RemoveNode: { deviceId: UNKNOWN_ID },
  RenewNodes: { deviceId: UNKNOWN_ID, all: false },
  Invoke: { deviceId: UNKNOWN_ID, capability: 'fs.read', inputJson: '{}' },
  InvokeMany: {},
  CancelDispatch: { dispatchId: UNKNOWN_ID },
  WatchApprovals: {},
  StreamEvents: {},
  ListDispatches: {},
  GetDispatch: { dispatchId: UNKNOWN_ID },
  WatchDispatch: { dispatchId: UNKNOWN_ID },
  RotateCa: {},
  GetCaStatus: {},
  FinishCaRotation: { force: false },
  WhoAmI: {},
  CreateToken: { name: 'matrix-minted', role: 'viewer', ttlSeconds: 600 },
  ListTokens: {},
  RevokeToken: { tokenId: UNKNOWN_ID },
  ListAudit: {},
  VerifyAudit: {},
  LabelNode: { node: UNKNOWN_ID, set: { env: 'matrix' }, remove: [] },
  DescribeNode: { node: UNKNOWN_ID },
};

const STREAMING = new Set<AdminMethod>(['Invoke', 'InvokeMany', 'WatchApprovals', 'StreamEvents', 'WatchDispatch']);

/** How a call came out: admitted by the access check, or the error it failed with. */
type Outcome = { admitted: true; error?: RemoteError } | { admitted: false; error: RemoteError };

async function callAs(client: RemoteAdmin, method: AdminMethod): Promise<Outcome> {
  if (!STREAMING.has(method)) {
    try {
      await client.unary(method, REQUESTS[method], 60_000);
      return { admitted: true };
    } catch (error) {
      const remote = error as RemoteError;
      return remote.code === 'PALYRA_E_FORBIDDEN' || remote.code === 'PALYRA_E_UNAUTHENTICATED' || remote.code === 'PALYRA_E_RATE_LIMITED'
        ? { admitted: false, error: remote }
        : { admitted: true, error: remote };
    }
  }
  const stream =
    method === 'InvokeMany'
      ? new RemoteStream((client.client as unknown as { InvokeMany(): grpc.ClientDuplexStream<object, object> }).InvokeMany())
      : client.serverStream(method, REQUESTS[method]);
  try {
    // The daemon sends headers right after the access check: admitted.
    await stream.admitted;
    return { admitted: true };
  } catch (error) {
    const remote = error as RemoteError;
    return remote.code === 'PALYRA_E_FORBIDDEN' ? { admitted: false, error: remote } : { admitted: true, error: remote };
  } finally {
    stream.cancel();
    await stream.ended;
  }
}

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-admin-matrix-');
  daemon = await DaemonProcess.start(join(base, 'daemon'), ['--admin-listen', '127.0.0.1:0', '--quic-listen', 'off']);
  const address = (daemon.ready as { adminTls?: string }).adminTls;
  if (address === undefined) throw new Error('the ready line has no adminTls');
  for (const role of ROLES) {
    const created = await daemon.json<{ token: string }>('tokens', 'create', '--name', `matrix-${role}`, '--role', role, '--ttl', '1h');
    clients.set(role, await remoteAdminClient(address, daemon.stateDir, created.token));
  }
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  for (const client of clients.values()) client.close();
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('the role x RPC matrix over the remote admin endpoint', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('every RPC of the permission table has a request here (new RPCs join the matrix)', () => {
    expect(Object.keys(REQUESTS).sort()).toEqual(Object.keys(ADMIN_RPC_PERMISSIONS).sort());
  });

  it('allowed calls are admitted; refused ones are PERMISSION_DENIED with PALYRA_E_FORBIDDEN naming the permission', async () => {
    // RotateCa last: it swaps the CA that may later issue the server certificate.
    const methods = (Object.keys(ADMIN_RPC_PERMISSIONS) as AdminMethod[]).sort((a, b) => Number(a === 'RotateCa') - Number(b === 'RotateCa'));
    const rows: string[] = [];
    for (const method of methods) {
      const needed = ADMIN_RPC_PERMISSIONS[method];
      // Roles in parallel: one round trip per RPC.
      const outcomes = await Promise.all(
        ROLES.map(async (role) => {
          const client = clients.get(role);
          if (client === undefined) throw new Error(`no client for ${role}`);
          return [role, await callAs(client, method)] as const;
        }),
      );
      for (const [role, outcome] of outcomes) {
        const allowed = needed === null || ROLE_PERMISSIONS[role].has(needed);
        const label = `${role} ${method} (${needed ?? 'any caller'})`;
        if (allowed) {
          expect(outcome.admitted, `${label}: ${outcome.error?.code ?? ''} ${outcome.error?.message ?? ''}`).toBe(true);
        } else {
          expect(outcome.admitted, `${label} must be refused`).toBe(false);
          expect(outcome.error?.code, label).toBe('PALYRA_E_FORBIDDEN');
          expect(outcome.error?.grpcCode, label).toBe(grpc.status.PERMISSION_DENIED);
          expect(outcome.error?.details?.permission, label).toBe(needed);
          expect(outcome.error?.message, label).toContain(String(needed));
        }
        rows.push(`${label}: ${allowed ? 'allowed' : 'refused'}`);
      }
    }
    expect(rows).toHaveLength(ROLES.length * methods.length);
  });
});
