#ifndef MEDEXPRESS_CZLIB_SHIM_H
#define MEDEXPRESS_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2 and inflateInit2 are macros; Swift imports no function-like macros. */
static inline int medexpress_deflateInit2(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
static inline int medexpress_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
