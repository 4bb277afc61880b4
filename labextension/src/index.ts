/**
 * jupyter-flow for JupyterLab: a Workflows sidebar, a live DAG view per run, "Submit as
 * workflow" for YAML files, and YAML highlighting in %%workflow cells.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog, showErrorMessage, WidgetTracker } from '@jupyterlab/apputils';
import { IEditorExtensionRegistry, IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import * as api from './api';
import { CompareView } from './compareview';
import { cellOf, insertCodeBelow, setCellInserter } from './debugcell';
import { formatLintError } from './model';
import { RunsPanel } from './panel';
import { RunView } from './runview';
import { registerWorkflowHighlighting } from './workflowcell';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">
<g class="jp-icon3" fill="#616161"><circle cx="6" cy="5" r="2.5"/><circle cx="18" cy="5" r="2.5"/>
<circle cx="12" cy="19" r="2.5"/><path d="M6.8 7.2l4.4 9.4 1.4-.7-4.4-9.4zM17.2 7.2l-4.4 9.4-1.4-.7 4.4-9.4z"/></g></svg>`;

export const flowIcon = new LabIcon({ name: 'jupyter-flow:icon', svgstr: ICON_SVG });

namespace CommandIDs {
  export const open = 'jupyter-flow:open-run';
  export const submit = 'jupyter-flow:submit';
  export const panel = 'jupyter-flow:show-panel';
}

const YAML = /\.ya?ml$/i;

function lintBody(errors: api.ApiError['errors'], filename: string): Widget {
  const body = document.createElement('div');
  body.className = 'jf-LintDialog';
  const p = document.createElement('p');
  p.textContent = `${filename} is not a valid workflow:`;
  body.appendChild(p);
  const ul = document.createElement('ul');
  for (const e of errors) {
    const li = document.createElement('li');
    li.textContent = formatLintError(e);
    li.dataset.line = String(e.line ?? 0);
    ul.appendChild(li);
  }
  body.appendChild(ul);
  return new Widget({ node: body });
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-flow:plugin',
  description: 'Workflows panel, run DAG view and submit for jupyter-flow',
  autoStart: true,
  requires: [IDefaultFileBrowser],
  optional: [ILayoutRestorer, ICommandPalette, IRenderMimeRegistry, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    browser: IDefaultFileBrowser,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    rendermime: IRenderMimeRegistry | null,
    notebooks: INotebookTracker | null
  ) => {
    const tracker = new WidgetTracker<RunView>({ namespace: 'jupyter-flow-run' });
    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.open,
        args: w => ({ name: w.runName }),
        name: w => w.runName
      });
    }

    /** A node's debug cell goes below the active cell of the notebook used last. */
    const debugInNotebook = (code: string): void => {
      const panel = notebooks?.currentWidget;
      if (!panel) {
        void showErrorMessage('Debug in notebook', 'Open a notebook first: the cell goes below its active cell.');
        return;
      }
      insertCodeBelow(panel, code);
      app.shell.activateById(panel.id);
    };
    if (notebooks) {
      // the notebook widget's "Debug in notebook": below the cell whose output shows the run
      setCellInserter((el, code) => {
        const found = cellOf(notebooks, el);
        if (found) {
          insertCodeBelow(found[0], code, found[1]);
        } else if (notebooks.currentWidget) {
          insertCodeBelow(notebooks.currentWidget, code);
        }
      });
    }

    const openRun = (name: string): RunView => {
      const existing = tracker.find(w => w.runName === name);
      if (existing) {
        app.shell.activateById(existing.id);
        return existing;
      }
      const view = new RunView(name, openRun, undefined, notebooks ? debugInNotebook : null);
      view.title.icon = flowIcon;
      void tracker.add(view);
      app.shell.add(view, 'main');
      app.shell.activateById(view.id);
      return view;
    };

    const submitPath = async (path: string): Promise<string | null> => {
      const model = await app.serviceManager.contents.get(path, { content: true, format: 'text' });
      const text = String(model.content ?? '');
      try {
        const wf = await api.submit(text, model.name);
        void panel.refresh();
        openRun(wf.metadata.name);
        return wf.metadata.name;
      } catch (error) {
        const e = error as api.ApiError;
        if (e.errors && e.errors.length) {
          await showDialog({
            title: 'Workflow has errors',
            body: lintBody(e.errors, model.name),
            buttons: [Dialog.okButton()]
          });
        } else {
          await showErrorMessage('Submit failed', e.message);
        }
        return null;
      }
    };

    const selectedYaml = (): string[] =>
      Array.from(browser.selectedItems())
        .filter(item => item.type === 'file' && YAML.test(item.name))
        .map(item => item.path);

    const submitSelected = async (): Promise<void> => {
      const paths = selectedYaml();
      if (!paths.length) {
        await showErrorMessage('Submit workflow', 'Select a .yaml or .yml file in the file browser first.');
        return;
      }
      for (const p of paths) {
        await submitPath(p);
      }
    };

    const panel = new RunsPanel(name => void openRun(name), submitSelected);
    panel.title.icon = flowIcon;
    panel.onCompare = names => {
      const view = new CompareView(names, rendermime);
      view.title.icon = flowIcon;
      app.shell.add(view, 'main');
      app.shell.activateById(view.id);
    };
    app.shell.add(panel, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(panel, 'jupyter-flow-runs');
    }

    app.commands.addCommand(CommandIDs.open, {
      label: args => `Open workflow ${args.name ?? ''}`,
      execute: args => {
        openRun(String(args.name));
      }
    });
    app.commands.addCommand(CommandIDs.submit, {
      label: 'Submit as workflow',
      caption: 'Run this YAML file on the jupyter-flow engine',
      icon: flowIcon,
      isEnabled: () => selectedYaml().length > 0,
      execute: async args => {
        if (args.path) {
          return submitPath(String(args.path));
        }
        return submitSelected();
      }
    });
    app.commands.addCommand(CommandIDs.panel, {
      label: 'Show workflows',
      execute: () => app.shell.activateById(panel.id)
    });
    app.contextMenu.addItem({
      command: CommandIDs.submit,
      selector: '.jp-DirListing-item[data-file-type="yaml"]',
      rank: 3
    });
    if (palette) {
      palette.addItem({ command: CommandIDs.submit, category: 'Workflows' });
      palette.addItem({ command: CommandIDs.panel, category: 'Workflows' });
    }
  }
};

const highlighting: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-flow:workflow-cell-highlighting',
  description: 'YAML syntax highlighting in %%workflow cells',
  autoStart: true,
  requires: [IEditorExtensionRegistry, IEditorLanguageRegistry],
  activate: async (app: JupyterFrontEnd, extensions: IEditorExtensionRegistry, languages: IEditorLanguageRegistry) => {
    await registerWorkflowHighlighting(extensions, languages);
  }
};

/**
 * The notebook widget's DAG model (`jupyter_flow.notebook.graph.DagRenderer`). Loaded lazily and
 * only when the ipywidgets manager is installed: without it the rest of the extension still works.
 */
const dagWidget: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-flow:dag-widget',
  description: 'The run DAG drawn by the %%workflow widget',
  autoStart: true,
  activate: async (app: JupyterFrontEnd) => {
    let base: typeof import('@jupyter-widgets/base');
    try {
      base = await import('@jupyter-widgets/base');
    } catch (reason) {
      console.info('jupyter-flow: no ipywidgets manager, the notebook DAG widget is not registered', reason);
      return;
    }
    const registry = await app.resolveOptionalService(base.IJupyterWidgetRegistry);
    if (!registry) {
      return;
    }
    const { DagModel, DagView, MODULE_NAME, MODULE_VERSION } = await import('./dagwidget');
    registry.registerWidget({ name: MODULE_NAME, version: MODULE_VERSION, exports: { DagModel, DagView } });
  }
};

export default [plugin, highlighting, dagWidget];
