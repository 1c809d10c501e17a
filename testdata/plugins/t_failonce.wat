;; t_failonce (core.md §10): succeeds when inputs.marker exists in its work dir (/artifacts); otherwise creates
;; it and fails, so a resumed run succeeds. Needs the `files: artifacts` grant (WASI preopen fd 3).
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"t_failonce\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"t_failonce\"}],\"capabilities\":{\"files\":\"artifacts\"}}\00")
  (data (i32.const 1024) "\"marker\":\00")
  (data (i32.const 1040) "{\"outputs\":{\"marker\":\"found\"}}\00")
  (data (i32.const 1088) "marker created; failing once\00")
  (data (i32.const 1136) "cannot create marker\00")
  (data (i32.const 1168) "inputs.marker is required\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func $open (param $p i32) (param $n i32) (param $oflags i32) (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (local.get $p) (local.get $n) (local.get $oflags)
      (i64.const 66) (i64.const 0) (i32.const 0) (i32.const 4096)))
  (func (export "aetherflow_step") (result i32) (local $p i32) (local $n i32)
    (drop (call $read_input))
    (local.set $p (call $field (i32.const 1024)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (call $err_cstr (i32.const 1168)) (return (i32.const 1))))
    (local.set $n (i32.sub (i32.sub (global.get $fend) (local.get $p)) (i32.const 2)))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (if (i32.eqz (call $open (local.get $p) (local.get $n) (i32.const 0))) (then
      (drop (call $fd_close (i32.load (i32.const 4096))))
      (call $out_cstr (i32.const 1040))
      (return (i32.const 0))))
    (if (i32.eqz (call $open (local.get $p) (local.get $n) (i32.const 1))) (then
      (drop (call $fd_close (i32.load (i32.const 4096))))
      (call $err_cstr (i32.const 1088))
      (return (i32.const 1))))
    (call $err_cstr (i32.const 1136))
    (i32.const 1))
)
