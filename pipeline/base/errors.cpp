#include "pipeline/base/errors.hpp"

namespace prospector {

void throw_usage(const std::string& msg) { throw Error(ErrorKind::Usage, msg); }
void throw_input(const std::string& msg) { throw Error(ErrorKind::InputData, msg); }
void throw_runtime(const std::string& msg) { throw Error(ErrorKind::Runtime, msg); }

} // namespace prospector
