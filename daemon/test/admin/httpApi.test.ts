import { PalyraError } from '@palyra/shared/errors';
import { describe, expect, it } from 'vitest';
import { forwardedAddress } from '../../src/access/forwardedAddress.js';
import { openAiError } from '../../src/admin/http/openAiError.js';
import { MAX_TOOL_CALLS_PER_REQUEST, parseToolCalls } from '../../src/admin/http/openAiTools.js';
import { adminListenerOptions, chooseAdminProtocol } from '../../src/admin/RemoteAdminListener.js';

describe('chooseAdminProtocol (ALPN of the remote admin port)', () => {
  it('gives http/1.1 whenever it is offered, h2 to gRPC clients, nothing else', () => {
    expect(chooseAdminProtocol(['h2', 'http/1.1'])).toBe('http/1.1');
    expect(chooseAdminProtocol(['http/1.1'])).toBe('http/1.1');
    expect(chooseAdminProtocol(['h2'])).toBe('h2');
    expect(chooseAdminProtocol(['spdy/3', 'h3'])).toBeUndefined();
  });
});

describe('adminListenerOptions (the remote admin port\'s TLS server)', () => {
  it('keeps the TLS context, asks no client certificate, routes by ALPN and turns Nagle off', () => {
    const options = adminListenerOptions({ minVersion: 'TLSv1.2', ciphers: 'X', cert: 'C', key: 'K' });
    expect(options).toMatchObject({ minVersion: 'TLSv1.2', ciphers: 'X', cert: 'C', key: 'K', requestCert: false });
    // Without TCP_NODELAY every MCP answer over HTTP waited for the client's delayed ACK (bench/tools.mjs).
    expect(options.noDelay).toBe(true);
    expect(options.ALPNCallback?.({ servername: 'palyrad', protocols: ['h2', 'http/1.1'] })).toBe('http/1.1');
    expect(options.ALPNCallback?.({ servername: 'palyrad', protocols: ['h2'] })).toBe('h2');
  });
});

describe('openAiError', () => {
  it('maps Palyra codes to HTTP statuses and OpenAI error objects', () => {
    const cases: [PalyraError, number, string][] = [
      [new PalyraError('PALYRA_E_UNAUTHENTICATED', 'no token'), 401, 'invalid_request_error'],
      [new PalyraError('PALYRA_E_FORBIDDEN', 'no'), 403, 'permission_error'],
      [new PalyraError('PALYRA_E_HTTP_NOT_FOUND', 'gone'), 404, 'invalid_request_error'],
      [new PalyraError('PALYRA_E_BODY_TOO_LARGE', 'big'), 413, 'invalid_request_error'],
      [new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'bad', { details: { param: 'tool_calls' } }), 400, 'invalid_request_error'],
      [new PalyraError('PALYRA_E_INTERNAL', 'oops'), 500, 'server_error'],
    ];
    for (const [error, status, type] of cases) {
      const mapped = openAiError(error);
      expect(mapped.status).toBe(status);
      expect(mapped.body).toEqual({ error: { message: error.message, type, param: error.details?.param ?? null, code: error.code } });
    }
    const limited = openAiError(new PalyraError('PALYRA_E_RATE_LIMITED', 'slow down', { details: { retryAfterMs: 1500 } }));
    expect(limited).toMatchObject({ status: 429, retryAfterMs: 1500, body: { error: { type: 'rate_limit_error' } } });
  });
});

describe('parseToolCalls', () => {
  const call = (id: string, name = 'fs_read', args = '{}'): unknown => ({ id, type: 'function', function: { name, arguments: args } });

  it('takes { tool_calls } or a whole assistant message', () => {
    expect(parseToolCalls({ tool_calls: [call('call_1')] })).toEqual([{ id: 'call_1', name: 'fs_read', arguments: '{}' }]);
    expect(parseToolCalls({ role: 'assistant', content: null, tool_calls: [call('call_2', 'shell_exec', '')] })).toEqual([{ id: 'call_2', name: 'shell_exec', arguments: '' }]);
  });

  it('refuses malformed requests naming the field (param)', () => {
    const param = (body: unknown): unknown => {
      try {
        parseToolCalls(body);
        return undefined;
      } catch (error) {
        return (error as PalyraError).details?.param;
      }
    };
    expect(param([])).toBe('tool_calls');
    expect(param({ tool_calls: [] })).toBe('tool_calls');
    expect(param({ tool_calls: Array.from({ length: MAX_TOOL_CALLS_PER_REQUEST + 1 }, (_, i) => call(`c${i}`)) })).toBe('tool_calls');
    expect(param({ tool_calls: [call('')] })).toBe('tool_calls[0].id');
    expect(param({ tool_calls: [call('a\nb')] })).toBe('tool_calls[0].id');
    expect(param({ tool_calls: [call('x'), call('x')] })).toBe('tool_calls[1].id');
    expect(param({ tool_calls: [{ id: 'x', type: 'code_interpreter', function: { name: 'a' } }] })).toBe('tool_calls[0].type');
    expect(param({ tool_calls: [{ id: 'x', function: { name: 'a'.repeat(65) } }] })).toBe('tool_calls[0].function.name');
    expect(param({ tool_calls: [{ id: 'x', function: { name: 'a', arguments: { node: 'n' } } }] })).toBe('tool_calls[0].function.arguments');
  });
});

describe('forwardedAddress', () => {
  it('keeps a well-formed address and replaces anything else', () => {
    expect(forwardedAddress('203.0.113.7:4000', 'unix')).toBe('203.0.113.7:4000');
    expect(forwardedAddress('[2001:db8::1]:443', 'unix')).toBe('[2001:db8::1]:443');
    expect(forwardedAddress('1.2.3.4:5\n{"forged":1}', 'unix')).toBe('unix');
    expect(forwardedAddress('a'.repeat(200), 'unix')).toBe('unix');
    expect(forwardedAddress(undefined, 'unix')).toBe('unix');
  });
});
