import { isAbsolute } from 'node:path';
import { isChannelId, isName } from '@shoal/core';
import { CliError } from './cli-error.js';

/** Everything a one-shot command asks of a node, the same through the agent or standalone. */
export type Request =
  | {
      readonly op: 'set';
      readonly channel: string;
      readonly map: string;
      readonly key: string;
      readonly value: unknown;
    }
  | { readonly op: 'get' | 'del'; readonly channel: string; readonly map: string; readonly key: string }
  | { readonly op: 'list'; readonly channel: string; readonly map: string; readonly prefix?: string }
  | { readonly op: 'watch'; readonly channel: string; readonly map: string; readonly key?: string }
  | { readonly op: 'append'; readonly channel: string; readonly stream: string; readonly text: string }
  | {
      readonly op: 'tail';
      readonly channel: string;
      readonly stream: string;
      readonly last: number;
      readonly follow: boolean;
    }
  | {
      readonly op: 'export' | 'import';
      readonly channel: string;
      /** Absolute path the agent writes the snapshot to, or reads it from. */
      readonly file: string;
    }
  | {
      readonly op: 'access';
      readonly channel: string;
      readonly action: 'list' | 'add' | 'remove';
      /** A member's public key (base64url), for `add` and `remove`. */
      readonly key?: string;
    }
  | { readonly op: 'members' | 'status' };

/** The operations that keep answering with events until the caller hangs up. */
export function isStreaming(request: Request): boolean {
  return request.op === 'watch' || (request.op === 'tail' && request.follow);
}

/**
 * Checks that `value` (decoded JSON from the control socket) is a well-formed {@link Request}.
 * Total: anything else throws CliError `BAD_REQUEST`, never a TypeError.
 */
export function parseRequest(value: unknown): Request {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not an object');
  const r = value as Record<string, unknown>;
  const name = (field: string) => {
    if (!isName(r[field])) throw bad(`"${field}" must be a name`);
    return r[field] as string;
  };
  const text = (field: string) => {
    if (typeof r[field] !== 'string') throw bad(`"${field}" must be a string`);
    return r[field] as string;
  };
  const channel = () => {
    if (!isChannelId(r.channel)) throw bad('"channel" must be a channel name');
    return r.channel;
  };
  switch (r.op) {
    case 'set':
      if (!('value' in r)) throw bad('"value" is missing');
      return { op: 'set', channel: channel(), map: name('map'), key: text('key'), value: r.value };
    case 'get':
    case 'del':
      return { op: r.op, channel: channel(), map: name('map'), key: text('key') };
    case 'list':
      return {
        op: 'list',
        channel: channel(),
        map: name('map'),
        ...(r.prefix === undefined ? {} : { prefix: text('prefix') }),
      };
    case 'watch':
      return {
        op: 'watch',
        channel: channel(),
        map: name('map'),
        ...(r.key === undefined ? {} : { key: text('key') }),
      };
    case 'append':
      return { op: 'append', channel: channel(), stream: name('stream'), text: text('text') };
    case 'tail': {
      const last = r.last;
      if (!Number.isSafeInteger(last) || (last as number) < 0) throw bad('"last" must be a count');
      return {
        op: 'tail',
        channel: channel(),
        stream: name('stream'),
        last: last as number,
        follow: r.follow === true,
      };
    }
    case 'export':
    case 'import': {
      const file = text('file');
      if (!isAbsolute(file)) throw bad('"file" must be an absolute path');
      return { op: r.op, channel: channel(), file };
    }
    case 'access': {
      if (r.action !== 'list' && r.action !== 'add' && r.action !== 'remove') {
        throw bad('"action" must be list, add or remove');
      }
      if (r.action === 'list') return { op: 'access', channel: channel(), action: 'list' };
      return { op: 'access', channel: channel(), action: r.action, key: text('key') };
    }
    case 'members':
    case 'status':
      return { op: r.op };
    default:
      throw bad('unknown "op"');
  }
}

function bad(why: string): CliError {
  return new CliError('BAD_REQUEST', `bad request: ${why}`);
}
