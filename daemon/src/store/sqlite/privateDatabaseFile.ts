import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { PalyraError } from '@palyra/shared/errors';

/**
 * Creates an empty database file, exactly 0600, before SQLite does (it would create it 0644, less the
 * umask), never through a link. False when something exists there already (another opener
 * created it meanwhile); other failures are PALYRA_E_STATE_IO naming `what`.
 */
export async function createPrivateDatabaseFile(file: string, what: string): Promise<boolean> {
  try {
    const handle = await open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0), 0o600);
    try {
      // Exactly 0600 whatever the umask (it may have taken the owner's write bit too).
      await handle.chmod(0o600);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new PalyraError('PALYRA_E_STATE_IO', `cannot create ${what} ${file}: ${(error as Error).message}`, { cause: error, details: { file } });
  }
}
