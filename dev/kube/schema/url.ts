// Go's url.ParseRequestURI, which Kubernetes' CEL URL library (`isURL`, `url()`) is built on: an
// absolute URI or an absolute path, no fragment. Followed rule by rule, so the local API server
// admits exactly the URLs a real one admits (e.g. a space in the host is refused, a port of 99999
// is not: Go checks only that a port is digits).

export interface RequestURI {
  scheme: string;
  /** Host and port as written (after unescaping), e.g. `[::1]:5000`. */
  host: string;
  /** The path exactly as sent, escapes kept (the query left out). */
  rawPath: string;
}

const isAlpha = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isDigit = (c: string) => c >= '0' && c <= '9';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** Characters a host may hold unescaped (Go's shouldEscape in host mode). */
const HOST_CHARS = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]$/;
/** Characters a path may hold unescaped (Go's shouldEscape in path mode). */
const PATH_CHARS = /^[A-Za-z0-9\-_.~$&+,/:;=@]$/;
/** Characters Go keeps as they are in an escaped path (validEncoded). */
const ENCODED_PATH_CHARS = /^[A-Za-z0-9\-_.~!$&'()*+,;=:@[\]%/]$/;

/** Go's getScheme: the scheme and the rest; no scheme when the first character cannot start one. */
function splitScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (isAlpha(c)) continue;
    if (isDigit(c) || c === '+' || c === '-' || c === '.') {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === ':') {
      if (i === 0) throw new Error('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

/** Go's unescape: `%` must start two hex digits; in a host, only bytes Go allows unescaped. */
function unescape(s: string, mode: 'host' | 'path'): string {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) throw new Error(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      // A host may escape only bytes beyond ASCII (and %25, the zone separator).
      if (mode === 'host' && parseInt(s[i + 1]!, 16) < 8 && s.slice(i, i + 3) !== '%25') throw new Error(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      i += 2;
    } else if (mode === 'host' && c.charCodeAt(0) < 0x80 && !HOST_CHARS.test(c)) {
      throw new Error(`invalid character ${JSON.stringify(c)} in host name`);
    }
  }
  // Go unescapes to bytes; they are read back as UTF-8 here.
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...new TextEncoder().encode(s[i]!));
    }
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** Go's validOptionalPort: empty, or a colon and digits (any number of them). */
const validOptionalPort = (port: string) => port === '' || /^:[0-9]*$/.test(port);

function parseHost(host: string): string {
  if (host.startsWith('[')) {
    const end = host.lastIndexOf(']');
    if (end < 0) throw new Error("missing ']' in host");
    const colonPort = host.slice(end + 1);
    if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${JSON.stringify(colonPort)} after host`);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && !validOptionalPort(host.slice(colon))) throw new Error(`invalid port ${JSON.stringify(host.slice(colon))} after host`);
  }
  return unescape(host, 'host');
}

/** Parses `raw` as Go's url.ParseRequestURI does; throws its error otherwise. */
export function parseRequestURI(raw: string): RequestURI {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new Error('net/url: invalid control character in URL');
  if (raw === '') throw new Error('empty url');
  if (raw === '*') return { scheme: '', host: '', rawPath: '*' };
  const [scheme, afterScheme] = splitScheme(raw);
  const question = afterScheme.indexOf('?');
  let rest = question >= 0 ? afterScheme.slice(0, question) : afterScheme;
  if (!rest.startsWith('/')) {
    // Rootless after a scheme (`mailto:x`, `host:5000/v3`): Go takes it as an opaque URL, hostless.
    if (scheme !== '') return { scheme: scheme.toLowerCase(), host: '', rawPath: '' };
    throw new Error('invalid URI for request');
  }
  let host = '';
  if (scheme !== '' && rest.startsWith('//')) {
    let authority = rest.slice(2);
    const slash = authority.indexOf('/');
    rest = slash >= 0 ? authority.slice(slash) : '';
    authority = slash >= 0 ? authority.slice(0, slash) : authority;
    const at = authority.lastIndexOf('@');
    if (at >= 0 && !/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(authority.slice(0, at))) throw new Error('net/url: invalid userinfo');
    host = parseHost(authority.slice(at + 1));
  }
  unescape(rest, 'path');
  return { scheme: scheme.toLowerCase(), host, rawPath: rest };
}

/** Go's splitHostPort: the port only when what follows the last colon is one; IPv6 brackets dropped. */
function splitHostPort(hostPort: string): [string, string] {
  let host = hostPort;
  let port = '';
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && validOptionalPort(host.slice(colon))) [host, port] = [host.slice(0, colon), host.slice(colon + 1)];
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [host, port];
}

/** The host without its port and IPv6 brackets (Go's URL.Hostname). */
export const hostnameOf = (uri: RequestURI): string => splitHostPort(uri.host)[0];

/** The port, '' when none (Go's URL.Port). */
export const portOf = (uri: RequestURI): string => splitHostPort(uri.host)[1];

/** The path as Go's URL.EscapedPath gives it: as written when that is a valid escaping, else escaped. */
export function escapedPathOf(uri: RequestURI): string {
  if ([...uri.rawPath].every((c) => ENCODED_PATH_CHARS.test(c))) return uri.rawPath;
  const path = unescape(uri.rawPath, 'path');
  return [...new TextEncoder().encode(path)]
    .map((b) => {
      const c = String.fromCharCode(b);
      return b < 0x80 && PATH_CHARS.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}
