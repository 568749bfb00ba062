/**
 * Chromium's command line. The network is the policy proxy's only: every connection the
 * browser makes (loopback included) goes through it, QUIC and background services are off,
 * and WebRTC may not send UDP around the proxy.
 */
export function chromiumArgs(proxyUrl: string, sandbox: boolean): string[] {
  return [
    ...(sandbox ? [] : ['--no-sandbox']),
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--disable-domain-reliability',
    '--no-pings',
    `--proxy-server=${proxyUrl}`,
    // Chromium never proxies loopback unless told to: the daemon may well listen there.
    '--proxy-bypass-list=<-loopback>',
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
  ];
}

/** Whether Chromium can use its sandbox: not as root (it refuses), nor when the grants turn it off. */
export function useSandbox(noSandbox: boolean): boolean {
  return !noSandbox && process.getuid?.() !== 0;
}

/** Variables the browser keeps from the agent's environment; the rest (tokens, secrets, proxies) stay out. */
const PASSED_ENV = ['PATH', 'HOME', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'XDG_RUNTIME_DIR', 'FONTCONFIG_PATH', 'FONTCONFIG_FILE'];

export function chromiumEnv(from: NodeJS.ProcessEnv, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_ENV) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}
