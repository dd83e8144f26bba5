// Float pooling on oneDNN.
#include <cstring>

#include "cpu/kernels/kernels.h"
#include "cpu/kernels/onednn/onednn.h"

namespace dpurun::cpu::onednn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

class Pool : public Kernel {
 public:
  explicit Pool(const KernelArgs& a) : stream_(engine()) {
    const auto& p = a.node.p<graph::PoolParams>();
    const Shape& xs = a.input_shapes[0];
    const Shape& os = a.output_shape;
    memory::desc src_md({xs[0], xs[3], xs[1], xs[2]}, memory::data_type::f32, tag::nhwc);
    memory::desc dst_md({os[0], os[3], os[1], os[2]}, memory::data_type::f32, tag::nhwc);
    auto alg = p.kind == graph::PoolKind::kMax ? dnnl::algorithm::pooling_max
               : p.count_include_pad          ? dnnl::algorithm::pooling_avg_include_padding
                                              : dnnl::algorithm::pooling_avg_exclude_padding;
    dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, alg, src_md, dst_md,
                                     {p.stride_h, p.stride_w}, {p.kernel_h, p.kernel_w},
                                     {p.pad_top, p.pad_left}, {p.pad_bottom, p.pad_right});
    dnnl::pooling_forward::primitive_desc pd(desc, with_user_scratchpad(), engine());
    prim_ = dnnl::pooling_forward(pd);
    scratchpad_ = ScratchpadArg(pd.scratchpad_desc(), a);
    args_ = {{DNNL_ARG_SRC, memory(src_md, engine(), const_cast<void*>(a.inputs[0]))},
             {DNNL_ARG_DST, memory(dst_md, engine(), a.output)}};
    if (pd.workspace_desc().get_size() > 0)
      args_[DNNL_ARG_WORKSPACE] = memory(pd.workspace_desc(), engine());
  }

  void run() override {
    scratchpad_.add_to(args_);
    prim_.execute(stream_, args_);
    stream_.wait();
  }

 private:
  dnnl::stream stream_;
  dnnl::primitive prim_;
  std::unordered_map<int, memory> args_;
  ScratchpadArg scratchpad_;
};

}  // namespace

std::unique_ptr<Kernel> make_pool(const KernelArgs& a) { return std::make_unique<Pool>(a); }

}  // namespace dpurun::cpu::onednn
