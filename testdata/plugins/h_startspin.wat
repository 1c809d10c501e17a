;; h_startspin (hostile): its start function spins forever, but only on an instance with a WASI preopen (fd 3):
;; describe (no directory) works, and every step instance (the job's artifacts dir at /artifacts) spins.
(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_startspin\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_startspin\"}],\"capabilities\":{\"files\":\"artifacts\"}}\00")
  (data (i32.const 1024) "{\"outputs\":{}}\00")
  (func $spin_if_preopen
    (if (i32.eqz (call $fd_prestat_get (i32.const 3) (i32.const 2048)))
      (then (loop $l (br $l)))))
  (start $spin_if_preopen)
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (call $out_cstr (i32.const 1024)) (i32.const 0))
)
