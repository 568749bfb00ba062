export { PalyraCommand, runProgram } from './PalyraCommand.js';
export { readSecretInput, type SecretInputOptions } from './readSecretInput.js';
