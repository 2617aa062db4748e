// Errors the CLI reports: a message a person can act on, and an exit code.
export const EXIT = { ok: 0, stale: 1, error: 2 } as const;

export class CliError extends Error {
  constructor(message: string, readonly hint?: string, readonly exitCode: number = EXIT.error) {
    super(message);
  }
}
