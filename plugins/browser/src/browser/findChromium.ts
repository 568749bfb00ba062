import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';

/** Where Chromium or Chrome usually lives, in the order they are tried. */
export const CHROMIUM_LOCATIONS: readonly string[] = Object.freeze([
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/usr/lib/chromium/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
]);

const INSTALL_HINT = 'install Chromium (Debian/Ubuntu: apt-get install chromium), or set grants.chromiumPath or CHROME_PATH';

/**
 * The browser binary: `grants.chromiumPath`, else `CHROME_PATH`, else the first usual location
 * that is an executable file. A path given explicitly must work; it never falls back to another.
 * Nothing found is PALYRA_E_EXEC_FAILED naming what to install.
 */
export async function findChromium(
  granted: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  locations: readonly string[] = CHROMIUM_LOCATIONS,
): Promise<string> {
  if (granted !== undefined) return requireExecutable(granted, 'grants.chromiumPath');
  const fromEnv = env.CHROME_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isAbsolute(fromEnv)) throw notUsable(fromEnv, 'CHROME_PATH', 'is not an absolute path');
    return requireExecutable(fromEnv, 'CHROME_PATH');
  }
  for (const candidate of locations) {
    if ((await problemWith(candidate)) === undefined) return candidate;
  }
  throw new PalyraError('PALYRA_E_EXEC_FAILED', `no Chromium found on this node: ${INSTALL_HINT} (looked in ${locations.join(', ')})`, {
    details: { looked: [...locations] },
  });
}

async function requireExecutable(path: string, source: string): Promise<string> {
  const problem = await problemWith(path);
  if (problem !== undefined) throw notUsable(path, source, problem);
  return path;
}

async function problemWith(path: string): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) return 'is not a file';
    await access(path, constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : code === 'EACCES' ? 'is not executable' : `cannot be used (${code ?? 'error'})`;
  }
}

function notUsable(path: string, source: string, problem: string): PalyraError {
  return new PalyraError('PALYRA_E_EXEC_FAILED', `the Chromium binary ${path} (from ${source}) ${problem}: ${INSTALL_HINT}`, {
    details: { path, source },
  });
}
