/**
 * `npm run client:generate`: writes packages/client/openapi.json from the
 * current routes and packages/client/src/schema.ts from that document.
 * Run it after changing any native route's schema, and commit both files
 * (the drift test in packages/client/test fails until then).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OPENAPI_FILE, SCHEMA_FILE, currentOpenApiDocument, documentText, schemaText } from './document.js';

const doc = await currentOpenApiDocument();
await writeFile(OPENAPI_FILE, documentText(doc));
await writeFile(SCHEMA_FILE, await schemaText(doc));
const root = path.resolve(import.meta.dirname, '../../..');
const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
process.stdout.write(
  `wrote ${path.relative(root, OPENAPI_FILE)} (${Object.keys(doc.paths).length} paths, ${operations} operations) ` +
    `and ${path.relative(root, SCHEMA_FILE)}\n`,
);
