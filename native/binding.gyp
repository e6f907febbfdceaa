{
  "targets": [
    {
      "target_name": "rsn_native",
      "sources": ["src/addon.c", "src/elementwise.c", "src/layout.c", "src/fused.c", "src/sparse.c"],
      "libraries": ["-lopenblas"],
      "cflags": ["-O3", "-std=c11", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["target_arch=='x64'", { "cflags": ["-march=x86-64-v2", "-mtune=generic"] }],
        ["OS=='mac'", {
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-ffp-contract=off"] },
          "include_dirs": ["/opt/homebrew/opt/openblas/include", "/usr/local/opt/openblas/include"],
          "libraries": ["-L/opt/homebrew/opt/openblas/lib", "-L/usr/local/opt/openblas/lib"]
        }]
      ]
    }
  ]
}
