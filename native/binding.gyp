{
  "variables": {
    # The library of the matrix products: "onednn" or "openblas" (install.cjs chooses: RSN_NATIVE_BLAS, else
    # oneDNN where its headers are installed, else OpenBLAS).
    "rsn_blas%": "openblas"
  },
  "targets": [
    {
      "target_name": "rsn_native",
      "sources": [
        "src/addon.c", "src/napi_args.c", "src/bindings_elementwise.c", "src/bindings_products.c",
        "src/bindings_sparse.c", "src/elementwise.c", "src/reductions.c", "src/fused.c", "src/sparse.c",
        "src/conv.c", "src/conv_direct.c", "src/conv_onednn.c", "src/pool.c", "src/bindings_convolution.c"
      ],
      "cflags": ["-O3", "-std=c11", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["rsn_blas=='onednn'", {
          "sources": ["src/products_onednn.c"],
          "defines": ["RSN_ONEDNN"],
          "libraries": ["-ldnnl", "-lgomp"]
        }, {
          "sources": ["src/products_openblas.c"],
          "libraries": ["-lopenblas"]
        }],
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
