// A GLFW window with an OpenGL 3 context and Dear ImGui on it; screenshots by
// glReadPixels of the back buffer (before the swap) and stb_image_write.
#pragma once
#include <functional>
#include <string>
#include <vector>

struct GLFWwindow;
struct ImGuiIO;

namespace peebot::viz {

class GlWindow {
 public:
  // Throws std::runtime_error when GLFW / OpenGL cannot start (no display).
  GlWindow(int width, int height, const char* title);
  ~GlWindow();
  GlWindow(const GlWindow&) = delete;
  GlWindow& operator=(const GlWindow&) = delete;

  bool should_close() const;
  // Polls events and starts an ImGui frame; `inject` (tests) may overwrite the
  // backend's input (io.MousePos, io.MouseDown[], io.KeysDown[]) before NewFrame.
  void begin_frame(const std::function<void(ImGuiIO&)>& inject = {});
  void render();  // ImGui::Render + draw into the back buffer
  void finish();  // glFinish (frame timing)
  void swap();
  // The back buffer as RGBA rows, top row first.
  std::vector<unsigned char> read_rgba(int& width, int& height) const;
  GLFWwindow* handle() const { return win_; }

 private:
  GLFWwindow* win_ = nullptr;
};

// Writes RGBA pixels as PNG; throws std::runtime_error naming the file on failure.
void write_png(const std::string& path, const std::vector<unsigned char>& rgba, int width, int height);

}  // namespace peebot::viz
