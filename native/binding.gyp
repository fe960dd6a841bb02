{
  "variables": {
    "common_cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-fexceptions", "-frtti"]
  },
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "GCC_ENABLE_CPP_RTTI": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "GCC_OPTIMIZATION_LEVEL": "3",
      "MACOSX_DEPLOYMENT_TARGET": "10.15"
    },
    "msvs_settings": {
      "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] }
    },
    "conditions": [
      ["target_arch=='x64' or target_arch=='ia32'", { "defines": ["RNNLAB_HAVE_X86_PATHS"] }]
    ]
  },
  "targets": [
    {
      "target_name": "rnnlab_engine",
      "sources": [
        "src/binding.cpp",
        "src/spec_js.cpp",
        "src/spec.cpp",
        "src/engine.cpp",
        "src/inspect.cpp",
        "src/health.cpp",
        "src/checkpoint.cpp",
        "src/threads.cpp",
        "src/mapped.cpp",
        "src/kernels/simd.cpp"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["<@(common_cflags_cc)"],
      "conditions": [
        ["target_arch=='x64' or target_arch=='ia32'", { "dependencies": ["simd_avx2", "simd_avx512"] }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64' or target_arch=='ia32'", {
      "targets": [
        {
          "target_name": "simd_avx2",
          "type": "static_library",
          "sources": ["src/kernels/simd_avx2.cpp"],
          "cflags_cc": ["<@(common_cflags_cc)", "-fPIC", "-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"] }
        },
        {
          "target_name": "simd_avx512",
          "type": "static_library",
          "sources": ["src/kernels/simd_avx512.cpp"],
          "cflags_cc": ["<@(common_cflags_cc)", "-fPIC", "-mavx512f", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mfma"] }
        }
      ]
    }]
  ]
}
