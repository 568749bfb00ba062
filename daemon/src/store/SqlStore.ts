import { repositoriesOver } from './repositories.js';
import type { SqlDatabase, TransactionOptions } from './SqlDatabase.js';
import type { Repositories, Store } from './types.js';

/** A Store over any SqlDatabase: the repositories are the same SQL on every engine. */
export class SqlStore implements Store {
  readonly pairingCodes: Repositories['pairingCodes'];
  readonly pairingRequests: Repositories['pairingRequests'];
  readonly nodes: Repositories['nodes'];
  readonly revocations: Repositories['revocations'];
  readonly dispatches: Repositories['dispatches'];
  readonly tokens: Repositories['tokens'];
  readonly meta: Repositories['meta'];

  constructor(
    readonly db: SqlDatabase,
    readonly location: string,
  ) {
    const repos = repositoriesOver(db);
    this.pairingCodes = repos.pairingCodes;
    this.pairingRequests = repos.pairingRequests;
    this.nodes = repos.nodes;
    this.revocations = repos.revocations;
    this.dispatches = repos.dispatches;
    this.tokens = repos.tokens;
    this.meta = repos.meta;
  }

  get engine(): SqlDatabase['engine'] {
    return this.db.engine;
  }

  transaction<T>(body: (repos: Repositories) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.db.transaction((tx) => body(repositoriesOver(tx)), options);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
