import type { HealthPing__Output, HealthRequest__Output } from '@palyra/proto';
import { parseHealthParams, type HealthParams } from '@palyra/shared/quic';

/**
 * A gRPC health message (the unary HealthRequest or a Session stream's HealthPing) as the
 * HealthParams NodeHealth records, validated with the same bounds as over QUIC
 * (PALYRA_E_INVALID_ARGUMENT otherwise).
 */
export function healthParamsFromProto(message: HealthRequest__Output | HealthPing__Output): HealthParams {
  const loadAvg = message.loadAvg;
  return parseHealthParams({
    sentAtMs: Number(message.sentAtMs),
    agentVersion: message.agentVersion,
    uptimeSec: message.uptimeSec,
    loadAvg: loadAvg.length === 3 ? loadAvg : [0, 0, 0],
    memory: {
      totalBytes: Number(message.memoryTotalBytes),
      freeBytes: Number(message.memoryFreeBytes),
      rssBytes: Number(message.memoryRssBytes),
    },
  });
}

/** A reported round trip worth recording: positive and under an hour. */
export function reportedRttMs(lastRttMs: number): number | undefined {
  return lastRttMs > 0 && lastRttMs < 3_600_000 ? lastRttMs : undefined;
}
