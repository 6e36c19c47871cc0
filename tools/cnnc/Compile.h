// tools/cnnc/Compile.h - `cnnc compile`: a model to an object file and a C header.
#pragma once

#include "cnnc/cnnc.h"

#include <CLI/CLI.hpp>

#include <string>

struct CompileArgs {
  std::string model, object, header, weights, triple, prefix;
  int batch = 1;
};

CLI::App *addCompile(CLI::App &app, CompileArgs &a);
/// `o`: the global options (target, dumps, Winograd, ...), completed here.
int compileObjectCommand(const CompileArgs &a, cnnc::Options o);
