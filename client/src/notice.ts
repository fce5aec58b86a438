// What the editor shows in its notice area: a title and lines, an error (stays until closed) or
// information (closes by itself; see notices.ts).
export interface Notice {
  kind: 'error' | 'info';
  title: string;
  lines: string[];
}
