/**
 * Every error code the project can emit. Codes are stable and never reused: a retired code
 * stays here with `retired: true`. docs/errors.md lists each one (a test keeps it complete).
 */
export const ERROR_CODES = {
  PALYRA_E_INTERNAL: { exitCode: 1, grpc: 'INTERNAL', summary: 'An unexpected internal error.' },
  PALYRA_E_USAGE: { exitCode: 64, grpc: 'INVALID_ARGUMENT', summary: 'The command line was not valid.' },
  PALYRA_E_INVALID_ARGUMENT: { exitCode: 65, grpc: 'INVALID_ARGUMENT', summary: 'A request or input value was malformed.' },
  PALYRA_E_DAEMON_UNREACHABLE: { exitCode: 69, grpc: 'UNAVAILABLE', summary: 'No daemon answers on the admin socket or address.' },
  PALYRA_E_ADMIN_ACCESS_DENIED: { exitCode: 77, grpc: 'PERMISSION_DENIED', summary: "The file system keeps this user off the daemon's admin socket (another user's state dir)." },
  PALYRA_E_STATE_CORRUPT: { exitCode: 78, grpc: 'INTERNAL', summary: 'A state file could not be parsed or failed validation.' },
  PALYRA_E_STATE_VERSION: { exitCode: 78, grpc: 'INTERNAL', summary: 'A state file has a version this build does not understand.' },
  PALYRA_E_STATE_IO: { exitCode: 74, grpc: 'INTERNAL', summary: 'A state file could not be read or written.' },
  PALYRA_E_STATE_PERMISSIONS: { exitCode: 77, grpc: 'INTERNAL', summary: 'A state directory or file is open to others, belongs to another user, or is reached through a directory or link another user controls.' },
  PALYRA_E_CA_INVALID: { exitCode: 78, grpc: 'INTERNAL', summary: 'The CA or server key material on disk is missing or does not match.' },
  PALYRA_E_LISTEN_FAILED: { exitCode: 71, grpc: 'INTERNAL', summary: 'A listener could not bind its address.' },
  PALYRA_E_DAEMON_RUNNING: { exitCode: 75, grpc: 'FAILED_PRECONDITION', summary: 'Another daemon already uses this state directory.' },
  PALYRA_E_PAIRING_NO_CODE: { exitCode: 66, grpc: 'FAILED_PRECONDITION', summary: 'No pairing code is active on the daemon.' },
  PALYRA_E_PAIRING_FAILED: { exitCode: 66, grpc: 'PERMISSION_DENIED', summary: 'Pairing confirmation failed: wrong PIN or tampered exchange.' },
  PALYRA_E_PAIRING_CODE_EXPIRED: { exitCode: 66, grpc: 'FAILED_PRECONDITION', summary: 'The pairing code expired.' },
  PALYRA_E_PAIRING_CODE_BURNED: { exitCode: 66, grpc: 'FAILED_PRECONDITION', summary: 'The pairing code was burned after too many failed attempts.' },
  PALYRA_E_PAIRING_CODE_USED: { exitCode: 66, grpc: 'FAILED_PRECONDITION', summary: 'The pairing code was already used.' },
  PALYRA_E_PAIRING_PROTOCOL: { exitCode: 66, grpc: 'INVALID_ARGUMENT', summary: 'The peer broke the pairing protocol (bad message or order).' },
  PALYRA_E_PAIRING_REJECTED: { exitCode: 67, grpc: 'PERMISSION_DENIED', summary: 'An operator rejected the pairing request.' },
  PALYRA_E_PAIRING_EXPIRED: { exitCode: 67, grpc: 'DEADLINE_EXCEEDED', summary: 'The pairing request expired before an operator decided.' },
  PALYRA_E_REQUEST_NOT_FOUND: { exitCode: 68, grpc: 'NOT_FOUND', summary: 'No pending pairing request matches.' },
  PALYRA_E_IDENTITY_CHANGE: { exitCode: 77, grpc: 'FAILED_PRECONDITION', summary: 'The pairing request claims the device id of a registered node under another identity key: approve it only with --replace-identity.' },
  PALYRA_E_NODE_NOT_FOUND: { exitCode: 68, grpc: 'NOT_FOUND', summary: 'No registered node matches.' },
  PALYRA_E_UNAUTHENTICATED: { exitCode: 77, grpc: 'UNAUTHENTICATED', summary: 'The peer presented no valid client certificate.' },
  PALYRA_E_PERMISSION_DENIED: { exitCode: 77, grpc: 'PERMISSION_DENIED', summary: 'The certificate does not match the device, or was revoked.' },
  PALYRA_E_CERT_INVALID: { exitCode: 65, grpc: 'INVALID_ARGUMENT', summary: 'A certificate or CSR failed validation.' },
  PALYRA_E_NOT_JOINED: { exitCode: 78, grpc: 'FAILED_PRECONDITION', summary: 'This node has no identity yet: run palyra-node join.' },
  PALYRA_E_ALREADY_JOINED: { exitCode: 75, grpc: 'ALREADY_EXISTS', summary: 'This node already has an identity: run palyra-node leave first.' },
  PALYRA_E_IDENTITY_CORRUPT: { exitCode: 78, grpc: 'INTERNAL', summary: 'The stored node identity could not be read.' },
  PALYRA_E_SERVER_IDENTITY: { exitCode: 77, grpc: 'UNAUTHENTICATED', summary: 'The daemon presented a certificate this node or operator client does not trust (for a remote operator: its CA is not the pinned fingerprint; both are named).' },
  PALYRA_E_CANCELLED: { exitCode: 130, grpc: 'CANCELLED', summary: 'The operation was cancelled.' },
  PALYRA_E_TIMEOUT: { exitCode: 124, grpc: 'DEADLINE_EXCEEDED', summary: 'The operation did not finish in time.' },
  PALYRA_E_CONFIG_INVALID: { exitCode: 78, grpc: 'FAILED_PRECONDITION', summary: 'A configuration file or value is invalid.' },
  PALYRA_E_PLUGIN_INVALID: { exitCode: 78, grpc: 'FAILED_PRECONDITION', summary: 'A plugin manifest failed validation.' },
  PALYRA_E_PLUGIN_LOAD_FAILED: { exitCode: 78, grpc: 'FAILED_PRECONDITION', summary: 'A plugin listed in the config could not be imported.' },
  PALYRA_E_PLUGIN_DUPLICATE: { exitCode: 78, grpc: 'ALREADY_EXISTS', summary: 'Two plugins declare the same plugin name or capability id.' },
  PALYRA_E_PLUGIN_SETUP_FAILED: { exitCode: 78, grpc: 'FAILED_PRECONDITION', summary: 'A plugin setup threw or did not finish in time.' },
  PALYRA_E_PLUGIN_FAILED: { exitCode: 1, grpc: 'INTERNAL', summary: 'A capability threw while executing.' },
  PALYRA_E_CAPABILITY_NOT_FOUND: { exitCode: 68, grpc: 'NOT_FOUND', summary: 'The node has no such capability.' },
  PALYRA_E_CAPABILITY_DENIED: { exitCode: 77, grpc: 'PERMISSION_DENIED', summary: 'The node config does not grant what the request needs.' },
  PALYRA_E_INPUT_INVALID: { exitCode: 65, grpc: 'INVALID_ARGUMENT', summary: 'Capability input is not valid JSON or fails its schema.' },
  PALYRA_E_OUTPUT_INVALID: { exitCode: 1, grpc: 'INTERNAL', summary: 'A capability returned output that fails its schema.' },
  PALYRA_E_LIMIT_EXCEEDED: { exitCode: 1, grpc: 'RESOURCE_EXHAUSTED', summary: 'A size or count limit was exceeded.' },
  PALYRA_E_QUEUE_FULL: { exitCode: 75, grpc: 'RESOURCE_EXHAUSTED', summary: 'The node dispatch queue is full; retry later.' },
  PALYRA_E_NODE_UNAVAILABLE: { exitCode: 69, grpc: 'UNAVAILABLE', summary: 'The node is offline or disconnected during the dispatch.' },
  PALYRA_E_DISPATCH_NOT_FOUND: { exitCode: 68, grpc: 'NOT_FOUND', summary: 'No dispatch has this id.' },
  PALYRA_E_FS_NOT_FOUND: { exitCode: 66, grpc: 'NOT_FOUND', summary: 'A file or directory does not exist.' },
  PALYRA_E_FS_IO: { exitCode: 74, grpc: 'INTERNAL', summary: 'A file system operation failed.' },
  PALYRA_E_EXEC_FAILED: { exitCode: 1, grpc: 'FAILED_PRECONDITION', summary: 'A command could not be started.' },
  PALYRA_E_VAULT_UNAVAILABLE: { exitCode: 69, grpc: 'UNAVAILABLE', summary: 'No usable vault: no OS vault (no D-Bus session, no secret service, locked, or no answer in time) and no fallback allowed.' },
  PALYRA_E_VAULT_CORRUPT: { exitCode: 78, grpc: 'INTERNAL', summary: 'The encrypted vault file is truncated, altered or not a vault file; nothing was changed.' },
  PALYRA_E_VAULT_KEY_REJECTED: { exitCode: 77, grpc: 'PERMISSION_DENIED', summary: 'The passphrase or key file does not open the encrypted vault; nothing was changed.' },
  PALYRA_E_VAULT_KEY_MISSING: { exitCode: 78, grpc: 'FAILED_PRECONDITION', summary: 'The OS vault or the key file no longer holds the data key of the encrypted vault file.' },
  PALYRA_E_VAULT_MISMATCH: { exitCode: 78, grpc: 'FAILED_PRECONDITION', summary: 'The vault belongs to another backend, device or daemon than the one requested.' },
  PALYRA_E_VAULT_PASSPHRASE_REQUIRED: { exitCode: 77, grpc: 'FAILED_PRECONDITION', summary: 'The encrypted vault needs a passphrase: set PALYRA_VAULT_PASSPHRASE or run in a terminal.' },
  PALYRA_E_VAULT_SECRET_NOT_FOUND: { exitCode: 68, grpc: 'NOT_FOUND', summary: 'No secret with this scope and key.' },
  PALYRA_E_VAULT_MISSING: { exitCode: 78, grpc: 'FAILED_PRECONDITION', summary: 'The encrypted vault file is missing while key material that belongs with it (certificates, its key file, paired nodes) is still there; nothing was changed.' },
  PALYRA_E_QUIC_UNAVAILABLE: { exitCode: 69, grpc: 'UNAVAILABLE', summary: 'QUIC cannot be used here: no native binary for this platform, or the daemon has QUIC disabled.' },
  PALYRA_E_QUIC_HANDSHAKE: { exitCode: 69, grpc: 'UNAVAILABLE', summary: 'The QUIC handshake failed or timed out (UDP blocked, wrong port, or a certificate was refused).' },
  PALYRA_E_QUIC_TOO_MANY_CONNECTIONS: { exitCode: 75, grpc: 'RESOURCE_EXHAUSTED', summary: 'The daemon refused a QUIC connection: it holds its maximum number of connections.' },
  PALYRA_E_QUIC_CLOSED: { exitCode: 69, grpc: 'UNAVAILABLE', summary: 'The QUIC connection or stream was closed by the peer.' },
  PALYRA_E_FRAME_MALFORMED: { exitCode: 65, grpc: 'INVALID_ARGUMENT', summary: 'A length-prefixed frame was truncated or its payload is not a valid message.' },
  PALYRA_E_FRAME_TOO_LARGE: { exitCode: 65, grpc: 'RESOURCE_EXHAUSTED', summary: 'A length-prefixed frame announced more than the maximum frame size.' },
  PALYRA_E_NAVIGATION_FAILED: { exitCode: 69, grpc: 'UNAVAILABLE', summary: 'A page could not be loaded: DNS, connection, TLS or another network error.' },
  PALYRA_E_PAIRING_BUSY: { exitCode: 75, grpc: 'RESOURCE_EXHAUSTED', summary: 'The daemon refused a pairing exchange: it holds its maximum of concurrent exchanges, in total or from this address; retry later.' },
  PALYRA_E_SCHEMA_REFUSED: { exitCode: 65, grpc: 'INVALID_ARGUMENT', summary: 'A node announced a capability schema the daemon will not run: a regex RE2 cannot match in linear time, a recursive or outside $ref, over a size limit, or too slow to compile.' },
  PALYRA_E_INPUT_TOO_COSTLY: { exitCode: 65, grpc: 'RESOURCE_EXHAUSTED', summary: "Checking the input against the node's announced schema took longer (or more memory) than the daemon allows." },
  PALYRA_E_SCHEMA_WORKER_RESTARTED: { exitCode: 75, grpc: 'UNAVAILABLE', summary: "The daemon's schema worker was restarted twice while this schema compile or input check waited; retry." },
  PALYRA_E_IDEMPOTENCY_MISMATCH: { exitCode: 65, grpc: 'FAILED_PRECONDITION', summary: 'The idempotency key was already used for this node with another capability or input: use a new key for a new request.' },
  PALYRA_E_SESSION_PROTOCOL: { exitCode: 65, grpc: 'INVALID_ARGUMENT', summary: "The node broke the Session stream protocol (no hello first, a second hello, or another node's device id)." },
  PALYRA_E_STATE_NOT_EMPTY: { exitCode: 73, grpc: 'FAILED_PRECONDITION', summary: 'The state store already holds nodes, requests or dispatches: a node-runtime.v1.json document is imported into an empty store only, never merged.' },
  PALYRA_E_DAEMON_RESTARTED: { exitCode: 75, grpc: 'UNAVAILABLE', summary: 'The daemon stopped after accepting this dispatch and before sending it to its node: it never ran and is never re-run by itself; dispatch it again (with a new idempotency key).' },
  PALYRA_E_DISPATCH_UNKNOWN: { exitCode: 70, grpc: 'UNAVAILABLE', summary: 'The dispatch was sent, but its node never reported its outcome (it lost it, or its deadline passed while it was offline): it may or may not have run. A later report from the node replaces this state.' },
  PALYRA_E_RENEWAL_REFUSED: { exitCode: 77, grpc: 'PERMISSION_DENIED', summary: "The daemon refused a certificate renewal: the signature is not by the node's registered identity key, the nonce is not this stream's, the CSR is for another device or key, or the certificate named is not this node's." },
  PALYRA_E_CERT_EXPIRED: { exitCode: 77, grpc: 'PERMISSION_DENIED', summary: "The node's certificate expired longer ago than the daemon's renewal grace: it cannot renew, pair it again with palyra-node join." },
  PALYRA_E_NODE_REVOKED: { exitCode: 77, grpc: 'PERMISSION_DENIED', summary: 'The node was removed and its certificate revoked: it cannot renew or connect, pair it again with palyra-node join.' },
  PALYRA_E_RENEWAL_PROTOCOL: { exitCode: 65, grpc: 'INVALID_ARGUMENT', summary: 'A RenewCertificate stream broke the protocol (a message out of order or repeated, a field too large or malformed): the daemon ended it without issuing anything; the node retries with a new stream.' },
  PALYRA_E_RENEWAL_BUSY: { exitCode: 75, grpc: 'RESOURCE_EXHAUSTED', summary: 'The daemon holds its maximum of certificate renewals in progress (in total or from this address): the node retries later, with backoff.' },
  PALYRA_E_CA_ROTATION_IN_PROGRESS: { exitCode: 75, grpc: 'FAILED_PRECONDITION', summary: 'A CA rotation is already in progress: finish it (palyrad ca finish) before rotating again.' },
  PALYRA_E_CA_NOT_ROTATING: { exitCode: 75, grpc: 'FAILED_PRECONDITION', summary: 'No CA rotation is in progress: there is no CA to retire.' },
  PALYRA_E_CA_IN_USE: { exitCode: 75, grpc: 'FAILED_PRECONDITION', summary: 'Registered nodes still hold certificates of the old CA or do not trust the new one yet (palyrad ca status; --force cuts them off).' },
  PALYRA_E_FORBIDDEN: { exitCode: 77, grpc: 'PERMISSION_DENIED', summary: "The caller's token (its role, scopes or node selector) does not grant the permission this call needs; the error names it (details.permission)." },
  PALYRA_E_RATE_LIMITED: { exitCode: 75, grpc: 'RESOURCE_EXHAUSTED', summary: "The caller's token made more calls than its rate allows, or this address failed authentication too often: retry after details.retryAfterMs." },
  PALYRA_E_TOKEN_NOT_FOUND: { exitCode: 68, grpc: 'NOT_FOUND', summary: 'No API token has this id.' },
  PALYRA_E_PROFILE_NOT_FOUND: { exitCode: 78, grpc: 'FAILED_PRECONDITION', summary: 'No operator profile has this name (palyrad auth profiles lists them; palyrad auth login saves one).' },
  PALYRA_E_AUDIT_TAMPERED: { exitCode: 76, grpc: 'DATA_LOSS', summary: 'palyrad audit verify found an audit entry that was edited, removed, reordered or cut short; the error names the first one.' },
  PALYRA_E_NODE_AMBIGUOUS: { exitCode: 65, grpc: 'FAILED_PRECONDITION', summary: 'A node reference (a device id prefix or a name) matches more than one node; the error lists the candidates: use a longer prefix or the device id.' },
  PALYRA_E_LABEL_INVALID: { exitCode: 65, grpc: 'INVALID_ARGUMENT', summary: 'A label key or value breaks the Kubernetes label syntax or limits (key: optional DNS prefix and name of at most 63 characters; value: at most 63).' },
  PALYRA_E_SELECTOR_INVALID: { exitCode: 65, grpc: 'INVALID_ARGUMENT', summary: 'A node selector does not parse; the error points at the offending character.' },
  PALYRA_E_NO_NODES_MATCH: { exitCode: 68, grpc: 'NOT_FOUND', summary: 'The selector matches no registered node: nothing was dispatched.' },
  PALYRA_E_FANOUT_FAILED: { exitCode: 2, grpc: 'FAILED_PRECONDITION', summary: 'A fan-out ran, but some of its nodes did not succeed; the summary names them.' },
  PALYRA_E_TOOL_UNKNOWN: { exitCode: 68, grpc: 'NOT_FOUND', summary: 'No tool has that name among those the caller may see (palyrad tools list shows them); tools come and go with the nodes that announce them.' },
  PALYRA_E_TOOL_ARGUMENTS: { exitCode: 65, grpc: 'INVALID_ARGUMENT', summary: 'A tool call\'s arguments are not a JSON object, or name no target, or both a node and a selector; the message says which.' },
  PALYRA_E_HTTP_NOT_FOUND: { exitCode: 68, grpc: 'NOT_FOUND', summary: 'The admin endpoint\'s HTTP API has no such route, or no MCP session with that Mcp-Session-Id belongs to this token (it ended, idled out, or is another token\'s).' },
  PALYRA_E_BODY_TOO_LARGE: { exitCode: 65, grpc: 'INVALID_ARGUMENT', summary: 'An HTTP API request body is larger than the 1 MiB limit (HTTP 413).' },
  PALYRA_E_SYSTEMD_UNAVAILABLE: { exitCode: 69, grpc: 'UNAVAILABLE', summary: 'service install, status or uninstall found no usable systemd (no systemctl, a host not booted with systemd, or no user manager for --user); the message names what to run instead (the program in the foreground under another supervisor, --system, or --dry-run to print the unit).' },
  PALYRA_E_SERVICE_FAILED: { exitCode: 71, grpc: 'INTERNAL', summary: 'A step of service install or uninstall failed (--system without root, a unit file Palyra did not write in the way, a Node binary, script or config file for a system unit that a user other than root could replace, useradd or systemctl refusing); the message has the step and its output.' },
  PALYRA_E_SERVICE_NOT_INSTALLED: { exitCode: 68, grpc: 'NOT_FOUND', summary: 'service status found no unit file for this program in the scope asked for (--user or --system); service install writes one.' },
} as const satisfies Record<string, { exitCode: number; grpc: GrpcStatusName; summary: string }>;

export type GrpcStatusName =
  | 'CANCELLED'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'UNAUTHENTICATED'
  | 'DATA_LOSS';

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
