/**
 * YAML highlighting inside ``%%workflow`` cells.
 *
 * A notebook cell's language follows the kernel (Python), so this adds one more CodeMirror
 * extension to every editor: a compartment that holds the YAML language (at highest
 * precedence, so it wins the ``language`` facet) while the cell's first line is
 * ``%%workflow ...``, and is empty otherwise. It is re-evaluated on every document change.
 */
import { Compartment, EditorState, Extension, Prec } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { EditorExtensionRegistry, IEditorExtensionRegistry, IEditorLanguageRegistry } from '@jupyterlab/codemirror';

import { isWorkflowCell } from './model';

const HEAD = 200; // characters of the document to look at

export async function registerWorkflowHighlighting(
  extensions: IEditorExtensionRegistry,
  languages: IEditorLanguageRegistry
): Promise<boolean> {
  let yaml: Extension | null = null;
  try {
    const language = await languages.getLanguage('yaml');
    yaml = language?.support ?? null;
  } catch {
    yaml = null;
  }
  if (!yaml) {
    return false;
  }
  const on: Extension = [Prec.highest(yaml), EditorView.editorAttributes.of({ class: 'jf-workflow-cell' })];
  extensions.addExtension({
    name: 'jupyter-flow:workflow-cell-yaml',
    factory: options => {
      const mime = String(options.model?.mimeType ?? '');
      if (mime.includes('yaml')) {
        return null; // already YAML
      }
      const compartment = new Compartment();
      const initial = isWorkflowCell(options.model?.sharedModel.getSource().slice(0, HEAD) ?? '');
      const extender = EditorState.transactionExtender.of(tr => {
        if (!tr.docChanged) {
          return null;
        }
        const active = compartment.get(tr.startState) !== undefined && hasContent(compartment.get(tr.startState));
        const wanted = isWorkflowCell(tr.newDoc.sliceString(0, HEAD));
        if (active === wanted) {
          return null;
        }
        return { effects: compartment.reconfigure(wanted ? on : []) };
      });
      return EditorExtensionRegistry.createImmutableExtension([compartment.of(initial ? on : []), extender]);
    }
  });
  return true;
}

function hasContent(ext: Extension | undefined): boolean {
  return !(Array.isArray(ext) && ext.length === 0);
}
