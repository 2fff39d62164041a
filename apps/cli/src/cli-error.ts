import { isShoalError } from '@shoal/core';

/** Exit codes of every `shoal` command. */
export const ExitCode = { Ok: 0, Error: 1, Usage: 2 } as const;

/**
 * A failure the command reports as one line on stderr (or one JSON object with `--json`)
 * before exiting with `exitCode`. `code` is a stable machine-readable reason.
 */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode: number = ExitCode.Error) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A usage error (bad arguments): exit code 2. */
export function usageError(message: string): CliError {
  return new CliError('USAGE', message, ExitCode.Usage);
}

/** Any thrown value as a CliError: ShoalErrors keep their code, anything else is `INTERNAL`. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (isShoalError(error)) {
    // Errors about what the user typed (a name, a value, an invite) are usage errors.
    const usage = ['INVALID_ARGUMENT', 'INVALID_ID', 'UNSUPPORTED_VALUE', 'INVALID_SECRET'].includes(
      error.code,
    );
    return new CliError(error.code, oneLine(error.message), usage ? ExitCode.Usage : ExitCode.Error);
  }
  return new CliError('INTERNAL', oneLine(error instanceof Error ? error.message : String(error)));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
