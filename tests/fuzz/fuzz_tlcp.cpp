// libFuzzer target for the TLCP codec: notifications, requests and update
// decoding must reject any input with ProtocolError, never crash or hang.
// Built and run by scripts/fuzz.sh (clang, -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/tlcp/tlcp.hpp"

using namespace peebot::tlcp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // As a server-to-client stream, line by line, with one subscription of 3 items x 4 fields.
  ItemState st(3, 4);
  LineSplitter sp;
  sp.feed(in, [&](std::string_view line) {
    try {
      const Notification n = parse_notification(line);
      if (n.tag == Tag::kUpdate) {
        int item = 0;
        for (char c : n.args[1]) item = (c >= '0' && c <= '9' && item < 1000) ? item * 10 + (c - '0') : item;
        st.apply(item, n.args[2]);
      }
    } catch (const ProtocolError&) {
    }
  });
  // As a client-to-server WebSocket frame.
  try {
    for (const auto& r : parse_ws_requests(in)) (void)encode_ws_request(r);
  } catch (const ProtocolError&) {
  }
  try {
    (void)percent_decode(in);
  } catch (const ProtocolError&) {
  }
  return 0;
}
