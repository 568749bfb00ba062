export { displayText, hasUnsafeText } from './peerText.js';
