// Compute microversions: what a request asks for (OpenStack-API-Version: compute X.Y, or the older
// X-OpenStack-Nova-API-Version), no header meaning 2.1, and the headers every answer carries back.
import { badRequest, NovaError } from './errors.ts';

export const MIN_MICROVERSION = '2.1';
/** Zed's newest (Nova 26). */
export const MAX_MICROVERSION = '2.93';

export class Microversion {
  readonly major: number;
  readonly minor: number;

  constructor(major: number, minor: number) {
    this.major = major;
    this.minor = minor;
  }

  static parse(text: string): Microversion | undefined {
    const m = /^(\d+)\.(\d+)$/.exec(text);
    return m ? new Microversion(Number(m[1]), Number(m[2])) : undefined;
  }

  get text(): string {
    return `${this.major}.${this.minor}`;
  }

  /** Whether this is `version` or newer, e.g. atLeast('2.47'). */
  atLeast(version: string): boolean {
    const [major = 0, minor = 0] = version.split('.').map(Number);
    return this.major !== major ? this.major > major : this.minor >= minor;
  }
}

const MIN = Microversion.parse(MIN_MICROVERSION) as Microversion;

/** A newest microversion the simulator can serve (an older cloud's), or an error saying what it takes. */
export function maxMicroversion(text: string = MAX_MICROVERSION): Microversion {
  const version = Microversion.parse(text);
  if (!version || !version.atLeast(MIN_MICROVERSION) || !(Microversion.parse(MAX_MICROVERSION) as Microversion).atLeast(version.text)) {
    throw new Error(`maxMicroversion ${text}: give one from ${MIN_MICROVERSION} to ${MAX_MICROVERSION}`);
  }
  return version;
}

/** The answer's headers for a request at `version` (also on a 406, which names the version refused). */
export const versionHeaders = (version: string): Record<string, string> => ({
  'OpenStack-API-Version': `compute ${version}`,
  'X-OpenStack-Nova-API-Version': version,
  Vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
});

/**
 * The microversion of a request. "latest" is the newest (`max`); anything else must be MajorNum.MinorNum
 * (so `compute 2.latest` is a 400) within [2.1, max] (else a 406 carrying the refused version's headers).
 */
export function requestedMicroversion(headers: Record<string, string | undefined>, max: Microversion): Microversion | { error: NovaError; headers: Record<string, string> } {
  const standard = headers['openstack-api-version']
    ?.split(',')
    .map((part) => part.trim().split(/\s+/))
    .find(([service]) => service?.toLowerCase() === 'compute')?.[1];
  const text = standard ?? headers['x-openstack-nova-api-version']?.trim();
  if (text === undefined) return MIN;
  if (text.toLowerCase() === 'latest') return max;
  const version = Microversion.parse(text);
  if (!version) return { error: badRequest(`API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`), headers: {} };
  if (!version.atLeast(MIN_MICROVERSION) || !max.atLeast(version.text)) {
    return { error: new NovaError(406, 'computeFault', `Version ${version.text} is not supported by the API. Minimum is ${MIN_MICROVERSION} and maximum is ${max.text}.`), headers: versionHeaders(version.text) };
  }
  return version;
}
