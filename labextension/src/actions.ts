/** A run's actions as the user asks for them, the same from the panel and from a run's tab. */
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';

import * as api from './api';

/** Ask before deleting: a run's nodes, logs and artifacts go with it. */
export async function confirmDelete(name: string): Promise<boolean> {
  const answer = await showDialog({
    title: 'Delete workflow',
    body: `Delete ${name} and its logs?`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
  });
  return answer.button.accept;
}

/**
 * ``verb`` on run ``name`` (delete only after the user confirms). Resolves with the server's
 * answer (a resubmit names its new run), or null when the user cancelled or it failed (the
 * error is shown).
 */
export async function runAction(name: string, verb: string): Promise<{ name: string } | null> {
  if (verb === 'delete' && !(await confirmDelete(name))) {
    return null;
  }
  try {
    return await api.action(name, verb);
  } catch (error) {
    await showErrorMessage(`Could not ${verb} ${name}`, (error as Error).message);
    return null;
  }
}
