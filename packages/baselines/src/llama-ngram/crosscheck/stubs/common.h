// Stub of common/common.h for the n-gram cross-check: the types and parameter structs that
// common/ngram-*.cpp and the n-gram parts of common/speculative.cpp use, with llama.cpp's field names
// and defaults (common.h of the pinned release).
#pragma once
#include "llama.h"
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

typedef std::vector<llama_token> llama_tokens;

#define GGML_ASSERT(x) do { if (!(x)) { std::fprintf(stderr, "GGML_ASSERT(%s) failed at %s:%d\n", #x, __FILE__, __LINE__); std::abort(); } } while (0)
#define GGML_ABORT(...) do { std::fprintf(stderr, __VA_ARGS__); std::fprintf(stderr, "\n"); std::abort(); } while (0)

static inline int64_t ggml_time_ms() { return 0; }

struct common_time_meas {
    common_time_meas(int64_t &, bool = false) {}
};

enum common_speculative_type {
    COMMON_SPECULATIVE_TYPE_NONE,
    COMMON_SPECULATIVE_TYPE_DRAFT_SIMPLE,
    COMMON_SPECULATIVE_TYPE_DRAFT_EAGLE3,
    COMMON_SPECULATIVE_TYPE_DRAFT_MTP,
    COMMON_SPECULATIVE_TYPE_DRAFT_DFLASH,
    COMMON_SPECULATIVE_TYPE_DRAFT_DSPARK,
    COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE,
    COMMON_SPECULATIVE_TYPE_NGRAM_MAP_K,
    COMMON_SPECULATIVE_TYPE_NGRAM_MAP_K4V,
    COMMON_SPECULATIVE_TYPE_NGRAM_MOD,
    COMMON_SPECULATIVE_TYPE_NGRAM_CACHE,
    COMMON_SPECULATIVE_TYPE_COUNT
};

static inline std::string common_speculative_type_to_str(common_speculative_type) { return ""; }

struct common_params_speculative_ngram_mod {
    int32_t n_match = 24;
    int32_t n_max = 64;
    int32_t n_min = 48;
};

struct common_params_speculative_ngram_map {
    uint16_t size_n   = 12;
    uint16_t size_m   = 48;
    uint16_t min_hits = 1;
};

struct common_params_speculative_ngram_cache {
    std::string lookup_cache_static;
    std::string lookup_cache_dynamic;
};

struct common_params_speculative {
    common_params_speculative_ngram_mod ngram_mod;
    common_params_speculative_ngram_map ngram_simple;
    common_params_speculative_ngram_map ngram_map_k;
    common_params_speculative_ngram_map ngram_map_k4v;
    common_params_speculative_ngram_cache ngram_cache;
};

// speculative.h
struct common_speculative_draft_params {
    bool drafting = false;
    int32_t n_max = -1;
    llama_pos   n_past;
    llama_token id_last;
    const llama_tokens * prompt;
    llama_tokens * result;
};

#define SPC_DBG(...) ((void) 0)
#define SPC_TRC(...) ((void) 0)
#define SPC_INF(...) ((void) 0)
#define SPC_WRN(...) ((void) 0)
#define SPC_ERR(...) ((void) 0)
