/** What every command reads from the global options: the gateway client and the output mode. */
import type { Command } from 'commander';
import { ApiClient } from './apiClient.js';

export interface GlobalOptions {
  url: string;
  key?: string;
  json?: boolean;
}

export function globalsOf(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export function apiOf(command: Command): ApiClient {
  const { url, key } = globalsOf(command);
  return new ApiClient({ url, key });
}

/** One line on stdout. */
export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** JSON for scripts (`--json`). */
export function sayJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Rows as aligned columns under a header. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
