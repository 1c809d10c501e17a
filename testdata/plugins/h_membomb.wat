;; h_membomb (hostile): grows memory until memory.grow fails, then writes past the end; contained by the
;; memory cap baked into the module (memory_mb) and the resulting trap.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_membomb\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_membomb\"}]}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32)
    (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    (i32.store (i32.mul (memory.size) (i32.const 65536)) (i32.const 1))
    (i32.const 0))
)
