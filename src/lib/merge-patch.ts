// The shape of a JSON merge patch (RFC 7386) of a T: any part may be left out, an optional field
// may be null (which removes it), and arrays are replaced whole.

type Optional<T, K extends keyof T> = object extends Pick<T, K> ? null : never;

export type MergePatch<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: MergePatch<Exclude<T[K], undefined>> | Optional<T, K> }
    : T;
