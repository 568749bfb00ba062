export { displayText, hasUnsafeText } from '@palyra/plugin-sdk/host';
export { quoteShell } from './quoteShell.js';
