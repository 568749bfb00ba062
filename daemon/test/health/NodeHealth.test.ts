/** NodeHealth's ping budget: a burst, then a steady rate, per node, forgotten with the node. */
import { describe, expect, it } from 'vitest';
import { HEALTH_PING_BURST, HEALTH_PINGS_PER_SECOND, NodeHealth } from '../../src/health/NodeHealth.js';

const A = '01JA0000000000000000000AAA';
const B = '01JB0000000000000000000BBB';
const at = (ms: number): Date => new Date(1_800_000_000_000 + ms);

function admitted(health: NodeHealth, deviceId: string, when: Date): boolean {
  try {
    health.admitPing(deviceId, when);
    return true;
  } catch (error) {
    expect(error).toMatchObject({ code: 'PALYRA_E_LIMIT_EXCEEDED' });
    return false;
  }
}

describe('NodeHealth.admitPing', () => {
  it('admits a burst, refuses the ping after it, and admits again as the budget refills', () => {
    const health = new NodeHealth();
    for (let i = 0; i < HEALTH_PING_BURST; i += 1) expect(admitted(health, A, at(0))).toBe(true);
    expect(admitted(health, A, at(0))).toBe(false);
    expect(admitted(health, A, at(1000 / HEALTH_PINGS_PER_SECOND))).toBe(true);
    expect(admitted(health, A, at(1000 / HEALTH_PINGS_PER_SECOND))).toBe(false);
  });

  it('keeps one budget per node: a flooding node does not spend another\'s', () => {
    const health = new NodeHealth();
    for (let i = 0; i < HEALTH_PING_BURST + 5; i += 1) admitted(health, A, at(0));
    expect(admitted(health, B, at(0))).toBe(true);
  });

  it('never refuses an agent pinging at a steady rate within the limit', () => {
    const health = new NodeHealth();
    for (let i = 0; i < 1000; i += 1) expect(admitted(health, A, at(i * (1000 / HEALTH_PINGS_PER_SECOND)))).toBe(true);
  });

  it('forgets the budget of a removed node', () => {
    const health = new NodeHealth();
    for (let i = 0; i < HEALTH_PING_BURST; i += 1) admitted(health, A, at(0));
    health.forget(A);
    expect(admitted(health, A, at(0))).toBe(true);
  });

  it('takes its rate from the daemon option, with a burst of twice the rate', () => {
    const health = new NodeHealth({ pingsPerSecond: 2 });
    for (let i = 0; i < 4; i += 1) expect(admitted(health, A, at(0))).toBe(true);
    expect(admitted(health, A, at(0))).toBe(false);
    expect(admitted(health, A, at(500))).toBe(true);
  });
});
