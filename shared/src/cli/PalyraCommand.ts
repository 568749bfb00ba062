import { Command, UsageError, type Cli } from 'clipanion';
import { PalyraError, formatErrorLine } from '../errors/index.js';

/**
 * Base of every command of both programs. Errors leave as one stderr line
 * `error PALYRA_E_<CODE>: ...` with the code's exit status; `--json` output is exactly one
 * JSON document on stdout.
 */
export abstract class PalyraCommand extends Command {
  protected printJson(value: unknown): void {
    this.context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  protected print(line = ''): void {
    this.context.stdout.write(`${line}\n`);
  }

  override async catch(error: unknown): Promise<void> {
    const palyra =
      error instanceof PalyraError
        ? error
        : error instanceof UsageError || (error instanceof Error && error.name === 'UnknownSyntaxError')
          ? new PalyraError('PALYRA_E_USAGE', `${error.message.split('\n')[0] ?? 'invalid command line'} (see --help)`)
          : PalyraError.from(error);
    this.context.stderr.write(`${formatErrorLine(palyra)}\n`);
    if (process.env.PALYRA_DEBUG === '1' && palyra.cause !== undefined) {
      this.context.stderr.write(`${String((palyra.cause as Error).stack ?? palyra.cause)}\n`);
    }
    process.exitCode = palyra.exitCode;
  }
}

/** Runs a clipanion program and turns a parse failure into a one-line usage error. */
export async function runProgram(
  cli: Cli,
  argv: string[],
  stderr: NodeJS.WritableStream = process.stderr,
): Promise<void> {
  exitQuietlyOnClosedPipe(process.stdout);
  let command: Command;
  try {
    command = cli.process(argv);
  } catch (error) {
    stderr.write(`${formatErrorLine(new PalyraError('PALYRA_E_USAGE', describeParseError(error, cli.binaryName, argv)))}\n`);
    process.exitCode = 64;
    return;
  }
  const code = await cli.run(command);
  if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = code;
}

/**
 * `palyrad status | head -1` closes stdout early: the next write fails with EPIPE, which an
 * unhandled stream error turns into a crash with a stack trace. Whoever closed the pipe has
 * read all they wanted; leave without a word, as other Unix tools do.
 */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

/** One line out of clipanion's multi-line parse errors, with the fix. */
function describeParseError(error: unknown, binaryName: string, argv: string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'invalid command line';
  if (/command not found/i.test(first)) {
    const words = argv.filter((a) => !a.startsWith('-')).slice(0, 3).join(' ');
    return `unknown command "${words}" (run ${binaryName} --help for the list)`;
  }
  return `${first} (see ${binaryName} --help)`;
}
