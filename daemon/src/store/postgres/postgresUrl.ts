/** The URL schemes that select PostgreSQL as the store (libpq accepts both). */
const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

/** Query parameters of a connection URL that hold secrets (libpq's names). */
const SECRET_PARAMS = new Set(['password', 'sslpassword']);

/** Whether a `store` setting names a PostgreSQL database. */
export function isPostgresUrl(value: string): boolean {
  return POSTGRES_URL.test(value);
}

/**
 * The URL without its password (in the user info or a `password=` parameter): for messages,
 * logs, the ready line and `palyrad status`. Works on the text itself, not through `URL`, which
 * refuses forms libpq accepts (`postgres://user@/db?host=/run/postgresql`).
 */
export function redactPostgresUrl(url: string): string {
  const scheme = POSTGRES_URL.exec(url)?.[0] ?? '';
  let rest = url.slice(scheme.length);
  const at = userInfoEnd(rest);
  if (at >= 0) {
    const userInfo = rest.slice(0, at);
    const colon = userInfo.indexOf(':');
    if (colon >= 0) rest = `${userInfo.slice(0, colon)}${rest.slice(at)}`;
  }
  const query = rest.indexOf('?');
  if (query < 0) return scheme + rest;
  const hash = rest.indexOf('#', query);
  const end = hash < 0 ? rest.length : hash;
  const kept = rest
    .slice(query + 1, end)
    .split('&')
    .filter((pair) => pair !== '' && !SECRET_PARAMS.has(decodeSafely(pair.split('=')[0] ?? '').toLowerCase()));
  return `${scheme}${rest.slice(0, query)}${kept.length === 0 ? '' : `?${kept.join('&')}`}${rest.slice(end)}`;
}

/**
 * The secrets a URL carries, as written and decoded: a message about a connection is scrubbed
 * of each before it is shown (a driver's message must never carry the password).
 */
export function secretsOfPostgresUrl(url: string): string[] {
  const found = new Set<string>();
  const scheme = POSTGRES_URL.exec(url)?.[0] ?? '';
  const rest = url.slice(scheme.length);
  const at = userInfoEnd(rest);
  if (at >= 0) {
    const userInfo = rest.slice(0, at);
    const colon = userInfo.indexOf(':');
    if (colon >= 0) found.add(userInfo.slice(colon + 1));
  }
  const query = rest.indexOf('?');
  if (query >= 0) {
    for (const pair of rest.slice(query + 1).split('#')[0]?.split('&') ?? []) {
      const [name = '', ...value] = pair.split('=');
      if (SECRET_PARAMS.has(decodeSafely(name).toLowerCase())) found.add(value.join('='));
    }
  }
  const all = new Set<string>();
  for (const secret of found) {
    if (secret === '') continue;
    all.add(secret);
    all.add(decodeSafely(secret));
  }
  return [...all];
}

/** `text` with every secret replaced by `***`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

/**
 * Where the user info ends: the last `@` of the URL. A password someone forgot to
 * percent-encode may hold `/`, `?` or `#`; a host never holds `@`. (A database name with an
 * `@` makes the shown URL shorter, never leakier.)
 */
function userInfoEnd(rest: string): number {
  return rest.lastIndexOf('@');
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
