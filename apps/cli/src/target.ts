import { isChannelId, isName } from '@shoal/core';
import { usageError } from './cli-error.js';

/** A map or stream addressed as `CHANNEL/NAME` on the command line. */
export interface Target {
  readonly channel: string;
  readonly name: string;
}

/**
 * Parses `CHANNEL/NAME`, splitting at the first `/` (channel names cannot hold one; object
 * names may). `what` names the object kind in the error.
 * @throws CliError `USAGE` (exit 2) when either part is missing or not a valid name.
 */
export function parseTarget(text: string, what: 'map' | 'stream'): Target {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) {
    throw usageError(`expected CHANNEL/${what.toUpperCase()}, got "${text}"`);
  }
  const channel = text.slice(0, slash);
  const name = text.slice(slash + 1);
  if (!isChannelId(channel)) throw usageError(`"${channel}" is not a valid channel name`);
  if (!isName(name)) throw usageError(`"${name}" is not a valid ${what} name`);
  return { channel, name };
}
