import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A stand-in for systemctl (PALYRA_TEST_SYSTEMCTL) on hosts where systemd is not PID 1 (CI
 * containers): it records each call, one line of arguments, and answers `show` with fixed
 * properties. Everything else (the unit file, its path, useradd) is real. `failOn` makes the
 * call whose arguments contain that word fail with a message on stderr.
 */
export async function fakeSystemctl(dir: string, options: { failOn?: string } = {}): Promise<{ bin: string; calls: () => Promise<string[]> }> {
  const log = join(dir, 'systemctl.calls');
  const bin = join(dir, 'systemctl');
  const fail = options.failOn === undefined ? '' : `case " $* " in *" ${options.failOn} "*) echo "Failed to ${options.failOn} unit: Access denied" >&2; exit 1;; esac\n`;
  await writeFile(
    bin,
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n${fail}case " $* " in *" show "*)\n  printf 'LoadState=loaded\\nActiveState=active\\nSubState=running\\nUnitFileState=enabled\\nMainPID=4242\\nActiveEnterTimestamp=Mon 2026-12-07 05:00:00 UTC\\n';;\nesac\nexit 0\n`,
  );
  await chmod(bin, 0o755);
  return {
    bin,
    calls: async () => {
      try {
        return (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '');
      } catch {
        return [];
      }
    },
  };
}
