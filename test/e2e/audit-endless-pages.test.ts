/**
 * `palyrad audit` against a daemon that answers ListAudit with page after page, forever (a
 * compromised daemon, or simply a very long log): the CLI must print each page as it comes,
 * never hold the whole log in memory. A real grpc-js server plays the daemon on the admin
 * socket of a temp state dir; the real built CLI reads it.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadPalyraProto, type AdminServiceHandlers } from '@palyra/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_SOCKET_NAME } from '../../daemon/src/admin/socketName.js';
import { E2E_TEST_TIMEOUT_MS, PALYRAD, TempDirs, spawnBin, stopProcesses } from '../helpers/processes.js';

const dirs = new TempDirs();
let server: grpc.Server | undefined;

afterEach(async () => {
  await stopProcesses();
  server?.forceShutdown();
  server = undefined;
  await dirs.cleanup();
});

const PAGE = 1000;

function entryJson(seq: number): string {
  return JSON.stringify({ seq, at: new Date(0).toISOString(), action: 'pairing.code.create', actor: { kind: 'daemon' }, outcome: 'ok', details: { pad: 'x'.repeat(200) }, prev: '0'.repeat(64), hash: '0'.repeat(64) });
}

describe('palyrad audit against endless pages', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  for (const json of [false, true]) {
    it(`prints page by page${json ? ' (--json)' : ''}: the first entries appear while the daemon is still sending`, async () => {
      const stateDir = await dirs.make('palyra-e2e-audit-endless-');
      let pages = 0;
      const handlers: Pick<AdminServiceHandlers, 'ListAudit'> = {
        ListAudit(call, callback) {
          pages += 1;
          const after = Number(call.request.afterSeq);
          const entriesJson = Array.from({ length: PAGE }, (_, i) => entryJson(after + i + 1));
          callback(null, { entriesJson, lastSeq: after + PAGE, more: true });
        },
      };
      server = new grpc.Server();
      server.addService(loadPalyraProto().AdminService.service, handlers as AdminServiceHandlers);
      await new Promise<number>((resolve, reject) =>
        (server as grpc.Server).bindAsync(`unix://${join(stateDir, ADMIN_SOCKET_NAME)}`, grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
      );
      const cli = spawnBin(PALYRAD, ['audit', '--state-dir', stateDir, ...(json ? ['--json'] : [])]);
      await cli.waitFor(json ? /"seq": 1,/ : /#1 {2}daemon/);
      expect(cli.running).toBe(true);
      expect(pages).toBeGreaterThanOrEqual(1);
      await cli.stop();
    });
  }
});
