/** A model file ready to load, with what every record needs to identify it. */
export interface ResolvedModel {
  name: string;
  /** GGUF file. */
  path: string;
  sha256: string;
  /**
   * Token ids that end generation beyond the vocabulary's own end-of-generation set, read from the file
   * (`trbench.extra_stop_token_ids`), so a model behaves the same whether it is named or given by path.
   */
  extraStopTokens: number[];
  /** Prompt template to use when a config does not say. */
  defaultTemplate: 'raw' | 'vicuna' | 'chatml';
  /** How the file was obtained (checkpoint hashes for converted models). */
  provenance: Record<string, string>;
}
