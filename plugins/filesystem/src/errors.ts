import { PalyraError } from '@palyra/shared/errors';

/** A refusal: the path is outside what the grants allow. Never names what lies outside. */
export function denied(path: string, roots: readonly string[], reason: string): PalyraError {
  const granted = roots.length === 0 ? 'no roots are granted' : `granted roots: ${roots.join(', ')}`;
  return new PalyraError('PALYRA_E_CAPABILITY_DENIED', `path ${JSON.stringify(path)} refused: ${reason} (${granted})`, {
    details: { path, roots: [...roots] },
  });
}

export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function notFound(path: string, action: string, cause?: unknown, errno = 'ENOENT'): PalyraError {
  return new PalyraError('PALYRA_E_FS_NOT_FOUND', `cannot ${action} ${JSON.stringify(path)}: it does not exist`, {
    cause,
    details: { path, errno },
  });
}

/** Maps an error from node:fs to PALYRA_E_FS_NOT_FOUND or PALYRA_E_FS_IO, naming the path. */
export function fsError(error: unknown, path: string, action: string): PalyraError {
  if (error instanceof PalyraError) return error;
  const errno = errnoOf(error);
  if (errno === 'ENOENT' || errno === 'ENOTDIR') return notFound(path, action, error, errno);
  return new PalyraError('PALYRA_E_FS_IO', `cannot ${action} ${JSON.stringify(path)}: ${errno ?? (error as Error).message}`, {
    cause: error,
    details: errno === undefined ? { path } : { path, errno },
  });
}
