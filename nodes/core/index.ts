import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { FloatMath, IntMath } from './math.ts';
import { PreviewAny, SaveText } from './outputs.ts';
import { PrimitiveBoolean, PrimitiveFloat, PrimitiveInt, PrimitiveString, PrimitiveStringMultiline } from './primitives.ts';
import { StringConcatenate } from './strings.ts';

/** The built-in node pack. */
export const nodes: NodeDefinition[] = [
  PrimitiveInt,
  PrimitiveFloat,
  PrimitiveString,
  PrimitiveStringMultiline,
  PrimitiveBoolean,
  IntMath,
  FloatMath,
  StringConcatenate,
  PreviewAny,
  SaveText,
];
