import { fromServiceError } from '@palyra/proto';
import { PalyraError, type ErrorCode } from '@palyra/shared/errors';

/**
 * Reads a gRPC stream one message at a time, with errors turned into PalyraErrors. The
 * stream's end before an expected message is a protocol error of the peer (`endCode`:
 * pairing's by default).
 */
export class StreamReader<T> {
  private readonly iterator: AsyncIterator<T>;

  constructor(
    stream: AsyncIterable<T>,
    private readonly peer: string,
    private readonly endCode: ErrorCode = 'PALYRA_E_PAIRING_PROTOCOL',
  ) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  async next(what: string): Promise<T> {
    let result: IteratorResult<T>;
    try {
      result = await this.iterator.next();
    } catch (error) {
      throw fromServiceError(error, this.peer);
    }
    if (result.done === true) {
      throw new PalyraError(this.endCode, `${this.peer} closed the stream while this node waited for ${what}`);
    }
    return result.value;
  }
}
