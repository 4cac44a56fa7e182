#pragma once
/// \file strings.hpp
/// Internal: small string helpers shared by the pipeline (messages, Slurm command lines, element names).

#include <string>
#include <vector>

namespace prospector {

/// The items of v separated by sep ("a, b, c").
std::string join(const std::vector<std::string>& v, const std::string& sep = ", ");

/// Equal ignoring ASCII case: element symbols and layer selectors ("Cu" is "cu").
bool iequals(const std::string& a, const std::string& b);

/// `v` with 6 significant digits, as printf's %g writes it: numbers in messages and labels.
std::string format_number(double v);

/// `s` without leading and trailing whitespace (std::isspace).
std::string trim(const std::string& s);

} // namespace prospector
