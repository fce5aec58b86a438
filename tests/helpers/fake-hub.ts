// A local stand-in for the Hugging Face hub: the two endpoints @huggingface/hub uses to list and
// fetch files, with byte ranges, gated repositories and a connection that breaks on demand.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

export interface FakeRepo {
  /** Repository path -> local file. */
  files: Record<string, string>;
  /** When set, requests must carry this bearer token. */
  token?: string;
}

export interface FakeHub {
  url: string;
  /** Range headers of every file request, in order ("" for none). */
  ranges: { path: string; range: string }[];
  /** The next request for `path` sends only this many bytes, then the connection drops. */
  breakAfter: Map<string, number>;
  /** Extra listing entries (e.g. a malicious path). */
  extraEntries: Record<string, { path: string; size: number }[]>;
  close(): Promise<void>;
}

export async function startFakeHub(repos: Record<string, FakeRepo>): Promise<FakeHub> {
  const app = express();
  const hub: Omit<FakeHub, 'url' | 'close'> = { ranges: [], breakAfter: new Map(), extraEntries: {} };
  const authorized = (repo: FakeRepo, header: string | undefined) => !repo.token || header === `Bearer ${repo.token}`;

  app.get('/api/models/:org/:name/tree/:revision', (req, res) => {
    const id = `${req.params.org}/${req.params.name}`;
    const repo = repos[id];
    if (!repo) return void res.status(404).json({ error: `Repository ${id} not found` });
    if (!authorized(repo, req.headers.authorization)) return void res.status(401).json({ error: 'Access to this repository is restricted' });
    const entries = Object.entries(repo.files).map(([path, file]) => {
      const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
      return { type: 'file', path, size: statSync(file).size, oid: sha256.slice(0, 40), lfs: { oid: sha256, size: statSync(file).size, pointerSize: 134 } };
    });
    res.json([...entries, ...(hub.extraEntries[id] ?? []).map((e) => ({ type: 'file', ...e, oid: 'x' }))]);
  });

  app.get('/:org/:name/resolve/:revision/*path', (req, res) => {
    const id = `${req.params.org}/${req.params.name}`;
    const repo = repos[id];
    const path = (req.params as unknown as { path: string[] }).path.join('/');
    const file = repo?.files[path];
    if (!repo || !file) return void res.status(404).set('X-Error-Code', 'EntryNotFound').end();
    if (!authorized(repo, req.headers.authorization)) return void res.status(401).end();
    const range = req.headers.range ?? '';
    if (range !== 'bytes=0-0') hub.ranges.push({ path, range });
    const limit = range === 'bytes=0-0' ? undefined : hub.breakAfter.get(path);
    if (limit === undefined) return void res.sendFile(file);
    hub.breakAfter.delete(path);
    // Send the head of the file, then cut the connection as a flaky network would.
    const bytes = readFileSync(file);
    res.writeHead(200, { 'Content-Length': String(bytes.length), ETag: '"x"' });
    // A graceful close (FIN), not a reset: a reset can make the client drop bytes it already has.
    res.write(bytes.subarray(0, limit), () => res.socket?.end());
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    ...hub,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  } as FakeHub;
}
