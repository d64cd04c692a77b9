#include "gl_window.hpp"

#define GL_SILENCE_DEPRECATION
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>
#include <stb_image_write.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <malloc.h>
#include <stdexcept>
#include <string>

namespace peebot::viz {

namespace {
std::string g_glfw_error;
void on_glfw_error(int code, const char* what) { g_glfw_error = "GLFW error " + std::to_string(code) + ": " + what; }
}  // namespace

GlWindow::GlWindow(int width, int height, const char* title) {
  // Mesa's llvmpipe mallocs its per-frame scene and vertex buffers (megabytes);
  // above glibc's mmap threshold each frame mmaps them afresh and page-faults
  // every page (half of the render CPU time on the 30-day trace). Keep them on
  // the heap, and the heap untrimmed.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
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
  // The font atlas is sampled GL_NEAREST (below): anti-aliased lines then use
  // geometric fringes, not the atlas' baked line textures (made for GL_LINEAR).
  st.AntiAliasedLinesUseTex = false;
  const char* font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  if (std::FILE* f = std::fopen(font, "rb")) {
    std::fclose(f);
    io.Fonts->AddFontFromFileTTF(font, 14.0f);
  }
  ImGui_ImplGlfw_InitForOpenGL(win_, true);
  ImGui_ImplOpenGL3_Init("#version 330");
  // Nearest-texel sampling of the font atlas: ImGui puts glyphs on whole pixels
  // (1:1 texels) and solid shapes on the atlas' white texels, so the picture is
  // the same, and a software rasteriser fetches one texel a pixel instead of four.
  ImGui_ImplOpenGL3_CreateDeviceObjects();
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(reinterpret_cast<std::intptr_t>(io.Fonts->TexID)));
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
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
  // The charts' background colour (app.cpp kBg): charts draw no background quads
  // of their own (a software rasteriser pays for every pixel of every quad).
  glClearColor(22 / 255.0f, 24 / 255.0f, 30 / 255.0f, 1.0f);
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
