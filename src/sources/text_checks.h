// Byte-level checks on outside text, before and after JSON parsing. Pure, never recursive.
#pragma once

#include <string_view>

namespace gw {

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF, which an
// unpaired "\udc00" escape would produce), nothing above U+10FFFF, no truncated sequence.
bool is_valid_utf8(std::string_view s);

// A C0 control character (U+0000..U+001F) or DEL (U+007F).
bool has_control_character(std::string_view s);

// True if the JSON text nests objects and arrays more than max_depth deep (brackets inside
// strings do not count). One pass, constant memory; says nothing about the text's validity.
bool json_depth_exceeds(std::string_view json, int max_depth);

}  // namespace gw
