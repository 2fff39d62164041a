import { connect } from 'node:net';
import { CliError, ExitCode } from './cli-error.js';
import { LineSplitter } from './line-splitter.js';
import type { Request } from './requests.js';

/** What {@link callAgent} got: no agent here, or the agent's result. */
export type AgentAnswer =
  | { readonly kind: 'no-agent' }
  | { readonly kind: 'result'; readonly result: unknown };

/** How long a one-shot waits for the agent's answer to a non-streaming request. */
export const AGENT_ANSWER_TIMEOUT_MS = 15_000;

/**
 * Sends `request` to the agent listening on `socketPath` (see ControlServer for the
 * protocol) and returns its result; events of a streaming request go to `onEvent` until
 * `signal` aborts. With no socket file, or one nothing listens on (its agent was killed), there
 * is no agent (`no-agent`), and the caller may open the store itself.
 * @throws CliError the agent's own error (its code and exit code), `AGENT_UNREACHABLE`,
 * `AGENT_TIMEOUT` or `BAD_ANSWER`.
 */
export function callAgent(
  socketPath: string,
  request: Request,
  options: { onEvent?: (event: unknown) => void; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<AgentAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const splitter = new LineSplitter();
    let settled = false;
    const finish = (outcome: AgentAnswer | CliError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof CliError) reject(outcome);
      else resolve(outcome);
    };
    const streaming = options.onEvent !== undefined;
    const timer = setTimeout(
      () => finish(new CliError('AGENT_TIMEOUT', `the agent did not answer on ${socketPath} in time`)),
      streaming ? 2 ** 31 - 1 : (options.timeoutMs ?? AGENT_ANSWER_TIMEOUT_MS),
    );
    options.signal?.addEventListener('abort', () => finish({ kind: 'result', result: undefined }), {
      once: true,
    });
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A socket file nothing listens on is what an agent killed with -9 leaves behind: there
      // is no agent, and the caller opens the store itself (the store's lock refuses it, with a
      // clear line, if some process does hold the data dir after all). The next agent replaces it.
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') return finish({ kind: 'no-agent' });
      finish(new CliError('AGENT_UNREACHABLE', `cannot reach the agent on ${socketPath}: ${error.message}`));
    });
    socket.on('close', () =>
      finish(new CliError('BAD_ANSWER', `the agent on ${socketPath} hung up without answering`)),
    );
    socket.on('data', (chunk: Buffer) => {
      const lines = splitter.push(chunk);
      if (lines === 'overflow')
        return finish(new CliError('BAD_ANSWER', 'the agent sent a line that is too long'));
      for (const line of lines) {
        const answer = parseAnswer(line);
        if (answer instanceof CliError) return finish(answer);
        if ('event' in answer) options.onEvent?.(answer.event);
        else if (answer.ok) return finish({ kind: 'result', result: answer.result });
        else return finish(answer.error);
      }
    });
  });
}

type Answer = { event: unknown } | { ok: true; result: unknown } | { ok: false; error: CliError };

/** One answer line; anything malformed becomes CliError `BAD_ANSWER`. Total. */
function parseAnswer(line: string): Answer | CliError {
  const bad = new CliError('BAD_ANSWER', 'the agent sent a malformed answer');
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return bad;
  }
  if (typeof value !== 'object' || value === null) return bad;
  const v = value as Record<string, unknown>;
  if ('event' in v) return { event: v.event };
  if (v.ok === true) return { ok: true, result: v.result };
  if (v.ok !== false || typeof v.error !== 'object' || v.error === null) return bad;
  const { code, message, exitCode } = v.error as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') return bad;
  const exit = exitCode === ExitCode.Usage ? ExitCode.Usage : ExitCode.Error;
  return { ok: false, error: new CliError(code, message, exit) };
}
