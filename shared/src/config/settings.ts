import { PalyraError } from '../errors/index.js';

export type SettingSource = 'flag' | 'env' | 'config' | 'default';

export interface SettingSpec<T> {
  /** Environment variable, e.g. PALYRA_LISTEN. */
  env?: string;
  /** Command-line flag, for messages. */
  flag?: string;
  default: T;
  /** Parses a flag or env string; throws PalyraError naming `from`. */
  parse: (text: string, from: string) => T;
  /** Masked by `config show`. */
  secret?: boolean;
  /** What `config show` prints instead of the value, when part of it is secret (a URL's password). */
  redact?: (value: T) => T;
}

export interface ResolvedSetting<T> {
  value: T;
  source: SettingSource;
  secret: boolean;
  /** The value as `config show` prints it, when the spec redacts part of it. */
  shown?: T;
}

export type SettingsSpec<S> = { [K in keyof S]: SettingSpec<S[K]> };
export type ResolvedSettings<S> = { [K in keyof S]: ResolvedSetting<S[K]> };

/**
 * Resolves every setting with the documented precedence: flag, then PALYRA_* environment,
 * then the config file, then the built-in default; each value remembers where it came from.
 * Config-file values are already schema-validated; flag and env strings are parsed here.
 */
export function resolveSettings<S extends object>(
  spec: SettingsSpec<S>,
  sources: { flags: Partial<Record<keyof S, string | undefined>>; env: NodeJS.ProcessEnv; file: Partial<S>; filePath: string | null },
): ResolvedSettings<S> {
  const out = {} as ResolvedSettings<S>;
  for (const key of Object.keys(spec) as (keyof S)[]) {
    const setting = spec[key];
    const secret = setting.secret === true;
    const redact = setting.redact;
    const flag = sources.flags[key];
    const envValue = setting.env === undefined ? undefined : sources.env[setting.env];
    const fileValue = sources.file[key];
    if (flag !== undefined) {
      out[key] = { value: setting.parse(flag, setting.flag ?? String(key)), source: 'flag', secret };
    } else if (envValue !== undefined && envValue !== '') {
      out[key] = { value: setting.parse(envValue, setting.env ?? String(key)), source: 'env', secret };
    } else if (fileValue !== undefined) {
      out[key] = { value: fileValue as S[typeof key], source: 'config', secret };
    } else {
      out[key] = { value: setting.default, source: 'default', secret };
    }
    if (redact !== undefined) out[key].shown = redact(out[key].value);
  }
  return out;
}

/** The effective configuration as plain data, secrets masked. */
export function describeSettings<S extends object>(settings: ResolvedSettings<S>): Record<string, { value: unknown; source: SettingSource }> {
  const out: Record<string, { value: unknown; source: SettingSource }> = {};
  for (const [key, setting] of Object.entries(settings) as [string, ResolvedSetting<unknown>][]) {
    const value = setting.shown ?? setting.value;
    out[key] = { value: setting.secret && value !== undefined && value !== '' ? '********' : value, source: setting.source };
  }
  return out;
}

/** Parsers for common setting types. */
export const parsers = {
  string: (text: string): string => text,
  integer:
    (min: number, max: number) =>
    (text: string, from: string): number => {
      const value = Number(text);
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new PalyraError('PALYRA_E_USAGE', `${from} must be an integer from ${min} to ${max}, not "${text}"`);
      }
      return value;
    },
  oneOf:
    <T extends string>(values: readonly T[]) =>
    (text: string, from: string): T => {
      if (!(values as readonly string[]).includes(text)) {
        throw new PalyraError('PALYRA_E_USAGE', `${from} must be one of ${values.join(', ')}, not "${text}"`);
      }
      return text as T;
    },
};
