/**
 * Starts the HTTP server listening, and turns the operating system's refusal
 * (EADDRINUSE, EACCES, EADDRNOTAVAIL) into one sentence that says which
 * setting to change: an operator seeing only "listen EADDRINUSE" has to guess.
 */
import type { FastifyInstance } from 'fastify';

/** A listen refusal explained; main.ts prints its message alone, without a stack. */
export class ListenError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

export function isListenError(err: unknown): err is ListenError {
  return err instanceof ListenError;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The refusal as the operator should read it, or undefined for anything else. */
export function explainListenError(err: unknown, host: string, port: number): ListenError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = hostPort(host, port);
  switch (code) {
    case 'EADDRINUSE':
      return new ListenError(
        code,
        `port ${port} is already in use on ${host} (another wagate, or another program, listens on ${where}). ` +
          `Set PORT to a free port (e.g. PORT=${port === 65535 ? 3001 : port + 1}), or PORT=0 for any free port, or stop the other program.`,
      );
    case 'EACCES':
      return new ListenError(
        code,
        `not allowed to listen on ${where}: ports below 1024 need privileges. Set PORT to 1024 or above (the default is 3000) ` +
          'and put a reverse proxy on 80/443 (docs/deployment.md).',
      );
    case 'EADDRNOTAVAIL':
      return new ListenError(
        code,
        `HOST=${host} is not an address of this machine. Set HOST to one of its addresses, 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).`,
      );
    default:
      return undefined;
  }
}

export async function listenOrExplain(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    throw explainListenError(err, host, port) ?? err;
  }
}
