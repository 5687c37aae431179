/**
 * The client is generated, so it can fall behind the routes. This test builds
 * the OpenAPI document from the current application, as the generator does,
 * and fails when the committed packages/client/openapi.json or src/schema.ts
 * differ from what `npm run client:generate` would write now.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  GENERATE_COMMAND,
  OPENAPI_FILE,
  SCHEMA_FILE,
  currentOpenApiDocument,
  describeDrift,
  documentText,
  schemaText,
  type OpenApiDocument,
} from '../scripts/document.js';

const REGENERATE = `Run \`${GENERATE_COMMAND}\` and commit packages/client/openapi.json and packages/client/src/schema.ts.`;

describe('generated client drift', () => {
  it('the committed OpenAPI document and types are what the current routes generate', { timeout: 180_000 }, async () => {
    const current = await currentOpenApiDocument();
    const committedText = await readFile(OPENAPI_FILE, 'utf8');
    if (documentText(current) !== committedText) {
      const changes = describeDrift(JSON.parse(committedText) as OpenApiDocument, current);
      expect.fail(`packages/client/openapi.json is out of date with the gateway's routes (${changes.join('; ') || 'layout only'}). ${REGENERATE}`);
    }
    if ((await schemaText(current)) !== (await readFile(SCHEMA_FILE, 'utf8'))) {
      expect.fail(`packages/client/src/schema.ts is not what openapi.json generates (edited by hand, or left behind). ${REGENERATE}`);
    }
    // The document is the client's: native paths only, each operation typed.
    expect(Object.keys(current.paths)).toEqual(expect.arrayContaining(['/api/v1/sessions', '/api/v1/events', '/sandbox/phones', '/health']));
    expect(Object.keys(current.paths).filter((p) => p.startsWith('/compat/') || p.startsWith('/dashboard'))).toEqual([]);
  });

  it('names the operations that were added, removed or changed', () => {
    const committed: OpenApiDocument = {
      openapi: '3.1.0',
      info: { version: '1' },
      paths: { '/a': { get: { summary: 'a' }, post: { summary: 'b' } }, '/gone': { delete: {} } },
    };
    const current: OpenApiDocument = {
      openapi: '3.1.0',
      info: { version: '2' },
      paths: { '/a': { get: { summary: 'a' }, post: { summary: 'B' } }, '/new': { get: {} } },
    };
    expect(describeDrift(committed, current).sort()).toEqual(['added GET /new', 'changed POST /a', 'changed info', 'removed DELETE /gone']);
    expect(describeDrift(committed, committed)).toEqual([]);
  });
});
