/** Which libllama to load. `auto` picks CUDA, then Vulkan, then CPU, as node-llama-cpp does. */
export type GpuChoice = 'auto' | 'cuda' | 'vulkan' | false;
export type Variant = 'cpu' | 'cuda' | 'vulkan';

/** Where the libraries of one variant are, and what to tell about them. */
export interface LocatedLibrary {
  variant: Variant;
  binsDir: string;
  ggmlPath: string;
  llamaPath: string;
  versionString: string;
  /** node-llama-cpp's prebuilt CPU/GPU backends are plug-ins loaded from the folder; a build from source links them in. */
  backendPlugins: boolean;
  /** Folder of node-llama-cpp's CUDA build for the older runtime, tried when the first finds no GPU. */
  fallbackPlugins: string | null;
}
