// frontend/onnx/Import.cpp - reads, checks and translates an ONNX model:
// initializers and Constants become folded constants (the weights among them
// go to the WeightMap), graph inputs [1, C, H, W] become IR inputs [H, W, C],
// and each node is translated in order by Ops.cpp.
#include "frontend/onnx/Translator.h"
#include "passes/Passes.h"

#include <onnx/checker.h>

#include <cmath>
#include <cstring>
#include <map>

namespace cnnc {
namespace onnximport {

AttrReader::AttrReader(const onnx::NodeProto &n) {
  for (const onnx::AttributeProto &a : n.attribute())
    attrs_[a.name()] = &a;
}

const onnx::AttributeProto *AttrReader::get(const std::string &name,
                                            onnx::AttributeProto::AttributeType t) {
  auto it = attrs_.find(name);
  if (it == attrs_.end() || it->second->type() != t)
    return nullptr; // a wrong type stays unread: reported as unsupported
  read_.insert(name);
  return it->second;
}
int64_t AttrReader::i(const std::string &name, int64_t def) {
  const onnx::AttributeProto *a = get(name, onnx::AttributeProto::INT);
  return a ? a->i() : def;
}
float AttrReader::f(const std::string &name, float def) {
  const onnx::AttributeProto *a = get(name, onnx::AttributeProto::FLOAT);
  return a ? a->f() : def;
}
std::string AttrReader::s(const std::string &name, const std::string &def) {
  const onnx::AttributeProto *a = get(name, onnx::AttributeProto::STRING);
  return a ? a->s() : def;
}
std::vector<int64_t> AttrReader::ints(const std::string &name, std::vector<int64_t> def) {
  const onnx::AttributeProto *a = get(name, onnx::AttributeProto::INTS);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : def;
}
const onnx::TensorProto *AttrReader::t(const std::string &name) {
  const onnx::AttributeProto *a = get(name, onnx::AttributeProto::TENSOR);
  return a ? &a->t() : nullptr;
}
std::vector<std::string> AttrReader::unread() const {
  std::vector<std::string> out;
  for (auto &[name, a] : attrs_)
    if (!read_.count(name))
      out.push_back(name);
  return out;
}

std::string sanitize(const std::string &s) {
  std::string out;
  for (char c : s) {
    bool word = std::isalnum((unsigned char)c) || c == '_';
    if (word)
      out += c;
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && out.back() == '_')
    out.pop_back();
  if (out.empty() || std::isdigit((unsigned char)out[0]))
    out = "n" + out;
  return out;
}

/// Copies `count` little-endian T from raw bytes or from a repeated field.
template <class T, class Field>
static bool readValues(const std::string &raw, const Field &field, int64_t count, Const &c) {
  if (!raw.empty()) {
    if ((int64_t)raw.size() != count * (int64_t)sizeof(T))
      return false;
    c.v.resize(count);
    for (int64_t i = 0; i < count; ++i) {
      T x;
      std::memcpy(&x, raw.data() + i * sizeof(T), sizeof(T));
      c.v[i] = (double)x;
    }
    return true;
  }
  if (field.size() != count)
    return false;
  c.v.assign(field.begin(), field.end());
  return true;
}

bool decodeTensor(const onnx::TensorProto &t, Const &c, std::string &why) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    why = "its data is in an external file (not supported: save the model as one file)";
    return false;
  }
  int64_t count = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || d > (int64_t(1) << 31) || (count *= d) > (int64_t(1) << 31)) {
      why = "its dimensions are negative or too large";
      return false;
    }
    c.dims.push_back(d);
  }
  bool ok = false;
  const std::string &raw = t.raw_data();
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    ok = readValues<float>(raw, t.float_data(), count, c);
    break;
  case onnx::TensorProto::DOUBLE:
    ok = readValues<double>(raw, t.double_data(), count, c);
    break;
  case onnx::TensorProto::INT64:
    ok = readValues<int64_t>(raw, t.int64_data(), count, c);
    break;
  case onnx::TensorProto::INT32:
    ok = readValues<int32_t>(raw, t.int32_data(), count, c);
    break;
  default:
    why = "its element type (" + std::to_string(t.data_type()) +
          ") is not float, double, int64 or int32";
    return false;
  }
  if (!ok)
    why = "its data does not hold " + std::to_string(count) + " elements";
  return ok;
}

void Translator::unsupported(const std::string &what) {
  std::string name = node->name().empty() ? "(unnamed)" : node->name();
  unsupported_.push_back("node '" + name + "' (" + node->op_type() + "): " + what);
}

const Val *Translator::input(int k, bool optional) {
  if (k >= node->input_size() || node->input(k).empty()) {
    if (!optional)
      unsupported("input " + std::to_string(k) + " is missing");
    return nullptr;
  }
  auto it = vals_.find(node->input(k));
  if (it == vals_.end() && failed_.count(node->input(k)))
    return nullptr; // its producer's error says why
  if (it == vals_.end()) {
    unsupported("input '" + node->input(k) + "' is not defined before it");
    return nullptr;
  }
  return &it->second;
}

const Const *Translator::constInput(int k, bool optional) {
  const Val *v = input(k, optional);
  if (v && !v->isConst) {
    unsupported("input " + std::to_string(k) + " must be a constant");
    return nullptr;
  }
  return v ? &v->c : nullptr;
}

const Val *Translator::image(int k) {
  const Val *v = input(k);
  if (!v)
    return nullptr;
  if (v->isConst) {
    unsupported("input " + std::to_string(k) + " is a constant; a tensor is needed here");
    return nullptr;
  }
  if (v->shape.empty() || v->shape[0] != 1 || (v->shape.size() != 4 && v->shape.size() != 2)) {
    std::string s;
    for (int64_t d : v->shape)
      s += (s.empty() ? "" : ", ") + std::to_string(d);
    unsupported("input " + std::to_string(k) + " has shape [" + s +
                "]; only [1, C, H, W] images and [1, N] vectors are supported");
    return nullptr;
  }
  return v;
}

ValueId Translator::add(OpKind op, Attrs attrs, std::vector<ValueId> inputs,
                        const std::string &layer) {
  Node n;
  n.op = op;
  n.attrs = std::move(attrs);
  n.inputs = std::move(inputs);
  n.name = layer.empty() ? layerName() : layer;
  ValueId id = out_.graph.add(std::move(n));
  // Shapes as the IR sees them: the one shape rule per op.
  Diag d("", "");
  if (!inferNodeShape(out_.graph, out_.graph.nodes[id], d)) {
    std::string m = d.text();
    m = m.substr(std::min(m.find(": error: ") + 9, m.size()));
    while (!m.empty() && m.back() == '\n')
      m.pop_back();
    unsupported(m);
  }
  return id;
}

std::vector<int64_t> Translator::irShape(ValueId id) const {
  const std::vector<int64_t> &d = out_.graph.nodes[id].type.dims;
  if (d.size() == 3)
    return {1, d[2], d[0], d[1]};
  if (d.size() == 1)
    return {1, d[0]};
  return {};
}

void Translator::define(int k, Val v) {
  if (k < node->output_size() && !node->output(k).empty())
    vals_[node->output(k)] = std::move(v);
}

/// A DSL name with dots kept: "layer1.0.conv1" stays, other characters become '_'.
static std::string dotted(const std::string &s) {
  std::string out, part;
  auto flush = [&] {
    part = sanitize(part);
    if (!out.empty() && part.size() > 1 && part[0] == 'n' && std::isdigit((unsigned char)part[1]))
      part = part.substr(1); // "0" is fine after a dot
    out += (out.empty() ? "" : ".") + part;
    part.clear();
  };
  for (char c : s)
    if (c == '.')
      flush();
    else
      part += c;
  flush();
  return out;
}

/// torch.onnx's scoped node name -> the PyTorch module path:
/// "/backbone/layer1/layer1.0/conv1/Conv" -> "backbone.layer1.0.conv1"
/// (a Sequential's child is named with its parent's path: "layer1.0").
/// Empty for other names.
static std::string modulePath(const std::string &name) {
  if (name.size() < 2 || name[0] != '/')
    return "";
  std::vector<std::string> parts;
  for (size_t p = 1; p <= name.size();) {
    size_t q = std::min(name.find('/', p), name.size());
    std::string c = name.substr(p, q - p);
    if (!parts.empty() && c.compare(0, parts.back().size() + 1, parts.back() + ".") == 0)
      parts.back() = c;
    else if (!c.empty())
      parts.push_back(c);
    p = q + 1;
  }
  if (parts.size() < 2)
    return "";      // the op alone ("/Add"): not a module's
  parts.pop_back(); // the op ("Conv", "Relu_1")
  std::string path;
  for (const std::string &c : parts)
    path += (path.empty() ? "" : ".") + c;
  return dotted(path);
}

std::string Translator::layerName(const std::string &weightName) {
  std::string base;
  const std::string suffix = ".weight";
  if (weightName.size() > suffix.size() &&
      weightName.compare(weightName.size() - suffix.size(), suffix.size(), suffix) == 0)
    base = dotted(weightName.substr(0, weightName.size() - suffix.size()));
  if (base.empty() || names_.count(base))
    base = modulePath(node->name());
  if (base.empty() || names_.count(base))
    base = sanitize(node->name().empty() ? node->op_type() : node->name());
  std::string name = base;
  for (int k = 1; names_.count(name); ++k)
    name = base + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}

void Translator::setWeight(const std::string &key, const Const &c, std::vector<int64_t> dims) {
  Tensor t(dims);
  for (int64_t i = 0; i < t.size(); ++i)
    t[i] = (float)c.v[i];
  out_.weights[key] = std::move(t);
}

ValueId Translator::affine(ValueId x, int64_t channels, std::vector<double> w,
                           std::vector<double> b) {
  std::string name = layerName();
  auto set = [&](const char *what, const std::vector<double> &v, double fill) {
    Const c;
    c.v.resize(channels, fill);
    for (int64_t i = 0; i < channels; ++i)
      c.v[i] = v.empty() ? fill : v[v.size() == 1 ? 0 : i];
    setWeight(name + what, c, {channels});
  };
  set(".weight", w, 1), set(".bias", b, 0), set(".running_mean", {}, 0);
  set(".running_var", {}, 1);
  // eps at its minimum: sqrt(1 + 1e-30) is 1 in float, the scale is exactly w.
  return add(OpKind::BatchNorm, BatchNormAttrs{1e-30}, {x}, name);
}

std::vector<int64_t> Translator::inputDims(const onnx::ValueInfoProto &in, int count,
                                           std::string &why) {
  const std::vector<int64_t> *pin = nullptr;
  for (const auto &[name, dims] : pinned_)
    if (name == in.name() || (name.empty() && count == 1))
      pin = &dims, pinnedUsed_.insert(name);
  const onnx::TypeProto &type = in.type();
  if (!type.has_tensor_type() || type.tensor_type().elem_type() != onnx::TensorProto::FLOAT)
    why = "is not a float tensor";
  const auto &shape = type.tensor_type().shape().dim();
  if (pin && pin->size() != (size_t)shape.size() && type.tensor_type().has_shape())
    why = "has rank " + std::to_string(shape.size()) + ", --input-shape gives " +
          std::to_string(pin->size()) + " dimensions";
  if (!why.empty())
    return {};
  std::vector<int64_t> dims;
  for (int k = 0; k < (pin ? (int)pin->size() : shape.size()); ++k) {
    const bool fixed = k < shape.size() && shape[k].has_dim_value() && shape[k].dim_value() >= 1;
    if (pin && fixed && shape[k].dim_value() != (*pin)[k])
      why = "has dimension " + std::to_string(k) + " fixed at " +
            std::to_string(shape[k].dim_value()) + ", --input-shape gives " +
            std::to_string((*pin)[k]);
    else if (!pin && !fixed)
      why = "has a dynamic dimension" +
            (shape[k].has_dim_param() ? " '" + shape[k].dim_param() + "'" : std::string()) +
            ": pin it with --input-shape " + in.name() +
            "=1,C,H,W (Options::inputShapes), or export the model with fixed input sizes "
            "(torch.onnx.export without dynamic_axes)";
    else if (!pin && shape[k].dim_value() > (1 << 24))
      why = "has a dimension larger than 16777216";
    dims.push_back(pin ? (*pin)[k] : shape[k].dim_value());
  }
  return dims;
}

bool Translator::graphInputs(const onnx::GraphProto &g) {
  std::set<std::string> inits;
  for (const onnx::TensorProto &t : g.initializer()) {
    Const c;
    std::string why;
    if (!decodeTensor(t, c, why)) {
      diag_.error({}, "initializer '" + t.name() + "': " + why);
      continue;
    }
    inits.insert(t.name());
    vals_[t.name()] = Val{true, std::move(c), -1, {}};
  }
  int count = 0;
  for (const onnx::ValueInfoProto &in : g.input())
    count += !inits.count(in.name());
  for (const onnx::ValueInfoProto &in : g.input()) {
    if (inits.count(in.name()))
      continue;
    std::string why;
    std::vector<int64_t> dims = inputDims(in, count, why);
    if (why.empty() && (dims.size() != 4 || dims[0] != 1))
      why = "is not [1, C, H, W] (a batch of one image)";
    if (!why.empty()) {
      diag_.error({}, "graph input '" + in.name() + "' " + why);
      continue;
    }
    Node n;
    n.op = OpKind::Input;
    n.name = sanitize(in.name());
    for (int k = 1; names_.count(n.name); ++k)
      n.name = sanitize(in.name()) + "_" + std::to_string(k);
    names_.insert(n.name);
    n.type.dims = {dims[2], dims[3], dims[1]};
    ValueId id = out_.graph.add(std::move(n));
    out_.graph.inputs.push_back(id);
    out_.inputShapes.push_back(dims);
    vals_[in.name()] = Val{false, {}, id, dims};
  }
  for (const auto &[name, dims] : pinned_)
    if (!pinnedUsed_.count(name))
      diag_.error({}, "--input-shape: " + (name.empty()
                                               ? "the model has " + std::to_string(count) +
                                                     " inputs: name the one to pin (NAME=DIMS)"
                                               : "the model has no graph input '" + name + "'"));
  if (out_.graph.inputs.empty() && !diag_.hasErrors())
    diag_.error({}, "the model has no graph input (every input is an initializer)");
  return !diag_.hasErrors();
}

bool Translator::run(onnx::ModelProto &m) {
  for (const onnx::OperatorSetIdProto &o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset < 11 || opset > 17)
    diag_.error({}, "opset " + std::to_string(opset) +
                        " is not supported (opsets 11 to 17 are: torch.onnx.export(..., "
                        "opset_version=13))");
  const onnx::GraphProto &g = m.graph();
  out_.graph.name = sanitize(g.name().empty() ? "onnx" : g.name());
  if (diag_.hasErrors() || !graphInputs(g))
    return false;
  for (const onnx::NodeProto &n : g.node()) {
    for (const std::string &in : n.input())
      consumers[in]++;
    for (const std::string &o : n.output())
      producer[o] = &n;
  }
  for (const onnx::ValueInfoProto &o : g.output())
    consumers[o.name()]++;
  matchPatterns(g);
  for (const onnx::NodeProto &n : g.node())
    if (!skip.count(&n))
      translate(n);
  for (const onnx::ValueInfoProto &o : g.output()) {
    auto it = vals_.find(o.name());
    if (it == vals_.end())
      continue; // its producer was unsupported, already reported
    if (it->second.isConst) {
      diag_.error({}, "graph output '" + o.name() + "' is a constant");
      continue;
    }
    out_.graph.outputs.push_back(it->second.id);
    out_.outputShapes.push_back(it->second.shape);
  }
  if (!unsupported_.empty()) {
    std::string msg = "the model has " + std::to_string(unsupported_.size()) + " unsupported node" +
                      (unsupported_.size() == 1 ? "" : "s") + " or attribute" +
                      (unsupported_.size() == 1 ? "" : "s") + ":";
    for (const std::string &u : unsupported_)
      msg += "\n  " + u;
    diag_.error({}, msg);
  }
  if (out_.graph.outputs.empty() && !diag_.hasErrors())
    diag_.error({}, "the model has no graph output");
  return !diag_.hasErrors();
}

bool Translator::failedInput(const onnx::NodeProto &n) const {
  for (const std::string &in : n.input())
    if (failed_.count(in))
      return true;
  return false;
}

void Translator::translate(const onnx::NodeProto &n) {
  node = &n;
  size_t before = unsupported_.size();
  AttrReader r(n);
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    unsupported("domain '" + n.domain() + "' is not supported");
  else if (!translateOp(*this, n, r))
    unsupported("op type not supported");
  else if (unsupported_.size() == before && !failedInput(n)) // else some were not read
    for (const std::string &a : r.unread())
      unsupported("attribute '" + a + "' is not supported");
  if (unsupported_.size() > before || failedInput(n))
    for (const std::string &o : n.output())
      failed_.insert(o), vals_.erase(o);
}

/// Erf's GELU, as torch.onnx exports F.gelu: y = (x * (erf(x / sqrt2) + 1)) * 0.5
/// (Div -> Erf -> Add 1 -> Mul x -> Mul 0.5): the last Mul becomes gelu(x),
/// the others are skipped.
void Translator::matchPatterns(const onnx::GraphProto &g) {
  auto constValue = [&](const std::string &name, double want) {
    for (const onnx::TensorProto &t : g.initializer())
      if (t.name() == name) {
        Const c;
        std::string why;
        return decodeTensor(t, c, why) && c.v.size() == 1 && std::fabs(c.v[0] - want) < 1e-4;
      }
    auto p = producer.find(name);
    if (p == producer.end() || p->second->op_type() != "Constant")
      return false;
    for (const onnx::AttributeProto &a : p->second->attribute()) {
      Const c;
      std::string why;
      if (a.name() == "value" && decodeTensor(a.t(), c, why) && c.v.size() == 1)
        return std::fabs(c.v[0] - want) < 1e-4;
    }
    return false;
  };
  auto only = [&](const std::string &v, const char *op) -> const onnx::NodeProto * {
    if (consumers[v] != 1)
      return nullptr;
    for (const onnx::NodeProto &n : g.node())
      for (const std::string &in : n.input())
        if (in == v)
          return n.op_type() == op ? &n : nullptr;
    return nullptr;
  };
  auto other = [](const onnx::NodeProto &n, const std::string &v) {
    return n.input_size() == 2 ? (n.input(0) == v ? n.input(1) : n.input(0)) : std::string();
  };
  for (const onnx::NodeProto &e : g.node()) {
    if (e.op_type() != "Erf" || e.input_size() != 1 || e.output_size() != 1)
      continue;
    auto d = producer.find(e.input(0));
    if (d == producer.end() || d->second->op_type() != "Div" || d->second->input_size() != 2 ||
        !constValue(d->second->input(1), std::sqrt(2.0)) || consumers[e.input(0)] != 1)
      continue;
    const std::string x = d->second->input(0);
    const onnx::NodeProto *a = only(e.output(0), "Add");
    const onnx::NodeProto *m1 =
        a && constValue(other(*a, e.output(0)), 1) ? only(a->output(0), "Mul") : nullptr;
    const onnx::NodeProto *m2 =
        m1 && other(*m1, a->output(0)) == x ? only(m1->output(0), "Mul") : nullptr;
    if (!m2 || !constValue(other(*m2, m1->output(0)), 0.5))
      continue;
    skip.insert({d->second, &e, a, m1});
    gelu[m2] = x;
  }
}

} // namespace onnximport

bool importOnnx(const std::string &bytes, Diag &diag, OnnxImport &out,
                const std::vector<std::pair<std::string, std::vector<int64_t>>> &inputShapes) {
  if (bytes.size() > MaxOnnxBytes) {
    diag.error({}, "the ONNX file is larger than " + std::to_string(MaxOnnxBytes) + " bytes");
    return false;
  }
  onnx::ModelProto m;
  if (!m.ParseFromString(bytes)) {
    diag.error({}, "not an ONNX model: the protobuf does not parse (truncated or not .onnx)");
    return false;
  }
  try {
    // Not ONNX's shape inference: it reads out of bounds on malformed
    // graphs (found by fuzz_onnx). The translator infers every shape itself.
    onnx::checker::check_model(m);
  } catch (const std::exception &e) {
    std::string what = e.what();
    while (!what.empty() && (what.back() == '\n' || what.back() == ' '))
      what.pop_back();
    diag.error({}, "the ONNX checker rejects the model: " + what);
    return false;
  }
  onnximport::Translator t(diag, out, inputShapes);
  try {
    return t.run(m);
  } catch (const Error &e) { // a weight tensor the runtime refuses (its shape)
    diag.error({}, e.what());
    return false;
  }
}

} // namespace cnnc
