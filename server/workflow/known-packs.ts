// Where well-known node classes come from, so "not installed" errors can say what to install.
// Files saved by recent editors also name the pack in `properties.cnr_id`; this table covers
// older files and the most common classes.

const CORE = 'ComfyUI core (not yet available in FlashGraph)';

const VHS_MISSING = 'ComfyUI-VideoHelperSuite (comfyui-videohelpersuite); FlashGraph\'s built-in VHS pack does not have this node yet';

const KNOWN: Record<string, string> = {
  KSampler: CORE,
  KSamplerAdvanced: CORE,
  CheckpointLoaderSimple: CORE,
  CLIPTextEncode: CORE,
  VAEDecode: CORE,
  VAEEncode: CORE,
  EmptyLatentImage: CORE,
  LoraLoader: CORE,
  UNETLoader: CORE,
  CLIPLoader: CORE,
  VAELoader: CORE,
  LoadImage: CORE,
  SaveImage: CORE,
  PreviewImage: CORE,
  LoadVideo: CORE,
  SaveVideo: CORE,
  CreateVideo: CORE,
  GetVideoComponents: CORE,
  LoadAudio: CORE,
  SaveAudio: CORE,
  // The VideoHelperSuite classes FlashGraph's built-in pack (nodes/vhs) does not provide; the ones
  // it does (VHS_LoadVideo, VHS_VideoCombine...) are never unknown.
  ...Object.fromEntries(
    [
      'VHS_AudioToVHSAudio',
      'VHS_VHSAudioToAudio',
      'VHS_VAEEncodeBatched',
      'VHS_VAEDecodeBatched',
      'VHS_SplitLatents',
      'VHS_MergeLatents',
      'VHS_GetLatentCount',
      'VHS_DuplicateLatents',
      'VHS_SelectEveryNthLatent',
      'VHS_SelectLatents',
    ].map((type) => [type, VHS_MISSING]),
  ),
  'Reroute (rgthree)': 'rgthree-comfy (use a plain Reroute instead)',
  'Power Lora Loader (rgthree)': 'rgthree-comfy',
  'Fast Groups Muter (rgthree)': 'rgthree-comfy',
  'Seed Everywhere': 'cg-use-everywhere',
  UpscaleModelLoader: CORE,
  ImageUpscaleWithModel: CORE,
};

/** A readable pack name for `type`, from the node's own properties or the table. */
export function packHint(type: string, properties: Record<string, unknown> = {}): string | undefined {
  if (type.startsWith('workflow>') || type.startsWith('workflow/')) {
    return 'a legacy group node (expanded only in the root graph: ungroup it in ComfyUI)';
  }
  if (Object.hasOwn(KNOWN, type)) return KNOWN[type];
  const cnr = properties.cnr_id;
  if (cnr === 'comfy-core') return CORE;
  if (typeof cnr === 'string' && cnr !== '') return `the "${cnr}" custom node pack`;
  const aux = properties.aux_id;
  if (typeof aux === 'string' && aux !== '') return `the custom node pack ${aux}`;
  return undefined;
}
