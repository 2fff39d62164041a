// A negative control for the bundle test: code reaching a Node built-in must fail the build.
import { readFileSync } from 'node:fs';

export const read = (path: string): string => readFileSync(path, 'utf8');
