// api/Render.h - renders Graphviz DOT text in-process (libgvc), for the stage dumps.
#pragma once

#include <string>

namespace cnnc {

/// Lays `dot` out with Graphviz's dot engine and writes it to `path` as
/// `format` ("svg" or "png"). Throws Error when the DOT text does not parse,
/// the format is unknown, or the file cannot be written. Thread safe (calls
/// into Graphviz are serialised: its parser keeps global state).
void renderDot(const std::string &dot, const std::string &format, const std::string &path);

} // namespace cnnc
