// Posting through the whole peebot binary: at-most-once posting across a kill
// and restart, credentials kept out of traces, post state and logs, /metrics,
// /healthz and JSON logs, and the secret and idempotency cases of issue 14
// (fixtures: posting_fixtures.hpp).
#include "posting_fixtures.hpp"

using namespace peebot;
using namespace peebot::testing::posting;

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
