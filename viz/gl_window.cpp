#include "gl_window.hpp"

#define GL_SILENCE_DEPRECATION
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>
#include <stb_image_write.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace peebot::viz {

namespace {
std::string g_glfw_error;
void on_glfw_error(int code, const char* what) { g_glfw_error = "GLFW error " + std::to_string(code) + ": " + what; }
}  // namespace

GlWindow::GlWindow(int width, int height, const char* title) {
  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit())
    throw std::runtime_error("cannot start GLFW (no display? run under xvfb-run): " + g_glfw_error);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  win_ = glfwCreateWindow(width, height, title, nullptr, nullptr);
  if (!win_) {
    glfwTerminate();
    throw std::runtime_error("cannot create a " + std::to_string(width) + "x" + std::to_string(height) +
                             " OpenGL 3.3 window: " + g_glfw_error);
  }
  glfwMakeContextCurrent(win_);
  glfwSwapInterval(0);
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  ImGui::StyleColorsDark();
  ImGuiStyle& st = ImGui::GetStyle();
  st.FrameRounding = 3;
  st.TabRounding = 3;
  st.WindowPadding = ImVec2(6, 6);
  st.ItemSpacing = ImVec2(6, 4);
  const char* font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  if (std::FILE* f = std::fopen(font, "rb")) {
    std::fclose(f);
    io.Fonts->AddFontFromFileTTF(font, 14.0f);
  }
  ImGui_ImplGlfw_InitForOpenGL(win_, true);
  ImGui_ImplOpenGL3_Init("#version 330");
}

GlWindow::~GlWindow() {
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(win_);
  glfwTerminate();
}

bool GlWindow::should_close() const { return glfwWindowShouldClose(win_) != 0; }

void GlWindow::begin_frame(const std::function<void(ImGuiIO&)>& inject) {
  glfwPollEvents();
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  if (inject) inject(ImGui::GetIO());
  ImGui::NewFrame();
}

void GlWindow::render() {
  ImGui::Render();
  int w = 0, h = 0;
  glfwGetFramebufferSize(win_, &w, &h);
  glViewport(0, 0, w, h);
  glClearColor(0.09f, 0.10f, 0.12f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void GlWindow::finish() { glFinish(); }
void GlWindow::swap() { glfwSwapBuffers(win_); }

std::vector<unsigned char> GlWindow::read_rgba(int& width, int& height) const {
  glfwGetFramebufferSize(win_, &width, &height);
  std::vector<unsigned char> px(static_cast<std::size_t>(width) * height * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
  // OpenGL rows start at the bottom.
  const std::size_t row = static_cast<std::size_t>(width) * 4;
  std::vector<unsigned char> tmp(row);
  for (int y = 0; y < height / 2; ++y) {
    unsigned char* a = px.data() + static_cast<std::size_t>(y) * row;
    unsigned char* b = px.data() + static_cast<std::size_t>(height - 1 - y) * row;
    std::memcpy(tmp.data(), a, row);
    std::memcpy(a, b, row);
    std::memcpy(b, tmp.data(), row);
  }
  for (std::size_t i = 3; i < px.size(); i += 4) px[i] = 255;
  return px;
}

void write_png(const std::string& path, const std::vector<unsigned char>& rgba, int width, int height) {
  if (!stbi_write_png(path.c_str(), width, height, 4, rgba.data(), width * 4))
    throw std::runtime_error("cannot write PNG '" + path + "'");
}

}  // namespace peebot::viz
