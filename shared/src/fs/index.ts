export { assertPrivateFile, ensurePrivateDir, writePrivateFileAtomic } from './privateFiles.js';
