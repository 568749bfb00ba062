#!/usr/bin/env node
// Installed as the `palyrad` bin. It exists before the build so that npm can link it; the
// program itself is built to dist/ by `npm ci` (the root prepare script).
await import('../dist/bin/palyrad.js');
