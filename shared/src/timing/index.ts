export { Backoff, backoffDelayMs } from './backoff.js';
export { sleep } from './sleep.js';
