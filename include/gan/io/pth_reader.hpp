#pragma once
/// @file
/// Reading PyTorch `.pth` files (what `torch.save` writes) with the standard library only: no
/// libtorch, no Python. Both formats are read:
///  - the zip format (torch >= 1.6's default): a ZIP archive of stored (uncompressed) entries
///    `<name>/data.pkl` (the pickle), `<name>/data/<key>` (one a storage), `<name>/version`,
///    optionally `<name>/byteorder`; zip64 extra fields and end records are understood;
///  - the legacy format (`_use_new_zipfile_serialization=False`, and files older than torch 1.6
///    such as pytorch-fid's `pt_inception-2015-12-05-6726825d.pth`): a magic-number pickle, a
///    protocol-version pickle, a sys-info pickle, the main pickle, a pickle of storage keys, then
///    for each key an 8-byte little-endian element count and the raw data.
///
/// The pickle is run by a small virtual machine that knows the opcodes `torch.save` emits
/// (protocol 2, and the protocol 3-5 framing and strings) and the globals of a state dict
/// (`collections.OrderedDict`, `torch._utils._rebuild_tensor[_v2]`, `_rebuild_parameter`,
/// `torch.<T>Storage`). Other classes (a checkpoint's `argparse.Namespace`, numpy scalars) become
/// opaque objects and are skipped; an opcode it does not know throws, naming it in hex.
///
/// Example:
/// @code
///   for (const auto& [name, t] : gan::io::read_state_dict("vgg16-397923af.pth")) {
///     std::vector<char> bytes = gan::io::contiguous_bytes(t);  // t.dtype == "float32"
///   }
/// @endcode

#include <gan/error.hpp>
#include <gan/io/zip.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gan::io {

/// A tensor as stored in a `.pth` file: a view (shape, stride, offset, all in elements) into a
/// storage of raw little-endian bytes that other tensors of the file may share.
struct RawTensor {
  /// "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8",
  /// "bool", "complex64" or "complex128".
  std::string dtype;
  std::vector<int64_t> shape, stride;
  /// Offset of the first element in the storage, in elements.
  int64_t offset = 0;
  std::shared_ptr<std::vector<char>> storage;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    return n;
  }
};

/// Name and tensor, in the order of the file; nested dicts are flattened to dotted names.
using StateDict = std::vector<std::pair<std::string, RawTensor>>;

/// Bytes an element of `dtype` takes (see RawTensor::dtype); 0 for an unknown name.
inline std::size_t dtype_size(std::string_view dtype) {
  static const std::map<std::string_view, std::size_t> sizes = {
      {"float32", 4}, {"float64", 8}, {"float16", 2}, {"bfloat16", 2},  {"int64", 8},
      {"int32", 4},   {"int16", 2},   {"int8", 1},    {"uint8", 1},     {"bool", 1},
      {"complex64", 8}, {"complex128", 16}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

/// Number of storage elements `t` reaches (offset + the farthest element + 1), or `offset` when
/// it has no element. Throws std::runtime_error for a negative size, stride or offset.
inline int64_t required_storage_elements(const RawTensor& t) {
  if (t.shape.size() != t.stride.size())
    throw std::runtime_error("tensor has " + std::to_string(t.shape.size()) + " sizes but " +
                             std::to_string(t.stride.size()) + " strides");
  if (t.offset < 0) throw std::runtime_error("tensor has a negative storage offset");
  int64_t last = t.offset;
  for (std::size_t d = 0; d < t.shape.size(); ++d) {
    if (t.shape[d] < 0 || t.stride[d] < 0)
      throw std::runtime_error("tensor has a negative size or stride");
    if (t.shape[d] == 0) return t.offset;
    if (t.stride[d] > 0 && t.shape[d] - 1 > (INT64_MAX - last) / t.stride[d])
      throw std::runtime_error("tensor size and stride overflow 64 bits");
    last += (t.shape[d] - 1) * t.stride[d];
  }
  return last + 1;
}

/// The elements of `t` in row-major (C) order, as raw little-endian bytes, honouring its strides
/// and offset. Throws std::runtime_error when the view reaches past the end of its storage.
inline std::vector<char> contiguous_bytes(const RawTensor& t) {
  const std::size_t es = dtype_size(t.dtype);
  if (es == 0) throw std::runtime_error("unknown dtype '" + t.dtype + "'");
  const int64_t n = t.numel();
  std::vector<char> out(static_cast<std::size_t>(n) * es);
  if (n == 0) return out;
  const int64_t need = required_storage_elements(t);
  const int64_t have = t.storage ? static_cast<int64_t>(t.storage->size() / es) : 0;
  if (need > have)
    throw std::runtime_error("tensor reaches element " + std::to_string(need - 1) +
                             " of a storage of " + std::to_string(have) + " elements");
  const char* src = t.storage->data();
  const std::size_t nd = t.shape.size();
  // Copy runs of the innermost dimension at once when it is contiguous.
  const bool inner_contig = nd > 0 && t.stride[nd - 1] == 1;
  const int64_t inner = nd > 0 ? t.shape[nd - 1] : 1;
  std::vector<int64_t> idx(nd, 0);
  char* dst = out.data();
  for (int64_t done = 0; done < n;) {
    int64_t pos = t.offset;
    for (std::size_t d = 0; d < nd; ++d) pos += idx[d] * t.stride[d];
    if (inner_contig) {
      std::memcpy(dst, src + pos * es, static_cast<std::size_t>(inner) * es);
      dst += inner * es;
      done += inner;
      if (nd > 0) idx[nd - 1] = inner - 1;
    } else {
      std::memcpy(dst, src + pos * es, es);
      dst += es;
      done += 1;
    }
    for (std::size_t d = nd; d-- > 0;) {  // odometer increment
      if (++idx[d] < t.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

namespace detail::pth {

/// A Python object as far as a state dict needs one.
struct Obj;
using Ref = std::shared_ptr<Obj>;

struct Obj {
  enum class Kind { None, Bool, Int, BigInt, Float, Str, Bytes, Tuple, List, Dict, Global, Storage,
                    Tensor, Opaque };
  Kind kind = Kind::None;
  int64_t i = 0;                         // Bool, Int
  double f = 0;                          // Float
  std::string s;                         // Str, Bytes, BigInt (little-endian two's complement),
                                         // Global ("module.name"), Opaque (its class)
  std::vector<Ref> items;                // Tuple, List, Opaque (args, then state)
  std::vector<std::pair<Ref, Ref>> dict;  // Dict, in insertion order
  std::string dtype;                     // Storage
  std::shared_ptr<std::vector<char>> data;  // Storage
  int64_t storage_offset = 0;            // Storage: a legacy view's offset into its root, elements
  RawTensor tensor;                      // Tensor

  static Ref make(Kind k) {
    auto r = std::make_shared<Obj>();
    r->kind = k;
    return r;
  }
};

/// Names of the pickle opcodes the VM does not run, for error messages.
inline const char* opcode_name(unsigned char op) {
  switch (op) {
    case 'I': return "INT";
    case 'L': return "LONG";
    case 'S': return "STRING";
    case 'V': return "UNICODE";
    case 'F': return "FLOAT";
    case 'p': return "PUT";
    case 'g': return "GET";
    case 'o': return "OBJ";
    case 'i': return "INST";
    case 'P': return "PERSID";
    case 'l': return "LIST";
    case 'd': return "DICT";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return "";
  }
}

inline std::string hex(unsigned op) {
  static const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[(op >> 4) & 15] + digits[op & 15];
}

/// Maps a storage class (`torch.FloatStorage`) to a dtype name, or "" when unknown.
inline std::string storage_dtype(const std::string& global) {
  static const std::map<std::string, std::string> types = {
      {"torch.FloatStorage", "float32"},    {"torch.DoubleStorage", "float64"},
      {"torch.HalfStorage", "float16"},     {"torch.BFloat16Storage", "bfloat16"},
      {"torch.LongStorage", "int64"},       {"torch.IntStorage", "int32"},
      {"torch.ShortStorage", "int16"},      {"torch.CharStorage", "int8"},
      {"torch.ByteStorage", "uint8"},       {"torch.BoolStorage", "bool"},
      {"torch.ComplexFloatStorage", "complex64"}, {"torch.ComplexDoubleStorage", "complex128"},
      {"torch.UntypedStorage", "uint8"}};
  auto it = types.find(global);
  return it == types.end() ? std::string() : it->second;
}

/// Errors inside the VM; the caller adds the file name.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Bytes left in `in` from the current position.
inline uint64_t remaining(std::istream& in) {
  const auto pos = in.tellg();
  in.seekg(0, std::ios::end);
  const auto end = in.tellg();
  in.seekg(pos);
  return pos < 0 || end < pos ? 0 : static_cast<uint64_t>(end - pos);
}

/// Reads exactly `n` bytes or throws "truncated".
inline void read_exact(std::istream& in, char* dst, std::size_t n, const char* what) {
  if (n == 0) return;
  in.read(dst, static_cast<std::streamsize>(n));
  if (static_cast<std::size_t>(in.gcount()) != n)
    throw Failure(std::string("truncated: the file ends inside ") + what);
}

template <class T>
T read_le(std::istream& in, const char* what) {
  std::array<unsigned char, sizeof(T)> b{};
  read_exact(in, reinterpret_cast<char*>(b.data()), sizeof(T), what);
  std::make_unsigned_t<T> v = 0;
  for (std::size_t k = sizeof(T); k-- > 0;) v = static_cast<std::make_unsigned_t<T>>((v << 8) | b[k]);
  return static_cast<T>(v);
}

/// Returns the persistent object for the tuple a BINPERSID pops.
using PersistentLoad = std::function<Ref(const Ref&)>;

inline int64_t as_int(const Ref& r, const char* what) {
  if (!r || (r->kind != Obj::Kind::Int && r->kind != Obj::Kind::Bool))
    throw Failure(std::string(what) + " is not an integer");
  return r->i;
}

inline std::vector<int64_t> as_ints(const Ref& r, const char* what) {
  if (!r || (r->kind != Obj::Kind::Tuple && r->kind != Obj::Kind::List))
    throw Failure(std::string(what) + " is not a tuple");
  std::vector<int64_t> v;
  for (const auto& x : r->items) v.push_back(as_int(x, what));
  return v;
}

/// Calls the global `fn` with the tuple `args` (REDUCE and NEWOBJ).
inline Ref call(const Ref& fn, const Ref& args) {
  if (fn->kind != Obj::Kind::Global) {
    auto o = Obj::make(Obj::Kind::Opaque);  // calling the result of a call: keep it opaque
    o->s = "<call>";
    return o;
  }
  const std::string& name = fn->s;
  const auto& a = args->items;
  if (name == "collections.OrderedDict" || name == "builtins.dict" || name == "__builtin__.dict") {
    auto d = Obj::make(Obj::Kind::Dict);
    if (!a.empty() && a[0]->kind == Obj::Kind::List)  // OrderedDict([(k, v), ...])
      for (const auto& kv : a[0]->items)
        if (kv->kind == Obj::Kind::Tuple && kv->items.size() == 2)
          d->dict.emplace_back(kv->items[0], kv->items[1]);
    return d;
  }
  if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
    // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
    if (a.size() < 4 || a[0]->kind != Obj::Kind::Storage)
      throw Failure(name + " called without (storage, offset, size, stride)");
    auto t = Obj::make(Obj::Kind::Tensor);
    t->tensor.dtype = a[0]->dtype;
    t->tensor.storage = a[0]->data;
    t->tensor.offset = a[0]->storage_offset + as_int(a[1], "storage offset");
    t->tensor.shape = as_ints(a[2], "tensor size");
    t->tensor.stride = as_ints(a[3], "tensor stride");
    if (t->tensor.shape.size() != t->tensor.stride.size())
      throw Failure(name + ": size and stride differ in length");
    return t;
  }
  if (name == "torch._utils._rebuild_parameter" ||
      name == "torch._utils._rebuild_parameter_with_state") {
    if (a.empty() || a[0]->kind != Obj::Kind::Tensor) throw Failure(name + " called without a tensor");
    return a[0];
  }
  if (name.rfind("torch._utils.", 0) == 0)
    throw Failure("unsupported tensor kind: " + name + " (only dense CPU tensors are read)");
  auto o = Obj::make(Obj::Kind::Opaque);
  o->s = name;
  o->items = a;
  return o;
}

/// Runs one pickle from `in` up to its STOP and returns the object it built.
inline Ref unpickle(std::istream& in, const PersistentLoad& persistent_load) {
  std::vector<Ref> stack;
  std::vector<std::size_t> marks;
  std::unordered_map<uint64_t, Ref> memo;
  auto pop = [&]() -> Ref {
    if (stack.empty() || (!marks.empty() && stack.size() <= marks.back()))
      throw Failure("malformed pickle: pop from an empty stack");
    Ref r = std::move(stack.back());
    stack.pop_back();
    return r;
  };
  auto top = [&]() -> Ref& {
    if (stack.empty()) throw Failure("malformed pickle: empty stack");
    return stack.back();
  };
  auto pop_mark = [&]() -> std::vector<Ref> {
    if (marks.empty()) throw Failure("malformed pickle: no MARK");
    std::size_t m = marks.back();
    marks.pop_back();
    if (m > stack.size()) throw Failure("malformed pickle: MARK above the stack");
    std::vector<Ref> v(std::make_move_iterator(stack.begin() + static_cast<std::ptrdiff_t>(m)),
                       std::make_move_iterator(stack.end()));
    stack.resize(m);
    return v;
  };
  auto read_bytes = [&](std::size_t n, const char* what) {
    if (n > (std::size_t(1) << 20) && n > remaining(in))  // check before allocating
      throw Failure(std::string("truncated: the file ends inside ") + what);
    std::string s(n, '\0');
    read_exact(in, s.data(), n, what);
    return s;
  };
  auto read_line = [&]() {
    std::string s;
    char c;
    while (true) {
      read_exact(in, &c, 1, "a pickle GLOBAL");
      if (c == '\n') return s;
      s += c;
      if (s.size() > 4096) throw Failure("malformed pickle: GLOBAL name too long");
    }
  };
  auto make_str = [](Obj::Kind k, std::string s) {
    auto r = Obj::make(k);
    r->s = std::move(s);
    return r;
  };
  auto make_int = [](int64_t v) {
    auto r = Obj::make(Obj::Kind::Int);
    r->i = v;
    return r;
  };
  auto make_tuple = [](std::vector<Ref> v) {
    auto r = Obj::make(Obj::Kind::Tuple);
    r->items = std::move(v);
    return r;
  };
  auto set_item = [](const Ref& d, Ref k, Ref v) {
    if (d->kind == Obj::Kind::Opaque) return;  // e.g. a defaultdict subclass: ignored
    if (d->kind != Obj::Kind::Dict) throw Failure("malformed pickle: SETITEM on a non-dict");
    if (k->kind == Obj::Kind::Str)
      for (auto& kv : d->dict)
        if (kv.first->kind == Obj::Kind::Str && kv.first->s == k->s) {
          kv.second = std::move(v);
          return;
        }
    d->dict.emplace_back(std::move(k), std::move(v));
  };
  auto append = [](const Ref& l, std::vector<Ref> v) {
    if (l->kind == Obj::Kind::Opaque) return;
    if (l->kind != Obj::Kind::List) throw Failure("malformed pickle: APPEND on a non-list");
    for (auto& x : v) l->items.push_back(std::move(x));
  };

  while (true) {
    unsigned char op = 0;
    read_exact(in, reinterpret_cast<char*>(&op), 1, "a pickle");
    switch (op) {
      case 0x80: {  // PROTO
        unsigned char p = static_cast<unsigned char>(read_le<uint8_t>(in, "PROTO"));
        if (p > 5) throw Failure("unsupported pickle protocol " + std::to_string(p));
        break;
      }
      case 0x95: (void)read_le<uint64_t>(in, "FRAME"); break;  // FRAME: just a length
      case '}': stack.push_back(Obj::make(Obj::Kind::Dict)); break;        // EMPTY_DICT
      case ']': stack.push_back(Obj::make(Obj::Kind::List)); break;        // EMPTY_LIST
      case ')': stack.push_back(Obj::make(Obj::Kind::Tuple)); break;       // EMPTY_TUPLE
      case '(': marks.push_back(stack.size()); break;                      // MARK
      case 'q': memo[read_le<uint8_t>(in, "BINPUT")] = top(); break;       // BINPUT
      case 'r': memo[read_le<uint32_t>(in, "LONG_BINPUT")] = top(); break;  // LONG_BINPUT
      case 0x94: memo[memo.size()] = top(); break;                         // MEMOIZE
      case 'h':                                                            // BINGET
      case 'j': {                                                          // LONG_BINGET
        uint64_t k = op == 'h' ? read_le<uint8_t>(in, "BINGET") : read_le<uint32_t>(in, "LONG_BINGET");
        auto it = memo.find(k);
        if (it == memo.end()) throw Failure("malformed pickle: memo key " + std::to_string(k) + " not set");
        stack.push_back(it->second);
        break;
      }
      case 'X': stack.push_back(make_str(Obj::Kind::Str, read_bytes(read_le<uint32_t>(in, "BINUNICODE"), "a string"))); break;
      case 0x8c: stack.push_back(make_str(Obj::Kind::Str, read_bytes(read_le<uint8_t>(in, "SHORT_BINUNICODE"), "a string"))); break;
      case 0x8d: stack.push_back(make_str(Obj::Kind::Str, read_bytes(read_le<uint64_t>(in, "BINUNICODE8"), "a string"))); break;
      case 'T': stack.push_back(make_str(Obj::Kind::Str, read_bytes(read_le<uint32_t>(in, "BINSTRING"), "a string"))); break;
      case 'U': stack.push_back(make_str(Obj::Kind::Str, read_bytes(read_le<uint8_t>(in, "SHORT_BINSTRING"), "a string"))); break;
      case 'B': stack.push_back(make_str(Obj::Kind::Bytes, read_bytes(read_le<uint32_t>(in, "BINBYTES"), "bytes"))); break;
      case 'C': stack.push_back(make_str(Obj::Kind::Bytes, read_bytes(read_le<uint8_t>(in, "SHORT_BINBYTES"), "bytes"))); break;
      case 0x8e: stack.push_back(make_str(Obj::Kind::Bytes, read_bytes(read_le<uint64_t>(in, "BINBYTES8"), "bytes"))); break;
      case 'J': stack.push_back(make_int(read_le<int32_t>(in, "BININT"))); break;
      case 'K': stack.push_back(make_int(read_le<uint8_t>(in, "BININT1"))); break;
      case 'M': stack.push_back(make_int(read_le<uint16_t>(in, "BININT2"))); break;
      case 0x8a:    // LONG1
      case 0x8b: {  // LONG4
        std::size_t n = op == 0x8a ? read_le<uint8_t>(in, "LONG1") : read_le<uint32_t>(in, "LONG4");
        std::string b = read_bytes(n, "a long integer");
        if (n <= 8) {
          uint64_t v = 0;
          for (std::size_t k = n; k-- > 0;) v = (v << 8) | static_cast<unsigned char>(b[k]);
          if (n > 0 && n < 8 && (static_cast<unsigned char>(b[n - 1]) & 0x80)) v |= ~uint64_t(0) << (8 * n);
          stack.push_back(make_int(static_cast<int64_t>(v)));
        } else {
          stack.push_back(make_str(Obj::Kind::BigInt, std::move(b)));
        }
        break;
      }
      case 0x88:  // NEWTRUE
      case 0x89: {  // NEWFALSE
        auto r = Obj::make(Obj::Kind::Bool);
        r->i = op == 0x88;
        stack.push_back(r);
        break;
      }
      case 'N': stack.push_back(Obj::make(Obj::Kind::None)); break;
      case 'G': {  // BINFLOAT: big-endian double
        std::array<unsigned char, 8> b{};
        read_exact(in, reinterpret_cast<char*>(b.data()), 8, "BINFLOAT");
        uint64_t v = 0;
        for (unsigned char c : b) v = (v << 8) | c;
        auto r = Obj::make(Obj::Kind::Float);
        r->f = std::bit_cast<double>(v);
        stack.push_back(r);
        break;
      }
      case 'c': {  // GLOBAL "module\nname\n"
        std::string module = read_line();
        std::string name = read_line();
        stack.push_back(make_str(Obj::Kind::Global, module + "." + name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        Ref name = pop(), module = pop();
        if (name->kind != Obj::Kind::Str || module->kind != Obj::Kind::Str)
          throw Failure("malformed pickle: STACK_GLOBAL without strings");
        stack.push_back(make_str(Obj::Kind::Global, module->s + "." + name->s));
        break;
      }
      case 'R':    // REDUCE
      case 0x81: {  // NEWOBJ
        Ref args = pop();
        Ref fn = pop();
        if (args->kind != Obj::Kind::Tuple) throw Failure("malformed pickle: REDUCE without a tuple");
        stack.push_back(call(fn, args));
        break;
      }
      case 'b': {  // BUILD: obj.__setstate__(state); a state dict's `_metadata` is dropped
        Ref state = pop();
        Ref& obj = top();
        if (obj->kind == Obj::Kind::Opaque) obj->items.push_back(state);
        break;
      }
      case 't': stack.push_back(make_tuple(pop_mark())); break;  // TUPLE
      case 0x85: {  // TUPLE1
        Ref a = pop();
        stack.push_back(make_tuple({a}));
        break;
      }
      case 0x86: {  // TUPLE2
        Ref b = pop(), a = pop();
        stack.push_back(make_tuple({a, b}));
        break;
      }
      case 0x87: {  // TUPLE3
        Ref c = pop(), b = pop(), a = pop();
        stack.push_back(make_tuple({a, b, c}));
        break;
      }
      case 's': {  // SETITEM
        Ref v = pop(), k = pop();
        set_item(top(), std::move(k), std::move(v));
        break;
      }
      case 'u': {  // SETITEMS
        auto kv = pop_mark();
        if (kv.size() % 2) throw Failure("malformed pickle: SETITEMS with an odd count");
        Ref& d = top();
        for (std::size_t k = 0; k < kv.size(); k += 2) set_item(d, kv[k], kv[k + 1]);
        break;
      }
      case 'a': {  // APPEND
        Ref v = pop();
        append(top(), {v});
        break;
      }
      case 'e': {  // APPENDS
        auto v = pop_mark();
        append(top(), std::move(v));
        break;
      }
      case 'Q': {  // BINPERSID
        Ref pid = pop();
        if (!persistent_load) throw Failure("malformed file: a persistent id where none is expected");
        stack.push_back(persistent_load(pid));
        break;
      }
      case '0': (void)pop(); break;          // POP
      case '1': (void)pop_mark(); break;     // POP_MARK
      case '2': stack.push_back(top()); break;  // DUP
      case '.':  // STOP
        if (stack.empty()) throw Failure("malformed pickle: STOP with an empty stack");
        return stack.back();
      default:
        throw Failure("unsupported pickle opcode " + hex(op) +
                      (std::string_view(opcode_name(op)).empty() ? std::string() : std::string(" ") + opcode_name(op)));
    }
  }
}

/// Parses the persistent id ('storage', storage_type, key, location, numel[, view_metadata]).
struct StorageId {
  std::string dtype, key;
  int64_t numel = 0;
  Ref view;  // None or (view_key, offset, view_size)
};

inline StorageId parse_storage_id(const Ref& pid) {
  if (pid->kind != Obj::Kind::Tuple || pid->items.size() < 5 || pid->items[0]->kind != Obj::Kind::Str ||
      pid->items[0]->s != "storage")
    throw Failure("malformed file: a persistent id that is not ('storage', type, key, location, numel)");
  const Ref& type = pid->items[1];
  if (type->kind != Obj::Kind::Global) throw Failure("malformed file: storage type is not a class");
  StorageId id;
  id.dtype = storage_dtype(type->s);
  if (id.dtype.empty()) throw Failure("unsupported storage type " + type->s);
  const Ref& key = pid->items[2];
  if (key->kind == Obj::Kind::Str) id.key = key->s;
  else if (key->kind == Obj::Kind::Int) id.key = std::to_string(key->i);
  else throw Failure("malformed file: storage key is not a string");
  id.numel = as_int(pid->items[4], "storage size");
  if (id.numel < 0) throw Failure("malformed file: negative storage size");
  if (pid->items.size() > 5) id.view = pid->items[5];
  return id;
}

/// Flattens dicts of tensors into `out` with dotted names; other values are skipped.
inline void flatten(const Ref& d, const std::string& prefix, StateDict& out, int depth = 0) {
  if (depth > 64) return;
  for (const auto& [k, v] : d->dict) {
    std::string name;
    if (k->kind == Obj::Kind::Str) name = k->s;
    else if (k->kind == Obj::Kind::Int) name = std::to_string(k->i);
    else continue;
    name = prefix + name;
    if (v->kind == Obj::Kind::Tensor) out.emplace_back(name, v->tensor);
    else if (v->kind == Obj::Kind::Dict) flatten(v, name + ".", out, depth + 1);
  }
}

inline std::shared_ptr<std::vector<char>> read_span(std::istream& in, uint64_t offset, uint64_t n,
                                                    const char* what) {
  auto buf = std::make_shared<std::vector<char>>(n);
  in.seekg(static_cast<std::streamoff>(offset));
  read_exact(in, buf->data(), n, what);
  return buf;
}

inline Ref read_zip(std::istream& in, uint64_t file_size) {
  const auto entries = io::read_zip_directory(in, file_size);
  for (const auto& [name, e] : entries)
    if (e.method != 0)
      throw Failure("unsupported zip entry " + name + ": compressed (method " + std::to_string(e.method) +
                    "); torch.save writes stored entries");
  std::string prefix;
  bool found = false;
  for (const auto& [name, entry] : entries) {
    const std::string_view n(name);
    if (n == "data.pkl" || (n.ends_with("/data.pkl") && n.find('/') == n.size() - 9)) {
      prefix = name.substr(0, name.size() - 8);
      found = true;
      break;
    }
  }
  if (!found) throw Failure("not a PyTorch file: a zip archive without <name>/data.pkl");
  if (auto it = entries.find(prefix + "byteorder"); it != entries.end()) {
    auto b = read_span(in, it->second.data_offset, it->second.size, "byteorder");
    if (std::string(b->begin(), b->end()) != "little")
      throw Failure("unsupported byte order '" + std::string(b->begin(), b->end()) + "' (only little-endian is read)");
  }
  const io::ZipEntry& pkl = entries.at(prefix + "data.pkl");
  auto pkl_bytes = read_span(in, pkl.data_offset, pkl.size, "data.pkl");
  std::istringstream pin(std::string(pkl_bytes->begin(), pkl_bytes->end()));
  std::map<std::string, Ref> storages;
  PersistentLoad load = [&](const Ref& pid) -> Ref {
    StorageId id = parse_storage_id(pid);
    if (auto it = storages.find(id.key); it != storages.end()) return it->second;
    auto e = entries.find(prefix + "data/" + id.key);
    if (e == entries.end()) throw Failure("malformed file: storage " + id.key + " missing from the archive");
    const uint64_t bytes = static_cast<uint64_t>(id.numel) * dtype_size(id.dtype);
    if (e->second.size < bytes)
      throw Failure("truncated: storage " + id.key + " holds " + std::to_string(e->second.size) + " bytes, " +
                    std::to_string(bytes) + " expected");
    auto s = Obj::make(Obj::Kind::Storage);
    s->dtype = id.dtype;
    s->data = read_span(in, e->second.data_offset, bytes, "a storage");
    storages[id.key] = s;
    return s;
  };
  return unpickle(pin, load);
}

inline Ref read_legacy(std::istream& in) {
  Ref magic = unpickle(in, nullptr);
  static const unsigned char expected[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  if (magic->kind != Obj::Kind::BigInt || magic->s != std::string(reinterpret_cast<const char*>(expected), 10))
    throw Failure("not a PyTorch file: the first pickle is not torch's magic number");
  Ref version = unpickle(in, nullptr);
  if (as_int(version, "protocol version") != 1001)
    throw Failure("unsupported legacy protocol version " + std::to_string(version->i));
  Ref sys_info = unpickle(in, nullptr);
  if (sys_info->kind == Obj::Kind::Dict)
    for (const auto& [k, v] : sys_info->dict)
      if (k->kind == Obj::Kind::Str && k->s == "little_endian" && v->kind == Obj::Kind::Bool && !v->i)
        throw Failure("unsupported byte order: saved on a big-endian machine");

  struct Root {
    std::string dtype;
    std::shared_ptr<std::vector<char>> data;
  };
  std::map<std::string, Root> roots;
  PersistentLoad load = [&](const Ref& pid) -> Ref {
    StorageId id = parse_storage_id(pid);
    auto& root = roots[id.key];
    if (!root.data) {
      root.dtype = id.dtype;
      root.data = std::make_shared<std::vector<char>>();  // filled once the pickle is read
    }
    auto s = Obj::make(Obj::Kind::Storage);
    s->dtype = root.dtype;
    s->data = root.data;
    if (id.view && id.view->kind == Obj::Kind::Tuple && id.view->items.size() >= 2) {
      // An old storage view: (view_key, offset in elements, view size).
      s->storage_offset = as_int(id.view->items[1], "storage view offset");
    }
    return s;
  };
  Ref result = unpickle(in, load);
  Ref keys = unpickle(in, nullptr);
  if (keys->kind != Obj::Kind::List) throw Failure("malformed file: storage keys are not a list");
  for (const auto& k : keys->items) {
    if (k->kind != Obj::Kind::Str) throw Failure("malformed file: a storage key is not a string");
    auto it = roots.find(k->s);
    const int64_t numel = read_le<int64_t>(in, "a storage size");
    if (numel < 0) throw Failure("malformed file: negative size of storage " + k->s);
    if (it == roots.end())  // torch stores only referenced storages, so its dtype is unknown
      throw Failure("malformed file: storage " + k->s + " is stored but never referenced");
    const std::size_t es = dtype_size(it->second.dtype);
    const uint64_t bytes = static_cast<uint64_t>(numel) * es;
    if (bytes > remaining(in))  // check before allocating
      throw Failure("truncated: the file ends inside storage " + k->s + " (" + std::to_string(bytes) +
                    " bytes expected)");
    it->second.data->resize(bytes);
    read_exact(in, it->second.data->data(), bytes, ("storage " + k->s).c_str());
  }
  return result;
}

}  // namespace detail::pth

/// Reads a `.pth` file (zip or legacy format, detected from its first bytes) and returns its
/// tensors in file order. A top-level dict of tensors is returned as is; dicts inside it
/// (`{"state_dict": {...}}`, `{"model": {...}, "epoch": 3}`) are flattened to dotted names
/// ("state_dict.conv.weight"); values that are not tensors or dicts are skipped.
///
/// Throws `gan::Error` (a std::runtime_error) whose message starts with the file name and
/// says what is wrong: not found, not a PyTorch file, truncated, an unsupported pickle opcode
/// (in hex), an unsupported storage type or tensor kind.
inline StateDict read_state_dict(const std::filesystem::path& path) {
  using namespace detail::pth;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw gan::Error(path.string(), 0, "file not found");
  const uint64_t size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (!in || ec) throw gan::Error(path.string(), 0, "cannot open the file");
  try {
    std::array<unsigned char, 4> head{};
    in.read(reinterpret_cast<char*>(head.data()), 4);
    if (in.gcount() < 2)
      throw Failure("not a PyTorch file: " + std::to_string(size) + " bytes, too short");
    in.clear();
    in.seekg(0);
    Ref root;
    if (head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
      root = read_zip(in, size);
    } else if (head[0] == 0x80 && head[1] >= 2 && head[1] <= 5) {
      root = read_legacy(in);
    } else {
      throw Failure("not a PyTorch file: neither a zip archive nor a pickle (first bytes " + hex(head[0]) +
                    " " + hex(head[1]) + ")");
    }
    StateDict out;
    if (root->kind == Obj::Kind::Dict) flatten(root, "", out);
    else if (root->kind == Obj::Kind::Tensor) out.emplace_back("", root->tensor);
    else throw Failure("the file holds no dict of tensors (a pickled module or another object)");
    for (const auto& [name, t] : out) {
      const int64_t need = required_storage_elements(t);
      const int64_t have = static_cast<int64_t>(t.storage->size() / dtype_size(t.dtype));
      if (t.numel() > 0 && need > have)
        throw Failure("tensor " + name + " reaches element " + std::to_string(need - 1) + " of a storage of " +
                      std::to_string(have) + " elements");
    }
    return out;
  } catch (const gan::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw gan::Error(path.string(), 0, e.what());
  }
}

/// `read_state_dict` as a map by name (file order lost).
inline std::map<std::string, RawTensor> read_state_dict_map(const std::filesystem::path& path) {
  std::map<std::string, RawTensor> m;
  for (auto& [name, t] : read_state_dict(path)) m.emplace(name, std::move(t));
  return m;
}

}  // namespace gan::io
