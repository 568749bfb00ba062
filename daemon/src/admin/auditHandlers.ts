import type * as grpc from '@grpc/grpc-js';
import { toServiceError, type AuditVerification, type ListAuditRequest__Output, type ListAuditResponse, type VerifyAuditRequest__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { actorOf } from '../access/callActor.js';
import { auditActorOf } from '../access/auditDenied.js';
import type { AuditSink } from '../audit/types.js';
import type { AuditReader } from './AdminServiceImpl.js';

/** AdminService.ListAudit: entries in seq order matching the filters, paged by seq. */
export function listAuditHandler(reader: AuditReader | undefined): grpc.handleUnaryCall<ListAuditRequest__Output, ListAuditResponse> {
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
      return { entriesJson: page.lines, lastSeq: page.lastSeq, more: page.more };
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
