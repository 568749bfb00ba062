import { loadConfigFile, parseDuration, parseHostPort, parsers, resolveSettings, type ResolvedSettings, type SettingsSpec } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import { LOG_LEVELS, type LogLevel } from '@palyra/shared/logging';
import type { JsonSchema } from '@palyra/shared/plugins';
import { AUTO_APPROVE_MODES, type AutoApproveMode } from '../pairing/autoApprovePolicy.js';
import { redactPostgresUrl } from '../store/postgres/postgresUrl.js';
import { parseStoreSetting } from '../store/storeSetting.js';

/** Everything `palyrad start` can be configured with (flags, PALYRA_* env, config file). */
export interface DaemonSettings {
  listen: string;
  /** HOST:PORT, `off`, or empty for the default (beside the gRPC port). */
  quicListen: string;
  quicMaxConnections: number;
  /** Health pings each node may send per second (twice that in a burst); see NodeHealth. */
  healthPingsPerSecond: number;
  /** Node port: time from TCP accept to the end of the client's HTTP/2 preface. */
  handshakeTimeout: string;
  /** Node port: TCP connections held at once, in total and per remote address. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Pair streams held at once, in total and per remote address. */
  maxPairings: number;
  maxPairingsPerAddress: number;
  vault: 'auto' | 'os' | 'file';
  vaultKeyFile: string;
  codeTtl: string;
  requestTtl: string;
  /** Lifetime of node certificates, a duration from 1m to 365d (default 24h; under 1h is for tests). */
  certValidity: string;
  /** How long after expiry a node may still renew by its identity key, a duration or 0 (default 30d). */
  renewalGrace: string;
  /** Deprecated alias of certValidity in whole days (0: not set); certValidity wins when both are set. */
  certValidityDays: number;
  /** Approve confirmed pairing requests without an operator: off, qr or all (see autoApprovePolicy.ts). */
  autoApprove: AutoApproveMode;
  logLevel: LogLevel;
  /** Where the state lives: empty or `sqlite` (the file in the state dir), or a postgres:// URL. */
  store: string;
  /** The remote admin endpoint (AdminService over TLS with API tokens), HOST:PORT; empty: off. */
  adminListen: string;
  /** The Prometheus endpoint (plain HTTP GET /metrics), HOST:PORT; empty: off. */
  metricsListen: string;
  /** Size at which the audit log's audit.log is rotated (bytes). */
  auditMaxFileBytes: number;
}

/** Bounds of auditMaxFileBytes: 64 KiB (an entry is at most 64 KiB) to 1 TiB; default 64 MiB. */
export const MIN_AUDIT_MAX_FILE_BYTES = 64 * 1024;
export const MAX_AUDIT_MAX_FILE_BYTES = 2 ** 40;

const hostPort = (text: string, from: string): string => {
  parseHostPort(text, from);
  return text;
};
const duration = (text: string, from: string): string => {
  parseDuration(text, from);
  return text;
};

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
export const MIN_CERT_VALIDITY_MS = MINUTE_MS;
export const MAX_CERT_VALIDITY_MS = 365 * DAY_MS;
/** Under this, `palyrad start` warns: certificates this short are for tests. */
export const SHORT_CERT_VALIDITY_MS = HOUR_MS;

/** A certificate lifetime: a duration from 1m to 365d. */
export function parseCertValidity(text: string, from: string): number {
  const ms = parseDuration(text, from);
  if (ms < MIN_CERT_VALIDITY_MS || ms > MAX_CERT_VALIDITY_MS) {
    throw new PalyraError('PALYRA_E_USAGE', `${from} "${text}" must be from 1m to 365d`);
  }
  return ms;
}

/** A renewal grace: a duration, or 0 for none. */
export function parseRenewalGrace(text: string, from: string): number {
  if (/^0+(\.0+)?(ms|s|m|h|d)?$/.test(text.trim())) return 0;
  const ms = parseDuration(text, from);
  if (ms > 10 * 365 * DAY_MS) throw new PalyraError('PALYRA_E_USAGE', `${from} "${text}" must be at most 3650d`);
  return ms;
}

export interface CertLifetimes {
  certValidityMs: number;
  renewalGraceMs: number;
  /** Lines for the operator (a deprecated flag, a lifetime meant for tests). */
  warnings: string[];
}

/**
 * The node certificate lifetime and renewal grace of resolved settings, checked whatever their
 * source (config-file values are only schema-checked). `certValidityDays` is the deprecated
 * form of `certValidity`, honoured when only it is set.
 */
export function certLifetimes(settings: ResolvedSettings<DaemonSettings>): CertLifetimes {
  const warnings: string[] = [];
  const days = settings.certValidityDays;
  const validity = settings.certValidity;
  let certValidityMs: number;
  if (days.source !== 'default' && days.value > 0 && validity.source === 'default') {
    certValidityMs = parseCertValidity(`${days.value}d`, '--cert-validity-days');
    warnings.push(`--cert-validity-days (certValidityDays, PALYRA_CERT_VALIDITY_DAYS) is deprecated: use --cert-validity ${days.value}d`);
  } else {
    certValidityMs = parseCertValidity(validity.value, '--cert-validity');
    if (days.source !== 'default') warnings.push('--cert-validity-days is deprecated and ignored: --cert-validity is set');
  }
  if (certValidityMs < SHORT_CERT_VALIDITY_MS) {
    warnings.push(`node certificates live only ${Math.round(certValidityMs / 1000)} s (--cert-validity under 1h): such values are for tests`);
  }
  return { certValidityMs, renewalGraceMs: parseRenewalGrace(settings.renewalGrace.value, '--renewal-grace'), warnings };
}

export const DAEMON_SETTINGS: SettingsSpec<DaemonSettings> = {
  listen: { flag: '--listen', env: 'PALYRA_LISTEN', default: '0.0.0.0:7443', parse: hostPort },
  quicListen: { flag: '--quic-listen', env: 'PALYRA_QUIC_LISTEN', default: '', parse: (t, from) => (t === 'off' ? t : hostPort(t, from)) },
  quicMaxConnections: { flag: '--quic-max-connections', env: 'PALYRA_QUIC_MAX_CONNECTIONS', default: 256, parse: parsers.integer(1, 1_000_000) },
  healthPingsPerSecond: { flag: '--health-pings-per-second', env: 'PALYRA_HEALTH_PINGS_PER_SECOND', default: 10, parse: parsers.integer(1, 1_000_000) },
  handshakeTimeout: { flag: '--handshake-timeout', env: 'PALYRA_HANDSHAKE_TIMEOUT', default: '10s', parse: duration },
  maxConnections: { flag: '--max-connections', env: 'PALYRA_MAX_CONNECTIONS', default: 20_000, parse: parsers.integer(1, 1_000_000) },
  maxConnectionsPerAddress: { flag: '--max-connections-per-address', env: 'PALYRA_MAX_CONNECTIONS_PER_ADDRESS', default: 256, parse: parsers.integer(1, 1_000_000) },
  maxPairings: { flag: '--max-pairings', env: 'PALYRA_MAX_PAIRINGS', default: 1024, parse: parsers.integer(1, 1_000_000) },
  maxPairingsPerAddress: { flag: '--max-pairings-per-address', env: 'PALYRA_MAX_PAIRINGS_PER_ADDRESS', default: 32, parse: parsers.integer(1, 1_000_000) },
  vault: { flag: '--vault', env: 'PALYRA_VAULT', default: 'auto', parse: parsers.oneOf(['auto', 'os', 'file'] as const) },
  vaultKeyFile: { flag: '--vault-key-file', env: 'PALYRA_VAULT_KEY_FILE', default: '', parse: parsers.string },
  codeTtl: { flag: '--code-ttl', env: 'PALYRA_CODE_TTL', default: '10m', parse: duration },
  requestTtl: { flag: '--request-ttl', env: 'PALYRA_REQUEST_TTL', default: '15m', parse: duration },
  certValidity: {
    flag: '--cert-validity',
    env: 'PALYRA_CERT_VALIDITY',
    default: '24h',
    parse: (text, from) => {
      parseCertValidity(text, from);
      return text;
    },
  },
  renewalGrace: {
    flag: '--renewal-grace',
    env: 'PALYRA_RENEWAL_GRACE',
    default: '30d',
    parse: (text, from) => {
      parseRenewalGrace(text, from);
      return text;
    },
  },
  certValidityDays: { flag: '--cert-validity-days', env: 'PALYRA_CERT_VALIDITY_DAYS', default: 0, parse: parsers.integer(1, 365) },
  autoApprove: { flag: '--auto-approve', env: 'PALYRA_AUTO_APPROVE', default: 'off', parse: parsers.oneOf(AUTO_APPROVE_MODES) },
  logLevel: { flag: '--log-level', env: 'PALYRA_LOG_LEVEL', default: 'info', parse: parsers.oneOf(LOG_LEVELS) },
  store: {
    flag: '--store',
    env: 'PALYRA_STORE',
    default: '',
    parse: (text, from) => {
      parseStoreSetting(text, from);
      return text;
    },
    // `config show` prints the URL without its password.
    redact: (value) => redactPostgresUrl(value),
  },
  adminListen: { flag: '--admin-listen', env: 'PALYRA_ADMIN_LISTEN', default: '', parse: (t, from) => (t === '' ? t : hostPort(t, from)) },
  metricsListen: { flag: '--metrics-listen', env: 'PALYRA_METRICS_LISTEN', default: '', parse: (t, from) => (t === '' ? t : hostPort(t, from)) },
  auditMaxFileBytes: {
    flag: '--audit-max-file-bytes',
    env: 'PALYRA_AUDIT_MAX_FILE_BYTES',
    default: 64 * 1024 * 1024,
    parse: parsers.integer(MIN_AUDIT_MAX_FILE_BYTES, MAX_AUDIT_MAX_FILE_BYTES),
  },
};

const HOST_PORT_PATTERN = '^(\\[[^\\]]+\\]|[^:\\[\\]]+):[0-9]{1,5}$';
const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)?$';
/** `sqlite`, or a PostgreSQL URL (the driver checks the rest when it connects). */
const STORE_PATTERN = '^(sqlite|[Pp][Oo][Ss][Tt][Gg][Rr][Ee][Ss]([Qq][Ll])?://.+)$';

/** Schema of the `palyra` config file (e.g. palyra.config.json, .palyrarc.yaml). */
export const DAEMON_CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen: { type: 'string', pattern: HOST_PORT_PATTERN },
    quicListen: { anyOf: [{ type: 'string', pattern: HOST_PORT_PATTERN }, { const: 'off' }] },
    quicMaxConnections: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    healthPingsPerSecond: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    handshakeTimeout: { type: 'string', pattern: DURATION_PATTERN },
    maxConnections: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    maxConnectionsPerAddress: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    maxPairings: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    maxPairingsPerAddress: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    vault: { enum: ['auto', 'os', 'file'] },
    vaultKeyFile: { type: 'string', minLength: 1 },
    codeTtl: { type: 'string', pattern: DURATION_PATTERN },
    requestTtl: { type: 'string', pattern: DURATION_PATTERN },
    certValidity: { type: 'string', pattern: DURATION_PATTERN },
    renewalGrace: { type: 'string', pattern: DURATION_PATTERN },
    certValidityDays: { type: 'integer', minimum: 1, maximum: 365 },
    autoApprove: { enum: [...AUTO_APPROVE_MODES] },
    logLevel: { enum: [...LOG_LEVELS] },
    store: { type: 'string', pattern: STORE_PATTERN },
    adminListen: { type: 'string', pattern: HOST_PORT_PATTERN },
    metricsListen: { type: 'string', pattern: HOST_PORT_PATTERN },
    auditMaxFileBytes: { type: 'integer', minimum: MIN_AUDIT_MAX_FILE_BYTES, maximum: MAX_AUDIT_MAX_FILE_BYTES },
  },
};

export interface EffectiveDaemonConfig {
  settings: ResolvedSettings<DaemonSettings>;
  configFile: string | null;
}

/** Flags, then PALYRA_* environment, then the config file, then defaults. */
export async function loadDaemonSettings(
  flags: Partial<Record<keyof DaemonSettings, string | undefined>>,
  { configPath, env = process.env }: { configPath?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<EffectiveDaemonConfig> {
  const file = await loadConfigFile<DaemonSettings>({ name: 'palyra', schema: DAEMON_CONFIG_SCHEMA, explicitPath: configPath, envVar: 'PALYRA_CONFIG', env });
  return {
    settings: resolveSettings(DAEMON_SETTINGS, { flags, env, file: file.config, filePath: file.filepath }),
    configFile: file.filepath,
  };
}
