#include "kernels/geochem/variables.hpp"

#include <string>

namespace prospector::kernels {

VariablesView VariablesView::row_major(const float* data, std::int64_t n, std::int64_t m) {
  VariablesView v;
  v.n = n;
  v.stride = m;
  for (std::int64_t j = 0; j < m; ++j)
    v.var.push_back(data == nullptr ? nullptr : data + j);
  return v;
}

VariablesView VariablesView::part_major(const float* data, std::int64_t n, std::int64_t m) {
  VariablesView v;
  v.n = n;
  v.stride = 1;
  for (std::int64_t j = 0; j < m; ++j)
    v.var.push_back(data == nullptr ? nullptr : data + j * n);
  return v;
}

VariablesView VariablesView::grids(const ConstGridView* g, std::int64_t m) {
  VariablesView v;
  v.stride = 1;
  v.n = (m > 0 && g != nullptr) ? g[0].size() : 0;
  for (std::int64_t j = 0; j < m && g != nullptr; ++j) {
    if (g[j].nx != g[0].nx || g[j].ny != g[0].ny) v.n = -1;
    v.var.push_back(g[j].data);
  }
  return v;
}

VariablesOut VariablesOut::row_major(float* data, std::int64_t n, std::int64_t m) {
  VariablesOut v;
  v.n = n;
  v.stride = m;
  for (std::int64_t j = 0; j < m; ++j)
    v.var.push_back(data == nullptr ? nullptr : data + j);
  return v;
}

VariablesOut VariablesOut::part_major(float* data, std::int64_t n, std::int64_t m) {
  VariablesOut v;
  v.n = n;
  v.stride = 1;
  for (std::int64_t j = 0; j < m; ++j)
    v.var.push_back(data == nullptr ? nullptr : data + j * n);
  return v;
}

VariablesOut VariablesOut::grids(const GridView* g, std::int64_t m) {
  VariablesOut v;
  v.stride = 1;
  v.n = (m > 0 && g != nullptr) ? g[0].size() : 0;
  for (std::int64_t j = 0; j < m && g != nullptr; ++j) {
    if (g[j].nx != g[0].nx || g[j].ny != g[0].ny) v.n = -1;
    v.var.push_back(g[j].data);
  }
  return v;
}

namespace {

template <typename View> bool valid_layout(const View& v) {
  if (v.n < 0 || v.stride < 1) return false;
  if (v.n > 0)
    for (const auto* p : v.var)
      if (p == nullptr) return false;
  return true;
}

} // namespace

Status detail::check_variables_io(const VariablesView& in, const VariablesOut& out, std::int64_t out_vars,
                                  const char* who) {
  if (!valid_layout(in)) return Status::Invalid(std::string(who) + ": invalid input view");
  if (!valid_layout(out)) return Status::Invalid(std::string(who) + ": invalid output view");
  if (out.n != in.n) return Status::Invalid(std::string(who) + ": input and output sample counts differ");
  if (out.vars() != out_vars)
    return Status::Invalid(std::string(who) + ": output needs " + std::to_string(out_vars) + " variables");
  return Status::Ok();
}

} // namespace prospector::kernels
