/** What the header parser finds: names and shapes. Layout comes from the compiler, not from here. */

export interface DefineDecl {
  name: string;
  body: string;
  kind: 'number' | 'string' | 'ioctl';
}

export interface EnumDecl {
  name: string;
  members: string[];
}

/** A field's C type, reduced to what a codec needs. */
export type FieldType =
  | { kind: 'int'; ctype: IntCType }
  | { kind: 'char' }
  | { kind: 'uuid' }
  | { kind: 'struct'; name: string }
  | { kind: 'pointer'; target: string };

export type IntCType = '__u8' | '__u16' | '__u32' | '__u64' | '__s8' | '__s16' | '__s32' | '__s64' | '__le16' | '__le32' | '__le64';

export interface FieldDecl {
  name: string;
  type: FieldType;
  /** Number of array dimensions: 0 for a scalar. */
  rank: number;
  /** The declaration as written, for comments. */
  text: string;
}

export interface StructDecl {
  name: string;
  isUnion: boolean;
  fields: FieldDecl[];
}

export interface HeaderModel {
  defines: DefineDecl[];
  enums: EnumDecl[];
  structs: StructDecl[];
}

/** What the compiler reports. */
export interface FieldLayout {
  name: string;
  offset: number;
  size: number;
  /** Extent of each array dimension, outermost first; empty for a scalar. */
  dims: number[];
  /** Size of one innermost element (equals size for a scalar). */
  elemSize: number;
}

export interface StructLayout {
  name: string;
  size: number;
  align: number;
  fields: FieldLayout[];
}

export interface Layout {
  structs: StructLayout[];
  enums: Record<string, Record<string, number>>;
  numbers: Record<string, string>;
  strings: Record<string, string>;
  ioctls: Record<string, string>;
}
