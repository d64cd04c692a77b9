// Posting in live mode (sim/wallclock/posting, post_state, runner) and the
// operations endpoints: OAuth 1.0a against the published examples, the
// Mastodon and X clients against a local HTTP server that imitates each API
// (its error and rate-limit answers included), at-most-once posting across a
// kill and restart, credentials kept out of traces and logs, /metrics,
// /healthz and JSON logs.
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

using namespace peebot;
namespace fs = std::filesystem;
namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

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

FakeApi::Answer mastodon_ok() { return {200, {}, R"({"id": "109876", "content": "<p>ok</p>"})"}; }
FakeApi::Answer x_ok() { return {201, {}, R"({"data": {"id": "1445880548472328192", "text": "ok"}})"}; }

std::string url_decode(const std::string& s) {
  std::string o;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) { o += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)); i += 2; }
    else o += s[i] == '+' ? ' ' : s[i];
  }
  return o;
}

// "OAuth a=\"x\", b=\"y\"" -> {a: x, b: y}, values percent-decoded.
std::map<std::string, std::string> parse_oauth_header(const std::string& h) {
  std::map<std::string, std::string> out;
  REQUIRE(h.rfind("OAuth ", 0) == 0);
  const std::regex kv(R"(([a-z_]+)=\"([^\"]*)\")");
  for (std::sregex_iterator it(h.begin(), h.end(), kv), end; it != end; ++it) out[(*it)[1]] = url_decode((*it)[2]);
  return out;
}

live::Credentials x_credentials() {
  return {{"PEEBOT_X_API_KEY", "ck-abc"}, {"PEEBOT_X_API_SECRET", "cs-secret-value"},
          {"PEEBOT_X_ACCESS_TOKEN", "at-123"}, {"PEEBOT_X_ACCESS_SECRET", "as-secret-value"}};
}

// --- A trace with several urinations -------------------------------------

// The urine tank at 40 %, then `uses` rises of +3 % (over 30 s, urination-like)
// every 300 s; rows every 5 s; AOS clock ticks.
std::string make_uses_trace(const std::string& name, int uses) {
  const std::string path = peebot::test::tmp_path(name + ".h5");
  TraceMeta m;
  m.mode = "sim";
  m.epoch_unix_s = 1735689600.0;
  m.epoch_utc = "2025-01-01T00:00:00Z";
  TraceWriter w(path, m);
  auto row = [&](ItemId item, double t, double v, int status = 24) {
    TelemetryRow r;
    r.t_s = t;
    r.t_emit_s = t;
    r.iss_time_h = iss_timestamp_hours(m.epoch_unix_s + t);
    r.value = v;
    r.status = status;
    w.telemetry(item, r);
  };
  const double end = 150.0 + uses * 300.0;
  double level = 40;
  for (double t = 0; t <= end; t += 5.0) {
    const double since = t - 150.0;
    const int k = static_cast<int>(std::floor(since / 300.0));
    if (since >= 0 && k < uses) {
      const double in = since - k * 300.0;
      level = 40 + 3.0 * k + std::min(3.0, in / 10.0);
    }
    row(kUrineTank, t + 0.5, level);
    row(kSignal, t, iss_timestamp_hours(m.epoch_unix_s + t));
  }
  w.finish();
  return path;
}

// Feeds a trace through a Runner as `peebot replay` does; returns the run end.
double feed_runner(live::Runner& runner, const Trace& t) {
  const auto feed = live::feed_from_trace(t);
  for (const auto& e : feed) {
    const double t_emit = unix_from_iss_timestamp(2025, e.iss_time_h) - t.meta.epoch_unix_s;
    runner.on_update(static_cast<ItemId>(e.item), e.t_s, t_emit, e.iss_time_h, e.value, e.status,
                     static_cast<std::uint64_t>(std::llround(e.iss_time_h * 3.6e6)));
    runner.tick(e.t_s);
  }
  return feed.empty() ? 0.0 : feed.back().t_s;
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

std::string slurp(const std::string& path) {
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
std::string no_cooldown_scenario() {
  std::string text = slurp(std::string(PEEBOT_SOURCE_DIR) + "/scenarios/iss-nominal.toml");
  const std::string from = "cooldown = \"5min\"";
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), "cooldown = \"0s\"");
  return peebot::test::write_file("no-cooldown.toml", text);
}

std::size_t count_of(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = 0; (p = hay.find(needle, p)) != std::string::npos; p += needle.size()) ++n;
  return n;
}

std::string http_get(const std::string& url, long& status) {
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

}  // namespace

// --- OAuth 1.0a ------------------------------------------------------------------

TEST_CASE("OAuth 1.0a HMAC-SHA1 reproduces the RFC 5849 example signature byte for byte", "[posting][oauth]") {
  // RFC 5849 section 1.2 / OAuth Core 1.0 Appendix A.5 (photos.example.net).
  const std::vector<std::pair<std::string, std::string>> params = {
      {"file", "vacation.jpg"},           {"size", "original"},
      {"oauth_consumer_key", "dpf43f3p2l4k3l03"}, {"oauth_token", "nnch734d00sl2jdk"},
      {"oauth_signature_method", "HMAC-SHA1"},    {"oauth_timestamp", "1191242096"},
      {"oauth_nonce", "kllo9940pd9333jh"},        {"oauth_version", "1.0"}};
  const std::string base = live::oauth1_base_string("GET", "http://photos.example.net/photos", params);
  REQUIRE(base ==
          "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03"
          "%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096"
          "%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal");
  REQUIRE(live::oauth1_signature(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00") == "tR3+Ty81lMeYAr/Fid0kMTYa/WM=");
}

TEST_CASE("OAuth 1.0a reproduces the base string, signature and header of X's 'Creating a signature' example", "[posting][oauth]") {
  const live::Credentials c = {{"PEEBOT_X_API_KEY", "xvz1evFS4wEEPTGEFPHBog"},
                               {"PEEBOT_X_API_SECRET", "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"},
                               {"PEEBOT_X_ACCESS_TOKEN", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"},
                               {"PEEBOT_X_ACCESS_SECRET", "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"}};
  const std::vector<std::pair<std::string, std::string>> request = {
      {"status", "Hello Ladies + Gentlemen, a signed OAuth request!"}, {"include_entities", "true"}};
  auto params = request;
  params.insert(params.end(), {{"oauth_consumer_key", c.at("PEEBOT_X_API_KEY")},
                               {"oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"},
                               {"oauth_signature_method", "HMAC-SHA1"},
                               {"oauth_timestamp", "1318622958"},
                               {"oauth_token", c.at("PEEBOT_X_ACCESS_TOKEN")},
                               {"oauth_version", "1.0"}});
  const std::string url = "https://api.twitter.com/1.1/statuses/update.json";
  const std::string base = live::oauth1_base_string("POST", url, params);
  REQUIRE(base ==
          "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue"
          "%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"
          "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958"
          "%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0"
          "%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521");
  REQUIRE(live::oauth1_signature(base, c.at("PEEBOT_X_API_SECRET"), c.at("PEEBOT_X_ACCESS_SECRET")) ==
          "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
  const std::string header =
      live::oauth1_header("POST", url, request, c, "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1318622958);
  REQUIRE(header ==
          "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "
          "oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", "
          "oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\", oauth_signature_method=\"HMAC-SHA1\", "
          "oauth_timestamp=\"1318622958\", oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", "
          "oauth_version=\"1.0\"");
  // Percent-encoding keeps exactly the unreserved set.
  REQUIRE(live::oauth_percent_encode("a-._~ Z9!*'()/+=&%\xE2\x98\x83") == "a-._~%20Z9%21%2A%27%28%29%2F%2B%3D%26%25%E2%98%83");
}

// --- API answers ---------------------------------------------------------------------

TEST_CASE("API answers: 2xx is sent, 429 and 5xx are retried after the server's wait, other 4xx are given up", "[posting]") {
  const double now = 1763890000.0;
  auto r = live::classify_response(201, {}, R"({"data": {"id": "42", "text": "x"}})", now);
  REQUIRE(r.kind == live::PostResult::kSent);
  REQUIRE(r.remote_id == "42");

  r = live::classify_response(429, {{"retry-after", "7"}}, "", now);
  REQUIRE(r.kind == live::PostResult::kRetry);
  REQUIRE(r.retry_after_s == Approx(7));
  r = live::classify_response(429, {{"retry-after", "Mon, 23 Nov 2026 09:27:00 GMT"}}, "", 1795426020.0 - 60);
  REQUIRE(r.retry_after_s == Approx(60));
  // X: the rate-limit window's reset in unix seconds.
  r = live::classify_response(429, {{"x-rate-limit-reset", std::to_string(static_cast<long long>(now) + 90)}}, "", now);
  REQUIRE(r.kind == live::PostResult::kRetry);
  REQUIRE(r.retry_after_s == Approx(90));
  // Mastodon: ISO 8601.
  r = live::classify_response(429, {{"x-ratelimit-reset", "2026-11-23T09:27:00.000Z"}}, "", 1795426020.0 - 30);
  REQUIRE(r.retry_after_s == Approx(30));
  r = live::classify_response(429, {}, "", now);
  REQUIRE(r.kind == live::PostResult::kRetry);
  REQUIRE(r.retry_after_s < 0);

  for (long s : {500L, 502L, 503L}) {
    r = live::classify_response(s, {}, "oops", now);
    REQUIRE(r.kind == live::PostResult::kRetry);
  }
  for (long s : {400L, 401L, 403L, 404L, 422L}) {
    r = live::classify_response(s, {}, R"({"error": "Validation failed: Text can't be blank"})", now);
    INFO(s);
    REQUIRE(r.kind == live::PostResult::kGiveUp);
    REQUIRE_THAT(r.error, Catch::Contains(std::to_string(s)) && Catch::Contains("Validation failed"));
  }
  REQUIRE_THAT(live::classify_response(401, {}, "", now).error, Catch::Contains("credentials"));
}

// --- Credentials ---------------------------------------------------------------------

TEST_CASE("credentials come from the environment or a private file, and a group- or world-readable file is refused", "[posting]") {
  setenv("PEEBOT_MASTODON_TOKEN", "env-token-1", 1);
  REQUIRE(live::load_credentials("mastodon", "").at("PEEBOT_MASTODON_TOKEN") == "env-token-1");
  unsetenv("PEEBOT_MASTODON_TOKEN");
  REQUIRE_THROWS_WITH(live::load_credentials("mastodon", ""), Catch::Contains("PEEBOT_MASTODON_TOKEN"));

  const std::string f = peebot::test::write_file("creds", "# X keys\nPEEBOT_X_API_KEY=k1\nPEEBOT_X_API_SECRET = \"s1\"\n"
                                                          "PEEBOT_X_ACCESS_TOKEN=t1\nPEEBOT_X_ACCESS_SECRET=ts1\n");
  chmod(f.c_str(), 0644);
  REQUIRE_THROWS_WITH(live::load_credentials("x", f), Catch::Contains(f) && Catch::Contains("0644") && Catch::Contains("chmod 600"));
  chmod(f.c_str(), 0640);
  REQUIRE_THROWS_WITH(live::load_credentials("x", f), Catch::Contains("group or others"));
  chmod(f.c_str(), 0600);
  const auto c = live::load_credentials("x", f);
  REQUIRE(c.at("PEEBOT_X_API_SECRET") == "s1");
  REQUIRE(c.at("PEEBOT_X_ACCESS_SECRET") == "ts1");
  REQUIRE(c.size() == 4);

  const std::string g = peebot::test::write_file("creds-bad", "PEEBOT_X_API_KEY=k1\nthis line has no equals sign secretvalue\n");
  chmod(g.c_str(), 0600);
  try {
    (void)live::load_credentials("x", g);
    FAIL("a malformed credentials file was accepted");
  } catch (const std::invalid_argument& e) {
    REQUIRE_THAT(e.what(), Catch::Contains(g + ":2"));
    REQUIRE_THAT(e.what(), !Catch::Contains("secretvalue"));
  }
  // Plain http carries credentials only to this host.
  REQUIRE_THROWS_WITH(live::make_http_sink("x", "http://api.example.org", c), Catch::Contains("https"));
  REQUIRE_THROWS_WITH(live::make_http_sink("mastodon", "", {{"PEEBOT_MASTODON_TOKEN", "t"}}), Catch::Contains("--post-url"));
}

// --- Post state ----------------------------------------------------------------------

TEST_CASE("the post state survives a restart, is replaced atomically and names a malformed line", "[posting]") {
  const std::string path = peebot::test::tmp_path("state-1");
  fs::remove(path);
  {
    live::PostState s(path);
    REQUIRE_FALSE(s.has_posted());
    REQUIRE_FALSE(s.already_posted(1e9));
    s.record(live::detection_key(1735689700.25), 1735689700.25, 1763890000.5, "id-1");
  }
  live::PostState s(path);
  REQUIRE(s.has_posted());
  REQUIRE(s.posted() == 1);
  REQUIRE(s.last_key() == "peebot-1735689700250");
  REQUIRE(s.last_sent_unix() == Approx(1763890000.5));
  REQUIRE(s.already_posted(1735689700.25));
  REQUIRE(s.already_posted(1735689600.0));
  REQUIRE_FALSE(s.already_posted(1735689760.0));
  s.record(live::detection_key(1735689760.0), 1735689760.0, 1763890100.0, "");
  REQUIRE(live::PostState(path).posted() == 2);
  // No temp file is left behind, and the file is private.
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path()))
    REQUIRE(e.path().filename().string().find("state-1.tmp") == std::string::npos);
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  REQUIRE((st.st_mode & 077) == 0);

  const std::string bad = peebot::test::write_file("state-bad", "key k\nonset_unix soon\n");
  REQUIRE_THROWS_WITH(live::PostState(bad), Catch::Contains(bad + ":2") && Catch::Contains("onset_unix"));
}

// --- The clients against local imitations of the APIs ------------------------------

TEST_CASE("Mastodon poster: bearer token, Idempotency-Key and form body, and 401/403/422 give up, 500 and 429 retry", "[posting][http]") {
  FakeApi api(mastodon_ok());
  api.script({{401, {}, R"({"error": "The access token is invalid"})"},
              {403, {}, R"({"error": "This action is not allowed"})"},
              {422, {}, R"({"error": "Validation failed: Text can't be blank"})"},
              {500, {}, "Internal Server Error"},
              {429, {{"Retry-After", "3"}, {"X-RateLimit-Reset", "2030-01-01T00:00:00.000Z"}}, R"({"error": "Too many requests"})"}});
  auto sink = live::make_http_sink("mastodon", api.url() + "/", {{"PEEBOT_MASTODON_TOKEN", "tok-SECRET-1"}});
  REQUIRE(sink->blocking());
  const live::PostRequest req{"Someone on the ISS just peed about 250 mL (+3%) & more #ISS", "peebot-1735689700250"};
  const live::PostResult::Kind want[] = {live::PostResult::kGiveUp, live::PostResult::kGiveUp, live::PostResult::kGiveUp,
                                         live::PostResult::kRetry, live::PostResult::kRetry, live::PostResult::kSent};
  const int codes[] = {401, 403, 422, 500, 429, 200};
  for (int i = 0; i < 6; ++i) {
    const auto r = sink->post(req);
    INFO(i << ": " << r.error);
    REQUIRE(r.kind == want[i]);
    REQUIRE(r.http_status == codes[i]);
    REQUIRE_THAT(r.error, !Catch::Contains("tok-SECRET-1"));
    if (i == 4) REQUIRE(r.retry_after_s == Approx(3));
    if (i == 5) REQUIRE(r.remote_id == "109876");
  }
  const auto reqs = api.requests();
  REQUIRE(reqs.size() == 6);
  for (const auto& q : reqs) {
    REQUIRE(q.method == "POST");
    REQUIRE(q.target == "/api/v1/statuses");
    REQUIRE(q.headers.at("authorization") == "Bearer tok-SECRET-1");
    REQUIRE(q.headers.at("idempotency-key") == "peebot-1735689700250");
    REQUIRE(q.headers.at("content-type") == "application/x-www-form-urlencoded");
    REQUIRE(q.body.rfind("status=", 0) == 0);
    REQUIRE(url_decode(q.body.substr(7)) == req.text);
  }
}

TEST_CASE("X poster: POST /2/tweets with a JSON body and an OAuth 1.0a header that verifies", "[posting][http][oauth]") {
  FakeApi api(x_ok());
  const auto creds = x_credentials();
  const std::string base = api.url();
  // The imitation checks the signature as X would: recompute it from the header's oauth_* values.
  std::atomic<int> verified{0};
  api.inspect = [&](const FakeApi::Request& r, FakeApi::Answer& a) {
    const auto h = parse_oauth_header(r.headers.at("authorization"));
    std::vector<std::pair<std::string, std::string>> params;
    for (const auto& [k, v] : h)
      if (k != "oauth_signature") params.emplace_back(k, v);
    const std::string sig = live::oauth1_signature(live::oauth1_base_string(r.method, base + r.target, params),
                                                   creds.at("PEEBOT_X_API_SECRET"), creds.at("PEEBOT_X_ACCESS_SECRET"));
    if (h.count("oauth_signature") && h.at("oauth_signature") == sig && h.at("oauth_consumer_key") == "ck-abc" &&
        h.at("oauth_token") == "at-123" && h.at("oauth_signature_method") == "HMAC-SHA1") ++verified;
    else a = {401, {}, R"({"title": "Unauthorized", "status": 401})"};
  };
  auto sink = live::make_http_sink("x", base, creds);
  const auto r1 = sink->post({"Water recovery \"never\" sleeps.\n#ISS", "peebot-1"});
  REQUIRE(r1.kind == live::PostResult::kSent);
  REQUIRE(r1.remote_id == "1445880548472328192");
  api.script({{429, {{"x-rate-limit-reset", std::to_string(std::time(nullptr) + 5)}}, R"({"title": "Too Many Requests"})"},
              {403, {}, R"({"detail": "You are not allowed to create a Tweet with duplicate content."})"}});
  const auto r2 = sink->post({"two", "peebot-2"});
  REQUIRE(r2.kind == live::PostResult::kRetry);
  REQUIRE(r2.retry_after_s == Approx(5).margin(1.5));
  const auto r3 = sink->post({"three", "peebot-3"});
  REQUIRE(r3.kind == live::PostResult::kGiveUp);
  REQUIRE_THAT(r3.error, Catch::Contains("duplicate content"));
  const auto reqs = api.requests();
  REQUIRE(reqs.size() == 3);
  REQUIRE(verified == 3);
  REQUIRE(reqs[0].target == "/2/tweets");
  REQUIRE(reqs[0].headers.at("content-type") == "application/json");
  REQUIRE(reqs[0].body == R"({"text":"Water recovery \"never\" sleeps.\n#ISS"})");
  // Each request has its own nonce.
  REQUIRE(parse_oauth_header(reqs[0].headers.at("authorization")).at("oauth_nonce") !=
          parse_oauth_header(reqs[1].headers.at("authorization")).at("oauth_nonce"));
}

TEST_CASE("the runner retries 5xx with backoff, waits out a 429's Retry-After and gives up on 4xx with a logged error", "[posting][http]") {
  const std::string src = make_uses_trace("retry-src", 1);
  const Trace t = read_trace(src);
  PipelineParams pp;
  pp.tweet.cooldown_s = 0;
  pp.tweet.backoff_s = 2;
  pp.tweet.max_retries = 3;
  for (const bool refused : {false, true}) {
    INFO((refused ? "422" : "500, 429, 200"));
    FakeApi api(mastodon_ok());
    if (refused) api.script({{422, {}, R"({"error": "Validation failed"})"}});
    else api.script({{500, {}, "boom"}, {429, {{"Retry-After", "30"}}, "slow down"}, {200, {}, R"({"id": "1"})"}});
    // The first answer waits until the feed is over, so the test drives the clock alone.
    std::atomic<bool> gate{false};
    api.inspect = [&](const FakeApi::Request&, FakeApi::Answer&) {
      while (!gate) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    };
    auto sink = live::make_http_sink("mastodon", api.url(), {{"PEEBOT_MASTODON_TOKEN", "t"}});
    live::Runner runner(pp, nullptr, t.meta.epoch_unix_s, sink.get(), 1e300);
    std::vector<std::pair<std::string, std::string>> logs;
    runner.on_log = [&](const char* level, const std::string& m) { logs.emplace_back(level, m); };
    std::vector<Post> done;
    runner.on_post = [&](const Post& p) { done.push_back(p); };
    const double end = feed_runner(runner, t);
    REQUIRE(runner.detections().size() == 1);
    REQUIRE(runner.queue_depth() >= 1);  // the post is in flight
    gate = true;
    auto n_requests = [&] { return api.requests().size(); };
    const double now = end + 1;
    if (refused) {
      REQUIRE(tick_until(runner, now, [&] { return runner.counters().posts_failed == 1; }));
      runner.tick(now + 100);
      runner.finish(now + 101);
      REQUIRE(n_requests() == 1);
      REQUIRE(runner.counters().post_retries == 0);
      REQUIRE(done.size() == 1);
      REQUIRE(done[0].outcome == PostOutcome::kFailed);
      REQUIRE(done[0].attempts == 1);
      bool logged = false;
      for (const auto& [level, m] : logs)
        logged |= level == "error" && m.find("HTTP 422") != std::string::npos && m.find("given up") != std::string::npos;
      REQUIRE(logged);
      continue;
    }
    // The 500 at `now`: retried after the backoff (2 s), which meets the 429.
    REQUIRE(tick_until(runner, now, [&] { return runner.counters().post_retries == 1; }));
    runner.tick(now + 1.9);
    REQUIRE(n_requests() == 1);
    REQUIRE(tick_until(runner, now + 2.0, [&] { return runner.counters().post_retries == 2; }));
    REQUIRE(n_requests() == 2);
    // The 429 asked for 30 s (longer than the 4 s backoff): nothing at 29.9 s, the retry at 30 s.
    const double after429 = now + 2.0;
    runner.tick(after429 + 29.9);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    runner.tick(after429 + 29.9);
    REQUIRE(n_requests() == 2);
    REQUIRE(tick_until(runner, after429 + 30.0, [&] { return runner.counters().posts_sent == 1; }));
    runner.finish(after429 + 31.0);
    REQUIRE(n_requests() == 3);
    REQUIRE(done.size() == 1);
    REQUIRE(done[0].outcome == PostOutcome::kSent);
    REQUIRE(done[0].attempts == 3);
    bool logged_retry_30 = false;
    for (const auto& [level, m] : logs)
      logged_retry_30 |= level == "warn" && m.find("HTTP 429") != std::string::npos && m.find("retry in 30.0 s") != std::string::npos;
    REQUIRE(logged_retry_30);
    // The retries repeated the detection's idempotency key.
    const auto reqs = api.requests();
    REQUIRE(reqs[0].headers.at("idempotency-key") == reqs[2].headers.at("idempotency-key"));
  }
}

// --- The whole binary --------------------------------------------------------------

TEST_CASE("peebot live posts each detection at most once across a kill and a restart (post state)", "[posting][live]") {
  const int uses = 4;
  const std::string src = make_uses_trace("restart-src", uses);
  // What the detector finds offline.
  const auto rep = peebot::test::run_peebot("replay " + src + " --json");
  REQUIRE(rep.code == 0);
  REQUIRE(count_of(rep.out, "\"kind\": 1") == static_cast<std::size_t>(uses));
  Served served(src, 150.0);  // 1350 s of feed in 9 s
  FakeApi api(mastodon_ok());
  const std::string state = peebot::test::tmp_path("restart.state");
  const std::string scen = no_cooldown_scenario();
  fs::remove(state);
  auto args = [&](const std::string& rec) {
    return std::vector<std::string>{"live", "--server", served.url(), "--post", "mastodon", "--post-url", api.url(),
                                    "--post-state", state, "--feed-year", "2025", "--scenario", scen, "--record", rec,
                                    "--idle-exit", "2", "--duration", "60", "--keepalive", "1"};
  };
  const std::vector<std::pair<std::string, std::string>> env = {{"PEEBOT_MASTODON_TOKEN", "tok-restart"}};
  {
    Child first(args(peebot::test::tmp_path("restart-1.h5")), env, peebot::test::tmp_path("restart-1.log"));
    // Killed (SIGKILL, no clean stop) once the first post is accepted and kept.
    REQUIRE(wait_for([&] { return fs::exists(state) && live::PostState(state).posted() >= 1; }));
    ::kill(first.pid, SIGKILL);
    REQUIRE(first.wait() == -SIGKILL);
    INFO(first.output());
    REQUIRE(api.requests().size() < static_cast<std::size_t>(uses));
  }
  const std::size_t before = api.requests().size();
  Child second(args(peebot::test::tmp_path("restart-2.h5")), env, peebot::test::tmp_path("restart-2.log"));
  REQUIRE(second.wait() == 0);
  const std::string out2 = second.output();
  INFO(out2);
  // Every urination posted exactly once over the two runs: no key twice.
  const auto reqs = api.requests();
  std::set<std::string> keys;
  for (const auto& q : reqs) keys.insert(q.headers.at("idempotency-key"));
  REQUIRE(reqs.size() == static_cast<std::size_t>(uses));
  REQUIRE(keys.size() == static_cast<std::size_t>(uses));
  REQUIRE(count_of(out2, "not posted again") == before);
  REQUIRE(live::PostState(state).posted() == static_cast<std::size_t>(uses));
}

TEST_CASE("a credential never appears in the trace, the post state or the log output", "[posting][live]") {
  const std::string src = make_uses_trace("secret-src", 2);
  Served served(src, 0);
  FakeApi api(x_ok());
  const auto creds = x_credentials();
  const std::string state = peebot::test::tmp_path("secret.state");
  const std::string rec = peebot::test::tmp_path("secret.h5");
  fs::remove(state);
  std::vector<std::pair<std::string, std::string>> env(creds.begin(), creds.end());
  for (const char* fmt : {"text", "json"}) {
    fs::remove(state);
    Child c({"live", "--server", served.url(), "--post", "x", "--post-url", api.url(), "--post-state", state,
             "--feed-year", "2025", "--scenario", no_cooldown_scenario(), "--record", rec, "--idle-exit", "1",
             "--duration", "60", "--log-format", fmt},
            env, peebot::test::tmp_path(std::string("secret-") + fmt + ".log"));
    REQUIRE(c.wait() == 0);
    const std::string out = c.output();
    INFO(out);
    REQUIRE_THAT(out, Catch::Contains("accepted as id 1445880548472328192"));
    const std::string trace_bytes = slurp(rec), state_bytes = slurp(state);
    REQUIRE(!trace_bytes.empty());
    REQUIRE(!state_bytes.empty());
    for (const auto& [name, value] : creds) {
      INFO(name);
      REQUIRE_THAT(out, !Catch::Contains(value));
      REQUIRE(trace_bytes.find(value) == std::string::npos);
      REQUIRE(state_bytes.find(value) == std::string::npos);
    }
  }
  REQUIRE(api.requests().size() == 4);
  // A world-readable credentials file is refused before anything starts.
  std::string text;
  for (const auto& [k, v] : creds) text += k + "=" + v + "\n";
  const std::string f = peebot::test::write_file("creds-open", text);
  chmod(f.c_str(), 0604);
  const auto r = peebot::test::run_peebot("live --post x --credentials " + f + " --server " + served.url());
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.out, Catch::Contains("chmod 600"));
  REQUIRE_THAT(r.out, !Catch::Contains("cs-secret-value"));
}

TEST_CASE("/metrics is Prometheus text with every metric the issue names, /healthz answers, --log-format json is one object a line",
          "[live][ops]") {
  const std::string src = make_uses_trace("ops-src", 2);
  Served served(src, 200.0);  // 750 s of feed in ~4 s
  Child c({"live", "--server", served.url(), "--feed-year", "2025", "--metrics-port", "0", "--log-format", "json",
           "--idle-exit", "1.5", "--duration", "60", "--keepalive", "1"},
          {}, peebot::test::tmp_path("ops.log"));
  // The port is in the log.
  int port = 0;
  REQUIRE(wait_for([&] {
    std::smatch m;
    const std::string out = c.output();
    if (!std::regex_search(out, m, std::regex(R"(http://127\.0\.0\.1:(\d+)/healthz)"))) return false;
    port = std::stoi(m[1]);
    return true;
  }));
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  long status = 0;
  // Healthy once connected.
  REQUIRE(wait_for([&] { http_get(base + "/healthz", status); return status == 200; }, 10));
  REQUIRE(http_get(base + "/healthz", status).rfind("ok", 0) == 0);
  // Wait for a detection so the counters have moved.
  std::string body;
  REQUIRE(wait_for([&] {
    body = http_get(base + "/metrics", status);
    return status == 200 && body.find("\npeebot_detections_total ") != std::string::npos &&
           body.find("\npeebot_detections_total 0\n") == std::string::npos;
  }, 20));
  INFO(body);
  // Exposition format: # HELP / # TYPE lines, then samples "name value"; a TYPE precedes its samples.
  const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)"), type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))"),
      sample(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( -?[0-9]+)?)");
  std::map<std::string, std::string> types;
  std::map<std::string, double> values;
  std::istringstream lines(body);
  std::string line;
  REQUIRE(body.back() == '\n');
  while (std::getline(lines, line)) {
    INFO(line);
    std::smatch m;
    if (std::regex_match(line, m, help)) continue;
    if (std::regex_match(line, m, type)) { REQUIRE(types.count(m[1]) == 0); types[m[1]] = m[2]; continue; }
    REQUIRE(std::regex_match(line, m, sample));
    REQUIRE(types.count(m[1]) == 1);
    std::size_t used = 0;
    values[m[1]] = std::stod(m[3], &used);
    REQUIRE(used == static_cast<std::size_t>(m[3].length()));
  }
  const std::pair<const char*, const char*> named[] = {
      {"peebot_updates_received_total", "counter"}, {"peebot_lag_seconds", "gauge"},
      {"peebot_reconnects_total", "counter"},       {"peebot_detections_total", "counter"},
      {"peebot_posts_sent_total", "counter"},       {"peebot_posts_failed_total", "counter"},
      {"peebot_queue_depth", "gauge"}};
  for (const auto& [name, kind] : named) {
    INFO(name);
    REQUIRE(types.count(name) == 1);
    REQUIRE(types[name] == kind);
    REQUIRE(values.count(name) == 1);
  }
  REQUIRE(values["peebot_updates_received_total"] > 0);
  REQUIRE(values["peebot_detections_total"] >= 1);
  REQUIRE(values["peebot_posts_sent_total"] >= 1);  // dry-run
  REQUIRE(values["peebot_connected"] == 1);
  http_get(base + "/nope", status);
  REQUIRE(status == 404);
  REQUIRE(c.wait() == 0);
  // Every line on stdout (the log, with the dry-run posts) is one JSON object: checked by Python's json.
  const std::string out = c.output();
  std::string json_lines;
  std::istringstream ls(out);
  std::size_t n = 0;
  while (std::getline(ls, line))
    if (line.rfind("peebot live: ", 0) != 0) { json_lines += line + "\n"; ++n; }  // the final summary goes to stderr
  REQUIRE(n >= 3);
  REQUIRE_THAT(json_lines, Catch::Contains("[dry-run] post: "));
  const std::string jf = peebot::test::write_file("ops-json.log", json_lines);
  const auto py = std::system(("python3 -c 'import json,sys\nfor l in open(sys.argv[1]):\n  o=json.loads(l); assert isinstance(o, dict) and "
                               "set(o)=={\"t\",\"level\",\"msg\"}, l' " + jf).c_str());
  REQUIRE(WEXITSTATUS(py) == 0);
}

// --- Secrets and idempotency (issue 14 items 9, 10, 14) ---------------------------------------

TEST_CASE("a credential with a control character (CR/LF would inject an HTTP header) is refused, naming it but not its value",
          "[posting]") {
  setenv("PEEBOT_MASTODON_TOKEN", "tok-CRLF\r\nX-Injected: yes", 1);
  try {
    (void)live::load_credentials("mastodon", "");
    FAIL("a token with CR LF was accepted");
  } catch (const std::invalid_argument& e) {
    REQUIRE_THAT(e.what(), Catch::Contains("PEEBOT_MASTODON_TOKEN") && Catch::Contains("control character"));
    REQUIRE_THAT(e.what(), !Catch::Contains("tok-CRLF"));
  }
  unsetenv("PEEBOT_MASTODON_TOKEN");
  const std::string f = peebot::test::write_file("creds-ctl", "PEEBOT_X_API_KEY=k1\nPEEBOT_X_API_SECRET=s1\x07\n"
                                                            "PEEBOT_X_ACCESS_TOKEN=t1\nPEEBOT_X_ACCESS_SECRET=ts1\n");
  chmod(f.c_str(), 0600);
  REQUIRE_THROWS_WITH(live::load_credentials("x", f), Catch::Contains("PEEBOT_X_API_SECRET") && Catch::Contains(f));
  // Whatever the credentials' source, the poster refuses them too: nothing is sent.
  FakeApi api(mastodon_ok());
  REQUIRE_THROWS_WITH(live::make_http_sink("mastodon", api.url(), {{"PEEBOT_MASTODON_TOKEN", "a\r\nX-Injected: yes"}}),
                      Catch::Contains("control character"));
  auto x = x_credentials();
  x["PEEBOT_X_ACCESS_TOKEN"] = "at\nX-Injected: yes";
  REQUIRE_THROWS_WITH(live::make_http_sink("x", api.url(), x), Catch::Contains("PEEBOT_X_ACCESS_TOKEN"));
  REQUIRE(api.requests().empty());
  // The binary: exit 2 before anything starts.
  Child c({"live", "--post", "mastodon", "--post-url", api.url(), "--max-failures", "0", "--duration", "5", "--server",
           "ws://127.0.0.1:9/lightstreamer"},
          {{"PEEBOT_MASTODON_TOKEN", "tok-CRLF\r\nX-Injected: yes"}}, peebot::test::tmp_path("crlf.log"));
  REQUIRE(c.wait() == 2);
  REQUIRE_THAT(c.output(), Catch::Contains("control character") && !Catch::Contains("X-Injected"));
  REQUIRE(api.requests().empty());
}

TEST_CASE("an API error body that echoes a secret is redacted before anything of it is logged, in full or cut short",
          "[posting][http]") {
  const std::string token = "tok-ECHO-0123456789abcdef";
  // The token echoed whole, percent-encoded, JSON-escaped, and starting where the log's 200-byte excerpt cuts it.
  FakeApi api(mastodon_ok());
  api.script({{401, {}, "{\"error\": \"invalid token " + token + "\"}"},
              {403, {}, "Authorization: Bearer " + live::oauth_percent_encode(token + "/x") + " refused"},
              {500, {{"X-Echo", token}}, std::string(190, '.') + token}});
  auto sink = live::make_http_sink("mastodon", api.url(), {{"PEEBOT_MASTODON_TOKEN", token}});
  for (int i = 0; i < 3; ++i) {
    const auto r = sink->post({"hello", "peebot-1"});
    INFO(i << ": " << r.error);
    REQUIRE_THAT(r.error, !Catch::Contains("tok-ECHO"));
    REQUIRE_THAT(r.error, Catch::Contains("[redacted PEEBOT_MASTODON_TOKEN]") || Catch::Contains("...."));
  }
  // X: every one of the four secrets.
  const auto creds = x_credentials();
  std::string echo;
  for (const auto& [k, v] : creds) echo += k + "=" + v + " ";
  FakeApi xapi({401, {}, echo});
  const auto xr = live::make_http_sink("x", xapi.url(), creds)->post({"hi", "peebot-2"});
  for (const auto& [k, v] : creds) REQUIRE_THAT(xr.error, !Catch::Contains(v));
  // The redactor alone: every configured value, however it appears.
  const live::Redactor red(creds);
  REQUIRE(red("a cs-secret-value b as-secret-value c") == "a [redacted PEEBOT_X_API_SECRET] b [redacted PEEBOT_X_ACCESS_SECRET] c");
}

TEST_CASE("peebot live with an API that echoes the token in its error keeps the token out of stderr and the JSON log",
          "[posting][live]") {
  const std::string src = make_uses_trace("echo-src", 1);
  Served served(src, 0);
  const std::string token = "tok-LEAK-9f8e7d6c5b4a";
  FakeApi api({401, {}, "{\"error\": \"The access token " + token + " is invalid\", \"auth\": \"Bearer " + token + "\"}"});
  for (const char* fmt : {"text", "json"}) {
    Child c({"live", "--server", served.url(), "--post", "mastodon", "--post-url", api.url(), "--post-state",
             peebot::test::tmp_path("echo.state"), "--feed-year", "2025", "--scenario", no_cooldown_scenario(), "--idle-exit",
             "1", "--duration", "60", "--log-format", fmt},
            {{"PEEBOT_MASTODON_TOKEN", token}}, peebot::test::tmp_path(std::string("echo-") + fmt + ".log"));
    REQUIRE(c.wait() == 0);
    const std::string out = c.output();
    INFO(out);
    REQUIRE_THAT(out, Catch::Contains("HTTP 401"));  // the error is logged...
    REQUIRE_THAT(out, Catch::Contains("[redacted PEEBOT_MASTODON_TOKEN]"));
    REQUIRE_THAT(out, !Catch::Contains("tok-LEAK"));  // ...without the token
  }
}

TEST_CASE("the id of a created status or post is read from the JSON answer, not from the first id substring in its text", "[posting]") {
  REQUIRE(live::created_id(R"({"account": {"id": "7", "username": "bot"}, "id": "109876", "content": "x"})") == "109876");
  REQUIRE(live::created_id(R"({"errors": [{"id": "e1"}], "data": {"text": "\"id\": \"fake\"", "id": "1445880548472328192"}})") ==
          "1445880548472328192");
  REQUIRE(live::created_id(R"({"id": 42})") == "42");
  REQUIRE(live::created_id(R"({"content": "\"id\": \"fake\""})").empty());
  REQUIRE(live::created_id("<html>\"id\": \"x\"</html>").empty());
  REQUIRE(live::created_id(R"({"id": )").empty());
  // A hostile answer loses its id, nothing more: deep nesting, a number out of range, a repeated or unpaired member.
  REQUIRE(live::created_id("{\"data\": " + std::string(100000, '[')).empty());
  REQUIRE(live::created_id(R"({"id": 1e999})").empty());
  REQUIRE(live::created_id(R"({"id": "1", "id": "2"})").empty());
  REQUIRE(live::created_id(R"({"id": "\ud800"})").empty());
  REQUIRE(live::created_id(R"({"id": -5})").empty());
  REQUIRE(live::created_id(R"({"id": 1445880548472328192})") == "1445880548472328192");  // an integer id stays exact
  const auto r = live::classify_response(200, {}, R"({"account": {"id": "7"}, "id": "109876"})", 0);
  REQUIRE(r.remote_id == "109876");
}

// Mastodon keeps an Idempotency-Key for an hour and answers a repeated key with the status it
// already made: a restart that re-sends a post whose acceptance it never recorded makes no second one.
TEST_CASE("a kill after the API accepted a post and before the post state was written: the restart's repeat has the same "
          "Idempotency-Key and no second status is made",
          "[posting][live]") {
  const std::string src = make_uses_trace("idem-src", 1);
  Served served(src, 0);
  FakeApi api(mastodon_ok());
  std::mutex m;
  std::map<std::string, std::string> statuses;  // Idempotency-Key (or a fresh name without one) -> the status made for it
  std::atomic<pid_t> victim{-1};
  std::atomic<bool> killed{false};
  api.inspect = [&](const FakeApi::Request& r, FakeApi::Answer& a) {
    std::lock_guard<std::mutex> l(m);
    const std::string key = r.headers.count("idempotency-key") ? r.headers.at("idempotency-key")
                                                                : "no-key-" + std::to_string(statuses.size());
    std::string& id = statuses[key];
    if (id.empty()) id = std::to_string(109876 + statuses.size());
    a = {200, {}, "{\"id\": \"" + id + "\"}"};
    // The first run dies right after the API made the status, before it reads the answer.
    if (!killed) {
      while (victim <= 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      ::kill(victim, SIGKILL);
      killed = true;
    }
  };
  const std::string state = peebot::test::tmp_path("idem.state");
  fs::remove(state);
  auto args = [&] {
    return std::vector<std::string>{"live", "--server", served.url(), "--post", "mastodon", "--post-url", api.url(),
                                    "--post-state", state, "--feed-year", "2025", "--scenario", no_cooldown_scenario(),
                                    "--idle-exit", "1", "--duration", "60"};
  };
  const std::vector<std::pair<std::string, std::string>> env = {{"PEEBOT_MASTODON_TOKEN", "tok-idem"}};
  {
    Child first(args(), env, peebot::test::tmp_path("idem-1.log"));
    victim = first.pid;
    REQUIRE(first.wait() == -SIGKILL);
  }
  REQUIRE(api.requests().size() == 1);
  REQUIRE_FALSE(live::PostState(state).has_posted());  // the acceptance was never recorded
  Child second(args(), env, peebot::test::tmp_path("idem-2.log"));
  REQUIRE(second.wait() == 0);
  INFO(second.output());
  const auto reqs = api.requests();
  REQUIRE(reqs.size() == 2);  // the detection was sent again...
  REQUIRE(reqs[0].headers.at("idempotency-key") == reqs[1].headers.at("idempotency-key"));  // ...with the same key
  REQUIRE(statuses.size() == 1);  // so one status
  REQUIRE(live::PostState(state).posted() == 1);
  REQUIRE(live::PostState(state).last_key() == reqs[0].headers.at("idempotency-key"));
}

TEST_CASE("a server's wait (Retry-After, rate-limit reset) is capped at one day", "[posting]") {
  REQUIRE(live::classify_response(429, {{"retry-after", "1e300"}}, "", 1763890000.0).retry_after_s == 86400.0);
  REQUIRE(live::classify_response(429, {{"x-rate-limit-reset", "99999999999"}}, "", 1763890000.0).retry_after_s == 86400.0);
  REQUIRE(live::classify_response(429, {{"retry-after", "30"}}, "", 1763890000.0).retry_after_s == 30.0);
}
