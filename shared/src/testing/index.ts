export { createTestPause } from './testPause.js';
