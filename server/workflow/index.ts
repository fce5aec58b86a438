// Workflow files: ComfyUI's UI format and API format, read, converted and written.
export { applyControlAfterGenerate, nextValue, RANDOMIZE_LIMIT, type ControlChange } from './control.ts';
export { detectWorkflow, toApiPrompt, type LoadedWorkflow } from './detect.ts';
export { UnknownNodeTypesError, WorkflowError, type UnknownNodeType } from './errors.ts';
export { migrateFormerCore, migrateFormerCoreApi } from './former-core.ts';
export { packHint } from './known-packs.ts';
export { isUiWorkflow, parseWorkflow, serializeWorkflow, type WorkflowModel } from './parse.ts';
export { uiToApi, VIRTUAL_TYPES, type ConversionResult, type ConvertOptions } from './to-api.ts';
export { apiToUi, type UiConversionResult } from './to-ui.ts';
export { mapWidgetValues, widgetSlots, type WidgetSlot } from './widgets.ts';
