// Posting of `peebot live`: the HTTP clients of the Mastodon and X APIs (over
// libcurl), OAuth 1.0a signing for X, credentials (environment or a private
// file, never anything else), and the classification of API answers into
// sent / retry later / give up. The decisions (cooldown, backoff, at most once)
// stay in sim/pipeline/poster and sim/wallclock/runner.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace peebot::live {

// One post to make: the text and a key that names the detection (the same
// across retries and restarts; sent to Mastodon as its Idempotency-Key).
struct PostRequest {
  std::string text;
  std::string key;
};

// What became of one attempt.
struct PostResult {
  enum Kind { kSent, kRetry, kGiveUp } kind = kSent;
  int http_status = 0;        // 0: no HTTP answer (connection or TLS failure, timeout)
  double retry_after_s = -1;  // the server's own wait (Retry-After, rate-limit reset), -1: none given
  std::string error;          // why not sent (never contains a credential)
  std::string remote_id;      // id of the created status/post, when the API says
};

// Sends one post. post() may block (an HTTP request); blocking() says so, and
// the runner then makes the call on a worker thread.
struct PostSink {
  virtual ~PostSink() = default;
  virtual PostResult post(const PostRequest& r) = 0;
  virtual bool blocking() const { return false; }
};

// Prints the post (and the runner records it): the default, nothing leaves the host.
class DryRunSink final : public PostSink {
 public:
  explicit DryRunSink(bool print) : print_(print) {}
  PostResult post(const PostRequest& r) override;

 private:
  bool print_;
};

// Credentials by name (see credential_names). Their values are never printed.
using Credentials = std::map<std::string, std::string>;

// Removes every configured secret from a text before it is logged or recorded, whatever its
// source (an API's error body echoing the token, a server message, a URL): each value, and the
// forms it takes in a URL (percent-encoded) or a JSON string (escaped), becomes "[redacted NAME]".
class Redactor {
 public:
  Redactor() = default;
  explicit Redactor(const Credentials& c);
  std::string operator()(std::string s) const;

 private:
  std::vector<std::pair<std::string, std::string>> needles_;  // (text, replacement), longest first
};

// The names a poster needs: "mastodon" -> PEEBOT_MASTODON_TOKEN; "x" ->
// PEEBOT_X_API_KEY, PEEBOT_X_API_SECRET, PEEBOT_X_ACCESS_TOKEN, PEEBOT_X_ACCESS_SECRET.
std::vector<std::string> credential_names(const std::string& kind);

// Reads the credentials of `kind` from `file` (NAME=VALUE lines, # comments)
// when it is non-empty, else from the environment. Throws std::invalid_argument
// naming the file (and line) or variable: a file readable or writable by group
// or others is refused, a missing name is an error, and so is a value with a
// control character (CR or LF would start a new HTTP header line).
Credentials load_credentials(const std::string& kind, const std::string& file);

// The default API base URL of a poster ("" for Mastodon: the instance must be given).
std::string default_post_url(const std::string& kind);

// An HTTP poster of `kind` ("mastodon" or "x") at base_url. timeout_s bounds one request.
std::unique_ptr<PostSink> make_http_sink(const std::string& kind, const std::string& base_url, const Credentials& c,
                                         double timeout_s = 10.0);

// --- Pieces, exposed for tests ------------------------------------------------

// RFC 3986 percent-encoding as OAuth 1.0a (RFC 5849 3.6) wants it: all but ALPHA DIGIT - . _ ~.
std::string oauth_percent_encode(const std::string& s);
// The signature base string (RFC 5849 3.4.1) of method, base URL (no query)
// and every parameter (query, form body, oauth_*), not yet encoded.
std::string oauth1_base_string(const std::string& method, const std::string& base_url,
                               const std::vector<std::pair<std::string, std::string>>& params);
// HMAC-SHA1 of the base string with key encode(consumer_secret)&encode(token_secret), base64.
std::string oauth1_signature(const std::string& base_string, const std::string& consumer_secret,
                             const std::string& token_secret);
// The Authorization header value ("OAuth oauth_consumer_key=\"...\", ...") for a
// request whose non-oauth parameters are `params` (a JSON body has none).
std::string oauth1_header(const std::string& method, const std::string& base_url,
                          const std::vector<std::pair<std::string, std::string>>& params, const Credentials& c,
                          const std::string& nonce, long long timestamp);

// An API answer -> sent / retry / give up. headers: lower-case names. now_unix:
// the wall clock, to turn a rate-limit reset time into a wait.
PostResult classify_response(long status, const std::map<std::string, std::string>& headers, const std::string& body,
                             double now_unix);

// The id of the created status (Mastodon: the top-level "id") or post (X: data.id) in an API
// answer, parsed as JSON; "" when the body is not JSON or names none.
std::string created_id(const std::string& body);

}  // namespace peebot::live
