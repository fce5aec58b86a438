// Everything wrong with a workflow file is reported as a WorkflowError listing each problem, so a
// user fixes a file in one pass instead of one error at a time.

export class WorkflowError extends Error {
  override name = 'WorkflowError';
  readonly problems: readonly string[];

  constructor(summary: string, problems: readonly string[] = []) {
    super(problems.length > 0 ? `${summary}:\n${problems.map((p) => `  - ${p}`).join('\n')}` : summary);
    this.problems = problems;
  }
}

export interface UnknownNodeType {
  type: string;
  /** Node ids using it, as they appear in the file. */
  nodes: string[];
  /** The pack that provides it, when the file or our table knows. */
  pack?: string;
}

export class UnknownNodeTypesError extends WorkflowError {
  override name = 'UnknownNodeTypesError';

  constructor(readonly unknown: readonly UnknownNodeType[]) {
    super(
      `the workflow uses ${unknown.length === 1 ? 'a node type' : 'node types'} that ${unknown.length === 1 ? 'is' : 'are'} not installed`,
      unknown.map((u) => `${u.type} (node${u.nodes.length === 1 ? '' : 's'} #${u.nodes.join(', #')})${u.pack ? `: provided by ${u.pack}` : ': pack unknown'}`),
    );
  }
}
