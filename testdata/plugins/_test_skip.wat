;; _test_skip (core.md §10): SKIPPED with outputs {has_data: false, count: 0} and reason "no data".
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"_test_skip\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"_test_skip\"}]}\00")
  (data (i32.const 1024) "{\"status\":\"SKIPPED\",\"outputs\":{\"has_data\":false,\"count\":0},\"reason\":\"no data\"}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (call $out_cstr (i32.const 1024)) (i32.const 0))
)
