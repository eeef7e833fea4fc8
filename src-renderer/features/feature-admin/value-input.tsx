import { jsonProblem } from '../../ui/lazy-json-editor.js';

/** The kinds of remote-config value the dashboard offers; JSON is stored as a string holding JSON. */
export type ValueType = 'text' | 'number' | 'boolean' | 'json';

/** What is wrong with `text` as a value of `type`, or null. */
export function valueProblem(type: ValueType, text: string): string | null {
  if (type === 'json') return jsonProblem(text);
  if (type === 'number') return /^-?\d+$/.test(text.trim()) ? null : 'must be a whole number';
  if (type === 'text') return text === '' ? 'enter a value' : null;
  return null;
}

/** The raw value to send as `initial_value` (the server stores a string and types it by inference). */
export function valueToSend(type: ValueType, text: string): string | number | boolean {
  if (type === 'number') return Number(text.trim());
  if (type === 'boolean') return text === 'true';
  return text;
}

/** The value field of a text, number or boolean value (JSON has its own editor). */
export function ValueInput({ id, type, value, onChange }: { id: string; type: Exclude<ValueType, 'json'>; value: string; onChange(v: string): void }) {
  if (type === 'boolean') {
    return (
      <>
        <label htmlFor={id}>Value</label>
        <select id={id} value={value === 'true' ? 'true' : 'false'} onChange={(e) => onChange(e.target.value)}>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      </>
    );
  }
  // Text that reads as a number or boolean is typed as one by the server, as Flagsmith's dashboard does.
  const isRetyped = type === 'text' && /^(-?\d+|true|false)$/i.test(value.trim());
  return (
    <>
      <label htmlFor={id}>Value</label>
      <input id={id} type={type === 'number' ? 'number' : 'text'} step={1} value={value} onChange={(e) => onChange(e.target.value)} autoComplete="off" spellCheck={false} />
      {isRetyped && <p className="muted field-error">This reads as a {/^(true|false)$/i.test(value.trim()) ? 'boolean' : 'number'}, so it is stored as one.</p>}
    </>
  );
}
