export { resolveStateDir, type ProgramName } from './stateDir.js';
export { parseDuration } from './duration.js';
export { parseHostPort, formatHostPort, type HostPort } from './address.js';
