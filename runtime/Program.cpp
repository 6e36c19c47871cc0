// runtime/Program.cpp - running a program's steps, packing its weights, and
// its JSON form (the schedule inside an ahead-of-time object).
#include "runtime/Program.h"

#include <nlohmann/json.hpp>

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
    const int64_t each = numElements(inputs[k].shape);
    for (int i = 0; i < batch; ++i)
      std::memcpy(image(arena, i) + inputs[k].offset, in[k] + i * each, each * sizeof(float));
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

void Program::packWeights(const WeightMap &weights, float *arena) const {
  std::string errors;
  std::map<std::string, bool> used;
  for (auto &[key, shape] : weightShapes) {
    auto it = weights.find(key);
    if (it == weights.end()) {
      errors += "missing weight '" + key + "' (expected shape " + shapeToString(shape) + ")\n";
      continue;
    }
    used[key] = true;
    if (it->second.shape() != shape)
      errors += "weight '" + key + "' has shape " + shapeToString(it->second.shape()) +
                ", expected " + shapeToString(shape) + "\n";
  }
  for (auto &[key, t] : weights)
    if (!used.count(key))
      errors += "unexpected weight '" + key + "': model '" + name + "' has no such parameter\n";
  if (!errors.empty())
    throw Error(errors);
  for (const PackSpec &p : packs)
    pack(p, weights, arena);
}

namespace {

json portJson(const Port &p) {
  return {{"name", p.name}, {"offset", p.offset}, {"shape", p.shape}};
}

json packJson(const PackSpec &p) {
  return {{"kind", (int)p.kind}, {"key", p.key},       {"shape", p.shape},   {"offset", p.offset},
          {"padTo", p.padTo},    {"outPad", p.outPad}, {"groups", p.groups}, {"block", p.block},
          {"image", p.image},    {"bn", p.bn},         {"eps", p.eps}};
}

PackSpec packFrom(const json &j) {
  PackSpec p;
  int kind = j.at("kind").get<int>();
  if (kind < PackSpec::ConvHWIO || kind > PackSpec::Affine)
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

Program Program::fromJson(const std::string &text, const KernelFn *kernels, size_t count) {
  Program p;
  try {
    json j = json::parse(text);
    if (j.at("format").get<int>() != 1)
      throw Error("unsupported program format " + j.at("format").dump());
    j.at("name").get_to(p.name), j.at("batch").get_to(p.batch);
    j.at("arenaStride").get_to(p.arenaStride), j.at("weightFloats").get_to(p.weightFloats);
    for (const json &port : j.at("inputs"))
      p.inputs.push_back({port.at("name"), port.at("offset"), port.at("shape")});
    for (const json &port : j.at("outputs"))
      p.outputs.push_back({port.at("name"), port.at("offset"), port.at("shape")});
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
  for (size_t i = 0; i < count; ++i)
    p.steps[i].fn = kernels[i];
  return p;
}

} // namespace cnnc
