// api/Render.cpp - DOT to SVG/PNG with libgvc, in-process. Graphviz loads its
// renderers as plugins listed in its config6a: svg comes from the core plugin,
// png from the cairo (pango) plugin; both ship in Debian's libgvc6.
#include "api/Render.h"
#include "cnnc/Tensor.h"

#include <gvc.h>

#include <fstream>
#include <memory>
#include <mutex>

namespace cnnc {

namespace {

std::string *errors = nullptr; // where Graphviz's messages go while we hold the lock

int collect(char *msg) {
  // Keep readable messages only: some Graphviz 2.42 messages arrive garbled.
  std::string m = msg ? msg : "";
  for (char c : m)
    if ((c < ' ' || c > '~') && c != '\n' && c != '\t')
      return 0;
  if (errors)
    *errors += m;
  return 0;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s.empty() ? "" : ": " + s;
}

} // namespace

void renderDot(const std::string &dot, const std::string &format, const std::string &path) {
  if (format != "svg" && format != "png")
    throw Error("cannot render graphs as '" + format + "' (formats: svg, png)");
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::string messages;
  errors = &messages;
  agusererrf previous = agseterrf(collect);
  struct Restore {
    agusererrf previous;
    ~Restore() {
      agseterrf(previous);
      errors = nullptr;
    }
  } restore{previous};

  // One context for the process: Graphviz 2.42's text-size cache outlives a
  // freed context (a use-after-free under ASan on the second render).
  static GVC_t *context = gvContext();
  std::unique_ptr<GVC_t, int (*)(GVC_t *)> gvc(context, [](GVC_t *) { return 0; });
  if (!gvc)
    throw Error("cannot start Graphviz (gvContext failed)");
  std::unique_ptr<Agraph_t, int (*)(Agraph_t *)> g(agmemread(dot.c_str()), agclose);
  if (!g)
    throw Error("Graphviz cannot parse the DOT text" + trimmed(messages));
  if (gvLayout(gvc.get(), g.get(), "dot") != 0)
    throw Error("Graphviz cannot lay out the graph" + trimmed(messages));
  char *data = nullptr;
  unsigned int length = 0;
  int rc = gvRenderData(gvc.get(), g.get(), format.c_str(), &data, &length);
  gvFreeLayout(gvc.get(), g.get());
  if (rc != 0 || !data)
    throw Error("Graphviz cannot render " + format + " (is its " +
                (format == "png" ? "cairo" : "core") + " plugin installed? see `dot -c`)" +
                trimmed(messages));
  std::string bytes(data, length);
  gvFreeRenderData(data);
  std::ofstream f(path, std::ios::binary);
  f << bytes;
  if (!f)
    throw Error("cannot write '" + path + "'");
}

} // namespace cnnc
