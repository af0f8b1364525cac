// String formats the apiextensions-apiserver checks (kube-openapi's strfmt registry). Formats it does
// not know, and numeric formats such as int32, are accepted without a check, as there.
import { parseCIDR, parseIP } from '../../../src/net/ip.ts';

const HOSTNAME = /^[a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)(\.[a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?))*\.?$/u;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID_VERSION = (v: number) => new RegExp(`^[0-9a-f]{8}-?[0-9a-f]{4}-?${v}[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$`, 'i');
const MAC = /^([0-9a-fA-F]{2}([:-])){5}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{2}([:-])){19}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DURATION = /^(([+-]?\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?)\s*)+)$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const HEX_COLOR = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const RGB_COLOR = /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/;
const BSON_OBJECT_ID = /^[0-9a-fA-F]{24}$/;

function validDate(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
}

const CHECKS: Record<string, (s: string) => boolean> = {
  hostname: (s) => s.length <= 255 && HOSTNAME.test(s),
  ipv4: (s) => !s.includes(':') && parseIP(s, false)?.family === 4,
  ipv6: (s) => s.includes(':') && parseIP(s, false) !== undefined,
  cidr: (s) => parseCIDR(s, false) !== undefined,
  mac: (s) => MAC.test(s),
  uuid: (s) => UUID.test(s),
  uuid3: (s) => UUID_VERSION(3).test(s),
  uuid4: (s) => UUID_VERSION(4).test(s),
  uuid5: (s) => UUID_VERSION(5).test(s),
  byte: (s) => BASE64.test(s),
  date: (s) => {
    const m = DATE.exec(s);
    return m !== null && validDate(m[1]!, m[2]!, m[3]!);
  },
  'date-time': (s) => {
    const m = DATE_TIME.exec(s);
    return m !== null && validDate(m[1]!, m[2]!, m[3]!) && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 61;
  },
  duration: (s) => DURATION.test(s),
  email: (s) => EMAIL.test(s),
  uri: (s) => URL.canParse(s),
  hexcolor: (s) => HEX_COLOR.test(s),
  rgbcolor: (s) => {
    const m = RGB_COLOR.exec(s);
    return m !== null && [m[1], m[2], m[3]].every((c) => Number(c) <= 255);
  },
  bsonobjectid: (s) => BSON_OBJECT_ID.test(s),
};
CHECKS.datetime = CHECKS['date-time']!;

/** False when `format` is one the apiserver checks and `value` does not satisfy it. */
export function matchesFormat(format: string, value: string): boolean {
  const check = CHECKS[format];
  return check === undefined || check(value);
}
