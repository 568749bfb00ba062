import { PalyraError } from '@palyra/shared/errors';

export const PROFILE_ENV = 'PALYRA_PROFILE';
export const TOKEN_ENV = 'PALYRA_TOKEN';
export const CA_FINGERPRINT_ENV = 'PALYRA_CA_FINGERPRINT';

/** Which daemon a command talks to, and how. */
export type ControlTarget =
  | { kind: 'local'; stateDir: string }
  | { kind: 'profile'; name: string }
  | { kind: 'address'; address: string; caFingerprint: string; token: string };

export interface TargetFlags {
  profile?: string | undefined;
  daemon?: string | undefined;
  caFingerprint?: string | undefined;
  stateDir?: string | undefined;
}

/**
 * Resolves where a command goes: `--profile`, then `--daemon` (with `--ca-fingerprint` or
 * PALYRA_CA_FINGERPRINT, and the token in PALYRA_TOKEN: never on the command line, where `ps`
 * shows it), then PALYRA_PROFILE, then the local admin socket of the state dir. An explicit
 * `--state-dir` asks for the local daemon and so beats PALYRA_PROFILE (flags beat the
 * environment). Flags that ask for two different daemons are PALYRA_E_USAGE.
 */
export function resolveControlTarget(flags: TargetFlags, localStateDir: () => string, env: NodeJS.ProcessEnv = process.env): ControlTarget {
  const given = (value: string | undefined): value is string => value !== undefined && value !== '';
  if (given(flags.profile) && given(flags.daemon)) {
    throw new PalyraError('PALYRA_E_USAGE', '--profile and --daemon each choose a daemon: give one of them');
  }
  if ((given(flags.profile) || given(flags.daemon)) && given(flags.stateDir)) {
    throw new PalyraError('PALYRA_E_USAGE', `--state-dir is for the daemon on this host; --${given(flags.profile) ? 'profile' : 'daemon'} reaches one remotely: give one of them`);
  }
  if (given(flags.caFingerprint) && !given(flags.daemon)) {
    throw new PalyraError('PALYRA_E_USAGE', '--ca-fingerprint goes with --daemon HOST:PORT (a profile keeps its own)');
  }
  if (given(flags.profile)) return { kind: 'profile', name: flags.profile };
  if (given(flags.daemon)) {
    const caFingerprint = given(flags.caFingerprint) ? flags.caFingerprint : env[CA_FINGERPRINT_ENV];
    if (!given(caFingerprint)) {
      throw new PalyraError('PALYRA_E_USAGE', `--daemon needs the daemon's CA fingerprint: --ca-fingerprint FP or ${CA_FINGERPRINT_ENV} (the ca= of its ready line, palyrad status on its host)`);
    }
    const token = env[TOKEN_ENV];
    if (!given(token)) {
      throw new PalyraError('PALYRA_E_USAGE', `--daemon needs an API token in ${TOKEN_ENV} (palyrad tokens create prints one), or use a saved profile: palyrad auth login`);
    }
    return { kind: 'address', address: flags.daemon, caFingerprint, token };
  }
  const fromEnv = env[PROFILE_ENV];
  if (given(fromEnv) && !given(flags.stateDir)) return { kind: 'profile', name: fromEnv };
  return { kind: 'local', stateDir: localStateDir() };
}

/** The target as one phrase, for messages: `profile prod`, `127.0.0.1:7444`, `/var/lib/palyra`. */
export function describeTarget(target: ControlTarget): string {
  return target.kind === 'profile' ? `profile ${target.name}` : target.kind === 'address' ? target.address : target.stateDir;
}
