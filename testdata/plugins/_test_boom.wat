;; _test_boom (core.md §10): fails with the error "boom" (Extism error_set).
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"_test_boom\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"_test_boom\"}]}\00")
  (data (i32.const 1024) "boom\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (call $err_cstr (i32.const 1024)) (i32.const 1))
)
