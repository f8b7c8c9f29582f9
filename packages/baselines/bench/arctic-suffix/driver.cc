// trbench's driver for ArcticInference's C++ SuffixTree (csrc/suffix_decoding/suffix_tree.{h,cc}), compiled
// with the authors' unmodified files by bench/suffix-arctic-diff.ts. One command per stdin line:
//   A <seq> <token>                   append
//   R <seq>                           remove a sequence
//   I                                 check_integrity() ("ok" or the message)
//   S <tree> <max> <factor> <offset> <minprob> <n> <t1 .. tn>   speculate; prints "<match_len> <score> | tok:parent ..."
#include "suffix_tree.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  SuffixTree tree(std::atoi(argv[1]));
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    char op = 0;
    in >> op;
    if (op == 'A') {
      int seq, token;
      in >> seq >> token;
      tree.append(seq, token);
    } else if (op == 'R') {
      int seq;
      in >> seq;
      tree.remove(seq);
    } else if (op == 'I') {
      std::string error = tree.check_integrity();
      std::cout << (error.empty() ? "ok" : error) << "\n";
    } else if (op == 'S') {
      int use_tree, max_tokens, n;
      float factor, offset, min_prob;
      in >> use_tree >> max_tokens >> factor >> offset >> min_prob >> n;
      std::vector<int32_t> context(n);
      for (auto& t : context) in >> t;
      Draft d = tree.speculate(context, max_tokens, factor, offset, min_prob, use_tree != 0);
      char score[64];
      std::snprintf(score, sizeof score, "%.17g", static_cast<double>(d.score));
      std::cout << d.match_len << " " << score << " |";
      for (size_t i = 0; i < d.token_ids.size(); i++) std::cout << " " << d.token_ids[i] << ":" << d.parents[i];
      std::cout << "\n";
    }
  }
  return 0;
}
