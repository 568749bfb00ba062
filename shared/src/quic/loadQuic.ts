import { PalyraError } from '../errors/index.js';
import type * as Quic from '@matrixai/quic';

export type QuicModule = typeof Quic;
type Logger = NonNullable<ConstructorParameters<typeof Quic.QUICServer>[0]['logger']>;

let loading: Promise<QuicModule> | undefined;

/**
 * Imports @matrixai/quic. It is ESM-only and loads a prebuilt native binary when imported;
 * there is none for linux-arm64 or musl, where the import throws: that becomes
 * PALYRA_E_QUIC_UNAVAILABLE: the daemon then runs with QUIC disabled and the agent falls back
 * to gRPC (unless QUIC was asked for explicitly).
 */
export function loadQuic(): Promise<QuicModule> {
  loading ??= import('@matrixai/quic').catch((error: unknown) => {
    throw new PalyraError(
      'PALYRA_E_QUIC_UNAVAILABLE',
      `QUIC is not available on ${process.platform}-${process.arch}: the native module of @matrixai/quic could not be loaded (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  });
  return loading;
}

/**
 * A quiet logger for @matrixai/quic, which otherwise prints every connection event to stderr.
 * It only calls getChild, debug and info; PALYRA_QUIC_DEBUG=1 prints them.
 */
export function quicLogger(prefix = 'quic'): Logger {
  const debug = process.env.PALYRA_QUIC_DEBUG === '1';
  const write = (message: unknown): void => {
    if (debug) process.stderr.write(`${prefix}: ${String(message)}\n`);
  };
  const logger = {
    getChild: (name: string) => quicLogger(`${prefix}.${name}`),
    debug: write,
    info: write,
    warn: write,
    error: write,
  };
  return logger as unknown as Logger;
}
