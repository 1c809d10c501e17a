;; t_noop: the trivial plugin step of benchmark B3; returns {"outputs":{}} without reading its input.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"t_noop\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"t_noop\"}]}\00")
  (data (i32.const 1024) "{\"outputs\":{}}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (call $out_cstr (i32.const 1024)) (i32.const 0))
)
