export { assertPrivateFile, ensurePrivateDir, writePrivateFileAtomic } from './privateFiles.js';
export { checkPrivateDirectory, type PrivateDirectoryOptions } from './privateDirectory.js';
export { assertTrustedOwner, currentUid, isTrustedOwner } from './ownership.js';
export { checkOwnFile, readOwnFile, type OwnFileOptions, type ReadOwnFileOptions } from './readOwnFile.js';
export { StateDirectory } from './StateDirectory.js';
export { PidLock, parseHolder, processStartTime, type PidLockHolder, type PidLockWaitOptions } from './PidLock.js';
export { syncDirectory, writeFileAtomic, type AtomicWriteFs, type AtomicWriteOptions } from './atomicWrite.js';
