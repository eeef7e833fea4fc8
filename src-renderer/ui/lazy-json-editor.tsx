import { lazy, Suspense, useId } from 'react';
import type { JsonEditorProps } from './json-editor.js';

const JsonEditor = lazy(() => import('./json-editor.js').then((m) => ({ default: m.JsonEditor })));

/** Why `text` is not valid JSON, or null when it is (empty text counts as not valid: a JSON value needs something). */
export function jsonProblem(text: string): string | null {
  if (text.trim() === '') return 'enter a JSON value, e.g. {"size": 3}';
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    return `not valid JSON (${error instanceof Error ? error.message : String(error)})`;
  }
}

/**
 * The JSON editor, loaded on first use (CodeMirror is a separate chunk), with its validation message
 * under it naming the field. While the chunk loads, a note says so.
 */
export function LazyJsonEditor({ field, ...props }: Omit<JsonEditorProps, 'describedBy' | 'isInvalid'> & { field: string }) {
  const id = useId();
  const problem = jsonProblem(props.value);
  return (
    <>
      <Suspense fallback={<p role="status">Loading the JSON editor…</p>}>
        <JsonEditor {...props} describedBy={`${id}-problem`} isInvalid={problem !== null} />
      </Suspense>
      {problem && props.value.trim() !== '' ? (
        <p id={`${id}-problem`} className="error field-error" role="alert">
          {field}: {problem}
        </p>
      ) : (
        <p id={`${id}-problem`} className="muted field-error">
          {problem ? `${field}: ${problem}` : 'Valid JSON.'}
        </p>
      )}
    </>
  );
}
