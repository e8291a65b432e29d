// SPDX-License-Identifier: MIT
// scipy.sparse.save_npz files read into compressed columns: a zip archive
// (stored or deflated members, zip64 size fields as numpy writes them) of the
// .npy arrays data, indices, indptr, shape and format. CSR rows of the n x d
// matrix are the compressed columns of the d x n matrix deepdot uses, so a
// CSR file is taken as it is; CSC is transposed once. Each array is read by
// the .npy reader, so every error names the file and the array.
#include "io/npz.hpp"

#include "io/data_formats.hpp"
#include "io/data_source.hpp"

#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

namespace deepdot::detail {
namespace {

[[noreturn]] void npz_fail(const std::string& file, const std::string& what) {
  throw std::invalid_argument("read_sparse_dataset(): npz file '" + file + "': " + what);
}

std::uint64_t le(const std::string& b, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}

struct Member {
  std::uint16_t method = 0;
  std::uint64_t compressed = 0, size = 0, local_offset = 0;
};

/// The members of the archive by name (central directory).
std::map<std::string, Member> members(const std::string& b, const std::string& file) {
  if (b.size() < 22) npz_fail(file, "too short to be a zip archive");
  std::size_t eocd = std::string::npos;
  for (std::size_t i = b.size() - 22 + 1; i-- > 0 && b.size() - i <= 22 + 65535;)
    if (le(b, i, 4) == 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd == std::string::npos) npz_fail(file, "not a zip archive (no end-of-central-directory record)");
  const std::uint64_t count = le(b, eocd + 10, 2), dir_size = le(b, eocd + 12, 4), dir = le(b, eocd + 16, 4);
  if (dir > b.size() || dir_size > b.size() - dir) npz_fail(file, "the central directory lies outside the file");
  std::map<std::string, Member> out;
  std::size_t p = dir;
  for (std::uint64_t k = 0; k < count; ++k) {
    if (p + 46 > b.size() || le(b, p, 4) != 0x02014b50) npz_fail(file, "corrupt central directory entry " + std::to_string(k));
    Member m;
    m.method = static_cast<std::uint16_t>(le(b, p + 10, 2));
    m.compressed = le(b, p + 20, 4);
    m.size = le(b, p + 24, 4);
    const std::size_t name_len = le(b, p + 28, 2), extra_len = le(b, p + 30, 2), comment_len = le(b, p + 32, 2);
    m.local_offset = le(b, p + 42, 4);
    if (p + 46 + name_len + extra_len + comment_len > b.size()) npz_fail(file, "corrupt central directory entry");
    const std::string name = b.substr(p + 46, name_len);
    // zip64: the 0xFFFFFFFF fields follow, in order, in extra field 0x0001.
    for (std::size_t e = p + 46 + name_len; e + 4 <= p + 46 + name_len + extra_len;) {
      const std::uint64_t id = le(b, e, 2), len = le(b, e + 2, 2);
      if (e + 4 + len > p + 46 + name_len + extra_len) npz_fail(file, "corrupt extra field of '" + name + "'");
      if (id == 1) {
        std::size_t q = e + 4;
        for (std::uint64_t* f : {&m.size, &m.compressed, &m.local_offset})
          if (*f == 0xFFFFFFFFu) {
            if (q + 8 > e + 4 + len) npz_fail(file, "corrupt zip64 field of '" + name + "'");
            *f = le(b, q, 8);
            q += 8;
          }
      }
      e += 4 + len;
    }
    out[name] = m;
    p += 46 + name_len + extra_len + comment_len;
  }
  return out;
}

/// The uncompressed bytes of member `name`.
std::string extract(const std::string& b, const std::string& file, const std::map<std::string, Member>& dir,
                    const std::string& name) {
  const auto it = dir.find(name);
  if (it == dir.end()) npz_fail(file, "no array '" + name + "' (scipy.sparse.save_npz writes data, indices, indptr, shape and format)");
  const Member& m = it->second;
  const std::size_t h = m.local_offset;
  if (h + 30 > b.size() || le(b, h, 4) != 0x04034b50) npz_fail(file, "corrupt local header of '" + name + "'");
  const std::size_t start = h + 30 + le(b, h + 26, 2) + le(b, h + 28, 2);
  if (start > b.size() || m.compressed > b.size() - start) npz_fail(file, "'" + name + "' runs past the end of the file");
  if (m.size > 1032 * (m.compressed + 1) || m.size > (std::uint64_t(1) << 36))
    npz_fail(file, "'" + name + "' claims " + std::to_string(m.size) + " bytes, more than its data can hold");
  if (m.method == 0) {
    if (m.size != m.compressed) npz_fail(file, "stored member '" + name + "' has different sizes");
    return b.substr(start, m.size);
  }
  if (m.method != 8) npz_fail(file, "'" + name + "' uses zip compression method " + std::to_string(m.method) + " (only stored and deflate are read)");
  std::string out(m.size, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) npz_fail(file, "zlib failed to initialise");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(b.data() + start));
  zs.avail_in = static_cast<uInt>(m.compressed);
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(m.size);
  const int rc = inflate(&zs, Z_FINISH);
  const std::uint64_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != m.size) npz_fail(file, "'" + name + "' is not valid deflate data of its stated size");
  return out;
}

arma::vec array_of(const std::string& bytes, const std::string& file, const std::string& name) {
  const auto src = ByteSource::memory(bytes, file + ":" + name, "array");
  ReadOptions o;
  return parse_npy_labels(*src, o, "npz array");
}

/// Non-negative integers (indices stored as .npy ints, read exactly as doubles below 2^53).
arma::uvec indices_of(const arma::vec& v, const std::string& file, const std::string& name, std::uint64_t limit) {
  arma::uvec out(v.n_elem);
  for (arma::uword i = 0; i < v.n_elem; ++i) {
    if (!(v[i] >= 0) || v[i] != std::floor(v[i]) || v[i] > double(limit))
      npz_fail(file, name + "[" + std::to_string(i) + "] = " + std::to_string(v[i]) + " is not an index in [0, " +
                         std::to_string(limit) + "]");
    out[i] = static_cast<arma::uword>(v[i]);
  }
  return out;
}

}  // namespace

bool is_npz(const std::string& head) { return head.size() >= 4 && head.compare(0, 4, "PK\x03\x04", 4) == 0; }

SparseDataset read_npz(const std::string& path, const ReadOptions& opts) {
  std::ifstream in(path, std::ios::binary);
  if (!in) npz_fail(path, "cannot be opened");
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string b = ss.str();
  const auto dir = members(b, path);
  const std::string fmt = extract(b, path, dir, "format.npy");
  // format: a 0-d unicode (or bytes) array "csr" / "csc"; its value ends the member.
  auto ends_with = [&](const std::string& s) { return fmt.size() >= s.size() && fmt.compare(fmt.size() - s.size(), s.size(), s) == 0; };
  const std::string csr_u32("c\0\0\0s\0\0\0r\0\0\0", 12), csc_u32("c\0\0\0s\0\0\0c\0\0\0", 12);
  const bool csr = ends_with(csr_u32) || ends_with("csr"), csc = ends_with(csc_u32) || ends_with("csc");
  if (!csr && !csc) npz_fail(path, "array 'format' is not 'csr' or 'csc' (only those are read)");
  const arma::vec shape = array_of(extract(b, path, dir, "shape.npy"), path, "shape");
  if (shape.n_elem != 2) npz_fail(path, "array 'shape' must hold 2 values, it holds " + std::to_string(shape.n_elem));
  const arma::uvec sh = indices_of(shape, path, "shape", kMaxDimension * 1000);
  const std::uint64_t n = sh[0], d = sh[1];
  if (n == 0 || d == 0) npz_fail(path, "the matrix is empty (shape " + std::to_string(n) + " x " + std::to_string(d) + ")");
  if (d > kMaxDimension) npz_fail(path, "d = " + std::to_string(d) + " columns is more than the limit " + std::to_string(kMaxDimension));
  if (opts.libsvm_dimension != 0 && d != opts.libsvm_dimension)
    npz_fail(path, "the matrix has d = " + std::to_string(d) + " columns but d = " + std::to_string(opts.libsvm_dimension) + " is expected");
  const std::uint64_t outer = csr ? n : d, inner = csr ? d : n;
  const arma::vec data = array_of(extract(b, path, dir, "data.npy"), path, "data");
  const arma::uvec ptr = indices_of(array_of(extract(b, path, dir, "indptr.npy"), path, "indptr"), path, "indptr", data.n_elem);
  const arma::uvec idx = indices_of(array_of(extract(b, path, dir, "indices.npy"), path, "indices"), path, "indices", inner);
  if (ptr.n_elem != outer + 1 || ptr[0] != 0 || ptr[outer] != data.n_elem || idx.n_elem != data.n_elem)
    npz_fail(path, "arrays 'indptr', 'indices' and 'data' do not describe a " + std::string(csr ? "CSR" : "CSC") +
                       " matrix of shape " + std::to_string(n) + " x " + std::to_string(d));
  for (std::uint64_t r = 0; r < outer; ++r) {
    if (ptr[r + 1] < ptr[r]) npz_fail(path, "array 'indptr' decreases at " + std::to_string(r));
    for (std::uint64_t k = ptr[r]; k < ptr[r + 1]; ++k) {
      if (idx[k] >= inner) npz_fail(path, "array 'indices'[" + std::to_string(k) + "] = " + std::to_string(idx[k]) + " is beyond " + std::to_string(inner));
      if (k > ptr[r] && idx[k] <= idx[k - 1])
        npz_fail(path, "array 'indices' is unsorted or repeated in " + std::string(csr ? "row " : "column ") + std::to_string(r) +
                           " (deepdot refuses repeats, as for LIBSVM files)");
      if (!std::isfinite(data[k])) npz_fail(path, "array 'data'[" + std::to_string(k) + "] is not finite");
    }
  }
  SparseDataset ds;
  const arma::sp_mat M(idx, ptr, data, inner, outer);  // compressed columns: CSR rows (or CSC columns)
  ds.X = csr ? M : arma::sp_mat(M.t());
  ds.source = path;
  ds.description = "npz (" + std::string(csr ? "CSR" : "CSC") + "), " + std::to_string(n) + " points, " + std::to_string(d) +
                   " features, " + std::to_string(ds.X.n_nonzero) + " nonzeros";
  return ds;
}

}  // namespace deepdot::detail
