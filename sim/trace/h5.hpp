// The HDF5 C API as the trace uses it: owned handles, quiet error stacks,
// errors as TraceError naming the file, types built from a Schema, attributes.
#pragma once
#include <hdf5.h>

#include <string>
#include <utility>

#include "schema.hpp"

namespace peebot::h5 {

// Silences HDF5's automatic error printing for the scope, restoring the
// previous handler afterwards (other HDF5 users in the process keep theirs).
class QuietHdf5 {
 public:
  QuietHdf5() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  QuietHdf5(const QuietHdf5&) = delete;
  QuietHdf5& operator=(const QuietHdf5&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// The current HDF5 error stack as one line (then cleared).
std::string hdf5_stack();

// Throws TraceError "trace 'FILE': WHAT [HDF5: the error stack]".
[[noreturn]] void fail(const std::string& file, const std::string& what, bool with_stack = true);

// An owned hid_t with its close function.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(o.close_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      close_ = o.close_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  // Closes; returns false when the close failed.
  bool reset() {
    bool ok = true;
    if (id_ >= 0 && close_) ok = close_(id_) >= 0;
    id_ = H5I_INVALID_HID;
    return ok;
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

// Checks an HDF5 call's result (negative = failure).
template <class T>
T check(T r, const std::string& file, const char* what) {
  if (r < 0) fail(file, what);
  return r;
}

// The packed compound type of a table. With `file_type` (a table being read),
// an enumerated field that the file holds as a bare integer (format < 1.2) is
// read as that integer.
Handle make_type(const trace_schema::Schema& s, const std::string& file, hid_t file_type = H5I_INVALID_HID);
Handle fixed_string_type(std::size_t n, H5T_cset_t cset, const std::string& file);
Handle vlen_string_type(const std::string& file);

// Creates (or, when it exists, overwrites) a scalar attribute.
void write_attr(hid_t obj, const char* name, hid_t type, const void* value, const std::string& file);
void write_str_attr(hid_t obj, const char* name, const std::string& value, const std::string& file);

}  // namespace peebot::h5
