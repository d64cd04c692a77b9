// Posting in live mode (sim/wallclock/posting, post_state, runner): OAuth 1.0a
// against the published examples, the Mastodon and X clients against a local
// HTTP server that imitates each API (its error and rate-limit answers
// included), credentials and the post state, secrets kept out of error logs.
// The whole binary (kills and restarts, traces and logs, /metrics) is in
// test_posting_live.cpp.
#include "posting_fixtures.hpp"

using namespace peebot;
using namespace peebot::testing::posting;

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
    const double end = live::replay_trace(runner, t);
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
