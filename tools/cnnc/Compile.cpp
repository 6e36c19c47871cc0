// tools/cnnc/Compile.cpp - `cnnc compile`: ahead-of-time compilation through
// Model::writeObject (api/Aot.cpp), for programs that link libcnnc_runtime.
#include "tools/cnnc/Compile.h"

#include <cstdio>

CLI::App *addCompile(CLI::App &app, CompileArgs &a) {
  CLI::App *sub = app.add_subcommand(
      "compile", "Compile the model ahead of time: an object file and a C/C++ header");
  sub->footer("Writes NAME.o (every kernel, the schedule and, with --weights, the packed weights)\n"
              "and NAME.h, which declares NAME_create / NAME_run / NAME_destroy and a C++ class\n"
              "NAME::Model. Link the object with libcnnc_runtime (no LLVM): with CMake,\n"
              "find_package(cnnc) and cnnc_add_model() do both. Outputs equal cnnc run's on the\n"
              "same target, bit for bit. An ONNX model embeds its own weights.\n"
              "  cnnc compile lenet.cnn -o lenet.o --header lenet.h --weights lenet.safetensors\n"
              "  cnnc compile resnet18.cnn -o r18.o --header r18.h --triple aarch64-linux-gnu");
  sub->add_option("model", a.model, "The .cnn or .onnx model")->required();
  sub->add_option("-o,--output", a.object, "The object file to write")
      ->type_name("NAME.o")
      ->required();
  sub->add_option("--header", a.header, "Also write the C/C++ header that declares its API")
      ->type_name("NAME.h");
  sub->add_option("--weights", a.weights,
                  "Embed these weights (safetensors, PyTorch keys), packed in the kernels' "
                  "layouts: start-up then reads no file. Default: the program gives a "
                  "safetensors file to NAME_create at run time")
      ->type_name("W.safetensors");
  sub->add_option("--triple", a.triple,
                  "The machine the object is for: x86_64-linux-gnu (default: this one) or "
                  "aarch64-linux-gnu (NEON; --target host or generic)")
      ->type_name("TRIPLE");
  sub->add_option("--batch", a.batch, "Images per run (each NAME_run takes a batch)")
      ->type_name("N")
      ->check(CLI::Range(1, 4096));
  sub->add_option("--prefix", a.prefix,
                  "The C names' prefix and the C++ namespace (default: the model's name)")
      ->type_name("ID");
  return sub;
}

int compileObjectCommand(const CompileArgs &a, cnnc::Options o) {
  o.objectCode = true;
  o.triple = a.triple;
  o.batch = a.batch;
  cnnc::Model m = cnnc::Model::compileFile(a.model, o);
  // An ONNX model's initializers are loaded already; --weights replaces them.
  const bool onnx = a.model.size() > 5 && a.model.ends_with(".onnx");
  if (!a.weights.empty())
    m.loadWeights(a.weights);
  m.writeObject(a.object, a.header, onnx || !a.weights.empty(), a.prefix);
  std::printf("wrote %s%s%s (model '%s', %s, %.2f s)\n", a.object.c_str(),
              a.header.empty() ? "" : " and ", a.header.c_str(), m.name().c_str(),
              a.triple.empty() ? "this machine" : a.triple.c_str(), m.compileSeconds());
  return 0;
}
