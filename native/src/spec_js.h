// Reads a ModelSpec from the JS spec object (format in native/README.md); errors name the field at fault.
#pragma once
#include <napi.h>

#include "spec.h"

namespace rnnlab {

ModelSpec spec_from_js(const Napi::Value& value);

}  // namespace rnnlab
