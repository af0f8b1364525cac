// TypeBox helpers that keep two views of one schema: what the API server returns (defaults
// applied, so defaulted fields are always present) and what a user writes (defaulted fields
// may be omitted).
import { CloneType } from '@sinclair/typebox';
import type { Static, TArray, TObject, TOptional, TProperties, TRecord, TSchema } from '@sinclair/typebox';

declare const DefaultedKind: unique symbol;

/** A schema whose absent value the API server fills in with its default. */
export type TDefaulted<T extends TSchema> = T & { [DefaultedKind]: true };

/** Gives `schema` a server-side default: required in `Static`, optional in `Input`. */
export function defaulted<T extends TSchema>(schema: T, value: Input<T>): TDefaulted<T> {
  return CloneType(schema, { default: value }) as TDefaulted<T>;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type OmittableKeys<P extends TProperties> = {
  [K in keyof P]: P[K] extends TOptional<TSchema> | TDefaulted<TSchema> ? K : never;
}[keyof P];

/** The type of a manifest a user writes: like `Static`, but defaulted fields are optional. */
export type Input<T extends TSchema> =
  T extends TObject<infer P>
    ? Simplify<
        { [K in Exclude<keyof P, OmittableKeys<P>>]: Input<P[K]> } & { [K in OmittableKeys<P>]?: Input<P[K]> }
      >
    : T extends TArray<infer I>
      ? Input<I>[]
      : T extends TRecord<TSchema, infer V>
        ? Record<string, Input<V>>
        : Static<T>;
