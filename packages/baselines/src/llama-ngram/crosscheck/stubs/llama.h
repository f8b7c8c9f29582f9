// Stub of llama.h for the n-gram cross-check: only the types common/ngram-*.cpp use.
#pragma once
#include <cstdint>
#include <vector>
typedef int32_t llama_token;
typedef int32_t llama_pos;
typedef int32_t llama_seq_id;
#define LLAMA_TOKEN_NULL -1
struct llama_batch {};
struct llama_context;
