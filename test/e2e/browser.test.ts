/**
 * The browser plugin through the real binaries: a paired `palyra-node run --config <file>`
 * granting the built-in browser plugin a local site (and denying the daemon's own address),
 * driven with `palyrad nodes invoke ... --json`. Real Chromium.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRA_NODE, TempDirs, runBin, PALYRAD, spawnBin, stopProcesses, type RunningProcess } from '../helpers/processes.js';

interface InvokeJson {
  dispatchId: string;
  status: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each capability has its own output
  output: any;
  error: { code: string; message: string } | null;
  durationMs: number;
}

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
let agent: RunningProcess | undefined;
let site: Server | undefined;
let origin = '';
let deviceId = '';
/** Chromium processes the agent started, seen while it ran. */
const chromiumPids = new Set<number>();

function running(): DaemonProcess {
  if (daemon === undefined) throw new Error('the daemon did not start');
  return daemon;
}

async function invoke(capability: string, input: unknown): Promise<InvokeJson> {
  const result = await runBin(PALYRAD, ['nodes', 'invoke', deviceId, capability, '--input', JSON.stringify(input), '--timeout', '60s', '--json', '--state-dir', running().stateDir]);
  const json = JSON.parse(result.stdout) as InvokeJson;
  expect(result.code === 0, `exit ${result.code}: ${result.stdout} ${result.stderr}`).toBe(json.status === 'succeeded');
  return json;
}

/** Every descendant of `root` whose command line names chromium (read from /proc). */
function chromiumDescendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const found: number[] = [];
  for (const pid of parents.keys()) {
    let up = parents.get(pid);
    while (up !== undefined && up > 1 && up !== root) up = parents.get(up);
    if (up !== root) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('chromium')) found.push(pid);
    } catch {
      // gone
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-browser-');
  site = createServer((req, res) => {
    if (req.url === '/to-daemon') {
      // A page that sends the browser to the daemon's own gRPC address.
      res.writeHead(302, { location: `http://${running().ready.grpc}/` }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<title>Node page</title><h1>Served to palyra-node</h1>');
  });
  await new Promise<void>((resolve) => site?.listen(0, '127.0.0.1', resolve));
  const address = site.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;

  daemon = await DaemonProcess.start(join(base, 'daemon'));
  const nodeDir = join(base, 'node');
  deviceId = await pairNode(daemon, nodeDir, 'browser-node');
  const config = join(base, 'palyra-node.config.json');
  const grants = {
    // Any local port, as an operator might grant for a local app...
    allowUrls: ['http://127.0.0.1:*'],
    // ...but never the daemon itself.
    denyHosts: [daemon.ready.grpc],
    profilesDir: join(base, 'browser-profiles'),
  };
  await writeFile(config, `${JSON.stringify({ plugins: [{ use: 'browser', grants }] }, null, 2)}\n`);
  agent = spawnBin(PALYRA_NODE, ['run', '--state-dir', nodeDir, '--config', config]);
  await agent.waitFor(/^palyra-node ready device=\S+$/m, 30_000);
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  const pid = agent?.running === true ? agent.pid : undefined;
  if (pid !== undefined) for (const chromium of chromiumDescendants(pid)) chromiumPids.add(chromium);
  await agent?.stop();
  await stopProcesses();
  await new Promise<void>((resolve) => (site === undefined ? resolve() : site.close(() => resolve())));
  await dirs.cleanup();
  // The agent closed its browser when it stopped: nothing it started is left.
  const until = Date.now() + 15_000;
  while ([...chromiumPids].some(alive) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
  expect([...chromiumPids].filter(alive)).toEqual([]);
}, E2E_HOOK_TIMEOUT_MS);

describe('the browser plugin on a paired node', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('is announced with its six capabilities', async () => {
    const list = await running().json<NodeRow[]>('nodes', 'list');
    const row = list.find((n) => n.deviceId === deviceId);
    expect(row?.capabilities.filter((id) => id.startsWith('browser.'))).toEqual([
      'browser.navigate',
      'browser.text',
      'browser.screenshot',
      'browser.click',
      'browser.fill',
      'browser.pdf',
    ]);
  });

  it('palyrad nodes invoke browser.navigate drives a page on the node', async () => {
    const json = await invoke('browser.navigate', { url: `${origin}/` });
    expect(json).toMatchObject({ status: 'succeeded', error: null, output: { url: `${origin}/`, status: 200, title: 'Node page', blocked: [] } });
    if (agent !== undefined) for (const pid of chromiumDescendants(agent.pid)) chromiumPids.add(pid);
    expect(chromiumPids.size).toBeGreaterThan(0);
  });

  it('browser.screenshot returns a PNG of the default viewport', async () => {
    const started = Date.now();
    const json = await invoke('browser.screenshot', { url: `${origin}/` });
    const elapsed = Date.now() - started;
    expect(json.status).toBe('succeeded');
    const png = Buffer.from(json.output.data as string, 'base64');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 720]);
    console.log(`browser.screenshot through palyrad nodes invoke: ${elapsed} ms (dispatch ${json.durationMs} ms)`);
  });

  it("refuses a redirect to the daemon's own address (denyHosts), whatever allowUrls says", async () => {
    const json = await invoke('browser.navigate', { url: `${origin}/to-daemon` });
    expect(json.status).toBe('failed');
    expect(json.error?.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    expect(json.error?.message).toContain(`denyHosts entry "${running().ready.grpc}"`);
    expect(json.error?.message).toContain('redirect');
  });
});
