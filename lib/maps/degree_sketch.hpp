// SPDX-License-Identifier: MIT
// Private: the common frame of the sketch maps that give every degree n of
// f(t) = sum a_n t^n its own block of D_n features ("tensorsketch", "srht"):
// the exact constant/linear part (budget.hpp), the split of the remaining
// m = D - exact_dim() features across degrees (degree_allocation.hpp; the
// default one or, with option "opt", the optimised one computed by fit()),
// and the save/load framing. Output rows: the exact part, then the blocks of
// the allocated degrees in increasing order; if the kernel has no mass beyond
// the exact part, the remaining rows are zero.
#pragma once

#include <deepdot/maps/feature_map.hpp>

#include "maps/stateful_map.hpp"
#include "maps/budget.hpp"
#include "maps/degree_allocation.hpp"

#include "io/binary_io.hpp"

#include <string>

namespace deepdot::detail {

class DegreeSketchMap : public StatefulMap {
 public:
  bool is_fitted() const override { return fitted_; }
  arma::uword min_fit_points() const override { return optimised_ ? 1 : 0; }

  void fit(const arma::mat& sample) override {
    FeatureMap::fit(sample);
    if (!optimised_) return;
    alloc_ = optimised_allocation(kernel(), exact_.first_random_degree(), budget_, sample);
    draw_parameters();
    fitted_ = true;
  }

  std::string spec() const override { return name_ + (optimised_ ? ":opt" : ""); }

  void save_state(BinaryWriter& out) const override {
    out.u8(fitted_ ? 1 : 0);
    if (!fitted_) return;
    alloc_.save(out);
    save_parameters(out);
  }

  void load_state(BinaryReader& in) override {
    const std::uint8_t fitted = in.u8("the fitted flag");
    if (fitted > 1 || (fitted == 0 && !optimised_))
      in.error("invalid fitted flag " + std::to_string(fitted) + " for " + spec());
    fitted_ = fitted == 1;
    if (!fitted_) return;
    alloc_ = DegreeAllocation::load(in, a_, exact_.first_random_degree(), budget_);
    load_parameters(in);
  }

  const DegreeAllocation& allocation() const { return alloc_; }

 protected:
  DegreeSketchMap(std::string name, const Kernel& kernel, arma::uword d, arma::uword D, std::uint64_t seed,
                  bool optimised)
      : StatefulMap(kernel, d, D, seed),
        name_(std::move(name)),
        optimised_(optimised),
        exact_(kernel, d, D),
        budget_(D - exact_.exact_dim()),
        a_(kernel.coefficients(kMaxRandomDegree + 1)),
        fitted_(!optimised) {}

  /// To be called at the end of the derived constructor (virtual calls are not
  /// dispatched to the derived class inside the base constructor).
  void initialise() {
    if (optimised_) return;
    alloc_ = shape_allocation(default_allocation(kernel(), exact_.first_random_degree(), budget_));
    draw_parameters();
  }

  /// The map's own adjustment of the default allocation (e.g. lengths its
  /// transforms handle fast); the optimised allocation is kept as computed.
  virtual DegreeAllocation shape_allocation(DegreeAllocation alloc) const { return alloc; }

  /// Draws the random parameters of every degree in alloc_ from the seed.
  virtual void draw_parameters() = 0;
  /// Writes / reads (and validates) the parameters of every degree in alloc_.
  virtual void save_parameters(BinaryWriter& out) const = 0;
  virtual void load_parameters(BinaryReader& in) = 0;

  /// An independent random stream for factor k of degree n.
  std::uint64_t stream(arma::uword degree, arma::uword factor) const {
    return 0x5EED0000ULL + (std::uint64_t(degree) << 8) + factor;
  }

  std::string name_;
  bool optimised_;
  ExactPart exact_;
  arma::uword budget_;      // m = D - exact_dim()
  arma::vec a_;             // a_0 .. a_kMaxRandomDegree
  bool fitted_;
  DegreeAllocation alloc_;  // D_n per degree
};

}  // namespace deepdot::detail
