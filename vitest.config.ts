import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{plugin-sdk,shared,daemon,agent,proto,plugins/*}/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // The run's own TMPDIR (the run fails when a test leaves anything in it), and no session
    // bus but the private test one.
    globalSetup: ['test/setup/tempDirGuard.ts', 'test/setup/sessionBus.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests spawn real daemons and agents; two cores do not take many at once.
    maxWorkers: 2,
    // clipanion's ESM build uses a directory import that Node's loader refuses under vitest.
    server: { deps: { inline: ['clipanion'] } },
  },
});
