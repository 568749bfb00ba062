import type { AdminServiceHandlers } from '@palyra/proto';

/**
 * What a caller may do on the daemon, one name per kind of action. Roles are sets of these; a
 * token may narrow its role to fewer. The names are part of the contract: docs/security.md
 * lists them (a test keeps it in step) and PALYRA_E_FORBIDDEN names the one missing.
 */
export const PERMISSIONS = [
  'status.read',
  'nodes.read',
  'nodes.label',
  'nodes.remove',
  'nodes.renew',
  'pairing.create',
  'requests.read',
  'requests.decide',
  'dispatch.invoke',
  'dispatch.read',
  'dispatch.cancel',
  'events.read',
  'ca.read',
  'ca.rotate',
  'tokens.create',
  'tokens.read',
  'tokens.revoke',
  'audit.read',
  'compat.tools.list',
  'compat.tools.call',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['owner', 'admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const VIEWER: readonly Permission[] = ['status.read', 'nodes.read', 'requests.read', 'dispatch.read', 'events.read', 'ca.read', 'compat.tools.list'];
const OPERATOR: readonly Permission[] = [...VIEWER, 'dispatch.invoke', 'dispatch.cancel', 'compat.tools.call'];
const ADMIN: readonly Permission[] = [...OPERATOR, 'pairing.create', 'requests.decide', 'nodes.label', 'nodes.remove', 'nodes.renew', 'audit.read'];

/**
 * The built-in roles, from most to least powerful: `owner` may do everything (tokens and CA
 * operations included); `admin` runs the fleet (pairing, approvals, removal, renewal, invoke,
 * the audit log); `operator` invokes and reads; `viewer` only reads. The `compat.tools.*`
 * permissions gate the tools layer for AI agents (MCP, the OpenAI-compatible endpoints): a
 * tool call is a dispatch, so it needs `dispatch.invoke` (and the token's scopes) as well.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  owner: new Set(PERMISSIONS),
  admin: new Set(ADMIN),
  operator: new Set(OPERATOR),
  viewer: new Set(VIEWER),
};

export type AdminMethod = keyof AdminServiceHandlers;

/**
 * The permission each AdminService RPC needs: the one table the access gate enforces and the
 * tests and docs/security.md are checked against. `null`: any authenticated caller (WhoAmI).
 * Invoke and InvokeMany are further narrowed per dispatch by the token's capability scopes and
 * node selector; reads of nodes and dispatches by its node selector.
 */
export const ADMIN_RPC_PERMISSIONS: Readonly<Record<AdminMethod, Permission | null>> = {
  GetStatus: 'status.read',
  CreatePairingCode: 'pairing.create',
  ListPending: 'requests.read',
  Decide: 'requests.decide',
  ListNodes: 'nodes.read',
  RemoveNode: 'nodes.remove',
  RenewNodes: 'nodes.renew',
  Invoke: 'dispatch.invoke',
  InvokeMany: 'dispatch.invoke',
  CancelDispatch: 'dispatch.cancel',
  WatchApprovals: 'requests.read',
  StreamEvents: 'events.read',
  ListDispatches: 'dispatch.read',
  GetDispatch: 'dispatch.read',
  WatchDispatch: 'dispatch.read',
  RotateCa: 'ca.rotate',
  GetCaStatus: 'ca.read',
  FinishCaRotation: 'ca.rotate',
  WhoAmI: null,
  CreateToken: 'tokens.create',
  ListTokens: 'tokens.read',
  RevokeToken: 'tokens.revoke',
  ListAudit: 'audit.read',
  VerifyAudit: 'audit.read',
  LabelNode: 'nodes.label',
  DescribeNode: 'nodes.read',
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}
