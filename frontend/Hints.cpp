// frontend/Hints.cpp - the foreign spellings: Keras's layer types come from the
// op table (Ops.def's "Keras type" column); PyTorch's and the attribute names
// are the short list below.
#include "frontend/Hints.h"

#include "ir/IR.h"

#include <algorithm>

namespace cnnc {
namespace {

struct Foreign {
  const char *name, *who, *ours;
};

// PyTorch's module names and Keras's activation layers, which the table's
// Keras column (one type per op) does not hold.
constexpr Foreign ForeignOps[] = {
    {"Conv2d", "PyTorch's", "conv2d"},
    {"ConvTranspose2d", "PyTorch's", "conv2d_transpose"},
    {"Linear", "PyTorch's", "dense"},
    {"BatchNorm2d", "PyTorch's", "batchnorm"},
    {"BatchNorm1d", "PyTorch's", "batchnorm"},
    {"MaxPool2d", "PyTorch's", "maxpool2d"},
    {"AvgPool2d", "PyTorch's", "avgpool2d"},
    {"AdaptiveAvgPool2d", "PyTorch's", "globalavgpool2d"},
    {"AdaptiveMaxPool2d", "PyTorch's", "globalmaxpool2d"},
    {"ZeroPad2d", "PyTorch's", "zeropad2d"},
    {"Upsample", "PyTorch's", "upsample2d"},
    {"LocalResponseNorm", "PyTorch's", "lrn"},
    {"ReLU", "Keras's/PyTorch's", "relu"},
    {"ReLU6", "PyTorch's", "relu6"},
    {"LeakyReLU", "Keras's/PyTorch's", "leaky_relu"},
    {"ELU", "Keras's/PyTorch's", "elu"},
    {"GELU", "PyTorch's", "gelu"},
    {"SiLU", "PyTorch's", "silu"},
    {"Sigmoid", "PyTorch's", "sigmoid"},
    {"Tanh", "PyTorch's", "tanh"},
    {"Softmax", "Keras's/PyTorch's", "softmax"},
    {"Softplus", "PyTorch's", "softplus"},
    {"Hardswish", "PyTorch's", "hardswish"},
    {"Hardsigmoid", "PyTorch's", "hardsigmoid"},
    {"Hardtanh", "PyTorch's", "clip"},
    {"Dropout", "Keras's/PyTorch's", "dropout"},
    {"Flatten", "Keras's/PyTorch's", "flatten"},
};

constexpr Foreign ForeignAttrs[] = {
    {"kernel_size", "Keras's/PyTorch's", "kernel"},
    {"strides", "Keras's", "stride"},
    {"pool_size", "Keras's", "size"},
    {"dilation_rate", "Keras's", "dilation"},
    {"out_channels", "PyTorch's", "filters"},
    {"out_features", "PyTorch's", "units"},
    {"bias", "PyTorch's", "use_bias"},
    {"eps", "PyTorch's", "epsilon"},
    {"p", "PyTorch's", "rate"},
    {"negative_slope", "PyTorch's", "alpha"},
    {"scale_factor", "PyTorch's", "scale"},
    {"min_val", "PyTorch's", "min"},
    {"max_val", "PyTorch's", "max"},
    {"num_parameters", "PyTorch's", "shared"},
};

} // namespace

std::string foreignOpHint(const std::string &name) {
  for (const Foreign &f : ForeignOps)
    if (name == f.name)
      return std::string("; '") + name + "' is " + f.who + " name: cnnc's op is '" + f.ours + "'";
  for (OpKind op : AllOps)
    if (op != OpKind::Input && op != OpKind::Activation && name == opKerasType(op) &&
        name != opName(op))
      return "; '" + name + "' is Keras's name: cnnc's op is '" + opName(op) + "'";
  return "";
}

std::string foreignAttrHint(const std::string &name, const std::vector<std::string> &known) {
  for (const Foreign &f : ForeignAttrs)
    if (name == f.name && std::find(known.begin(), known.end(), f.ours) != known.end())
      return std::string("; '") + name + "' is " + f.who + " name: here it is '" + f.ours + "'";
  return "";
}

} // namespace cnnc
