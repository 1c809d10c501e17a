;; t_nodecode (core.md §10 case 21): declares itself a secrets provider and exports aetherflow_expand_env, but not
;; the required aetherflow_decode, so loading it must be refused naming that export.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"t_nodecode\",\"version\":\"1.0.0\",\"secrets\":true}\00")
  (data (i32.const 1024) "{\"env\":{}}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_expand_env") (result i32) (call $out_cstr (i32.const 1024)) (i32.const 0))
)
