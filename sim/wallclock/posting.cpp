#include "posting.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <stdexcept>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "../../models/iss_time.hpp"
#include "../report/json.hpp"

namespace peebot::live {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

std::string base64(const unsigned char* p, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int k = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(k));
  return out;
}

std::string random_nonce() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
  static const char* const hex = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) { s += hex[c >> 4]; s += hex[c & 15]; }
  return s;
}

// A short, single-line excerpt of an error body for the log.
std::string excerpt(const std::string& body) {
  std::string s = body.substr(0, 200);
  for (auto& c : s) if (c == '\n' || c == '\r') c = ' ';
  return trim(s) + (body.size() > 200 ? "..." : "");
}

bool parse_number(const std::string& s, double& v) {
  const std::string t = trim(s);
  if (t.empty()) return false;
  char* end = nullptr;
  v = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size() && std::isfinite(v);
}

// ISO 8601 UTC ("2026-11-23T10:00:00.000Z", Mastodon's X-RateLimit-Reset) -> unix s.
bool parse_iso8601(const std::string& s, double& unix_s) {
  int y, mo, d, h, mi;
  double sec;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%lf", &y, &mo, &d, &h, &mi, &sec) != 6) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  unix_s = static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) * 86400.0 +
           h * 3600.0 + mi * 60.0 + sec;
  return true;
}

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct HttpAnswer {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string error;  // transport error (no HTTP answer)
};

std::size_t on_body(char* p, std::size_t sz, std::size_t n, void* ud) {
  auto* a = static_cast<HttpAnswer*>(ud);
  if (a->body.size() < (1u << 20)) a->body.append(p, sz * n);
  return sz * n;
}

std::size_t on_header(char* p, std::size_t sz, std::size_t n, void* ud) {
  auto* a = static_cast<HttpAnswer*>(ud);
  const std::string line(p, sz * n);
  if (line.rfind("HTTP/", 0) == 0) a->headers.clear();  // a new response (after 100 Continue)
  const std::size_t c = line.find(':');
  if (c != std::string::npos) a->headers[lower(trim(line.substr(0, c)))] = trim(line.substr(c + 1));
  return sz * n;
}

HttpAnswer http_post(const std::string& url, const std::vector<std::string>& headers, const std::string& body,
                     double timeout_s) {
  curl_init_once();
  HttpAnswer a;
  CURL* h = curl_easy_init();
  if (!h) { a.error = "curl_easy_init failed"; return a; }
  curl_slist* hl = nullptr;
  for (const auto& s : headers) hl = curl_slist_append(hl, s.c_str());
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &a);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_s * 1000));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(timeout_s, 5.0) * 1000));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "peebot-live/1");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    a.status = 0;
    a.error = std::string(curl_easy_strerror(rc)) + (errbuf[0] ? std::string(": ") + errbuf : std::string());
  } else {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a.status);
  }
  curl_slist_free_all(hl);
  curl_easy_cleanup(h);
  return a;
}

// A credential goes into an HTTP header: a control character (CR, LF: a new header line) is refused.
bool has_control(const std::string& v) {
  for (unsigned char ch : v)
    if (ch < 0x20 || ch == 0x7f) return true;
  return false;
}

const std::string& need(const Credentials& c, const std::string& name) {
  const auto it = c.find(name);
  if (it == c.end() || it->second.empty()) throw std::invalid_argument("credential " + name + " is not set");
  if (has_control(it->second))
    throw std::invalid_argument("credential " + name + " contains a control character (CR/LF would inject an HTTP header): refused");
  return it->second;
}

// "https://host[:port][/prefix]" without a trailing slash; http only to this host.
std::string check_base_url(const std::string& kind, std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  const bool https = url.rfind("https://", 0) == 0, http = url.rfind("http://", 0) == 0;
  if (!https && !http) throw std::invalid_argument("the " + kind + " API URL must start with https:// (got \"" + url + "\")");
  if (http) {
    const std::string rest = url.substr(7);
    const std::string host = rest.substr(0, rest.find_first_of(":/"));
    if (host != "127.0.0.1" && host != "localhost" && rest.rfind("[::1]", 0) != 0)
      throw std::invalid_argument("the " + kind + " API URL " + url +
                                  " is plain http to another host: credentials go only over https (http is for 127.0.0.1 tests)");
  }
  return url;
}

PostResult from_answer(const HttpAnswer& a, const char* api) {
  if (a.status == 0) {
    PostResult r;
    r.kind = PostResult::kRetry;
    r.error = std::string(api) + ": no answer (" + a.error + ")";
    return r;
  }
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  PostResult r = classify_response(a.status, a.headers, a.body, now);
  if (!r.error.empty()) r.error = std::string(api) + ": " + r.error;
  return r;
}

// The answer with every secret redacted before anything of it is kept or logged (an error body
// may echo the token; the log shows an excerpt, which must not cut a secret into a leaking prefix).
HttpAnswer redacted(HttpAnswer a, const Redactor& redact) {
  a.body = redact(std::move(a.body));
  a.error = redact(std::move(a.error));
  for (auto& [k, v] : a.headers) v = redact(std::move(v));
  return a;
}

class MastodonSink final : public PostSink {
 public:
  MastodonSink(std::string base, std::string token, double timeout_s)
      : url_(std::move(base) + "/api/v1/statuses"), token_(std::move(token)), timeout_s_(timeout_s),
        redact_(Credentials{{"PEEBOT_MASTODON_TOKEN", token_}}) {}
  bool blocking() const override { return true; }
  PostResult post(const PostRequest& r) override {
    // Idempotency-Key: the detection's key, the same on every retry and after a restart: Mastodon
    // answers a repeated key with the status it already made (docs/live.md, "At most once").
    const HttpAnswer a = redacted(http_post(url_,
                                   {"Authorization: Bearer " + token_, "Idempotency-Key: " + r.key,
                                    "Content-Type: application/x-www-form-urlencoded", "Accept: application/json"},
                                   "status=" + oauth_percent_encode(r.text), timeout_s_), redact_);
    return from_answer(a, "Mastodon");
  }

 private:
  std::string url_, token_;
  double timeout_s_;
  Redactor redact_;
};

class XSink final : public PostSink {
 public:
  XSink(std::string base, Credentials c, double timeout_s)
      : url_(std::move(base) + "/2/tweets"), c_(std::move(c)), timeout_s_(timeout_s), redact_(c_) {}
  bool blocking() const override { return true; }
  PostResult post(const PostRequest& r) override {
    const long long ts = static_cast<long long>(std::time(nullptr));
    // A JSON body has no parameters of its own to sign (X API v2).
    const std::string auth = oauth1_header("POST", url_, {}, c_, random_nonce(), ts);
    const HttpAnswer a =
        redacted(http_post(url_, {"Authorization: " + auth, "Content-Type: application/json", "Accept: application/json"},
                           dump_json(Json{{"text", r.text}}, -1, false), timeout_s_),
                 redact_);
    return from_answer(a, "X");
  }

 private:
  std::string url_;
  Credentials c_;
  double timeout_s_;
  Redactor redact_;
};

}  // namespace

PostResult DryRunSink::post(const PostRequest& r) {
  if (print_) std::printf("[dry-run] post: %s\n", r.text.c_str()), std::fflush(stdout);
  return PostResult{};
}

std::vector<std::string> credential_names(const std::string& kind) {
  if (kind == "mastodon") return {"PEEBOT_MASTODON_TOKEN"};
  if (kind == "x") return {"PEEBOT_X_API_KEY", "PEEBOT_X_API_SECRET", "PEEBOT_X_ACCESS_TOKEN", "PEEBOT_X_ACCESS_SECRET"};
  return {};
}

Credentials load_credentials(const std::string& kind, const std::string& file) {
  const auto names = credential_names(kind);
  Credentials c;
  if (!file.empty()) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0)
      throw std::invalid_argument("credentials file " + file + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw std::invalid_argument("credentials file " + file + " is not a regular file");
    if (st.st_mode & 077) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      throw std::invalid_argument("credentials file " + file + " has mode " + mode +
                                  ": it must not be readable or writable by group or others (chmod 600 " + file + ")");
    }
    std::ifstream in(file);
    if (!in) throw std::invalid_argument("credentials file " + file + ": cannot be read");
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      const std::string t = trim(line);
      if (t.empty() || t[0] == '#') continue;
      const std::size_t eq = t.find('=');
      if (eq == std::string::npos)
        throw std::invalid_argument(file + ":" + std::to_string(n) + ": expected NAME=VALUE (the value is not shown)");
      std::string v = trim(t.substr(eq + 1));
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
      c[trim(t.substr(0, eq))] = v;
    }
    for (const auto& name : names)
      if (c[name].empty()) throw std::invalid_argument("credentials file " + file + " does not set " + name);
  } else {
    for (const auto& name : names) {
      const char* v = std::getenv(name.c_str());
      if (!v || !*v)
        throw std::invalid_argument("--post " + kind + " needs " + name +
                                    " in the environment (or --credentials FILE with NAME=VALUE lines, mode 600)");
      c[name] = v;
    }
  }
  Credentials out;
  for (const auto& name : names) {
    if (has_control(c[name]))
      throw std::invalid_argument((file.empty() ? std::string("environment variable ") : "credentials file " + file + ": ") +
                                  name + " contains a control character (CR/LF would inject an HTTP header; the value is not shown)");
    out[name] = c[name];
  }
  return out;
}

std::string default_post_url(const std::string& kind) { return kind == "x" ? "https://api.x.com" : ""; }

std::unique_ptr<PostSink> make_http_sink(const std::string& kind, const std::string& base_url, const Credentials& c,
                                         double timeout_s) {
  if (kind == "mastodon") {
    if (base_url.empty()) throw std::invalid_argument("--post mastodon needs --post-url https://YOUR.INSTANCE");
    return std::make_unique<MastodonSink>(check_base_url(kind, base_url), need(c, "PEEBOT_MASTODON_TOKEN"), timeout_s);
  }
  if (kind == "x") {
    for (const auto& n : credential_names("x")) (void)need(c, n);
    return std::make_unique<XSink>(check_base_url(kind, base_url.empty() ? default_post_url("x") : base_url), c, timeout_s);
  }
  throw std::invalid_argument("unknown poster \"" + kind + "\" (expected mastodon or x)");
}

std::string oauth_percent_encode(const std::string& s) {
  static const char* const hex = "0123456789ABCDEF";
  std::string o;
  o.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') o += static_cast<char>(c);
    else { o += '%'; o += hex[c >> 4]; o += hex[c & 15]; }
  }
  return o;
}

std::string oauth1_base_string(const std::string& method, const std::string& base_url,
                               const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(params.size());
  for (const auto& [k, v] : params) enc.emplace_back(oauth_percent_encode(k), oauth_percent_encode(v));
  std::sort(enc.begin(), enc.end());
  std::string plist;
  for (const auto& [k, v] : enc) {
    if (!plist.empty()) plist += '&';
    plist += k + "=" + v;
  }
  return method + "&" + oauth_percent_encode(base_url) + "&" + oauth_percent_encode(plist);
}

std::string oauth1_signature(const std::string& base_string, const std::string& consumer_secret,
                             const std::string& token_secret) {
  const std::string key = oauth_percent_encode(consumer_secret) + "&" + oauth_percent_encode(token_secret);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(base_string.data()),
       base_string.size(), md, &n);
  return base64(md, n);
}

std::string oauth1_header(const std::string& method, const std::string& base_url,
                          const std::vector<std::pair<std::string, std::string>>& params, const Credentials& c,
                          const std::string& nonce, long long timestamp) {
  std::vector<std::pair<std::string, std::string>> oauth = {
      {"oauth_consumer_key", need(c, "PEEBOT_X_API_KEY")},
      {"oauth_nonce", nonce},
      {"oauth_signature_method", "HMAC-SHA1"},
      {"oauth_timestamp", std::to_string(timestamp)},
      {"oauth_token", need(c, "PEEBOT_X_ACCESS_TOKEN")},
      {"oauth_version", "1.0"},
  };
  auto all = params;
  all.insert(all.end(), oauth.begin(), oauth.end());
  const std::string sig =
      oauth1_signature(oauth1_base_string(method, base_url, all), need(c, "PEEBOT_X_API_SECRET"), need(c, "PEEBOT_X_ACCESS_SECRET"));
  oauth.emplace_back("oauth_signature", sig);
  std::sort(oauth.begin(), oauth.end());
  std::string h = "OAuth ";
  for (std::size_t i = 0; i < oauth.size(); ++i)
    h += (i ? ", " : "") + oauth[i].first + "=\"" + oauth_percent_encode(oauth[i].second) + "\"";
  return h;
}

PostResult classify_response(long status, const std::map<std::string, std::string>& headers, const std::string& body,
                             double now_unix) {
  PostResult r;
  r.http_status = static_cast<int>(status);
  if (status >= 200 && status < 300) {
    r.kind = PostResult::kSent;
    r.remote_id = created_id(body);
    return r;
  }
  auto header = [&](const char* name) -> const std::string* {
    const auto it = headers.find(name);
    return it == headers.end() ? nullptr : &it->second;
  };
  // The server's own wait: Retry-After (seconds or an HTTP date), else the
  // rate-limit window's reset (X: unix seconds; Mastodon: ISO 8601).
  if (const auto* ra = header("retry-after")) {
    double v;
    if (parse_number(*ra, v)) r.retry_after_s = std::max(0.0, v);
    else if (const time_t t = curl_getdate(ra->c_str(), nullptr); t > 0) r.retry_after_s = std::max(0.0, static_cast<double>(t) - now_unix);
  }
  if (r.retry_after_s < 0 && (status == 429 || status == 503)) {
    for (const char* name : {"x-rate-limit-reset", "x-ratelimit-reset"}) {
      const auto* v = header(name);
      if (!v) continue;
      double t;
      if ((parse_number(*v, t) && t > 1e9) || parse_iso8601(*v, t)) { r.retry_after_s = std::max(0.0, t - now_unix); break; }
    }
  }
  // A server-given wait is bounded: a Retry-After of 1e300 s must not park the post for ever.
  constexpr double kMaxServerWaitS = 86400.0;
  if (r.retry_after_s > kMaxServerWaitS) r.retry_after_s = kMaxServerWaitS;
  char what[128];
  if (status == 429) {
    r.kind = PostResult::kRetry;
    std::snprintf(what, sizeof what, "HTTP 429 rate limited");
  } else if (status >= 500 || status == 408) {
    r.kind = PostResult::kRetry;
    std::snprintf(what, sizeof what, "HTTP %ld (server error, retried)", status);
  } else {
    r.kind = PostResult::kGiveUp;
    const char* why = status == 401 ? " unauthorized: check the credentials"
                      : status == 403 ? " forbidden"
                      : status == 422 ? " unprocessable: the API refused the post"
                                      : "";
    std::snprintf(what, sizeof what, "HTTP %ld%s (not retried)", status, why);
  }
  r.error = what;
  if (!body.empty()) r.error += ": " + excerpt(body);
  if (r.retry_after_s >= 0) {
    char b[48];
    std::snprintf(b, sizeof b, " (server asks to wait %.0f s)", r.retry_after_s);
    r.error += b;
  }
  return r;
}

Redactor::Redactor(const Credentials& c) {
  for (const auto& [name, value] : c) {
    if (value.empty()) continue;
    const std::string mark = "[redacted " + name + "]";
    std::string slash_escaped;  // JSON writers that escape '/' as "\/"
    for (char ch : value) {
      if (ch == '/') slash_escaped += '\\';
      slash_escaped += ch;
    }
    std::string json_escaped = dump_json(Json(value), -1, false);  // as a JSON string, without its quotes
    json_escaped = json_escaped.substr(1, json_escaped.size() - 2);
    for (const std::string& form : {value, oauth_percent_encode(value), json_escaped, slash_escaped})
      if (!form.empty()) needles_.emplace_back(form, mark);
  }
  std::sort(needles_.begin(), needles_.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  needles_.erase(std::unique(needles_.begin(), needles_.end()), needles_.end());
}

std::string Redactor::operator()(std::string s) const {
  for (const auto& [needle, mark] : needles_) {
    for (std::size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + mark.size())) s.replace(p, needle.size(), mark);
  }
  return s;
}

std::string created_id(const std::string& body) {
  Json v;
  try {
    v = parse_json(body, "the API's answer");
  } catch (const std::exception&) {
    return {};
  }
  auto id_of = [](const Json* o) -> std::string {
    const Json* id = o ? json_find(*o, "id") : nullptr;
    if (!id) return {};
    if (id->is_string()) return id->get_ref<const std::string&>().substr(0, 64);
    if (id->is_number_unsigned() || (id->is_number_integer() && id->get<std::int64_t>() >= 0))
      return std::to_string(id->get<std::uint64_t>());
    const double x = json_double(*id);
    if (id->is_number_float() && x >= 0 && x < 1e18) {
      char b[32];
      std::snprintf(b, sizeof b, "%.0f", x);
      return b;
    }
    return {};
  };
  if (std::string id = id_of(&v); !id.empty()) return id;  // Mastodon: the status
  return id_of(json_find(v, "data"));                       // X: {"data": {"id": ...}}
}

}  // namespace peebot::live
