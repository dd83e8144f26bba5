#include "isolation/channel.h"

#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>

#include "dpurun/error.h"

namespace dpurun::isolation {
namespace {

constexpr std::size_t kMaxMessage = 256 << 10;  // a description or an error message fits

}  // namespace

bool send_message(int socket, const Message& m) {
  std::string packet(sizeof(Header) + m.text.size(), '\0');
  std::memcpy(packet.data(), &m.header, sizeof(Header));
  std::memcpy(packet.data() + sizeof(Header), m.text.data(), m.text.size());
  iovec iov{packet.data(), packet.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (m.fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &m.fd, sizeof(int));
  }
  for (;;) {
    ssize_t n = sendmsg(socket, &msg, MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(packet.size())) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

std::optional<Message> receive_message(int socket, int timeout_ms) {
  pollfd p{socket, POLLIN, 0};
  for (;;) {
    int r = poll(&p, 1, timeout_ms);
    if (r > 0) break;
    if (r == 0) return std::nullopt;
    if (errno != EINTR) return Message{};
  }
  thread_local std::vector<char> packet(kMaxMessage);
  iovec iov{packet.data(), packet.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  Message m;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) std::memcpy(&m.fd, CMSG_DATA(c), sizeof(int));
  if (n < static_cast<ssize_t>(sizeof(Header)) || (msg.msg_flags & MSG_TRUNC)) {
    if (m.fd >= 0) close(m.fd);
    return Message{};  // gone, or not one of ours
  }
  std::memcpy(&m.header, packet.data(), sizeof(Header));
  m.text.assign(packet.data() + sizeof(Header), static_cast<std::size_t>(n) - sizeof(Header));
  return m;
}

std::optional<Message> receive_message_soon(int socket, int timeout_ms) {
  constexpr auto kSpin = std::chrono::microseconds(200);
  const auto until = std::chrono::steady_clock::now() + kSpin;
  while (std::chrono::steady_clock::now() < until) {
    if (auto m = receive_message(socket, 0)) return m;
    sched_yield();
  }
  return receive_message(socket, timeout_ms);
}

std::string encode(const RunnerInfo& info) {
  std::ostringstream o;
  o.precision(17);
  o << info.name << '\n' << info.flops_per_image << '\n';
  auto put = [&](char side, const TensorInfo& t) {
    o << side << '\t' << t.name << '\t' << static_cast<int>(t.type) << '\t';
    if (t.fix_point) o << *t.fix_point;
    else o << '-';
    for (auto d : t.shape) o << '\t' << d;
    o << '\n';
  };
  for (const auto& t : info.inputs) put('i', t);
  for (const auto& t : info.outputs) put('o', t);
  return o.str();
}

RunnerInfo decode_runner_info(const std::string& text) {
  auto bad = [] { return Error(ErrorCode::kInternal, "a worker described its runner in a form dpurun does not read"); };
  std::istringstream in(text);
  RunnerInfo info;
  std::string line;
  if (!std::getline(in, info.name) || !std::getline(in, line)) throw bad();
  try {
    info.flops_per_image = std::stod(line);
  } catch (const std::exception&) {
    throw bad();
  }
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream ls(line);
    for (std::string s; std::getline(ls, s, '\t');) f.push_back(s);
    if (f.size() < 4 || (f[0] != "i" && f[0] != "o")) throw bad();
    TensorInfo t;
    t.name = f[1];
    try {
      const int type = std::stoi(f[2]);
      if (type < 0 || type > static_cast<int>(DataType::kInt64)) throw bad();
      t.type = static_cast<DataType>(type);
      if (f[3] != "-") t.fix_point = std::stoi(f[3]);
      for (std::size_t k = 4; k < f.size(); ++k) t.shape.push_back(std::stoll(f[k]));
    } catch (const std::logic_error&) {
      throw bad();
    }
    (f[0] == "i" ? info.inputs : info.outputs).push_back(std::move(t));
  }
  if (info.inputs.empty() || info.outputs.empty()) throw bad();
  return info;
}

Layout layout_of(const RunnerInfo& info) {
  Layout l;
  l.total = 64;  // JobProgress
  auto add = [&](const TensorInfo& t) {
    const std::size_t bytes = static_cast<std::size_t>(element_count(t.shape)) * size_of(t.type);
    l.offsets.push_back(l.total);
    l.sizes.push_back(bytes);
    l.total += (bytes + 63) / 64 * 64;
  };
  for (const auto& t : info.inputs) add(t);
  for (const auto& t : info.outputs) add(t);
  return l;
}

}  // namespace dpurun::isolation
