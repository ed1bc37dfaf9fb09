/** One problem in a site file: where (`nodes[3].floor`) and what. */
export interface SiteFileIssue {
  path: string;
  message: string;
}

/**
 * A site file that cannot be used. Thrown at start-up (or on upload), so the message names the
 * file and the exact field at fault: an operator fixes a typo without reading code.
 */
export class SiteFileError extends Error {
  constructor(
    readonly sourcePath: string | undefined,
    readonly issues: readonly SiteFileIssue[],
  ) {
    super(formatMessage(sourcePath, issues));
    this.name = 'SiteFileError';
  }
}

function formatMessage(sourcePath: string | undefined, issues: readonly SiteFileIssue[]): string {
  const prefix = sourcePath ? `site file ${sourcePath}` : 'site file';
  const line = (i: SiteFileIssue) => `${i.path || '(root)'}: ${i.message}`;
  if (issues.length === 1) return `${prefix}: ${line(issues[0]!)}`;
  return `${prefix}: ${issues.length} problems:\n${issues.map((i) => `  ${line(i)}`).join('\n')}`;
}

/** `['nodes', 3, 'floor']` → `nodes[3].floor` */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
