// codegen/Emitter.cpp - loops, vectors, vector math and the register tile as LLVM IR.
#include "codegen/Emitter.h"

#include <llvm/IR/InlineAsm.h>
#include <llvm/IR/Intrinsics.h>

#include <cmath>

namespace cnnc {

using namespace llvm;

Emitter::Emitter(Module &m, Function *fn, const TargetInfo &target)
    : b(m.getContext()), fn(fn), VL(target.vectorWidth), registers(target.vectorRegisters),
      entryBuilder_(m.getContext()) {
  f32 = b.getFloatTy();
  i64 = b.getInt64Ty();
  vf = FixedVectorType::get(f32, VL);
  BasicBlock *entry = BasicBlock::Create(m.getContext(), "entry", fn);
  b.SetInsertPoint(entry);
  entryBuilder_.SetInsertPoint(entry);
}

Value *Emitter::at(Value *base, Value *index) { return b.CreateInBoundsGEP(f32, base, index); }

void Emitter::loop(Value *lo, Value *hi, const std::function<void(Value *)> &body) {
  LLVMContext &ctx = b.getContext();
  BasicBlock *pre = b.GetInsertBlock();
  BasicBlock *head = BasicBlock::Create(ctx, "loop", fn);
  BasicBlock *exit = BasicBlock::Create(ctx, "loop.end", fn);
  b.CreateCondBr(b.CreateICmpSLT(lo, hi), head, exit);
  b.SetInsertPoint(head);
  PHINode *i = b.CreatePHI(i64, 2, "i");
  i->addIncoming(lo, pre);
  body(i);
  Value *next = b.CreateNSWAdd(i, c(1));
  i->addIncoming(next, b.GetInsertBlock());
  BranchInst *br = b.CreateCondBr(b.CreateICmpSLT(next, hi), head, exit);
  if (!unroll) {
    MDNode *dis = MDNode::get(ctx, {MDString::get(ctx, "llvm.loop.unroll.disable")});
    MDNode *self = MDNode::getDistinct(ctx, {nullptr, dis});
    self->replaceOperandWith(0, self);
    br->setMetadata(LLVMContext::MD_loop, self);
  }
  b.SetInsertPoint(exit);
}

void Emitter::ifElse(Value *cond, const std::function<void()> &then,
                     const std::function<void()> &otherwise) {
  LLVMContext &ctx = b.getContext();
  BasicBlock *yes = BasicBlock::Create(ctx, "then", fn);
  BasicBlock *no = BasicBlock::Create(ctx, "else", fn);
  BasicBlock *next = BasicBlock::Create(ctx, "endif", fn);
  b.CreateCondBr(cond, yes, no);
  b.SetInsertPoint(yes);
  then();
  b.CreateBr(next);
  b.SetInsertPoint(no);
  otherwise();
  b.CreateBr(next);
  b.SetInsertPoint(next);
}

void Emitter::vectors(int64_t n, const std::function<void(Value *, Value *)> &body) {
  loop(0, n / VL, [&](Value *v) { body(b.CreateMul(v, c(VL)), nullptr); });
  if (n % VL)
    body(c(n / VL * VL), tailMask(c(n / VL * VL), n));
}

void Emitter::padRows(Value *dst, Value *src, int64_t H, int64_t W, int64_t C, const Padding &p) {
  const int64_t Wp = W + p.left + p.right;
  loop(lo(), hi(), [&](Value *r) {
    Value *row = at(dst, b.CreateMul(r, c(Wp * C)));
    Value *h = b.CreateSub(r, c(p.top));
    Value *inside = b.CreateAnd(b.CreateICmpSGE(h, c(0)), b.CreateICmpSLT(h, c(H)));
    ifElse(
        inside,
        [&] {
          if (p.left)
            b.CreateMemSet(row, b.getInt8(0), p.left * C * 4, MaybeAlign(4));
          if (src) // else the interior is already in place
            b.CreateMemCpy(at(row, p.left * C), MaybeAlign(4), at(src, b.CreateMul(h, c(W * C))),
                           MaybeAlign(4), W * C * 4);
          if (p.right)
            b.CreateMemSet(at(row, (p.left + W) * C), b.getInt8(0), p.right * C * 4, MaybeAlign(4));
        },
        [&] { b.CreateMemSet(row, b.getInt8(0), Wp * C * 4, MaybeAlign(4)); });
  });
}

Value *Emitter::min(Value *x, Value *y) { return b.CreateSelect(b.CreateICmpSLT(x, y), x, y); }
Value *Emitter::max(Value *x, Value *y) { return b.CreateSelect(b.CreateICmpSGT(x, y), x, y); }

Value *Emitter::slot(const char *name) {
  // Allocas in the entry block, before its terminator-to-be, are what SROA promotes.
  BasicBlock *entry = &fn->getEntryBlock();
  if (entry->empty())
    entryBuilder_.SetInsertPoint(entry);
  else
    entryBuilder_.SetInsertPoint(entry, entry->getFirstInsertionPt());
  return entryBuilder_.CreateAlloca(vf, nullptr, name);
}

Value *Emitter::splat(float x) { return ConstantFP::get(vf, x); }
Value *Emitter::splat(Value *scalar) { return b.CreateVectorSplat(VL, scalar); }

Value *Emitter::tailMask(Value *base, int64_t limit) {
  if (auto *k = dyn_cast<ConstantInt>(base))
    if (k->getSExtValue() + VL <= limit)
      return nullptr;
  std::vector<Constant *> lanes;
  for (int l = 0; l < VL; ++l)
    lanes.push_back(ConstantInt::get(i64, l));
  Value *idx = b.CreateAdd(splat(base), ConstantVector::get(lanes));
  return b.CreateICmpSLT(idx, b.CreateVectorSplat(VL, c(limit)));
}

Value *Emitter::loadV(Value *ptr, Value *mask, float passthru) {
  if (!mask)
    return b.CreateAlignedLoad(vf, ptr, Align(4));
  return b.CreateMaskedLoad(vf, ptr, Align(4), mask, splat(passthru));
}

void Emitter::storeV(Value *v, Value *ptr, Value *mask) {
  if (!mask)
    b.CreateAlignedStore(v, ptr, Align(4));
  else
    b.CreateMaskedStore(v, ptr, Align(4), mask);
}

Value *Emitter::call(Intrinsic::ID id, ArrayRef<Value *> args) {
  return b.CreateIntrinsic(id, {args[0]->getType()}, args);
}

// fmuladd: a fused multiply-add where the target has FMA, mul + add elsewhere.
Value *Emitter::fma(Value *x, Value *y, Value *z) { return call(Intrinsic::fmuladd, {x, y, z}); }

void Emitter::prefetchL2(Value *ptr) {
  // llvm.prefetch(ptr, read, locality 2 (-> prefetcht1), data cache)
  b.CreateIntrinsic(Intrinsic::prefetch, {ptr->getType()},
                    {ptr, b.getInt32(0), b.getInt32(2), b.getInt32(1)});
}

void Emitter::barrier() {
  auto *fn = FunctionType::get(b.getVoidTy(), false);
  b.CreateCall(fn, InlineAsm::get(fn, "", "~{memory}", /*hasSideEffects=*/true));
}

// Cephes expf: n = round(x log2 e), r = x - n ln 2 (in two parts), a degree-5
// polynomial for e^r, scaled by 2^n through the exponent bits. About 1 ulp on
// [-87.3, 88.4]; beyond that the result is 0 or +inf, and NaN stays NaN.
Value *Emitter::exp(Value *x) {
  const float hi = 88.3762626647949f, lo = -87.3365478515625f;
  Value *xc = call(Intrinsic::maxnum, {call(Intrinsic::minnum, {x, splat(hi)}), splat(lo)});
  Value *n = call(Intrinsic::rint, {b.CreateFMul(xc, splat(1.44269504088896341f))});
  Value *r = fma(n, splat(-0.693359375f), xc);
  r = fma(n, splat(2.12194440e-4f), r);
  Value *p = splat(1.9875691500E-4f);
  for (float k :
       {1.3981999507E-3f, 8.3334519073E-3f, 4.1665795894E-2f, 1.6666665459E-1f, 5.0000001201E-1f})
    p = fma(p, r, splat(k));
  Value *y = fma(b.CreateFMul(p, r), r, b.CreateFAdd(r, splat(1.f)));
  auto *vi = FixedVectorType::get(b.getInt32Ty(), VL);
  Value *bits =
      b.CreateShl(b.CreateAdd(b.CreateFPToSI(n, vi), b.CreateVectorSplat(VL, b.getInt32(127))), 23);
  Value *e = b.CreateFMul(y, b.CreateBitCast(bits, vf));
  e = b.CreateSelect(b.CreateFCmpOGT(x, splat(hi)), splat(INFINITY), e);
  e = b.CreateSelect(b.CreateFCmpOLT(x, splat(lo)), splat(0.f), e);
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, e);
}

// tanh: Cephes's odd polynomial below |x| = 0.625 (full relative accuracy
// near 0), sign(x) (1 - 2 / (e^{2|x|} + 1)) above it.
Value *Emitter::tanh(Value *x) {
  Value *ax = call(Intrinsic::fabs, {x});
  Value *e = exp(b.CreateFMul(ax, splat(2.f)));
  Value *big = b.CreateFSub(splat(1.f), b.CreateFDiv(splat(2.f), b.CreateFAdd(e, splat(1.f))));
  big = call(Intrinsic::copysign, {big, x});
  Value *z = b.CreateFMul(x, x);
  Value *p = splat(-5.70498872745E-3f);
  for (float k : {2.06390887954E-2f, -5.37397155531E-2f, 1.33314422036E-1f, -3.33332819422E-1f})
    p = fma(p, z, splat(k));
  Value *small = fma(b.CreateFMul(p, z), x, x);
  return b.CreateSelect(b.CreateFCmpOLT(ax, splat(0.625f)), small, big);
}

Value *Emitter::sigmoid(Value *x) {
  return b.CreateFDiv(splat(1.f), b.CreateFAdd(splat(1.f), exp(b.CreateFNeg(x))));
}

// e^x - 1 with full relative accuracy near 0: its Taylor series to x^8 for
// |x| < 0.5 (truncation 1.3e-8 relative), exp(x) - 1 beyond.
Value *Emitter::expm1(Value *x) {
  Value *p = splat(1.f / 40320);
  for (float k : {1.f / 5040, 1.f / 720, 1.f / 120, 1.f / 24, 1.f / 6, 0.5f, 1.f})
    p = fma(p, x, splat(k));
  Value *small = b.CreateFMul(p, x);
  Value *big = b.CreateFSub(exp(x), splat(1.f));
  return b.CreateSelect(b.CreateFCmpOLT(call(Intrinsic::fabs, {x}), splat(0.5f)), small, big);
}

// Cephes logf: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) by a degree-9
// polynomial in m - 1, plus e ln 2 in two parts. About 1 ulp. Subnormals are
// scaled by 2^23 first; 0 gives -inf, +inf itself, negatives and NaN NaN.
Value *Emitter::log(Value *x) {
  auto *vi = FixedVectorType::get(b.getInt32Ty(), VL);
  auto ints = [&](int v) { return b.CreateVectorSplat(VL, b.getInt32(v)); };
  Value *tiny = b.CreateFCmpOLT(x, splat(1.17549435e-38f));
  Value *bits = b.CreateBitCast(b.CreateSelect(tiny, b.CreateFMul(x, splat(8388608.f)), x), vi);
  Value *ex = b.CreateSub(b.CreateLShr(bits, ints(23)), b.CreateSelect(tiny, ints(149), ints(126)));
  Value *m = b.CreateBitCast(b.CreateOr(b.CreateAnd(bits, ints(0x007fffff)), ints(0x3f000000)), vf);
  Value *e = b.CreateSIToFP(ex, vf); // m in [0.5, 1)
  Value *low = b.CreateFCmpOLT(m, splat(0.707106781186547524f));
  e = b.CreateSelect(low, b.CreateFSub(e, splat(1.f)), e);
  m = b.CreateFSub(b.CreateSelect(low, b.CreateFAdd(m, m), m), splat(1.f));
  Value *z = b.CreateFMul(m, m);
  Value *p = splat(7.0376836292E-2f);
  for (float k : {-1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f, 1.4249322787E-1f,
                  -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f, 3.3333331174E-1f})
    p = fma(p, m, splat(k));
  Value *y = b.CreateFMul(b.CreateFMul(p, m), z);
  y = fma(e, splat(-2.12194440e-4f), y);
  y = fma(z, splat(-0.5f), y);
  Value *r = fma(e, splat(0.693359375f), b.CreateFAdd(m, y));
  r = b.CreateSelect(b.CreateFCmpOEQ(x, splat(0.f)), splat(-INFINITY), r);
  r = b.CreateSelect(b.CreateFCmpOEQ(x, splat(INFINITY)), x, r);
  return b.CreateSelect(b.CreateFCmpULT(x, splat(0.f)), splat(NAN), r);
}

// log(1 + u) for u in [0, 1] (softplus's u = e^-|x|): 2 atanh(s), s = u / (2 + u)
// in [0, 1/3], by its series to s^13 (truncation 1.5e-8 relative).
Value *Emitter::log1pUnit(Value *u) {
  Value *s = b.CreateFDiv(u, b.CreateFAdd(u, splat(2.f)));
  Value *z = b.CreateFMul(s, s);
  Value *p = splat(1.f / 13);
  for (float k : {1.f / 11, 1.f / 9, 1.f / 7, 1.f / 5, 1.f / 3, 1.f})
    p = fma(p, z, splat(k));
  return b.CreateFMul(b.CreateFMul(p, s), splat(2.f));
}

// erf near 0, |x| < 0.5: 2/sqrt(pi) times its Taylor series to x^11
// (truncation 1.5e-8 relative), odd, so exact in relative terms near 0.
Value *Emitter::erfSmall(Value *x) {
  Value *z = b.CreateFMul(x, x);
  Value *p = splat(-1.f / 1320);
  for (float k : {1.f / 216, -1.f / 42, 1.f / 10, -1.f / 3, 1.f})
    p = fma(p, z, splat(k));
  return b.CreateFMul(b.CreateFMul(p, x), splat(1.12837916709551257f));
}

// erfc(a) for a >= 0, given -a^2 = hi + lo: Numerical Recipes' erfcc, a
// Chebyshev fit with relative error below 1.2e-7 everywhere: t e^(-a^2 + P(t)),
// t = 1 / (1 + a/2). The exponent's rounding (ulp(a^2) / 2: 4e-6 at a = 8.5)
// is carried as a factor 1 + err, so the tail keeps its relative accuracy.
// 0 at +inf; NaN stays NaN.
Value *Emitter::erfcTail(Value *a, Value *hi, Value *lo) {
  Value *t = b.CreateFDiv(splat(1.f), fma(a, splat(0.5f), splat(1.f)));
  Value *p = splat(0.17087277f);
  for (float k : {-0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f, 0.09678418f,
                  0.37409196f, 1.00002368f, -1.26551223f})
    p = fma(p, t, splat(k));
  Value *s = b.CreateFAdd(hi, p);
  Value *err = b.CreateFAdd(b.CreateFAdd(b.CreateFSub(hi, s), p),
                            lo); // Fast2Sum: |hi| >= |p| where it matters
  Value *e = b.CreateFMul(t, exp(s));
  return b.CreateSelect(b.CreateFCmpUNO(err, err), e, fma(e, err, e)); // err is NaN at a = inf
}

// gelu, erf form: x/2 (1 + erf(x / sqrt 2)) = x/2 erfc(z), z = -x / sqrt 2,
// which keeps its relative accuracy for negative x. erfc(z) is 1 - erf's
// Taylor series for |z| < 0.5, erfcTail(|z|) above, 2 - erfcTail(|z|) below;
// -z^2 = -x (x/2) exactly as hi + lo where fmuladd fuses (lo is 0 elsewhere).
// tanh form: x/2 (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3).
// -inf gives NaN (-inf * 0), as PyTorch's does.
Value *Emitter::gelu(Value *x, GeluForm form) {
  switch (form) {
  case GeluForm::Erf: {
    Value *z = b.CreateFMul(x, splat(-0.707106781186547524f));
    Value *az = call(Intrinsic::fabs, {z}), *half = b.CreateFMul(x, splat(0.5f));
    Value *hi = b.CreateFMul(b.CreateFNeg(x), half);
    Value *tail = erfcTail(az, hi, fma(b.CreateFNeg(x), half, b.CreateFNeg(hi)));
    Value *big =
        b.CreateSelect(b.CreateFCmpOGT(z, splat(0.f)), tail, b.CreateFSub(splat(2.f), tail));
    Value *small = b.CreateFSub(splat(1.f), erfSmall(z));
    return b.CreateFMul(half, b.CreateSelect(b.CreateFCmpOLT(az, splat(0.5f)), small, big));
  }
  case GeluForm::Tanh: {
    Value *x3 = b.CreateFMul(b.CreateFMul(x, x), x);
    Value *u = b.CreateFMul(fma(x3, splat(0.044715f), x), splat(2 * 0.797884560802865356f));
    return b.CreateFMul(x, sigmoid(u));
  }
  }
  return x;
}

// relu6(x + 3) / 6: hardsigmoid, and hardswish's factor.
Value *Emitter::hardSigmoid(Value *x) {
  Value *r = minNaN(maxNaN(b.CreateFAdd(x, splat(3.f)), splat(0.f)), splat(6.f));
  return b.CreateFMul(r, splat(1.f / 6));
}

// max that propagates NaN like PyTorch (llvm.maxnum would drop it).
Value *Emitter::maxNaN(Value *x, Value *y) {
  return b.CreateSelect(b.CreateFCmpUNO(x, y), b.CreateFAdd(x, y), call(Intrinsic::maxnum, {x, y}));
}

Value *Emitter::minNaN(Value *x, Value *y) {
  return b.CreateSelect(b.CreateFCmpUNO(x, y), b.CreateFAdd(x, y), call(Intrinsic::minnum, {x, y}));
}

Value *Emitter::activate(const ActFn &act, Value *x) {
  switch (act.kind) {
  case Act::Linear:
  case Act::Softmax:
    return x;
  case Act::Relu:
    return maxNaN(x, splat(0.f));
  case Act::Relu6:
    return minNaN(maxNaN(x, splat(0.f)), splat(6.f));
  case Act::Clip:
    return minNaN(maxNaN(x, splat(act.lo)), splat(act.hi));
  case Act::LeakyRelu:
    return b.CreateSelect(b.CreateFCmpOGT(x, splat(0.f)), x, b.CreateFMul(x, splat(act.lo)));
  case Act::Tanh:
    return tanh(x);
  case Act::Sigmoid:
    return sigmoid(x);
  case Act::HardSigmoid:
    return hardSigmoid(x);
  case Act::HardSwish:
    return b.CreateFMul(x, hardSigmoid(x));
  case Act::Silu: // x / (1 + e^-x), as PyTorch: -inf gives NaN
    return b.CreateFDiv(x, b.CreateFAdd(splat(1.f), exp(b.CreateFNeg(x))));
  case Act::Gelu:
    return gelu(x, (GeluForm)(int)act.lo);
  case Act::Elu:
    return b.CreateSelect(b.CreateFCmpOGT(x, splat(0.f)), x, b.CreateFMul(expm1(x), splat(act.lo)));
  case Act::Softplus: // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): exactly x above 20
    return b.CreateFAdd(maxNaN(x, splat(0.f)),
                        log1pUnit(exp(b.CreateFNeg(call(Intrinsic::fabs, {x})))));
  }
  return x;
}

Value *Emitter::reduceMax(Value *v) {
  Value *m = b.CreateFPMaxReduce(v);
  Value *anyNaN = b.CreateOrReduce(b.CreateFCmpUNO(v, v));
  return b.CreateSelect(anyNaN, ConstantFP::getNaN(f32), m);
}
Value *Emitter::reduceAdd(Value *v) { return b.CreateFAddReduce(ConstantFP::get(f32, 0.0), v); }

// Three passes over the row: max, exp(x - max) and its sum, scale by 1/sum.
// A NaN or +inf anywhere makes the whole row NaN, as in PyTorch.
void Emitter::softmaxRow(Value *ptr, int64_t n) {
  // Not unrolled: two exp polynomials' constants and temporaries would not
  // fit in AVX2's 16 registers.
  bool wasUnrolled = unroll;
  unroll = false;
  int64_t nv = (n + VL - 1) / VL;
  const float ninf = -INFINITY;
  Value *mx = slot("max");
  b.CreateStore(splat(ninf), mx);
  loop(0, nv, [&](Value *v) {
    Value *base = b.CreateMul(v, c(VL));
    Value *x = loadV(at(ptr, base), tailMask(base, n), ninf);
    b.CreateStore(maxNaN(b.CreateLoad(vf, mx), x), mx);
  });
  Value *m = splat(reduceMax(b.CreateLoad(vf, mx)));
  Value *sum = slot("sum");
  b.CreateStore(splat(0.f), sum);
  loop(0, nv, [&](Value *v) {
    Value *base = b.CreateMul(v, c(VL));
    Value *mask = tailMask(base, n);
    Value *e = exp(b.CreateFSub(loadV(at(ptr, base), mask, ninf), m));
    if (mask)
      e = b.CreateSelect(mask, e, splat(0.f));
    storeV(e, at(ptr, base), mask);
    b.CreateStore(b.CreateFAdd(b.CreateLoad(vf, sum), e), sum);
  });
  Value *inv = splat(b.CreateFDiv(ConstantFP::get(f32, 1.0), reduceAdd(b.CreateLoad(vf, sum))));
  loop(0, nv, [&](Value *v) {
    Value *base = b.CreateMul(v, c(VL));
    Value *mask = tailMask(base, n);
    storeV(b.CreateFMul(loadV(at(ptr, base), mask), inv), at(ptr, base), mask);
  });
  unroll = wasUnrolled;
}

RegTile::RegTile(Emitter &e, int R, int G) : R(R), G(G), e(e) {
  CNNC_ASSERT(R >= 1 && G >= 1 && R * G + G + 1 <= e.registers,
              std::to_string(R) + " x " + std::to_string(G) + " register tile");
  for (int i = 0; i < R * G; ++i)
    acc_.push_back(e.slot());
}

void RegTile::init(int rows, const std::function<Value *(int)> &first) {
  CNNC_ASSERT(rows <= R, "rows of the register tile");
  for (int g = 0; g < G; ++g) {
    Value *v = first ? first(g) : e.splat(0.f);
    for (int r = 0; r < rows; ++r)
      e.b.CreateStore(v, acc_[r * G + g]);
  }
}

void RegTile::update(int r0, int n, const std::function<Value *(int)> &x,
                     const std::function<Value *(int)> &w, Value *wScale) {
  CNNC_ASSERT(r0 >= 0 && r0 + n <= R, "rows of the register tile");
  std::vector<Value *> wv(G);
  for (int g = 0; g < G; ++g) {
    wv[g] = e.loadV(w(g));
    if (wScale)
      wv[g] = e.b.CreateFMul(wv[g], wScale);
  }
  for (int r = r0; r < r0 + n; ++r) {
    Value *xr = e.splat(e.b.CreateLoad(e.f32, x(r)));
    for (int g = 0; g < G; ++g) {
      Value *s = acc_[r * G + g];
      e.b.CreateStore(e.fma(xr, wv[g], e.b.CreateLoad(e.vf, s)), s);
    }
  }
}

Value *RegTile::get(int r, int g) { return e.b.CreateLoad(e.vf, acc_[r * G + g]); }
void RegTile::set(int r, int g, Value *v) { e.b.CreateStore(v, acc_[r * G + g]); }

} // namespace cnnc
