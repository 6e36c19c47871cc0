// runtime/Image.cpp - JPEG and PNG decoding from memory, with the libraries'
// errors turned into cnnc::Error.
//
// libjpeg and libpng report a fatal error by calling a handler that must not
// return; the default ones print and exit(). Here the handlers record the
// message and longjmp back to the decode function, which frees the decoder and
// returns the message; only then is an exception thrown. Between setjmp and
// longjmp nothing with a destructor is constructed in the decode functions
// (their vectors are the caller's), so the jump skips no destructor.
#include "runtime/Image.h"

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

// clang-format off
#include <jpeglib.h>
#include <jerror.h>
// clang-format on
#include <png.h>

namespace cnnc {

namespace {

/// A progressive JPEG may hold any number of scans, each a pass over the whole
/// image; libjpeg-turbo's own fuzzers stop at 500.
constexpr int kMaxJpegScans = 500;
constexpr long kMaxJpegMemory = 1L << 30;

[[noreturn]] void fail(const std::string &name, const std::string &message) {
  throw Error(name + ": " + message);
}

std::string sizeText(uint64_t width, uint64_t height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

/// "" when width x height may be decoded, else why not.
std::string checkSize(uint64_t width, uint64_t height, int64_t maxPixels) {
  if (width == 0 || height == 0)
    return "the image is empty (" + sizeText(width, height) + " pixels)";
  if (width * height > static_cast<uint64_t>(maxPixels))
    return "the image is " + sizeText(width, height) + " pixels, more than the limit of " +
           std::to_string(maxPixels / 1'000'000) +
           " megapixels (refused before decoding: a decompression bomb?)";
  if (width > kMaxImageSide || height > kMaxImageSide)
    return "the image is " + sizeText(width, height) + " pixels, more than the limit of " +
           std::to_string(kMaxImageSide) + " pixels a side";
  return "";
}

// ---- JPEG --------------------------------------------------------------------------------------

struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX + 64];
};

[[noreturn]] void jpegFail(j_common_ptr cinfo) {
  auto *errors = reinterpret_cast<JpegErrors *>(cinfo->err);
  cinfo->err->format_message(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

/// Warnings about corrupt data (a premature end, a bad Huffman code) mean that
/// libjpeg filled the rest with gray: they are errors here. Extraneous bytes
/// between markers are harmless and common.
void jpegMessage(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code != JWRN_EXTRANEOUS_DATA)
    jpegFail(cinfo);
}

void jpegSilent(j_common_ptr) {}

void jpegProgress(j_common_ptr cinfo) {
  auto *d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxJpegScans) {
    auto *errors = reinterpret_cast<JpegErrors *>(cinfo->err);
    std::snprintf(errors->message, sizeof errors->message,
                  "progressive JPEG with more than %d scans", kMaxJpegScans);
    std::longjmp(errors->jump, 1);
  }
}

/// Decodes into `image` (its pixels sized here); returns "" or the error.
std::string decodeJpeg(const std::string &bytes, int64_t maxPixels, Image &image) {
  jpeg_decompress_struct cinfo;
  JpegErrors errors;
  jpeg_progress_mgr progress{};
  cinfo.err = jpeg_std_error(&errors.mgr);
  errors.mgr.error_exit = jpegFail;
  errors.mgr.emit_message = jpegMessage;
  errors.mgr.output_message = jpegSilent;
  progress.progress_monitor = jpegProgress;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return errors.message;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.progress = &progress;
  cinfo.mem->max_memory_to_use = kMaxJpegMemory;
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size());
  jpeg_read_header(&cinfo, TRUE);
  std::snprintf(errors.message, sizeof errors.message, "%s",
                checkSize(cinfo.image_width, cinfo.image_height, maxPixels).c_str());
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK)
    std::snprintf(errors.message, sizeof errors.message,
                  "CMYK JPEGs are not supported (convert the image to RGB first, e.g. "
                  "PIL's Image.convert('RGB'))");
  if (errors.message[0]) {
    jpeg_destroy_decompress(&cinfo);
    return errors.message;
  }
  cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  image.width = static_cast<int>(cinfo.output_width);
  image.height = static_cast<int>(cinfo.output_height);
  image.channels = cinfo.output_components;
  const size_t stride = static_cast<size_t>(image.width) * image.channels;
  image.pixels.resize(stride * image.height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = image.pixels.data() + cinfo.output_scanline * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return "";
}

// ---- PNG ---------------------------------------------------------------------------------------

struct PngSource {
  const std::string &bytes;
  size_t pos;
  char message[256], warning[128];
};

/// The error, with the last warning when there was one: libpng warns of the
/// cause ("Image width is zero in IHDR"), then fails ("Invalid IHDR data").
[[noreturn]] void pngFail(png_structp png, png_const_charp message) {
  auto *source = static_cast<PngSource *>(png_get_error_ptr(png));
  std::snprintf(source->message, sizeof source->message, source->warning[0] ? "%s (%s)" : "%s",
                message, source->warning);
  png_longjmp(png, 1);
}

void pngWarning(png_structp png, png_const_charp message) {
  auto *source = static_cast<PngSource *>(png_get_error_ptr(png));
  std::snprintf(source->warning, sizeof source->warning, "%s", message);
}

void pngRead(png_structp png, png_bytep out, size_t count) {
  auto *source = static_cast<PngSource *>(png_get_io_ptr(png));
  if (count > source->bytes.size() - source->pos)
    png_error(png, "the file is truncated");
  std::memcpy(out, source->bytes.data() + source->pos, count);
  source->pos += count;
}

/// Decodes into `image`, with `rows` as the row pointers; returns "" or the error.
std::string decodePng(const std::string &bytes, int64_t maxPixels, Image &image,
                      std::vector<png_bytep> &rows) {
  PngSource source{bytes, 8, "", ""};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, pngFail, pngWarning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return "out of memory";
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return source.message;
  }
  png_set_read_fn(png, &source, pngRead);
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info),
                    height = png_get_image_height(png, info);
  std::snprintf(source.message, sizeof source.message, "%s",
                checkSize(width, height, maxPixels).c_str());
  if (source.message[0]) {
    png_destroy_read_struct(&png, &info, nullptr);
    return source.message;
  }
  png_set_expand(png);   // palette to RGB, gray below 8 bits to 8, tRNS to alpha
  png_set_strip_16(png); // 16 bits to their high byte, as PIL's 'RGB;16B' rawmode
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.channels = png_get_channels(png, info);
  const size_t stride = static_cast<size_t>(image.width) * image.channels;
  image.pixels.resize(stride * image.height);
  rows.resize(image.height);
  for (int y = 0; y < image.height; ++y)
    rows[y] = image.pixels.data() + y * stride;
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return "";
}

} // namespace

Image decodeImage(const std::string &bytes, const std::string &name, int64_t maxPixels) {
  Image image;
  std::string error;
  if (bytes.size() >= 3 && bytes.compare(0, 3, "\xff\xd8\xff") == 0) {
    error = decodeJpeg(bytes, maxPixels, image);
    if (!error.empty())
      fail(name, "cannot decode the JPEG: " + error);
  } else if (bytes.size() >= 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) {
    std::vector<png_bytep> rows;
    error = decodePng(bytes, maxPixels, image, rows);
    if (!error.empty())
      fail(name, "cannot decode the PNG: " + error);
  } else {
    fail(name,
         bytes.empty() ? "the file is empty" : "not a JPEG or PNG image (unknown magic bytes)");
  }
  return image;
}

Image readImage(const std::string &path, int64_t maxPixels) {
  std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(std::fopen(path.c_str(), "rb"),
                                                        &std::fclose);
  if (!file)
    fail(path, std::string("cannot open file: ") + std::strerror(errno));
  std::string bytes;
  char buffer[1 << 16];
  size_t count;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0)
    bytes.append(buffer, count);
  if (std::ferror(file.get()))
    fail(path, std::string("cannot read file: ") + std::strerror(errno));
  return decodeImage(bytes, path, maxPixels);
}

const char *channelsName(int channels) {
  switch (channels) {
  case 1:
    return "gray";
  case 2:
    return "gray+alpha";
  case 3:
    return "RGB";
  case 4:
    return "RGBA";
  }
  return "?";
}

Image toChannels(Image in, int channels, const std::string &name) {
  if (channels != 1 && channels != 3 && channels != 4)
    fail(name, "the model's input has " + std::to_string(channels) +
                   " channels; an image gives 1 (gray), 3 (RGB) or 4 (RGBA)");
  if (in.channels == channels)
    return in;
  Image out{in.height, in.width, channels, {}};
  const size_t count = static_cast<size_t>(in.height) * in.width;
  out.pixels.resize(count * channels);
  const int from = in.channels;
  const bool color = from >= 3, alpha = from == 2 || from == 4;
  for (size_t p = 0; p < count; ++p) {
    const uint8_t *s = &in.pixels[p * from];
    uint8_t *d = &out.pixels[p * channels];
    if (channels == 1) {
      d[0] = color
                 ? static_cast<uint8_t>((s[0] * 19595 + s[1] * 38470 + s[2] * 7471 + 0x8000) >> 16)
                 : s[0];
      continue;
    }
    for (int c = 0; c < 3; ++c)
      d[c] = s[color ? c : 0];
    if (channels == 4)
      d[3] = alpha ? s[from - 1] : 255;
  }
  return out;
}

} // namespace cnnc
