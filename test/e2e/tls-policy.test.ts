/**
 * TLS versions and cipher suites of the gRPC port, through the built palyrad (issue 12, also
 * seen): TLS 1.2 without forward secrecy (static-RSA suites such as AES128-SHA and
 * AES256-SHA256) is refused, TLS 1.2 with ECDHE and AES-GCM is accepted, and a client that
 * offers TLS 1.3 gets TLS 1.3. The QUIC port is TLS 1.3 only by construction (QUIC requires
 * it; see docs/security.md).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, TempDirs, stopProcesses } from '../helpers/processes.js';

const dirs = new TempDirs();
let daemon: DaemonProcess;

beforeAll(async () => {
  daemon = await DaemonProcess.start(join(await dirs.make('palyra-e2e-tls-'), 'state'), ['--quic-listen', 'off']);
}, E2E_HOOK_TIMEOUT_MS);
afterAll(async () => {
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

/** `openssl s_client` offering only `cipher` on TLS 1.2; resolves with its exit code and output. */
function opensslTls12(cipher: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${daemon.port}`, '-tls1_2', '-cipher', cipher, '-alpn', 'h2'],
      { timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: `${stdout}\n${stderr}` }),
    );
    child.stdin?.end();
  });
}

/** A node:tls handshake (no client certificate); resolves with the socket once up, rejects on a refused handshake. */
function handshake(options: { maxVersion?: 'TLSv1.2'; ciphers?: string }): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: daemon.port, rejectUnauthorized: false, ALPNProtocols: ['h2'], ...options });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

describe('gRPC port TLS policy (real palyrad)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it.each(['AES128-SHA', 'AES256-SHA256', 'AES128-GCM-SHA256'])('refuses the static-RSA suite %s on TLS 1.2 (openssl s_client)', async (cipher) => {
    const result = await opensslTls12(cipher);
    expect(result.code, result.output).not.toBe(0);
    expect(result.output).toMatch(/handshake failure|no cipher/);
  });

  it('refuses a TLS 1.2 client that offers no ECDHE suite (node:tls)', async () => {
    await expect(handshake({ maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:AES256-SHA256:AES128-GCM-SHA256' })).rejects.toThrow(/handshake failure/);
  });

  it('accepts ECDHE-RSA-AES128-GCM-SHA256 on TLS 1.2', async () => {
    const socket = await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
    try {
      expect(socket.getProtocol()).toBe('TLSv1.2');
      expect(socket.getCipher().name).toBe('ECDHE-RSA-AES128-GCM-SHA256');
    } finally {
      socket.destroy();
    }
  });

  it('negotiates TLS 1.3 with a client that offers it', async () => {
    const socket = await handshake({});
    try {
      expect(socket.getProtocol()).toBe('TLSv1.3');
    } finally {
      socket.destroy();
    }
  });
});
