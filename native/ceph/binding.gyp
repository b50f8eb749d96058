{
  "targets": [
    {
      "target_name": "ceph",
      "sources": [
        "src/addon.cc",
        "src/completions.cc",
        "src/submitter.cc",
        "src/errors.cc",
        "src/handle.cc",
        "src/rados_cluster.cc",
        "src/ioctx.cc",
        "src/watch.cc",
        "src/rbd.cc",
        "src/rbd_image.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wno-deprecated-declarations"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-lrados", "-lrbd"]
    }
  ]
}
