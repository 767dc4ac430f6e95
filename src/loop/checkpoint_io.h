#pragma once
// Private to src/loop: the little binary format of chain checkpoints. Values are written in the
// machine's own byte order (a checkpoint is resumed on the machine that wrote it); every length
// is checked against the bytes left when reading.

#include <cstdint>
#include <cstring>
#include <string>

#include "madlab/core/error.h"

namespace madlab::checkpoint_io {

// `data` may be null when size == 0 (an empty matrix or vector: an empty training set).
inline void put_bytes(std::string& out, const void* data, std::size_t size) {
    if (size == 0) return;
    out.append(static_cast<const char*>(data), size);
}

template <class T>
void put(std::string& out, T value) {
    put_bytes(out, &value, sizeof(T));
}

class Reader {
public:
    explicit Reader(const std::string& bytes) : bytes_(bytes) {}
    // Copies the next `size` bytes to `data`, which may be null when size == 0 (memcpy's
    // pointers must never be null, even for no bytes).
    void get_bytes(void* data, std::size_t size) {
        if (size > bytes_.size() - offset_)
            throw DataError("chain checkpoint is truncated (its bytes end before its data does)");
        if (size == 0) return;
        std::memcpy(data, bytes_.data() + offset_, size);
        offset_ += size;
    }
    template <class T>
    T get() {
        T value;
        get_bytes(&value, sizeof(T));
        return value;
    }
    // Bytes not read yet.
    std::size_t left() const { return bytes_.size() - offset_; }
    bool at_end() const { return offset_ == bytes_.size(); }

private:
    const std::string& bytes_;
    std::size_t offset_ = 0;
};

}  // namespace madlab::checkpoint_io
