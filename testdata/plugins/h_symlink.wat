;; h_symlink (hostile): tries to plant a symlink `/artifacts/escape` -> `/etc` through WASI path_symlink (fd 3 is
;; the first preopen, the job's artifacts dir). Outputs the WASI errno it got (0 means the link was created).
(module
  (import "wasi_snapshot_preview1" "path_symlink"
    (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_symlink\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_symlink\"}],\"capabilities\":{\"files\":\"artifacts\"}}\00")
  (data (i32.const 1024) "/etc\00")
  (data (i32.const 1040) "escape\00")
  (data (i32.const 1056) "{\"outputs\":{\"errno\":\00")
  (data (i32.const 1088) "}}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (local $e i32)
    (local.set $e (call $path_symlink (i32.const 1024) (i32.const 4) (i32.const 3) (i32.const 1040) (i32.const 6)))
    (call $ob_reset)
    (call $ob_cstr (i32.const 1056))
    ;; the errno in decimal (0..99 suffice for WASI)
    (if (i32.ge_u (local.get $e) (i32.const 10))
      (then (call $ob_byte (i32.add (i32.const 48) (i32.div_u (local.get $e) (i32.const 10))))))
    (call $ob_byte (i32.add (i32.const 48) (i32.rem_u (local.get $e) (i32.const 10))))
    (call $ob_cstr (i32.const 1088))
    (call $ob_output)
    (i32.const 0))
)
