/**
 * @palyra/plugin-sdk: what a capability plugin imports. The plugin contract (definePlugin,
 * its types), PalyraError and the error codes, and small helpers. Nothing native and no
 * heavy dependency is loaded from here: the host's checks (`./host`) and the test harness
 * (`./testing`) are separate entry points.
 */
export * from './errors/index.js';
export * from './plugins/index.js';
export { deepFreeze } from './util/deepFreeze.js';
