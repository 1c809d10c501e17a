;; h_bigout (hostile): sets a 1 MiB output; contained by the output cap (max_output_bytes).
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_bigout\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_bigout\"}]}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (local $o i64)
    (local.set $o (call $alloc (i64.const 1048576)))
    (call $output_set (local.get $o) (i64.const 1048576))
    (i32.const 0))
)
