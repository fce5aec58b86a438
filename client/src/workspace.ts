// The editor's workspace additions, installed once the editor has its node classes: the node
// search dialog (double-click and link release), the workflow tabs, and the styles of the panels.
import type { Editor } from './editor.ts';
import { installNodeSearch } from './link-release.ts';
import { NodeSearchDialog } from './node-search.ts';
import './sidebar.ts';
import './tab-bar.ts';
import { Workflows } from './workflow-tabs.ts';
import './workspace.css';

export function installWorkspace(editor: Editor): Workflows {
  const search = document.createElement('fg-node-search') as NodeSearchDialog;
  document.body.append(search);
  installNodeSearch(editor, search);
  return new Workflows(editor);
}
