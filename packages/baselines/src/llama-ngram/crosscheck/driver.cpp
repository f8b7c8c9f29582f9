// Cross-check driver: llama.cpp's own n-gram speculators (common/ngram-*.cpp and the n-gram parts of
// common/speculative.cpp, extracted verbatim from the pinned bundle into speculative-ngram.inc) driven
// the way tools/server/server-context.cpp drives them for one slot at --temp 0.
//
// stdin:  T <type> <size_n> <size_m> <min_hits> <n_match> <n_min> <n_max> <n_ctx> <eos> <eos2> <warm>
//         then requests  R <max_new> <S> <prompt...> <G> <stream...>  (stream = the target's greedy output)
//         then E; repeated for the next configuration.
// stdout: one line per step: the draft ("<k> t1 .. tk"; the first step of a request is "0"), "#" after each
//         request, "=" after each configuration.
#include "common.h"
#include "log.h"
#include "ngram-cache.h"
#include "ngram-map.h"
#include "ngram-mod.h"

#include <algorithm>
#include <cassert>
#include <iostream>
#include <map>
#include <sstream>

using common_speculative_draft_params_vec = std::vector<common_speculative_draft_params>;

#include "speculative-ngram.inc"

static std::unique_ptr<common_speculative> make_spec(int type, common_params_speculative & params) {
    std::vector<std::unique_ptr<common_speculative_impl>> impls;
    common_speculative_config config((common_speculative_type) type, params);
    switch (type) {
        case COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE: {
            common_ngram_map ngram_map = get_common_ngram_map(config.type, config.params.ngram_simple);
            auto config_simple = common_ngram_simple_config { ngram_map.size_key, ngram_map.size_value };
            impls.push_back(std::make_unique<common_speculative_impl_ngram_simple>(config.params, 1, config_simple));
            break;
        }
        case COMMON_SPECULATIVE_TYPE_NGRAM_MAP_K:
            impls.push_back(std::make_unique<common_speculative_impl_ngram_map_k>(get_common_ngram_map(config.type, config.params.ngram_map_k), 1));
            break;
        case COMMON_SPECULATIVE_TYPE_NGRAM_MAP_K4V:
            impls.push_back(std::make_unique<common_speculative_impl_ngram_map_k>(get_common_ngram_map(config.type, config.params.ngram_map_k4v), 1));
            break;
        case COMMON_SPECULATIVE_TYPE_NGRAM_MOD:
            impls.push_back(std::make_unique<common_speculative_impl_ngram_mod>(config.params, 1));
            break;
        case COMMON_SPECULATIVE_TYPE_NGRAM_CACHE: {
            auto state = create_state_ngram_cache(config, 1, "", "");
            impls.push_back(std::make_unique<common_speculative_impl_ngram_cache>(state));
            break;
        }
        default:
            std::fprintf(stderr, "unknown type %d\n", type);
            std::exit(2);
    }
    return std::unique_ptr<common_speculative>(new common_speculative {
        common_speculative_draft_params_vec(1), std::move(impls), std::vector<common_speculative_impl *>(1, nullptr), {} });
}

int main() {
    std::ios::sync_with_stdio(false);
    std::string tag;
    std::ostringstream out;
    while (std::cin >> tag) {
        if (tag != "T") { std::fprintf(stderr, "expected T, got %s\n", tag.c_str()); return 2; }
        int type, size_n, size_m, min_hits, n_match, n_min, n_max, n_ctx, eos, eos2, warm;
        std::cin >> type >> size_n >> size_m >> min_hits >> n_match >> n_min >> n_max >> n_ctx >> eos >> eos2 >> warm;
        common_params_speculative params;
        for (auto * p : { &params.ngram_simple, &params.ngram_map_k, &params.ngram_map_k4v }) {
            p->size_n = (uint16_t) size_n;
            p->size_m = (uint16_t) size_m;
            p->min_hits = (uint16_t) min_hits;
        }
        params.ngram_mod.n_match = n_match;
        params.ngram_mod.n_min = n_min;
        params.ngram_mod.n_max = n_max;
        auto spec = make_spec(type, params);
        while (std::cin >> tag && tag == "R") {
            if (!warm) spec = make_spec(type, params);
            int max_new, n_prompt, n_stream;
            std::cin >> max_new >> n_prompt;
            llama_tokens prompt(n_prompt);
            for (auto & t : prompt) std::cin >> t;
            std::cin >> n_stream;
            llama_tokens stream(n_stream);
            for (auto & t : stream) std::cin >> t;

            // server: begin(full prompt) once the prompt is processed; the first token needs no draft
            common_speculative_begin(spec.get(), 0, prompt);
            llama_tokens tokens = prompt;
            llama_token sampled = stream[0];
            int n_gen = 1;
            out << "0\n";
            bool done = sampled == eos || sampled == eos2 || n_gen >= max_new;
            while (!done) {
                // server_slot::get_n_draft_max
                int n_draft_max = n_ctx - (int) tokens.size() - 2;
                n_draft_max = std::min(n_draft_max, max_new - n_gen - 1);
                llama_tokens draft;
                if (n_draft_max > 0) {
                    llama_tokens spec_prompt = tokens;
                    spec->dparams[0] = { true, n_draft_max, (llama_pos) tokens.size(), sampled, &spec_prompt, &draft };
                    common_speculative_draft(spec.get());
                }
                out << draft.size();
                for (auto t : draft) out << ' ' << t;
                out << '\n';
                // greedy verification against the scripted target
                size_t a = 0;
                while (a < draft.size() && draft[a] == stream[n_gen + a]) a++;
                if (!draft.empty()) common_speculative_accept(spec.get(), 0, (uint16_t) a);
                tokens.push_back(sampled);
                for (size_t i = 0; i < a; i++) tokens.push_back(stream[n_gen + i]);
                const int first = n_gen;
                sampled = stream[first + a];
                for (size_t i = 0; i <= a; i++) {
                    const llama_token t = stream[first + i];
                    n_gen++;
                    if (t == eos || t == eos2 || n_gen >= max_new) { done = true; break; }
                }
            }
            out << "#\n";
        }
        if (tag != "E") { std::fprintf(stderr, "expected E, got %s\n", tag.c_str()); return 2; }
        out << "=\n";
    }
    std::cout << out.str();
    return 0;
}
