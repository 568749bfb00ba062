import type { Capability__Output, DaemonMessage, Dispatch__Output, NodeMessage__Output } from '@palyra/proto';
import {
  DispatchCoordinator,
  NodeCapabilities,
  SchemaWorker,
  type Dispatch,
  type DispatchCoordinatorOptions,
  type DispatchEvent,
  type SchemaWorkerOptions,
  type SessionReport,
} from '../../src/dispatch/index.js';

/** A capability as a node announces it in RegisterNode. */
export function capability(id: string, plugin: string, inputSchema: Record<string, unknown>): Capability__Output {
  return {
    id,
    kind: 'read',
    description: `${id} for tests`,
    plugin,
    inputSchemaJson: JSON.stringify(inputSchema),
    outputSchemaJson: JSON.stringify({ type: 'object' }),
  };
}

export const ECHO = capability('echo.say', 'echo', {
  type: 'object',
  additionalProperties: false,
  required: ['text'],
  properties: { text: { type: 'string', maxLength: 10 } },
});

/**
 * The schema worker the tests of a file share: a real worker thread. Call it in beforeAll, and
 * stop it in afterAll.
 */
export function startSchemaWorker(options: SchemaWorkerOptions = {}): SchemaWorker {
  const worker = new SchemaWorker(options);
  worker.start();
  return worker;
}

/** A daemon-side world: a coordinator with real NodeCapabilities and a set of registered devices. */
export class World {
  readonly capabilities: NodeCapabilities;
  readonly registered = new Set<string>();
  readonly coordinator: DispatchCoordinator;

  constructor(schemas: SchemaWorker, options: Partial<Omit<DispatchCoordinatorOptions, 'capabilities' | 'isRegistered'>> = {}, capabilities?: NodeCapabilities) {
    // A world built after a "restart" shares the schemas' compiled capabilities of the one before.
    this.capabilities = capabilities ?? new NodeCapabilities(schemas);
    this.coordinator = new DispatchCoordinator({
      capabilities: this.capabilities,
      isRegistered: (deviceId) => this.registered.has(deviceId),
      ...options,
    });
  }

  /** Registers a device and announces its capabilities (compiled in the worker); not connected yet. */
  async node(deviceId: string, announced: Capability__Output[] = [ECHO]): Promise<FakeNode> {
    this.registered.add(deviceId);
    await this.capabilities.set(deviceId, announced);
    return new FakeNode(this.coordinator, deviceId);
  }

  /**
   * Submits, and resolves once the input check in the schema worker is over. Refusals of the
   * request itself are still thrown at once.
   */
  async submit(deviceId: string, input: unknown = { text: 'hi' }, extra: { capability?: string; timeoutMs?: number; idempotencyKey?: string } = {}): Promise<Dispatch> {
    const { dispatch, checked } = await this.coordinator.submit({
      deviceId,
      capability: extra.capability ?? 'echo.say',
      input,
      timeoutMs: extra.timeoutMs ?? 60_000,
      ...(extra.idempotencyKey === undefined ? {} : { idempotencyKey: extra.idempotencyKey }),
    });
    await checked;
    return dispatch;
  }
}

/**
 * Stands in for a node's Session stream, the coordinator's collaborator: records what the
 * daemon sends down the stream and reports back as a node would.
 */
export class FakeNode {
  readonly sent: DaemonMessage[] = [];

  constructor(
    private readonly coordinator: DispatchCoordinator,
    readonly deviceId: string,
  ) {}

  /** Opens a session; `report` is what its hello says about dispatches of earlier sessions. */
  connect(report?: SessionReport): this {
    this.coordinator.nodeOnline(this.deviceId, (message) => this.sent.push(message), report);
    return this;
  }

  disconnect(): void {
    this.coordinator.nodeOffline(this.deviceId);
  }

  /** The dispatches sent down the stream, in order. */
  get dispatches(): Dispatch__Output[] {
    return this.sent.flatMap((m) => (m.dispatch ? [m.dispatch as Dispatch__Output] : []));
  }

  get dispatchedIds(): string[] {
    return this.dispatches.map((d) => d.dispatchId);
  }

  /** The cancels sent down the stream: [dispatchId, reason]. */
  get cancels(): Array<[string, string]> {
    return this.sent.flatMap((m) => (m.cancel ? [[m.cancel.dispatchId ?? '', m.cancel.reason ?? '']] : []));
  }

  started(dispatchId: string): void {
    this.report({ body: 'started', started: { dispatchId } });
  }

  output(dispatchId: string, chunk: string, progress: { ratio?: number; message?: string } = {}): void {
    this.report({
      body: 'output',
      output: { dispatchId, chunk: Buffer.from(chunk), progressRatio: progress.ratio ?? 0, progressMessage: progress.message ?? '' },
    });
  }

  result(dispatchId: string, status: string, outputJson = '', error: { code: string; message: string } | null = null): void {
    this.report({
      body: 'result',
      result: { dispatchId, status, outputJson, error: error === null ? null : { ...error, detailsJson: '' } },
    });
  }

  succeed(dispatchId: string, output: unknown = { said: 'hi' }): void {
    this.result(dispatchId, 'succeeded', JSON.stringify(output));
  }

  report(message: NodeMessage__Output): void {
    this.coordinator.handleNodeMessage(this.deviceId, message);
  }
}

/** Records every event a dispatch emits from now on. */
export function record(dispatch: Dispatch): DispatchEvent[] {
  const events: DispatchEvent[] = [];
  dispatch.subscribe((event) => events.push(event));
  return events;
}
