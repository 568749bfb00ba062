import type * as grpc from '@grpc/grpc-js';
import { toServiceError, type AuditVerification, type ListAuditRequest__Output, type ListAuditResponse, type VerifyAuditRequest__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { actorOf } from '../access/callActor.js';
import { auditActorOf } from '../access/auditDenied.js';
import type { AuditSink } from '../audit/types.js';
import type { AuditReader } from './AdminServiceImpl.js';

/**
 * AdminService.ListAudit: entries in seq order matching the filters, paged by seq. `nodeVisibleTo`
 * (a token limited by a node selector): entries about a node, or by a node, it may not see are
 * left out after the page is read (a page may then hold fewer than `limit`; lastSeq still pages on).
 */
export function listAuditHandler(
  reader: AuditReader | undefined,
  nodeVisibleTo?: (call: object) => ((deviceId: string) => boolean) | undefined,
): grpc.handleUnaryCall<ListAuditRequest__Output, ListAuditResponse> {
  return (call, callback) => {
    const run = async (): Promise<ListAuditResponse> => {
      const log = readerOf(reader);
      const request = call.request;
      let since: Date | undefined;
      if (request.since !== '') {
        since = new Date(request.since);
        if (Number.isNaN(since.getTime())) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'since must be an RFC 3339 time');
      }
      const page = await log.list({
        afterSeq: Number(request.afterSeq),
        ...(since === undefined ? {} : { since }),
        ...(request.actor === '' ? {} : { actor: request.actor }),
        ...(request.node === '' ? {} : { node: request.node }),
        ...(request.action === '' ? {} : { action: request.action }),
        ...(request.limit === 0 ? {} : { limit: request.limit }),
      });
      const visible = nodeVisibleTo?.(call);
      const shown = visible === undefined ? page.lines : page.lines.filter((line) => entryVisible(line, visible));
      return { entriesJson: shown, lastSeq: page.lastSeq, more: page.more };
    };
    run().then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error)),
    );
  };
}

/**
 * AdminService.VerifyAudit: walks the whole log, then records that it did (`audit.verify`,
 * with what it found) before answering. A log that fails is an answer (ok false, naming the
 * first bad entry), not an error: the CLI turns it into PALYRA_E_AUDIT_TAMPERED.
 */
export function verifyAuditHandler(reader: AuditReader | undefined, audit: AuditSink | undefined): grpc.handleUnaryCall<VerifyAuditRequest__Output, AuditVerification> {
  return (call, callback) => {
    const run = async (): Promise<AuditVerification> => {
      const report = await readerOf(reader).verify();
      const actor = actorOf(call);
      await audit?.append({
        action: 'audit.verify',
        actor: auditActorOf(actor),
        remoteAddress: actor.remoteAddress,
        outcome: report.ok ? 'ok' : 'tampered',
        details: report.ok
          ? { entries: report.entries, files: report.files, lastSeq: report.lastSeq }
          : { entries: report.entries, firstBadSeq: report.firstBadSeq, firstBadFile: report.firstBadFile, firstBadLine: report.firstBadLine, problem: report.problem },
      });
      return { ...report };
    };
    run().then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error)),
    );
  };
}

function readerOf(reader: AuditReader | undefined): AuditReader {
  if (reader === undefined) throw new PalyraError('PALYRA_E_INTERNAL', 'the audit log is not available in this daemon');
  return reader;
}

/** Whether an entry names no node the caller may not see (as the node acted on, or as its actor). */
function entryVisible(line: string, visible: (deviceId: string) => boolean): boolean {
  let entry: { node?: unknown; actor?: { kind?: unknown; deviceId?: unknown } };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return false;
  }
  if (typeof entry.node === 'string' && entry.node !== '' && !visible(entry.node)) return false;
  const deviceId = entry.actor?.kind === 'node' ? entry.actor.deviceId : undefined;
  return typeof deviceId !== 'string' || visible(deviceId);
}
