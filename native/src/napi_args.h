/*
 * Reading a binding's arguments: JS typed arrays (checked for type and length), counts and numbers. A check that
 * fails throws a RangeError in JS and marks the arguments failed, so that later reads return nothing and the
 * binding returns without calling its kernel.
 */
#ifndef RSN_NAPI_ARGS_H
#define RSN_NAPI_ARGS_H

#include <node_api.h>
#include <stdint.h>

#define RSN_MAX_ARGS 16

typedef struct {
  napi_env env;
  napi_value argv[RSN_MAX_ARGS];
  size_t argc;
  int failed;
} args_t;

/* Throw a RangeError (the first failure only); returns 0. */
int rsn_fail(args_t *a, const char *message);
/* Read the call's arguments; at least `want` must be given. */
int rsn_get_args(napi_env env, napi_callback_info info, args_t *a, size_t want);
/* A typed array of the given type with at least `min_length` elements; NULL (and a pending error) otherwise. */
void *rsn_array(args_t *a, size_t i, napi_typedarray_type want, int64_t min_length, int64_t *length);
/* A non-negative integer. */
int64_t rsn_integer(args_t *a, size_t i);
double rsn_number(args_t *a, size_t i);
/* Whether optional argument i was passed (and is not undefined). */
int rsn_given(args_t *a, size_t i);

#define F32(i, min, len) ((float *)rsn_array(&a, (i), napi_float32_array, (min), (len)))
#define I32(i, min, len) ((int32_t *)rsn_array(&a, (i), napi_int32_array, (min), (len)))

#define FN(name) static napi_value name(napi_env env, napi_callback_info info)
#define ARGS(n) args_t a; if (!rsn_get_args(env, info, &a, (n))) return NULL
#define DONE() return NULL
#define EXPORT(js, c) {js, NULL, c, NULL, NULL, NULL, napi_enumerable, NULL}

/* Each group of bindings adds its functions to the module's exports. */
int rsn_export_elementwise(napi_env env, napi_value exports);
int rsn_export_products(napi_env env, napi_value exports);
int rsn_export_sparse(napi_env env, napi_value exports);

#endif
