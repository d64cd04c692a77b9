// Fixtures shared by the posting tests (test_posting.cpp: the clients, OAuth,
// answers, credentials and the post state; test_posting_live.cpp: the whole
// binary across kills, secrets in logs, /metrics): a local HTTP server that
// imitates the Mastodon and X APIs, traces with several urinations, a runner
// fed from a trace, and the peebot binary as a child process.
#pragma once
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <curl/curl.h>

#include "cli_support.hpp"
#include "live_fixtures.hpp"
#include "sim/tlcp/feed.hpp"
#include "sim/wallclock/post_state.hpp"
#include "sim/wallclock/posting.hpp"
#include "sim/wallclock/runner.hpp"
#include "sim/tlcp/server.hpp"


namespace peebot::testing::posting {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

// --- A local HTTP server imitating an API ----------------------------------

struct FakeApi {
  struct Request {
    std::string method, target, body;
    std::map<std::string, std::string> headers;  // lower-case names
  };
  struct Answer {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };

  explicit FakeApi(Answer normal) : normal_(std::move(normal)), acceptor_(ioc_) {
    const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeApi() {
    stop_ = true;
    try {  // wake the blocking accept
      net::io_context c;
      tcp::socket s(c);
      s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    } catch (...) {
    }
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The next answers, in order, before the normal one.
  void script(std::vector<Answer> a) {
    std::lock_guard<std::mutex> l(m_);
    for (auto& x : a) script_.push_back(std::move(x));
  }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> l(m_);
    return requests_;
  }
  // Called on each request before it is answered; may replace the answer.
  std::function<void(const Request&, Answer&)> inspect;

 private:
  void loop() {
    while (!stop_) {
      tcp::socket sock(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) break;
      boost::beast::flat_buffer buf;
      for (;;) {
        http::request<http::string_body> req;
        http::read(sock, buf, req, ec);
        if (ec) break;
        Request r;
        r.method = std::string(req.method_string());
        r.target = std::string(req.target());
        r.body = req.body();
        for (const auto& f : req) {
          std::string n(f.name_string());
          for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          r.headers[n] = std::string(f.value());
        }
        Answer a;
        {
          std::lock_guard<std::mutex> l(m_);
          if (!script_.empty()) { a = script_.front(); script_.pop_front(); }
          else a = normal_;
        }
        if (inspect) inspect(r, a);
        {
          std::lock_guard<std::mutex> l(m_);
          requests_.push_back(r);
        }
        http::response<http::string_body> res{static_cast<http::status>(a.status), req.version()};
        for (const auto& [k, v] : a.headers) res.set(k, v);
        res.set(http::field::content_type, "application/json; charset=utf-8");
        res.body() = a.body;
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        http::write(sock, res, ec);
        if (ec || !req.keep_alive()) break;
      }
      sock.close(ec);
    }
  }

  Answer normal_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex m_;
  std::deque<FakeApi::Answer> script_;
  std::vector<Request> requests_;
};

inline FakeApi::Answer mastodon_ok() { return {200, {}, R"({"id": "109876", "content": "<p>ok</p>"})"}; }
inline FakeApi::Answer x_ok() { return {201, {}, R"({"data": {"id": "1445880548472328192", "text": "ok"}})"}; }

inline std::string url_decode(const std::string& s) {
  std::string o;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) { o += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)); i += 2; }
    else o += s[i] == '+' ? ' ' : s[i];
  }
  return o;
}

// "OAuth a=\"x\", b=\"y\"" -> {a: x, b: y}, values percent-decoded.
inline std::map<std::string, std::string> parse_oauth_header(const std::string& h) {
  std::map<std::string, std::string> out;
  REQUIRE(h.rfind("OAuth ", 0) == 0);
  const std::regex kv(R"(([a-z_]+)=\"([^\"]*)\")");
  for (std::sregex_iterator it(h.begin(), h.end(), kv), end; it != end; ++it) out[(*it)[1]] = url_decode((*it)[2]);
  return out;
}

inline live::Credentials x_credentials() {
  return {{"PEEBOT_X_API_KEY", "ck-abc"}, {"PEEBOT_X_API_SECRET", "cs-secret-value"},
          {"PEEBOT_X_ACCESS_TOKEN", "at-123"}, {"PEEBOT_X_ACCESS_SECRET", "as-secret-value"}};
}

// --- A trace with several urinations -------------------------------------

// The urine tank at 40 %, then `uses` rises of +3 % (over 30 s, urination-like)
// every 300 s; rows every 5 s; AOS clock ticks.
inline std::string make_uses_trace(const std::string& name, int uses) {
  const std::string path = peebot::test::tmp_path(name + ".h5");
  FixtureTrace w(path);
  const double end = 150.0 + uses * 300.0;
  double level = 40;
  for (double t = 0; t <= end; t += 5.0) {
    const double since = t - 150.0;
    const int k = static_cast<int>(std::floor(since / 300.0));
    if (since >= 0 && k < uses) {
      const double in = since - k * 300.0;
      level = 40 + 3.0 * k + std::min(3.0, in / 10.0);
    }
    w.row(kUrineTank, t + 0.5, level);
    w.row(kSignal, t, FixtureTrace::clock(t));
  }
  w.finish();
  return path;
}

// Ticks the runner at now_s until pred() or 10 s of wall time.
template <class Pred>
bool tick_until(live::Runner& r, double now_s, Pred pred) {
  const auto t0 = std::chrono::steady_clock::now();
  while (!pred()) {
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(10)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    r.tick(now_s);
  }
  return true;
}

// --- Running the binary ----------------------------------------------------

struct Child {
  pid_t pid = -1;
  std::string out_path;
  // Runs PEEBOT_BINARY with args; env: extra variables; stdout and stderr to out_path.
  Child(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env,
        const std::string& out) : out_path(out) {
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 1);
      dup2(fd, 2);
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(PEEBOT_BINARY));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(PEEBOT_BINARY, argv.data());
      _exit(127);
    }
  }
  std::string output() const {
    std::ifstream in(out_path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Exit code (or -signal), waiting at most timeout_s, then SIGKILL.
  int wait(double timeout_s = 60) {
    const auto t0 = std::chrono::steady_clock::now();
    int st = 0;
    for (;;) {
      const pid_t r = waitpid(pid, &st, WNOHANG);
      if (r == pid) break;
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout_s) {
        ::kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
  }
  ~Child() {
    if (pid > 0) { ::kill(pid, SIGKILL); waitpid(pid, nullptr, 0); }
  }
};

template <class Pred>
bool wait_for(Pred pred, double timeout_s = 30) {
  const auto t0 = std::chrono::steady_clock::now();
  while (!pred()) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A served trace on loopback for the duration of a test.
struct Served {
  explicit Served(const std::string& trace, double speed) {
    live::ServeOptions so;
    so.port = 0;
    so.speed = speed;
    so.keepalive_s = 0.5;
    server = std::make_unique<live::TlcpServer>(live::feed_from_trace(read_trace(trace)), so);
    port = server->listen();
    th = std::thread([this] { server->run(); });
  }
  ~Served() {
    server->stop();
    th.join();
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port) + "/lightstreamer"; }
  std::unique_ptr<live::TlcpServer> server;
  unsigned short port = 0;
  std::thread th;
};

// A scenario whose poster has no cooldown (each detection is posted at once).
inline std::string no_cooldown_scenario() {
  std::string text = slurp(std::string(PEEBOT_SOURCE_DIR) + "/scenarios/iss-nominal.toml");
  const std::string from = "cooldown = \"5min\"";
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), "cooldown = \"0s\"");
  return peebot::test::write_file("no-cooldown.toml", text);
}

inline std::size_t count_of(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = 0; (p = hay.find(needle, p)) != std::string::npos; p += needle.size()) ++n;
  return n;
}

inline std::string http_get(const std::string& url, long& status) {
  CURL* h = curl_easy_init();
  std::string body;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, +[](char* p, std::size_t s, std::size_t n, void* ud) {
    static_cast<std::string*>(ud)->append(p, s * n);
    return s * n;
  });
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  status = 0;
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  return body;
}


}  // namespace peebot::testing::posting
