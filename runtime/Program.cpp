// runtime/Program.cpp - running a program's steps, packing its weights, and
// its JSON form (the schedule inside an ahead-of-time object).
#include "runtime/Program.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <map>

namespace cnnc {

using nlohmann::json;

float *threadScratch(int64_t floats) {
  thread_local std::vector<float> buf;
  if ((int64_t)buf.size() < floats)
    buf.resize(floats);
  return buf.data();
}

void Program::copyIn(const float *const *in, float *arena) const {
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Port &p = inputs[k];
    const int64_t each = numElements(p.shape);
    for (int i = 0; i < batch; ++i) {
      float *at = image(arena, i) + p.offset;
      if (!p.bordered()) {
        std::memcpy(at, in[k] + i * each, each * sizeof(float));
        continue;
      }
      const int64_t W = p.shape[1], C = p.shape[2], row = W * C;
      for (int64_t h = 0; h < p.shape[0]; ++h)
        std::memcpy(at + ((h + p.top) * (W + p.left + p.right) + p.left) * C,
                    in[k] + i * each + h * row, row * sizeof(float));
    }
  }
}

void Program::copyOut(const float *arena, float *const *out) const {
  for (size_t k = 0; k < outputs.size(); ++k) {
    const int64_t each = numElements(outputs[k].shape);
    for (int i = 0; i < batch; ++i)
      std::memcpy(out[k] + i * each, arena + i * arenaStride + outputs[k].offset,
                  each * sizeof(float));
  }
}

void Program::runStep(const Step &s, const float *weights, float *arena, ThreadPool &pool) const {
  auto call = [&](float *a, int64_t lo, int64_t hi) {
    s.fn(weights, a, lo, hi, s.scratchFloats ? threadScratch(s.scratchFloats) : nullptr);
  };
  for (int i = 0; i < (s.batched ? 1 : batch); ++i) {
    float *a = image(arena, i);
    if (s.parallel)
      pool.parallelFor(s.items, [&](int64_t lo, int64_t hi) { call(a, lo, hi); });
    else
      call(a, 0, s.items);
  }
}

void Program::run(const float *weights, float *arena, ThreadPool &pool) const {
  for (const Step &s : steps)
    runStep(s, weights, arena, pool);
}

void Program::packWeights(const WeightViews &weights, float *arena, const Release &release) const {
  std::string errors;
  std::map<std::string, bool> used;
  for (auto &[key, shape] : weightShapes) {
    auto it = weights.find(key);
    if (it == weights.end()) {
      errors += "missing weight '" + key + "' (expected shape " + shapeToString(shape) + ")\n";
      continue;
    }
    used[key] = true;
    if (it->second.shape != shape)
      errors += "weight '" + key + "' has shape " + shapeToString(it->second.shape) +
                ", expected " + shapeToString(shape) + "\n";
  }
  for (auto &[key, t] : weights)
    if (!used.count(key))
      errors += "unexpected weight '" + key + "': model '" + name + "' has no such parameter\n";
  if (!errors.empty())
    throw Error(errors);
  // A tensor is done after the last pack that reads it (a batchnorm's
  // statistics serve its conv's weight and bias): doneAfter[i] lists them.
  std::map<std::string, size_t> last;
  for (size_t i = 0; i < packs.size(); ++i)
    for (const std::string &name : {packs[i].key, packs[i].bn})
      for (const char *suffix : {"", ".weight", ".bias", ".running_mean", ".running_var"})
        if (weights.count(name + suffix))
          last[name + suffix] = i;
  std::vector<std::vector<const TensorView *>> doneAfter(packs.size());
  for (auto &[key, at] : last)
    doneAfter[at].push_back(&weights.at(key));
  for (size_t i = 0; i < packs.size(); ++i) {
    pack(packs[i], weights, arena, release);
    for (const TensorView *t : release ? doneAfter[i] : std::vector<const TensorView *>{})
      release(t->data, numElements(t->shape));
  }
}

namespace {

json portJson(const Port &p) {
  json j = {{"name", p.name}, {"offset", p.offset}, {"shape", p.shape}};
  if (p.bordered())
    j["border"] = {p.top, p.left, p.right};
  return j;
}

Port portOf(const json &j) {
  Port p{j.at("name"), j.at("offset"), j.at("shape")};
  if (j.contains("border"))
    j.at("border").at(0).get_to(p.top), j.at("border").at(1).get_to(p.left),
        j.at("border").at(2).get_to(p.right);
  return p;
}

json packJson(const PackSpec &p) {
  return {{"kind", (int)p.kind}, {"key", p.key},       {"shape", p.shape},   {"offset", p.offset},
          {"padTo", p.padTo},    {"outPad", p.outPad}, {"groups", p.groups}, {"block", p.block},
          {"image", p.image},    {"bn", p.bn},         {"eps", p.eps}};
}

PackSpec packFrom(const json &j) {
  PackSpec p;
  int kind = j.at("kind").get<int>();
  if (kind < PackSpec::ConvHWIO || kind > PackSpec::ConvWinograd4)
    throw Error("unknown packing kind " + std::to_string(kind));
  p.kind = (PackSpec::Kind)kind;
  j.at("key").get_to(p.key), j.at("shape").get_to(p.shape), j.at("offset").get_to(p.offset);
  j.at("padTo").get_to(p.padTo), j.at("outPad").get_to(p.outPad), j.at("groups").get_to(p.groups);
  j.at("block").get_to(p.block), j.at("image").get_to(p.image), j.at("bn").get_to(p.bn);
  j.at("eps").get_to(p.eps);
  return p;
}

} // namespace

std::string Program::toJson() const {
  json j = {{"format", 1},
            {"name", name},
            {"batch", batch},
            {"arenaStride", arenaStride},
            {"weightFloats", weightFloats},
            {"inputs", json::array()},
            {"outputs", json::array()},
            {"steps", json::array()},
            {"packs", json::array()},
            {"weights", json::array()}};
  for (const Port &p : inputs)
    j["inputs"].push_back(portJson(p));
  for (const Port &p : outputs)
    j["outputs"].push_back(portJson(p));
  for (const Step &s : steps)
    j["steps"].push_back({s.items, s.parallel, s.batched, s.scratchFloats});
  for (const PackSpec &p : packs)
    j["packs"].push_back(packJson(p));
  for (auto &[key, shape] : weightShapes)
    j["weights"].push_back({key, shape});
  return j.dump();
}

/// What running a program assumes of its numbers: a corrupt object must not
/// make the runtime allocate or copy out of bounds.
void Program::validate() const {
  auto bad = [](const std::string &what) { throw Error("malformed program: " + what); };
  if (batch < 1 || batch > 4096 || arenaStride < 0 || arenaStride > (int64_t(1) << 36) / batch)
    bad("batch or arena size out of range");
  if (weightFloats < 0 || weightFloats > (int64_t(1) << 36))
    bad("weight size out of range");
  for (const std::vector<Port> *ports : {&inputs, &outputs})
    for (const Port &port : *ports) {
      int64_t n = 1;
      for (int64_t d : port.shape)
        if (d < 1 || d > (int64_t(1) << 24) || (n *= d) > arenaStride)
          bad("port '" + port.name + "' has a bad shape");
      if (port.bordered()) { // an input's rows inside a border: up to its last row's end
        const int64_t most = 1 << 16;
        if (ports == &outputs || port.shape.size() != 3 || port.top < 0 || port.top > most ||
            port.left < 0 || port.left > most || port.right < 0 || port.right > most)
          bad("port '" + port.name + "' has a bad border");
        n = (port.shape[0] + port.top) * (port.shape[1] + port.left + port.right) * port.shape[2];
        if (n > arenaStride)
          bad("port '" + port.name + "' lies outside the arena");
      }
      if (port.offset < 0 || port.offset > arenaStride - n)
        bad("port '" + port.name + "' lies outside the arena");
    }
  for (const Step &s : steps)
    if (s.items < 0 || s.scratchFloats < 0 || s.scratchFloats > (int64_t(1) << 32))
      bad("a step's loop or scratch is out of range");
  for (const PackSpec &pk : packs) {
    const size_t rank = pk.kind == PackSpec::DenseBlocked                          ? 2
                        : pk.kind == PackSpec::Bias || pk.kind == PackSpec::Affine ? 1
                                                                                   : 4;
    double bound = 36.0 * std::max<int64_t>(pk.padTo, 1) * std::max<int64_t>(pk.outPad, 1) *
                   std::max<int64_t>(pk.groups, 1); // over any packedSize() product
    for (int64_t d : pk.shape)
      if (d < 0 || d > (int64_t(1) << 24) || (bound *= std::max<int64_t>(d, 1)) > 0x1p60)
        bad("the packing of '" + pk.key + "' has a bad shape");
    if (pk.shape.size() != rank)
      bad("the packing of '" + pk.key + "' has a bad rank");
    if (pk.padTo < 0 || pk.padTo > (int64_t(1) << 24) || pk.outPad < 0 ||
        pk.outPad > (int64_t(1) << 24) || pk.groups < 1 || pk.groups > (int64_t(1) << 24))
      bad("the packing of '" + pk.key + "' has a bad layout");
    if (pk.offset < 0 || (double)pk.offset + (double)packedSize(pk) > (double)weightFloats)
      bad("the packing of '" + pk.key + "' lies outside the weights");
    bool known = pk.key.empty();
    for (auto &[key, shape] : weightShapes)
      known |= key == pk.key && shape == pk.shape;
    if (!known)
      bad("the packing of '" + pk.key + "' names no weight of its shape");
  }
}

Program Program::fromJson(const std::string &text, const KernelFn *kernels, size_t count) {
  Program p;
  try {
    json j = json::parse(text);
    if (j.at("format").get<int>() != 1)
      throw Error("unsupported program format " + j.at("format").dump());
    j.at("name").get_to(p.name), j.at("batch").get_to(p.batch);
    j.at("arenaStride").get_to(p.arenaStride), j.at("weightFloats").get_to(p.weightFloats);
    for (const json &port : j.at("inputs"))
      p.inputs.push_back(portOf(port));
    for (const json &port : j.at("outputs"))
      p.outputs.push_back(portOf(port));
    for (const json &s : j.at("steps"))
      p.steps.push_back({nullptr, s.at(0), s.at(1), s.at(2), s.at(3)});
    for (const json &pk : j.at("packs"))
      p.packs.push_back(packFrom(pk));
    for (const json &w : j.at("weights"))
      p.weightShapes.emplace_back(w.at(0), w.at(1));
  } catch (const json::exception &e) {
    throw Error(std::string("malformed program: ") + e.what());
  }
  if (p.steps.size() != count)
    throw Error("malformed program: " + std::to_string(p.steps.size()) + " steps but " +
                std::to_string(count) + " kernels");
  p.validate();
  for (size_t i = 0; i < count; ++i)
    p.steps[i].fn = kernels[i];
  return p;
}

} // namespace cnnc
