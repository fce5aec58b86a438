// The DNS-rebinding guard: a request must name this server in its Host header. A web page whose
// own name has been re-pointed at 127.0.0.1 (or at a LAN address) reaches the server with its own
// name in Host, so refusing every name the server does not answer to stops it, on HTTP and on every
// WebSocket and socket.io handshake alike.
//
// Accepted: loopback names and addresses (localhost, *.localhost, 127.0.0.0/8, ::1) always; with
// `--listen` beyond loopback, the addresses the server listens on (every interface address for
// 0.0.0.0 / ::); and the names given with `--allowed-host` (a leading dot also allows subdomains,
// as in vite's `server.allowedHosts`).
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export interface HostRule {
  /** The address the server listens on (`--listen`). */
  listenHost: string;
  /** Extra names from `--allowed-host`: `studio.example`, or `.example.org` for it and its subdomains. */
  allowedHosts: readonly string[];
}

export function isLoopback(hostname: string): boolean {
  const name = bare(hostname);
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || /^::ffff:127\./.test(name);
  return false;
}

/** `0.0.0.0`, `::` and friends: every interface. */
export function isWildcardAddress(address: string): boolean {
  const name = bare(address);
  return name === '' || name === '0.0.0.0' || name === '::' || name === '::0' || name === '0:0:0:0:0:0:0:0';
}

/** Why the request's Host is refused (a message for the 403), or undefined when it is accepted. */
export function hostRefusalReason(req: IncomingMessage, rule: HostRule): string | undefined {
  const raw = req.headers.host;
  // HTTP/1.0 clients may send none; browsers always do, so a missing Host is no rebinding.
  if (raw === undefined || raw === '') return undefined;
  const hostname = hostnameOf(raw);
  if (hostname === undefined) return `malformed Host header ${JSON.stringify(raw)}`;
  if (hostAllowed(hostname, rule)) return undefined;
  const accepted = isLoopback(rule.listenHost) ? 'loopback names only' : `loopback names and the addresses it listens on (${rule.listenHost})`;
  return `Host ${JSON.stringify(raw)} is not a name of this server: it answers to ${accepted}; start it with --allowed-host ${hostname} to accept that name`;
}

export function hostAllowed(hostname: string, rule: HostRule): boolean {
  const name = bare(hostname);
  if (isLoopback(name)) return true;
  for (const entry of rule.allowedHosts) {
    const allowed = bare(entry);
    if (allowed.startsWith('.') ? name === allowed.slice(1) || name.endsWith(allowed) : name === allowed) return true;
  }
  if (isLoopback(rule.listenHost)) return false;
  if (!isWildcardAddress(rule.listenHost)) return name === bare(rule.listenHost);
  // Looked up per request (only for Hosts that are neither loopback nor allowed by name), so an
  // address gained later (DHCP, a new interface) is accepted too.
  return Object.values(networkInterfaces()).some((list) => list?.some((info) => bare(info.address) === name));
}

/**
 * The host name of a Host header (`name`, `name:port`, `[v6]`, `[v6]:port`), lower-cased; undefined
 * when the header is anything else (userinfo, paths and spaces included).
 */
export function hostnameOf(header: string): string | undefined {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::\d{1,5})?$/.exec(header);
  if (v6) return isIP(v6[1]!) === 6 ? v6[1]!.toLowerCase() : undefined;
  const named = /^([A-Za-z0-9._-]+)(?::\d{1,5})?$/.exec(header);
  return named ? named[1]!.toLowerCase() : undefined;
}

/** Lower case, without IPv6 brackets, a zone id or a trailing dot ("localhost." names localhost). */
function bare(name: string): string {
  return name
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '')
    .replace(/\.$/, '')
    .toLowerCase();
}
