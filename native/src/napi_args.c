/* Reading a binding's arguments (napi_args.h). */
#include "napi_args.h"

int rsn_fail(args_t *a, const char *message) {
  if (!a->failed) napi_throw_range_error(a->env, NULL, message);
  a->failed = 1;
  return 0;
}

int rsn_get_args(napi_env env, napi_callback_info info, args_t *a, size_t want) {
  a->env = env;
  a->argc = RSN_MAX_ARGS;
  a->failed = 0;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return rsn_fail(a, "bad call");
  if (a->argc < want) return rsn_fail(a, "too few arguments");
  return 1;
}

void *rsn_array(args_t *a, size_t i, napi_typedarray_type want, int64_t min_length, int64_t *length) {
  napi_typedarray_type type;
  size_t len;
  void *data;
  if (a->failed) return NULL;
  if (napi_get_typedarray_info(a->env, a->argv[i], &type, &len, &data, NULL, NULL) != napi_ok) {
    rsn_fail(a, "expected a typed array");
    return NULL;
  }
  if (type != want) {
    rsn_fail(a, want == napi_int32_array ? "expected an Int32Array" : "expected a Float32Array");
    return NULL;
  }
  if ((int64_t)len < min_length) {
    rsn_fail(a, "typed array too short for the shape");
    return NULL;
  }
  if (length) *length = (int64_t)len;
  return data;
}

int64_t rsn_integer(args_t *a, size_t i) {
  int64_t v = 0;
  if (!a->failed && (napi_get_value_int64(a->env, a->argv[i], &v) != napi_ok || v < 0)) rsn_fail(a, "expected a count");
  return v;
}

double rsn_number(args_t *a, size_t i) {
  double v = 0;
  if (!a->failed && napi_get_value_double(a->env, a->argv[i], &v) != napi_ok) rsn_fail(a, "expected a number");
  return v;
}

int rsn_given(args_t *a, size_t i) {
  napi_valuetype type = napi_undefined;
  return !a->failed && a->argc > i && napi_typeof(a->env, a->argv[i], &type) == napi_ok && type != napi_undefined;
}
