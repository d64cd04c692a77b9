// HDF5 helpers of the trace writer and reader (h5.hpp).
#include "h5.hpp"

namespace peebot::h5 {

using trace_schema::F;
using trace_schema::Field;

std::string hdf5_stack() {
  std::string out;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        auto* s = static_cast<std::string*>(data);
        if (e->desc && *e->desc) {
          if (!s->empty()) *s += "; ";
          if (e->func_name) *s += std::string(e->func_name) + ": ";
          for (const char* c = e->desc; *c; ++c) *s += (*c == '\n') ? ' ' : *c;
        }
        return 0;
      },
      &out);
  H5Eclear2(H5E_DEFAULT);
  return out;
}

void fail(const std::string& file, const std::string& what, bool with_stack) {
  std::string msg = "trace '" + file + "': " + what;
  if (with_stack) {
    const std::string st = hdf5_stack();
    if (!st.empty()) msg += " [HDF5: " + st + "]";
  }
  throw TraceError(msg);
}

namespace {

// An HDF5 enum type over `base` (uint8 or int32) with the field's names.
Handle enum_type(hid_t base, const trace_schema::EnumNames& names, const std::string& file) {
  Handle t(check(H5Tenum_create(base), file, "H5Tenum_create"), H5Tclose);
  for (std::size_t i = 0; i < names.size; ++i) {
    const trace_schema::EnumName& m = names.names[i];
    const auto u8 = static_cast<std::uint8_t>(m.value);
    const void* v = H5Tget_size(base) == 1 ? static_cast<const void*>(&u8) : static_cast<const void*>(&m.value);
    check(H5Tenum_insert(t.get(), m.name, v), file, "H5Tenum_insert");
  }
  return t;
}

hid_t native(F type) {
  switch (type) {
    case F::f64: return H5T_NATIVE_DOUBLE;
    case F::f32: return H5T_NATIVE_FLOAT;
    case F::u64: return H5T_NATIVE_UINT64;
    case F::u32: return H5T_NATIVE_UINT32;
    case F::u16: return H5T_NATIVE_UINT16;
    case F::u8: return H5T_NATIVE_UINT8;
    case F::i32: return H5T_NATIVE_INT32;
    case F::text320: break;
  }
  return H5I_INVALID_HID;
}

}  // namespace

Handle make_type(const trace_schema::Schema& s, const std::string& file, hid_t file_type) {
  Handle t(check(H5Tcreate(H5T_COMPOUND, s.rec_size), file, "H5Tcreate"), H5Tclose);
  for (const Field& f : s.fields) {
    hid_t ft = native(f.type);
    Handle owned;
    if (f.type == F::text320) {
      owned = fixed_string_type(trace_schema::kPostTextBytes, H5T_CSET_UTF8, file);
      ft = owned.get();
    } else if (f.names.size) {
      bool bare_int = false;
      if (file_type != H5I_INVALID_HID) {
        const int idx = H5Tget_member_index(file_type, f.name);
        bare_int = idx >= 0 && H5Tget_member_class(file_type, static_cast<unsigned>(idx)) != H5T_ENUM;
      }
      if (!bare_int) {
        owned = enum_type(ft, f.names, file);
        ft = owned.get();
      }
    }
    if (H5Tinsert(t.get(), f.name, f.offset, ft) < 0) fail(file, std::string("cannot build type of ") + s.path);
  }
  return t;
}

Handle fixed_string_type(std::size_t n, H5T_cset_t cset, const std::string& file) {
  Handle t(check(H5Tcopy(H5T_C_S1), file, "H5Tcopy"), H5Tclose);
  check(H5Tset_size(t.get(), n), file, "H5Tset_size");
  check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), file, "H5Tset_strpad");
  check(H5Tset_cset(t.get(), cset), file, "H5Tset_cset");
  return t;
}

Handle vlen_string_type(const std::string& file) {
  Handle t(check(H5Tcopy(H5T_C_S1), file, "H5Tcopy"), H5Tclose);
  check(H5Tset_size(t.get(), H5T_VARIABLE), file, "H5Tset_size");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), file, "H5Tset_cset");
  return t;
}

void write_attr(hid_t obj, const char* name, hid_t type, const void* value, const std::string& file) {
  Handle attr;
  if (H5Aexists(obj, name) > 0) {
    attr = Handle(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  } else {
    Handle space(check(H5Screate(H5S_SCALAR), file, "H5Screate"), H5Sclose);
    attr = Handle(H5Acreate2(obj, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  }
  if (!attr.valid()) fail(file, std::string("cannot create attribute '") + name + "'");
  if (H5Awrite(attr.get(), type, value) < 0) fail(file, std::string("cannot write attribute '") + name + "'");
}

void write_str_attr(hid_t obj, const char* name, const std::string& value, const std::string& file) {
  Handle t = vlen_string_type(file);
  const char* p = value.c_str();
  write_attr(obj, name, t.get(), &p, file);
}

}  // namespace peebot::h5
