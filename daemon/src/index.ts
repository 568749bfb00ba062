export { Daemon, type DaemonInfo, type DaemonOptions } from './Daemon.js';
export { ControlClient, type CallOptions } from './client/ControlClient.js';
export type { RemoteOptions } from './client/remote/remoteTransport.js';
export type { InvocationEvent, InvocationResult, InvokeRequestOptions } from './client/invocation.js';
export type { FanoutNodeResult, FanoutStatus, FanoutTarget } from './client/fanout/types.js';
export type { InvokeManyOptions } from './client/fanout/invokeMany.js';
export type { DispatchView } from './client/dispatches.js';
export type { DispatchStatus } from './dispatch/types.js';
export type { ApprovalNode, ApprovalRequest, ApprovalsEvent, RequestOutcome } from './client/approvals.js';
