// frontend/Hints.h - hints for names that other frameworks spell differently
// (Keras's Conv2D, PyTorch's kernel_size): users arrive with those names.
#pragma once

#include <string>
#include <vector>

namespace cnnc {

/// "; 'Conv2D' is Keras's name: cnnc's op is 'conv2d'", or "" for a name no
/// framework we know uses for one of our ops.
std::string foreignOpHint(const std::string &name);

/// "; 'kernel_size' is Keras's/PyTorch's name: here it is 'kernel'" when the
/// foreign attribute's DSL name is among `known` (the call's attributes), else "".
std::string foreignAttrHint(const std::string &name, const std::vector<std::string> &known);

} // namespace cnnc
