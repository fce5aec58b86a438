// FlashGraph's counterpart of ComfyUI's tests/execution/testing_nodes/testing-pack, loaded by
// the conformance suite through the server's custom nodes folder (tests/nodes).
import { asyncNodes } from './async.ts';
import { flowNodes } from './flow.ts';
import { ioNodes } from './io.ts';
import { specificNodes } from './specific.ts';
import { stubNodes } from './stubs.ts';

export const nodes = [...stubNodes, ...specificNodes, ...flowNodes, ...asyncNodes, ...ioNodes];
