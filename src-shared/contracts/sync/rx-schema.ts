import { SYNC_COLLECTIONS, type SyncCollectionName } from './collections.js';

/** A JSON schema node as plain data. */
type Node = Record<string, unknown>;

/**
 * The RxDB JSON schema of a collection, generated from its TypeBox schema (D1), so the replica and the
 * server never disagree on a document's shape. RxDB's rules applied here:
 * - `version`, `primaryKey: 'id'` (a string with maxLength), `type: 'object'`;
 * - `T | null` (TypeBox `anyOf [null, T]`) becomes `type: [T, 'null']`, and unions of literals an `enum`;
 * - integers get `multipleOf: 1` (RxDB needs minimum, maximum and multipleOf on indexed numbers);
 * - TypeBox's own keys (symbols, `$id`) and `format` are dropped.
 * The result is plain JSON, typed loosely so src-shared needs no RxDB import; the renderer passes it to
 * `addCollections` as an `RxJsonSchema`.
 */
export function toRxJsonSchema(name: SyncCollectionName, version = 0): Node & { primaryKey: 'id'; version: number } {
  const def = SYNC_COLLECTIONS[name];
  const json = convert(JSON.parse(JSON.stringify(def.schema)) as Node);
  return { title: name, ...json, version, primaryKey: 'id', type: 'object', indexes: def.indexes };
}

function convert(node: Node): Node {
  const out: Node = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$id' || key === 'format') continue;
    out[key] = value;
  }
  const anyOf = out.anyOf as Node[] | undefined;
  if (anyOf) {
    delete out.anyOf;
    const nullable = anyOf.some((n) => n.type === 'null');
    const rest = anyOf.filter((n) => n.type !== 'null');
    let base: Node;
    if (rest.length > 0 && rest.every((n) => 'const' in n)) {
      base = { type: rest[0]?.type, enum: rest.map((n) => n.const) };
    } else if (rest.length === 1) {
      base = convert(rest[0] as Node);
    } else {
      // A union RxDB cannot type; the document validator of the server still checks it.
      return out;
    }
    if (nullable) {
      base.type = [base.type, 'null'];
      if (Array.isArray(base.enum)) base.enum = [...(base.enum as unknown[]), null];
    }
    return { ...out, ...base };
  }
  if (out.type === 'integer' && out.multipleOf === undefined) out.multipleOf = 1;
  if (out.properties) out.properties = Object.fromEntries(Object.entries(out.properties as Record<string, Node>).map(([k, v]) => [k, convert(v)]));
  if (out.items && typeof out.items === 'object') out.items = convert(out.items as Node);
  if (out.additionalProperties && typeof out.additionalProperties === 'object') out.additionalProperties = convert(out.additionalProperties as Node);
  return out;
}
