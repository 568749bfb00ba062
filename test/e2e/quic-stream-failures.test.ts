/**
 * Issue 13, item 5: a QUIC node stream the daemon resets is logged with its code, and a node
 * that sends bad streams in a flood cannot flood the log (RateLimitedLog: one line per code,
 * then one summary). A real palyrad process, a node paired through the real join, and the
 * agent's own QUIC client presenting that node's certificate, sending malformed frames.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeFrame, encodeJsonFrame, parseHostPort } from '@palyra/shared';
import { QuicDaemonClient } from '../../agent/src/connection/quic/QuicDaemonClient.js';
import { healthParams } from '../../agent/src/connection/HealthChannel.js';
import { pairedNodeIdentity } from '../helpers/rogueNode.js';
import { DaemonProcess } from '../helpers/daemonHarness.js';
import { E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs } from '../helpers/processes.js';
import { Scope } from '../integration/harness.js';

const dirs = new TempDirs();
let scope: Scope;
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
  await stopProcesses();
  await dirs.cleanup();
});

const RESET_LINE = /^\{"level":40,.*"code":"PALYRA_E_FRAME_MALFORMED".*"msg":"QUIC node stream reset"\}$/gm;
const REFUSED_LINE = /^\{"level":30,.*"method":"node.health_stream","code":"PALYRA_E_INVALID_ARGUMENT".*"msg":"QUIC node stream request refused"\}$/gm;
const SUMMARY_LINE = /^\{"level":40,.*"code":"PALYRA_E_FRAME_MALFORMED".*"suppressed":(\d+).*"msg":"QUIC node stream reset \(\d+ more since the last line like this\)"\}$/gm;

describe('QUIC node stream failures in the daemon log (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('logs a malformed stream once with its code, and a flood of them as one summary line', async () => {
    const daemon = await DaemonProcess.start(await dirs.make('palyra-e2e-quic-log-'));
    const node = await pairedNodeIdentity(scope, daemon, 'rogue-quic');
    const client = await QuicDaemonClient.connect({ address: parseHostPort(daemon.ready.quic), credentials: node, timeoutMs: 10_000 });
    scope.defer(() => client.close());

    const first = client.openStream();
    await first.writer.write(encodeFrame(Buffer.from('{"method": nope')));
    await expect(first.frames.next()).rejects.toMatchObject({ code: 'PALYRA_E_FRAME_MALFORMED' });
    await daemon.process.waitFor(RESET_LINE, 20_000, 'stderr');

    // A flood: request frames that are not JSON, and pings on the health stream that are not pings.
    const FLOOD = 60;
    for (let i = 0; i < FLOOD; i += 1) {
      const stream = client.openStream();
      if (i % 2 === 0) {
        await stream.writer.write(encodeFrame(Buffer.from(`not json ${i}`)));
      } else {
        await stream.writer.write(encodeJsonFrame({ method: 'node.health_stream' }));
        await stream.frames.nextJson();
        await stream.writer.write(encodeFrame(Buffer.from('{"ping":')));
      }
      await expect(stream.frames.next()).rejects.toMatchObject({ code: 'PALYRA_E_FRAME_MALFORMED' });
    }
    // Well-formed but refused (error frame, not a reset): logged at info with its code, rate-limited alike.
    for (let i = 0; i < 3; i += 1) {
      const refused = client.openStream();
      await refused.writer.write(encodeJsonFrame({ method: 'node.health_stream' }));
      await refused.frames.nextJson();
      await refused.writer.write(encodeJsonFrame({ ping: { ...healthParams(), uptimeSec: -1 } }));
      expect(await refused.frames.nextJson()).toMatchObject({ error: { code: 'PALYRA_E_INVALID_ARGUMENT' } });
    }
    await daemon.process.waitFor(REFUSED_LINE, 20_000, 'stderr');

    // The connection survived its bad streams: a health call still works.
    await client.health(healthParams(), { timeoutMs: 10_000 });

    const stopped = await daemon.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
    // One line when it started, one summary (written at stop) counting the rest.
    expect(stopped.stderr.match(RESET_LINE) ?? []).toHaveLength(1);
    const summaries = [...stopped.stderr.matchAll(SUMMARY_LINE)];
    expect(summaries).toHaveLength(1);
    expect(Number(summaries[0]?.[1])).toBe(FLOOD);
    expect(stopped.stderr.match(REFUSED_LINE) ?? []).toHaveLength(1);
    // The device is named; the peer's text is not echoed raw (the message is JSON-escaped by pino).
    expect(stopped.stderr).toMatch(new RegExp(`"deviceId":"${node.deviceId}".*"msg":"QUIC node stream reset"`));
  });
});
