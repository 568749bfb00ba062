import type { ErrorInfo } from '@palyra/proto';

/** An error as the admin API sends it: code, message and its details as JSON ('' for none). */
export function toErrorInfo(error: { code: string; message: string; details?: Record<string, unknown> | undefined }): ErrorInfo {
  return { code: error.code, message: error.message, detailsJson: error.details === undefined ? '' : JSON.stringify(error.details) };
}
