import { Box, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { useEffect, useReducer, useState, type ReactNode } from 'react';
import type { ApprovalRequest } from '../client/approvals.js';
import { describeFailure, followApprovals, type ApprovalsSource } from '../approvals/approvalsFeed.js';
import { approvalsLayout, formatAge, formatClock, listWindow, moreLabel, truncate, type ColumnWidths } from '../approvals/approvalsLayout.js';
import {
  approvalsReducer,
  initialApprovalsState,
  isConfirming,
  onlineCount,
  selectedIndex,
  targetRequest,
  type ApprovalsAction,
  type ApprovalsState,
  type LogKind,
} from '../approvals/approvalsState.js';

export interface ApprovalsAppProps {
  source: ApprovalsSource;
  /** Terminal size; default: the stdout's, following resizes. */
  size?: { columns: number; rows: number };
  /** Clock for ages; default Date.now. */
  now?: () => number;
  /** How often ages tick. Default 1 s. */
  tickMs?: number;
  /** Wait before watching again after a lost stream. */
  retryDelayMs?: (attempt: number) => number;
}

/**
 * `palyrad approvals`: the pending pairing requests, live, with their confirmation codes;
 * approve or reject with a confirmation; node sessions coming and going below.
 */
export function ApprovalsApp({ source, size, now = Date.now, tickMs = 1_000, retryDelayMs }: ApprovalsAppProps): ReactNode {
  const [state, dispatch] = useReducer(approvalsReducer, initialApprovalsState);
  const { exit } = useApp();
  const terminal = useTerminalSize(size);
  const [time, setTime] = useState(now);

  useEffect(() => {
    const timer = setInterval(() => setTime(now()), tickMs);
    return () => clearInterval(timer);
  }, [now, tickMs]);

  useEffect(() => {
    const abort = new AbortController();
    void followApprovals(source, dispatch, { signal: abort.signal, ...(retryDelayMs === undefined ? {} : { retryDelayMs }) });
    return () => abort.abort();
  }, [source, retryDelayMs]);

  // The reducer turns a confirmed decision into mode `deciding`; sending it is this effect's job
  // (once per mode object), so keys typed faster than renders still act on the latest state.
  const { mode } = state;
  useEffect(() => {
    if (mode.kind !== 'deciding') return;
    const { action, requestId, replaceIdentity } = mode;
    source.decide(requestId, action === 'approve', replaceIdentity).then(
      (request) => dispatch({ type: 'decision-done', action, request }),
      (error: unknown) => dispatch({ type: 'decision-failed', action, requestId, ...describeFailure(error) }),
    );
  }, [mode, source]);

  const layout = approvalsLayout(terminal, Math.max(9, ...state.requests.map((r) => r.sas.length)));

  useInput((input, key) => {
    if (key.ctrl && input === 'c') {
      exit();
      return;
    }
    for (const action of keyActions(input, key, layout.listLines)) {
      if (action === 'quit') {
        exit();
        return;
      }
      dispatch(action);
    }
  });

  return (
    <Box flexDirection="column" width={terminal.columns}>
      <Header state={state} />
      <RequestList state={state} now={time} lines={layout.listLines} columns={layout.columns} />
      <Box height={2} overflow="hidden">
        <Prompt state={state} />
      </Box>
      <Text dimColor wrap="truncate-end">
        {`─ events ${'─'.repeat(Math.max(0, terminal.columns - 9))}`}
      </Text>
      <EventLog state={state} lines={layout.logLines} />
      <Footer state={state} />
    </Box>
  );
}

/** The reducer actions for a key (several for pasted text); 'quit' ends the app. */
export function keyActions(input: string, key: Key, listLines: number): Array<ApprovalsAction | 'quit'> {
  if (key.upArrow) return [{ type: 'move', delta: -1 }];
  if (key.downArrow) return [{ type: 'move', delta: 1 }];
  if (key.pageUp) return [{ type: 'move', delta: -Math.max(1, listLines - 1) }];
  if (key.pageDown) return [{ type: 'move', delta: Math.max(1, listLines - 1) }];
  if (key.home) return [{ type: 'move-to', position: 'first' }];
  if (key.end) return [{ type: 'move-to', position: 'last' }];
  if (key.escape) return [{ type: 'cancel' }];
  if (key.ctrl || key.meta) return [];
  const actions: Array<ApprovalsAction | 'quit'> = [];
  for (const char of input) {
    switch (char) {
      case 'k':
        actions.push({ type: 'move', delta: -1 });
        break;
      case 'j':
        actions.push({ type: 'move', delta: 1 });
        break;
      case 'g':
        actions.push({ type: 'move-to', position: 'first' });
        break;
      case 'G':
        actions.push({ type: 'move-to', position: 'last' });
        break;
      case 'a':
        actions.push({ type: 'ask', action: 'approve' });
        break;
      case 'r':
        actions.push({ type: 'ask', action: 'reject' });
        break;
      case 'y':
      case 'Y':
        actions.push({ type: 'confirm' });
        break;
      // Not y: a second y typed (or pasted) in a hurry must not replace a node's identity.
      case 'R':
        actions.push({ type: 'confirm-replace' });
        break;
      case 'n':
      case 'N':
        actions.push({ type: 'cancel' });
        break;
      case 'q':
        actions.push('quit');
        return actions;
      default:
        break;
    }
  }
  return actions;
}

function useTerminalSize(fixed: { columns: number; rows: number } | undefined): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = (): { columns: number; rows: number } => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [measured, setMeasured] = useState(read);
  useEffect(() => {
    if (fixed !== undefined) return;
    const onResize = (): void => setMeasured(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return fixed ?? measured;
}

function Header({ state }: { state: ApprovalsState }): ReactNode {
  const pending = state.requests.length;
  const summary = !state.synced
    ? 'connecting to the daemon…'
    : `${pending} pending · nodes ${onlineCount(state)}/${state.nodes.length} online${state.connection === 'live' ? '' : ' (last known)'}`;
  return (
    <Box justifyContent="space-between">
      <Text wrap="truncate-end">
        <Text bold>Palyra approvals</Text>
        <Text>{`  ${summary}`}</Text>
      </Text>
      <Box flexShrink={0}>
        {state.connection === 'live' ? (
          <Text color="green">● live</Text>
        ) : state.connection === 'reconnecting' ? (
          <Text color="red">○ reconnecting</Text>
        ) : (
          <Text color="yellow">○ connecting</Text>
        )}
      </Box>
    </Box>
  );
}

function RequestList({ state, now, lines, columns }: { state: ApprovalsState; now: number; lines: number; columns: ColumnWidths }): ReactNode {
  const window = listWindow(state.requests.length, selectedIndex(state), lines);
  const shown = state.requests.slice(window.start, window.end);
  const more = window.hiddenAbove + window.hiddenBelow > 0;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={state.connection === 'live' ? 'gray' : 'red'} height={lines + 3}>
      <Row columns={columns} dim cells={{ marker: '', name: 'NAME', platform: 'PLATFORM', address: 'ADDRESS', sas: 'SAS', age: 'AGE', flag: '' }} />
      {state.requests.length === 0 ? (
        <Text dimColor wrap="truncate-end">
          {state.synced
            ? '  no pairing requests waiting: a node joins with palyra-node join --pin <PIN>'
            : state.connectionError === null
              ? '  connecting…'
              : `  ${state.connectionError}`}
        </Text>
      ) : null}
      {shown.map((request) => (
        <RequestRow
          key={request.requestId}
          request={request}
          now={now}
          columns={columns}
          selected={request.requestId === state.selectedId}
          stale={state.connection !== 'live'}
        />
      ))}
      {more ? (
        <Text dimColor wrap="truncate-end">
          {`  ${moreLabel(window)}`}
        </Text>
      ) : null}
    </Box>
  );
}

function RequestRow({
  request,
  now,
  columns,
  selected,
  stale,
}: {
  request: ApprovalRequest;
  now: number;
  columns: ColumnWidths;
  selected: boolean;
  /** Not connected: the row may no longer be true. */
  stale: boolean;
}): ReactNode {
  const expiringSoon = Date.parse(request.expiresAt) - now < 60_000;
  return (
    <Row
      columns={columns}
      selected={selected}
      dim={stale}
      cells={{
        marker: selected ? '›' : ' ',
        name: request.name,
        platform: request.platform,
        address: request.remoteAddress,
        sas: request.sas,
        age: formatAge(now - Date.parse(request.requestedAt)),
        // An identity change outranks a re-pair: it is what must not be approved by habit.
        flag: request.identityChange ? 'NEW KEY' : request.repair ? 're-pair' : '',
      }}
      colors={{ sas: 'cyan', flag: request.identityChange ? 'red' : 'yellow', ...(expiringSoon ? { age: 'red' } : {}) }}
    />
  );
}

type Cells = Record<keyof ColumnWidths, string>;

function Row({
  columns,
  cells,
  selected = false,
  dim = false,
  colors = {},
}: {
  columns: ColumnWidths;
  cells: Cells;
  selected?: boolean;
  dim?: boolean;
  colors?: Partial<Record<keyof ColumnWidths, string>>;
}): ReactNode {
  const order: Array<keyof ColumnWidths> = ['marker', 'name', 'platform', 'address', 'sas', 'age', 'flag'];
  return (
    <Box height={1}>
      {order
        .filter((column) => columns[column] > 0)
        .map((column) => (
          <Box key={column} width={columns[column]} flexShrink={0} paddingRight={column === 'flag' ? 0 : 1}>
            <Text
              wrap="truncate-end"
              dimColor={dim}
              bold={selected || column === 'sas'}
              inverse={selected && column !== 'marker'}
              {...(colors[column] === undefined ? {} : { color: colors[column] })}
            >
              {cells[column]}
            </Text>
          </Box>
        ))}
    </Box>
  );
}

function Prompt({ state }: { state: ApprovalsState }): ReactNode {
  const target = targetRequest(state);
  if (state.mode.kind === 'confirm-identity' && target !== undefined) {
    return (
      <Box flexDirection="column">
        <Text wrap="truncate-end">
          <Text bold color="red">{'REPLACE IDENTITY '}</Text>
          <Text>{`key ${target.previousKeyFingerprint} → ${target.keyFingerprint}?`}</Text>
        </Text>
        <Text wrap="truncate-end">
          <Text>{`${truncate(target.name, 24)}'s registered node loses its certificate. `}</Text>
          <Text bold>[R/n]</Text>
        </Text>
      </Box>
    );
  }
  if (state.mode.kind === 'confirm' && target !== undefined && target.identityChange && state.mode.action === 'approve') {
    const name = truncate(target.name, 32);
    return (
      <Box flexDirection="column">
        <Text wrap="truncate-end">
          <Text bold color="yellow">{`Approve ${name}`}</Text>
          <Text>{` (SAS `}</Text>
          <Text bold color="cyan">
            {target.sas}
          </Text>
          <Text>{`)? `}</Text>
          <Text bold>[y/n]</Text>
        </Text>
        <Text wrap="truncate-end" bold color="red">
          {`IDENTITY CHANGE: registered key ${target.previousKeyFingerprint} → ${target.keyFingerprint}`}
        </Text>
      </Box>
    );
  }
  if (state.mode.kind === 'confirm' && target !== undefined) {
    const verb = state.mode.action === 'approve' ? 'Approve' : 'Reject';
    // Two lines hold the prompt: the question and [y/n] come first, and a long name or
    // address must not push them out of sight.
    const name = truncate(target.name, 32);
    const from = truncate(target.remoteAddress || '?', 24);
    const repair = target.repair && state.mode.action === 'approve' ? ' Re-pair of a known device: its old certificate is revoked.' : '';
    return (
      <Text wrap="wrap">
        <Text bold color="yellow">{`${verb} ${name}`}</Text>
        <Text>{` (SAS `}</Text>
        <Text bold color="cyan">
          {target.sas}
        </Text>
        <Text>{`, from ${from})? `}</Text>
        <Text bold>[y/n]</Text>
        <Text color="yellow">{repair}</Text>
      </Text>
    );
  }
  if (state.mode.kind === 'deciding') {
    const name = truncate(target?.name ?? state.mode.requestId, 48);
    return <Text color="yellow">{`${state.mode.action === 'approve' ? 'approving' : 'rejecting'} ${name}…`}</Text>;
  }
  if (state.notice !== null) {
    return (
      <Text wrap="wrap" color={state.notice.level === 'error' ? 'red' : 'green'}>
        {state.notice.text}
      </Text>
    );
  }
  if (state.connection === 'reconnecting' && state.connectionError !== null) {
    return (
      <Text wrap="wrap" color="red">
        {`lost the daemon (${state.connectionError}): retrying`}
      </Text>
    );
  }
  return <Text> </Text>;
}

const LOG_COLORS: Record<LogKind, string | undefined> = {
  request: 'cyan',
  approved: 'green',
  rejected: 'yellow',
  expired: 'yellow',
  online: 'green',
  offline: 'gray',
  'cert-renewed': 'green',
  'cert-expiring': 'yellow',
  'cert-expired': 'red',
  info: undefined,
  error: 'red',
};

function EventLog({ state, lines }: { state: ApprovalsState; lines: number }): ReactNode {
  const shown = state.log.slice(-lines);
  return (
    <Box flexDirection="column" height={lines}>
      {shown.length === 0 ? <Text dimColor>  nodes going online and offline show here</Text> : null}
      {shown.map((line, index) => (
        <Text key={`${state.log.length - shown.length + index}`} wrap="truncate-end">
          <Text dimColor>{`${formatClock(line.at)} `}</Text>
          <Text {...(LOG_COLORS[line.kind] === undefined ? {} : { color: LOG_COLORS[line.kind] })}>{line.text}</Text>
        </Text>
      ))}
    </Box>
  );
}

function Footer({ state }: { state: ApprovalsState }): ReactNode {
  const keys = !isConfirming(state.mode)
    ? '↑↓/jk move · a approve · r reject · q quit'
    : state.mode.kind === 'confirm-identity'
      ? 'R replace the identity (only if that device really has a new key) · n/Esc cancel'
      : state.mode.action === 'approve'
        ? 'y approve (only if the node shows the same SAS) · n/Esc cancel'
        : 'y reject · n/Esc cancel · q quit';
  return (
    <Text dimColor wrap="truncate-end">
      {keys}
    </Text>
  );
}
