#include "loaders/dnndk/elf_reader.h"

#include <cstring>
#include <map>

#include "dpurun/error.h"

namespace dpurun::loaders::dnndk {
namespace {

constexpr std::size_t kTensorRecord = 52;  // 13 words; the metadata says so too
constexpr std::uint32_t kSectionNoBits = 8;  // SHT_NOBITS

// Little-endian reads that never run past their buffer.
class Reader {
 public:
  Reader(const std::string& data, std::string what, const std::string& source)
      : d_(data), what_(std::move(what)), source_(source) {}
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::uint64_t u64() { return get(8); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  void skip(std::uint64_t n) {
    need(n);
    at_ += n;
  }
  void seek(std::uint64_t at) {
    if (at > d_.size()) fail("offset " + std::to_string(at) + " is past its end");
    at_ = at;
  }
  std::size_t at() const { return at_; }
  bool done() const { return at_ >= d_.size(); }
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(ErrorCode::kInvalidModel, source_ + ": " + what_ + ": " + why +
                                              "; the DNNDK .elf is truncated or not one dpurun can read");
  }
  // A count read from the file, bounded by what the rest of the buffer could hold.
  std::uint32_t count(std::size_t bytes_each) {
    std::uint32_t n = u32();
    if (bytes_each && n > (d_.size() - at_) / bytes_each) fail("a count of " + std::to_string(n) + " does not fit");
    return n;
  }

 private:
  void need(std::uint64_t n) const {
    if (n > d_.size() - at_) fail("ends at byte " + std::to_string(d_.size()) + " in the middle of a record");
  }
  std::uint64_t get(int n) {
    need(static_cast<std::uint64_t>(n));
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(d_[at_ + static_cast<std::size_t>(i)]);
    at_ += static_cast<std::size_t>(n);
    return v;
  }
  const std::string& d_;
  std::string what_;
  const std::string& source_;
  std::size_t at_ = 0;
};

std::string c_string(const std::string& table, std::uint64_t offset, const Reader& r) {
  if (offset >= table.size()) r.fail("a name offset " + std::to_string(offset) + " is outside the string table");
  auto end = table.find('\0', offset);
  if (end == std::string::npos) r.fail("a name is not terminated");
  return table.substr(offset, end - offset);
}

std::string line_after(const std::string& text, const std::string& key) {
  auto p = text.find(key);
  if (p == std::string::npos) return "";
  p += key.size();
  auto e = text.find('\n', p);
  std::string v = text.substr(p, e == std::string::npos ? std::string::npos : e - p);
  while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
  return v;
}

void read_strtab(ElfKernel& k, const std::string& st, const Reader& r) {
  // "\0dpuv2\0VAI_C Compiler …\nDPU Target : v1.4.1\nBuild Label: …\nCopyright …\n\0names…"
  k.dpu_arch = c_string(st, 1, r);
  std::string banner = c_string(st, 2 + k.dpu_arch.size(), r);
  k.compiler = banner.substr(0, banner.find('\n'));
  k.dpu_target = line_after(banner, "DPU Target : ");
  k.build_label = line_after(banner, "Build Label: ");
  if (k.compiler.empty() || k.dpu_target.empty()) r.fail("the string table has no compiler banner");
}

void read_tensors(ElfKernel& k, const std::string& sec, const std::string& st, const std::string& source) {
  Reader r(sec, ".deephi.tensor." + k.name, source);
  if (sec.size() % kTensorRecord) r.fail("its size " + std::to_string(sec.size()) + " is not a whole number of tensors");
  while (!r.done()) {
    ElfTensor t;
    t.kind = r.u32();
    t.height = static_cast<int>(r.u32());
    t.width = static_cast<int>(r.u32());
    t.channels = static_cast<int>(r.u32());
    r.u32();  // offset in the kernel's I/O memory
    std::uint32_t size = r.u32();
    t.bit_width = static_cast<int>(r.u32());
    t.fix_point = static_cast<std::int32_t>(r.u32());
    r.u32();  // channel stride
    t.name = c_string(st, r.u32(), r);
    r.skip(12);
    if (t.height < 1 || t.width < 1 || t.channels < 1 || t.height > 1 << 16 || t.width > 1 << 16 ||
        t.channels > 1 << 20 || static_cast<std::uint64_t>(t.height) * t.width * t.channels != size)
      r.fail("tensor '" + t.name + "' has shape " + std::to_string(t.height) + "×" + std::to_string(t.width) +
             "×" + std::to_string(t.channels) + " but " + std::to_string(size) + " bytes");
    if (t.bit_width != 8 || t.fix_point < -32 || t.fix_point > 32)
      r.fail("tensor '" + t.name + "' is " + std::to_string(t.bit_width) + "-bit at fix point " +
             std::to_string(t.fix_point));
    k.tensors.push_back(std::move(t));
  }
}

void read_nodes(ElfKernel& k, const std::string& sec, const std::string& st, std::uint32_t node_count,
                const std::string& source) {
  Reader r(sec, ".deephi.node." + k.name, source);
  auto tensor_ids = [&](std::uint32_t n) {
    std::vector<std::uint32_t> ids;
    for (std::uint32_t i = 0; i < n; ++i) {
      std::uint32_t id = r.u32();
      if (id >= k.tensors.size()) r.fail("a node names tensor " + std::to_string(id) + " of " + std::to_string(k.tensors.size()));
      ids.push_back(id);
    }
    return ids;
  };
  for (std::uint32_t i = 0; i < node_count; ++i) {
    ElfNode n;
    n.type = r.u32();
    n.name = c_string(st, r.u32(), r);
    n.workload = r.u64();
    r.skip(4ull * r.count(4));  // registers
    n.inputs = tensor_ids(r.count(4));
    n.outputs = tensor_ids(r.count(4));
    std::uint32_t codes = r.count(16);
    r.skip(16ull * codes);
    n.params = static_cast<int>(r.count(40));
    for (int p = 0; p < n.params; ++p) {
      r.u32();
      k.node_parameter_bytes += r.u32();
      r.skip(32);
    }
    r.skip(4ull * r.count(4));  // predecessors
    r.skip(4ull * r.count(4));  // successors
    k.nodes.push_back(std::move(n));
  }
  if (!r.done()) r.fail("holds " + std::to_string(sec.size() - r.at()) + " bytes after its " + std::to_string(node_count) + " nodes");
}

struct Section {
  std::string name;
  std::uint64_t offset = 0, size = 0;
};

}  // namespace

std::uint64_t ElfKernel::workload() const {
  std::uint64_t w = 0;
  for (const auto& n : nodes) w += n.workload;
  return w;
}

bool looks_like_elf(const std::string& bytes) { return bytes.size() >= 4 && bytes.compare(0, 4, "\x7f" "ELF") == 0; }

ElfModel read_dnndk_elf(const std::string& bytes, const std::string& source) {
  Reader h(bytes, "ELF header", source);
  if (!looks_like_elf(bytes)) h.fail("it does not start with the ELF magic number");
  if (bytes.size() < 64 || bytes[4] != 2 || bytes[5] != 1)
    h.fail("only little-endian 64-bit ELF files hold DNNDK kernels for Zynq UltraScale+");
  ElfModel m;
  h.seek(18);
  std::uint16_t machine = h.u16();
  m.machine = machine == 183 ? "aarch64" : machine == 40 ? "arm" : machine == 62 ? "x86-64" : "machine " + std::to_string(machine);
  h.seek(0x28);
  std::uint64_t shoff = h.u64();
  h.seek(0x3a);
  std::uint16_t shentsize = h.u16(), shnum = h.u16(), shstrndx = h.u16();
  if (shentsize != 64 || shnum == 0 || shstrndx >= shnum) h.fail("its section header table is malformed");
  if (shoff > bytes.size() || std::uint64_t(shnum) * 64 > bytes.size() - shoff) h.fail("its section headers lie past its end");
  std::vector<Section> secs(shnum);
  std::vector<std::uint32_t> name_offsets(shnum);
  for (std::uint16_t i = 0; i < shnum; ++i) {
    h.seek(shoff + 64ull * i);
    name_offsets[i] = h.u32();
    const std::uint32_t type = h.u32();
    h.skip(16);
    secs[i].offset = h.u64();
    secs[i].size = h.u64();
    if (type == kSectionNoBits) secs[i].size = 0;  // .bss and the like take no bytes of the file
    if (secs[i].offset > bytes.size() || secs[i].size > bytes.size() - secs[i].offset)
      h.fail("section " + std::to_string(i) + " lies past the end of the file");
  }
  const std::string names = bytes.substr(secs[shstrndx].offset, secs[shstrndx].size);
  std::map<std::string, std::string> content;
  for (std::uint16_t i = 0; i < shnum; ++i) {
    secs[i].name = c_string(names, name_offsets[i], h);
    content[secs[i].name] = bytes.substr(secs[i].offset, secs[i].size);
  }

  const std::string meta_prefix = ".deephi.metadata.";
  for (const auto& s : secs) {
    if (s.name.rfind(meta_prefix, 0) != 0) continue;
    ElfKernel k;
    k.name = s.name.substr(meta_prefix.size());
    for (const char* part : {"strtab", "tensor", "node"})
      if (!content.count(".deephi." + std::string(part) + "." + k.name))
        h.fail("kernel '" + k.name + "' has no .deephi." + part + " section");
    const std::string& st = content[".deephi.strtab." + k.name];
    Reader meta(content[s.name], s.name, source);
    read_strtab(k, st, meta);
    meta.u32();  // a format word (1 in every known file)
    meta.u32();  // the DPU architecture's version word
    k.debug_mode = meta.u32() != 0;
    std::uint32_t node_count = meta.u32();
    if (meta.u32() != kTensorRecord) meta.fail("its tensor records are not 52 bytes; an unknown DNNDK ABI");
    k.io_bytes = meta.u32();
    meta.skip(12);  // mean values
    k.abi_word = meta.u32();
    k.code_bytes = content[".deephi.code." + k.name].size();
    k.parameter_bytes = content[".deephi.parameter." + k.name].size();
    read_tensors(k, content[".deephi.tensor." + k.name], st, source);
    if (node_count > content[".deephi.node." + k.name].size() / 40)
      meta.fail("it declares " + std::to_string(node_count) + " nodes, more than the node section can hold");
    read_nodes(k, content[".deephi.node." + k.name], st, node_count, source);
    for (const auto& n : k.nodes) {
      for (auto t : n.inputs)
        if (k.tensors[t].kind == 2) k.input_nodes.push_back(n.name);
      for (auto t : n.outputs)
        if (k.tensors[t].kind == 4) k.output_nodes.push_back(n.name);
    }
    m.kernels.push_back(std::move(k));
  }
  if (m.kernels.empty())
    h.fail("it holds no DPU kernel (no .deephi.metadata.* section); is this a DNNDK model .elf?");
  return m;
}

}  // namespace dpurun::loaders::dnndk
