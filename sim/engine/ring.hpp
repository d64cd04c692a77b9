// A growable FIFO ring: amortised O(1) push/pop with no allocation once it has
// grown to the working size (std::deque allocates a block every few hundred items).
#pragma once
#include <cstddef>
#include <utility>
#include <vector>

namespace peebot {

template <class T>
class Ring {
 public:
  void push(T v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = std::move(v);
    ++size_;
  }
  T pop() {
    T v = std::move(buf_[head_]);
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
    return v;
  }
  const T& front() const { return buf_[head_]; }
  const T& at(std::size_t i) const { return buf_[(head_ + i) & (buf_.size() - 1)]; }  // i-th from the front
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

 private:
  void grow() {
    std::vector<T> n(buf_.empty() ? 64 : buf_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) n[i] = std::move(buf_[(head_ + i) & (buf_.size() - 1)]);
    buf_.swap(n);
    head_ = 0;
  }
  std::vector<T> buf_;
  std::size_t head_ = 0, size_ = 0;
};

}  // namespace peebot
