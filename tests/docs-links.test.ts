// Every relative link and image in README.md, CONFORMANCE.md and docs/*.md resolves: the file or
// folder exists inside the repository, a `#anchor` into a markdown file names one of its headings
// (GitHub's slugs), and a `#L<n>` line anchor into a source file is within the file.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import GithubSlugger from 'github-slugger';
import { Lexer, marked, type Token, type Tokens } from 'marked';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/golden.ts';

interface Link { file: string; target: string }

function markdownFiles(root: string): string[] {
  const docs = join(root, 'docs');
  const pages = existsSync(docs) ? readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => join(docs, f)) : [];
  return [join(root, 'README.md'), join(root, 'CONFORMANCE.md'), ...pages].filter((f) => existsSync(f));
}

function tokensOf(file: string): Token[] {
  return new Lexer().lex(readFileSync(file, 'utf8'));
}

/** Links and images of a file, code spans and blocks excluded (the lexer leaves them out). */
function linksOf(file: string): Link[] {
  const links: Link[] = [];
  marked.walkTokens(tokensOf(file), (token) => {
    if (token.type === 'link' || token.type === 'image') links.push({ file, target: (token as Tokens.Link | Tokens.Image).href });
  });
  return links;
}

function headingSlugs(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const slugs = new Set<string>();
  for (const token of tokensOf(file)) if (token.type === 'heading') slugs.add(slugger.slug((token as Tokens.Heading).text.replace(/`/g, '')));
  return slugs;
}

/** Why a link does not resolve, or undefined when it does. */
function brokenReason(link: Link, root: string): string | undefined {
  const { target } = link;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // http:, https:, mailto: ... (not checked offline)
  const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
  const path = rawPath === '' ? link.file : resolve(dirname(link.file), decodeURIComponent(rawPath));
  if (path !== root && !path.startsWith(root + sep)) return 'points outside the repository';
  if (!existsSync(path)) return 'no such file';
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(path).isDirectory()) return 'anchor on a folder';
  const line = /^L(\d+)$/.exec(anchor);
  if (line) return Number(line[1]) <= readFileSync(path, 'utf8').split('\n').length ? undefined : `line ${line[1]} past the end`;
  if (!path.endsWith('.md')) return `anchor #${anchor} in a file that is not markdown`;
  return headingSlugs(path).has(anchor) ? undefined : `no heading #${anchor}`;
}

function brokenLinks(root: string): string[] {
  return markdownFiles(root).flatMap((file) => linksOf(file).map((link) => [link, brokenReason(link, root)] as const))
    .filter(([, reason]) => reason !== undefined)
    .map(([link, reason]) => `${relative(root, link.file)}: ${link.target} (${reason})`);
}

describe('documentation links', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'fg-doc-links-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('every relative link and anchor in README.md, CONFORMANCE.md and docs/*.md resolves', () => {
    const files = markdownFiles(REPO_ROOT);
    expect(files.map((f) => relative(REPO_ROOT, f))).toEqual(expect.arrayContaining(['README.md', 'CONFORMANCE.md', 'docs/architecture.md', 'docs/cli.md']));
    const total = files.reduce((n, f) => n + linksOf(f).length, 0);
    expect(total).toBeGreaterThan(100);
    expect(brokenLinks(REPO_ROOT)).toEqual([]);
  });

  it('reports a missing file, a missing heading, a line past the end, and ignores code and URLs', () => {
    const root = join(scratch, 'repo');
    for (const d of ['docs', 'src']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'src/a.ts'), 'one\ntwo\n');
    writeFileSync(join(root, 'README.md'), [
      '# Title', '## Second `part`: here', '[ok](docs/x.md#a-heading) [self](#second-part-here) [line](src/a.ts#L2)',
      '[gone](docs/missing.md) [bad anchor](docs/x.md#nope) [far](src/a.ts#L9) [out](../elsewhere.md)',
      '`[code](not/checked.md)` [web](https://example.com/x#y)', '```', '[block](not/checked.md)', '```',
    ].join('\n'));
    writeFileSync(join(root, 'docs/x.md'), '# A heading\n\n![img](../src)\n');
    expect(brokenLinks(root)).toEqual([
      'README.md: docs/missing.md (no such file)',
      'README.md: docs/x.md#nope (no heading #nope)',
      'README.md: src/a.ts#L9 (line 9 past the end)',
      'README.md: ../elsewhere.md (points outside the repository)',
    ]);
  });
});

