import { useEffect, useRef } from 'react';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { linter, lintGutter } from '@codemirror/lint';

export interface JsonEditorProps {
  /** Accessible name of the editor (it is a textbox). */
  label: string;
  value: string;
  onChange(text: string): void;
  /** Id of the element that describes the current problem, if any. */
  describedBy?: string;
  isInvalid?: boolean;
}

/**
 * A JSON code editor (CodeMirror 6): line numbers, bracket matching, undo, Tab indents, and the parse
 * error marked in place. Loaded lazily (lazy-json-editor.tsx), so CodeMirror stays out of the main
 * bundle. The editor owns its text while mounted; a new `value` from outside replaces it.
 */
export function JsonEditor({ label, value, onChange, describedBy, isInvalid = false }: JsonEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => {
    // The editor lives in a shadow root: CodeMirror then styles it with an adopted style sheet, which
    // the dashboard's CSP (style-src 'self') allows; in the document it would add a <style> element,
    // which the CSP blocks.
    const shadow = host.current!.shadowRoot ?? host.current!.attachShadow({ mode: 'open' });
    const parent = document.createElement('div');
    shadow.replaceChildren(parent);
    const editor = new EditorView({
      parent,
      root: shadow,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          highlightActiveLine(),
          bracketMatching(),
          indentOnInput(),
          syntaxHighlighting(defaultHighlightStyle),
          json(),
          linter(jsonParseLinter(), { delay: 200 }),
          lintGutter(),
          EditorView.theme({
            '&': { maxHeight: '18rem', fontSize: '0.92em' },
            '&.cm-focused': { outline: '2px solid #2f6fde', outlineOffset: '-1px' },
            '.cm-scroller': { fontFamily: "ui-monospace, 'SF Mono', Menlo, Consolas, monospace", minHeight: '6rem' },
          }),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          EditorView.contentAttributes.of({ 'aria-label': label, 'aria-multiline': 'true', role: 'textbox', ...(describedBy ? { 'aria-describedby': describedBy } : {}) }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChangeRef.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // Created once; label and description changes are rare and keep the first ones.
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
  }, [value]);

  return <div ref={host} className="json-editor" data-invalid={isInvalid} />;
}
