/**
 * A test seam for end-to-end tests that must kill a process at an exact step (a renewal, a CA
 * rotation) instead of racing a timer. `createTestPause(VARIABLE, label)` returns a function
 * that, when the environment variable VARIABLE names the step it is called with, stops there
 * the FIRST time: it prints `<label> step=<step>` on stdout and waits for SIGUSR2. Unset (as in
 * every real run), it is a no-op. The variables are listed where each program uses its pause.
 */
export function createTestPause<Step extends string>(variable: string, label: string): (step: Step) => Promise<void> {
  const pauseAt = process.env[variable];
  let paused = false;
  return async (step) => {
    if (pauseAt !== step || paused) return;
    paused = true;
    const resumed = new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
    process.stdout.write(`${label} step=${step}\n`);
    await resumed;
  };
}
