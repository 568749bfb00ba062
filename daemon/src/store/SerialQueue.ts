/**
 * Runs async jobs one at a time in call order. A connection that serves one transaction at a
 * time (SQLite's, or a PostgreSQL client inside BEGIN) must not see another job's statements
 * between its own.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every job queued so far has settled. */
  async drain(): Promise<void> {
    await this.tail;
  }
}
