;; h_files (hostile): opens inputs.path relative to the first WASI preopen (fd 3); outputs opened=true if
;; the open succeeded, else fails with "open refused". Asks for files: artifacts.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_files\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_files\"}],\"capabilities\":{\"files\":\"artifacts\"}}\00")
  (data (i32.const 1024) "\"path\":\00")
  (data (i32.const 1040) "{\"outputs\":{\"opened\":true}}\00")
  (data (i32.const 1080) "open refused\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (local $p i32) (local $n i32)
    (drop (call $read_input))
    (local.set $p (call $field (i32.const 1024)))
    (local.set $n (i32.sub (i32.sub (global.get $fend) (local.get $p)) (i32.const 2)))
    (if (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.add (local.get $p) (i32.const 1)) (local.get $n)
        (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 4096)))
      (then (call $out_cstr (i32.const 1040)) (return (i32.const 0))))
    (call $err_cstr (i32.const 1080))
    (i32.const 1))
)
