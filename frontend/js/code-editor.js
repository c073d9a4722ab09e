// The code editor of coding questions: CodeMirror 6 (vendored from npm, see scripts/vendor.lock) with
// Python highlighting, auto-indentation, bracket matching, undo history and Tab to indent. Tab indents
// inside the editor; Escape then Tab moves focus on (CodeMirror's documented way out of a tab-trapping
// editor), so the page stays usable from the keyboard.
//
// The editor lives in a shadow root: there CodeMirror's styles go into a constructed stylesheet
// (adoptedStyleSheets), which the page's CSP (`style-src 'self'`, no inline <style>) allows; in the
// document itself they would need an inline <style> element.

import { Compartment, EditorState } from "@codemirror/state";
import { EditorView, drawSelection, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, indentOnInput, indentUnit, syntaxHighlighting } from "@codemirror/language";
import { python } from "@codemirror/lang-python";

const MONO = 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace';
const THEME = EditorView.theme({
  "&": { minHeight: "12rem", maxHeight: "28rem", fontSize: ".9rem" },
  "&.cm-focused": { outline: "3px solid var(--focus)", outlineOffset: "-3px" },
  ".cm-scroller": { fontFamily: MONO, minHeight: "12rem" },
  ".cm-content": { caretColor: "var(--text)" },
  ".cm-gutters": { background: "var(--bg)", color: "var(--muted)", borderRight: "1px solid var(--line)" },
  ".cm-activeLine": { background: "color-mix(in srgb, var(--a-bg) 55%, transparent)" },
});

export class CodeEditor {
  /** An editor in `parent`; `onChange(text)` after each edit, `onSubmit()` on Ctrl/⌘+Enter. */
  constructor(host, { label, onChange, onSubmit }) {
    const root = host.attachShadow({ mode: "open" });
    this.editable = new Compartment();
    const submitKey = { key: "Mod-Enter", run: () => { onSubmit(); return true; } };
    this.view = new EditorView({
      root, parent: root,
      state: EditorState.create({
        doc: "",
        extensions: [
          THEME, lineNumbers(), history(), drawSelection(), highlightActiveLine(), indentOnInput(), bracketMatching(),
          indentUnit.of("    "), EditorState.tabSize.of(4), python(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          keymap.of([submitKey, indentWithTab, ...defaultKeymap, ...historyKeymap]),
          EditorView.contentAttributes.of({ "aria-label": label, "data-testid": "code-editor", tabindex: "0" }),
          EditorView.updateListener.of((u) => { if (u.docChanged) onChange(u.state.doc.toString()); }),
          this.editable.of(EditorView.editable.of(true)),
        ],
      }),
    });
  }

  get text() {
    return this.view.state.doc.toString();
  }

  /** Replace the whole text (a new question's starter code, or a restored draft). */
  set text(value) {
    if (value === this.text) return;
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: value } });
  }

  setEnabled(on) {
    if (this.view.state.facet(EditorView.editable) === on) return;
    this.view.dispatch({ effects: this.editable.reconfigure(EditorView.editable.of(on)) });
  }

  focus() {
    this.view.focus();
  }
}
