{
  "targets": [
    {
      "target_name": "tstack_libvirt",
      "sources": [
        "src/addon.cc",
        "src/eventloop.cc",
        "src/value.cc",
        "src/errors.cc",
        "src/pool.cc",
        "src/connection.cc",
        "src/domain.cc",
        "src/snapshot.cc",
        "src/events.cc",
        "src/storage.cc",
        "src/secret.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(pkg-config --cflags-only-I libvirt | sed 's/-I//g')"
      ],
      "libraries": ["<!@(pkg-config --libs libvirt libvirt-qemu)"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-std=c++17", "-fexceptions"]
    }
  ]
}
