export { displayText, hasUnsafeText } from '@palyra/plugin-sdk/host';
