import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PalyraError } from '../errors/index.js';

/** How long the OS vault may take to answer once the helper process runs. */
export const DEFAULT_OS_VAULT_TIMEOUT_MS = 1_000;
/** How long the helper process may take to start (node + the native module) on a loaded machine. */
const HELPER_START_TIMEOUT_MS = 15_000;
const MAX_HELPER_OUTPUT = 64 * 1024;

/**
 * The helper that talks to the OS vault, run with `node -e` in a child process: a locked
 * keyring waiting for a prompt or a frozen secret service blocks a native call that cannot
 * be interrupted, so it must never run in the agent's or daemon's own process. The parent
 * kills the child when it does not answer in time. Requests arrive on stdin (so secrets
 * never appear in argv or the environment); the child prints `ready`, then one JSON line.
 */
const HELPER_SOURCE = String.raw`
'use strict';
(function main() {
// Never outlive the parent's patience, even if the parent died: a hung D-Bus call runs on
// the thread pool, so this timer still fires and ends the process.
setTimeout(() => process.exit(70), Number(process.argv[2]));
let AsyncEntry;
try {
  ({ AsyncEntry } = require(process.argv[1]));
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, index: -1, message: 'cannot load @napi-rs/keyring: ' + (error && error.message) }) + '\n', () => process.exit(0));
  return;
}
process.stdout.write('ready\n');
// Never the kernel keyring (RAM only, lost at reboot): only the Secret Service on Linux.
const options = { linux: { store: 'secret-service' } };
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', async () => {
  let index = -1;
  const results = [];
  try {
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    for (index = 0; index < request.ops.length; index++) {
      const op = request.ops[index];
      const entry = new AsyncEntry(op.service, op.account, options);
      if (op.op === 'get') {
        const secret = await entry.getSecret();
        results.push({ secret: secret === null ? null : Buffer.from(secret).toString('base64') });
      } else if (op.op === 'set') {
        await entry.setSecret(Buffer.from(op.secret, 'base64'));
        const back = await entry.getSecret();
        if (back === null || Buffer.compare(Buffer.from(back), Buffer.from(op.secret, 'base64')) !== 0) {
          throw new Error('the stored secret did not read back identical');
        }
        results.push({});
      } else if (op.op === 'delete') {
        results.push({ deleted: await entry.deleteCredential() });
      } else if (op.op === 'probe') {
        const canary = Buffer.from(op.secret, 'base64');
        await entry.setSecret(canary);
        const back = await entry.getSecret();
        const same = back !== null && Buffer.compare(Buffer.from(back), canary) === 0;
        await entry.deleteCredential();
        if (!same) throw new Error('the canary secret did not read back identical');
        results.push({});
      } else {
        throw new Error('unknown operation ' + op.op);
      }
    }
    process.stdout.write(JSON.stringify({ ok: true, results }) + '\n', () => process.exit(0));
  } catch (error) {
    process.stdout.write(JSON.stringify({ ok: false, index, message: String((error && error.message) || error) }) + '\n', () => process.exit(0));
  }
});
})();
`;

/** One operation on an OS vault entry. */
export type OsKeyringOp =
  | { op: 'get'; service: string; account: string }
  | { op: 'set'; service: string; account: string; secret: Uint8Array }
  | { op: 'delete'; service: string; account: string };

export type OsKeyringResult = { secret?: Uint8Array | null; deleted?: boolean };

/** Whether a working OS vault answered, how fast, and if not, why. */
export type OsVaultStatus =
  | { readonly available: true; readonly store: string; readonly elapsedMs: number }
  | { readonly available: false; readonly store: string; readonly elapsedMs: number; readonly reason: string };

export interface OsKeyringOptions {
  /** The environment the helper sees (default process.env): where the D-Bus address comes from. */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Bound on the vault's answer once the helper runs (default 1000 ms). */
  timeoutMs?: number;
}

interface HelperOp {
  op: 'get' | 'set' | 'delete' | 'probe';
  service: string;
  account: string;
  secret?: string;
}

/** Service of the canary entry written and deleted by a probe. */
export const CANARY_SERVICE = 'palyra-vault-canary';

/**
 * The OS vault through @napi-rs/keyring (AsyncEntry): Secret Service on Linux (pinned, never
 * the kernel keyring), Keychain on macOS, Credential Manager on Windows. Every call runs in
 * a short-lived helper process bounded by a timeout, so a locked keyring or a frozen daemon
 * costs at most `timeoutMs` and never blocks this process.
 */
export class OsKeyring {
  readonly store: string;
  readonly timeoutMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly platform: NodeJS.Platform;

  constructor(options: OsKeyringOptions = {}) {
    this.env = options.env ?? process.env;
    this.platform = options.platform ?? process.platform;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_OS_VAULT_TIMEOUT_MS;
    this.store =
      this.platform === 'darwin' ? 'macOS Keychain' : this.platform === 'win32' ? 'Windows Credential Manager' : 'Secret Service (D-Bus)';
  }

  /**
   * Checks whether a working OS vault exists: on Linux first that a D-Bus session bus is
   * there at all (no process is started otherwise), then a canary round trip (write, read
   * back, delete) under the timeout. Never throws.
   */
  async probe(signal?: AbortSignal): Promise<OsVaultStatus> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const noBus = this.busProblem();
    if (noBus !== undefined) return { available: false, store: this.store, elapsedMs: elapsed(), reason: noBus };
    try {
      await this.runHelper(
        [{ op: 'probe', service: CANARY_SERVICE, account: `canary-${randomBytes(8).toString('hex')}`, secret: randomBytes(32).toString('base64') }],
        signal,
      );
      return { available: true, store: this.store, elapsedMs: elapsed() };
    } catch (error) {
      if (error instanceof PalyraError && error.code === 'PALYRA_E_CANCELLED') throw error;
      const reason = error instanceof PalyraError && typeof error.details?.reason === 'string' ? error.details.reason : error instanceof Error ? error.message : String(error);
      return { available: false, store: this.store, elapsedMs: elapsed(), reason };
    }
  }

  /** Runs operations in one helper process, in order. Throws PALYRA_E_VAULT_UNAVAILABLE when the vault fails or does not answer. */
  async run(ops: readonly OsKeyringOp[], signal?: AbortSignal): Promise<OsKeyringResult[]> {
    const noBus = this.busProblem();
    if (noBus !== undefined) throw this.unavailable(noBus);
    const results = await this.runHelper(
      ops.map((op) => ({
        op: op.op,
        service: op.service,
        account: op.account,
        ...(op.op === 'set' ? { secret: Buffer.from(op.secret).toString('base64') } : {}),
      })),
      signal,
    );
    return results.map((result) => ({
      ...(result.secret === undefined ? {} : { secret: result.secret === null ? null : new Uint8Array(Buffer.from(result.secret, 'base64')) }),
      ...(result.deleted === undefined ? {} : { deleted: result.deleted }),
    }));
  }

  async get(service: string, account: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const [result] = await this.run([{ op: 'get', service, account }], signal);
    return result?.secret ?? undefined;
  }

  async set(service: string, account: string, secret: Uint8Array, signal?: AbortSignal): Promise<void> {
    await this.run([{ op: 'set', service, account, secret }], signal);
  }

  async delete(service: string, account: string, signal?: AbortSignal): Promise<boolean> {
    const [result] = await this.run([{ op: 'delete', service, account }], signal);
    return result?.deleted === true;
  }

  /** Why there is certainly no OS vault (Linux without a session bus), else undefined. */
  busProblem(): string | undefined {
    if (this.platform === 'darwin' || this.platform === 'win32') return undefined;
    if (nonEmpty(this.env.DBUS_SESSION_BUS_ADDRESS)) return undefined;
    const runtime = this.env.XDG_RUNTIME_DIR;
    if (nonEmpty(runtime) && isSocket(join(runtime, 'bus'))) return undefined;
    return 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and there is no $XDG_RUNTIME_DIR/bus): no desktop session';
  }

  private helperEnv(): NodeJS.ProcessEnv {
    const env = { ...this.env };
    if (!nonEmpty(env.DBUS_SESSION_BUS_ADDRESS) && nonEmpty(env.XDG_RUNTIME_DIR)) {
      env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(env.XDG_RUNTIME_DIR, 'bus')}`;
    }
    return env;
  }

  private unavailable(reason: string, cause?: unknown): PalyraError {
    return new PalyraError('PALYRA_E_VAULT_UNAVAILABLE', `the OS vault (${this.store}) is not usable: ${reason}`, {
      details: { store: this.store, reason },
      ...(cause === undefined ? {} : { cause }),
    });
  }

  private runHelper(ops: HelperOp[], signal?: AbortSignal): Promise<Array<{ secret?: string | null; deleted?: boolean }>> {
    if (signal?.aborted) return Promise.reject(new PalyraError('PALYRA_E_CANCELLED', 'the OS vault operation was cancelled'));
    let modulePath: string;
    try {
      modulePath = createRequire(import.meta.url).resolve('@napi-rs/keyring');
    } catch (error) {
      return Promise.reject(this.unavailable(`@napi-rs/keyring is not installed (${(error as Error).message})`, error));
    }
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', HELPER_SOURCE, modulePath, String(HELPER_START_TIMEOUT_MS + this.timeoutMs)], {
        env: this.helperEnv(),
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
      let stderr = '';
      let settled = false;
      let timer = setTimeout(() => fail(`its helper process did not start within ${HELPER_START_TIMEOUT_MS} ms`), HELPER_START_TIMEOUT_MS);
      const finish = (): void => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
      const fail = (reason: string, cause?: unknown): void => {
        if (settled) return;
        finish();
        reject(this.unavailable(reason, cause));
      };
      const onAbort = (): void => {
        if (settled) return;
        finish();
        reject(new PalyraError('PALYRA_E_CANCELLED', 'the OS vault operation was cancelled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (error) => fail(`its helper process failed: ${error.message}`, error));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        if (stderr.length < MAX_HELPER_OUTPUT) stderr += chunk;
      });
      let buffer = '';
      let ready = false;
      const onLine = (line: string): void => {
        if (!ready && line === 'ready') {
          // The helper runs: from now on the vault itself must answer in time.
          ready = true;
          clearTimeout(timer);
          timer = setTimeout(
            () => fail(`it did not answer within ${this.timeoutMs} ms (a locked keyring waiting for an unlock prompt, or a frozen secret service)`),
            this.timeoutMs,
          );
          return;
        }
        let reply: { ok?: unknown; results?: unknown; message?: unknown };
        try {
          reply = JSON.parse(line) as typeof reply;
        } catch (error) {
          return fail(`its helper process answered garbage: ${JSON.stringify(line.slice(0, 200))}`, error);
        }
        if (reply.ok !== true) return fail(describeKeyringError(typeof reply.message === 'string' ? reply.message : 'unknown error'));
        if (!Array.isArray(reply.results) || reply.results.length !== ops.length) return fail('its helper process answered an incomplete reply');
        finish();
        resolve(reply.results as Array<{ secret?: string | null; deleted?: boolean }>);
      };
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        if (settled) return;
        buffer += chunk;
        if (buffer.length > MAX_HELPER_OUTPUT) return fail('its helper process wrote too much');
        for (let end = buffer.indexOf('\n'); end !== -1 && !settled; end = buffer.indexOf('\n')) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          onLine(line);
        }
      });
      child.on('close', (code, signalName) => {
        const why = signalName !== null ? `signal ${signalName}` : `status ${String(code)}`;
        fail(`its helper process exited (${why}) without an answer${stderr.trim() === '' ? '' : `: ${stderr.trim().split('\n').slice(-3).join(' ')}`}`);
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(JSON.stringify({ ops }));
    });
  }
}

/** The keyring's message, with what it usually means in front. */
function describeKeyringError(message: string): string {
  if (/prompt was dismissed|locked/i.test(message)) return `the keyring is locked and could not be unlocked (${message})`;
  if (/ServiceUnknown|was not provided by any \.service files|org\.freedesktop\.secrets/i.test(message)) {
    return `no secret service answers on the session bus (${message})`;
  }
  return message;
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}
