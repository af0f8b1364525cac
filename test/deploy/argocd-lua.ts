// Runs config/argocd/health.lua as Argo CD runs an argocd-cm health script, with lua5.1 (Argo CD's
// gopher-lua has Lua 5.1 semantics) as a subprocess: the object as the global `obj`, no standard library
// but the base functions, table and require("os") (with os.time only, which the script needs, and a clock
// the test may set), and the string methods gone. It records which lines ran and which line followed
// which, for the branch coverage check.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { HEALTH_LUA } from '../../scripts/gen-argocd.ts';

export const SCRIPT = readFileSync(HEALTH_LUA, 'utf8');

export interface HealthStatus {
  status: string;
  message?: string;
}

export interface HealthCase {
  obj: unknown;
  /** What os.time() returns (Unix seconds); the real clock when absent. */
  now?: number;
}

export interface Coverage {
  /** Lines of the script that ran. */
  lines: Set<number>;
  /** Line -> the lines that ran next in the same function. */
  next: Map<number, Set<number>>;
}

/** A JSON value as a Lua expression: what Argo CD's decodeValue builds (null is nil, arrays are sequences). */
export function luaValue(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{${value.map(luaValue).join(', ')}}`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `[${luaString(k)}] = ${luaValue(v)}`).join(', ')}}`;
  throw new Error(`no Lua value for ${typeof value}`);
}

/** A Lua string literal of the UTF-8 bytes of `text`: printable ASCII as is, every other byte as \ddd. */
function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c;
    out += printable ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** A long bracket ([==[ ... ]==]) holding `text` verbatim. */
function longString(text: string): string {
  let level = '';
  while (text.includes(`]${level}]`)) level += '=';
  // A newline right after the opening bracket is dropped by Lua: one more keeps the first line.
  return `[${level}[\n${text}]${level}]`;
}

const CHUNK = '=health.lua';

/** The Lua program that runs the script once per case and prints the results and the coverage as JSON. */
function program(script: string, cases: HealthCase[]): string {
  return `
local script = assert(loadstring(${longString(script)}, "${CHUNK}"))
local cases = {
${cases.map((c) => `  { obj = ${luaValue(c.obj)}, now = ${c.now ?? 'nil'} },`).join('\n')}
}
local lines, next_lines, last = {}, {}, {}
local function hook(event, line)
  local info = debug.getinfo(2, "fS")
  if info.source ~= "${CHUNK}" then return end
  if event == "call" then
    last[info.func] = nil
    return
  end
  lines[line] = true
  local previous = last[info.func]
  if previous then
    next_lines[previous] = next_lines[previous] or {}
    next_lines[previous][line] = true
  end
  last[info.func] = line
end
local function json(s)
  return '"' .. (string.gsub(s, '[%z\\1-\\31"\\\\]', function(c) return string.format("\\\\u%04x", string.byte(c)) end)) .. '"'
end
local function run(case)
  local clock = { time = function(t)
    assert(t == nil, "os.time(table) reads the table as local time")
    return case.now or os.time()
  end }
  local base = { "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawset", "select", "setmetatable", "getmetatable", "tonumber", "tostring", "type", "unpack", "xpcall" }
  local env = { obj = case.obj, table = table }
  for _, name in ipairs(base) do env[name] = _G[name] end
  env.require = function(name)
    assert(name == "os", "Argo CD preloads no module " .. tostring(name) .. " but os")
    return clock
  end
  setfenv(script, env)
  local strings = getmetatable("")
  debug.setmetatable("", nil)
  debug.sethook(hook, "cl")
  local ok, result = pcall(script)
  debug.sethook()
  debug.setmetatable("", strings)
  if not ok then return '{"error":' .. json(tostring(result)) .. '}' end
  if type(result) ~= "table" then return '{"error":"returned ' .. type(result) .. '"}' end
  local message = ""
  if result.message ~= nil then message = ',"message":' .. json(tostring(result.message)) end
  return '{"status":' .. json(tostring(result.status)) .. message .. '}'
end
local results = {}
for i, case in ipairs(cases) do results[i] = run(case) end
local covered, followed = {}, {}
for line in pairs(lines) do covered[#covered + 1] = line end
for line, successors in pairs(next_lines) do
  local list = {}
  for successor in pairs(successors) do list[#list + 1] = successor end
  followed[#followed + 1] = '"' .. line .. '":[' .. table.concat(list, ",") .. ']'
end
io.write('{"results":[', table.concat(results, ","), '],"lines":[', table.concat(covered, ","), '],"next":{', table.concat(followed, ","), '}}')
`;
}

/** Runs the script over every case in one lua5.1 process (with TZ set, when given). */
export async function runHealth(cases: HealthCase[], options: { script?: string; tz?: string } = {}): Promise<{ results: HealthStatus[]; coverage: Coverage }> {
  const child = spawn('lua5.1', ['-'], { env: { ...process.env, ...(options.tz ? { TZ: options.tz } : {}) }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  child.stdin.end(program(options.script ?? SCRIPT, cases));
  const code = await exited;
  if (code !== 0) throw new Error(`lua5.1 exited with ${code}: ${Buffer.concat(err).toString('utf8')}`);
  const parsed = JSON.parse(Buffer.concat(out).toString('utf8')) as { results: (HealthStatus & { error?: string })[]; lines: number[]; next: Record<string, number[]> };
  const failed = parsed.results.findIndex((r) => r.error !== undefined);
  if (failed >= 0) throw new Error(`health.lua failed on case ${failed}: ${parsed.results[failed]!.error}`);
  return {
    results: parsed.results,
    coverage: { lines: new Set(parsed.lines), next: new Map(Object.entries(parsed.next).map(([line, next]) => [Number(line), new Set(next)])) },
  };
}

/** Coverage of several runs together. */
export function mergeCoverage(runs: Coverage[]): Coverage {
  const merged: Coverage = { lines: new Set(), next: new Map() };
  for (const run of runs) {
    for (const line of run.lines) merged.lines.add(line);
    for (const [line, next] of run.next) for (const n of next) merged.next.set(line, (merged.next.get(line) ?? new Set()).add(n));
  }
  return merged;
}

/** Opcodes that decide between two ways on (luac's listing): comparisons and tests (each with its jump), loops. */
const DECISIONS = new Set(['EQ', 'LT', 'LE', 'TEST', 'TESTSET', 'FORLOOP', 'TFORLOOP']);

export interface Listing {
  /** Lines with instructions, but for lines that are only `end` (a function's implicit return, never reached after an explicit one). */
  lines: Set<number>;
  /** Line -> how many decisions it holds. */
  decisions: Map<number, number>;
}

/** What luac5.1 compiles the script to: the lines with code and the decisions on each. */
export function listing(script: string = SCRIPT): Listing {
  const result = spawnSync('luac5.1', ['-p', '-l', '-'], { input: script, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`luac5.1: ${result.stderr}`);
  const source = script.split('\n');
  const lines = new Set<number>();
  const decisions = new Map<number, number>();
  for (const match of result.stdout.matchAll(/^\s+\d+\s+\[(\d+)\]\s+([A-Z]+)/gm)) {
    const line = Number(match[1]);
    if (source[line - 1]?.trim() !== 'end') lines.add(line);
    if (DECISIONS.has(match[2]!)) decisions.set(line, (decisions.get(line) ?? 0) + 1);
  }
  return { lines, decisions };
}
